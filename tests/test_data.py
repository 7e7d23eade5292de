"""The data package: described with Frictionless, validated on load with messages that name the
file, line and column, and audited against the numbers the thesis prints."""


import frictionless
import pybtex.database
import pytest

from conftest import ROOT
from kzthesis import audit, data, survey

DATA = ROOT / "data"


def test_data_package_is_valid_frictionless():
    report = frictionless.validate(str(DATA / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])


def test_every_resource_is_described_and_cites_known_sources():
    keys = {k.lower() for k in pybtex.database.parse_file(str(ROOT / "references.bib")).entries}
    for resource in data.descriptor()["resources"]:
        assert resource.get("source") and resource.get("notes"), resource["name"]
        for field in resource["schema"]["fields"]:
            assert field.get("description"), (resource["name"], field["name"])
        citation = resource.get("citation") or []
        for key in [citation] if isinstance(citation, str) else citation:
            assert key.lower() in keys, (resource["name"], key)


def test_survey_matches_the_thesis():
    assert survey.respondents() == 124
    assert [survey.count(1, o) for o in (1, 2, 3, 4)] == [77, 46, 15, 9]
    assert round(survey.share(8, 2), 1) == 79.8
    assert len(survey.recommendations()) == 24 and survey.no_answer_open_question() == 20


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_number(path, fragment):
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


@pytest.mark.parametrize("old,new,column,message", [
    ("Poverty and other social problems.,77,", "Poverty and other social problems.,177,", "responses", "124"),
    ("Poverty and other social problems.,77,", "Poverty and other social problems.,-7,", "responses", "minimum"),
    ("Poverty and other social problems.,77,", "Poverty and other social problems.,many,", "responses", "type"),
])
def test_bad_survey_count_names_file_line_and_column(data_copy, old, new, column, message):
    path = data_copy / "survey_options.csv"
    edit(path, old, new)
    with pytest.raises(data.DataError) as error:
        survey.answers(1)
    text = str(error.value)
    assert f"survey_options.csv, line {line_number(path, new)}, column '{column}'" in text
    assert message in text


def test_missing_column_is_named(data_copy):
    path = data_copy / "ethnic_composition.csv"
    edit(path, "ethnicity,year,share", "ethnicity,year,percent")
    with pytest.raises(data.DataError) as error:
        data.load("ethnic_composition")
    assert "ethnic_composition.csv" in str(error.value) and "share" in str(error.value)


def test_table3_shares_must_add_up_to_100(data_copy):
    path = data_copy / "assembly_nature.csv"
    edit(path, "2010,40,53,7", "2010,40,53,17")
    with pytest.raises(data.DataError) as error:
        data.load("assembly_nature")
    assert "assembly_nature.csv, line 2" in str(error.value)
    assert "add up to 110" in str(error.value)


def test_every_disagreement_is_recorded():
    assert audit.unrecorded().empty, audit.unrecorded()[["page", "where", "printed", "recomputed"]]
    assert len(audit.errata()) >= 4  # the thesis's own inconsistencies (e.g. 67.1 % for 77 of 124)


def test_a_new_disagreement_is_caught(data_copy):
    edit(data_copy / "survey_options.csv", "Complete change of power.,78,", "Complete change of power.,79,")
    found = audit.unrecorded()
    assert "survey_share(7,1)" in set(found["quantity"])
