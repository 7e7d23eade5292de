"""`make check-refs` (tools/refs.py): each problem, seeded one at a time into a copy of the
project, is reported as `FILE:LINE: KEY: what is wrong`; the formatter keeps the file's style;
the citation style (book_extensions/citation_style.py) prints what the thesis's footnotes print."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pybtex.database
import pytest

from conftest import COPY_IGNORE, ROOT
from tools import refs

HEADER = "@article{hrw2022inquiry,\n"


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    """A copy of the project's sources (no build, no environment): the checker reads only these."""
    target = tmp_path / "project"
    shutil.copytree(ROOT, target, ignore=COPY_IGNORE)
    return target


def seed(root: Path, old: str, new: str, path: str = "references.bib") -> int:
    """Replace the one occurrence of `old` by `new`; return the line where `new` starts."""
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {path}"
    start = text.index(old)
    file.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, start) + 1


def line_of(root: Path, needle: str, path: str = "references.bib") -> int:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    matches = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(matches) == 1, (needle, matches)
    return matches[0]


def problems(root: Path) -> list[str]:
    return [str(problem) for problem in refs.Checker(root).run()]


def only_problem(root: Path) -> str:
    found = problems(root)
    assert len(found) == 1, "\n".join(found)
    return found[0]


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.refs", *args], cwd=root,
                          capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(root)))


# -- the real file -------------------------------------------------------------------------------

def test_real_references_pass_every_check():
    assert problems(ROOT) == []


def test_real_references_are_formatted():
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    assert refs.format_text(text) == text


def test_make_check_refs_runs_in_make_test():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "check-refs" in test_rule
    assert "check-refs:" in makefile and "-m tools.refs check" in makefile
    assert "format-refs:" in makefile and "-m tools.refs format" in makefile


# -- the command line -----------------------------------------------------------------------------

def test_cli_reports_every_problem_at_once_and_fails(copy):
    year = seed(copy, "@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},\n  year = {2011},",
                "@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},\n  year = {20111},") + 2
    url = seed(copy, "url = {https://www.hrw.org/news/2022/02/09/kazakhstan-set-independent-inquiry-january-events}",
               "url = {htps://www.hrw.org/news/2022/02/09/kazakhstan-set-independent-inquiry-january-events}")
    page = seed(copy, "{footcite}`tokayev2022announcement`", "{footcite}`tokayev2022anouncement`",
                "book/introduction.md")
    result = run_cli(copy, "check")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"references.bib:{year}: ezrow2011dictators: year `20111` is not a four-digit year" in lines
    assert any(line.startswith(f"references.bib:{url}: hrw2022inquiry: url `htps://") for line in lines)
    assert (f"book/introduction.md:{page}: tokayev2022anouncement: cited but not in references.bib "
            "(did you mean `tokayev2022announcement`?)") in lines
    # the announcement entry is now cited nowhere: reported too
    assert any("tokayev2022announcement: cited nowhere" in line for line in lines)
    assert "4 problems found" in result.stderr


def test_cli_passes_on_the_project(copy):
    result = run_cli(copy, "check")
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""


# -- parsing, keys ---------------------------------------------------------------------------------

def test_unbalanced_brace_is_reported_with_its_entry(copy):
    line = seed(copy, "  title = {{Kazakhstan}: Set Independent", "  title = {{Kazakhstan: Set Independent")
    found = problems(copy)
    assert any(p.startswith(f"references.bib:{line - 5}: hrw2022inquiry: cannot be parsed") for p in found), found


def test_missing_comma_is_reported_on_its_field(copy):
    line = seed(copy, "  day = {9},\n  title = {{Kazakhstan}: Set", "  day = {9}\n  title = {{Kazakhstan}: Set")
    found = problems(copy)
    assert any(p.startswith(f"references.bib:{line}: hrw2022inquiry: field `day`") and "comma" in p
               for p in found), found


def test_stray_closing_brace_is_reported(copy):
    line = seed(copy, "  journal = {Human Rights Watch},\n  url = {https://www.hrw.org/news/2022/02/09/",
                "  journal = {Human Rights Watch}},\n  url = {https://www.hrw.org/news/2022/02/09/")
    found = problems(copy)
    assert any(p.startswith(f"references.bib:{line}: ") and "text outside any entry" in p
               for p in found), found


