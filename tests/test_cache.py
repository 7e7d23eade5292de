"""Cache invalidation follows the data: a data edit re-executes exactly the notebooks that read
the file and changes the rendered number (and the build writes nothing into the sources); a prose
edit executes nothing."""

import hashlib

from bs4 import BeautifulSoup

from conftest import ROOT, build, page_text, preview_script, text_of


def source_snapshot(root):
    """Content hashes of everything the build must only read."""
    paths = [root / "references.bib"]
    for folder in ("book", "notebooks", "data"):
        paths += sorted(p for p in (root / folder).rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_data_edit_reexecutes_only_its_readers_and_changes_the_number(project_copy):
    # The copy holds the real build's outputs: the rebuild below is incremental as in an
    # author's loop (Sphinx re-reads only what it thinks changed: the page's source did not).
    assert "had reached 4,404 people" in page_text(project_copy, "book/chronology")
    counts = project_copy / "data" / "chronology_counts.csv"
    text = counts.read_text(encoding="utf-8")
    assert ",detained,4404," in text
    counts.write_text(text.replace(",detained,4404,", ",detained,4504,"), encoding="utf-8")
    before = source_snapshot(project_copy)
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    # Notebooks ran and pages were read and written: nothing of the sources was written.
    assert source_snapshot(project_copy) == before
    # Only the chronology appendix, its notebook and the audit (which checks the quantities the
    # thesis quotes against these counts) read this file; the errata page does not: no printed
    # number of the prose restates it.
    assert sorted(result.executed()) == ["book/chronology.md", "notebooks/audit.md",
                                         "notebooks/chronology.md"]
    text = text_of(result.page("chronology"))
    assert "the number of detainees in the country had reached 4,504 people" in text
    assert "4,404" not in text


def test_respondents_edit_changes_every_page_that_quotes_them(project_copy):
    sample = project_copy / "data" / "survey_sample.csv"
    sample.write_text(sample.read_text(encoding="utf-8").replace("\n124,", "\n131,"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    executed = set(result.executed())
    assert {"book/introduction.md", "book/survey-results.md", "book/chapter1.md", "book/errata.md"} <= executed
    assert "book/about.md" not in executed and "book/chronology.md" not in executed
    text = text_of(result.page("introduction"))
    assert "One hundred thirty-one citizens of the Republic of Kazakhstan took part" in text
    assert "One hundred twenty-four" not in text


def test_prose_edit_executes_no_notebook(project_copy):
    html = project_copy / "_build" / "html"
    source_pages = sorted((html / "_modules").rglob("*.html"))
    written = [p.stat().st_mtime_ns for p in source_pages]
    # Chapter 3 previews neither the edited page nor the landing page.
    untouched = preview_script(html, "book/chapter3")
    untouched_written = untouched.stat().st_mtime_ns
    # The copy was made from the real build: its build writes the scripts into its own output.
    real_scripts = {p: p.stat().st_mtime_ns for p in (ROOT / "_build" / "html" / "_static" / "tippy").rglob("*.js")}
    page = project_copy / "book" / "introduction.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "A wave of demonstrations demanding", "A wave of rallies demanding"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert result.executed() == []
    assert "Executing notebook" not in result.output
    assert "A wave of rallies demanding" in text_of(result.page("introduction"))
    # Only the edited page is read and written, with the landing page (Sphinx writes its root
    # page at every build): the appendix of the numbers' origins lists none of these words.
    assert result.pages("reading sources") == ["book/introduction"]
    assert result.pages("writing output") == ["book/index", "book/introduction"]
    # Nor are the pages of the package's modules written again (book_extensions/sources.py).
    assert len(source_pages) > 10 and [p.stat().st_mtime_ns for p in source_pages] == written
    # The page keeps its hover previews of other pages' terms, and only the scripts of the
    # written pages and of the pages that preview them are written (book_extensions/previews.py).
    previews = preview_script(html, "book/introduction").read_text(encoding="utf-8")
    assert r'"a[href=\"acronyms.html#term-CSTO\"]": "<' in previews
    assert untouched.stat().st_mtime_ns == untouched_written
    assert real_scripts and {p: p.stat().st_mtime_ns for p in real_scripts} == real_scripts


def test_package_edit_reexecutes_the_notebooks_that_import_the_module(project_copy):
    module = project_copy / "kzthesis" / "edition.py"
    module.write_text(module.read_text(encoding="utf-8") + (
        "\n\n_read_notes = edition_notes\n\n\n"
        "def edition_notes():\n"
        "    notes = _read_notes()\n"
        "    notes.loc[0, 'note'] = 'A note as the edited package reads it.'\n"
        "    return notes\n"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    # The About page lists the edition notes; the errata link each number to its emendation.
    assert result.executed() == ["book/about.md", "book/errata.md"]
    # The kernels imported the copy's package, not the one the tests run from; the module's
    # page shows its new source.
    assert "A note as the edited package reads it." in page_text(project_copy, "book/about")
    assert "A note as the edited package reads it." in page_text(project_copy, "_modules/kzthesis/edition")


def test_a_table_added_to_one_page_renumbers_the_tables_of_the_pages_after_it(project_copy):
    """Sphinx numbers the tables and figures of unnumbered pages through the book; the numbers
    come from the outlines of the pages that were not read again (book_extensions/figure_numbers.py)."""
    def numbers(page):
        soup = BeautifulSoup((project_copy / "_build" / "html" / "book" / f"{page}.html").read_text(encoding="utf-8"),
                             "html.parser")
        return [span.get_text(strip=True) for span in soup.select("span.caption-number")]

    before = numbers("tables")
    page = project_copy / "book" / "conclusions.md"
    page.write_text(page.read_text(encoding="utf-8") + (
        "\n:::{table} A table added to the conclusions\n\n| a | b |\n|---|---|\n| 1 | 2 |\n:::\n"),
        encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert result.pages("reading sources") == ["book/conclusions"]
    assert numbers("conclusions") == [f"Table {before[0].split()[1]}"]
    assert numbers("tables") == [f"Table {int(n.split()[1]) + 1}" for n in before] and len(before) >= 3
