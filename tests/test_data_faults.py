"""Faults an author can make in data/, each seeded in a copy: validation names the file, the
line and what to do, once, before any notebook runs. A long data/printed_numbers.csv builds in
bounded time with pages that stay small."""

import csv
import io
import json
import time

import pytest

from conftest import build, text_of
from kzthesis import audit, data, survey
from test_data import edit, line_number


def problems() -> list[str]:
    return [str(p) for p in data.validate_all()]


def load_error(name: str) -> str:
    with pytest.raises(data.DataError) as error:
        data.load(name)
    return str(error.value)


def rewrite(path, delimiter=",", decimal="."):
    """The file as a spreadsheet would export it: another separator, another decimal mark."""
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    rows = [[cell.replace(".", decimal) if cell.replace(".", "", 1).isdigit() else cell for cell in row]
            for row in rows]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def delete_line(path, number):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[number - 1]
    path.write_text("".join(lines), encoding="utf-8")


def set_descriptor(copy, resource, **changes):
    path = copy / "datapackage.json"
    package = json.loads(path.read_text(encoding="utf-8"))
    next(r for r in package["resources"] if r["name"] == resource).update(changes)
    path.write_text(json.dumps(package, indent=2), encoding="utf-8")
    data.reset()


# Encoding and separator: the file that is wrong is named, once, with what to do.

def test_windows_1251_file_is_named_not_the_file_that_refers_to_it(data_copy):
    path = data_copy / "survey_questions.csv"
    text = path.read_text(encoding="utf-8").replace("Kazakhstan?", "Казахстане?")
    path.write_bytes(text.encode("cp1251"))
    line = text.splitlines().index(next(row for row in text.splitlines() if "Казахстане?" in row)) + 1
    expected = f"data/survey_questions.csv, line {line}: is not UTF-8 (looks like Windows-1251): save it as UTF-8"
    assert problems() == [expected]
    # survey_options.csv refers to survey_questions.csv: it is not blamed, and loads.
    assert len(data.load("survey_options")) == 36
    with pytest.raises(data.DataError, match="survey_questions.csv, line 4: is not UTF-8"):
        survey.question_text(3)


def test_windows_1252_and_utf16_are_named(data_copy):
    path = data_copy / "survey_recommendations.csv"
    text = path.read_text(encoding="utf-8").replace("wellbeing", "well-being, café")
    path.write_bytes(text.encode("cp1252"))
    line = next(i for i, text_line in enumerate(text.splitlines(), 1) if "café" in text_line)
    assert problems() == [f"data/survey_recommendations.csv, line {line}: is not UTF-8 (looks like "
                          f"Windows-1252): save it as UTF-8"]
    path.write_bytes(text.encode("utf-16"))
    data.reset()
    assert problems() == ["data/survey_recommendations.csv, line 1: is UTF-16 (a spreadsheet's "
                          "'Unicode text'), not UTF-8: save it as CSV UTF-8"]


@pytest.mark.parametrize("decimal", [".", ","])
@pytest.mark.parametrize("name", ["survey_questions", "survey_options", "ethnic_composition"])
def test_semicolon_export_is_named_before_pandas_reads_it(data_copy, name, decimal):
    # A Russian-locale spreadsheet writes ';' between fields (and often ',' in decimals).
    rewrite(data_copy / f"{name}.csv", delimiter=";", decimal=decimal)
    expected = (f"data/{name}.csv, line 1: uses ';' as separator: the data package expects ',' "
                f"(export it again as CSV with ',' between fields and '.' in numbers)")
    assert problems() == [expected]
    assert load_error(name) == f"invalid data:\n  {expected}"


def test_tab_separated_file_is_named(data_copy):
    rewrite(data_copy / "survey_sample.csv", delimiter="\t")
    assert problems() == ["data/survey_sample.csv, line 1: uses tabs as separator: the data package "
                          "expects ',' (export it again as CSV with ',' between fields and '.' in numbers)"]


def test_byte_order_mark_and_crlf_are_accepted(data_copy):
    # Excel's "CSV UTF-8" starts with a byte-order mark; Windows ends lines with CR LF.
    path = data_copy / "survey_questions.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert problems() == []
    assert survey.question_text(3) == "Do you think there is a cult of personality in Kazakhstan?"


# Relations between values: derived counts, parts and wholes, complete tables.

def test_derived_count_cannot_go_negative(data_copy):
    path = data_copy / "survey_sample.csv"
    edit(path, "124,10,20,", "124,10,500,")
    expected = ("data/survey_sample.csv, line 2, column 'no_answer_q10': 500 respondents without an "
                "answer to question 10 exceed the 124 respondents (column 'respondents'): -376 would "
                "have answered")
    # Reported once, at the data; the recommendations that depend on it are not checked meanwhile.
    assert problems() == [expected]
    with pytest.raises(data.DataError, match="column 'no_answer_q10'"):
        survey.no_answer_open_question()


