"""`make check-refs` (tools/refs.py): each problem, seeded one at a time into a copy of the
project, is reported as `FILE:LINE: KEY: what is wrong` (lines computed from the seeded file);
the formatter keeps the file's style; the citation style (book_extensions/citation_style.py)
prints every field as written or the check says what to write instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pybtex.database
import pytest

from conftest import COPY_IGNORE, ROOT
from tools import refs

HRW = "@article{hrw2022inquiry,\n"
HRW_URL = "https://www.hrw.org/news/2022/02/09/kazakhstan-set-independent-inquiry-january-events"
HRW_TITLE = "  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},\n"
HRW_DATE = "  year = {2022},\n  month = feb,\n  day = {9},\n" + HRW_TITLE


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
    file.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, text.index(old)) + 1


def line_of(root: Path, needle: str, path: str = "references.bib") -> int:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    matches = [number for number, line in enumerate(lines, 1) if needle in line]
    assert len(matches) == 1, (needle, matches)
    return matches[0]


def entry_line(root: Path, key: str) -> int:
    """The line of `@type{key,` in the project's references.bib."""
    return line_of(root, "{" + key + ",")


def append_copy_of_entry(root: Path, old_key: str, new_key: str, *replace: tuple[str, str]) -> int:
    """Append a copy of an entry under another key; return the line of the copy's header."""
    bib = root / "references.bib"
    text = bib.read_text(encoding="utf-8")
    start = text.rindex("@", 0, text.index(f"{{{old_key},"))
    entry = text[start: text.index("\n}\n", start) + 3].replace(old_key, new_key)
    for old, new in replace:
        entry = entry.replace(old, new)
    bib.write_text(text + "\n" + entry, encoding="utf-8")
    return len(text.splitlines()) + 2


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


def test_the_field_order_is_every_field_the_style_prints():
    from book_extensions.citation_style import FIELD_KINDS
    assert sorted(refs.FIELD_ORDER) == sorted(FIELD_KINDS)
    assert set(refs.FIELD_FORMS) <= {name for name, kind in FIELD_KINDS.items() if kind == "raw"}


# -- the command line -----------------------------------------------------------------------------

def test_cli_reports_every_problem_at_once_and_fails(copy):
    year = seed(copy, "@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},\n  year = {2011},",
                "@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},\n  year = {20111},") + 2
    url = seed(copy, f"url = {{{HRW_URL}}}", f"url = {{htps://{HRW_URL[8:]}}}")
    page = seed(copy, "{footcite}`tokayev2022announcement`", "{footcite}`tokayev2022anouncement`",
                "book/introduction.md")
    result = run_cli(copy, "check")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (f"references.bib:{year}: ezrow2011dictators: `year = {{20111}}` must be a four-digit "
            "year, e.g. `{2022}`") in lines
    assert any(line.startswith(f"references.bib:{url}: hrw2022inquiry: `url = {{htps://")
               for line in lines), lines
    assert (f"book/introduction.md:{page}: tokayev2022anouncement: cited but not in references.bib "
            "(did you mean `tokayev2022announcement`?)") in lines
    # the announcement entry is now cited nowhere: reported too
    assert any("tokayev2022announcement: cited nowhere" in line for line in lines)
    assert len(lines) == 4 and "4 problems found" in result.stderr


def test_cli_passes_on_the_project(copy):
    result = run_cli(copy, "check")
    assert (result.returncode, result.stdout) == (0, "")
    assert "all checks passed" in result.stderr


# -- syntax: what neither bibtexparser nor pybtex can read ------------------------------------------

def test_entry_without_closing_brace_is_reported_on_its_first_line(copy):
    seed(copy, "  language = {english},\n}\n\n@book{ezrow2011dictators,",
         "  language = {english},\n\n@book{ezrow2011dictators,")
    assert only_problem(copy) == (
        f"references.bib:{entry_line(copy, 'hrw2022inquiry')}: hrw2022inquiry: the entry is not "
        f"closed: its `}}` is missing before line {entry_line(copy, 'ezrow2011dictators')}")


def test_last_entry_without_closing_brace_is_reported(copy):
    bib = copy / "references.bib"
    text = bib.read_text(encoding="utf-8")
    assert text.endswith("\n}\n")
    bib.write_text(text[:-2], encoding="utf-8")
    last = text[text.rindex("\n@") + 1:]
    key = last[last.index("{") + 1: last.index(",")]
    assert only_problem(copy) == (f"references.bib:{entry_line(copy, key)}: {key}: the entry is not "
                                  "closed: its `}` is missing before the end of the file")


