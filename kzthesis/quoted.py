"""The quantities the thesis quotes from its sources (data/quoted_quantities.csv).

The pages print each one through the `{quoted}` role (book_extensions/quantities.py), so its
value is typed once, in the table. Here: the table, the numeric value of a printed form
("1,100", "20–30 thousand", "63.4 million") and the lists the appendix and the audit show.
"""

from __future__ import annotations

import re

import pandas as pd

from .data import load

RESOURCE = "quoted_quantities"
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_PRINTED = re.compile(r"^(?P<low>[0-9][0-9,]*(?:\.[0-9]+)?)(?:–(?P<high>[0-9][0-9,]*(?:\.[0-9]+)?))?"
                      r"(?: (?P<scale>thousand|million|billion))?$")


def bounds(printed: str) -> tuple[float, float]:
    """The value of a printed form as (low, high): equal for a single number."""
    match = _PRINTED.match(printed)
    if match is None:
        raise ValueError(f"{printed!r} is not a number as the thesis prints it")
    scale = SCALES.get(match["scale"] or "", 1)
    low = float(match["low"].replace(",", "")) * scale
    high = float(match["high"].replace(",", "")) * scale if match["high"] else low
    return low, high


def table() -> pd.DataFrame:
    """The validated table, one row per printed place, indexed by `id`."""
    frame = load(RESOURCE)
    frame.index = frame["id"].astype(str)
    return frame


def row(quantity_id: str) -> pd.Series | None:
    frame = table()
    return frame.loc[quantity_id] if quantity_id in frame.index else None


def without_note() -> pd.DataFrame:
    """The quantities for which the thesis gives no note (recorded as such, no source invented)."""
    frame = table()
    return frame[frame["note"].isna()]
