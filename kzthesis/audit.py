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
# The resources that the quantities read.
RESOURCES = ("survey_sample", "survey_options", "survey_recommendations", "ethnic_composition",
             "peaceful_assemblies", "assembly_nature", "chronology_counts")
CALL = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$")


def evaluate(quantity: str) -> float:
    """The value of a quantity expression such as ``survey_share(3,2)``."""
    match = CALL.match(quantity)
    if not match or match.group(1) not in QUANTITIES:
        known = ", ".join(sorted(QUANTITIES))
        raise DataError(f"unknown quantity '{quantity}' (known: {known})")
    arguments = [a.strip() for a in match.group(2).split(",") if a.strip()]
    try:
        return float(QUANTITIES[match.group(1)](*arguments))
    except DataError:
        raise
    except (TypeError, ValueError) as error:  # wrong number or kind of arguments
        raise DataError(f"cannot evaluate '{quantity}': {error}") from None


def decimals(printed: str) -> int:
    exponent = Decimal(str(printed).strip()).as_tuple().exponent
    return max(0, -int(exponent))


def agrees(printed: str, recomputed: float) -> bool:
    places = decimals(printed)
    return round(recomputed + 1e-9, places) == round(float(printed), places)


def _evaluated(frame: pd.DataFrame) -> dict[str, float]:
    """The value of each distinct quantity of `frame` (printed_numbers), computed once: a long
    record repeats few quantities (the data hold a few hundred values at most)."""
    values = {}
    for quantity, index in frame.groupby("quantity", sort=False).groups.items():
        try:
            values[quantity] = evaluate(quantity)
        except DataError as error:
            raise DataError(f"{frame.attrs['path']}, line {line_of(frame, index[0])}, column 'quantity': "
                            f"{error}") from None
    return values


def comparisons() -> pd.DataFrame:
    """One row per printed number: where, what was printed, what the data give, agreement."""
    prose = load("printed_numbers")
    values = _evaluated(prose)
    frame = pd.DataFrame({
        "page": prose["page"].astype(object), "where": prose["sentence"].astype(object),
        "printed": prose["printed"].astype(object), "quantity": prose["quantity"].astype(object),
        "recomputed": prose["quantity"].map(values).astype(float),
        "recorded_disagreement": prose["disagrees"].astype(bool),
    })
    rows = []
    options = load("survey_options")
    for row in options.itertuples():
        printed = f"{row.printed_ratio:.1f}"
        quantity = f"survey_share({row.question},{row.option})"
        rows.append({"page": "survey-results",
                     "where": f"Appendix table of question {row.question}, option {row.option}: ratio",
                     "printed": printed, "quantity": quantity, "recomputed": evaluate(quantity),
                     "recorded_disagreement": False})
    frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
    verdicts = {pair: agrees(*pair) for pair in set(zip(frame["printed"], frame["recomputed"]))}
    frame["agrees"] = [verdicts[pair] for pair in zip(frame["printed"], frame["recomputed"])]
    return frame


# A generated page lists at most this many disagreements in full (and says how many more there
# are): the pages stay small however long data/printed_numbers.csv grows.
LISTED = 100


def listed(frame: pd.DataFrame, limit: int = LISTED) -> tuple[pd.DataFrame, int]:
    """The first `limit` disagreements of `comparisons()` and how many more there are."""
    disagreeing = frame[~frame["agrees"]]
    return disagreeing.head(limit).reset_index(drop=True), max(0, len(disagreeing) - limit)


def by_page(frame: pd.DataFrame) -> pd.DataFrame:
    """Printed numbers checked, agreeing and disagreeing, per page (in the book's order)."""
    from .report import PAGE_TITLES

    order = {page: i for i, page in enumerate(PAGE_TITLES)}
    summary = (frame.assign(disagree=~frame["agrees"])
               .groupby("page", sort=False)
               .agg(checked=("agrees", "size"), agree=("agrees", "sum"), disagree=("disagree", "sum"))
               .reset_index())
    summary = summary.sort_values("page", key=lambda pages: pages.map(lambda p: order.get(p, len(order))),
                                  kind="stable")
    return summary.astype({"checked": int, "agree": int, "disagree": int}).reset_index(drop=True)


def errata() -> pd.DataFrame:
    """The printed numbers that disagree with the data."""
    frame = comparisons()
    return frame[~frame["agrees"]].reset_index(drop=True)


def unrecorded() -> pd.DataFrame:
    """Printed numbers whose agreement with the data differs from what data/printed_numbers.csv
    records: a new disagreement (or a fixed one) that the record does not know yet."""
    frame = comparisons()
    return frame[frame["agrees"] == frame["recorded_disagreement"]].reset_index(drop=True)
