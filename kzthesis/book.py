"""Glue the numbers of the prose from data/: hidden cells of chapters call these.

Values are glued as plain Python scalars (NumPy scalars break format specs in `{glue:text}`).
Key names are listed in each function; the prose formats them, e.g.
``{glue:text}`q3o2-pct:.1f`% ({glue:text}`q3o2-n:d` responses)``.
"""

from __future__ import annotations

from myst_nb import glue

from . import chronology, survey, tables


# Keys already glued by this kernel: a page may call several helpers that glue the same key
# (e.g. `survey-n`), and myst-nb warns about a key glued twice.
_glued: set[str] = set()


def _glue(key: str, value) -> None:
    if key in _glued:
        return
    _glued.add(key)
    glue(key, value, display=False)


def glue_respondents() -> None:
    """`survey-n` (int N), `survey-n-words` / `survey-n-words-cap` (N in words),
    `survey-overcounted-n`: how many of the choice questions have more answers than respondents."""
    _glue("survey-n", survey.respondents())
    _glue("survey-overcounted-n", sum(
        int(survey.answers(q, intervals=False)["count"].sum() > survey.respondents())
        for q in survey.choice_questions()))
    words = survey.respondents_in_words()
    _glue("survey-n-words", words)
    _glue("survey-n-words-cap", words[:1].upper() + words[1:])


def glue_confidence() -> None:
    """`confidence-pct`: the confidence level of the survey's intervals in percent (95), which
    the captions print (float, format `:g`)."""
    from .stats import confidence_percent

    _glue("confidence-pct", float(confidence_percent()))


def glue_survey_question(question: int) -> None:
    """Question 1–9: `qQoO-pct` (float percent of N) and `qQoO-n` (int) for every option O.
    Question 10: `q10rK-n` and `q10rK-pct` for every recommendation group K, `q10-none-n` (no
    answer) and `q10-answered-n` (respondents who answered)."""
    glue_respondents()
    if question == 10:
        for row in survey.recommendations(intervals=False).itertuples():
            _glue(f"q10r{int(row.rank)}-n", int(row.count))
            _glue(f"q10r{int(row.rank)}-pct", float(row.share))
        _glue("q10-none-n", survey.no_answer_open_question())
        _glue("q10-answered-n", survey.respondents() - survey.no_answer_open_question())
        return
    for row in survey.answers(question, intervals=False).itertuples():
        _glue(f"q{question}o{int(row.option)}-n", int(row.count))
        _glue(f"q{question}o{int(row.option)}-pct", float(row.share))


def glue_tables() -> None:
    """`eth-<ethnicity>-<year>`, `assemblies-<period>`, `assemblies-total` (sum of Table 2),
    `nature-<kind>-<period>`."""
    for row in tables.ethnic_composition().itertuples():
        _glue(f"eth-{row.ethnicity.lower()}-{int(row.year)}", float(row.share))
    for row in tables.peaceful_assemblies().itertuples():
        _glue(f"assemblies-{row.period}", int(row.assemblies))
    _glue("assemblies-total", int(tables.peaceful_assemblies()["assemblies"].sum()))
    for row in tables.assembly_nature().itertuples():
        for kind in tables.NATURES:
            _glue(f"nature-{kind}-{row.period}", tables.assembly_share(row.period, kind))


def glue_chronology() -> None:
    """`<measure>-<MMDD>` (int) for every count of the chronology, e.g. `detained-0109`, and
    `<measure>-<MMDD>-words` (the number in words, for counts the thesis spells out)."""
    for row in chronology.counts().itertuples():
        key = f"{row.measure}-{row.date:%m%d}"
        _glue(key, int(row.value))
        spelled = survey.number_in_words(int(row.value))
        _glue(f"{key}-words", spelled)
        _glue(f"{key}-words-cap", spelled[:1].upper() + spelled[1:])
