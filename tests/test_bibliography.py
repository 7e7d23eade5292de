"""The bibliography page: an unnumbered list, each entry naming the notes that cite it, and each
note linking to its sources' entries (book_extensions/backrefs.py)."""

from __future__ import annotations

import re

import pybtex.database
from bs4 import BeautifulSoup

from conftest import HTML, ROOT
from test_notes import NOTES_PER_PAGE

ENTRIES = pybtex.database.parse_file(str(ROOT / "references.bib")).entries


def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup((HTML / "book" / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def bibliography_items(page=None):
    page = page or soup("bibliography")
    return page.select("article ul.thesis-bibliography > li")


def test_bibliography_is_an_unnumbered_list_of_every_source(built_book):
    page = soup("bibliography")
    items = bibliography_items(page)
    assert sorted(item["id"] for item in items) == sorted(f"bib-{key}" for key in ENTRIES)
    article = page.select_one("article")
    assert not article.select(".citation .label, ul.thesis-bibliography .label")
    assert not re.search(r"\[\d+\]", article.get_text())  # no [1]–[162] beside the notes' numbers
    css = (ROOT / "_static" / "reader.css").read_text(encoding="utf-8")
    assert re.search(r"ul\.thesis-bibliography > li \{[^}]*text-indent: -", css)  # hanging indent


def note_links(page: str) -> dict[int, list[str]]:
    """note number -> the bibliography keys its "Bibliography:" line links to."""
    found = {}
    for note in soup(page).select("aside.footnote"):
        number = int(note["id"].removeprefix("note-"))
        links = note.select(".thesis-note-sources a")
        assert all(a["href"].startswith("bibliography.html#bib-") for a in links)
        found[number] = [a["href"].split("#bib-")[1] for a in links]
    return found


def test_notes_link_to_their_sources_entries(built_book):
    chapter1, chapter2 = note_links("chapter1"), note_links("chapter2")
    # Note 43 lists three sources; note 15 repeats Wheatley's book in short.
    assert chapter2[43] == ["golosov2011russian", "eliseeva2016new", "mansurov2015nesistemnaya"]
    assert chapter1[15] == chapter1[14] and len(chapter1[14]) == 1
    assert chapter1[14][0].startswith("wheatley")
    # A lost footnote cites nothing and links nowhere.
    assert chapter2[76] == []
    # The note's own text stays the author's: the links are after its paragraphs.
    note = soup("chapter1").select_one("#note-15")
    assert " ".join(p.get_text() for p in note.find_all("p")).strip() == (
        "Wheatley, Georgia from National Awakening to Rose…")


def test_each_entry_lists_the_notes_that_cite_it_and_they_agree(built_book):
    cited_by_notes: dict[str, set[tuple[str, int]]] = {}
    for page in NOTES_PER_PAGE:
        for number, keys in note_links(page).items():
            for key in keys:
                cited_by_notes.setdefault(key, set()).add((page, number))
    listed: dict[str, set[tuple[str, int]]] = {}
    for item in bibliography_items():
        cited_in = item.select_one("p.thesis-cited-in")
        if cited_in is None:
            continue
        assert cited_in.get_text().startswith("Cited in: ")
        for a in cited_in.select("a[href*='#note-']"):
            page, number = a["href"].split(".html#note-")
            assert a.get_text() == number
            listed.setdefault(item["id"].removeprefix("bib-"), set()).add((page, int(number)))
    assert listed == cited_by_notes
    assert len(listed) >= 150
    # Every link leads to a note that exists.
    for page, number in set().union(*listed.values()):
        assert soup(page).select_one(f"aside#note-{number}") is not None, (page, number)


def test_cited_in_names_the_chapter_and_its_notes(built_book):
    item = soup("bibliography").select_one("li#bib-golosov2011russian")
    text = " ".join(item.select_one("p.thesis-cited-in").get_text().split())
    assert re.fullmatch(r"Cited in: Chapter 2, notes? (\d+, )*43(, \d+)*", text), text
    chapter_link = item.select_one("p.thesis-cited-in a")
    assert chapter_link["href"] == "chapter2.html"


def test_a_cite_in_the_text_still_links_to_its_entry(built_book):
    hrefs = [a["href"] for a in soup("tables").select("article a[href*='bibliography.html']")]
    assert "bibliography.html#bib-bns2021national" in hrefs


# --- Cite this edition: CITATION.cff and the About page's box (book_extensions/edition_citation.py)

def test_citation_cff_describes_the_edition_without_inventing_an_author():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["message"] and cff["type"] in ("software", "dataset")
    assert cff["title"] == config["title"]
    # The source document names no author: no person, only the statement that none is named.
    assert [set(author) for author in cff["authors"]] == [{"name"}]
    assert "not named" in cff["authors"][0]["name"]


def test_bibtex_entry_escapes_what_bibtex_would_read():
    from book_extensions.edition_citation import bibtex_entry

    entry = bibtex_entry("A & B_1: {x} 50% \\ #", "2026", "abc1234")
    assert r"title = {{A \& B\_1: \{x\} 50\% \textbackslash{} \#}}," in entry
    assert entry.startswith("@misc{kzthesis_edition_2026,") and not re.search(r"^\s*author\s*=", entry, re.M)
    assert "year = {2026}" in entry and "commit abc1234" in entry


def test_about_page_has_a_cite_this_edition_box(built_book):
    import datetime as dt
    import os

    import yaml

    page = soup("about")
    box = page.select_one("article .cite-this-edition")
    assert box is not None and "Cite this edition" in box.get_text()
    bibtex, cff = [pre.get_text() for pre in box.select("pre")]
    title = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]
    assert bibtex.startswith("@misc{") and "title = {{" + title + "}}" in bibtex
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    year = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).year if epoch else dt.date.today().year
    assert f"year = {{{year}}}" in bibtex and not re.search(r"^\s*author\s*=", bibtex, re.M)
    assert cff.strip() == (ROOT / "CITATION.cff").read_text(encoding="utf-8").strip()
    # The rest of the page is as it was: the emendations and the notes list follow.
    assert page.select_one("section#emendations") is not None


# --- Scholarly metadata of the landing page (book_extensions/edition_citation.py) -------------

def test_landing_page_has_highwire_tags_and_json_ld(built_book):
    import json

    import yaml

    page = soup("index")
    meta = {m["name"]: m["content"] for m in page.select("head meta[name^='citation_']")}
    title = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]
    assert meta["citation_title"] == title
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", meta["citation_publication_date"])
    assert meta["citation_language"] == "en"
    assert "citation_author" not in meta  # the source document names no author
    # The web book serves no PDF, so no tag points at one.
    assert ("citation_pdf_url" in meta) == (HTML / "thesis.pdf").exists()
    scripts = page.select("head script[type='application/ld+json']")
    assert len(scripts) == 1
    record = json.loads(scripts[0].string)
    assert record["@context"] == "https://schema.org" and record["name"] == title
    assert record["datePublished"].replace("-", "/") == meta["citation_publication_date"]
    assert "author" not in record
    # Only the landing page carries them.
    assert not soup("chapter1").select("meta[name^='citation_'], script[type='application/ld+json']")


def test_landing_metadata_cannot_break_out_of_its_elements():
    from book_extensions.edition_citation import json_for_script

    text = json_for_script({"name": "</script><script>alert(1)</script> & <!--"})
    assert "<" not in text and ">" not in text and "&" not in text
    import json
    assert json.loads(text)["name"] == "</script><script>alert(1)</script> & <!--"