def test_mentions_cannot_exceed_the_respondents_who_answered(data_copy):
    edit(data_copy / "survey_sample.csv", "124,10,20,", "124,10,110,")
    assert problems() == [
        f"data/survey_recommendations.csv, line {line}, column 'mentions': {n} mentions exceed the 14 "
        f"respondents who answered question 10 (124 respondents, 110 without an answer: "
        f"data/survey_sample.csv)" for line, n in ((2, 26), (3, 16))]


@pytest.mark.parametrize("question,option", [(3, 2), (3, 4), (1, 1), (9, 4)])
def test_deleted_option_is_named_where_it_belongs(data_copy, question, option):
    path = data_copy / "survey_options.csv"
    line = next(i for i, text_line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text_line.startswith(f"{question},{option},"))
    delete_line(path, line)
    expected = (f"data/survey_options.csv, line {line}, column 'option': the row of question {question}, "
                f"option {option} is missing: the file has one for every question 1–9 and option 1–4")
    assert problems() == [expected]
    assert load_error("survey_options") == f"invalid data:\n  {expected}"


def test_question_without_options(data_copy):
    path = data_copy / "survey_options.csv"
    for _ in range(4):
        delete_line(path, 18)  # the four options of question 5 (lines 18-21)
    assert problems() == [
        f"data/survey_options.csv, line 18, column 'option': the row of question 5, option {o} is "
        f"missing: the file has one for every question 1–9 and option 1–4" for o in (1, 2, 3, 4)]


def test_open_question_cannot_have_options_nor_a_choice_question_none(data_copy):
    questions = data_copy / "survey_questions.csv"
    edit(questions, 'protests?",choice', 'protests?",open')
    edit(questions, 'country?",open', 'country?",choice')
    found = problems()
    assert found == [
        "data/survey_options.csv, line 2, column 'question': question 1 is an 'open' question "
        "(data/survey_questions.csv): it has no options",
        "data/survey_options.csv, line 3, column 'question': question 1 is an 'open' question "
        "(data/survey_questions.csv): it has no options",
        "data/survey_options.csv, line 4, column 'question': question 1 is an 'open' question "
        "(data/survey_questions.csv): it has no options",
        "data/survey_options.csv, line 5, column 'question': question 1 is an 'open' question "
        "(data/survey_questions.csv): it has no options",
        "data/survey_questions.csv, line 11, column 'kind': question 10 is a 'choice' question "
        "but data/survey_options.csv has no options for it",
    ]


def test_deleted_question_is_named(data_copy):
    delete_line(data_copy / "survey_questions.csv", 6)  # question 5
    assert problems() == ["data/survey_questions.csv, line 6, column 'question': question 5 is "
                          "missing: the survey has 10 questions (data/survey_sample.csv, column "
                          "'questions')"] + [
        f"data/survey_options.csv, line {line}, column 'question': 5 is not in "
        f"data/survey_questions.csv (column 'question')" for line in (18, 19, 20, 21)]


def test_single_answer_survey_cannot_have_more_answers_than_respondents(data_copy):
    edit(data_copy / "survey_sample.csv", ",true", ",false")
    found = problems()
    assert len(found) == 9  # every question has more responses than respondents
    assert found[0] == ("data/survey_options.csv, line 5, column 'responses': the options of question 1 "
                        "have 147 responses in all, more than the 124 respondents, although "
                        "data/survey_sample.csv says each chose one answer (column 'multiple_answers')")


@pytest.mark.parametrize("name,line,key,column,message", [
    ("ethnic_composition", 9, "Russians,2021,18.4", "year",
     "the row of ethnicity Russians, year 2021 is missing: the file has one for every ethnicity "
     "Kazakhs, Russians, Ukrainians, Germans and year 1989, 1999, 2009, 2021"),
    ("assembly_nature", 5, "2014,,49,51", "period",
     "the row of period 2014 is missing: the file has one for every period 2010, 2011-2012, "
     "2012-2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020-h1"),
])
def test_deleted_table_row_is_named(data_copy, name, line, key, column, message):
    path = data_copy / f"{name}.csv"
    assert line_number(path, key) == line
    delete_line(path, line)
    assert problems() == [f"data/{name}.csv, line {line}, column '{column}': {message}"]


def test_period_cannot_end_before_it_starts(data_copy):
    edit(data_copy / "peaceful_assemblies.csv", "2011-2012,2011–2012,2011,2012,", "2011-2012,2011–2012,2012,2011,")
    assert problems() == ["data/peaceful_assemblies.csv, line 3, column 'end_year': period 2011-2012 "
                          "ends in 2011, before it starts (2012)"]


def test_recommendation_ranks_have_no_gap(data_copy):
    delete_line(data_copy / "survey_recommendations.csv", 4)  # rank 3
    assert problems() == ["data/survey_recommendations.csv, line 4, column 'rank': rank 4 on row 3: "
                          "ranks are the rows' positions in the appendix, 1, 2, 3, … without a gap"]


