"""Quoted quantities are data (data/quoted_quantities.csv): the loader's checks, the pages that
print them from the table, the appendix "Where the numbers come from" and the origin shown at
each number (book_extensions/quantities.py)."""

from __future__ import annotations

import csv
import re

from bs4 import BeautifulSoup

from conftest import HTML, build, edit_row, text_of, validation_problems
from kzthesis import data, quoted


def rows(copy) -> list[dict]:
    with (copy / "quoted_quantities.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def changed(copy, quantity_id: str, **values) -> int:
    """Change the row `quantity_id` of the copy; its line in the file."""
    return edit_row(copy / "quoted_quantities.csv", quantity_id, **values)


problems = validation_problems


# --- the loader ------------------------------------------------------------------------------------

def test_the_table_is_valid_and_every_value_reads_as_a_number():
    assert problems() == []
    assert quoted.bounds("1,100") == (1100, 1100)
    assert quoted.bounds("20–30 thousand") == (20_000, 30_000)
    assert quoted.bounds("63.4 million") == (63_400_000, 63_400_000)


def test_a_share_above_100_is_refused(data_copy):
    line = changed(data_copy, "imports-russia-share", printed="138.5")
    assert problems() == [f"data/quoted_quantities.csv, line {line}, column 'printed': a share of 138.5 "
                          f"percent: shares lie within 0-100"]


def test_a_part_larger_than_its_whole_is_refused(data_copy):
    line = changed(data_copy, "csto-russia", printed="2,480")
    assert problems() == [f"data/quoted_quantities.csv, line {line}, column 'printed': the part (2480) is "
                          f"larger than its whole 'csto-contingent' (2030)"]


def test_one_quantity_quoted_twice_has_one_value(data_copy):
    first = next(i for i, row in enumerate(rows(data_copy)) if row["quantity"] == "pandora-payment") + 2
    line = changed(data_copy, "pandora-payment-2", printed="31 million")
    assert problems() == [f"data/quoted_quantities.csv, line {line}, column 'printed': quantity "
                          f"'pandora-payment' is 31 million here but 30 million on line {first}: one "
                          f"quantity has one value"]


def test_a_source_without_the_note_that_cites_it_is_refused(data_copy):
    line = changed(data_copy, "protest-days", source="afk2022yanvarya")
    assert problems() == [f"data/quoted_quantities.csv, line {line}, column 'source': a source without the "
                          f"thesis's note that cites it (column 'note'): a quantity the thesis gives no note "
                          f"for has no source"]


def test_a_whole_that_is_no_row_is_refused(data_copy):
    changed(data_copy, "csto-russia", whole="csto-total")
    assert any("quoted_quantities.csv" in p and "whole" in p for p in problems()), problems()


def test_the_quantities_without_a_note_are_reported_not_given_a_source():
    missing = quoted.without_note()
    assert len(missing) > 0 and missing["source"].isna().all()
    assert "militants-claimed" in missing.index  # its paragraph's note cites the CSTO treaty


# --- the built book --------------------------------------------------------------------------------

def quoted_spans(page: str) -> dict[str, str]:
    soup = BeautifulSoup((HTML / "book" / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    return {span["data-quantity"]: span.get_text() for span in soup.select("span.quantity-quoted")}


def test_each_row_is_printed_as_the_table_prints_it_with_its_origin(built_book):
    table = quoted.table()
    for page in set(table["page"]):
        spans = quoted_spans(page)
        for key in table.index[table["page"] == page]:
            assert spans.get(key) == table.at[key, "printed"], key
    soup = BeautifulSoup((HTML / "book" / "chapter4.html").read_text(encoding="utf-8"), "html.parser")
    number = soup.select_one("span[data-quantity='imports-russia-share']")
    origin = soup.find(id=number["aria-describedby"])
    assert origin.get_text() == (
        "Quoted: share of Russia in Kazakhstan's imports (Kazakhstan, January-April 2022): 38.5%. "
        "Source: note 154, Association of Financiers of Kazakhstan, S yanvarya po aprel' dolya Rossii… "
        "Data: data/quoted_quantities.csv, line 106; copy-text line 4344.")
    assert origin.select_one("a")["href"] == "#note-154"
    assert soup.find(id="note-154") is not None


def test_a_computed_number_names_its_computation_inputs_row_and_notebook_cell(built_book):
    soup = BeautifulSoup((HTML / "book" / "chapter3.html").read_text(encoding="utf-8"), "html.parser")
    number = soup.select_one("span[data-quantity='q1o1-n']")
    origin = soup.find(id=number["aria-describedby"])
    assert "77 of 124 respondents chose 'Poverty and other social problems.' in question 1" in origin.get_text()
    assert "data/survey_options.csv, line 2" in origin.get_text()
    assert origin.select_one("a")["href"] == "../notebooks/survey.html#drawn-survey-question-figure-1"
    assert soup.select_one("span[data-quantity='q1o1-pct']").find_next_sibling(
        "span", class_="quantity-origin").get_text().endswith("The thesis printed 67.1.")


def test_the_appendix_lists_every_quoted_quantity_of_the_table(built_book):
    soup = BeautifulSoup((HTML / "book" / "numbers.html").read_text(encoding="utf-8"), "html.parser")
    listed = soup.select("table.numbers-origins tbody tr")
    classes = [row.select("td")[2].get_text(strip=True) for row in listed]
    assert classes.count("quoted") == len(quoted.table())
    assert classes.count("computed") > 50
    # Each row links to its number.
    first = listed[0].select_one("a")
    page, anchor = first["href"].split("#")
    assert BeautifulSoup((HTML / "book" / page).read_text(encoding="utf-8"), "html.parser").find(id=anchor)


def article_words(root, page: str) -> list[str]:
    """The words of a page's article, without the About page's citation box (it names the
    build's commit, which differs in a copy of the project)."""
    html = (root / "_build" / "html" / page).read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article")
    for stamp in article.select(".cite-this-edition"):
        stamp.decompose()
    return text_of(str(article)).split()


def test_changing_one_quoted_quantity_changes_every_place_it_is_printed_and_nothing_else(
        built_book, project_copy):
    """38.5 → 37.9 in data/: chapter 4 prints the new value where it printed the old one, the
    appendix lists it, and no other word of the book changes."""
    pages = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
                   if p.parent.name in ("book", "notebooks"))
    before = {page: article_words(built_book.root, page) for page in pages}
    changed(project_copy / "data", "imports-russia-share", printed="37.9")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    after = {page: article_words(project_copy, page) for page in pages}
    differing = sorted(page for page in pages if before[page] != after[page])
    assert differing == ["book/chapter4.html", "book/numbers.html"]
    for page in differing:
        pairs = [(old, new) for old, new in zip(before[page], after[page]) if old != new]
        assert len(before[page]) == len(after[page])
        assert pairs and all(re.sub("38.5", "37.9", old) == new for old, new in pairs), pairs
    assert [pair for pair in zip(before["book/chapter4.html"], after["book/chapter4.html"])
            if pair[0] != pair[1]] == [("38.5%,", "37.9%,")]


def test_a_row_whose_source_the_note_after_its_number_does_not_cite_fails_the_build(project_copy):
    changed(project_copy / "data", "imports-russia-share", source="zemskov2012masshtaby")
    result = build(project_copy)
    assert result.returncode != 0
    assert ("data/quoted_quantities.csv: row 'imports-russia-share' gives the source zemskov2012masshtaby, "
            "but the note after the number in its paragraph cites afk2022yanvarya") in result.output, \
        result.output[-3000:]


def origin_of(root, page: str, key: str):
    soup = BeautifulSoup((root / "_build" / "html" / "book" / f"{page}.html").read_text(encoding="utf-8"),
                         "html.parser")
    return soup.find(id=soup.select_one(f"span[data-quantity='{key}']")["aria-describedby"])


def appendix_origin(root, key: str) -> str:
    soup = BeautifulSoup((root / "_build" / "html" / "book" / "numbers.html").read_text(encoding="utf-8"),
                         "html.parser")
    origin_cell = next(row.select("td")[3] for row in soup.select("table.numbers-origins tbody tr")
                       if f"line {line_of(key)};" in row.get_text())
    return origin_cell.get_text()


def line_of(key: str) -> int:
    return data.line_of(quoted.table(), list(quoted.table().index).index(key))


def test_a_citation_added_before_a_quantity_renumbers_the_note_its_origin_names(built_book, project_copy):
    """The note a quoted quantity's origin names is the note its page prints after it: a source
    cited in the introduction makes note 154 of chapter 4 note 155, in the popup and the appendix."""
    assert "Source: note 154," in origin_of(built_book.root, "chapter4", "imports-russia-share").get_text()
    assert "Source: note 154," in appendix_origin(built_book.root, "imports-russia-share")
    introduction = project_copy / "book" / "introduction.md"
    text = introduction.read_text(encoding="utf-8")
    sentence = "immediately gained support across the country. The Kazakh government"
    assert text.count(sentence) == 1
    introduction.write_text(text.replace(sentence, sentence.replace(
        ". The", "{footcite}`zemskov2012masshtaby`. The")), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    origin = origin_of(project_copy, "chapter4", "imports-russia-share")
    assert "Source: note 155," in origin.get_text()
    assert origin.select_one("a")["href"] == "#note-155"
    assert "Source: note 155," in appendix_origin(project_copy, "imports-russia-share")
    chapter = BeautifulSoup((project_copy / "_build/html/book/chapter4.html").read_text(encoding="utf-8"),
                            "html.parser")
    note = chapter.find(id="note-155")
    assert note is not None and "Association of Financiers of Kazakhstan" in note.get_text()


def test_a_page_naming_a_row_the_table_lacks_fails_the_build(project_copy):
    key = "no-such-row"
    chapter = project_copy / "book" / "chapter4.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("{quoted}`aid-tons`", f"{{quoted}}`{key}`"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode != 0
    assert f"no row '{key}' in data/quoted_quantities.csv" in result.output, result.output[-3000:]


# --- the numbers of the generated tables and the confidence level ----------------------------------

def soup_of(root, page: str) -> BeautifulSoup:
    return BeautifulSoup((root / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def test_each_number_of_a_table_shows_its_origin_and_the_appendix_names_the_table(built_book):
    """Tables 1-3 and the survey's tables: every number of a cell is a computed number with its
    own origin (its data file and row); the appendix gives each table one row naming its file."""
    tables = soup_of(built_book.root, "book/tables")
    cells = [td for table in tables.select("article table") for td in table.select("tbody td")
             if re.search(r"\d", td.get_text())]
    assert len(cells) == 16 + 10 + 28
    for cell in cells:
        number = cell.select_one("span.quantity-computed[tabindex='0']")
        assert number is not None and number.get_text() == cell.get_text().split("Computed")[0], cell
        origin = tables.find(id=number["aria-describedby"])
        assert re.search(r"Data: data/(ethnic_composition|peaceful_assemblies|assembly_nature)\.csv, line \d+",
                         origin.get_text()), origin
    first = tables.select_one("span.quantity-computed[data-quantity='eth-kazakhs-1989']")
    assert tables.find(id=first["aria-describedby"]).get_text().startswith(
        "Computed from the data: share of Kazakhs in the population of Kazakhstan in 1989, as Table 1 "
        f"gives it: {first.get_text()} %. Data: data/ethnic_composition.csv, line 2.")
    survey = soup_of(built_book.root, "book/survey-results")
    assert len(survey.select("article table span.quantity-computed")) == 9 * 4 * 3 + 25 * 3
    appendix = soup_of(built_book.root, "book/numbers")
    rows = [[td.get_text(" ", strip=True) for td in row.select("td")]
            for row in appendix.select("table.numbers-origins tbody tr")]
    table_1 = next(row for row in rows if row[1].endswith("Table number 1"))
    assert table_1[:3] == ["a table's 16 numbers", "Tables , Table number 1", "computed"]
    assert table_1[3].startswith("Each computed from its row of the data (data/ethnic_composition.csv, "
                                 "lines 2–17)")
    assert sum(row[0].startswith("a table's") for row in rows) == 3 + 10


def confidence_numbers(root) -> list:
    """The confidence level printed in the survey's captions and notes."""
    found = []
    for page in ("book/survey-results", "notebooks/survey"):
        found += soup_of(root, page).select("article span.quantity-computed[data-quantity='confidence-pct']")
    return found


def test_the_captions_print_the_confidence_level_that_the_intervals_are_computed_with(built_book):
    from kzthesis.stats import CONFIDENCE

    numbers = confidence_numbers(built_book.root)
    # Ten captions and the note of Survey results, ten captions and the method of the notebook.
    assert len(numbers) == 11 + 11
    assert {n.get_text() for n in numbers} == {f"{100 * CONFIDENCE:g}"}
    in_captions = [n for n in numbers if n.find_parent("figcaption") is not None]
    assert len(in_captions) == 20
    origin = soup_of(built_book.root, "book/survey-results").find(id=numbers[0]["aria-describedby"])
    assert "kzthesis.stats.CONFIDENCE = 0.95" in origin.get_text()
    assert "Defined in: kzthesis/stats.py, line" in origin.get_text()
    # No page types the level: the words "95 %" appear nowhere in the sources of those pages.
    for source in ("book/survey-results.md", "notebooks/survey.md"):
        assert not re.search(r"95 ?%", (built_book.root / source).read_text(encoding="utf-8")), source


def test_changing_the_confidence_level_changes_every_caption_that_prints_it(project_copy):
    stats = project_copy / "kzthesis" / "stats.py"
    text = stats.read_text(encoding="utf-8")
    assert "CONFIDENCE = 0.95" in text
    stats.write_text(text.replace("CONFIDENCE = 0.95", "CONFIDENCE = 0.9"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    numbers = confidence_numbers(project_copy)
    assert len(numbers) == 22 and {n.get_text() for n in numbers} == {"90"}
    survey = soup_of(project_copy, "book/survey-results")
    assert "90% interval (this edition)" in [th.get_text() for th in survey.select("article table th")]
    assert "kzthesis.stats.CONFIDENCE = 0.9," in survey.find(id=numbers[0]["aria-describedby"]).get_text()
