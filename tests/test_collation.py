"""The edition reproduces its copy-text exactly, and lists every departure: the rendered text of
every thesis page is collated with copy-text/thesis.txt (tools/collation.py), and each remaining
difference must be a row of book/edition-notes.csv or a recomputed number of the errata."""

from __future__ import annotations

import csv
import re
import shutil

import pytest

from conftest import HTML
from tools import collation


@pytest.fixture(scope="module")
def collated(built_book) -> collation.Collation:
    """The built book collated once for the module (a few seconds each time)."""
    return collation.collate(HTML)


def test_every_difference_from_the_copy_text_is_listed(collated):
    assert [str(d) for d in collated.unexplained] == []
    assert [(n["row"], n["seed_text"]) for n in collated.stale] == []
    # The collation compared the whole thesis, and found the edition's departures.
    assert collated.compared > 30_000
    assert len(collated.differences) > 50


def test_each_note_stands_where_the_copy_text_puts_its_marker(built_book):
    places = {}
    for page in collation.PAGES:
        places.update(collation.note_places(page, HTML / "book" / f"{page}.html"))
    assert sorted(places) == list(range(1, 178))
    # Within two words of the word the copy-text's marker follows: the same sentence.
    misplaced = {n for n, place in places.items() if place[1] is None or place[1] > 2}
    assert misplaced == set(collation.MOVED_NOTES)


def test_every_recomputed_number_that_disagrees_is_a_listed_difference(collated):
    for row in collation.errata_record():
        assert any(d.page == row["page"] and d.copy_norm.rstrip("%") == row["printed"]
                   and d.edition_norm.rstrip("%") in collation.printed_forms(row["recomputed"], row["printed"])
                   for d in collated.differences), row


@pytest.fixture()
def doctored_html(tmp_path):
    """A copy of the built thesis pages, to change as a careless edit would."""
    shutil.copytree(HTML / "book", tmp_path / "book")
    return tmp_path


def edit(html_dir, page: str, old: str, new: str) -> None:
    path = html_dir / "book" / f"{page}.html"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("page, old, new, line", [
    # A silent change of case, a dropped full stop, a changed number, a lost table row.
    ("chapter2", "Obviously, the government did not", "obviously, the government did not", 1584),
    ("chapter1", "the living", "the living.", 293),
    ("survey-results", '<td class="text-left"><p>No answers.</p></td>', '<td class="text-left"><p></p></td>', 5440),
])
def test_an_unlisted_difference_fails_naming_page_and_line(collated, doctored_html, page, old, new, line):
    assert collated.unexplained == []  # the pages before the edit (doctored_html copies them)
    edit(doctored_html, page, old, new)
    found = collation.collate(doctored_html).unexplained
    assert [d.page for d in found] == [page]
    assert abs(found[0].line - line) <= 2, str(found[0])


def test_a_note_that_explains_nothing_is_stale(built_book, tmp_path):
    notes = tmp_path / "edition-notes.csv"
    shutil.copy(collation.EDITION_NOTES, notes)
    with notes.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            ["chapter1", "277", "spelling", "Legacy of the Soviet Union.", "Legacy of the Soviet Unions",
             "A correction the book does not print."])
    stale = collation.collate(HTML, notes).stale
    assert [n["edition_text"] for n in stale] == ["Legacy of the Soviet Unions"]


def test_every_web_address_shows_as_its_link(built_book):
    from bs4 import BeautifulSoup

    from book_extensions.citation_style import displayed_url

    differing = []
    for page in collation.PAGES:
        soup = BeautifulSoup((HTML / "book" / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        for link in soup.select("article a.reference.external"):
            shown = link.get_text()
            # Encoded letters show as letters (citation_style.displayed_url); nothing else differs.
            if shown.startswith("http") and shown != displayed_url(link["href"]):
                differing.append((page, shown, link["href"]))
    assert differing == []


# Footnotes whose language mark the copy-text lost with the end of the footnote, restored from
# the source's title (each said in its edition note).
INFERRED_LANGUAGE_MARKS = {82}


def thesis_notes():
    """(number, note element) of every thesis note of the built HTML, in order."""
    from bs4 import BeautifulSoup

    for page in ("introduction", "chapter1", "chapter2", "chapter3", "chapter4", "chronology"):
        soup = BeautifulSoup((HTML / "book" / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        for note in soup.select("aside.footnote[id^=note-]"):
            yield int(note["id"].removeprefix("note-")), note


def test_notes_print_a_language_mark_only_where_the_thesis_prints_one(built_book):
    copy = collation.copy_text_footnotes()
    added = []
    for number, note in thesis_notes():
        if number not in copy or number in INFERRED_LANGUAGE_MARKS:
            continue
        marks = len(re.findall(r"\[In (?:Russian|Kazakh)\]", note.get_text(" ")))
        # "[In" cut off at the end of a footnote counts as its mark.
        printed = len(re.findall(r"\[In(?: Russs?ian| Kazakh|$)", copy[number]))
        if marks > printed:
            added.append(number)
    assert added == []


def test_a_note_keeps_the_words_that_introduce_its_sources(built_book):
    # "See …", "The chronology of events is based on: …": the author's words before a source.
    copy = collation.copy_text_footnotes()
    lost = []
    for number, note in thesis_notes():
        opening = re.match(r"(See|The chronology of events is based on:)", copy.get(number, ""))
        text = " ".join(p.get_text(" ") for p in note.find_all("p"))
        if opening and not " ".join(text.split()).startswith(opening.group(1)):
            lost.append(number)
    assert lost == []
