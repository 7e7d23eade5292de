"""The whole book builds with warnings as errors, and shows what the sources say."""

from conftest import HTML, ROOT, text_of


def test_book_builds_without_warnings(built_book):
    from tools.build import UP_TO_DATE

    # A checkout built already: the last build, which succeeded with warnings as errors, stands.
    assert "build succeeded" in built_book.output or UP_TO_DATE in built_book.output
    assert "WARNING" not in built_book.output
    assert (HTML / "index.html").exists()


def test_introduction_text_is_rendered(built_book):
    text = text_of(built_book.page("introduction"))
    assert "A wave of demonstrations demanding lower gas prices that began in the western city of Zhanaozen" in text
    # Repaired extraction damage: lost hyphens.
    assert "the capital Astana to Nur-Sultan in honor of the first President" in text
    assert "NurSultan" not in text


def test_respondents_are_computed_not_typed(built_book):
    text = text_of(built_book.page("introduction"))
    assert "One hundred twenty-four citizens of the Republic of Kazakhstan took part in the survey" in text
    source = (ROOT / "book" / "introduction.md").read_text(encoding="utf-8")
    assert "twenty four" not in source and "124" not in source


def test_introduction_footnote_comes_from_bibtex(built_book):
    html = built_book.page("introduction")
    assert 'href="#note-1"' in html  # note 1 of the thesis, made from the BibTeX entry
    footnote = html[html.index('id="note-1"'):]
    footnote = text_of(footnote[: footnote.index("</aside>")])
    assert "Tokayev, Kassym-Jomart." in footnote and "Official Announcement" in footnote
    assert "16 March 2022" in footnote


def test_glossary_terms_are_defined_and_linked(built_book):
    acronyms = built_book.page("acronyms")
    assert 'id="term-CSTO"' in acronyms and 'id="term-Z-patriots"' in acronyms
    assert "acronyms.html#term-CSTO" in built_book.page("introduction")


def test_no_launch_or_repository_buttons(built_book):
    for page in ("index", "introduction", "about"):
        html = built_book.page(page)
        for marker in ("binder", "colab", "repository-button", "github.com", "jupyterhub"):
            assert marker not in html.lower(), (page, marker)
