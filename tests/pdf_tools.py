"""Reading the built PDF with real PDF tools: poppler's pdftotext/pdfinfo/pdfimages and qpdf's
JSON dump (Debian packages poppler-utils and qpdf, installed by `tools/debian-packages.sh pdf`)."""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def squash(text: str) -> str:
    """Letters and digits only, lower case: compares text across line breaks, hyphenation,
    ligatures, quotes and dashes."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text.lower() if c.isalnum())


# Heights of word boxes in pdftotext's layout (pt): body text is 11 pt (boxes about 10.9),
# footnotes 9 pt, note markers superscripts of about 6.
BODY_HEIGHT = 10.5
MARKER_HEIGHT = 8.0


@dataclass
class Pdf:
    path: Path
    log: str = ""

    @cached_property
    def pages(self) -> list[str]:
        """Text of every page (pdftotext reading order, hyphenation undone)."""
        return run("pdftotext", "-enc", "UTF-8", str(self.path), "-").split("\f")[:-1]

    @cached_property
    def note_markers(self) -> list[tuple[int, str]]:
        """(note number, the word its marker follows) for every note marker in the text, in
        reading order: a marker is a number set smaller than the body text on a line of body text
        (a footnote's own number starts a line of smaller footnote text)."""
        from bs4 import BeautifulSoup

        layout = BeautifulSoup(run("pdftotext", "-enc", "UTF-8", "-bbox-layout", str(self.path), "-"),
                               "html.parser")
        found, previous = [], ""
        for line in layout.find_all("line"):
            words = [(w.get_text(), float(w["ymax"]) - float(w["ymin"])) for w in line.find_all("word")]
            body = max((height for _, height in words), default=0)
            if body < BODY_HEIGHT:
                continue
            for text, height in words:
                if height < MARKER_HEIGHT and text.isdigit() and previous:
                    found.append((int(text), previous))
                elif height >= BODY_HEIGHT:
                    previous = text
        return found

    @cached_property
    def squashed_pages(self) -> list[str]:
        return [squash(page) for page in self.pages]

    @cached_property
    def info(self) -> dict[str, str]:
        lines = run("pdfinfo", "-enc", "UTF-8", str(self.path)).splitlines()
        return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines)}

    @cached_property
    def destinations(self) -> dict[str, int]:
        """Named destination → page number (1-based)."""
        found = {}
        for line in run("pdfinfo", "-dests", str(self.path)).splitlines()[1:]:
            match = re.match(r'\s*(\d+)\s+\[.*\]\s+"(.*)"\s*$', line)
            if match:
                found[match.group(2)] = int(match.group(1))
        return found

    @cached_property
    def objects(self) -> dict:
        dump = json.loads(run("qpdf", "--json=2", "--json-key=pages", "--json-key=qpdf",
                              str(self.path)))
        self._pages_json = dump["pages"]
        return dump["qpdf"][1]

    def value(self, reference):
        """Resolve `N 0 R` references of qpdf's JSON."""
        if isinstance(reference, str) and re.fullmatch(r"\d+ \d+ R", reference):
            return self.objects[f"obj:{reference}"].get("value")
        return reference

    @cached_property
    def catalog(self) -> dict:
        for entry in self.objects.values():
            value = entry.get("value") if isinstance(entry, dict) else None
            if isinstance(value, dict) and value.get("/Type") == "/Catalog":
                return value
        raise AssertionError("no /Catalog in the PDF")

    @cached_property
    def links(self) -> list["Link"]:
        """Every link annotation: its page and its target (a named destination or a URI)."""
        self.objects  # noqa: B018 (loads the page list too)
        found = []
        for page in self._pages_json:
            number = page["pageposfrom1"]
            annotations = self.value(self.value(f"{page['object']}") .get("/Annots", [])) or []
            for reference in annotations:
                annotation = self.value(reference)
                if annotation.get("/Subtype") != "/Link":
                    continue
                action = self.value(annotation.get("/A", {})) or {}
                target = action.get("/D", annotation.get("/Dest"))
                uri = action.get("/URI")
                found.append(Link(number, _pdf_string(target) if isinstance(target, str) else None,
                                  _pdf_string(uri) if uri else None))
        return found

    def page_of(self, text: str) -> list[int]:
        """Pages (1-based) whose text contains `text` (squashed comparison)."""
        needle = squash(text)
        return [i for i, page in enumerate(self.squashed_pages, 1) if needle in page]


@dataclass
class Link:
    page: int
    destination: str | None = None
    uri: str | None = None
    extra: dict = field(default_factory=dict)


def _pdf_string(value: str) -> str:
    """qpdf JSON v2 strings are `u:text` or `b:hex`."""
    if value.startswith("u:"):
        return value[2:]
    if value.startswith("b:"):
        return bytes.fromhex(value[2:]).decode("latin-1")
    return value


def word_heights(path: Path) -> list[tuple[int, float, str]]:
    """(page, height in pt, word) of every word that pdftotext finds, figures included."""
    html = run("pdftotext", "-enc", "UTF-8", "-bbox", str(path), "-")
    words = []
    for number, page in enumerate(html.split("<page ")[1:], 1):
        for match in re.finditer(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" '
                                 r'yMax="([\d.]+)">([^<]*)</word>', page):
            words.append((number, float(match.group(2)) - float(match.group(1)), match.group(3)))
    return words
