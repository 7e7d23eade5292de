"""`make epub`: an EPUB 3 edition from the same sources and executed notebooks, valid for
epubcheck, with the figures, the footnotes and the bibliography."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from xml.etree import ElementTree

import pybtex.database
import pytest
import yaml

from conftest import BUILD, HTML, ROOT, text_of
from pdf_tools import squash

EPUB = BUILD / "epub" / "thesis.epub"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def epub(built_book) -> zipfile.ZipFile:
    """`make epub` (which runs epubcheck), after the HTML build."""
    process = subprocess.run(["make", "--no-print-directory", "epub"], cwd=ROOT, capture_output=True,
                             text=True)
    output = process.stdout + process.stderr
    assert process.returncode == 0, output[-5000:]
    archive = zipfile.ZipFile(EPUB)
    archive.make_output = output
    return archive


def xhtml(epub: zipfile.ZipFile, name: str) -> str:
    return epub.read(f"book/{name}.xhtml").decode("utf-8")


def test_epub_passes_epubcheck_and_reuses_the_notebooks(epub):
    assert "No errors or warnings detected" in epub.make_output
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in epub.make_output
    assert "build succeeded" in epub.make_output and "WARNING" not in epub.make_output
    report = json.loads((BUILD / "execution-report.json").read_text())
    assert report["executed"] == []
    assert "Executing notebook" not in epub.make_output


def test_epubcheck_catches_an_invalid_epub(epub, tmp_path):
    """The check can fail: an SVG with the DOCTYPE that matplotlib writes is an error."""
    from tools.build import epubcheck_command

    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(broken, "w") as out:
        for item in epub.infolist():
            data = epub.read(item)
            if item.filename.endswith(".svg"):
                data = data.replace(b"<svg", b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
                                            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg', 1)
            out.writestr(item.filename, data, compress_type=item.compress_type)
    process = subprocess.run([*epubcheck_command(), str(broken)], capture_output=True, text=True)
    assert process.returncode != 0 and "OPF-073" in process.stdout + process.stderr


def test_epub_metadata(epub):
    opf = epub.read("content.opf").decode("utf-8")
    assert f"<dc:title>{CONFIG['title'].replace(chr(39), '&#x27;')}</dc:title>" in opf
    assert "<dc:language>en</dc:language>" in opf


TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
# The reader's book: the thesis and this edition's matter for readers, not the notebooks.
READERS_PARTS = ["Front matter", "The thesis", "Conclusions", "Appendices", "This edition"]
PAGES = [c["file"] for part in TOC["parts"] if part["caption"] in READERS_PARTS for c in part["chapters"]]
NOTEBOOKS = [c["file"] for part in TOC["parts"] if part["caption"] == "Data and methods"
             for c in part["chapters"]]


def test_epub_has_every_chapter_in_order_and_no_notebook(epub):
    opf = epub.read("content.opf").decode("utf-8")
    spine = re.findall(r'<itemref idref="([^"]+)"', opf)
    items = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    order = [items[i] for i in spine]
    positions = [order.index(f"{d}.xhtml") for d in PAGES]
    assert positions == sorted(positions)
    assert NOTEBOOKS and not [n for n in NOTEBOOKS if f"{n}.xhtml" in epub.namelist()]


def soup_of(epub: zipfile.ZipFile, name: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(epub.read(name).decode("utf-8"), "html.parser")


def test_epub_navigation_lists_every_chapter_appendix_and_section(epub):
    """nav.xhtml and toc.ncx list every page of the reader's book and each of its numbered or
    titled sections (not the pages' Notes, which pop up at their markers), in reading order."""
    nav = soup_of(epub, "nav.xhtml").select_one('nav[epub\\:type="toc"]')
    entries = [(a["href"], a.get_text(" ", strip=True)) for a in nav.select("a")]
    ncx = ElementTree.fromstring(epub.read("toc.ncx"))
    sources = [c.get("src") for c in ncx.iter("{http://www.daisy.org/z3986/2005/ncx/}content")]
    assert sources == [href for href, _ in entries]
    expected = []
    for docname in [TOC["root"], *PAGES]:
        page = soup_of(epub, f"{docname}.xhtml")
        for heading in page.select("h1, h2, h3"):
            section = heading.find_parent("section")
            if "thesis-notes-section" in section.get("class", []):
                continue
            anchor = "" if heading.name == "h1" else "#" + section["id"]
            expected.append((f"{docname}.xhtml{anchor}", heading.get_text(" ", strip=True)))
    assert entries == expected
    texts = [text for _, text in entries]
    for title in ("1. The Soviet Union and early Kazakhstan", "4. Kazakhstan after the January events",
                  "2.3.1. High-profile cases", "General conclusions", "Survey results", "Tables",
                  "Chronology of the events", "About this edition", "Bibliography"):
        assert title in texts
    assert "Notes" not in texts


def test_epub_notes_are_pop_up_footnotes_with_the_thesis_numbers(epub):
    """Each marker is a superscript EPUB 3 noteref whose text is the thesis's number (no
    brackets), linking to an aside that is an EPUB 3 footnote with that number."""
    numbers = []
    for docname in PAGES:
        page = soup_of(epub, f"{docname}.xhtml")
        markers = page.select("a.footnote-reference")
        for marker in markers:
            assert marker.get("epub:type") == "noteref" and marker.parent.name == "sup"
            number = marker.get_text()
            assert number.isdigit(), number
            assert marker["href"] == f"#note-{number}"
            note = page.find(id=f"note-{number}")
            assert note.name == "aside" and note.get("epub:type") == "footnote"
            assert note.select_one("span.label").get_text() == number
            if docname in TOC_THESIS_PAGES:
                numbers.append(int(number))
        assert len(page.select('aside[epub\\:type="footnote"]')) == len(markers)
        text = page.get_text("")
        assert "[[" not in text and "]]" not in text and not page.select("span.fn-bracket")
    assert numbers == list(range(1, 178))


TOC_THESIS_PAGES = [c["file"] for part in TOC["parts"]
                    if part["caption"] in CONFIG["sphinx"]["config"]["thesis_notes_parts"]
                    for c in part["chapters"]]


def test_epub_has_no_code_notebook_furniture_or_web_styles(epub):
    names = epub.namelist()
    styles = [n for n in names if n.endswith(".css")]
    assert styles == ["_static/thesis-epub.css"]
    assert not [n for n in names if n.endswith((".js", ".html", ".json", ".map"))]
    for docname in PAGES:
        page = soup_of(epub, f"{docname}.xhtml")
        assert [link["href"] for link in page.select("link[rel=stylesheet]")] == [
            "../_static/thesis-epub.css"], docname
        assert not page.select("pre, script, style, button, div.highlight, .figure-provenance, "
                               "[class*=cell], [class*=tag_], [class*=copybtn], [class*=toggle]"), docname
        for link in page.select("a[href]"):
            assert "notebooks/" not in link["href"], (docname, link["href"])
    about = soup_of(epub, "book/about.xhtml").get_text(" ")
    assert "How fast it builds" not in about and "@misc" not in about and "cff-version" not in about
    assert re.search(r"built from commit \S+", about)


def test_epub_style_sheet_wraps_addresses_and_fits_figures_and_tables(epub):
    css = re.sub(r"/\*.*?\*/", "", epub.read("_static/thesis-epub.css").decode("utf-8"), flags=re.S)
    rules = {selector.strip(): body for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)
             for selector in selectors.split(",")}
    assert "overflow-wrap: break-word" in rules["a"] and "word-break: break-word" in rules["a"]
    assert "max-width: 100%" in rules["img"]
    assert "overflow-x: auto" in rules["table"]