def test_duplicate_key_is_reported(copy):
    text = (copy / "references.bib").read_text(encoding="utf-8")
    entry = text[text.index(HEADER): text.index("\n}\n", text.index(HEADER)) + 3]
    (copy / "references.bib").write_text(text + "\n" + entry, encoding="utf-8")
    line = len(text.splitlines()) + 2
    found = problems(copy)
    assert f"references.bib:{line}: hrw2022inquiry: duplicate key (first at line 46): one entry per source, each with its own key" in found


def test_keys_differing_only_by_case_are_duplicates(copy):
    text = (copy / "references.bib").read_text(encoding="utf-8")
    entry = text[text.index(HEADER): text.index("\n}\n", text.index(HEADER)) + 3]
    entry = entry.replace("hrw2022inquiry", "HRW2022inquiry").replace("Set Independent", "Set An Independent")
    (copy / "references.bib").write_text(text + "\n" + entry, encoding="utf-8")
    line = len(text.splitlines()) + 2
    found = problems(copy)
    assert any(p.startswith(f"references.bib:{line}: HRW2022inquiry: key differs only by case from `hrw2022inquiry`")
               for p in found), found
    assert any(p.startswith(f"references.bib:{line}: HRW2022inquiry: key must be lower-case") for p in found)


# -- fields each type needs, unknown/empty/repeated fields -----------------------------------------

def test_article_without_journal_is_reported(copy):
    seed(copy, "  journal = {Human Rights Watch},\n  url = {https://www.hrw.org/news/2022/02/09/",
         "  url = {https://www.hrw.org/news/2022/02/09/")
    assert only_problem(copy).startswith(
        "references.bib:46: hrw2022inquiry: @article needs `journal` for its footnote")


def test_book_without_publisher_is_reported(copy):
    seed(copy, "  publisher = {Routledge},\n", "")
    assert only_problem(copy).startswith("references.bib:295: rubin1998postsoviet: @book needs `publisher`")


def test_unknown_type_is_reported(copy):
    seed(copy, "@book{rubin1998postsoviet,", "@bok{rubin1998postsoviet,")
    assert only_problem(copy).startswith(
        "references.bib:295: rubin1998postsoviet: entry type `@bok` is not one the book uses")


def test_misspelt_field_is_reported_with_a_suggestion(copy):
    line = seed(copy, "  journal = {Human Rights Watch},\n  url = {https://www.hrw.org/news/2022/02/09/",
                "  jornal = {Human Rights Watch},\n  url = {https://www.hrw.org/news/2022/02/09/")
    found = problems(copy)
    assert any(p.startswith(f"references.bib:{line}: hrw2022inquiry: unknown field `jornal`: the book's "
                            "style would not print it; did you mean `journal`?") for p in found), found


def test_empty_field_is_reported(copy):
    line = seed(copy, "  edition = {1st},\n  url = {https://doi.org/", "  edition = {},\n  url = {https://doi.org/")
    assert only_problem(copy) == (f"references.bib:{line}: rubin1998postsoviet: field `edition` is empty: "
                                  "fill it or remove it")


def test_repeated_field_is_reported(copy):
    line = seed(copy, "  day = {9},\n  title = {{Kazakhstan}: Set", "  day = {9},\n  day = {10},\n  title = {{Kazakhstan}: Set")
    found = problems(copy)
    assert f"references.bib:{line + 1}: hrw2022inquiry: field `day` given twice (also at line {line}): keep one" in found


def test_organisation_without_double_braces_is_reported(copy):
    line = seed(copy, "  author = {{Human Rights Watch}},\n  year = {2022},\n  month = feb,\n  day = {9},",
                "  author = {Human Rights Watch},\n  year = {2022},\n  month = feb,\n  day = {9},")
    assert only_problem(copy).startswith(
        f"references.bib:{line}: hrw2022inquiry: author: `Human Rights Watch` looks like a person: write a "
        "person as `Surname, Given` and an organisation in double braces, `{{Human Rights Watch}}`")