def test_field_without_equals_is_reported_on_its_line(copy):
    line = seed(copy, "  day = {9},\n" + HRW_TITLE, "  day {9},\n" + HRW_TITLE)
    found = problems(copy)
    assert found[0].startswith(f"references.bib:{line}: hrw2022inquiry: cannot be read: Expected a "
                               "`=`"), found


def test_unbalanced_brace_is_reported_on_its_line(copy):
    line = seed(copy, "  title = {{Kazakhstan}: Set", "  title = {{Kazakhstan: Set")
    assert only_problem(copy) == (f"references.bib:{line}: hrw2022inquiry: unbalanced braces or "
                                  "quotes in this line: each `{` needs its `}`")


def test_stray_closing_brace_is_reported(copy):
    line = seed(copy, "  journal = {Human Rights Watch},\n", "  journal = {Human Rights Watch}},\n")
    assert only_problem(copy).startswith(f"references.bib:{line}: text outside any entry: `,`")


def test_string_macro_is_refused(copy):
    bib = copy / "references.bib"
    bib.write_text("@string{hrw = {Human Rights Watch}}\n\n" + bib.read_text(encoding="utf-8"),
                   encoding="utf-8")
    assert only_problem(copy) == ("references.bib:1: @string and @preamble are not used in this "
                                  "file: write the values in the entries")


def test_missing_comma_is_reported_by_pybtex_on_the_next_line(copy):
    """Dropped check ("field runs into the next one"): pybtex, which builds the book, refuses it."""
    line = seed(copy, "  day = {9},\n" + HRW_TITLE, "  day = {9}\n" + HRW_TITLE)
    assert only_problem(copy) == (f"references.bib:{line + 1}: hrw2022inquiry: pybtex, which builds "
                                  f"the book, cannot read it: syntax error in line {line + 1}: '}}' expected")


def test_duplicate_key_is_reported(copy):
    """Dropped check (duplicate keys, with their first line): bibtexparser and pybtex refuse it."""
    line = append_copy_of_entry(copy, "hrw2022inquiry", "hrw2022inquiry")
    assert only_problem(copy) == (f"references.bib:{line}: hrw2022inquiry: cannot be read: Duplicate "
                                  "entry key 'hrw2022inquiry' (one entry per key, each field once, "
                                  "as `name = {value},`)")


def test_keys_differing_only_by_case_are_duplicates_for_pybtex(copy):
    """Dropped check (keys differing only by case): pybtex refuses them, naming the second key."""
    line = append_copy_of_entry(copy, "hrw2022inquiry", "HRW2022inquiry",
                                ("Set Independent", "Set An Independent"))
    assert only_problem(copy) == (f"references.bib:{line}: HRW2022inquiry: pybtex, which builds the "
                                  "book, cannot read it: repeated bibliography entry: HRW2022inquiry")
    seed(copy, "@article{HRW2022inquiry,", "@article{hrw2022inquiryb,")  # a key of its own:
    assert f"references.bib:{line}: hrw2022inquiryb: cited nowhere" in " ".join(problems(copy))


def test_repeated_field_is_reported(copy):
    """Dropped check (a field given twice): bibtexparser and pybtex refuse it."""
    seed(copy, "  day = {9},\n" + HRW_TITLE, "  day = {9},\n  day = {10},\n" + HRW_TITLE)
    assert only_problem(copy).startswith(f"references.bib:{entry_line(copy, 'hrw2022inquiry')}: "
                                         "hrw2022inquiry: cannot be read: Duplicate field keys on "
                                         "entry: 'day' (")


def test_unreadable_name_is_reported_by_pybtex(copy):
    """Dropped check (a name BibTeX cannot read): pybtex refuses it, in its entry."""
    seed(copy, "@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},",
         "@book{ezrow2011dictators,\n  author = {Ezrow, N., Frantz, E., Author, A.},")
    assert only_problem(copy) == (
        f"references.bib:{entry_line(copy, 'ezrow2011dictators')}: ezrow2011dictators: pybtex, which "
        "builds the book, cannot read it: Too many commas in 'Ezrow, N., Frantz, E., Author, A.'")


def test_syntax_error_is_what_the_build_reports(copy):
    seed(copy, "  day = {9},\n" + HRW_TITLE, "  day {9},\n" + HRW_TITLE)
    message = refs.syntax_error(copy)
    assert message.startswith("references.bib cannot be read:\n  references.bib:")
    assert refs.syntax_error(ROOT) is None


# -- keys, types, the fields each type needs, unknown and empty fields -------------------------------

