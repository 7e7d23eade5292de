"""Collation of the built edition with its copy-text (copy-text/thesis.txt).

The words of every thesis page, as the HTML shows them, are aligned with the words of the
copy-text after normalising only what the PDF extraction broke: line and page breaks, the
footnote blocks at page feet, hyphens and dashes (the extraction dropped them), quotation-mark
style, and footnote markers (fused to words in the copy-text, superscript links in the book).
Every difference that remains is a departure of the edition and must be explained by one row of
book/edition-notes.csv (its copy-text words and its edition words), or by the errata record of a
recomputed number. `python -m tools.collation` prints the unexplained differences and the notes
that explain none.
"""

from __future__ import annotations

import csv
import difflib
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup

from kzthesis.edition import FUSED_MARKER, QUOTES, normalise
from kzthesis.report import EDITION_COLUMN

ROOT = Path(__file__).resolve().parent.parent
COPY_TEXT = ROOT / "copy-text" / "thesis.txt"
EDITION_NOTES = ROOT / "book" / "edition-notes.csv"

# The copy-text lines of each thesis page, first and last (the copy-text is fixed by its checksum).
PAGES = {
    "abstract": (1, 39),
    "acronyms": (40, 78),
    "introduction": (79, 250),
    "chapter1": (251, 1050),
    "chapter2": (1051, 2644),
    "chapter3": (2645, 3774),
    "chapter4": (3775, 5038),
    "conclusions": (5039, 5205),
    "survey-results": (5206, 5440),
    "tables": (5441, 5517),
    "chronology": (5518, 5692),
}

# Elements of a page that are not the thesis's text: notes (collated by number, not by word),
# link decorations, section numbers (the edition numbers sections itself) and what this
# edition adds (marked with the class "edition").
NOT_THESIS_TEXT = [
    "section.thesis-notes-section", "div.thesis-notes", "aside.footnote-list", "a.headerlink", "span.section-number",
    ".edition", "p.figure-provenance", "div.figure-provenance-legend", "figcaption",
    "div.cell_input", "script", "style", "span.emendation", "span.caption-number",
]
# Headings that this edition adds for navigation: the survey appendix's "Question N" (the
# thesis titles each table with the question itself, which the edition prints above it).
EDITION_HEADINGS = re.compile(r"Question \d+")
NOTE_REFERENCE = "a.footnote-reference"

PAGE_START = re.compile(r"^ \S")
FOOTNOTE_SEPARATOR = re.compile(r"^ {20,}$")
# The extraction kept the section numbers of headings; the edition numbers them itself.
HEADING_NUMBER = re.compile(r"^\s*(?:Chapter ?\d+\.|\d\.\d(?:\.\d)?\.?)\s+(?=[A-Z“\"])")
BULLET = re.compile("[\uf0b7\uf0a7\u2022\u25cf\uf0d8]")


# A token of punctuation alone belongs to the word before it: "qañtar ”," and "qañtar”,"
# differ only in the extraction's spacing.
PUNCTUATION_ONLY = re.compile(r"[^\w]+")


def append(words: list, word) -> None:
    if (words and PUNCTUATION_ONLY.fullmatch(word.text)
            and word.text not in ('"', "'") and not word.text.startswith("…")):
        words[-1].text += word.text
        words[-1].shown += word.shown
        words[-1].notes.extend(word.notes)
    else:
        words.append(word)


@dataclass
class Word:
    text: str          # normalised
    shown: str         # as printed
    line: int = 0      # copy-text line (copy-text words)
    notes: list = field(default_factory=list)  # thesis note numbers attached (edition words)


def copy_text_lines() -> list[str]:
    return COPY_TEXT.read_text(encoding="utf-8").split("\n")


def body_lines(first: int, last: int) -> list[tuple[int, str]]:
    """The copy-text lines of a page range without the footnote blocks at page feet."""
    lines = copy_text_lines()
    kept, in_notes = [], False
    for number in range(first, last + 1):
        line = lines[number - 1]
        if FOOTNOTE_SEPARATOR.match(line):
            in_notes = True
            continue
        if line == " ":  # a page that opens with a blank line (its foot ended with a page number)
            in_notes = False
            continue
        if in_notes and PAGE_START.match(line):
            in_notes = False
        if not in_notes:
            kept.append((number, line))
    return kept


