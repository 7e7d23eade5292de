"""Counts reported day by day in the thesis's Chronology of the events (2–12 January 2022)."""

from __future__ import annotations

import pandas as pd

from .data import DataError, load

LABELS = {
    "detained": "Detained", "killed": "Killed", "injured": "Injured",
    "criminal_cases": "Criminal cases", "serious_crime_suspects": "Suspected of serious crimes",
    "administrative_arrests": "Administrative arrests", "protesters_zhanaozen": "Protesters in Zhanaozen",
    "militants_claimed": "Militants claimed by the President", "children_shot": "Children shot dead",
}


def counts() -> pd.DataFrame:
    frame = load("chronology_counts")
    frame["day"] = frame["date"].dt.day
    frame["label"] = frame["measure"].map(LABELS).fillna(frame["measure"])
    return frame


def reported(date: str, measure: str) -> int:
    """The count of `measure` reported on `date` (ISO, e.g. 2022-01-09)."""
    frame = counts()
    match = frame[(frame["date"] == pd.Timestamp(date)) & (frame["measure"] == measure)]
    if match.empty:
        raise DataError(f"{frame.attrs['path']}: no '{measure}' reported on {date}")
    return int(match["value"].iloc[0])