def test_key_not_in_authoryearword_form_is_reported(copy):
    seed(copy, "@article{hrw2022inquiry,", "@article{hrw-2022-inquiry,")
    seed(copy, "azattyq2022hronologiya,crisisgroup2022unrest,hrw2022inquiry`",
         "azattyq2022hronologiya,crisisgroup2022unrest,hrw-2022-inquiry`", "book/chronology.md")
    assert only_problem(copy) == (f"references.bib:{entry_line(copy, 'hrw-2022-inquiry')}: "
                                  "hrw-2022-inquiry: the key must be `authoryearword`, lower-case "
                                  "letters and digits")


def test_article_without_journal_is_reported(copy):
    seed(copy, "  journal = {Human Rights Watch},\n", "")
    assert only_problem(copy) == (f"references.bib:{entry_line(copy, 'hrw2022inquiry')}: "
                                  "hrw2022inquiry: @article needs `journal` for its footnote: add it "
                                  "from the source (never invented), or use @misc")


def test_book_without_publisher_is_reported(copy):
    seed(copy, "  publisher = {Routledge},\n", "")
    assert only_problem(copy).startswith(f"references.bib:{entry_line(copy, 'rubin1998postsoviet')}: "
                                         "rubin1998postsoviet: @book needs `publisher`")


def test_unknown_type_is_reported(copy):
    seed(copy, "@book{rubin1998postsoviet,", "@bok{rubin1998postsoviet,")
    assert only_problem(copy).startswith(
        f"references.bib:{entry_line(copy, 'rubin1998postsoviet')}: rubin1998postsoviet: entry type "
        "`@bok` is not one the book uses")


def test_misspelt_field_is_reported_with_a_suggestion(copy):
    line = seed(copy, "  journal = {Human Rights Watch},\n", "  jornal = {Human Rights Watch},\n")
    assert f"references.bib:{line}: hrw2022inquiry: unknown field `jornal`: the book's style would " \
           "not print it; did you mean `journal`?" in problems(copy)


def test_empty_field_is_reported(copy):
    line = seed(copy, "  edition = {1st},\n  url = {https://doi.org/", "  edition = {},\n  url = {https://doi.org/")
    assert only_problem(copy) == (f"references.bib:{line}: rubin1998postsoviet: field `edition` is empty: "
                                  "fill it or remove it")


@pytest.mark.parametrize("field, needed", [("  day = {9},\n", "month"), ("  urldate = {2022-05-16},\n", "url")])
def test_field_without_the_field_it_needs_is_reported(copy, field, needed):
    if needed == "month":
        line = seed(copy, "  month = feb,\n" + field, field)
        name = "day"
    else:
        line = seed(copy, f"  url = {{{HRW_URL}}},\n", field)
        name = "urldate"
    assert only_problem(copy) == (f"references.bib:{line}: hrw2022inquiry: `{name}` without "
                                  f"`{needed}`: add it or remove `{name}`")


# -- persons ---------------------------------------------------------------------------------------

def test_organisation_without_double_braces_is_reported(copy):
    line = seed(copy, "  author = {{Human Rights Watch}},\n  year = {2022},\n  month = feb,",
                "  author = {Human Rights Watch},\n  year = {2022},\n  month = feb,")
    assert only_problem(copy) == (
        f"references.bib:{line}: hrw2022inquiry: author: `Human Rights Watch`: write a person as "
        "`Surname, Given` and an organisation in double braces, `{{Human Rights Watch}}`; no doubled `and`")


def test_doubled_and_is_reported(copy):
    line = seed(copy, "@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},",
                "@book{ezrow2011dictators,\n  author = {Ezrow, N. and and Frantz, E.},") + 1
    assert only_problem(copy).startswith(f"references.bib:{line}: ezrow2011dictators: author: "
                                         "`and Frantz, E.`: write a person as `Surname, Given`")


# -- the form of each value (FIELD_FORMS) and dates ----------------------------------------------------

@pytest.mark.parametrize("year", ["20222", "22", "n.d.", "2022a", "{2022}"])
def test_malformed_year_is_reported(copy, year):
    line = seed(copy, HRW_DATE, HRW_DATE.replace("{2022}", f"{{{year}}}"))
    assert only_problem(copy) == (f"references.bib:{line}: hrw2022inquiry: `year = {{{year}}}` must be "
                                  "a four-digit year, e.g. `{2022}`")


def test_future_date_is_reported(copy):
    line = seed(copy, HRW_DATE, HRW_DATE.replace("{2022}", "{2999}"))
    assert only_problem(copy) == (f"references.bib:{line + 2}: hrw2022inquiry: the date 2999-02-09 "
                                  "is in the future")