def test_unreadable_name_is_reported(copy):
    line = seed(copy, "@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},",
                "@book{ezrow2011dictators,\n  author = {Ezrow, N., Frantz, E., Author, A.},") + 1
    found = problems(copy)
    assert any(p.startswith(f"references.bib:{line}: ezrow2011dictators: author: `Ezrow, N., Frantz, E., Author, A.` "
                            "is not a name BibTeX can read") for p in found), found


# -- well-formed values ----------------------------------------------------------------------------

@pytest.mark.parametrize("year", ["20222", "22", "n.d.", "2022a"])
def test_malformed_year_is_reported(copy, year):
    line = seed(copy, "  year = {2022},\n  month = feb,\n  day = {9},\n  title = {{Kazakhstan}: Set",
                f"  year = {{{year}}},\n  month = feb,\n  day = {{9}},\n  title = {{{{Kazakhstan}}: Set")
    assert only_problem(copy) == f"references.bib:{line}: hrw2022inquiry: year `{year}` is not a four-digit year"


def test_future_year_is_reported(copy):
    line = seed(copy, "  year = {2022},\n  month = feb,\n  day = {9},\n  title = {{Kazakhstan}: Set",
                "  year = {2999},\n  month = feb,\n  day = {9},\n  title = {{Kazakhstan}: Set")
    assert only_problem(copy) == f"references.bib:{line}: hrw2022inquiry: year `2999` is not a plausible year"


def test_month_in_braces_is_reported_with_the_macro(copy):
    line = seed(copy, "  month = feb,\n  day = {9},\n  title = {{Kazakhstan}: Set",
                "  month = {February},\n  day = {9},\n  title = {{Kazakhstan}: Set")
    found = problems(copy)
    assert (f"references.bib:{line}: hrw2022inquiry: month `{{February}}` must be a month macro without "
            "braces: `month = feb`") in found


def test_impossible_day_is_reported(copy):
    line = seed(copy, "  day = {9},\n  title = {{Kazakhstan}: Set", "  day = {30},\n  title = {{Kazakhstan}: Set")
    assert only_problem(copy) == f"references.bib:{line}: hrw2022inquiry: day 30 does not exist in feb 2022"


@pytest.mark.parametrize("url, message", [
    ("htps://www.hrw.org/news", "must start with `https://` or `http://`"),
    ("www.hrw.org/news", "must start with `https://` or `http://`"),
    ("https://www.hrw.org/news/2022 kazakhstan", "contains a space or line break"),
    ("https://hrw/news", "has no valid host name (`hrw`)"),
    ("https://www.hrw.org/news\\_kazakhstan", "contains `\\`, `{` or `}`"),
])
def test_malformed_url_is_reported(copy, url, message):
    line = seed(copy, "url = {https://www.hrw.org/news/2022/02/09/kazakhstan-set-independent-inquiry-january-events}",
                f"url = {{{url}}}")
    assert only_problem(copy).startswith(f"references.bib:{line}: hrw2022inquiry: url `{url}` {message}")


def test_malformed_doi_url_is_reported(copy):
    line = seed(copy, "url = {https://doi.org/10.4324/9780203067338}", "url = {https://doi.org/9780203067338}")
    assert only_problem(copy).startswith(f"references.bib:{line}: rubin1998postsoviet: url "
                                         "`https://doi.org/9780203067338` holds a malformed DOI")


@pytest.mark.parametrize("doi, hint", [("10.4324", ""),
                                        ("https://doi.org/10.4324/9780203067338", " (write the bare DOI")])
def test_malformed_doi_is_reported(copy, doi, hint):
    line = seed(copy, "  url = {https://doi.org/10.4324/9780203067338},",
                f"  doi = {{{doi}}},\n  url = {{https://doi.org/10.4324/9780203067338}},")
    problem = only_problem(copy)
    assert problem.startswith(f"references.bib:{line}: rubin1998postsoviet: doi `{doi}` is not a DOI"), problem
    assert hint in problem