def copy_text_footnotes() -> dict[int, str]:
    """The texts of the footnotes that survive in the copy-text, by number: each starts a line
    of a footnote block with its number, in order (the texts of 76, 78–81 and 83 are lost)."""
    found: dict[int, str] = {}
    current, in_notes = 0, False
    for line in copy_text_lines():
        if FOOTNOTE_SEPARATOR.match(line):
            in_notes = True
            continue
        if line == " " or (in_notes and PAGE_START.match(line)):
            in_notes = False
            continue
        if not in_notes:
            continue
        start = re.match(r"(\d{1,3})(?=[\s\u00a0]|[A-Z‘“\"])(.*)", line)
        if start and current < int(start.group(1)) <= current + 8:
            current = int(start.group(1))
            found[current] = start.group(2)
        elif current:
            found[current] += " " + line
    return {n: " ".join(text.split()) for n, text in found.items()}


def copy_text_words(page: str) -> list[Word]:
    """The page's words, footnote markers removed; `markers` holds them (note → word index)."""
    return collated_copy_text()[page]


_COLLATED: dict[str, list[Word]] = {}


def collated_copy_text() -> dict[str, list[Word]]:
    """Every page's words. Footnote markers are found in reading order: marker n is the first
    number n after marker n-1 that is fused to a word ("propaganda2.", "down”434445"), ends a
    number ("201493") or stands alone after a word ("manifestations 13 .")."""
    if _COLLATED:
        return _COLLATED
    expected = 1
    for page, (first, last) in PAGES.items():
        words: list[Word] = []
        for number, line in body_lines(first, last):
            line = BULLET.sub(" ", line.replace("\u00a0", " "))
            line = HEADING_NUMBER.sub("", line)
            for shown in line.split():
                raw = unicodedata.normalize("NFC", shown).translate(QUOTES)
                raw, found = strip_markers(raw, expected, standalone=bool(words))
                expected += len(found)
                text = normalise(raw)
                if not text:  # a marker standing alone: "manifestations 13 ."
                    if words:
                        words[-1].notes.extend(found)
                    continue
                append(words, Word(text, raw, line=number, notes=found))
        _COLLATED[page] = words
    return _COLLATED


def strip_markers(word: str, expected: int, standalone: bool) -> tuple[str, list[int]]:
    """The word without the footnote markers it carries, and their numbers."""
    found: list[int] = []
    while True:
        label = str(expected + len(found))
        fused = re.search(rf"(?<=[^\W\d_]|[\"')\]])({label})(?=\D|\d|$)|"
                          rf"(?<=[^\W\d_\"')\]][.,;:])({label})(?=\D|\d|$)|"
                          rf"(?<=\d{{3}})({label})(?=[.,;:]?$)", word)
        if fused and (fused.group(3) is None
                      or not found and re.fullmatch(r"(?:\d{5,}|\d{1,3}(?:,\d{3})+\d+)[.,;:]?", word)):
            word = word[:fused.start()] + word[fused.end():]
            found.append(int(label))
            continue
        if standalone and not found and re.fullmatch(rf"{label}[.,;:]?", word):
            word = word[len(label):]
            found.append(int(label))
            continue
        return word, found


def thesis_article(html: Path, left_out=NOT_THESIS_TEXT):
    """The page's article without what is not the thesis's text (`left_out`, CSS selectors)
    and without the tables' columns of this edition."""
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article") or soup
    for selector in left_out:
        for element in article.select(selector):
            element.decompose()
    for table in article.select("table"):
        drop_edition_columns(table)
    return article