def test_month_in_braces_is_reported_with_the_macro(copy):
    line = seed(copy, HRW_DATE, HRW_DATE.replace("month = feb", "month = {February}"))
    assert only_problem(copy) == (f"references.bib:{line + 1}: hrw2022inquiry: `month = {{February}}` "
                                  "must be a month macro without braces, e.g. `month = mar`")


def test_impossible_day_is_reported(copy):
    line = seed(copy, HRW_DATE, HRW_DATE.replace("{9}", "{30}"))
    assert only_problem(copy) == (f"references.bib:{line + 2}: hrw2022inquiry: the date 2022-02-30 "
                                  "does not exist")


@pytest.mark.parametrize("url", [
    "htps://www.hrw.org/news", "www.hrw.org/news", "https://www.hrw.org/news/2022 kazakhstan",
    "https://hrw/news", "https://www.hrw.org/news\\_kazakhstan", "https://www.hrw.org:99999999/news",
])
def test_malformed_url_is_reported(copy, url):
    line = seed(copy, f"url = {{{HRW_URL}}}", f"url = {{{url}}}")
    assert only_problem(copy).startswith(f"references.bib:{line}: hrw2022inquiry: `url = {{{url}}}` "
                                         "must be an address with `https://` and a host name")


def test_addresses_in_other_scripts_and_encoded_ones_pass(copy):
    seed(copy, f"url = {{{HRW_URL}}}", "url = {https://пример.рф/новости/50%25_more?a=1&b=2#top}")
    assert problems(copy) == []


def test_malformed_doi_url_is_reported(copy):
    line = seed(copy, "url = {https://doi.org/10.4324/9780203067338}", "url = {https://doi.org/9780203067338}")
    assert only_problem(copy).startswith(f"references.bib:{line}: rubin1998postsoviet: "
                                         "`url = {https://doi.org/9780203067338}` must be")


@pytest.mark.parametrize("doi", ["10.4324", "https://doi.org/10.4324/9780203067338", "10.4324/97802{0}3"])
def test_malformed_doi_is_reported(copy, doi):
    line = seed(copy, "  url = {https://doi.org/10.4324/9780203067338},",
                f"  doi = {{{doi}}},\n  url = {{https://doi.org/10.4324/9780203067338}},")
    assert only_problem(copy) == (f"references.bib:{line}: rubin1998postsoviet: `doi = {{{doi}}}` must "
                                  "be a bare DOI, e.g. `{10.4324/9780203067338}`")


@pytest.mark.parametrize("urldate", ["16 May 2022", "2022-13-01", "2022-5-16"])
def test_malformed_access_date_is_reported(copy, urldate):
    line = seed(copy, "  urldate = {2022-05-16},\n  language = {english},\n  note = {Chapter 1.",
                f"  urldate = {{{urldate}}},\n  language = {{english}},\n  note = {{Chapter 1.")
    assert only_problem(copy) == (f"references.bib:{line}: ezrow2011dictators: `urldate = {{{urldate}}}` "
                                  "must be the access date, e.g. `{2022-05-16}`")


@pytest.mark.parametrize("urldate, what", [("2022-02-30", "does not exist"), ("2999-05-16", "is in the future")])
def test_impossible_access_date_is_reported(copy, urldate, what):
    line = seed(copy, "  urldate = {2022-05-16},\n  language = {english},\n  note = {Chapter 1.",
                f"  urldate = {{{urldate}}},\n  language = {{english}},\n  note = {{Chapter 1.")
    assert only_problem(copy) == f"references.bib:{line}: ezrow2011dictators: the date {urldate} {what}"


def test_page_range_with_one_hyphen_is_reported(copy):
    line = seed(copy, "  pages = {374--382},", "  pages = {374-382},")
    assert only_problem(copy) == (f"references.bib:{line}: nikonova2008krizis: `pages = {{374-382}}` must "
                                  "be pages or ranges, e.g. `{69}`, `{131--147}`, `{14, 32}`")


def test_backward_page_range_is_reported(copy):
    line = seed(copy, "  pages = {374--382},", "  pages = {382--374},")
    assert only_problem(copy) == (f"references.bib:{line}: nikonova2008krizis: pages: the range "
                                  "`382--374` ends before it starts")


def test_unknown_language_is_reported(copy):
    line = seed(copy, "  language = {english},\n}\n\n@book{ezrow2011dictators,",
                "  language = {English},\n}\n\n@book{ezrow2011dictators,")
    assert only_problem(copy).startswith(f"references.bib:{line}: hrw2022inquiry: `language = {{English}}` "
                                         "must be one the style marks: english, kazakh, russian")


