"""Where the edition changed the author's words, a sign at the place leads to the list of
emendations and the list leads back (book_extensions/emendations.py, kzthesis.edition)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from conftest import EDITION_MARKS, HTML

from kzthesis.edition import QUOTES, emendations


def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / "book" / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def test_every_emendation_has_its_sign_and_its_entry_both_ways(built_book):
    about = soup("about")
    found = emendations()
    assert len(found) > 30
    for row in found.itertuples():
        number = row.id.split("-")[1]
        page = soup(row.page)
        place = page.find(id=f"emended-{number}")
        assert place is not None, (row.page, row.seed_line, row.edition_text)
        sign = place.find_parent("span", class_="emendation")
        if sign is not None:  # a sign in the text (an emended heading has none)
            assert sign.get_text() == "°"
            assert sign.a["href"] == f"about.html#{row.id}"
        else:
            assert place.find_previous(["h1", "h2", "h3", "h4"]) is not None
        entry = about.find(id=row.id)
        assert entry is not None, row.id
        back = [a["href"] for a in entry.find_all("a")]
        assert f"{row.page}.html#emended-{number}" in back, (row.id, back)


def test_the_sign_follows_the_changed_word_not_the_whole_phrase(built_book):
    # "Kazakhs made up only 39 percent" became "40 percent": the sign stands after "40".
    row = next(r for r in emendations().itertuples() if r.page == "chapter1" and r.seed_line == 481)
    sign = soup("chapter1").find(id=f"emended-{row.id.split('-')[1]}").find_parent("span")
    paragraph = sign.find_parent("p")
    for origin in paragraph.select("span.quantity-origin"):  # shown on demand only
        origin.decompose()
    text = " ".join(paragraph.get_text().split())
    assert "made up only 40° percent of the total population" in text


def test_the_signs_are_not_the_authors_text(built_book):
    # Repairs of the extraction (a dash, a fused footnote number) carry no sign.
    places = {(r.page, r.seed_line) for r in emendations().itertuples()}
    assert ("chapter2", 2467) not in places  # "201487." → "2014" and note 87
    assert ("introduction", 200) not in places  # "twenty four" → "twenty-four"


def test_the_errata_link_each_number_to_its_place_in_the_text(built_book):
    from kzthesis.audit import comparisons

    disagreeing = comparisons()
    disagreeing = disagreeing[~disagreeing["agrees"]]
    rows = soup("errata").select("article table tbody tr")
    assert len(rows) == len(disagreeing)
    for row, expected in zip(rows, disagreeing.itertuples()):
        links = [a["href"] for a in row.find_all("a")]
        assert any(h.startswith(f"{expected.page}.html#emended-") for h in links), links
        cells = [c.get_text(" ", strip=True) for c in row.find_all("td")]
        # The recomputed value at the precision the author printed ("39" → "40", not 39.7).
        assert cells[-2].count(".") == expected.printed.count(".")


def test_every_edition_note_links_to_its_passage(built_book):
    """Not to the top of the page: the list of notes (About) links each note to a label at the
    start of the paragraph (or glossary entry) that holds the words it quotes, or, for a
    heading, of the first paragraph under that heading."""
    from kzthesis.edition import edition_notes, note_label

    def comparable(text: str) -> str:
        return " ".join(text.translate(QUOTES).replace("…", "...").split())

    def words_of(element) -> str:
        """The author's words: without a permalink's "#", a note marker or an emendation sign."""
        furniture = element.select(f"a.headerlink, a.footnote-reference, {EDITION_MARKS}")
        return "".join(t for t in element.find_all(string=True)
                       if not any(t in f.descendants for f in furniture))

    about = soup("about")
    groups = about.select("details.edition-notes-group")
    assert len(groups) == edition_notes()["page"].nunique()
    assert not any(group.has_attr("open") for group in groups)  # collapsed
    links = {a["href"] for group in groups for a in group.select("a[href]")}
    emended = {(r.page, r.seed_line, r.seed_text) for r in emendations().itertuples()}
    pages, under_heading = {}, 0
    for index, row in enumerate(edition_notes().itertuples()):
        if (row.page, row.seed_line, row.seed_text) in emended:
            continue
        label = note_label(index)
        assert f"{row.page}.html#{label}" in links, (row.page, row.seed_line)
        page = pages.setdefault(row.page, soup(row.page))
        target = page.find(id=label)
        assert target is not None, (row.page, row.seed_line, label)
        if target.name == "table":  # a table's own label: its heading, then its cells
            heading = target.find_previous(["h2", "h3"])
            passage = comparable(words_of(heading) + " "
                                 + " ".join(words_of(cell) for cell in target.select("th, td")))
        else:  # a label at the start of a paragraph or of a glossary entry's definition
            holder = target.find_parent("dd") or target.find_parent("p")
            entry = holder.find_previous_sibling("dt") if holder.name == "dd" else None
            passage = comparable((words_of(entry) if entry else "") + " " + words_of(holder))
        if comparable(row.edition_text).replace(" ", "") not in passage.replace(" ", ""):
            heading = target.find_previous(["h1", "h2", "h3", "h4"])
            words = row.edition_text.split(" ", 1)[-1] if row.kind == "numbering" else row.edition_text
            assert comparable(words) in comparable(words_of(heading)), (row.page, row.seed_line)
            under_heading += 1
    assert under_heading < 40  # most notes quote a sentence, not a heading