@pytest.mark.parametrize("urldate", ["16 May 2022", "2022-13-01", "2022-5-16"])
def test_malformed_access_date_is_reported(copy, urldate):
    line = seed(copy, "  urldate = {2022-05-16},\n  language = {english},\n  note = {Chapter 1.",
                f"  urldate = {{{urldate}}},\n  language = {{english}},\n  note = {{Chapter 1.")
    assert only_problem(copy).startswith(
        f"references.bib:{line}: ezrow2011dictators: urldate `{urldate}` must be the access date as YYYY-MM-DD")


def test_page_range_with_one_hyphen_is_reported(copy):
    line = seed(copy, "  pages = {374--382},", "  pages = {374-382},")
    assert only_problem(copy) == (f"references.bib:{line}: nikonova2008krizis: pages `374-382`: write a range "
                                  "with two hyphens, `374--382`")


def test_unknown_language_is_reported(copy):
    line = seed(copy, "  language = {english},\n}\n\n@book{ezrow2011dictators,",
                "  language = {English},\n}\n\n@book{ezrow2011dictators,")
    assert only_problem(copy).startswith(
        f"references.bib:{line}: hrw2022inquiry: language `English` is not one the style knows: "
        "english, kazakh, russian")


# -- capitals of titles in the rendered output ------------------------------------------------------

def _use_style(root: Path, name: str) -> None:
    seed(root, "bibtex_default_style: kzthesis", f"bibtex_default_style: {name}", "_config.yml")


def test_lost_capitals_are_reported_for_a_style_that_changes_case(copy):
    """With a style that lower-cases titles (pybtex's `plain`), an unbraced proper noun loses its
    capital in the output: the checker names the word and the braces that protect it."""
    _use_style(copy, "plain")
    line = seed(copy, "  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},",
                "  title = {{Kazakhstan}: Set Independent Inquiry into January Events},")
    found = problems(copy)
    expected = (f"references.bib:{line}: hrw2022inquiry: title: the style `plain` prints `Set`, `Independent`, "
                "`Inquiry`, `January`, `Events` without its capitals: protect each with braces, `{Set}`, "
                "`{Independent}`, `{Inquiry}`, `{January}`, `{Events}`")
    assert expected in found, [p for p in found if "hrw2022inquiry" in p]


def test_braced_proper_nouns_keep_capitals_even_in_a_case_changing_style(copy):
    _use_style(copy, "plain")
    seed(copy, "  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},",
         "  title = {{Kazakhstan: Set Independent Inquiry into January Events}},")
    assert not [p for p in problems(copy) if "hrw2022inquiry: title" in p]


def test_a_style_that_drops_the_translation_is_reported(copy):
    _use_style(copy, "plain")
    found = problems(copy)
    line = line_of(copy, "  titleaddon = {The crisis of ideology")
    assert (f"references.bib:{line}: nikonova2008krizis: titleaddon: the book's style `plain` does not print "
            "this field") in found


def test_the_books_style_keeps_every_capital_without_braces(copy):
    """The book's style changes no case: a title without braces is printed as written."""
    line = seed(copy, "  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},",
                "  title = {Kazakhstan: Set Independent Inquiry into January Events},")
    assert problems(copy) == []
    entry = pybtex.database.parse_file(str(copy / "references.bib")).entries["hrw2022inquiry"]
    from book_extensions.citation_style import render_plain
    assert "Kazakhstan: Set Independent Inquiry into January Events." in render_plain(entry)
    assert line


# -- citations -----------------------------------------------------------------------------------

def test_misspelt_citation_is_reported_on_the_page(copy):
    line = seed(copy, "title{footcite}`azattyq2022hronologiya,crisisgroup2022unrest,hrw2022inquiry`",
                "title{footcite}`azattyq2022hronologiya,crisisgroup2022unrest,hrw2022inquirry`",
                "book/chronology.md")
    found = problems(copy)
    assert (f"book/chronology.md:{line}: hrw2022inquirry: cited but not in references.bib "
            "(did you mean `hrw2022inquiry`?)") in found, found
    # its only citation misspelt, the entry is cited nowhere: reported as well
    assert any(p.startswith("references.bib:46: hrw2022inquiry: cited nowhere") for p in found)
    assert len(found) == 2


