"""Every numeral of the thesis pages, classified: where does each number of the book come from?

Each numeral in the rendered HTML of the thesis pages (prose, tables, captions; the notes, the
bibliography and what this edition adds are left out) is one of

* ``computed``: printed from data/ by a computation (a glued number, `{glue:text}`);
* ``quoted``: a quantity quoted from a source, printed from data/quoted_quantities.csv
  (`{quoted}`);
* ``date``: a date, time, ordinal, section, law or identifier number — not a quantity (a year,
  a day of a month, "25th", "Article 4", "COVID-19", "question 3", a numbered list's "1)");
* ``exception``: listed in tools/numeral-exceptions.toml with its reason;

or it is ``unclassified``, which tests/test_numerals.py refuses, naming the page and sentence.

    python -m tools.numerals          # counts per class, then every unclassified numeral
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bs4 import NavigableString

from tools.collation import NOT_THESIS_TEXT, PAGES, thesis_article

ROOT = Path(__file__).resolve().parent.parent
EXCEPTIONS = ROOT / "tools" / "numeral-exceptions.toml"
CLASSES = ("computed", "quoted", "date", "exception", "unclassified")

# Not the thesis's prose, tables or captions: what the collation leaves out (notes, link
# decorations, section numbers, the edition's additions, figure captions, code), and note markers.
LEFT_OUT = [*NOT_THESIS_TEXT, "a.footnote-reference"]
NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December")
# Patterns of numbers that are not quantities, tried on the numeral with its neighbours; the
# numeral is the named group ``n``.
NOT_QUANTITIES = [
    ("year", re.compile(r"(?<![\d,.])(?P<n>1[89]\d\d|20\d\d)(?:s|'s|’s)?(?!\d|[,.]\d)")),
    ("year", re.compile(r"(?<![\d,.])1[89]\d\d\s*[–-]\s*(?P<n>\d\d)(?!\d|[,.]\d)")),
    ("decade", re.compile(r"(?<![\d,.$])(?P<n>[1-9]0)(?:s|'s|’s)\b")),
    ("day of a month", re.compile(rf"(?:{MONTHS})\s+(?P<n>\d{{1,2}})(?!\d)")),
    ("day of a month", re.compile(rf"(?<!\d)(?P<n>\d{{1,2}})(?:\s*[–-]\s*\d{{1,2}})?\s+(?:{MONTHS})")),
    ("day of a month", re.compile(rf"(?:{MONTHS})\s+\d{{1,2}}\s*(?:[–-]|and|to)\s*(?P<n>\d{{1,2}})(?!\d)")),
    ("ordinal", re.compile(r"(?<![\d,.])(?P<n>\d+)(?:st|nd|rd|th)\b")),
    ("time", re.compile(r"(?P<n>\d{1,2})[:.]\d\d\s*(?:a\.m\.|p\.m\.|am|pm)")),
    ("law or article", re.compile(r"\b(?:Article|Articles|article|Law|No\.|№|Resolution|Decree)\s*(?P<n>\d+)")),
    ("identifier", re.compile(r"\b(?:COVID|Article)-?(?P<n>\d+)")),
    ("identifier", re.compile(r"\b(?:question|questions|Question|Table|table|Tables|Figure|figure|Chapter|chapter|section|Section|paragraph|Appendix|appendix|point|option|number)\s+(?P<n>\d+(?:\.\d+)*)")),
    ("identifier", re.compile(r"\b(?:Tables|questions)\s+\d+\s*(?:[–-]|and|,)\s*(?P<n>\d+)")),
    ("numbered item", re.compile(r"(?:^|[\s;:(])(?P<n>\d{1,2})\)")),
    ("numbered item", re.compile(r"^\s*(?P<n>\d{1,2})\.\s")),
]


@dataclass
class Numeral:
    page: str
    text: str          # the numeral as printed
    sentence: str      # the sentence it stands in
    kind: str          # one of CLASSES
    reason: str = ""   # for "date": which pattern; for "exception": the listed reason


def exceptions() -> list[dict]:
    """The listed exceptions: page, words (verbatim, holding the numeral), numeral, reason."""
    listed = tomllib.loads(EXCEPTIONS.read_text(encoding="utf-8")).get("exception", [])
    for index, item in enumerate(listed, 1):
        missing = {"page", "words", "numeral", "reason"} - set(item)
        if missing:
            raise ValueError(f"{EXCEPTIONS.name}: exception {index} lacks {', '.join(sorted(missing))}")
    return listed


def _sentence(text: str, start: int, end: int) -> str:
    stop = text.rfind(". ", 0, start)
    begin = stop + 2 if stop >= 0 else 0
    finish = text.find(". ", end)
    return " ".join(text[begin: finish + 1 if finish >= 0 else len(text)].split())


def _block_texts(article) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """The text of each block (paragraph, list item, cell, caption, heading) with the spans of
    its glued and quoted numbers."""
    blocks = []
    names = ["p", "li", "td", "th", "caption", "figcaption", "h1", "h2", "h3", "dt", "dd"]
    for block in article.find_all(names):
        if block.find(names):  # a list item holding a paragraph: the paragraph is the block
            continue
        text, marked = "", []
        for piece in block.descendants:
            if not isinstance(piece, NavigableString):
                continue
            owner = piece.find_parent("span", class_="quantity")
            kind = ""
            if owner is not None:
                kind = "quoted" if "quantity-quoted" in owner["class"] else "computed"
            elif (piece.find_parent("span", class_="pasted-text") is not None
                  or piece.find_parent("div", class_="cell_output") is not None):
                kind = "computed"
            if kind:
                marked.append((len(text), len(text) + len(piece), kind))
            text += str(piece)
        blocks.append((text, marked))
    return blocks


def classify_page(page: str, html: Path, listed: list[dict]) -> list[Numeral]:
    article = thesis_article(html, LEFT_OUT)
    mine = [item for item in listed if item["page"] == page]
    found = []
    for text, marked in _block_texts(article):
        flat = " ".join(text.split())
        # Offsets of `marked` are in `text`; classify on `text`, report the flattened sentence.
        for match in NUMERAL.finditer(text):
            start, end = match.span()
            sentence = _sentence(" ".join(text.replace("\n", " ").split(" ")), start, end)
            kind, reason = "unclassified", ""
            owner = next((k for a, b, k in marked if a <= start and end <= b), None)
            if owner:
                kind = owner
            else:
                for name, pattern in NOT_QUANTITIES:
                    if any(m.start("n") == start for m in pattern.finditer(text)):
                        kind, reason = "date", name
                        break
                else:
                    item = next((i for i in mine if i["numeral"] == match.group()
                                 and " ".join(i["words"].split()) in flat
                                 and match.group() in i["words"]), None)
                    if item is not None:
                        kind, reason = "exception", item["reason"]
            found.append(Numeral(page, match.group(), " ".join(sentence.split()), kind, reason))
    return found


def classify(html_dir: Path) -> list[Numeral]:
    listed = exceptions()
    numerals = []
    for page in PAGES:
        numerals += classify_page(page, html_dir / "book" / f"{page}.html", listed)
    return numerals


def counts(numerals: list[Numeral]) -> dict[str, int]:
    return {kind: sum(1 for n in numerals if n.kind == kind) for kind in CLASSES}


def main(argv: list[str]) -> int:
    html_dir = Path(argv[0]) if argv else ROOT / "_build" / "html"
    numerals = classify(html_dir)
    print(", ".join(f"{kind}: {number}" for kind, number in counts(numerals).items()))
    for numeral in numerals:
        if numeral.kind == "unclassified":
            print(f"{numeral.page}: {numeral.text!r} in: {numeral.sentence}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
