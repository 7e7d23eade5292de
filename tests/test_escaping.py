"""Data is never markup: every text from data/ (and book/edition-notes.csv) shows as written in
the HTML, the PDF and the figures, or is refused with a message that names its file, line and
column. No text can run a script, a MyST role or a directive.

Faults are seeded into every route from a data file to a page (survey appendix and its notebook,
Tables 1–3, the chronology's rows, the errata and the audit, the edition notes, figure labels,
table titles) in one copy of the project, built once as HTML and once as PDF for the whole
module. Quotation marks are left out of the seeds: like the rest of the book, the tables set
them as typographic quotes (MyST's smartquotes), which changes no meaning.
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import re
import subprocess
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import build, copy_of_project, text_of

SCRIPT = "<script>alert(1001)</script>"
IMG = "<img src=x onerror=alert(1002)>"
OUTSIDE = "../" * 16 + "etc/passwd"  # from book/ or notebooks/ of the copy: the machine's file
DOLLARS = "R&D $5 and $10"
MARKUP = ("*kz-em* _kz-u_ `kz-code` {sub}`kz-role` [kz-link](javascript:alert(1003)) [^kz] #kz | "
          "~~kz~~ \\kz &amp; {{ kz }}")


def download(name: str) -> str:
    """A MyST download role that would copy the build machine's /etc/passwd into the book."""
    return "{download}`" + name + " <" + OUTSIDE + ">`"


# (CSV file, its key column and value, column, new text) for every seeded text.
SEEDS = [
    ("data/survey_options.csv", {"question": "1", "option": "1"}, "text",
     f"Poverty {SCRIPT} and other social problems."),
    ("data/survey_options.csv", {"question": "1", "option": "2"}, "text",
     f"The irremovability {IMG} of power."),
    ("data/survey_options.csv", {"question": "1", "option": "3"}, "text", DOLLARS),
    ("data/survey_options.csv", {"question": "2", "option": "1"}, "text", MARKUP),
    ("data/survey_questions.csv", {"question": "3"}, "text",
     "Do you think there is a cult of personality in Kazakhstan? " + download("kz-question")),
    ("data/survey_questions.csv", {"question": "4"}, "text",
     "What was the main result?\n```{raw} html\n<script>alert(1004)</script>\n```"),
    ("data/survey_recommendations.csv", {"rank": "1"}, "text",
     "Fight corruption <script>alert(1005)</script> <https://kz.example/> $kz$ {sub}`kz`"),
    ("data/peaceful_assemblies.csv", {"period": "2010"}, "label", "2010 <b>kz-bold</b> $kz$"),
    ("data/chronology_counts.csv", {"date": "2022-01-07", "measure": "militants_claimed"},
     "reported_by", "Tokayev " + download("kz-chronology") + " <img src=x onerror=alert(1006)>"),
    ("data/printed_numbers.csv", {"page": "chapter1", "printed": "39"}, "sentence",
     "Kazakhs made up only 39 percent <script>alert(1007)</script> of the total population"),
    ("book/edition-notes.csv", {"page": "introduction", "seed_line": "81"}, "seed_text",
     "1.1 Introduction <script>alert(1008)</script> *kz-seed*"),
    ("book/edition-notes.csv", {"page": "introduction", "seed_line": "81"}, "edition_text",
     download("kz-notes")),
    ("book/edition-notes.csv", {"page": "introduction", "seed_line": "81"}, "note",
     "See https://example.org/kz_a?b=1. and https://kz.example/<img/src=x/onerror=alert(1009)> "
     "$kz$ [^kz] {sub}`kz`"),
]


def one_line(text: str) -> str:
    return " ".join(text.split())


def seed(root: Path) -> None:
    for name, key, column, text in SEEDS:
        path = root / name
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        matches = [row for row in rows if all(row[k] == v for k, v in key.items())]
        assert len(matches) == 1, (name, key)
        matches[0][column] = text
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, build_snapshot):
    """A copy of the project with every fault seeded, built as HTML (and kept for the PDF)."""
    root = copy_of_project(tmp_path_factory.mktemp("escaping"), build_snapshot)
    seed(root)
    result = build(root)
    assert result.returncode == 0, result.output[-5000:]
    return result