def test_epub_figures_are_self_contained_svg_that_scales(epub):
    """SVG is a core media type of EPUB 3 (no fallback needed); each figure scales to the
    screen (a viewBox) and needs nothing outside the package (no DTD, link or embedded file)."""
    opf = epub.read("content.opf").decode("utf-8")
    images = re.findall(r'href="(_images/[^"]+)" media-type="([^"]+)"', opf)
    assert images and {kind for _, kind in images} == {"image/svg+xml"}
    for name, _ in images:
        svg = epub.read(name).decode("utf-8")
        root = ElementTree.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox"), name
        assert "<!DOCTYPE" not in svg and "@import" not in svg
        assert not re.search(r'href="(?!#)', svg), name


def test_epub_metadata_invents_no_creator(epub):
    opf = epub.read("content.opf").decode("utf-8")
    assert "<dc:creator" not in opf and "<dc:contributor" not in opf and "<dc:publisher" not in opf
    assert "not named" not in opf.lower() and "not stated" not in opf.lower()


def test_epub_has_every_figure_of_the_html_book(epub):
    """Each figure of the web book's pages, with its caption; not the provenance line under it,
    which names code (the web book's alone)."""
    from bs4 import BeautifulSoup

    names = set(epub.namelist())
    for path in sorted((HTML / "book").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        html = html[html.index('<article class="bd-article"'):]
        soup = BeautifulSoup(html, "html.parser")
        for legend in soup.select(".figure-provenance-legend"):
            legend.decompose()
        captions = [text_of(str(c)) for c in soup.select("figcaption")]
        page = xhtml(epub, path.stem)
        assert "figure-provenance" not in page and "Drawn by" not in text_of(page)
        images = re.findall(r'<img[^>]+src="\.\./(_images/[^"]+)"', page)
        assert len(images) == len(captions), path.stem
        for image in images:
            assert image in names
            if image.endswith(".svg"):
                assert b"<!DOCTYPE" not in epub.read(image)
        for caption in captions:
            assert squash(caption) in squash(text_of(page)), caption[:80]


def test_epub_footnotes_come_from_the_bibliography(epub):
    page = xhtml(epub, "introduction")
    assert 'href="#note-1"' in page
    note = page[page.index('id="note-1"'):]
    assert "Tokayev, Kassym-Jomart" in text_of(note[: note.index("</aside>")])


def test_epub_notes_carry_the_thesis_numbers(epub):
    from bs4 import BeautifulSoup

    numbers = []
    for page in ("introduction", "chapter1", "chapter2", "chapter3", "chapter4", "chronology"):
        soup = BeautifulSoup(xhtml(epub, page), "html.parser")
        numbers += [int(a.get_text(strip=True).strip("[]")) for a in soup.select("a.footnote-reference")]
    assert numbers == list(range(1, 178))

def test_epub_bibliography_lists_every_source(epub):
    entries = pybtex.database.parse_file(str(ROOT / "references.bib")).entries
    page = xhtml(epub, "bibliography")
    # An unnumbered list (book_extensions/backrefs.py), each entry with its anchor bib-KEY.
    assert sorted(re.findall(r'<li id="bib-([^"]+)"', page)) == sorted(entries)
    assert 'class="citation"' not in page


def test_epub_notes_stand_where_the_copy_text_puts_their_markers(epub, tmp_path):
    from tools import collation

    places = {}
    for page in collation.PAGES:
        path = tmp_path / f"{page}.xhtml"
        path.write_bytes(epub.read(f"book/{page}.xhtml"))
        places.update(collation.note_places(page, path))
    assert sorted(places) == list(range(1, 178))
    misplaced = {n for n, (_, distance) in places.items() if distance is None or distance > 2}
    assert misplaced == set(collation.MOVED_NOTES)


# An e-reader on a phone: the pages are read at this size, and three of them are kept as images
# for a reader's eye (a chapter's opening, a passage with several notes, a figure).
PHONE_READER = {"width": 390, "height": 844}
REVIEW = BUILD / "epub-review"


def test_epub_pages_fit_a_phone_screen(epub, tmp_path):
    """Every page, opened in Chromium from the unpacked EPUB with its own style sheet, is no wider
    than a phone's screen: long web addresses wrap and wide tables scroll inside the page."""
    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM, CHROMIUM_ARGS

    epub.extractall(tmp_path)
    REVIEW.mkdir(parents=True, exist_ok=True)
    pages = sorted(tmp_path.rglob("*.xhtml"))
    wide = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport=PHONE_READER)
        for page in pages:
            tab.goto(page.as_uri())
            width = tab.evaluate("document.documentElement.scrollWidth")
            if width > PHONE_READER["width"]:
                wide[page.relative_to(tmp_path).as_posix()] = width
        for name, page, place in [
                ("chapter-opening", "book/chapter1.xhtml", "h1"),
                ("several-notes", "book/chapter2.xhtml", "p"),
                ("figure", "book/survey-results.xhtml", "figure")]:
            tab.goto((tmp_path / page).as_uri())
            # The first such element; of paragraphs, the one with the most note markers. Once
            # more when the images near it have loaded (they load lazily and move the text).
            for _ in range(2):
                tab.evaluate("""place => [...document.querySelectorAll(place)].sort((a, b) =>
                    b.querySelectorAll('a[href^="#note-"]').length
                    - a.querySelectorAll('a[href^="#note-"]').length)[0].scrollIntoView()""", place)
                tab.wait_for_function("[...document.images].every(image => image.complete)")
            tab.screenshot(path=str(REVIEW / f"{name}.png"))
        browser.close()
    assert wide == {}, f"pages wider than {PHONE_READER['width']} px"
    assert len(pages) == len(PAGES) + 2  # with the title page and nav.xhtml
