"""Bad input fails the build with a message naming the file and what is wrong."""

import re

from conftest import build


def test_failing_code_cell_names_file_and_line(project_copy):
    page = project_copy / "book" / "introduction.md"
    text = page.read_text(encoding="utf-8")
    text = text.replace("glue_respondents()\n```", "glue_respondents()\nraise ValueError('broken cell')\n```")
    page.write_text(text, encoding="utf-8")
    result = build(project_copy)
    assert result.returncode != 0
    line = text.splitlines().index("raise ValueError('broken cell')") + 1
    assert f"book/introduction.md, line {line}: ValueError: broken cell" in result.output, result.output[-3000:]
    assert "ValueError: broken cell" in result.output


def test_unknown_citation_key_names_file_and_key(project_copy):
    page = project_copy / "book" / "introduction.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "{footcite}`tokayev2022announcement`", "{footcite}`tokayev2022anouncement`"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode != 0
    assert "introduction.md" in result.output and "tokayev2022anouncement" in result.output, result.output[-3000:]


def test_invalid_data_names_file_row_and_column(project_copy):
    sample = project_copy / "data" / "survey_sample.csv"
    sample.write_text(sample.read_text(encoding="utf-8").replace("\n124,", "\nmany,"), encoding="utf-8")
    result = build(project_copy)
    assert result.returncode != 0
    assert "data/survey_sample.csv, line 2, column 'respondents'" in result.output, result.output[-3000:]


def test_a_chart_that_cannot_be_drawn_for_print_names_its_call(project_copy):
    """The PDF build draws the charts' printed copies (tools/printed_charts.py): a chart whose
    printed copy fails stops the PDF with the chart's call and the error."""
    figures = project_copy / "kzthesis" / "figures.py"
    text = figures.read_text(encoding="utf-8")
    assert "PRINT = Medium(108 / 25.4," in text
    figures.write_text(text.replace("PRINT = Medium(108 / 25.4,", "PRINT = Medium(-1.0,"), encoding="utf-8")
    result = build(project_copy, "pdf")
    assert result.returncode != 0
    assert re.search(r"the printed copy of \w+_figure\(\d*\) could not be drawn: ValueError: .+; "
                     r"the PDF was not built", result.output), result.output[-3000:]