@pytest.fixture(scope="module")
def seeded_pdf(seeded):
    """The seeded copy's PDF: (LaTeX source, text of the PDF)."""
    result = build(seeded.root, "pdf")
    assert result.returncode == 0, result.output[-5000:]
    latex = seeded.root / "_build" / "latex"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(latex / "thesis.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    return (latex / "thesis.tex").read_text(encoding="utf-8"), text


# Where each seeded text is shown: page of the built book -> texts it must show as written.
SHOWN = {
    "book/survey-results": [SEEDS[0][3], SEEDS[1][3], DOLLARS, MARKUP, SEEDS[4][3],
                            one_line(SEEDS[5][3]), SEEDS[6][3]],
    "notebooks/survey": [SEEDS[0][3], SEEDS[1][3], DOLLARS, MARKUP, SEEDS[6][3]],
    "book/tables": [SEEDS[7][3]],
    "notebooks/assemblies": [SEEDS[7][3]],
    "notebooks/chronology": [SEEDS[8][3]],
    "book/errata": [SEEDS[9][3]],
    "notebooks/audit": [SEEDS[9][3]],
    "book/about": [SEEDS[10][3], SEEDS[11][3], SEEDS[12][3]],
}
PAGES = sorted(SHOWN)


def soup_of(result, page: str) -> BeautifulSoup:
    return BeautifulSoup((result.html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")


def page_text(result, page: str) -> str:
    return text_of((result.html / f"{page}.html").read_text(encoding="utf-8"))


# --- the web book --------------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_no_script_or_event_handler_from_data(seeded, page):
    soup = soup_of(seeded, page)
    scripts = [s.string or "" for s in soup.find_all("script")]
    assert not [s for s in scripts if "alert(" in s], scripts
    handlers = [(tag.name, name) for tag in soup.find_all(True) for name in tag.attrs
                if name.startswith("on") and tag.get(name) not in ("window.print()", "toggleFullScreen()")]
    assert not handlers, handlers
    assert not soup.find("img", src="x") and not soup.find("b", string="kz-bold")
    assert not soup.select('a[href^="javascript:"]') and not soup.select("a[href*='kz.example']")
    assert "kz" not in " ".join(s.get_text() for s in soup.find_all("sub"))


@pytest.mark.parametrize("page", ["book/survey-results", "notebooks/chronology", "book/about"])
def test_no_download_of_a_file_outside_the_book(seeded, page):
    soup = soup_of(seeded, page)
    assert not soup.select("a.download, a[download], .xref.download")
    assert not [a["href"] for a in soup.find_all("a", href=True) if "passwd" in a["href"]]


def test_no_file_of_the_machine_is_copied_into_the_book(seeded):
    assert not [p for p in seeded.html.rglob("*") if p.name == "passwd"]
    assert not (seeded.html / "_downloads").exists() or not any((seeded.html / "_downloads").rglob("*.*"))


@pytest.mark.parametrize("page,text", [(page, text) for page in PAGES for text in SHOWN[page]])
def test_data_text_is_shown_as_written(seeded, page, text):
    assert one_line(text) in page_text(seeded, page)


def test_the_questions_title_and_the_tables_headers_stay_text(seeded):
    survey = soup_of(seeded, "book/survey-results")
    titles = [s.get_text() for s in survey.find_all("strong")]
    assert "3. " + one_line(SEEDS[4][3]) in titles and "4. " + one_line(SEEDS[5][3]) in titles
    tables = soup_of(seeded, "book/tables")
    headers = [" ".join(th.get_text().split()) for th in tables.find_all("th")]
    assert headers.count(SEEDS[7][3]) == 2, headers  # Tables 2 and 3
    assert [c.get_text() for c in tables.select("caption .caption-number")] == ["Table 1 ", "Table 2 ", "Table 3 "]


def test_a_web_address_in_a_note_is_a_link_and_anything_else_text(seeded):
    about = soup_of(seeded, "book/about")
    assert about.find("a", href="https://example.org/kz_a?b=1")
    assert not [a for a in about.find_all("a", href=True) if "kz.example" in a["href"]]


def test_figure_labels_are_drawn_as_written(seeded):
    from test_appendices import figure_svg

    texts = svg_text(figure_svg(seeded, "survey-results", "fig-survey-q1"))
    assert DOLLARS in texts and f"Poverty {SCRIPT} and other" in " ".join(texts)
    texts = svg_text(figure_svg(seeded, "survey-results", "fig-survey-q10"))
    assert "$kz$" in " ".join(texts)
    assemblies = (seeded.html / "notebooks" / "assemblies.html").read_text(encoding="utf-8")
    svgs = [(seeded.html / "notebooks" / src).resolve().read_text(encoding="utf-8")
            for src in re.findall(r'<img[^>]*src="([^"]+\.svg)"', assemblies)]
    assert [s for s in svgs if SEEDS[7][3] in svg_text(s)], "the period's label in the assemblies figures"


def svg_text(svg: str) -> list[str]:
    """The texts of an SVG drawn with svg.fonttype none (one <text> element per line)."""
    from html import unescape

    return [unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)]


# --- the PDF -------------------------------------------------------------------------------------

# Texts that no figure draws (a figure's labels are text in the PDF too), without spaces or with
# short words, which LaTeX neither hyphenates nor spreads over lines: question titles and an
# errata row. The table cells are checked in the LaTeX. (The chronology's rows of counts and the
# edition notes line by line are the web edition's: the PDF prints neither.)
IN_PDF = ["{download}`kz-question", OUTSIDE, "```{raw}", "<script>alert(1004)</script>",
          "<script>alert(1007)</script>"]
# The seeded texts that the PDF prints (SEEDS[8], the chronology's "reported by", is shown by a
# notebook page; SEEDS[10:], the edition notes, by the web edition's list of them).
PRINTED_SEEDS = SEEDS[:8] + SEEDS[9:10]


@pytest.mark.parametrize("text", IN_PDF)
def test_pdf_shows_data_text_as_written(seeded_pdf, text):
    _, pdf_text = seeded_pdf
    assert "".join(text.split()) in "".join(pdf_text.split())


def test_latex_holds_data_as_text(seeded_pdf):
    """Every seeded text reaches LaTeX as escaped text: no hyperlink, download or code that a
    role would have made, no raw HTML."""
    from sphinx.util import texescape

    texescape.init()
    escape = texescape.escape
    latex, _ = seeded_pdf
    folded = one_line(latex)
    for _, _, _, text in PRINTED_SEEDS:
        assert one_line(escape(one_line(text), "xelatex")) in folded, text
    assert "passwd}" not in latex.replace(escape(OUTSIDE, "xelatex"), "")


# --- what data may not hold ----------------------------------------------------------------------

# (data_copy: the fixture of tests/conftest.py)

def test_a_page_that_is_no_page_of_the_book_is_refused_in_the_errata(data_copy):
    from kzthesis import audit, data, report

    path = data_copy / "printed_numbers.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "\nchapter1,481,Kazakhs made up", "\nchapter1> `{download}`x <../../etc/passwd>`,481,Kazakhs made up", 1),
        encoding="utf-8")
    with pytest.raises(data.DataError, match=r"printed_numbers\.csv, line 2, column 'page': .* is not a page"):
        report.errata_table(audit.comparisons())


def test_a_page_that_is_no_page_of_the_book_is_refused_in_the_edition_notes(tmp_path, monkeypatch):
    from kzthesis import data, edition, report

    notes = tmp_path / "edition-notes.csv"
    notes.write_text(edition.NOTES.read_text(encoding="utf-8").replace(
        "\nabstract,1,", "\n../../etc/passwd,1,", 1), encoding="utf-8")
    monkeypatch.setattr(edition, "NOTES", notes)
    with pytest.raises(data.DataError, match=r"edition-notes\.csv, line 2, column 'page': .* is not a page"):
        report.edition_notes_list()


def test_markup_in_a_column_of_fixed_values_is_refused_by_validation(data_copy):
    from kzthesis import data

    path = data_copy / "ethnic_composition.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Germans,1989", "<script>,1989", 1),
                    encoding="utf-8")
    problems = [str(p) for p in data.validate_all()]
    assert any("ethnic_composition.csv" in p and "'ethnicity'" in p for p in problems), problems


# --- the renderer and the figures, without a build -----------------------------------------------

TRICKY = ["a|b", "a\\|b", "\\", "ends with \\", "{download}`x <../../etc/passwd>`", IMG, "``x`",
          "*e* | _f_ $1$", "[^1] [x](y) <https://x.example> &amp; {{ s }} #h ~~s~~", "1. item",
          "- item", "> quote", ":::{note}", "<!-- comment -->", "line\nbreak"]


def parse_myst(markdown: str):
    """MyST as the book parses it (docutils' part of myst-parser; `tabularcolumns`, a Sphinx
    directive for LaTeX only, left out)."""
    from docutils.core import publish_doctree
    from myst_parser.parsers.docutils_ import Parser

    markdown = re.sub(r":::\{tabularcolumns\}.*?\n:::\n", "", markdown, flags=re.S)
    return publish_doctree(markdown, parser=Parser(), settings_overrides={
        "myst_enable_extensions": ["colon_fence", "deflist", "smartquotes", "substitution"],
        "report_level": 5})


def test_every_cell_caption_and_title_is_text():
    import pandas as pd
    from docutils import nodes

    from kzthesis.report import code, table

    frame = pd.DataFrame({"text": TRICKY, "code": [code(t) for t in TRICKY], "n": range(len(TRICKY))})
    frame.loc[len(frame)] = [None, code(""), None]  # missing values: empty cells
    doctree = parse_myst(table(frame, "A caption " + IMG, "table-x", title="A title " + SCRIPT).data)
    allowed = (nodes.document, nodes.paragraph, nodes.strong, nodes.Text, nodes.table, nodes.title,
               nodes.tgroup, nodes.colspec, nodes.thead, nodes.tbody, nodes.row, nodes.entry,
               nodes.literal)
    assert all(isinstance(node, allowed) for node in doctree.findall()), doctree.pformat()
    rows = [[entry.astext() for entry in row.children] for row in doctree.findall(nodes.row)]
    expected = [" ".join(t.split()) for t in TRICKY]
    assert [r[0] for r in rows[1:]] == expected + [""]
    assert [r[1] for r in rows[1:]] == expected + [""]
    assert doctree.next_node(nodes.title).astext() == "A caption " + IMG
    assert doctree.next_node(nodes.strong).astext() == "A title " + SCRIPT


def test_the_edition_notes_escape_every_text():
    from docutils import nodes

    from kzthesis.report import _prose

    text = "See https://example.org/a_b?c=1. and https://x.example/<img/src=x/onerror=alert(1)> *e*"
    doctree = parse_myst(_prose(text))
    assert doctree.astext() == text
    assert [r["refuri"] for r in doctree.findall(nodes.reference)] == ["https://example.org/a_b?c=1"]


def test_a_figure_label_with_dollars_is_drawn_as_written(data_copy):
    from kzthesis import figures

    path = data_copy / "survey_options.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Poverty and other social problems.", "R&D $5 and $10", 1), encoding="utf-8")
    buffer = io.StringIO()
    figures.survey_question_figure(1).savefig(buffer, format="svg")
    texts = svg_text(buffer.getvalue())
    assert "R&D $5 and $10" in texts, texts


