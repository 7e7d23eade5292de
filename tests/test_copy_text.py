"""The copy-text is part of the project, unmodified, and the edition's references into it hold:
every edition note's copy-text words stand at the line it gives."""

import csv
import hashlib
import re

import pytest

from conftest import ROOT

COPY_TEXT = ROOT / "copy-text" / "thesis.txt"
# An edition note may quote words that the extraction broke over a few lines; a note on a
# table quotes its cells, which the extraction scattered over up to 60 lines.
LINES_SPANNED = 8
TABLE_LINES_SPANNED = 60


def test_the_copy_text_is_the_one_described():
    recorded = re.search(r"sha256: `([0-9a-f]{64})`", (ROOT / "copy-text" / "README.md").read_text())
    assert recorded, "copy-text/README.md gives no sha256"
    assert hashlib.sha256(COPY_TEXT.read_bytes()).hexdigest() == recorded.group(1)


def folded(text: str) -> str:
    return " ".join(text.split())


NOTES = list(csv.DictReader((ROOT / "book" / "edition-notes.csv").open(encoding="utf-8")))


@pytest.mark.parametrize("note", NOTES, ids=lambda n: f"{n['page']}:{n['seed_line']}")
def test_each_edition_note_quotes_its_copy_text_line(note):
    lines = COPY_TEXT.read_text(encoding="utf-8").split("\n")
    line = int(note["seed_line"])
    assert 1 <= line <= len(lines)
    spanned = TABLE_LINES_SPANNED if note["kind"] == "table" else LINES_SPANNED
    window = folded(" ".join(lines[line - 1: line - 1 + spanned]))
    # Words from two places of one passage are quoted joined by "; ".
    for part in folded(note["seed_text"]).split("; "):
        assert part in window or part.replace(" ", "") in window.replace(" ", ""), (
            f"copy-text/thesis.txt, line {line}: {part!r} not found there")


def test_nothing_in_the_project_names_a_path_outside_it():
    tracked = [p for p in ROOT.rglob("*") if p.is_file() and not set(p.relative_to(ROOT).parts[:1])
               & {".git", ".venv", "_build", "node_modules"} and p.suffix in (".md", ".py", ".yml", ".json", ".csv", ".toml", ".txt", ".sh")]
    outside = re.compile(r"(?<![\w.])/(?:work|root|home|tmp)/[A-Za-z]")
    found = [f"{p.relative_to(ROOT)}" for p in tracked if p != COPY_TEXT
             and outside.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert found == []


PRINTED = list(csv.DictReader((ROOT / "data" / "printed_numbers.csv").open(encoding="utf-8")))


@pytest.mark.parametrize("row", PRINTED, ids=lambda r: f"{r['page']}:{r['line']}:{r['printed']}")
def test_each_printed_number_names_the_copy_text_line_of_its_sentence(row):
    from kzthesis.edition import FUSED_MARKER, normalise

    lines = COPY_TEXT.read_text(encoding="utf-8").split("\n")
    start = int(row["line"])
    window = " ".join(lines[start - 1: start - 1 + 4]).replace("\u00a0", " ")
    folded_window = " ".join(normalise(FUSED_MARKER.sub("", w)) for w in window.split())
    first_words = " ".join(normalise(w) for w in row["sentence"].split()[:6])
    assert first_words in folded_window, f"copy-text/thesis.txt, line {start}: {first_words!r}"
    # The sentence begins on this line, not on the one before.
    assert normalise(row["sentence"].split()[0]) in " ".join(
        normalise(w) for w in lines[start - 1].replace("\u00a0", " ").split())
