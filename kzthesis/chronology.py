"""Counts reported day by day in the thesis's Chronology of the events (2–12 January 2022), and
the dates the prose gives for the chronology's events (data/event_dates.csv)."""

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


def event_dates() -> pd.DataFrame:
    """The printed dates, indexed by `id`: the chronology's days and the prose's dates of events
    the chronology records, each tied to the day that records it (column `chronology`)."""
    frame = load("event_dates")
    frame.index = frame["id"].astype(str)
    return frame


def dates_against_chronology() -> pd.DataFrame:
    """Every date of the prose tied to a day of the chronology, with both places and whether
    they agree."""
    from .report import place_link

    frame = event_dates()
    rows = []
    for row in frame[frame["page"] != "chronology"].itertuples():
        day = frame.loc[str(row.chronology)]
        rows.append({"Event": row.event, "Prose": place_link(row.page, row.id, row.printed, "d"),
                     "Chronology": place_link(day.page, day.id, day.printed, "d"),
                     "Chronology's words": row.chronology_words,
                     "Agrees": row.date == day.date})
    return pd.DataFrame(rows, columns=["Event", "Prose", "Chronology", "Chronology's words", "Agrees"])


def dates_audit():
    """The audit's list of the prose's dates that differ from the chronology's day, or a
    sentence saying that none does."""
    from IPython.display import Markdown

    from .report import table

    checked = dates_against_chronology()
    differing = checked[~checked["Agrees"].astype(bool)].drop(columns="Agrees")
    if differing.empty:
        return Markdown(f"Each of the {len(checked)} dates that the prose gives for an event of the "
                        f"chronology is the chronology's day for it: no date differs.")
    return Markdown(f"{len(differing)} of the {len(checked)} dates that the prose gives for an event of "
                    f"the chronology {'differs' if len(differing) == 1 else 'differ'} from the chronology's "
                    f"day for it:\n\n" + table(differing).data)