def test_printed_number_recorded_twice(data_copy):
    path = data_copy / "printed_numbers.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines + [lines[4]]), encoding="utf-8")
    assert problems() == [f"data/printed_numbers.csv, line {len(lines) + 1}: repeats the 'page', "
                          f"'sentence' and 'quantity' of line 5 (the primary key: no two rows may share it)"]


@pytest.mark.parametrize("quantity,message", [
    ("survey_share(3,9)", "survey question 3 has no option 9"),
    ("survey_shares(3,2)", "unknown quantity 'survey_shares(3,2)'"),
    ("survey_share(3)", "cannot evaluate 'survey_share(3)'"),
])
def test_unknown_quantity_is_named_at_validation(data_copy, quantity, message):
    path = data_copy / "printed_numbers.csv"
    edit(path, '"survey_share(3,2)"', f'"{quantity}"')
    found = problems()
    assert len(found) == 1
    assert found[0].startswith(f"data/printed_numbers.csv, line 5, column 'quantity': {message}")


def test_page_of_a_printed_number_is_a_page_of_the_book(data_copy):
    edit(data_copy / "printed_numbers.csv", "\nchapter4,", "\nchapter5,")
    line = line_number(data_copy / "printed_numbers.csv", "chapter5,")
    assert problems() == [f"data/printed_numbers.csv, line {line}, column 'page': 'chapter5' is not a "
                          f"page of the book (a file name in book/ without .md, e.g. 'chapter1')"]


def test_row_limit_is_declared_and_enforced(data_copy):
    assert data.resource_descriptor("printed_numbers")["maxRows"] == 100_000
    set_descriptor(data_copy, "printed_numbers", maxRows=10)
    assert problems() == ["data/printed_numbers.csv, line 12: the file has 64 rows, more than the 10 "
                          "that data/datapackage.json allows for it ('maxRows')"]


# Scale: 100,000 printed numbers (the declared limit) are validated and audited in seconds; the
# pages list the disagreements up to a bound.

def write_long_record(path, rows=100_000):
    """`rows` distinct printed numbers: the record's rows again and again, each a new excerpt."""
    with path.open(encoding="utf-8", newline="") as stream:
        header, *body = list(csv.reader(stream))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    sentence, disagrees = header.index("sentence"), header.index("disagrees")
    for i in range(rows):
        row = list(body[i % len(body)])
        row[sentence] = f"{row[sentence]} [copy {i}]"
        writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return sum(row[disagrees] == "true" for row in body), len(body)


def test_100000_printed_numbers_are_validated_and_audited_in_seconds(data_copy):
    disagreeing, per_cycle = write_long_record(data_copy / "printed_numbers.csv")
    started = time.perf_counter()
    assert problems() == []
    checked = audit.comparisons()
    seconds = time.perf_counter() - started
    assert len(checked) == 100_000 + 36
    assert audit.unrecorded().empty
    listed, more = audit.listed(checked)
    assert len(listed) == audit.LISTED and len(listed) + more == int((~checked["agrees"]).sum())
    assert seconds < 60, seconds  # before: 9 minutes (one evaluation per row)


def test_long_record_builds_with_small_pages(project_copy):
    write_long_record(project_copy / "data" / "printed_numbers.csv")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    for page in ("book/errata.html", "notebooks/audit.html"):
        assert (result.html / page).stat().st_size < 200_000, page  # before: 36 MB
    errata = text_of(result.page("errata"))
    assert "Of the 100036 printed numbers, 7813 disagree with the data" in errata
    assert "… and 7713 more disagreements, not listed: this page lists the first 100." in errata


# Through the build: a fault in a file that many notebooks read is one line, before any runs.

def readers(root, name):
    """The pages whose cached execution (of their code as it is now) read data/NAME."""
    from jupyter_cache import get_cache

    from book_extensions import records

    cache = get_cache(str(root / "_build" / ".jupyter_cache"))
    found = []
    for page in sorted([*(root / "book").glob("*.md"), *(root / "notebooks").glob("*.md")]):
        if records.is_notebook(page.read_text(encoding="utf-8")):
            _, record = records.lookup(cache, page)
            if record is not None and f"data/{name}" in record.reads:
                found.append(page.relative_to(root).as_posix())
    return found


def test_semicolon_file_read_by_many_notebooks_fails_the_build_once(project_copy):
    # Every page that glues a survey figure reads the file (nine today).
    assert len(readers(project_copy, "survey_options.csv")) >= 8
    # Before: frictionless read the ';' file, and each of its notebooks failed in pandas.
    rewrite(project_copy / "data" / "survey_options.csv", delimiter=";")
    result = build(project_copy)
    assert result.returncode != 0
    expected = ("data/survey_options.csv, line 1: uses ';' as separator: the data package expects "
                "',' (export it again as CSV with ',' between fields and '.' in numbers)")
    mentions = [line for line in result.output.splitlines() if "survey_options" in line]
    assert mentions == [expected], result.output[-3000:]
    assert "executed " not in result.output and "Error" not in result.output
