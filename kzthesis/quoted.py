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


# --- the audit: quoted quantities against each other and against the thesis's data --------------

def _value(printed: str) -> float:
    low, high = bounds(printed)
    return high if low == high else (low + high) / 2


def place(row):
    """A link to the place where the row `row` of the table is printed."""
    from .report import place_link

    return place_link(str(row.page), str(row.id), str(row.printed))


def totals() -> pd.DataFrame:
    """Every quoted whole with two parts or more, against the sum of its parts."""
    frame = table()
    rows = []
    for whole, parts in frame.dropna(subset=["whole"]).groupby("whole", sort=False):
        if len(parts) < 2:
            continue
        total = frame.loc[str(whole)]
        counted = [(_value(str(p.printed)), int(p.parts) if pd.notna(p.parts) else 1) for p in parts.itertuples()]
        added = sum(value * times for value, times in counted)
        terms = " + ".join(f"{times} × {value:,g}" if times > 1 else f"{value:,g}" for value, times in counted)
        from .report import joined

        rows.append({"Total": place(total), "Counts": total.counts, "Parts": joined(
            [place(p) for p in parts.itertuples()]), "Sum of the parts": f"{terms} = {added:,g}",
            "Difference": f"{_value(str(total.printed)) - added:,g}"})
    return pd.DataFrame(rows, columns=["Total", "Counts", "Parts", "Sum of the parts", "Difference"])


def _same_thing(counts: str) -> str:
    """What a row counts without its parenthesised qualifier ('(Russian sources)')."""
    return re.sub(r"\s*\([^)]*\)", "", counts).strip().lower()


def quoted_differently() -> pd.DataFrame:
    """Quantities that count the same thing at the same place and time but are quoted with
    different values."""
    frame = table().assign(thing=lambda f: f["counts"].map(_same_thing),
                           value=lambda f: f["printed"].map(_value))
    rows = []
    for (_, _, where, when), group in frame.groupby(["thing", "unit", "where", "when"], sort=False):
        if group["value"].nunique() < 2:
            continue
        first = group.iloc[0]
        for other in group.iloc[1:].itertuples():
            if other.value != first.value:
                rows.append({"Counts": first.counts, "Where, when": f"{where}, {when}", "One place": place(first),
                             "Other place": place(other)})
    return pd.DataFrame(rows, columns=["Counts", "Where, when", "One place", "Other place"])


def against_data() -> pd.DataFrame:
    """Quoted quantities that state a value of the thesis's own data, with that value."""
    from . import audit
    from .report import code

    frame = table().dropna(subset=["data_quantity"])
    rows = []
    for row in frame.itertuples():
        value = audit.evaluate(str(row.data_quantity))
        rows.append({"Place": place(row), "Counts": row.counts, "Data": code(str(row.data_quantity)),
                     "Value in the data": f"{value:,g}", "Agrees": "yes" if value == _value(str(row.printed)) else "no"})
    return pd.DataFrame(rows, columns=["Place", "Counts", "Data", "Value in the data", "Agrees"])


