"""Compare every number the thesis prints about its own data with the value recomputed from
data/. The printed numbers are recorded in data/printed_numbers.csv (prose) and in the
`printed_ratio` column of data/survey_options.csv (the appendix tables).

A printed value agrees when the recomputed value, rounded to the printed number of decimals,
equals it. Quantities are written as calls, e.g. ``survey_share(3,2)`` or
``ethnic_share(Kazakhs,1989)``; only the functions in QUANTITIES can be named.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd

from . import chronology, survey, tables
from .data import DataError, line_of, load

QUANTITIES = {
    "respondents": lambda: survey.respondents(),
    "survey_count": lambda q, o: survey.count(int(q), int(o)),
    "survey_share": lambda q, o: survey.share(int(q), int(o)),
    "recommendation_mentions": lambda k: survey.mentions(int(k)),
    "no_answers": lambda: survey.no_answer_open_question(),
    "recommendation_none": lambda: survey.no_answer_open_question(),
    "recommendation_answered": lambda: survey.respondents() - survey.no_answer_open_question(),
    "ethnic_share": lambda e, y: tables.ethnic_share(e, int(y)),
    "assemblies": lambda p: tables.assemblies(p),
    "assemblies_total": lambda: int(tables.peaceful_assemblies()["assemblies"].sum()),
    "assembly_share": lambda p, k: tables.assembly_share(p, k),
    "chronology": lambda date, measure: chronology.reported(date, measure),
}
CALL = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$")


def evaluate(quantity: str) -> float:
    """The value of a quantity expression such as ``survey_share(3,2)``."""
    match = CALL.match(quantity)
    if not match or match.group(1) not in QUANTITIES:
        known = ", ".join(sorted(QUANTITIES))
        raise DataError(f"unknown quantity '{quantity}' (known: {known})")
    arguments = [a.strip() for a in match.group(2).split(",") if a.strip()]
    return float(QUANTITIES[match.group(1)](*arguments))


def decimals(printed: str) -> int:
    exponent = Decimal(str(printed).strip()).as_tuple().exponent
    return max(0, -int(exponent))


def agrees(printed: str, recomputed: float) -> bool:
    places = decimals(printed)
    return round(recomputed + 1e-9, places) == round(float(printed), places)


def comparisons() -> pd.DataFrame:
    """One row per printed number: where, what was printed, what the data give, agreement."""
    rows = []
    prose = load("printed_numbers")
    for index, row in prose.iterrows():
        try:
            value = evaluate(row.quantity)
        except DataError as error:
            raise DataError(f"{prose.attrs['path']}, line {line_of(prose, index)}, column 'quantity': {error}") from None
        rows.append({"page": row.page, "where": row.sentence, "printed": row.printed,
                     "quantity": row.quantity, "recomputed": value,
                     "recorded_disagreement": bool(row.disagrees)})
    options = load("survey_options")
    for row in options.itertuples():
        printed = f"{row.printed_ratio:.1f}"
        quantity = f"survey_share({row.question},{row.option})"
        rows.append({"page": "survey-results",
                     "where": f"Appendix table of question {row.question}, option {row.option}: ratio",
                     "printed": printed, "quantity": quantity, "recomputed": evaluate(quantity),
                     "recorded_disagreement": False})
    frame = pd.DataFrame(rows)
    frame["agrees"] = [agrees(p, v) for p, v in zip(frame["printed"], frame["recomputed"])]
    return frame


def errata() -> pd.DataFrame:
    """The printed numbers that disagree with the data."""
    frame = comparisons()
    return frame[~frame["agrees"]].reset_index(drop=True)


def unrecorded() -> pd.DataFrame:
    """Printed numbers whose agreement with the data differs from what data/printed_numbers.csv
    records: a new disagreement (or a fixed one) that the record does not know yet."""
    frame = comparisons()
    return frame[frame["agrees"] == frame["recorded_disagreement"]].reset_index(drop=True)
