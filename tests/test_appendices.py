"""The appendices and notebooks are generated from data/: one changed response count changes its
figure, its appendix table, its share wherever the prose quotes it, and the errata page."""

import re

from conftest import build, text_of


def figure_svg(result, page, label):
    """The SVG file of the figure `label` on `page` of a built book."""
    html = result.page(page)
    start = html.index(f'id="{label}"')
    figure = html[html.rfind("<figure", 0, start): html.index("</figure>", start)]
    source = re.search(r'<img[^>]*src="([^"]+)"', figure).group(1)
    return (result.html / "book" / source).resolve().read_text(encoding="utf-8")


def test_appendix_pages_show_the_data(built_book):
    survey = text_of(built_book.page("survey-results"))
    assert "1. In addition to the increase in gas prices, what is the reason for the January protests?" in survey
    assert "Poverty and other social problems." in survey and "62.1 %" in survey
    tables = text_of(built_book.page("tables"))
    for caption in ("National composition of Kazakhstan", "The number of peaceful assemblies in Kazakhstan",
                    "The nature of peaceful assemblies by years"):
        assert caption in tables
    assert "Table 1" in tables and "Table 3" in tables and "2020 (I–VI)" in tables
    errata = text_of(built_book.page("errata"))
    assert "67.1" in errata and "62.1" in errata and "1053" in errata and "1353" in errata


def test_one_changed_count_changes_figure_table_prose_and_errata(project_copy, built_book):
    before_svg = figure_svg(built_book, "survey-results", "fig-survey-q1")
    assert "62.1% (77)" in before_svg
    options = project_copy / "data" / "survey_options.csv"
    text = options.read_text(encoding="utf-8")
    options.write_text(text.replace("Poverty and other social problems.,77,", "Poverty and other social problems.,80,"),
                       encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    # The figure: 80 of 124 = 64.5 %.
    after_svg = figure_svg(result, "survey-results", "fig-survey-q1")
    assert "64.5% (80)" in after_svg and "62.1% (77)" not in after_svg
    # The appendix table and the chapter that quotes the share.
    survey = text_of(result.page("survey-results"))
    assert "Poverty and other social problems. 80 64.5 %" in survey
    assert "64.5% (80 responses)" in text_of(result.page("chapter3"))
    # The errata page: the appendix's printed 62.1 % now disagrees with the data too.
    errata = text_of(result.page("errata"))
    assert "Appendix table of question 1, option 1" in errata and "64.5" in errata