# --- the Content-Security-Policy of the web book -------------------------------------------------

def test_every_page_has_the_policy_and_only_the_themes_event_handlers(built_book):
    from book_extensions.reader import POLICY, THEME_HANDLERS, source_hash

    pages = sorted(p for p in built_book.html.rglob("*.html") if "_static" not in p.parts)
    for path in pages:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        if soup.find("meta", attrs={"http-equiv": re.compile("^refresh$", re.I)}):
            continue  # the root index.html only redirects (Jupyter Book's one line, no script)
        meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert meta is not None and meta["content"] == POLICY, path
        assert not meta.find_all_previous("script") and not meta.find_all_previous("link"), path
        handlers = {tag[name] for tag in soup.find_all(True) for name in tag.attrs if name.startswith("on")}
        assert handlers <= set(THEME_HANDLERS), (path, handlers)
    assert all(source_hash(h) in POLICY for h in THEME_HANDLERS)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_the_browser_refuses_an_event_handler_in_the_text_and_runs_the_themes(built_book):
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(built_book.html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        port = server.server_address[1]
        page.goto(f"http://127.0.0.1:{port}/book/survey-results.html", wait_until="networkidle")
        assert [e for e in errors if "favicon" not in e and "404" not in e] == []
        page.evaluate("""() => {
          window.kzViolations = [];
          document.addEventListener('securitypolicyviolation', e => kzViolations.push(e.effectiveDirective));
          document.querySelector('article').insertAdjacentHTML('beforeend',
            '<img src="data:," onerror="window.kzRan = 1">');
          window.print = () => { window.kzPrinted = 1; };
          document.querySelector('button[onclick="window.print()"]').click();
        }""")
        page.wait_for_timeout(500)
        assert page.evaluate("() => window.kzRan") is None
        assert "script-src-attr" in page.evaluate("() => window.kzViolations")
        assert page.evaluate("() => window.kzPrinted") == 1
        browser.close()
    finally:
        playwright.stop()
        server.shutdown()
        server.server_close()
