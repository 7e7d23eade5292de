"""`make pdf`: the thesis as a PDF through XeLaTeX, checked on the PDF itself (pdftotext,
pdfinfo, pdfimages, qpdf) and on XeLaTeX's log."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import BUILD, HTML, ROOT, build, text_of
from pdf_tools import Pdf, squash, word_heights

LATEX = BUILD / "latex"
PDF = LATEX / "thesis.pdf"
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
KAZAKH = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"


PRINTED = CONFIG["sphinx"]["config"]["thesis_print_pages"]


def toc_pages() -> list[tuple[str | None, bool, str]]:
    """(part caption, numbered, docname) of every page of _toc.yml after the root that the PDF
    prints (`thesis_print_pages` in _config.yml)."""
    return [(part.get("caption"), bool(part.get("numbered")), chapter["file"])
            for part in TOC["parts"] for chapter in part["chapters"] if chapter["file"] in PRINTED]


def title_of(docname: str) -> str:
    for line in (ROOT / f"{docname}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise AssertionError(f"{docname}.md has no title")


@pytest.fixture(scope="session")
def pdf(built_book) -> Pdf:
    """`make pdf`, after the HTML build (so the executed-notebook cache is fresh)."""
    started = time.time()
    PDF.unlink(missing_ok=True)  # latexmk would keep a PDF whose sources did not change
    process = subprocess.run(["make", "--no-print-directory", "pdf"], cwd=ROOT, capture_output=True,
                             text=True)
    output = process.stdout + process.stderr
    assert process.returncode == 0, output[-5000:]
    assert PDF.exists(), "make pdf did not write _build/latex/thesis.pdf"
    result = Pdf(PDF, log=(LATEX / "thesis.log").read_text(encoding="utf-8", errors="replace"))
    result.make_output = output
    result.started = started
    return result


def test_pdf_reuses_the_executed_notebooks(pdf):
    """The PDF is rendered from the notebooks the HTML build executed: nothing runs twice."""
    report = json.loads((BUILD / "execution-report.json").read_text())
    assert report["executed"] == [], report["executed"]
    assert "executed: 0" in pdf.make_output
    assert "Executing notebook" not in pdf.make_output
    assert "build succeeded" in pdf.make_output and "WARNING" not in pdf.make_output


def test_title_page_names_the_book_and_the_build(pdf):
    title = " ".join(pdf.pages[0].split())
    assert " ".join(CONFIG["title"].split()) in title
    assert "Reproducible edition" in title
    assert "Built" not in title and "commit" not in title  # not the thesis's date: on its back
    page = " ".join(pdf.pages[1].split())  # the back of the title page: what this copy is
    assert "reproducible edition" in page and "not of the thesis" in page
    # The build date: the day the build ran (or SOURCE_DATE_EPOCH).
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    days = ([dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)] if epoch else
            [dt.datetime.fromtimestamp(pdf.started), dt.datetime.now()])
    assert any(f"built on {d.day} {d:%B} {d.year}" in page for d in days), page
    # The commit, from git, marked when the checkout has uncommitted changes.
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    assert commit and f"from commit {commit}" in page, page
    assert ("uncommitted changes" in page) == bool(dirty), page
    # No author, degree or institution: the source document names none.
    for invented in ("University", "Author", "Master", "Bachelor", "Supervisor"):
        assert invented not in title + page


def test_front_matter_contents_and_lists(pdf):
    headings = [page.strip().splitlines()[0] for page in pdf.pages if page.strip()]
    for heading in ("Abstract", "Contents", "List of Figures", "List of Tables",
                    "Acronyms and definitions"):
        assert heading in headings, heading
    assert "Preface" not in headings  # the web edition's landing page is not printed
    order = [headings.index(h) for h in ("Abstract", "Contents", "List of Figures", "List of Tables")]
    assert order == sorted(order)
    # Front matter has roman page numbers from the title page, the thesis starts at 1 with the
    # Introduction.
    assert pdf.page_labels[:3] == ["i", "ii", "iii"]
    assert pdf.page_labels[pdf.page_of("A wave of demonstrations demanding lower gas prices")[0] - 1] == "1"


def test_every_chapter_title_in_order_with_its_number(pdf):
    """Every page of _toc.yml opens a chapter, in the order of _toc.yml: chapters of numbered
    parts are numbered, the Appendices part is lettered, the others are unnumbered."""
    starts = []
    chapter, appendix = 0, 0
    for caption, numbered, docname in toc_pages():
        title = title_of(docname)
        if caption == "Appendices":
            label = f"APPENDIX {'ABCDEFGHIJ'[appendix]}"
            appendix += 1
        elif numbered:
            chapter += 1
            label = f"CHAPTER {chapter}"
        else:
            label = None
        found = []
        for number, page in enumerate(pdf.pages, 1):
            lines = [line.strip() for line in page.strip().splitlines() if line.strip()]
            if label and lines[:1] == [label]:
                lines = lines[1:]
            elif lines and re.fullmatch(r"(CHAPTER \d+|APPENDIX [A-Z])", lines[0]):
                continue
            if squash(" ".join(lines[:3])).startswith(squash(title)):
                found.append(number)
        assert found, f"no page opens with {label or ''} {title!r} ({docname})"
        starts.append(found[0])
    assert starts == sorted(starts), list(zip(toc_pages(), starts))


def test_contents_lists_numbered_chapters_and_sections(pdf):
    first = pdf.page_of("Contents Abstract")
    assert len(first) == 1
    contents = " ".join(" ".join(pdf.pages[first[0] - 1: first[0] + 1]).split())
    assert "1 The Soviet Union and early Kazakhstan" in contents
    assert "1.1 Legacy of the Soviet Union" in contents
    assert "4 Kazakhstan after the January events" in contents
    assert "A Survey results" in contents and "A.1 Question 1" in contents
    assert "B Tables" in contents and "C Chronology of the events" in contents


def html_note_samples() -> list[tuple[str, str, str]]:
    """(page, the six words before a note's marker, the note's text) for every note of the HTML
    book, read with BeautifulSoup."""
    from bs4 import BeautifulSoup

    samples = []
    for path in sorted((HTML / "book").glob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for origin in soup.select("span.quantity-origin"):  # the web book's, shown on demand
            origin.decompose()
        notes = {aside["id"]: aside for aside in soup.select("aside.footnote")}
        for ref in soup.select("a.footnote-reference"):
            paragraph = ref.find_parent("p")
            if paragraph is None:
                continue
            before = ""
            for element in paragraph.descendants:
                if element is ref:
                    break
                if isinstance(element, str):
                    before += element
            note = notes[ref["href"].lstrip("#")]
            if note.select("p a.internal"):  # (its sources' links are no paragraph: backrefs.py)
                continue  # a pointer inside the book ("Fig. 8" here, "Figure A.8" in print)
            body = " ".join(" ".join(p.get_text() for p in note.find_all("p")).split())
            samples.append((path.stem, " ".join(before.split()[-6:]), body))
    return samples


def test_citations_are_footnotes_on_the_page_that_cites_them(built_book, pdf):
    """For every note whose preceding words identify one page of the PDF, the note's text (as
    the HTML shows it) is at the bottom of that page, after the citing text."""
    samples = html_note_samples()
    checked, failures = 0, []
    for page_name, words, note in samples:
        if len(squash(words)) < 25:
            continue
        pages = pdf.page_of(words)
        if len(pages) != 1:
            continue  # the words recur (or are split by a figure): not a reliable sample
        squashed = pdf.squashed_pages[pages[0] - 1]
        position = squashed.index(squash(words))
        if squash(note)[:40] not in squashed[position:]:
            failures.append(f"{page_name}: note after {words!r} on PDF page {pages[0]}: "
                            f"{note[:60]!r} is not on that page")
        checked += 1
    assert not failures, "\n".join(failures)
    assert checked >= 0.7 * len(samples) and checked > 100, (checked, len(samples))


def test_footnotes_carry_the_thesis_numbers(pdf):
    """One footnote per footnote of the thesis, numbered 1–177 as the author numbered them, in
    reading order (book_extensions/notes.py)."""
    tex = (LATEX / "thesis.tex").read_text(encoding="utf-8")
    numbers = [int(n) for n in re.findall(r"\\begin\{footnote(?:text)?\}\[(\d+)\]", tex)]
    assert numbers == list(range(1, 178))
    # Where each note stands is checked against the HTML's notes by
    # test_citations_are_footnotes_on_the_page_that_cites_them.


def test_bibliography_lists_every_source_in_its_chapter(pdf):
    import pybtex.database

    entries = pybtex.database.parse_file(str(ROOT / "references.bib")).entries
    first = next(i for i, page in enumerate(pdf.pages)
                 if page.strip().startswith("Bibliography") and i > len(pdf.pages) // 2)
    assert first > max(pdf.page_of("Errata and consistency")) - 1  # the last chapter
    text = "\n".join(pdf.pages[first:])
    assert not re.search(r"^\[\d+\]", text, flags=re.M)  # unnumbered: nothing cites by number
    assert all(page.strip().startswith("Bibliography") for page in pdf.pages[first:])
    # Every entry, in the order of the list (by author), as the notes print it.
    from book_extensions.citation_style import render_plain

    # The pages' text without their running heads ("Bibliography 112"), which cut an entry.
    squashed = "".join(squash(pdf.pages[i]).replace(f"bibliography{pdf.page_labels[i]}", "", 1)
                       for i in range(first, len(pdf.pages)))
    position = 0
    for key in bibliography_order(entries):
        start = squashed.find(squash(render_plain(entries[key]))[:60], position)
        assert start >= 0, key
        position = start


def bibliography_order(entries) -> list[str]:
    """The keys in the order of the bibliography page (the style's sorting: by author)."""
    from book_extensions.citation_style import Style

    return [entry.key for entry in Style().sort(list(entries.values()))]


def test_bibliography_is_unnumbered_with_hanging_indent_and_decoded_addresses(pdf):
    """Each entry's first line starts at the margin and its other lines are indented (a hanging
    indent); an address that carries encoded letters shows them as letters, its link exact."""
    tex = (LATEX / "thesis.tex").read_text(encoding="utf-8")
    assert "\\bibitem[" in tex and "\\def\\@biblabel##1{}" in (ROOT / "book_extensions" / "thesis.sty").read_text()
    first = next(i for i, page in enumerate(pdf.pages) if page.strip().startswith("Bibliography")
                 and i > len(pdf.pages) // 2)
    layout = subprocess.run(["pdftotext", "-f", str(first + 1), "-l", str(first + 1), "-bbox-layout",
                             str(PDF), "-"], capture_output=True, text=True).stdout
    lefts = sorted({round(float(x)) for x in re.findall(r'<line xMin="([\d.]+)"', layout)})
    assert len([x for x in lefts if x < lefts[0] + 30]) >= 2, lefts  # margin and indent
    text = "".join(pdf.pages)
    assert "ab_channel=ГИПЕРБОРЕЙ" in "".join(text.split()) and "%D0%93" not in text
    encoded = "https://www.youtube.com/watch?v=mFzC0IykVLU&ab_channel=%D0%93%D0%98%D0%9F%D0%95%D0%A0%D0%91%D0%9E%D0%A0%D0%95%D0%99"
    assert any(link.uri == encoded for link in pdf.links)


def test_glossary_terms_are_in_the_pdf_and_linked(pdf):
    source = (ROOT / "book" / "acronyms.md").read_text(encoding="utf-8")
    terms = re.findall(r"^(\S[^\n]*)\n  \S", source.split("```{glossary}")[1], flags=re.M)
    assert len(terms) > 10
    pages = pdf.page_of("Acronyms and definitions ACLED")
    assert len(pages) == 1
    glossary = squash("".join(pdf.pages[pages[0] - 1: pages[0] + 1]))
    for term in terms:
        assert squash(term) in glossary, term
    # The Introduction's glossary links ({term}) lead to the glossary.
    introduction = pdf.page_of("A wave of demonstrations demanding lower gas prices")
    targets = {pdf.destinations[link.destination] for link in pdf.links
               if link.page in introduction and link.destination}
    assert pages[0] in targets or pages[0] + 1 in targets


def html_figures_and_tables() -> tuple[list[tuple[str, str]], list]:
    """(caption, image file) of every figure, and a caption or the header and first row of
    every table, of the HTML pages that the PDF prints (the errata's table excepted: the PDF
    prints a reader's table of it; and the numbers' appendix, whose rows give a page in the PDF
    where the web book gives a section: tests/test_quantities.py reads it)."""
    figures, tables = [], []
    from bs4 import BeautifulSoup

    omitted = set(CONFIG["sphinx"]["config"]["thesis_print_omit"])
    for docname in PRINTED:
        soup = BeautifulSoup((HTML / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
        article = soup.select_one("article.bd-article")
        # What the PDF leaves out (thesis_print_omit: a section by its label, or a class).
        for element in article.find_all(lambda e: e.get("id") in omitted
                                        or omitted & set(e.get("class") or [])):
            section = element if element.name != "span" else element.find_parent("section")
            if section is not None:
                section.decompose()
        html = str(article)
        for figure in re.findall(r"<figure.*?</figure>", html, flags=re.S):
            caption = re.search(r"<figcaption>(.*?)</figcaption>", figure, flags=re.S).group(1)
            caption = re.sub(r'<span class="caption-number">.*?</span>', "", caption, flags=re.S)
            # The provenance legend under a web figure (book_extensions/provenance.py)
            # is the caption's second paragraph; compare the caption itself.
            caption = re.sub(r'<div class="figure-provenance-legend.*', "", caption, flags=re.S)
            image = re.search(r'<img[^>]* src="([^"]+)"', figure).group(1)
            figures.append((text_of(caption), image.rsplit("/", 1)[-1]))
        if docname in ("book/errata", "book/numbers"):
            continue
        for table in re.findall(r"<table.*?</table>", html, flags=re.S):
            caption = re.search(r"<caption>(.*?)</caption>", table, flags=re.S)
            if caption:
                text = re.sub(r'<span class="caption-number">.*?</span>', "", caption.group(1),
                              flags=re.S)
                tables.append(text_of(text))
            else:  # no caption: its header and first row
                head = text_of(re.search(r"<thead>.*?</thead>", table, flags=re.S).group(0))
                row = text_of(re.search(r"<tbody>\s*<tr.*?</tr>", table, flags=re.S).group(0))
                tables.append(None if not head else (head, row))
    return figures, tables


def test_every_chart_and_table_of_the_printed_pages_is_in_the_pdf(pdf):
    """Every chart of the pages the PDF prints is in it once (a chart that the web edition shows
    on two pages, under two captions, is printed under one of them), and every table."""
    figures, tables = html_figures_and_tables()
    assert len(figures) >= 20 and len(tables) >= 12  # 10 survey tables, Tables 1–3
    text = "".join(pdf.squashed_pages)
    for image in {image for _, image in figures}:
        captions = [caption for caption, same in figures if same == image]
        printed = [caption for caption in captions if squash(caption) in text]
        assert len(printed) == 1, f"a chart printed {len(printed)} times: {captions}"
    for table in tables:
        if isinstance(table, str):
            assert squash(table) in text, f"table missing from the PDF: {table[:80]}"
        else:  # every word of its header and first row on one page (cells wrap in columns)
            words = {squash(w) for w in re.findall(r"[^\W_]+", " ".join(table))}
            pages = [page for page in pdf.squashed_pages if all(w in page for w in words)]
            assert pages, f"table missing from the PDF: {' | '.join(table)[:100]}"
    # Numbered and captioned: one "Figure X.Y:" per chart, all in the list of figures.
    captions = re.findall(r"^Figure ([A-Z0-9]+\.\d+): ", "\n".join(pdf.pages), flags=re.M)
    assert len(captions) == len({image for _, image in figures}) == len(set(captions))
    lof = " ".join(pdf.pages[i - 1] for i in pdf.page_of("List of Figures"))
    for number in captions:
        assert number in lof


def test_charts_are_printed_from_the_copies_the_pdf_build_drew(pdf):
    """No notebook draws a chart's printed copy (the web book needs none): its SVG output names
    the call that drew it, the PDF build draws the copy by that call (tools/printed_charts.py),
    and every image of the PDF is such a copy."""
    from jupyter_cache import get_cache

    from book_extensions import records
    from kzthesis.figures import DRAWN_BY
    from tools.results import executed_pages

    charts = []
    for page, notebook, _ in executed_pages(get_cache(str(records.cache_path(ROOT)))):
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                if output.get("metadata", {}).get("image/svg+xml", {}).get(DRAWN_BY):
                    charts.append(page)
                    assert "application/pdf" not in output["data"], page
    assert len(charts) >= 30
    copies = set(records.printed_charts(ROOT).values())
    assert all((ROOT / records.PRINTED_CHARTS / name).is_file() for name in copies)
    tex = (LATEX / "thesis.tex").read_text(encoding="utf-8")
    included = {f"{name}.pdf" for name in re.findall(r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{\{([0-9a-f]+)\}", tex)}
    assert len(included) >= 10 and included <= copies, included - copies


def test_figures_are_vector_graphics_at_a_readable_size(pdf):
    tex = (LATEX / "thesis.tex").read_text(encoding="utf-8")
    graphics = [g.replace("{", "").replace("}", "") for g in
                re.findall(r"\\sphinxincludegraphics(?:\[[^\]]*\])?\{(\{[^}]*\}[^}]*|[^}]*)\}", tex)]
    assert len(graphics) >= 10 and all(g.endswith(".pdf") for g in graphics), graphics
    assert all((LATEX / g).exists() for g in graphics)
    images = subprocess.run(["pdfimages", "-list", str(PDF)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) == 2, "raster images in the PDF:\n" + images
    # Every word, in the text and inside the figures (matplotlib's text is text), is at least
    # about 6.5 pt high; footnote numbers (digits only) are superscripts and may be smaller.
    small = [(page, round(height, 1), word) for page, height, word in word_heights(PDF)
             if height < 7.5 and len(word) > 2 and not word.isdigit()]
    assert not small, small[:20]


def test_tables_fit_the_page(pdf):
    """No line, table row or figure sticks out into the margin."""
    overfull = re.findall(r"^Overfull \\hbox \((\d+\.\d+)pt too wide\)", pdf.log, flags=re.M)
    assert not overfull, f"{len(overfull)} overfull lines (see _build/latex/thesis.log)"
    assert "Overfull \\vbox" not in pdf.log


def test_no_missing_glyphs_or_unresolved_references(pdf):
    assert "Missing character" not in pdf.log
    assert "undefined" not in "\n".join(re.findall(r"^LaTeX Warning:.*$", pdf.log, flags=re.M))
    assert "??" not in "".join(pdf.pages)
    assert "Styler" not in "".join(pdf.pages) and "<Figure size" not in "".join(pdf.pages)


def test_cyrillic_and_kazakh_letters_are_text(pdf):
    """A source title in Kazakh keeps its letters (Ү, І) in the PDF's text."""
    assert "KҮSHІMІZ" in "".join(pdf.pages)
    fonts = subprocess.run(["pdffonts", str(PDF)], capture_output=True, text=True).stdout
    assert "FreeSerif" in fonts


def test_fonts_cover_the_kazakh_alphabet(tmp_path):
    """The fonts of latex_elements.fontpkg typeset every Kazakh letter, upright, italic and bold,
    without a missing glyph (XeLaTeX logs "Missing character" and prints nothing)."""
    fontpkg = CONFIG["sphinx"]["config"]["latex_elements"]["fontpkg"]
    sample = f"{KAZAKH} ǴǵIıŃńŞşÝý"
    document = (r"\documentclass{article}\usepackage{fontspec}" + fontpkg +
                r"\begin{document}" + sample + r"\par\textit{" + sample + r"}\par\textbf{" + sample +
                r"}\par\textsf{" + sample + r"}\par\texttt{" + sample + r"}\end{document}")
    log = compile_xelatex(tmp_path, document)
    assert "Missing character" not in log


def test_missing_glyphs_fail_the_pdf_build(tmp_path):
    """The check can fail: a letter that the fonts lack (CJK) is caught in the log."""
    from tools.build import latex_log_problems

    fontpkg = CONFIG["sphinx"]["config"]["latex_elements"]["fontpkg"]
    log = compile_xelatex(tmp_path, r"\documentclass{article}\usepackage{fontspec}" + fontpkg +
                          r"\begin{document}漢字 \ref{nowhere}\end{document}")
    problems = latex_log_problems(log)
    assert any(p.startswith("Missing character") for p in problems), problems
    assert any("undefined reference nowhere" in p for p in problems), problems


def test_a_missing_glyph_is_traced_to_the_source_line(tmp_path, monkeypatch):
    """XeLaTeX names the character, not where it was written: the build finds the line."""
    from tools import build

    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "chapter9.md").write_text("# A chapter\n\nA smile 😀 here.\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a\n😀\n", encoding="utf-8")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    log = "Missing character: There is no 😀 (U+1F600) in font FreeSerif:mode=node;language=dflt;!\n"
    problems = build.latex_log_problems(log)
    assert "  book/chapter9.md:3: 😀 (U+1F600) is written here; the PDF's fonts have no glyph for it" in problems
    assert any(p.startswith("  data/x.csv:2: 😀") for p in problems), problems


def compile_xelatex(folder: Path, document: str) -> str:
    (folder / "sample.tex").write_text(document, encoding="utf-8")
    subprocess.run(["xelatex", "-interaction=nonstopmode", "sample.tex"], cwd=folder,
                   capture_output=True, text=True, timeout=120)
    return (folder / "sample.log").read_text(encoding="utf-8", errors="replace")


def test_internal_links_work(pdf):
    internal = [link for link in pdf.links if link.destination]
    assert len(internal) > 300
    broken = [link for link in internal if link.destination not in pdf.destinations]
    assert not broken, broken[:10]
    # The contents link every chapter to the page it starts on.
    contents = pdf.page_of("Contents Abstract")
    targets = {pdf.destinations[link.destination] for link in internal
               if link.page in (contents[0], contents[0] + 1)}
    for _, _, docname in toc_pages():
        title = title_of(docname)
        # A chapter's first page begins with its title (after "Chapter N" or "Appendix X"); a
        # later page begins with its running head, and may mention the title near its top.
        opening = re.compile(rf"(?:chapter\d+|appendix[a-z])?{re.escape(squash(title))}")
        start = next(i for i, page in enumerate(pdf.squashed_pages, 1)
                     if i not in (contents[0], contents[0] + 1) and opening.match(page))
        assert start in targets, (docname, start)


def test_pdf_metadata(pdf):
    assert pdf.info["Title"] == CONFIG["title"]
    assert pdf.info["Subject"] == CONFIG["sphinx"]["config"]["epub_description"]
    assert pdf.info["Keywords"] == ", ".join(CONFIG["sphinx"]["config"]["thesis_pdf_keywords"])
    assert not pdf.info.get("Author")
    assert pdf.catalog.get("/Lang") == "u:en"
    assert pdf.info["Page size"].endswith("(A4)")


def test_page_count_is_sane(pdf):
    pages = int(pdf.info["Pages"])
    assert 60 <= pages <= 250, pages
    assert len(pdf.pages) == pages


def test_latex_files_come_from_the_pdf_package_group(pdf):
    """Every file XeLaTeX read belongs to a Debian package that `tools/debian-packages.sh pdf`
    installs, or to one of their dependencies: the group suffices on a fresh machine."""
    script = (ROOT / "tools" / "debian-packages.sh").read_text(encoding="utf-8")
    group = re.search(r'\[pdf\]="([^"]+)"', script).group(1).split()
    closure = set(subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *group],
        capture_output=True, text=True, check=True).stdout.split()) | set(group)
    files = set()
    for line in (LATEX / "thesis.fls").read_text(encoding="utf-8").splitlines():
        if line.startswith("INPUT /usr/"):
            files.add(os.path.realpath(line.split(" ", 1)[1]))
    # The font files of latex_elements.fontpkg (XeLaTeX does not list fonts in the .fls).
    files |= {os.path.realpath(path) for path in font_files()}
    # sphinx.sty only tests whether fontawesome5.sty exists (iconpackage=none is set).
    probes = {p for p in files if p.endswith("/fontawesome5.sty")}
    owners = subprocess.run(["dpkg", "-S", *sorted(files - probes)], capture_output=True,
                            text=True)
    assert not owners.stderr.strip(), owners.stderr  # every file comes from a Debian package
    packages = {line.split(":", 1)[0] for line in owners.stdout.splitlines()}
    assert packages and packages <= closure, packages - closure
    fonts = subprocess.run(["pdffonts", str(PDF)], capture_output=True, text=True).stdout
    for line in fonts.splitlines()[2:]:
        name = line.split()[0].split("+")[-1]
        # The fonts of fontpkg; the charts are set in FreeSerif too (kzthesis/figures.py).
        assert re.match(r"(FreeSerif|FreeSans|FreeMono)", name), name


def font_files() -> list[str]:
    """Every font file that latex_elements.fontpkg names (`\\setmainfont{Base}[Extension=…,
    UprightFont=*, ItalicFont=*Italic, …]`), found as XeLaTeX finds it (kpathsea)."""
    fontpkg = CONFIG["sphinx"]["config"]["latex_elements"]["fontpkg"]
    names = []
    for base, options in re.findall(r"\\set\w+font\{([^}]+)\}\[([^\]]+)\]", fontpkg):
        settings = dict(re.findall(r"(\w+)\s*=\s*([^,\s]+)", options))
        for key in ("UprightFont", "ItalicFont", "BoldFont", "BoldItalicFont"):
            if key in settings:
                names.append(settings[key].replace("*", base) + settings.get("Extension", ""))
    assert len(names) >= 12, names
    found = []
    for name in names:
        path = subprocess.run(["kpsewhich", name], capture_output=True, text=True).stdout.strip()
        assert path, f"font file {name} (latex_elements.fontpkg) is not installed"
        found.append(path)
    return found


def test_copy_outside_git_builds_the_pdf_and_says_so(project_copy):
    """A copy without version control builds the PDF (the title page says the commit is
    unknown), executing nothing, and writes only into _build/."""
    from test_cache import source_snapshot

    before = source_snapshot(project_copy)
    result = build(project_copy, "pdf")
    assert result.returncode == 0, result.output[-5000:]
    assert result.executed() == []
    copy = Pdf(project_copy / "_build" / "latex" / "thesis.pdf")
    # On the back of the title page.
    assert "from commit unknown (not a git checkout)" in " ".join(copy.pages[1].split())
    assert source_snapshot(project_copy) == before


def test_build_commit_and_date_come_from_the_build(tmp_path, monkeypatch):
    """The title page's commit: the short hash, marked when the tree differs from it, a note
    outside git; the date: today, or SOURCE_DATE_EPOCH for a reproducible build."""
    from book_extensions.latex import build_commit, build_date

    assert build_commit(tmp_path) == "unknown (not a git checkout)"
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "page.md").write_text("text\n")
    subprocess.run([*git, "add", "page.md"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert build_commit(tmp_path) == head
    (tmp_path / "page.md").write_text("changed\n")
    assert build_commit(tmp_path) == f"{head} + uncommitted changes"
    # A copy of the project inside some other checkout is not a checkout of the project.
    (tmp_path / "copy").mkdir()
    assert build_commit(tmp_path / "copy") == "unknown (not a git checkout)"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1641772800")  # 10 January 2022, 00:00 UTC
    assert build_date() == "10 January 2022"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    today = dt.date.today()
    assert build_date() == f"{today.day} {today:%B} {today.year}"


def test_pdf_notes_follow_the_same_words_as_in_the_copy_text(pdf):
    """Each of the 177 markers, in order, follows the word that its marker follows in the HTML
    (which tests/test_collation.py holds to the copy-text's place)."""
    from tools import collation
    from kzthesis.edition import normalise

    def bare(word: str) -> str:
        return re.sub(r"\W", "", normalise(word))

    in_html = {}
    for page in collation.PAGES:
        for word in collation.edition_words(HTML / "book" / f"{page}.html"):
            for number in word.notes:
                in_html[number] = bare(word.text)
    markers = pdf.note_markers
    assert [number for number, _ in markers] == list(range(1, 178))
    # A word hyphenated at a line end leaves its last part before the marker.
    differing = [(n, word, in_html[n]) for n, word in markers if n not in collation.MOVED_NOTES
                 and not (bare(word) and in_html[n].endswith(bare(word)))]
    assert differing == []


def test_pdf_text_layer_collates_with_the_copy_text(pdf):
    """The PDF's running prose, read from its text layer, departs from the copy-text only where
    the edition notes or the errata say (tools/collation.py: collate_pdf)."""
    from tools import collation

    result = collation.collate_pdf(pdf.path)
    assert result.compared > 25_000
    assert [str(d) for d in result.unexplained] == []
    # The comparison sees the edition's departures in the PDF too, e.g. the recomputed "40".
    assert any(d.page == "chapter1" and d.edition_norm == "40" for d in result.differences)


# --- the PDF reads as a thesis (issue 17) ----------------------------------------------------------
# Each of these failed on the PDF before the print edition was given its own contents and page
# (checked on a copy of that PDF with the same Pdf reader; see the commit message).

# What code, program output or the build's machinery leaves in a text: Python statements, the
# package's and the project's file names, calls of the package's functions, pandas' columns of
# booleans, the benchmark.
CODE_OR_OUTPUT = re.compile(
    r"^\s*(?:from \w+ import|import \w+|def \w+\(|>>>)"
    r"|\bkzthesis\b|\b(?:data|notebooks|book|tools|_build)/|\.(?:py|csv|ipynb|md)\b|references\.bib"
    r"|\b[a-z]+_[a-z_]+\(|^(?:\s*(?:True|False)){2,}\s*$|\bbenchmark|\bmake bench\b",
    flags=re.M)


def test_no_page_carries_code_or_program_output(pdf):
    """The PDF is the thesis and this edition's matter written for a reader: no code cell, no
    program output, no benchmark, no file of the project named."""
    from book_extensions.citation_style import displayed_url

    # A web address of a note may hold such names ("…/book/838363/…"): a match inside the text
    # of a link's address (the line before it included, where the address broke) is no code.
    addresses = [a.replace("-", "") for link in pdf.links if link.uri
                 for a in (link.uri, displayed_url(link.uri))]
    found = []
    for number, page in enumerate(pdf.pages, 1):
        if page.lstrip().startswith("Where the numbers come from"):
            continue  # the appendix whose subject is the data file and row behind each number
        for match in CODE_OR_OUTPUT.finditer(page):
            start = page.rfind("\n", 0, page.rfind("\n", 0, match.start())) + 1
            end = min(i for i in (page.find(c, match.end()) for c in " \n") if i >= 0)
            around = page[start:end].split()
            words = ["".join(around[i:]).replace("-", "").strip(".,;:()") for i in range(len(around))]
            if not any(word in address for word in words[-2:] for address in addresses):
                found.append((pdf.page_labels[number - 1], match.group(0).strip()))
    assert found == []


def test_the_appendix_of_origins_prints_each_class_unbroken(pdf):
    """The class column of "Where the numbers come from" holds "computed" on one line (at a
    tenth of the line, every row read "com-puted")."""
    appendix = "\n".join(p for p in pdf.pages if p.lstrip().startswith("Where the numbers come from"))
    assert "computed" in appendix
    assert re.search(r"\bputed\b", appendix) is None


def test_each_chart_is_printed_once(pdf):
    """One drawing per chart: no two pages draw the same chart, and the List of Figures lists
    exactly the charts there are."""
    twice = {digest[:8]: pages for digest, pages in pdf.charts.items() if len(pages) > 1}
    assert twice == {}
    lof = [i for i, page in enumerate(pdf.pages) if page.lstrip().startswith("List of Figures")]
    entries = re.findall(r"^\s*([A-Z0-9]+\.\d+)\s", "\n".join(pdf.pages[i] for i in lof), flags=re.M)
    assert len(entries) == len(set(entries)) == len(pdf.charts)


def test_figure_numbers_follow_their_chapter_or_appendix(pdf):
    """A figure's number starts with the number or letter of the chapter or appendix it is in
    (the running head or the chapter's opening says which); unnumbered chapters have none."""
    current, wrong = None, []
    for number, page in enumerate(pdf.pages, 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        if not lines:
            continue
        opening = re.fullmatch(r"(?:CHAPTER (\d+)|APPENDIX ([A-Z]))", lines[0])
        head = re.match(r"(\d+|[A-Z])\. ", lines[0])
        if opening:
            current = opening.group(1) or opening.group(2)
        elif head:
            current = head.group(1)
        elif not re.match(r"(?:CHAPTER|APPENDIX) ", lines[0]):
            current = None  # an unnumbered chapter: its head is its title
        for figure in re.findall(r"^Figure ([A-Z0-9]+)\.\d+:", page, flags=re.M):
            if figure != current:
                wrong.append((pdf.page_labels[number - 1], figure, current))
    assert wrong == []


def test_no_type_3_fonts(pdf):
    """Every font, the charts' included, is embedded as TrueType or OpenType outlines."""
    fonts = subprocess.run(["pdffonts", str(PDF)], capture_output=True, text=True).stdout
    assert "Type 3" not in fonts, fonts


def test_lines_of_the_body_hold_60_to_75_characters(pdf):
    """The measure of a thesis page: the median line of body text (the words in the body's type
    size, as pdftotext reads them) has at most 75 characters, and not fewer than 60."""
    import statistics

    lengths = [len(text) for _, text in pdf.body_lines if len(text.split()) > 3]
    assert len(lengths) > 1000
    assert 60 <= statistics.median(lengths) <= 75, statistics.median(lengths)


def test_page_labels_are_unique(pdf):
    labels = pdf.page_labels
    assert len(labels) == int(pdf.info["Pages"])
    assert sorted({label for label in labels if labels.count(label) > 1}) == []


def test_bookmarks_have_contents_numbers_and_appendix_letters(pdf):
    titles = [title for _, title in pdf.bookmarks]
    assert "Contents" in titles
    assert "1 The Soviet Union and early Kazakhstan" in titles
    assert "1.1 Legacy of the Soviet Union" in titles
    assert "A Survey results" in titles and "C Chronology of the events" in titles


@pytest.mark.book  # poppler's pdffonts and pdftotext, which `make test` installs
def test_a_printed_chart_is_set_in_freeserif_even_for_letters_outside_its_copy(tmp_path):
    """The printed copy of a chart embeds the smaller copy of FreeSerif (kzthesis.figures
    _chart_copy_of_font) and, for a letter the copy lacks, FreeSerif itself: every letter is
    drawn, none is a missing glyph, all as TrueType."""
    import warnings

    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure

    from kzthesis import figures

    label = "Қазақстан ₸ 95% confidence, fi — אלף"  # Kazakh, tenge, a ligature; Hebrew: outside
    with figures.print_medium(), warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of a glyph missing from every font
        figures.apply_style()
        figure, axes = plt.subplots()
        axes.set_title(label)
        chart = tmp_path / "chart.pdf"
        chart.write_bytes(print_figure(figure, fmt="pdf", bbox_inches=None))
        plt.close(figure)
    fonts = subprocess.run(["pdffonts", str(chart)], capture_output=True, text=True).stdout
    embedded = [line.split() for line in fonts.splitlines()[2:]]
    assert len(embedded) >= 2  # the copy, and FreeSerif for the Hebrew letters
    assert all(row[0].split("+")[-1] == "FreeSerif" and row[1:3] == ["CID", "TrueType"]
               for row in embedded), fonts
    text = subprocess.run(["pdftotext", str(chart), "-"], capture_output=True, text=True).stdout
    assert "Қазақстан ₸ 95% confidence, fi" in text and "אלף" in text[::-1] + text, text
    with figures.print_medium():
        from matplotlib import font_manager

        copy = font_manager.findfont(figures.PRINT_CHART_FONT, fallback_to_default=False)
    assert "kzthesis-chart-fonts" in copy and copy.endswith(".ttf"), copy
