"""Where the edition changed the author's words, a sign at the place leads to the list of
emendations and the list leads back (book_extensions/emendations.py, kzthesis.edition)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from conftest import HTML

from kzthesis.edition import emendations


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
    text = " ".join(sign.find_parent("p").get_text().split())
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
