"""Quoted quantities are data (data/quoted_quantities.csv): the loader's checks, the pages that
print them from the table, the appendix "Where the numbers come from" and the origin shown at
each number (book_extensions/quantities.py)."""

from __future__ import annotations

import csv
import re

from bs4 import BeautifulSoup

from conftest import HTML, build, text_of
from kzthesis import data, quoted


def rows(copy) -> list[dict]:
    with (copy / "quoted_quantities.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def write(copy, table: list[dict]) -> None:
    with (copy / "quoted_quantities.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    data.reset()


def changed(copy, quantity_id: str, **values) -> int:
    """Change the row `quantity_id` of the copy; its line in the file."""
    table = rows(copy)
    index = next(i for i, row in enumerate(table) if row["id"] == quantity_id)
    table[index].update(values)
    write(copy, table)
    return index + 2


def problems() -> list[str]:
    return [str(p) for p in data.validate_all()]


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


def test_a_row_whose_note_is_not_the_note_after_its_number_fails_the_build(project_copy):
    changed(project_copy / "data", "imports-russia-share", note="153")
    result = build(project_copy)
    assert result.returncode != 0
    assert ("data/quoted_quantities.csv: row 'imports-russia-share' names note 153, but the first note "
            "after the number in its paragraph is 154") in result.output, result.output[-3000:]


def test_a_page_naming_a_row_the_table_lacks_fails_the_build(project_copy):
    key = "no-such-row"
    chapter = project_copy / "book" / "chapter4.md"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("{quoted}`aid-tons`", f"{{quoted}}`{key}`"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode != 0
    assert f"no row '{key}' in data/quoted_quantities.csv" in result.output, result.output[-3000:]
