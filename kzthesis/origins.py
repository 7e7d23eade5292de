"""Where each number of the book comes from, in words: what a reader sees at a number.

A glued (computed) number is named by its glue key (`kzthesis.book`); `computed(key)` says how
it is computed, from which inputs, in which file and row, in which notebook, and which call of
`kzthesis.audit` it is (to find what the author printed). A quoted number is a row of
data/quoted_quantities.csv (`kzthesis.quoted`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import chronology, stats, survey, tables
from .data import line_of, load, relative, resource_descriptor
from . import DATA_DIR, ROOT


@dataclass(frozen=True)
class Origin:
    words: str          # the computation in words, with its inputs
    file: str           # the data file, as the author knows it (data/NAME.csv)
    line: int | None    # its line (the row), None for a whole file
    notebook: str       # the docname of the notebook that shows the computation
    anchor: str         # the label of the code cell there ("" for the page)
    quantity: str       # the call of kzthesis.audit that states the value ("" if none)


def _file(resource: str) -> str:
    return relative(DATA_DIR / resource_descriptor(resource)["path"])


def _share_words(count: int, kind: str) -> str:
    """What a share ("pct") or its interval ("ci") of `count` respondents adds to the count."""
    n = survey.respondents()
    if kind == "pct":
        return f": {count} / {n} = {100 * count / n:.2f} %"
    if kind == "ci":
        low, high = stats.wilson_interval(count, n)
        return (f"; the {stats.confidence_percent():g} % Wilson score interval of {count} / {n} "
                f"(kzthesis.stats.wilson_interval): {100 * low:.2f}–{100 * high:.2f} %")
    return ""


def _survey(question: int, option: int, kind: str) -> Origin:
    options = load("survey_options")
    match = options[(options["question"] == question) & (options["option"] == option)]
    row = match.iloc[0]
    count = int(row.responses)
    words = (f"{count} of {survey.respondents()} respondents chose '{row.text}' in question {question}"
             + _share_words(count, kind))
    call = {"pct": f"survey_share({question},{option})", "n": f"survey_count({question},{option})"}.get(kind, "")
    return Origin(words, _file("survey_options"), line_of(options, match.index[0]), "notebooks/survey",
                  f"drawn-survey-question-figure-{question}", call)


def _recommendation(rank: int, kind: str) -> Origin:
    frame = load("survey_recommendations")
    match = frame[frame["rank"] == rank]
    row = match.iloc[0]
    answered = survey.respondents() - survey.no_answer_open_question()
    words = (f"{int(row.mentions)} respondents named '{row.text}' in question 10"
             + _share_words(int(row.mentions), kind) + f" ({answered} answered the question)")
    return Origin(words, _file("survey_recommendations"), line_of(frame, match.index[0]),
                  "notebooks/survey", "drawn-survey-question-figure-10",
                  f"recommendation_mentions({rank})" if kind == "n" else "")


def _confidence() -> Origin:
    """The confidence level of the survey's intervals: a constant of the package, not data."""
    source = ROOT / "kzthesis" / "stats.py"
    line = next(number for number, text in enumerate(source.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("CONFIDENCE ="))
    return Origin(f"the confidence level with which every interval of the survey is computed: "
                  f"kzthesis.stats.CONFIDENCE = {stats.CONFIDENCE:g}, that is {stats.confidence_percent():g} %",
                  relative(source), line, "notebooks/survey", "", "")


def _sample(words: str, call: str) -> Origin:
    return Origin(words, _file("survey_sample"), 2, "notebooks/survey", "", call)


def _ethnic(ethnicity: str, year: int) -> Origin:
    frame = load("ethnic_composition")
    match = frame[(frame["ethnicity"].str.lower() == ethnicity) & (frame["year"] == year)]
    row = match.iloc[0]
    return Origin(f"share of {row.ethnicity} in the population of Kazakhstan in {year}, as Table 1 "
                  f"gives it: {float(row.share):g} %", _file("ethnic_composition"),
                  line_of(frame, match.index[0]), "notebooks/population", "drawn-ethnic-composition-figure",
                  f"ethnic_share({row.ethnicity},{year})")


def _assemblies(period: str) -> Origin:
    frame = load("peaceful_assemblies")
    if period == "total":
        parts = " + ".join(str(int(v)) for v in frame["assemblies"])
        return Origin(f"peaceful assemblies of all the periods of Table 2 added up: {parts} = "
                      f"{int(frame['assemblies'].sum())}", _file("peaceful_assemblies"), None,
                      "notebooks/assemblies", "drawn-assemblies-figure", "assemblies_total()")
    match = frame[frame["period"].astype(str) == period]
    return Origin(f"peaceful assemblies in {period}, as Table 2 gives them: "
                  f"{int(match.iloc[0].assemblies)}", _file("peaceful_assemblies"),
                  line_of(frame, match.index[0]), "notebooks/assemblies", "drawn-assemblies-figure",
                  f"assemblies({period})")


def _nature(kind: str, period: str) -> Origin:
    frame = load("assembly_nature")
    match = frame[frame["period"].astype(str) == period]
    return Origin(f"share of {kind} assemblies in {period}, as Table 3 gives it: "
                  f"{tables.assembly_share(period, kind):g} %", _file("assembly_nature"),
                  line_of(frame, match.index[0]), "notebooks/assemblies", "drawn-assembly-nature-figure",
                  f"assembly_share({period},{kind})")


def _chronology(measure: str, month_day: str) -> Origin:
    frame = chronology.counts()
    date = f"2022-{month_day[:2]}-{month_day[2:]}"
    match = frame[(frame["measure"] == measure) & (frame["date"] == date)]
    row = match.iloc[0]
    by = f", reported by {row.reported_by}" if isinstance(row.reported_by, str) and row.reported_by else ""
    return Origin(f"{chronology.LABELS.get(measure, measure)} on {int(month_day[2:])} January 2022 in the "
                  f"Chronology{by}: {int(row.value)}", _file("chronology_counts"),
                  line_of(frame, match.index[0]), "notebooks/chronology", "drawn-chronology-figure",
                  f"chronology({date},{measure})")


_KEYS = [
    (re.compile(r"q(\d+)o(\d+)-(pct|n|ci)"), lambda q, o, kind: _survey(int(q), int(o), kind)),
    (re.compile(r"q10r(\d+)-(pct|n|ci)"), lambda k, kind: _recommendation(int(k), kind)),
    (re.compile(r"survey-n(?:-words(?:-cap)?)?"),
     lambda: _sample(f"respondents of the survey: {survey.respondents()}", "respondents()")),
    (re.compile(r"q10-none-(n|pct|ci)"), lambda kind: _sample(
        f"respondents who left question 10 unanswered: {survey.no_answer_open_question()}"
        + _share_words(survey.no_answer_open_question(), kind), "no_answers()" if kind == "n" else "")),
    (re.compile(r"confidence-pct"), _confidence),
    (re.compile(r"q10-answered-n"), lambda: _sample(
        f"respondents who answered question 10: {survey.respondents()} − "
        f"{survey.no_answer_open_question()} without an answer", "recommendation_answered()")),
    (re.compile(r"survey-overcounted-n"), lambda: Origin(
        "choice questions whose answers outnumber the respondents (several answers were allowed)",
        _file("survey_options"), None, "notebooks/survey", "", "")),
    (re.compile(r"eth-([a-z]+)-(\d{4})"), lambda e, y: _ethnic(e, int(y))),
    (re.compile(r"assemblies-(.+)"), _assemblies),
    (re.compile(r"nature-([a-z]+)-(.+)"), _nature),
    (re.compile(r"([a-z_]+)-(\d{4})(?:-words(?:-cap)?)?"), _chronology),
]


def computed(key: str) -> Origin | None:
    """The origin of the glue key `key` (None for a key of another kind, e.g. the errata page's
    own counts)."""
    for pattern, origin in _KEYS:
        match = pattern.fullmatch(key)
        if match:
            try:
                return origin(*match.groups())
            except (IndexError, KeyError, ValueError):
                return None
    return None


def printed_instead(page: str, quantity: str) -> str | None:
    """What the thesis printed on `page` for the data quantity `quantity`, where it differs from
    the data (data/printed_numbers.csv)."""
    if not quantity:
        return None
    frame = load("printed_numbers")
    match = frame[(frame["page"] == page) & (frame["quantity"] == quantity) & frame["disagrees"].astype(bool)]
    return str(match.iloc[0].printed) if not match.empty else None