def test_citation_in_a_notebook_counts(copy):
    (copy / "notebooks").mkdir(exist_ok=True)
    page = copy / "notebooks" / "sources.md"
    page.write_text("# Sources\n\nData from the bureau{footcite}`bns2021nationall`.\n\n"
                    "```{footbibliography}\n```\n", encoding="utf-8")
    assert only_problem(copy) == ("notebooks/sources.md:3: bns2021nationall: cited but not in references.bib "
                                  "(did you mean `bns2021national`?)")


def test_citation_inside_a_code_cell_is_not_a_citation(copy):
    page = copy / "book" / "about.md"
    page.write_text(page.read_text(encoding="utf-8") +
                    "\n```python\nexample = '{footcite}`nosuchkey2020`'\n```\n", encoding="utf-8")
    assert problems(copy) == []


def test_page_with_footcite_needs_footbibliography(copy):
    seed(copy, "```{footbibliography}\n```\n", "", "book/tables.md")
    line = line_of(copy, "Source: {footcite}`bns2021national`.", "book/tables.md")
    assert only_problem(copy).startswith(
        f"book/tables.md:{line}: the page cites with {{footcite}} but has no ```{{footbibliography}}``` directive")


def test_uncited_entry_is_reported(copy):
    seed(copy, "Source: {footcite}`bns2021national`.", "Source: the national statistics bureau.", "book/tables.md")
    assert only_problem(copy) == (
        "references.bib:10: bns2021national: cited nowhere in book/ or notebooks/: cite it with {footcite}, "
        "delete it, or list it with the reason in tools/uncited-references.toml")


def test_uncited_entry_listed_with_a_reason_passes(copy):
    seed(copy, "Source: {footcite}`bns2021national`.", "Source: the national statistics bureau.", "book/tables.md")
    listing = copy / "tools" / "uncited-references.toml"
    listing.write_text(listing.read_text(encoding="utf-8") +
                       'bns2021national = "The source of Table 1, named in the table\'s own caption."\n',
                       encoding="utf-8")
    assert problems(copy) == []


def test_uncited_list_must_give_reasons_and_real_uncited_keys(copy):
    listing = copy / "tools" / "uncited-references.toml"
    listing.write_text(listing.read_text(encoding="utf-8") +
                       'hrw2022inquiry = "Kept for the record of the January events."\n'
                       'nosuchkey2020 = "A source the thesis mentions in passing."\n'
                       'ezrow2011dictators = ""\n', encoding="utf-8")
    base = len((ROOT / "tools" / "uncited-references.toml").read_text(encoding="utf-8").splitlines())
    found = problems(copy)
    assert (f"{refs.UNCITED_NAME}:{base + 1}: hrw2022inquiry: listed as uncited but cited in "
            "book/chronology.md: remove the line") in found, found
    assert (f"{refs.UNCITED_NAME}:{base + 2}: nosuchkey2020: listed as uncited but there is no such entry in "
            "references.bib: remove the line") in found
    assert any(p.startswith(f"{refs.UNCITED_NAME}:{base + 3}: ezrow2011dictators: give the reason") for p in found)


# -- one entry per source -----------------------------------------------------------------------------

def test_second_entry_for_the_same_source_is_reported(copy):
    text = (copy / "references.bib").read_text(encoding="utf-8")
    entry = text[text.index(HEADER): text.index("\n}\n", text.index(HEADER)) + 3]
    (copy / "references.bib").write_text(text + "\n" + entry.replace("hrw2022inquiry", "hrw2022kazakhstan"),
                                         encoding="utf-8")
    seed(copy, "title{footcite}`azattyq2022hronologiya,crisisgroup2022unrest,hrw2022inquiry`",
         "title{footcite}`azattyq2022hronologiya,crisisgroup2022unrest,hrw2022inquiry,hrw2022kazakhstan`",
         "book/chronology.md")
    line = len(text.splitlines()) + 2
    assert only_problem(copy) == (f"references.bib:{line}: hrw2022kazakhstan: same source as `hrw2022inquiry` "
                                  "(line 46): keep one entry and cite that key everywhere")


def test_two_chapters_of_one_book_are_two_sources():
    entries = pybtex.database.parse_file(str(ROOT / "references.bib")).entries
    assert entries["ezrow2011dictators"].fields["url"] == entries["ezrow2011dictatorsb"].fields["url"]
    assert not [p for p in problems(ROOT) if "same source" in p]


