"""The thesis's survey: 124 citizens, ten questions; the counts show that some respondents chose
more than one answer (the thesis does not say whether that was allowed).

Shares are recomputed from the response counts and the number of respondents, never taken from
the percentages printed in the thesis (those are kept only to list disagreements).
"""

from __future__ import annotations

import pandas as pd

from . import stats
from .data import DataError, load


def respondents() -> int:
    """N, the number of citizens who answered the survey."""
    return int(load("survey_sample")["respondents"].iloc[0])


def respondents_in_words() -> str:
    """N spelled out as the thesis does ("one hundred twenty-four")."""
    return number_in_words(respondents())


def number_in_words(number: int) -> str:
    """American style, without "and", as the thesis writes numbers ("one hundred twenty-four")."""
    import inflect  # slow to import (about 2 s): only the pages that spell numbers pay for it

    return inflect.engine().number_to_words(number, andword="")


def question_text(question: int) -> str:
    questions = load("survey_questions").set_index("question")
    return str(questions.loc[question, "text"])


def choice_questions() -> list[int]:
    """The questions answered by choosing among suggested answers (1–9; 10 is free text)."""
    questions = load("survey_questions")
    return [int(q) for q in questions.loc[questions["kind"] == "choice", "question"]]


def answers(question: int, intervals: bool = True) -> pd.DataFrame:
    """Options of a multiple-choice question (1–9) with count, share of N and, unless
    `intervals` is False, the 95% Wilson interval of the share (`ci_low`, `ci_high`)."""
    options = load("survey_options")
    chosen = options[options["question"] == question].sort_values("option")
    if chosen.empty:
        raise DataError(f"survey question {question} has no options in {options.attrs['path']}")
    return _with_shares(chosen.rename(columns={"responses": "count"}), respondents(), intervals)


def recommendations(intervals: bool = True) -> pd.DataFrame:
    """Question 10's grouped free-text recommendations with mentions and share of N."""
    frame = load("survey_recommendations").sort_values("rank")
    return _with_shares(frame.rename(columns={"mentions": "count"}), respondents(), intervals)


def no_answer_open_question() -> int:
    return int(load("survey_sample")["no_answer_q10"].iloc[0])


def with_shares(frame: pd.DataFrame, intervals: bool = True) -> pd.DataFrame:
    """`frame` (a `count` column) with each count's share of the respondents and its interval."""
    return _with_shares(frame, respondents(), intervals)


def _with_shares(frame: pd.DataFrame, n: int, intervals: bool) -> pd.DataFrame:
    frame = frame.reset_index(drop=True).copy()
    frame["count"] = frame["count"].astype(int)
    frame["share"] = 100 * frame["count"] / n
    if not intervals:
        return frame
    bounds = [stats.wilson_interval(int(k), n) for k in frame["count"]]
    frame["ci_low"] = [100 * low for low, _ in bounds]
    frame["ci_high"] = [100 * high for _, high in bounds]
    return frame


def count(question: int, option: int) -> int:
    """Responses to `option` (1-based, appendix order) of `question`."""
    table = answers(question, intervals=False).set_index("option")
    if option not in table.index:
        raise DataError(f"survey question {question} has no option {option}")
    return int(table.loc[option, "count"])


def share(question: int, option: int) -> float:
    """Percentage of all respondents who chose `option` of `question`."""
    return 100 * count(question, option) / respondents()


def mentions(rank: int) -> int:
    """Mentions of question 10's recommendation group `rank` (1-based, appendix order)."""
    table = recommendations(intervals=False).set_index("rank")
    if rank not in table.index:
        raise DataError(f"question 10 has no recommendation group {rank}")
    return int(table.loc[rank, "count"])
