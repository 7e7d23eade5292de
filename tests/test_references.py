"""The book's build reads references.bib as pybtex does, and prints every field as written.

* A file that pybtex cannot read (a syntax error, a repeated key or field, an unreadable name)
  fails `python -m tools.build` at once, before any notebook executes, with a message naming
  references.bib, the line and the entry (tools/refs.py `syntax_error`; Sphinx's own message
  names no file, and for an unclosed entry the line after it).
* `%`, `&`, `$`, `#`, `_`, braces and Cyrillic print exactly as written in the HTML footnote,
  on the bibliography page and in the PDF.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from conftest import COPY_IGNORE, ROOT, build
from tools import refs

BIB = ROOT / "references.bib"
HRW_TITLE = "  title = {{Kazakhstan}: Set Independent Inquiry into {January} Events},\n"


def test_references_parse_as_the_book_reads_them():
    text = BIB.read_text(encoding="utf-8")
    library, entries, problems = refs.parse(text)
    assert problems == []
    assert len(entries) == len(library.entries) == len(re.findall(r"^@", text, re.M)) > 100


# -- a broken references.bib fails the build, naming the file and the line -----------------------

def _entry(text: str, key: str) -> int:
    return text[: text.index(f"{{{key},")].count("\n") + 1


def _line(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def _duplicate(text: str, key: str, new_key: str) -> str:
    start = text.rindex("@", 0, text.index(f"{{{key},"))
    return text + "\n" + text[start: text.index("\n}\n", start) + 3].replace(key, new_key)


# Each fault: how to seed it into the text of references.bib, and the message the build must
# print, from the seeded text (lines computed, never written down).
FAULTS = {
    "entry without its closing brace": (
        lambda t: t.replace("  language = {english},\n}\n\n@book{ezrow2011dictators,",
                            "  language = {english},\n\n@book{ezrow2011dictators,"),
        lambda t: f"references.bib:{_entry(t, 'hrw2022inquiry')}: hrw2022inquiry: the entry is not "
                  f"closed: its `}}` is missing before line {_entry(t, 'ezrow2011dictators')}"),
    "field without `=`": (
        lambda t: t.replace("  day = {9},\n" + HRW_TITLE, "  day {9},\n" + HRW_TITLE),
        lambda t: f"references.bib:{_line(t, '  day {9},')}: hrw2022inquiry: cannot be read: "
                  "Expected a `=` after entry key"),
    "unbalanced brace": (
        lambda t: t.replace("  title = {{Kazakhstan}: Set", "  title = {{Kazakhstan: Set"),
        lambda t: f"references.bib:{_line(t, '{{Kazakhstan: Set')}: hrw2022inquiry: unbalanced "
                  "braces or quotes in this line"),
    "missing comma": (
        lambda t: t.replace("  day = {9},\n" + HRW_TITLE, "  day = {9}\n" + HRW_TITLE),
        lambda t: f"references.bib:{_line(t, '  day = {9}' + chr(10)) + 1}: hrw2022inquiry: pybtex, "
                  f"which builds the book, cannot read it: syntax error in line "
                  f"{_line(t, '  day = {9}' + chr(10)) + 1}"),
    "stray closing brace": (
        lambda t: t.replace("  journal = {Human Rights Watch},\n", "  journal = {Human Rights Watch}},\n"),
        lambda t: f"references.bib:{_line(t, 'journal = {Human Rights Watch}},')}: text outside any entry"),
    "repeated key": (
        lambda t: _duplicate(t, "hrw2022inquiry", "hrw2022inquiry"),
        lambda t: f"references.bib:{t[:t.rindex('{hrw2022inquiry,')].count(chr(10)) + 1}: "
                  "hrw2022inquiry: cannot be read: Duplicate "
                  "entry key 'hrw2022inquiry'"),
    "keys differing only by case": (
        lambda t: _duplicate(t, "hrw2022inquiry", "HRW2022inquiry"),
        lambda t: f"references.bib:{_entry(t, 'HRW2022inquiry')}: HRW2022inquiry: pybtex, which builds "
                  "the book, cannot read it: repeated bibliography entry: HRW2022inquiry"),
    "repeated field": (
        lambda t: t.replace("  day = {9},\n" + HRW_TITLE, "  day = {9},\n  day = {10},\n" + HRW_TITLE),
        lambda t: f"references.bib:{_entry(t, 'hrw2022inquiry')}: hrw2022inquiry: cannot be read: "
                  "Duplicate field keys on entry: 'day'"),
    "name pybtex cannot read": (
        lambda t: t.replace("@book{ezrow2011dictators,\n  author = {Ezrow, N. and Frantz, E.},",
                            "@book{ezrow2011dictators,\n  author = {Ezrow, N., Frantz, E., Author, A.},"),
        lambda t: f"references.bib:{_entry(t, 'ezrow2011dictators')}: ezrow2011dictators: pybtex, which "
                  "builds the book, cannot read it: Too many commas"),
}


@pytest.mark.book  # runs the build (it fails at once): left out of `make check`
@pytest.mark.parametrize("fault", FAULTS)
def test_broken_references_fail_the_build_naming_file_and_line(tmp_path: Path, fault: str):
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    seed, message = FAULTS[fault]
    text = BIB.read_text(encoding="utf-8")
    broken = seed(text)
    assert broken != text
    (copy / "references.bib").write_text(broken, encoding="utf-8")
    result = build(copy)
    assert result.returncode == 1
    assert "error: references.bib cannot be read:\n  " + message(broken) in result.output, result.output
    assert not (copy / "_build" / ".jupyter_cache").exists()  # failed before executing anything


# -- characters that are syntax elsewhere print as written ----------------------------------------

KEY = "testov2022sto"
ENTRY = rf"""
@misc{{{KEY},
  author = {{Testov, Ivan}},
  year = {{2022}},
  title = {{50% & more}},
  titleaddon = {{Prices up by 20\% \& a $5 fee: #1 in the news_feed of {{Kazakhstan}}}},
  howpublished = {{Қазақстан жаңалықтары}},
  url = {{https://example.org/news/50%25_more#top}},
  language = {{kazakh}},
}}
"""
PRINTED = ("Testov, Ivan. 50% & more [Prices up by 20% & a $5 fee: #1 in the news_feed of Kazakhstan]. "
           "Қазақстан жаңалықтары, 2022. Available at: https://example.org/news/50%25_more#top. "
           "[In Kazakh]")
SENTENCE = "immediately gained support across the country. The Kazakh government"


def _visible(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def test_special_characters_print_as_written_in_html_and_pdf(project_copy: Path):
    bib = project_copy / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + ENTRY, encoding="utf-8")
    page = project_copy / "book" / "introduction.md"
    text = page.read_text(encoding="utf-8")
    assert text.count(SENTENCE) == 1
    page.write_text(text.replace(SENTENCE, SENTENCE.replace(". The", f"{{footcite}}`{KEY}`. The")),
                    encoding="utf-8")
    assert [str(p) for p in refs.Checker(project_copy).run()] == []  # `make check-refs` accepts it

    html = build(project_copy)
    assert html.returncode == 0, html.output[-3000:]
    intro = (project_copy / "_build" / "html" / "book" / "introduction.html").read_text(encoding="utf-8")
    # A note's text, without the line of links to the bibliography under it.
    notes = [_visible(re.sub(r'<div class="thesis-note-sources.*?</div>', "", body, flags=re.S))
             for body in re.findall(r'<aside class="footnote brackets[^>]*>(.*?)</aside>', intro, re.S)]
    assert any(re.fullmatch(r"\[\d+\] " + re.escape(PRINTED), note) for note in notes), notes
    assert "<em>50% &amp; more</em>" in intro  # the title, in italics, exactly
    bibliography = (project_copy / "_build" / "html" / "book" / "bibliography.html").read_text(encoding="utf-8")
    assert PRINTED in _visible(bibliography)

    missing = [tool for tool in ("xelatex", "latexmk", "pdftotext") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the PDF needs {', '.join(missing)} (tools/debian-packages.sh pdf)")
    pdf = build(project_copy, "pdf")
    assert pdf.returncode == 0, pdf.output[-3000:]
    tex = (project_copy / "_build" / "latex" / "thesis.tex").read_text(encoding="utf-8")
    assert r"\sphinxstyleemphasis{50\% \& more}" in tex
    pages = subprocess.run(["pdftotext", str(project_copy / "_build" / "latex" / "thesis.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    folded = " ".join(pages.split())
    for part in ("Testov, Ivan. 50% & more [Prices up by 20% & a $5 fee: #1 in the news_feed of "
                 "Kazakhstan]. Қазақстан жаңалықтары, 2022.", "[In Kazakh]"):
        assert part in folded, part