# -- the file's format ------------------------------------------------------------------------------

def test_fields_out_of_order_are_reported(copy):
    line = seed(copy, "  year = {2022},\n  month = feb,\n  day = {9},\n  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},\n",
                "  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},\n  year = {2022},\n  month = feb,\n  day = {9},\n")
    assert only_problem(copy) == (
        f"references.bib:{line}: hrw2022inquiry: not in the file's standard format (fields out of order, expected "
        "author, year, month, day, title, journal, url, language; line "
        f"{line} is `title = {{{{Kazakhstan}}: Set Independent Inquiry into {{January}} Events}},`, expected "
        "`year = {2022},`): run `make format-refs`")


def test_indentation_is_reported(copy):
    line = seed(copy, "  journal = {Human Rights Watch},\n  url = {https://www.hrw.org/news/2022/02/09/",
                "\tjournal = {Human Rights Watch},\n  url = {https://www.hrw.org/news/2022/02/09/")
    problem = only_problem(copy)
    assert problem.startswith(f"references.bib:{line}: hrw2022inquiry: not in the file's standard format "
                              "(indentation or spacing"), problem
    assert problem.endswith("run `make format-refs`")


def test_extra_blank_line_is_reported(copy):
    seed(copy, "}\n\n@book{ezrow2011dictators,", "}\n\n\n@book{ezrow2011dictators,")
    problem = only_problem(copy)
    assert "not in the file's standard format (one blank line between entries" in problem, problem


# -- the formatter ------------------------------------------------------------------------------------

def test_format_fixes_layout_and_keeps_every_value(copy):
    original = (copy / "references.bib").read_text(encoding="utf-8")
    seed(copy, "  year = {2022},\n  month = feb,\n  day = {9},\n  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},\n",
         "    title = {{Kazakhstan}: Set Independent Inquiry\n      into {January} Events},\n  Year = 2022,\n  month = feb,\n  day = \"9\",\n")
    seed(copy, "@book{ezrow2011dictators,", "@Book{ezrow2011dictators,")
    assert problems(copy)
    result = run_cli(copy, "format")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (copy / "references.bib").read_text(encoding="utf-8") == original
    assert problems(copy) == []
    assert run_cli(copy, "format").stderr.strip() == "references.bib: already in its standard format"
    assert not list(copy.glob(".references.bib.*"))  # the temporary file was renamed, not left


def test_format_refuses_a_broken_file_and_leaves_it_untouched(copy):
    seed(copy, "  title = {{Kazakhstan}: Set Independent", "  title = {{Kazakhstan: Set Independent")
    before = (copy / "references.bib").read_bytes()
    result = run_cli(copy, "format")
    assert result.returncode == 1
    assert "hrw2022inquiry: cannot be parsed" in result.stdout
    assert "not formatted: fix the problems above first" in result.stderr
    assert (copy / "references.bib").read_bytes() == before
    assert not list(copy.glob(".references.bib.*"))


def test_format_is_idempotent_and_changes_no_meaning():
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    shuffled = text.replace("  ", "    ").replace("= {", "=  {")
    formatted = refs.format_text(shuffled)
    assert formatted == text
    assert refs._meaning(formatted) == refs._meaning(shuffled)


# -- the citation style (book_extensions/citation_style.py) -----------------------------------------------------

def _entries():
    return pybtex.database.parse_file(str(ROOT / "references.bib")).entries


def test_the_book_uses_the_thesis_style():
    from pybtex.plugin import find_plugin

    from book_extensions.citation_style import Style, register

    register()
    assert refs.book_style_name(ROOT) == "kzthesis"
    assert find_plugin("pybtex.style.formatting", "kzthesis") is Style