@pytest.mark.parametrize("volume", ["{{7}}", "{7\\,a}"])
def test_raw_field_with_braces_or_backslashes_is_reported(copy, volume):
    """Volumes and numbers are printed character for character: braces would show."""
    line = seed(copy, "  number = {7},\n  pages = {374--382},", f"  number = {volume},\n  pages = {{374--382}},")
    assert only_problem(copy) == (f"references.bib:{line}: nikonova2008krizis: `number = {volume}` must be "
                                  "printed as written, so without braces or backslashes inside")


# -- printed as written: characters that are syntax elsewhere, scripts, the style ---------------------

def _render(root: Path, key: str) -> str:
    from book_extensions.citation_style import render_plain
    return render_plain(pybtex.database.parse_file(str(root / "references.bib")).entries[key])


@pytest.mark.parametrize("written, printed", [
    pytest.param("50% & more", "50% & more", id="bare-percent-and-ampersand"),
    pytest.param("50\\% \\& more", "50% & more", id="escaped-percent-and-ampersand"),
    pytest.param("A $5 fee, #1 in the news_feed", "A $5 fee, #1 in the news_feed", id="dollar-hash-underscore"),
    pytest.param("Qazaqstan: Қазақстан, Kazakstan, Казахстан, ǵ ý ı",
                 "Qazaqstan: Қазақстан, Kazakstan, Казахстан, ǵ ý ı", id="cyrillic-and-kazakh-latin"),
])
def test_title_prints_as_written(copy, written, printed):
    seed(copy, HRW_TITLE, f"  title = {{{written}}},\n")
    assert problems(copy) == []
    assert f"{printed}. Human Rights Watch, 9 February 2022." in _render(copy, "hrw2022inquiry")


@pytest.mark.parametrize("written, fix", [
    pytest.param("A \\$5 fee", "write `$` for `\\$`", id="escaped-dollar"),
    pytest.param("The {\\{}braces{\\}} of a title", "rephrase without `\\{` and `\\}` (braces only group text)",
                 id="escaped-braces"),
    pytest.param("A \\textbf{bold} title", "write the text without LaTeX commands", id="command"),
    pytest.param("One line \\\\ and the next", "write the text without LaTeX commands", id="line-break"),
])
def test_latex_the_style_cannot_print_is_refused_with_the_fix(copy, written, fix):
    line = seed(copy, HRW_TITLE, f"  title = {{{written}}},\n")
    problem = only_problem(copy)
    assert problem.startswith(f"references.bib:{line}: hrw2022inquiry: title: would print as `"), problem
    assert problem.endswith(f"not as written: {fix}"), problem
    if "$" in written:
        assert problem == (f"references.bib:{line}: hrw2022inquiry: title: would print as `A \\$5 fee`, not "
                           "as written: write `$` for `\\$`")


def test_percent_in_a_name_is_refused_with_the_fix(copy):
    """Names go through pybtex's name parser, which reads `%` as a comment."""
    line = seed(copy, HRW + "  author = {{Human Rights Watch}},", HRW + "  author = {{Human Rights Watch 50% Group}},") + 1
    assert problems(copy) == [
        f"references.bib:{entry_line(copy, 'hrw2022inquiry')}: hrw2022inquiry: the book's style cannot "
        "print this entry: syntax error in line 1: unbalanced braces",
        f"references.bib:{line}: hrw2022inquiry: author: would print as `nothing: pybtex cannot read it "
        "(syntax error in line 1: unbalanced braces)`, not as written: write `\\%` for `%` (in a name a "
        "bare `%` starts a comment)"]
    seed(copy, "Watch 50% Group", "Watch 50\\% Group")
    assert problems(copy) == []


@pytest.mark.parametrize("text", ["中国与哈萨克斯坦", "العربية", "Ԛазақ"])
def test_characters_the_pdf_fonts_lack_are_refused(copy, text):
    line = seed(copy, "  note = {Chapter 1. Authoritarian Politics: Typologies},",
                f"  note = {{Chapter 1. {text}}},")
    odd = sorted(set(text) - set("Қазақ"))
    assert only_problem(copy) == (f"references.bib:{line}: ezrow2011dictators: note: "
                                  + ", ".join(f"`{ch}` (U+{ord(ch):04X})" for ch in odd)
                                  + " not in the PDF's fonts: transliterate, as the thesis does")


