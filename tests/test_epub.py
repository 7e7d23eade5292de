"""`make epub`: an EPUB 3 edition from the same sources and executed notebooks, valid for
epubcheck, with the figures, the footnotes and the bibliography."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile

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


def test_epub_has_every_chapter_in_order(epub):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docnames = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    opf = epub.read("content.opf").decode("utf-8")
    spine = re.findall(r'<itemref idref="([^"]+)"', opf)
    items = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    order = [items[i] for i in spine]
    positions = [order.index(f"{d}.xhtml") for d in docnames]
    assert positions == sorted(positions)


def test_epub_has_every_figure_of_the_html_book(epub):
    names = set(epub.namelist())
    for path in sorted((HTML / "book").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        html = html[html.index('<article class="bd-article"'):]
        captions = [text_of(c) for c in re.findall(r"<figcaption>.*?</figcaption>", html, flags=re.S)]
        page = xhtml(epub, path.stem)
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