def test_every_entry_shows_what_its_footnote_needs():
    """Every real entry renders; title as written, the translation in brackets, the date as day
    month year, the URL, and the language mark exactly for Russian and Kazakh sources."""
    from book_extensions.citation_style import render_plain
    for key, entry in _entries().items():
        text = render_plain(entry)
        fields = entry.fields
        if "title" in fields:
            assert refs._plain(fields["title"]) in text, key
        if "titleaddon" in fields:
            assert f"[{refs._plain(fields['titleaddon'])}]" in text, key
        if "url" in fields:
            assert f"Available at: {fields['url']}" in text, key
        date = " ".join(fields[f] for f in ("day", "month", "year") if f in fields)
        if date:
            assert date in text, key
        marks = {"russian": "[In Russian]", "kazakh": "[In Kazakh]"}
        for language, mark in marks.items():
            assert (mark in text) == (fields.get("language") == language), key
        if "note" in fields:
            assert text.endswith(refs._plain(fields["note"]).rstrip(".") + "."), key


@pytest.mark.parametrize("key, expected", [
    ("bns2021national",  # no year: no date, and no failure
     "Agency for Strategic planning and reforms of the Republic of Kazakhstan Bureau of National statistics. "
     "National composition of Kazakhstan. stat.gov.kz."),
    ("nikonova2008krizis",
     "Nikonova, S. I. Krizis ideologii i sovetskoe obshchestvo v 1970–80-e gg. [The crisis of ideology and "
     "Soviet society in the 1970s and 80s.] Bulletin of the Tambov University. Series: Humanities, no. 7, "
     "pp. 374-382, 2008. [In Russian]"),
    ("ezrow2011dictators",
     "Ezrow, N. and Frantz, E. Dictators and Dictatorships. 1st edn., Bloomsbury Publishing, 2011. "
     "Available at: https://www.perlego.com/book/838363/dictatorsanddictatorshipspdf (Accessed: 16 May 2022). "
     "Chapter 1. Authoritarian Politics: Typologies."),
    ("rubin1998postsoviet",
     "Rubin, B. and Snyder, J. (eds.). Post-Soviet Political Order. 1st edn., Routledge, 1998. "
     "Available at: https://doi.org/10.4324/9780203067338."),
    ("anonndsot",  # no author, no date; Kazakh
     "Sot para berý jáne alaıaqtyq jasaýǵa oqtalý faktisi boıynsha sýdıalarǵa qatysty úkimdi jarıalady. "
     "[In Kazakh] Reference incomplete: the footnote is cut short in the source document after “[The court”."),
    ("trager1999freedom",
     "Trager, R. and Dickerson, D. Freedom of Expression in the 21st Century. 1st edn., SAGE Publications, "
     "pp. 14, 32, 1999. Available at: https://www.perlego.com/book/1004416/freedomofexpressioninthe21stcenturypdf "
     "(Accessed: 16 August 2022)."),
])
def test_entries_render_as_the_thesis_printed_them(key, expected):
    from book_extensions.citation_style import render_plain
    assert render_plain(_entries()[key]) == expected


def test_doi_and_missing_fields_never_fail():
    from pybtex.database import Entry

    from book_extensions.citation_style import render_plain
    assert render_plain(Entry("misc", fields={"title": "A page"})) == "A page."
    assert render_plain(Entry("misc", fields={"url": "https://example.org/a"})) == \
        "Available at: https://example.org/a."
    article = Entry("article", fields={"title": "T", "journal": "J", "volume": "14", "number": "3",
                                       "pages": "131--147", "doi": "10.1000/xyz", "language": "german"})
    assert render_plain(article) == "T. J, 14(3), pp. 131-147. DOI: 10.1000/xyz. [In German]"


def test_readme_example_is_the_real_entry_and_its_real_footnote():
    """README's "Adding a citation" shows an entry of references.bib and what the style prints."""
    import re

    from book_extensions.citation_style import render_plain
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Adding a citation"): readme.index("## Layout")]
    example = re.search(r"```bibtex\n(.*?)```", section, re.S).group(1)
    example = "\n".join(line[3:] for line in example.splitlines()) + "\n"
    assert example in (ROOT / "references.bib").read_text(encoding="utf-8")
    key = re.match(r"@\w+\{(\w+),", example).group(1)
    quoted = " ".join(line.lstrip("> ").strip() for line in section.splitlines() if line.strip().startswith(">"))
    assert quoted.replace("*", "") == render_plain(_entries()[key])
