"""README's "Add a citation", done on a copy of the project exactly as written there:

1. add one entry to references.bib;
2. cite it with {footcite} where the footnote belongs;
3. run `make book`

and the new source appears as a footnote, with everything the thesis's footnotes show, in the
HTML page and in the PDF (`make pdf`); a misspelt key fails the build naming the page and the key.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from conftest import ROOT, copy_of_project
from tools import refs

KEY = "testova2021proverka"
# A made-up source (this copy of the project is thrown away after the test), written the way
# The citation conventions (README, "Adding a citation") ask: transliterated title, its English translation, language, date, URL.
ENTRY = f"""
@article{{{KEY},
  author = {{Testova, Anna}},
  year = {{2021}},
  month = mar,
  day = {{5}},
  title = {{Proverka snoski o {{Kazahstane}}}},
  titleaddon = {{A footnote check on {{Kazakhstan}}}},
  journal = {{Vestnik Testa}},
  url = {{https://example.org/news/footnote-check}},
  language = {{russian}},
}}
"""
FOOTNOTE = ("Testova, Anna. Proverka snoski o Kazahstane [A footnote check on Kazakhstan]. "
            "Vestnik Testa, 5 March 2021. Available at: https://example.org/news/footnote-check. "
            "[In Russian]")
PAGE = "book/introduction.md"
SENTENCE = "immediately gained support across the country. The Kazakh government"
CITED = f"immediately gained support across the country{{footcite}}`{KEY}`. The Kazakh government"
VENV = ROOT / ".venv"


def make(root: Path, target: str) -> subprocess.CompletedProcess:
    """`make TARGET` in a copy of the project, with the checkout's environment (`-o` keeps make from
    reinstalling it) and the copy's own code first on the path."""
    command = ["make", "-C", str(root), target, f"VENV={VENV}", "-o", str(VENV / ".installed")]
    return subprocess.run(command, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(root)))


def add_citation(copy: Path, cited_key: str = KEY) -> None:
    # 1. add one entry to references.bib
    bib = copy / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + ENTRY, encoding="utf-8")
    # 2. cite it where the footnote belongs
    page = copy / PAGE
    text = page.read_text(encoding="utf-8")
    assert text.count(SENTENCE) == 1
    page.write_text(text.replace(SENTENCE, CITED.replace(KEY, cited_key)), encoding="utf-8")


@pytest.fixture(scope="module")
def cited(tmp_path_factory, build_snapshot):
    """A copy of the project with the new source added and cited, built with `make book`."""
    copy = copy_of_project(tmp_path_factory.mktemp("add-citation"), build_snapshot)
    add_citation(copy)
    result = make(copy, "book")  # 3.
    return copy, result


def footnote_text(html: str, note_id: str) -> str:
    """The text of a note as the reader sees it: label and reference (without the line of links
    to the bibliography under it)."""
    start = html.index(">", html.index(f'id="{note_id}"')) + 1
    body = re.sub(r'<div class="thesis-note-sources.*?</div>', "", html[start: html.index("</aside>", start)],
                  flags=re.S)
    inner = re.sub(r"<[^>]+>", "", body)
    return " ".join(unescape(inner).split())


def test_new_entry_passes_the_checks(cited):
    copy, _ = cited
    assert [str(p) for p in refs.Checker(copy).run()] == []


def test_new_entry_is_a_footnote_in_the_html(cited):
    copy, result = cited
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (copy / "_build" / "html" / "book" / "introduction.html").read_text(encoding="utf-8")
    # the citation is a footnote reference in the sentence, and the footnote says it all
    marker = re.search(r'across the country<a class="footnote-reference brackets[^"]*" '
                       r'href="#(note-(\d+))"', html)
    assert marker, "the citation is not a note of the sentence"
    assert footnote_text(html, marker.group(1)) == f"[{marker.group(2)}] {FOOTNOTE}"
    # the bibliography page lists it too, in the same words
    bibliography = (copy / "_build" / "html" / "book" / "bibliography.html").read_text(encoding="utf-8")
    assert FOOTNOTE in " ".join(unescape(re.sub(r"<[^>]+>", "", bibliography)).split())


def _tools_missing() -> list[str]:
    return [tool for tool in ("xelatex", "latexmk", "pdftotext") if shutil.which(tool) is None]


def test_new_entry_is_a_footnote_in_the_pdf(cited):
    """Runs `make pdf` on the copy. It is skipped only while the PDF build cannot run on this
    machine: without XeLaTeX/latexmk/pdftotext, or when `make pdf` fails on the unmodified project
    as well (the PDF build itself is then broken, and its own tests say so)."""
    copy, html_build = cited
    assert html_build.returncode == 0
    missing = _tools_missing()
    if missing:
        pytest.skip(f"`make pdf` needs {', '.join(missing)} (see `make pdf` in README)")
    result = make(copy, "pdf")
    if result.returncode != 0:
        reference = make(ROOT, "pdf")
        if reference.returncode != 0:
            pytest.skip("`make pdf` fails on the unmodified project too, so the PDF build is not "
                        "working on this machine yet: " + (reference.stdout + reference.stderr)[-500:])
        pytest.fail("`make pdf` works on the project but fails once the citation is added:\n"
                    + (result.stdout + result.stderr)[-3000:])
    latex = copy / "_build" / "latex"
    # a real footnote of the LaTeX document, holding the whole reference
    tex = (latex / "thesis.tex").read_text(encoding="utf-8")
    footnotes = re.findall(r"\\begin\{footnote\}.*?\\end\{footnote\}", tex, re.S)
    ours = [f.replace("{[}", "[").replace("{]}", "]") for f in footnotes if "Testova, Anna" in f]
    assert len(ours) == 1, "no LaTeX footnote holds the new reference"
    for part in ("Testova, Anna. Proverka snoski o Kazahstane [A footnote check on Kazakhstan].",
                 r"\sphinxstyleemphasis{Vestnik Testa}, 5 March 2021.",
                 r"Available at: \sphinxurl{https://example.org/news/footnote-check}.", "[In Russian]"):
        assert part in ours[0], part
    # and in the PDF, at the bottom of the page that cites it (or of the next, if it runs over)
    pdf = latex / "thesis.pdf"
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    folded = [" ".join(page.split()) for page in pages]
    citing = [i for i, page in enumerate(folded) if "gained support across the country" in page]
    assert citing, "the citing sentence is not in the PDF"
    here = " ".join(folded[citing[0]: citing[0] + 2])
    for part in ("Testova, Anna. Proverka snoski o Kazahstane", "[A footnote check on Kazakhstan]",
                 "Vestnik Testa, 5 March 2021", "[In Russian]"):
        assert part in here, f"{part!r} is not in the PDF footnote"


def test_misspelt_key_fails_the_build_naming_page_and_key(project_copy):
    copy = project_copy
    add_citation(copy, cited_key="testova2021provekra")
    result = make(copy, "book")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert re.search(r"book/introduction\.md:\d+: WARNING: could not find bibtex key \"testova2021provekra\"",
                     output), output[-3000:]
    # and `make check-refs` says the same, with the key it probably meant
    check = make(copy, "check-refs")
    assert check.returncode != 0
    line = (copy / PAGE).read_text(encoding="utf-8")[: (copy / PAGE).read_text(encoding="utf-8").index(
        "testova2021provekra")].count("\n") + 1
    assert (f"book/introduction.md:{line}: testova2021provekra: cited but not in references.bib "
            f"(did you mean `{KEY}`?)") in check.stdout