def test_a_style_that_changes_a_title_is_reported(copy):
    """The check renders with the book's own style: one that changed case would be caught."""
    seed(copy, "        title = _latex(entry, \"title\")\n",
         "        title = _latex(entry, \"title\")\n        title = title and title.lower()\n",
         "book_extensions/citation_style.py")
    result = run_cli(copy, "check")
    line = line_of(copy, HRW_TITLE.rstrip("\n"))
    assert (f"references.bib:{line}: hrw2022inquiry: title: the book's style does not print it as "
            "written, `Kazakhstan: Set Independent Inquiry into January Events`") in result.stdout.splitlines()


def test_pdf_characters_are_in_the_pdf_fonts():
    """PDF_CHARACTERS is what FreeSerif (upright, italic) and FreeMono, the fonts of the PDF
    (latex_elements in _config.yml), all have."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "\\setmainfont{FreeSerif}" in config and "\\setmonofont{FreeMono}" in config
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig's fc-match is missing (tools/debian-packages.sh pdf installs it)")
    for font in ("FreeSerif", "FreeSerif:italic", "FreeMono"):
        path = subprocess.run(["fc-match", "-f", "%{file}", font], capture_output=True, text=True).stdout
        if "Free" not in Path(path).name:
            pytest.skip(f"{font} is not installed (tools/debian-packages.sh pdf installs it)")
        have = set(ttlib.TTFont(path).getBestCmap())
        missing = [f"U+{cp:04X}" for first, last in refs.PDF_CHARACTERS for cp in range(first, last + 1)
                   if unicodedata.name(chr(cp), "") and cp not in have]
        assert not missing, (font, missing)


def test_field_kinds_are_how_the_style_reads_each_field():
    """`latex` fields: braces group, `\\&` is `&`, a bare `%` is printed; `raw` fields: printed
    character for character."""
    from pybtex.database import Entry

    from book_extensions.citation_style import FIELD_KINDS, render_plain
    for name, kind in FIELD_KINDS.items():
        if kind == "latex":
            assert "A{B} \\& 5%" not in render_plain(Entry("misc", fields={name: "A{B} \\& 5%"}))
            assert "AB & 5%" in render_plain(Entry("misc", fields={name: "A{B} \\& 5%"})), name
        elif kind == "raw" and name not in ("language", "urldate", "month"):
            assert "A{B}\\&5%" in render_plain(Entry("misc", fields={name: "A{B}\\&5%"})), name


# -- citations -----------------------------------------------------------------------------------

def test_misspelt_citation_is_reported_on_the_page(copy):
    line = seed(copy, "{footcite}`azattyq2022hronologiya,crisisgroup2022unrest,hrw2022inquiry`",
                "{footcite}`azattyq2022hronologiya,crisisgroup2022unrest,hrw2022inquirry`",
                "book/chronology.md")
    assert problems(copy) == [
        # its only citation misspelt, the entry is cited nowhere: reported as well
        f"references.bib:{entry_line(copy, 'hrw2022inquiry')}: hrw2022inquiry: cited nowhere in book/ or "
        "notebooks/: cite it with {footcite}, delete it, or list it with the reason in "
        "tools/uncited-references.toml",
        f"book/chronology.md:{line}: hrw2022inquirry: cited but not in references.bib "
        "(did you mean `hrw2022inquiry`?)"]


def test_empty_key_in_a_citation_is_reported(copy):
    """Dropped check (an empty key): it is a key cited but not in references.bib."""
    line = seed(copy, "crisisgroup2022unrest,hrw2022inquiry`", "crisisgroup2022unrest,,hrw2022inquiry`",
                "book/chronology.md")
    assert only_problem(copy) == f"book/chronology.md:{line}: cited but not in references.bib"


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
    page.write_text(page.read_text(encoding="utf-8").replace("```python\n", "Text\n"), encoding="utf-8")
    line = line_of(copy, "example = '{footcite}`nosuchkey2020`'", "book/about.md")
    assert f"book/about.md:{line}: nosuchkey2020: cited but not in references.bib" in problems(copy)


def test_page_with_footcite_needs_footbibliography(copy):
    seed(copy, "```{footbibliography}\n```\n", "", "book/chronology.md")
    line = line_of(copy, "{footcite}`azattyq2022hronologiya", "book/chronology.md")
    assert only_problem(copy).startswith(
        f"book/chronology.md:{line}: the page cites with {{footcite}} but has no ```{{footbibliography}}``` directive")


def test_uncited_entry_is_reported(copy):
    seed(copy, "Source: {cite:p}`bns2021national`.", "Source: the national statistics bureau.", "book/tables.md")
    assert only_problem(copy) == (
        f"references.bib:{entry_line(copy, 'bns2021national')}: bns2021national: cited nowhere in book/ or "
        "notebooks/: cite it with {footcite}, delete it, or list it with the reason in "
        "tools/uncited-references.toml")


def test_uncited_entry_listed_with_a_reason_passes(copy):
    seed(copy, "Source: {cite:p}`bns2021national`.", "Source: the national statistics bureau.", "book/tables.md")
    listing = copy / "tools" / "uncited-references.toml"
    listing.write_text(listing.read_text(encoding="utf-8") +
                       'bns2021national = "The source of Table 1, named in the table\'s own caption."\n',
                       encoding="utf-8")
    assert problems(copy) == []


def test_uncited_list_must_give_reasons_and_real_uncited_keys(copy):
    listing = copy / "tools" / "uncited-references.toml"
    base = len(listing.read_text(encoding="utf-8").splitlines())
    listing.write_text(listing.read_text(encoding="utf-8") +
                       'hrw2022inquiry = "Kept for the record of the January events."\n'
                       'nosuchkey2020 = "A source the thesis mentions in passing."\n'
                       'ezrow2011dictators = ""\n', encoding="utf-8")
    name = refs.UNCITED_NAME
    found = problems(copy)
    assert found[:3] == [
        f"{name}:{base + 1}: hrw2022inquiry: listed as uncited but cited in book/chronology.md: remove the line",
        f"{name}:{base + 2}: nosuchkey2020: listed as uncited but there is no such entry: remove the line",
        f"{name}:{base + 3}: ezrow2011dictators: give the reason why the entry is kept though no page "
        "cites it (a sentence)"]
    assert len(found) == 4 and found[3].startswith(f"{name}:{base + 3}: ezrow2011dictators: listed as "
                                                   "uncited but cited in ")


def test_unreadable_uncited_list_is_reported(copy):
    listing = copy / "tools" / "uncited-references.toml"
    listing.write_text(listing.read_text(encoding="utf-8") + "bns2021national = \n", encoding="utf-8")
    assert only_problem(copy).startswith(f"{refs.UNCITED_NAME}:1: cannot be read: ")


# -- one entry per source -----------------------------------------------------------------------------

def test_second_entry_for_the_same_source_is_reported(copy):
    line = append_copy_of_entry(copy, "hrw2022inquiry", "hrw2022kazakhstan")
    seed(copy, "crisisgroup2022unrest,hrw2022inquiry`", "crisisgroup2022unrest,hrw2022inquiry,hrw2022kazakhstan`",
         "book/chronology.md")
    assert only_problem(copy) == (f"references.bib:{line}: hrw2022kazakhstan: same source as `hrw2022inquiry` "
                                  f"(line {entry_line(copy, 'hrw2022inquiry')}): keep one entry and cite that "
                                  "key everywhere")


def test_two_chapters_of_one_book_are_two_sources():
    entries = pybtex.database.parse_file(str(ROOT / "references.bib")).entries
    assert entries["ezrow2011dictators"].fields["url"] == entries["ezrow2011dictatorsb"].fields["url"]
    assert entries["ezrow2011dictators"].fields["note"] != entries["ezrow2011dictatorsb"].fields["note"]
    assert not [p for p in problems(ROOT) if "same source" in p]


# -- the file's format ------------------------------------------------------------------------------

def test_fields_out_of_order_are_reported(copy):
    line = seed(copy, HRW_DATE, HRW_TITLE + HRW_DATE.replace(HRW_TITLE, ""))
    assert only_problem(copy) == (
        f"references.bib:{line}: hrw2022inquiry: not in the file's standard format (`{HRW_TITLE.strip()}`, "
        "expected `year = {2022},`): run `make format-refs`")


def test_indentation_is_reported(copy):
    line = seed(copy, "  journal = {Human Rights Watch},\n", "\tjournal = {Human Rights Watch},\n")
    assert only_problem(copy) == (
        f"references.bib:{line}: hrw2022inquiry: not in the file's standard format (spacing of `journal "
        "= {Human Rights Watch},`): run `make format-refs`")


def test_extra_blank_line_is_reported(copy):
    line = seed(copy, "}\n\n@book{ezrow2011dictators,", "}\n\n\n@book{ezrow2011dictators,")
    assert only_problem(copy) == (
        f"references.bib:{line + 2}: hrw2022inquiry: not in the file's standard format (``, expected "
        "`@book{ezrow2011dictators,`): run `make format-refs`")


# -- the formatter ------------------------------------------------------------------------------------

def test_format_fixes_layout_and_keeps_every_value(copy):
    original = (copy / "references.bib").read_text(encoding="utf-8")
    seed(copy, HRW_DATE, "    title = {{Kazakhstan}: Set Independent Inquiry\n      into {January} Events},\n"
         "  Year = 2022,\n  month = feb,\n  day = \"9\",\n")
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
    assert "hrw2022inquiry: unbalanced braces" in result.stdout
    assert "not formatted: fix the problems above first" in result.stderr
    assert (copy / "references.bib").read_bytes() == before
    assert not list(copy.glob(".references.bib.*"))


def test_format_refuses_to_change_what_an_entry_says(copy, monkeypatch):
    before = (copy / "references.bib").read_bytes()
    monkeypatch.setattr(refs, "format_text", lambda text: text.replace("{2022}", "{2021}", 1))
    seed(copy, "  journal = {Human Rights Watch},\n", "\tjournal = {Human Rights Watch},\n")
    changed = (copy / "references.bib").read_bytes()
    assert refs.format_file(copy) == 1
    assert (copy / "references.bib").read_bytes() == changed != before


def test_format_is_idempotent_and_changes_no_meaning():
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    shuffled = text.replace("  ", "    ").replace("= {", "=  {")
    assert shuffled != text
    formatted = refs.format_text(shuffled)
    assert formatted == text
    assert refs._meaning(formatted) == refs._meaning(shuffled)


# -- the citation style (book_extensions/citation_style.py) -----------------------------------------------------

def _entries():
    return pybtex.database.parse_file(str(ROOT / "references.bib")).entries


def test_the_book_uses_the_thesis_style():
    import yaml
    from pybtex.plugin import find_plugin

    from book_extensions import citation_style

    class App:
        def setup_extension(self, name):
            assert name == "sphinxcontrib.bibtex"

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["bibtex_default_style"] == citation_style.STYLE_NAME
    citation_style.setup(App())
    assert find_plugin("pybtex.style.formatting", citation_style.STYLE_NAME) is citation_style.Style


def test_every_entry_shows_what_its_footnote_needs():
    """Every real entry renders; title as written, the translation in brackets, the date as day
    month year, the URL, and the language mark exactly for Russian and Kazakh sources."""
    from book_extensions.citation_style import displayed_url, plain_text, printed_field, render_plain
    for key, entry in _entries().items():
        text = render_plain(entry)
        fields = entry.fields
        if "title" in fields:
            assert plain_text(printed_field(fields["title"])) in text, key
        if "titleaddon" in fields:
            assert f"[{plain_text(printed_field(fields['titleaddon']))}]" in text, key
        if "url" in fields:
            # Its encoded letters shown as letters (the link keeps the address as written).
            assert f"Available at: {displayed_url(fields['url'])}" in text, key
        date = " ".join(fields[f] for f in ("day", "month", "year") if f in fields)
        if date:
            assert date in text, key
        marks = {"russian": "[In Russian]", "kazakh": "[In Kazakh]"}
        for language, mark in marks.items():
            assert (mark in text) == (fields.get("language") == language), key
        if "note" in fields:
            assert text.endswith(plain_text(printed_field(fields["note"])).rstrip(".") + "."), key


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
    ("crisisgroup2022unrest",  # `\&` in a note
     "The International Crisis Group. Behind the Unrest in Kazakhstan. The International Crisis Group, "
     "14 January 2022. Available at: "
     "https://www.crisisgroup.org/europe-central-asia/central-asia/kazakhstan/behind-unrest-kazakhstan. "
     "Europe & Central Asia."),
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
    section = readme[readme.index("## Adding a citation"): readme.index("## Build speed")]
    example = re.search(r"```bibtex\n(.*?)```", section, re.S).group(1)
    example = "\n".join(line[3:] for line in example.splitlines()) + "\n"
    assert example in (ROOT / "references.bib").read_text(encoding="utf-8")
    key = re.match(r"@\w+\{(\w+),", example).group(1)
    quoted = " ".join(line.lstrip("> ").strip() for line in section.splitlines() if line.strip().startswith(">"))
    assert quoted.replace("*", "") == render_plain(_entries()[key])


def test_an_address_shows_its_encoded_letters_as_letters():
    """The reader sees `ГИПЕРБОРЕЙ`, not `%D0%93%D0%98…`; an encoded ASCII sign (a space, a
    percent sign) and bytes that are no UTF-8 letter stay encoded; the link is not changed."""
    from book_extensions.citation_style import displayed_url

    assert displayed_url("https://y.example/w?c=%D0%93%D0%98%D0%9F") == "https://y.example/w?c=ГИП"
    assert displayed_url("https://x.example/a%20b/50%25") == "https://x.example/a%20b/50%25"
    assert displayed_url("https://x.example/%D0%93%20%ff") == "https://x.example/Г%20%ff"
