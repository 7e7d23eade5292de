"""The provenance line under each figure of the HTML book: how the build finds the figure call
(book_extensions/provenance.py) and the data files it used (recorded by kzthesis.figures while
the notebook executes), and what it does with a figure whose provenance it cannot tell. The lines
themselves are checked in a browser (test_browser.py)."""

from __future__ import annotations

import re

import pytest

from conftest import build
from book_extensions.provenance import FigureCall, figure_call
from kzthesis import data, figures


def files_read(function: str, *args) -> list[str]:
    """The data files that one call of a figure function used, as kzthesis.figures records them."""
    getattr(figures, function)(*args)
    return [f for f in figures.FIGURE_READS[(function, args)] if f.startswith("data/")]


@pytest.mark.parametrize("source, expected", [
    ("from kzthesis.figures import survey_question_figure\nsurvey_question_figure(3)",
     FigureCall("survey_question_figure", (3,))),
    ("chronology_figure()", FigureCall("chronology_figure")),
    ("from kzthesis import figures\nfigures.assemblies_figure()", FigureCall("assemblies_figure")),
    ("fig = chronology_figure()\nfig", None),            # not a call: no provenance
    ("survey_question_figure(n)", None),                # not a literal argument
    ("print(3)", FigureCall("print", (3,))),             # a call: the record says whether it drew
    ("figures._bar_chart([], [], [], None, None, '')", None),  # private helper
    ("%matplotlib inline", None),                       # IPython syntax
])
def test_figure_call_is_read_from_the_code_cell(source, expected):
    assert figure_call(source) == expected


def test_figure_call_names_a_label_and_prints_as_python():
    call = FigureCall("survey_question_figure", (10,))
    assert str(call) == "survey_question_figure(10)"
    assert call.slug == "survey-question-figure-10"


def test_files_read_are_recorded_while_drawing_not_declared(monkeypatch):
    survey = files_read("survey_question_figure", 3)
    assert "data/survey_options.csv" in survey and "data/chronology_counts.csv" not in survey
    assert files_read("chronology_figure") == ["data/chronology_counts.csv", "data/datapackage.json"]
    # A figure function that starts reading another file names it: nothing is declared by hand,
    # and an earlier cached load does not hide the read.
    data.load("ethnic_composition")
    original = figures.chronology_figure.__wrapped__

    @figures.records_reads
    def chronology_figure():
        data.load("ethnic_composition")
        return original()

    monkeypatch.setattr(figures, "chronology_figure", chronology_figure)
    assert files_read("chronology_figure") == [
        "data/chronology_counts.csv", "data/datapackage.json", "data/ethnic_composition.csv"]


def test_a_figure_whose_reads_were_not_recorded_fails_the_build(project_copy):
    """A figure drawn by a function that does not record what it used has no provenance: the
    build says so, naming the figure and the call."""
    notebook = project_copy / "notebooks" / "population.md"
    text = notebook.read_text(encoding="utf-8")
    assert "\nethnic_composition_figure()\n" in text
    notebook.write_text(text.replace(
        "\nethnic_composition_figure()\n",
        "\ndef unrecorded_figure():\n    return ethnic_composition_figure.__wrapped__()\n\n"
        "unrecorded_figure()\n"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode != 0
    assert "no record of the files unrecorded_figure() used" in result.output, result.output[-3000:]


def test_a_figure_that_no_notebook_draws_fails_the_build(project_copy):
    """Remove the notebook cell that draws survey question 3: the chapter's figure of question 3
    can no longer link to its code, and the build says so, naming the figure and the call."""
    notebook = project_copy / "notebooks" / "survey.md"
    text = notebook.read_text(encoding="utf-8")
    cell = re.search(r"```\{code-cell\} ipython3\n:mystnb:\n:  figure:\n:    name: fig-nb-survey-q3\n"
                     r".*?```\n", text, re.S)
    assert cell is not None
    notebook.write_text(text.replace(cell.group(0), ""), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode != 0
    assert "survey_question_figure(3), which draws figure 'fig-ch1-q3', is drawn in no notebook" \
        in result.output
