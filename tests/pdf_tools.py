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
                numbers = text.strip(",").split(",")  # consecutive markers: "43,44,45"
                if height < MARKER_HEIGHT and all(n.isdigit() for n in numbers) and previous:
                    found += [(int(n), previous) for n in numbers]
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

    @cached_property
    def charts(self) -> dict[str, list[int]]:
        """The pages (1-based) that draw each chart, by the chart's content: every figure is an
        included PDF, which the PDF holds as a form XObject; the same drawing on two pages is
        the same content (the hash of its stream)."""
        import base64
        import hashlib

        dump = json.loads(run("qpdf", "--json=2", "--json-key=pages", "--json-key=qpdf",
                              "--json-stream-data=inline", str(self.path)))
        objects = dump["qpdf"][1]

        def value(reference):
            if isinstance(reference, str) and reference.endswith(" R"):
                entry = objects[f"obj:{reference}"]
                return entry["value"] if "value" in entry else entry["stream"]["dict"]
            return reference

        found: dict[str, list[int]] = {}
        for page in dump["pages"]:
            resources = value(value(objects[f"obj:{page['object']}"]["value"]).get("/Resources", {}))
            for reference in (value(resources.get("/XObject", {})) or {}).values():
                stream = objects[f"obj:{reference}"].get("stream", {})
                if stream.get("dict", {}).get("/Subtype") == "/Form":
                    digest = hashlib.sha256(base64.b64decode(stream.get("data", ""))).hexdigest()
                    found.setdefault(digest, []).append(page["pageposfrom1"])
        return found

    @cached_property
    def page_labels(self) -> list[str]:
        """The label of every page (what a viewer shows as its number), from /PageLabels."""
        numbers = self.value(self.catalog.get("/PageLabels", {})) or {}
        ranges = self.value(numbers.get("/Nums", [])) or []
        starts = [(ranges[i], self.value(ranges[i + 1])) for i in range(0, len(ranges), 2)]
        labels = []
        for index in range(int(self.info["Pages"])):
            start, style = max(((s, d) for s, d in starts if s <= index), key=lambda r: r[0],
                               default=(0, {"/S": "/D"}))
            number = style.get("/St", 1) + index - start
            kind = style.get("/S")
            text = {"/D": str(number), "/r": _roman(number), "/R": _roman(number).upper(),
                    "/a": chr(96 + number), "/A": chr(64 + number)}.get(kind, "")
            labels.append(_pdf_string(style.get("/P", "u:")) + text)
        return labels

    @cached_property
    def bookmarks(self) -> list[tuple[int, str]]:
        """(depth, title) of every bookmark (the PDF's outline), in order."""
        dump = json.loads(run("qpdf", "--json=2", "--json-key=outlines", str(self.path)))
        found = []

        def walk(items, depth):
            for item in items:
                found.append((depth, item["title"]))
                walk(item.get("kids", []), depth + 1)

        walk(dump["outlines"], 0)
        return found

    @cached_property
    def body_lines(self) -> list[tuple[int, str]]:
        """(page, text) of every line set in the body's type size (the most common height of a
        word), as pdftotext lays the lines out."""
        from collections import Counter

        from bs4 import BeautifulSoup

        layout = BeautifulSoup(run("pdftotext", "-enc", "UTF-8", "-bbox-layout", str(self.path), "-"),
                               "html.parser")
        lines = []
        for number, page in enumerate(layout.find_all("page"), 1):
            for line in page.find_all("line"):
                words = [(w.get_text(), round(float(w["ymax"]) - float(w["ymin"]), 1))
                         for w in line.find_all("word")]
                lines.append((number, words))
        body = Counter(h for _, words in lines for _, h in words).most_common(1)[0][0]
        return [(number, " ".join(w for w, _ in words)) for number, words in lines
                if words and all(abs(h - body) < 0.3 for _, h in words)]

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


def _roman(number: int) -> str:
    numerals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = ""
    for value, numeral in numerals:
        while number >= value:
            out += numeral
            number -= value
    return out


def word_heights(path: Path) -> list[tuple[int, float, str]]:
    """(page, height in pt, word) of every word that pdftotext finds, figures included."""
    html = run("pdftotext", "-enc", "UTF-8", "-bbox", str(path), "-")
    words = []
    for number, page in enumerate(html.split("<page ")[1:], 1):
        for match in re.finditer(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" '
                                 r'yMax="([\d.]+)">([^<]*)</word>', page):
            words.append((number, float(match.group(2)) - float(match.group(1)), match.group(3)))
    return words