def edition_words(html: Path) -> list[Word]:
    article = thesis_article(html)
    for table in article.select("table"):
        # The thesis prints a table's caption under it; where a caption stands is layout.
        caption = table.find("caption")
        if caption is not None:
            table.insert_after(caption.extract())
    for heading in article.select("h1, h2, h3"):
        if EDITION_HEADINGS.fullmatch(heading.get_text(" ", strip=True).rstrip("#").strip()):
            heading.decompose()
    for reference in article.select(NOTE_REFERENCE):
        label = reference.get_text("", strip=True).strip("[]")
        reference.replace_with(f"\u27e6{label}\u27e7")
    # The numbers of an ordered list are the thesis's text ("1. ..."), printed by the browser.
    for ordered in article.select("ol"):
        start = int(ordered.get("start", 1))
        for offset, item in enumerate(ordered.find_all("li", recursive=False)):
            item.insert(0, f"{start + offset}. ")
    # Block elements end words: a table cell or paragraph never runs into the next.
    for block in article.find_all(["p", "td", "th", "li", "h1", "h2", "h3", "h4", "dt", "dd",
                                   "caption", "div", "tr"]):
        block.insert_after(" ")
        block.insert_before(" ")
    words: list[Word] = []
    for shown in article.get_text("").split():
        notes = [int(n) for n in re.findall(r"\u27e6(\d+)\u27e7", shown)]
        plain = re.sub(r"\u27e6[^\u27e7]*\u27e7", "", shown)
        text = normalise(plain)
        if text:
            append(words, Word(text, plain, notes=notes))
        elif notes and words:
            words[-1].notes.extend(notes)
    return words


def drop_edition_columns(table) -> None:
    """Columns whose header says "(this edition)" (kzthesis.report.EDITION_COLUMN)."""
    header = table.select_one("thead tr") or table.select_one("tr")
    if header is None:
        return
    added = [i for i, cell in enumerate(header.find_all(["th", "td"]))
             if EDITION_COLUMN in cell.get_text(" ", strip=True)]
    for row in table.select("tr"):
        cells = row.find_all(["th", "td"])
        for i in reversed(added):
            if i < len(cells):
                cells[i].decompose()


@dataclass
class Difference:
    page: str
    line: int              # copy-text line where it starts
    copy_text: str         # the copy-text's words, as printed there
    edition: str           # the edition's words
    copy_norm: str
    edition_norm: str

    def __str__(self) -> str:
        return (f"{self.page}: copy-text/thesis.txt line {self.line}: "
                f"copy-text {self.copy_text!r} ≠ edition {self.edition!r}")


def alignment(page: str, html: Path) -> tuple[list[Word], list[Word], list[tuple]]:
    old, new = copy_text_words(page), edition_words(html)
    matcher = difflib.SequenceMatcher(None, [w.text for w in old], [w.text for w in new],
                                      autojunk=False)
    return old, new, matcher.get_opcodes()


def lost_hyphen(words: list[Word], edition: str) -> bool:
    """Compounds whose hyphens or dashes the extraction turned into spaces ("post Soviet",
    "2011 2012 2012 2013" for "2011–2012 2012–2013")."""
    return len(words) > 1 and "".join(w.text for w in words) == edition.replace(" ", "")


def differences(page: str, html: Path) -> list[Difference]:
    old, new, opcodes = alignment(page, html)
    return differences_of(page, old, new, opcodes)


def differences_of(page: str, old: list[Word], new: list[Word], opcodes,
                   line_end_hyphens: bool = False) -> list[Difference]:
    """The departures of `new` (the edition's words) from `old` (the copy-text's), given their
    alignment; `line_end_hyphens`: the edition's own words may be split where a line ended."""
    found = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        copy_norm = " ".join(w.text for w in old[i1:i2])
        edition_norm = " ".join(w.text for w in new[j1:j2])
        if lost_hyphen(old[i1:i2], edition_norm) or (
                line_end_hyphens and j2 - j1 > 1
                and edition_norm.replace(" ", "") == copy_norm.replace(" ", "")):
            continue
        line = old[i1].line if i1 < len(old) else old[-1].line
        found.append(Difference(
            page, line, " ".join(w.shown for w in old[i1:i2]),
            " ".join(w.shown for w in new[j1:j2]), copy_norm, edition_norm))
    return found


