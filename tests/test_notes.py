"""The thesis's 177 footnotes keep the author's numbers in every edition: one note per footnote,
numbered through the thesis in reading order (book_extensions/notes.py)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from conftest import HTML, text_of

THESIS_NOTES = 177
# Notes of each page of the thesis, as the copy-text numbers them.
NOTES_PER_PAGE = {"introduction": (1, 1), "chapter1": (2, 29), "chapter2": (30, 92),
                  "chapter3": (93, 135), "chapter4": (136, 176), "chronology": (177, 177)}


def html_notes(page: str, root=None) -> list[tuple[str, str, str]]:
    """(marker number, note number, note text) of every note of a built HTML page, in order."""
    html = ((root / "_build" / "html") if root else HTML) / "book" / f"{page}.html"
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    notes = {aside["id"]: aside for aside in soup.select("aside.footnote")}
    found = []
    for ref in soup.select("a.footnote-reference"):
        note = notes[ref["href"].lstrip("#")]
        label = note.select_one(".label").get_text(strip=True).strip("[]")
        body = " ".join(p.get_text() for p in note.find_all("p"))
        found.append((ref.get_text(strip=True).strip("[]"), label, " ".join(body.split())))
    return found


def test_html_notes_are_numbered_1_to_177_through_the_pages(built_book):
    numbers = []
    for page, (first, last) in NOTES_PER_PAGE.items():
        notes = html_notes(page)
        assert [int(marker) for marker, _, _ in notes] == list(range(first, last + 1)), page
        assert all(marker == label for marker, label, _ in notes), page
        numbers += [int(marker) for marker, _, _ in notes]
    assert numbers == list(range(1, THESIS_NOTES + 1))


def test_one_note_lists_several_sources_and_a_repeated_source_is_short(built_book):
    notes = {int(n): text for n, _, text in html_notes("chapter2")}
    # Note 43 of the thesis lists three sources, as printed, separated by semicolons.
    assert notes[43].count("; ") == 2 and notes[43].startswith("See the Russian Authors: Golosov, Grigorii.")
    assert "outside-system/; Eliseeva, Natalia." in notes[43]
    # A remark and its source stay one note: the remark, then the source.
    assert notes[59].startswith("Duvanov, a prominent 49-year-old journalist")
    assert "Committee to Protect Journalists" in notes[59]
    # A lost footnote keeps its number and says so.
    for lost in (76, 78, 79, 80, 81, 83):
        assert notes[lost] == "The text of this footnote is missing in the source document.", lost


def test_a_repeated_citation_prints_the_short_form(built_book):
    """Wheatley's book is cited in full in note 14 and again, in short, in note 15; the
    bibliography keeps the full form."""
    notes = {int(n): text for n, _, text in html_notes("chapter1")}
    assert notes[14].startswith("Wheatley, J. Georgia from National Awakening to Rose Revolution.")
    assert notes[15] == "Wheatley, Georgia from National Awakening to Rose…"
    bibliography = text_of((HTML / "book" / "bibliography.html").read_text(encoding="utf-8"))
    assert "Wheatley, J. Georgia from National Awakening to Rose Revolution." in bibliography


def test_adding_a_note_renumbers_the_later_pages(project_copy):
    """A note added in chapter 1 makes chapter 2's first note 31, without editing chapter 2."""
    from conftest import build

    page = project_copy / "book" / "chapter1.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("three subparagraphs", "three subparagraphs[^added]", 1)
                    + "\n[^added]: An added note.\n", encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert html_notes("chapter2", project_copy)[0][0] == "31"
    assert text_of((project_copy / "_build" / "html" / "book" / "chapter1.html").read_text()).count(
        "An added note.") == 1
