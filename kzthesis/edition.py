"""The edition notes: every correction this edition made to the seed's text, kept as one list
(book/edition-notes.csv) that each chapter extends and the "About this edition" page shows."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from . import ROOT
from .data import DataError, record_read, relative

NOTES = ROOT / "book" / "edition-notes.csv"
COLUMNS = ["page", "seed_line", "kind", "seed_text", "edition_text", "note"]


def edition_notes() -> pd.DataFrame:
    record_read(NOTES)
    frame = pd.read_csv(NOTES, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{relative(NOTES)}, line 1: missing column(s) {', '.join(missing)}")
    for index, value in frame["seed_line"].items():
        if not value.isdigit():
            raise DataError(f"{relative(NOTES)}, line {index + 2}, column 'seed_line': "
                            f"'{value}' is not a line number")
    frame["seed_line"] = frame["seed_line"].astype(int)
    return frame[COLUMNS]


# What the PDF extraction broke and the edition repairs without a sign: quotation-mark style,
# hyphens and dashes, footnote markers fused to words (tools/collation.py normalises the same).
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'",
                        "`": "'", "´": "'"})
DASHES = re.compile(r"[-‐‑‒–—―−]")
# A footnote marker fused to the end of a word: digits after a letter, a quotation mark or a
# closing bracket, or after punctuation that itself follows one of those ("propaganda2.",
# "down”434445", "Kazakhstan.12").
FUSED_MARKER = re.compile(r"(?<=[^\W\d_]|[\"')\]])\d+|(?<=[^\W\d_\"')\]][.,;:])\d+")
# Kinds of note that may change the author's words; headings, tables and footnotes are listed
# but carry no sign in the text.
EMENDING_KINDS = ("spelling", "editorial", "number")


def normalise(word: str) -> str:
    word = unicodedata.normalize("NFC", word).translate(QUOTES).replace("...", "…")
    return DASHES.sub("", word)


def _repaired_only(seed_text: str, edition_text: str) -> bool:
    """The two differ only in what the extraction broke (or not at all: a comment)."""
    def plain(text: str) -> str:
        return "".join(normalise(FUSED_MARKER.sub("", w)) for w in text.split())
    return plain(seed_text) == plain(edition_text)


def emendations() -> pd.DataFrame:
    """The notes where the edition changed the author's words (a corrected number, name or
    word, a restored word or capital): each gets a sign in the text and an entry in the list of
    emendations. `id` is "emendation-N", numbered in the notes' order."""
    notes = edition_notes()
    changed = notes[notes["kind"].isin(EMENDING_KINDS) & ~notes.apply(
        lambda row: _repaired_only(row.seed_text, row.edition_text), axis=1)].copy()
    changed["id"] = [f"emendation-{n}" for n in range(1, len(changed) + 1)]
    return changed.reset_index(drop=True)


def note_label(index: int) -> str:
    """The label of the place of the edition note in row `index` (0-based) of the notes; an
    emendation's place is "emended-N" instead (book_extensions/emendations.py)."""
    return f"noted-{index + 1}"


def emendation_of(page: str, printed: str) -> str | None:
    """The emendation of kind "number" that corrects the number `printed` on `page`."""
    found = emendations()
    for row in found[(found["page"] == page) & (found["kind"] == "number")].itertuples():
        if printed in re.findall(r"\d[\d,.]*\d|\d", row.seed_text):
            return row.id
    return None