def note_places(page: str, html: Path) -> dict[int, tuple[int, int]]:
    """For each thesis note on the page: the copy-text line of the word its marker follows in
    the copy-text, and how many words away from that word the edition's marker stands."""
    old, new, opcodes = alignment(page, html)
    in_edition = {n: j for j, w in enumerate(new) for n in w.notes}
    places = {}
    for i, word in enumerate(old):
        for number in word.notes:
            expected = None
            for tag, i1, i2, j1, _j2 in opcodes:
                if i1 <= i < i2:
                    expected = j1 + (i - i1 if tag == "equal" else 0)
                    break
            found = in_edition.get(number)
            places[number] = (word.line, None if found is None or expected is None
                              else abs(found - expected))
    for number in in_edition.keys() - places.keys():
        places[number] = (0, None)
    return places


# Notes whose marker the edition moved, each listed in book/edition-notes.csv: the marker of
# note 177 ends the chronology's title, where a note would be read as part of the heading.
MOVED_NOTES = {177: "chronology"}

# Edition notes about footnote texts and web addresses concern the notes, which are rendered
# from references.bib: they are checked against the copy-text by tests/test_copy_text.py.
COLLATED_KINDS = {"numbering", "editorial", "spelling", "table", "heading", "layout", "comment",
                  "marker", "number"}
# How far (in copy-text lines) a note's line may stand from the difference it explains: the
# copy-text's words of one passage can run over a few lines.
LINES_SPANNED = 8


def folded(text: str) -> str:
    return " ".join(w.text for w in tokens(text))


def tokens(text: str) -> list[Word]:
    words: list[Word] = []
    for shown in text.split():
        text_ = normalise(shown)
        if text_:
            append(words, Word(text_, shown))
    return words


def explains(note: dict, difference: Difference) -> bool:
    if note["page"] != difference.page or note["kind"] not in COLLATED_KINDS:
        return False
    if abs(int(note["seed_line"]) - difference.line) > LINES_SPANNED:
        return False
    copy_text = difference.copy_norm
    return ((within(copy_text, folded(note["seed_text"]))
             or within(copy_text, without_markers(note["seed_text"])))
            and within(difference.edition_norm, folded(note["edition_text"])))


def within(words: str, text: str) -> bool:
    """`words` stand in `text` as whole words ("Union" is not in "Unions")."""
    return f" {words} " in f" {text} " if words else True


def without_markers(copy_text: str) -> str:
    """Copy-text words as a note quotes them, folded, without the footnote markers they carry."""
    words = copy_text.translate(QUOTES).split()
    kept = [FUSED_MARKER.sub("", w) for i, w in enumerate(words)
            if not (i and re.fullmatch(r"\d{1,3}[.,;:]?", w))]
    return folded(" ".join(kept))


