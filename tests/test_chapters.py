"""The thesis's chapters: every footnote of the seed is there, every cited key exists, every
explanatory footnote is defined, and no number that data/ provides is typed."""

import re

import pybtex.database
import pytest

from conftest import ROOT, text_of

BOOK = ROOT / "book"
# Footnotes of each chapter in the seed (numbered through the thesis): 2–29, 30–92, 93–135, 136–176.
SEED_FOOTNOTES = {"chapter1": 28, "chapter2": 63, "chapter3": 43, "chapter4": 41}
# Survey questions each chapter discusses, whose figure stands in the chapter.
FIGURES = {"chapter1": [3], "chapter2": [8], "chapter3": [1, 2, 7], "chapter4": [4, 5, 6, 9, 10]}
FOOTCITE = re.compile(r"\{footcite\}`([^`]+)`")
NOTE_REF = re.compile(r"\[\^([\w-]+)\](?!:)")
NOTE_DEF = re.compile(r"^\[\^([\w-]+)\]:", re.M)


def source(page):
    return (BOOK / f"{page}.md").read_text(encoding="utf-8")


def prose(page):
    """The page without its code cells."""
    return re.sub(r"```\{code-cell\}.*?```", "", source(page), flags=re.S)


def seed_markers(text):
    """Footnote markers as the seed counts them: a remark and its source side by side
    (`[^note]{footcite}`key``) were one footnote in the seed."""
    mixed = re.compile(r"\[\^[\w-]+\]\{footcite\}`[^`]+`")
    single = mixed.sub("", text)
    return len(mixed.findall(text)) + len(FOOTCITE.findall(single)) + len(NOTE_REF.findall(single))


@pytest.mark.parametrize("page", SEED_FOOTNOTES)
def test_every_seed_footnote_has_a_marker(page):
    assert seed_markers(prose(page)) == SEED_FOOTNOTES[page]


@pytest.mark.parametrize("page", SEED_FOOTNOTES)
def test_rendered_chapter_has_every_footnote(built_book, page):
    """One note per footnote of the thesis (book_extensions/notes.py; tests/test_notes.py checks
    their numbers), each citing what its markers name."""
    html = built_book.page(page)
    assert html.count('class="footnote-reference') == SEED_FOOTNOTES[page]
    assert html.count('<aside class="footnote brackets') == SEED_FOOTNOTES[page]
    assert "footcite-" not in html  # no footnote of sphinxcontrib-bibtex's own is left


def test_every_cited_key_exists():
    known = {k.lower() for k in pybtex.database.parse_file(str(ROOT / "references.bib")).entries}
    for path in sorted(BOOK.glob("*.md")) + sorted((ROOT / "notebooks").glob("*.md")):
        for group in FOOTCITE.findall(path.read_text(encoding="utf-8")):
            for key in group.split(","):
                assert key.strip().lower() in known, (path.name, key)


def test_every_explanatory_footnote_is_defined_once():
    # myst.footnote warnings are suppressed (see _config.yml), so this test checks definitions.
    for path in sorted(BOOK.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        refs, defs = set(NOTE_REF.findall(text)), NOTE_DEF.findall(text)
        assert len(defs) == len(set(defs)), path.name
        assert refs == set(defs), (path.name, refs ^ set(defs))


def test_every_page_with_footcite_has_its_footbibliography():
    for path in sorted(BOOK.glob("*.md")) + sorted((ROOT / "notebooks").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if "{footcite}" in text:
            assert "```{footbibliography}" in text, path.name


@pytest.mark.parametrize("page", list(SEED_FOOTNOTES) + ["introduction", "conclusions"])
def test_no_survey_number_is_typed(page):
    text = prose(page)
    assert not re.search(r"\(\d+ responses\)", text)
    assert not re.search(r"\d+(\.\d+)? ?% \(", text)


@pytest.mark.parametrize("page,questions", FIGURES.items())
def test_discussed_questions_have_their_figure(built_book, page, questions):
    html = built_book.page(page)
    for question in questions:
        assert f'id="fig-{page.replace("chapter", "ch")}-q{question}"' in html, question
    assert html.count("<figure") >= len(questions)
    for alt in re.findall(r'<img[^>]*alt="([^"]*)"', html):
        assert alt.strip()


def test_glued_numbers_show_recomputed_values(built_book):
    chapter3 = text_of(built_book.page("chapter3"))
    # The thesis printed 67.1 % for 77 of 124 respondents; the book shows 62.1 %.
    assert "62.1% (77 responses)" in chapter3 and "67.1" not in chapter3
    chapter2 = text_of(built_book.page("chapter2"))
    assert "79.8% (99 responses)" in chapter2 and "78.8" not in chapter2
    chapter1 = text_of(built_book.page("chapter1"))
    assert "57.3% (71 responses)" in chapter1
