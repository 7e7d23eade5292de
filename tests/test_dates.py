"""Dates the prose gives for events of the Chronology, against the Chronology
(data/event_dates.csv): the table's checks, the dates printed from it and the audit's list of
the dates that differ, each with both places linked (kzthesis.chronology.dates_audit)."""

from __future__ import annotations


from bs4 import BeautifulSoup

from conftest import edit_row, validation_problems

from kzthesis import chronology


def edit(copy, row_id: str, **values) -> int:
    """Change the row `row_id` of the copy's data/event_dates.csv; its line in the file."""
    return edit_row(copy / "event_dates.csv", row_id, **values)


problems = validation_problems


def test_the_table_ties_every_date_of_the_prose_to_a_day_of_the_chronology():
    assert problems() == []
    dates = chronology.event_dates()
    days = dates[dates["page"] == "chronology"]
    assert list(days["printed"]) == [f"January {day}" for day in range(2, 13)]
    prose = dates[dates["page"] != "chronology"]
    assert len(prose) == 5 and prose["chronology"].isin(days.index).all()


def test_a_date_printed_otherwise_than_its_date_is_refused(data_copy):
    line = edit(data_copy, "taldykorgan-monument", printed="January 6")
    assert problems() == [f"data/event_dates.csv, line {line}, column 'printed': 'January 6' is not the "
                          f"date 2022-01-05 (column 'date')"]


def test_a_prose_date_tied_to_no_day_of_the_chronology_is_refused(data_copy):
    line = edit(data_copy, "taldykorgan-monument", chronology="gas-protests-begin")
    assert problems() == [f"data/event_dates.csv, line {line}, column 'chronology': 'gas-protests-begin' is "
                          f"not a day of the chronology (a row of page 'chronology'): a date of the prose is "
                          f"recorded with the day that records its event"]


def test_the_audit_lists_a_prose_date_that_differs_from_the_chronology(data_copy):
    listed = chronology.dates_audit().data
    assert "Chapter 3: January 2 <d-zhanaozen-akim>" in listed
    assert "Chronology: January 3 <d-chronology-0103>" in listed
    assert "taldykorgan" not in listed
    # A seeded disagreement: the monument recorded under the chronology's 6 January.
    edit(data_copy, "taldykorgan-monument", chronology="chronology-0106")
    listed = chronology.dates_audit().data
    assert "Chapter 3: January 5 <d-taldykorgan-monument>" in listed
    assert "Chronology: January 6 <d-chronology-0106>" in listed


def test_the_audit_says_in_words_that_no_date_differs(data_copy):
    edit(data_copy, "zhanaozen-akim", chronology="chronology-0102")
    assert chronology.dates_audit().data == (
        "Each of the 5 dates that the prose gives for an event of the chronology is the chronology's day "
        "for it: no date differs.")


def test_the_book_prints_the_dates_from_the_table_and_the_audit_links_both_places(built_book):
    html = built_book.root / "_build" / "html"

    def soup(page: str) -> BeautifulSoup:
        return BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")

    dates = chronology.event_dates()
    for page in set(dates["page"]):
        printed = {span["id"]: span.get_text() for span in soup(f"book/{page}").select("span.event-date")}
        assert printed == {f"d-{key}": dates.at[key, "printed"] for key in dates.index[dates["page"] == page]}
    audit = soup("notebooks/audit")
    row = next(tr for tr in audit.select("table tr") if "do not heed the akim" in tr.get_text())
    links = [a["href"] for a in row.select("a")]
    assert links == ["../book/chapter3.html#d-zhanaozen-akim", "../book/chronology.html#d-chronology-0103"]
    # The chronology's words that record the event stand in its entry of that day.
    entry = soup("book/chronology").find(id="d-chronology-0103").find_parent("li")
    assert dates.at["zhanaozen-akim", "chronology_words"] in " ".join(entry.get_text().split())


def test_a_disagreement_seeded_in_the_data_of_a_copy_is_listed_by_its_built_audit(project_copy):
    """The monument of Taldykorgan tied to the chronology's 6 January: the rebuilt audit lists it
    too, each place linked to the date it names."""
    from conftest import build

    edit(project_copy / "data", "taldykorgan-monument", chronology="chronology-0106")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    html = project_copy / "_build" / "html"
    audit = BeautifulSoup((html / "notebooks" / "audit.html").read_text(encoding="utf-8"), "html.parser")
    assert "2 of the 5 dates that the prose gives for an event of the chronology differ" in audit.get_text()
    row = next(tr for tr in audit.select("table tr") if "monument to Nazarbayev" in tr.get_text())
    assert [a["href"] for a in row.select("a")] == ["../book/chapter3.html#d-taldykorgan-monument",
                                                    "../book/chronology.html#d-chronology-0106"]