def printed_forms(value: float, printed: str) -> set[str]:
    """The recomputed value as the author would have printed it: the printed decimals, with or
    without a thousands separator and a percent sign."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    forms = {f"{value:.{decimals}f}", f"{value:,.{decimals}f}"}
    return forms | {f + "%" for f in forms}


def explained_by_errata(difference: Difference, errata: list[dict]) -> dict | None:
    for row in errata:
        if row["page"] != difference.page:
            continue
        if (difference.copy_norm.rstrip("%").rstrip() == row["printed"]
                and difference.edition_norm in printed_forms(row["recomputed"], row["printed"])):
            return row
    return None


def page_text(html: Path) -> str:
    """Everything a reader of the page sees: its text and its notes (a number's origin shows
    only at the number, on demand)."""
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article") or soup
    for element in article.select("a.headerlink, span.fn-bracket, a.footnote-reference, script, "
                                  "span.emendation, span.quantity-origin"):
        element.decompose()
    for block in article.find_all(["p", "td", "th", "li", "div", "aside", "dt", "dd"]):
        block.insert_after(" ")
    return article.get_text("")


def edition_notes(path: Path = EDITION_NOTES) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [dict(row, row=index) for index, row in enumerate(csv.DictReader(handle), start=2)]


def errata_record() -> list[dict]:
    """The printed numbers that disagree with the data, as the audit recomputes them."""
    from kzthesis.audit import comparisons
    checked = comparisons()
    return checked[~checked["agrees"]].to_dict("records")


@dataclass
class Collation:
    compared: int = 0                      # copy-text words compared
    differences: list = field(default_factory=list)
    unexplained: list = field(default_factory=list)
    stale: list = field(default_factory=list)  # edition notes that explain no difference
    by_errata: list = field(default_factory=list)


def collate(html_dir: Path, notes_file: Path = EDITION_NOTES) -> Collation:
    notes, errata = edition_notes(notes_file), errata_record()
    result, used = Collation(), set()
    for page in PAGES:
        html = html_dir / "book" / f"{page}.html"
        result.compared += len(copy_text_words(page))
        for difference in differences(page, html):
            result.differences.append(difference)
            matching = [n for n in notes if explains(n, difference)]
            used.update(n["row"] for n in matching)
            # A recomputed number is listed twice, and the two lists must agree: in the errata
            # (the audit of printed numbers) and as an edition note of kind "number".
            row = explained_by_errata(difference, errata)
            numbers = [n for n in matching if n["kind"] == "number"]
            if row and numbers:
                result.by_errata.append((difference, row))
            elif row or numbers or not matching:
                result.unexplained.append(difference)
    # A note that explains no difference of the thesis's text documents a repair that the
    # collation normalises (a restored hyphen or dash, a marker unfused) or a change inside a
    # footnote: what it says the edition prints must stand on its page, in the text or notes.
    shown = {page: folded(page_text(html_dir / "book" / f"{page}.html")) for page in PAGES}
    result.stale = [n for n in notes if n["row"] not in used
                    and folded(n["edition_text"]) not in shown.get(n["page"], "")]
    return result


def proposed_row(difference: Difference) -> list[str]:
    return [difference.page, str(difference.line), "", difference.copy_text,
            difference.edition, ""]


def main(argv: list[str]) -> int:
    html_dir = ROOT / "_build" / "html"
    result = collate(html_dir)
    if "--propose" in argv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        for difference in result.unexplained:
            writer.writerow(proposed_row(difference))
        return 0
    for difference in result.unexplained:
        print(f"unlisted difference: {difference}")
    for note in result.stale:
        print(f"book/edition-notes.csv, line {note['row']}: stale note: the edition shows no "
              f"difference {note['seed_text']!r} → {note['edition_text']!r} near copy-text line "
              f"{note['seed_line']} of {note['page']}")
    print(f"{result.compared} copy-text words compared; {len(result.differences)} differences: "
          f"{len(result.differences) - len(result.unexplained)} listed in the edition notes "
          f"(of which {len(result.by_errata)} recomputed numbers, listed in the errata too), "
          f"{len(result.unexplained)} unlisted; {len(result.stale)} stale notes")
    return 1 if result.unexplained or result.stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# -- the PDF's text layer ------------------------------------------------------------------------
# The PDF is collated by the same rules, on the words pdftotext reads from its text layer, for
# every thesis page but the two appendices that are tables (survey results, Tables 1-3: set in
# smaller type, generated by the same code as the HTML's, and collated there). Only words in the body's type size are read: running heads, headings, notes, note
# markers, table cells and the text of charts are other sizes. Headings are collated in the HTML;
# here the copy-text's heading lines are left out too.
PDF_PROSE_PAGES = ("abstract", "acronyms", "introduction", "chapter1", "chapter2", "chapter3",
                   "chapter4", "conclusions", "chronology")
PDF_SIGNS = str.maketrans("", "", "°•")
LIGATURES = {"fi", "fl", "ff", "ffi", "ffl"}
FIGURE_CAPTION = re.compile(r"(?:Figure|Table) [A-Z\d]+\.\d+:")


def _pdf_lines(pdf: Path) -> list[list[tuple[float, float, list[tuple[str, float]]]]]:
    """Per page: (top, left, [(word, height)]) of each line, as pdftotext lays them out."""
    import subprocess

    layout = BeautifulSoup(subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-bbox-layout", str(pdf), "-"], check=True,
        capture_output=True, text=True).stdout, "html.parser")
    pages = []
    for page in layout.find_all("page"):
        lines = []
        for line in page.find_all("line"):
            words = [(w.get_text(), round(float(w["ymax"]) - float(w["ymin"]), 1))
                     for w in line.find_all("word")]
            lines.append((float(line["ymin"]), float(line["xmin"]), words))
        pages.append(lines)
    return pages


def _squashed(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def pdf_words(pdf: Path) -> dict[str, list[Word]]:
    """The body-size words of each prose page of the PDF, hyphenation at line ends undone."""
    from collections import Counter

    pages = _pdf_lines(pdf)
    body = Counter(h for lines in pages for _, _, words in lines for _, h in words).most_common(1)[0][0]
    titles = {_squashed(PAGE_TITLES[name]): name for name in PDF_PROSE_PAGES}
    openings = {}
    for index, lines in enumerate(pages):
        # A chapter's title, in large type on one line or more of the page's first lines.
        big = _squashed(" ".join(w for _, _, words in lines[:4] for w, h in words if h > 1.5 * body))
        if big in titles and titles[big] not in openings:
            openings[titles[big]] = index
    starts = sorted(i for i, lines in enumerate(pages)
                    if any(h > 1.5 * body for _, _, words in lines[:3] for _, h in words))
    found = {}
    for name, first in openings.items():
        last = next((s for s in starts if s > first), len(pages))
        words: list[Word] = []
        box_left, broken = None, ""
        for lines in pages[first:last]:
            for _, left, line in lines:
                text = " ".join(w for w, _ in line)
                if "(a note of this edition)" in text:  # the edition's own boxes
                    box_left = left
                    continue
                if box_left is not None and abs(left - box_left) < 1.5:
                    continue
                box_left = None
                kept = [w.translate(PDF_SIGNS) for w, h in line if abs(h - body) < 0.3]
                # A chart's ligature glyph ("con fi dence") can share the body's size.
                kept = [w for w in kept if w and w not in LIGATURES]
                for position, shown in enumerate(kept):
                    if broken:
                        shown, broken = broken + shown, ""
                    if position == len(kept) - 1 and shown.endswith("-") and len(shown) > 1:
                        broken = shown[:-1]  # a word the line's end hyphenated
                        continue
                    text_ = normalise(shown)
                    if text_:
                        append(words, Word(text_, shown))
        found[name] = _without_captions(words)
    return found


def _without_captions(words: list[Word]) -> list[Word]:
    """The words without the edition's figure captions ("Figure 3.1: … counts."), which the HTML
    marks as the edition's and the PDF sets as text: each runs to the sentence that ends it."""
    kept, index = [], 0
    while index < len(words):
        if words[index].shown == "Figure" and index + 1 < len(words) and FIGURE_CAPTION.fullmatch(
                f"Figure {words[index + 1].shown}"):
            index += 2
            while index < len(words) and not words[index].shown.endswith(CAPTION_END):
                index += 1
            index += 1
            continue
        kept.append(words[index])
        index += 1
    return kept


