"""Every numeral of the thesis pages has an origin: computed from data/, quoted from a source
through data/quoted_quantities.csv, a date or other number that is not a quantity, or a listed
exception (tools/numerals.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import HTML
from tools import numerals


def test_every_numeral_of_the_thesis_pages_is_classified(built_book):
    found = numerals.classify(HTML)
    counts = numerals.counts(found)
    print("numerals per class:", counts)  # the figures of the report (pytest -s)
    unclassified = [f"{n.page}: {n.text!r} in “{n.sentence}”" for n in found if n.kind == "unclassified"]
    assert unclassified == []
    # The classes are all in use: the thesis quotes, computes and dates.
    assert counts["computed"] > 200 and counts["quoted"] > 100 and counts["date"] > 200


def test_every_quoted_place_of_the_table_is_printed_once(built_book):
    """Each row of data/quoted_quantities.csv is printed exactly once, on its page."""
    from kzthesis import quoted

    table = quoted.table()
    printed: dict[str, int] = {}
    for page in set(table["page"]):
        html = (HTML / "book" / f"{page}.html").read_text(encoding="utf-8")
        for key in table.index[table["page"] == page]:
            printed[key] = html.count(f'data-quantity="{key}"')
    assert {k: n for k, n in printed.items() if n != 1} == {}


def page_with(tmp_path: Path, body: str) -> Path:
    html = tmp_path / "page.html"
    html.write_text(f"<html><body><article>{body}</article></body></html>", encoding="utf-8")
    return html


def test_a_typed_quantity_is_unclassified_and_named_with_its_sentence(tmp_path):
    html = page_with(tmp_path, "<p>On January 11, 2022, 21 politicians were appointed. The "
                               "<span class=\"quantity quantity-quoted\">7</span> new ones.</p>")
    found = {(n.text, n.kind) for n in numerals.classify_page("chapter4", html, [])}
    assert found == {("11", "date"), ("2022", "date"), ("21", "unclassified"), ("7", "quoted")}
    typed = [n for n in numerals.classify_page("chapter4", html, []) if n.kind == "unclassified"][0]
    assert typed.sentence == "On January 11, 2022, 21 politicians were appointed."


def test_notes_and_edition_additions_are_left_out_and_exceptions_need_their_words(tmp_path):
    html = page_with(tmp_path, "<p>The newspaper “Fahrenheit 451” closed.<a class=\"footnote-reference\">"
                               "[12]</a></p><div class=\"thesis-notes\"><p>3 pages.</p></div>"
                               "<div class=\"edition\"><p>95 % interval</p></div>")
    listed = [{"page": "chapter2", "words": "newspaper “Fahrenheit 451”", "numeral": "451", "reason": "a name"}]
    assert [(n.text, n.kind) for n in numerals.classify_page("chapter2", html, listed)] == [("451", "exception")]
    elsewhere = [dict(listed[0], page="chapter3")]
    assert [n.kind for n in numerals.classify_page("chapter2", html, elsewhere)] == ["unclassified"]


def test_the_listed_exceptions_say_why():
    assert all(item["reason"].strip() for item in numerals.exceptions())
