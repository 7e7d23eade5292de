"""The edition notes: every correction this edition made to the seed's text, kept as one list
(book/edition-notes.csv) that each chapter extends and the "About this edition" page shows."""

from __future__ import annotations

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


BENCHMARK = ROOT / "benchmarks" / "latest.md"


def benchmark_table() -> str:
    """The latest `make bench` results (Markdown), as committed in benchmarks/latest.md."""
    record_read(BENCHMARK)
    if not BENCHMARK.exists():
        return "*`make bench` has not been run on this copy of the project yet.*\n"
    return BENCHMARK.read_text(encoding="utf-8")