# Every figure caption of the chapters ends with this sentence (book/chapter*.md).
CAPTION_END = "counts."


PAGE_TITLES = {"abstract": "Abstract", "acronyms": "Acronyms and definitions",
               "introduction": "Introduction", "chronology": "Chronology of the events",
               "chapter1": "The Soviet Union and early Kazakhstan",
               "chapter2": "Democratic development of Kazakhstan",
               "chapter3": "January protests and their prerequisites",
               "chapter4": "Kazakhstan after the January events", "conclusions": "General conclusions"}


def _copy_text_prose(page: str) -> list[Word]:
    """The page's copy-text words without its heading lines (collated in the HTML)."""
    lines = copy_text_lines()
    first, _ = PAGES[page]
    headings = {first} | {n for n in range(first, PAGES[page][1] + 1)
                          if HEADING_NUMBER.match(lines[n - 1].replace("\u00a0", " "))}
    return [w for w in copy_text_words(page) if w.line not in headings]


def collate_pdf(pdf: Path, notes_file: Path = EDITION_NOTES) -> Collation:
    notes, errata = edition_notes(notes_file), errata_record()
    result = Collation()
    for page, new in pdf_words(pdf).items():
        old = _copy_text_prose(page)
        result.compared += len(old)
        matcher = difflib.SequenceMatcher(None, [w.text for w in old], [w.text for w in new],
                                          autojunk=False)
        for difference in differences_of(page, old, new, matcher.get_opcodes(), line_end_hyphens=True):
            result.differences.append(difference)
            if not any(explains(n, difference) for n in notes) and not explained_by_errata(difference, errata):
                result.unexplained.append(difference)
    return result
