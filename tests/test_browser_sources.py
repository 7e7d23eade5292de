"""The way back to the sources in the web book (book_extensions/sources.py), in Debian's Chromium
(the server, browser and recording tabs of test_browser.py): every data file downloads, byte for
byte, from the pages whose code read it and from the provenance line of each figure drawn from
it; the `kzthesis` package is readable on the site and downloadable; and a notebook downloaded
from the site runs with the package and the data that the site offers, and nothing else."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

import test_browser
from conftest import ROOT
from test_browser import PAGES, PHONE, SERIOUS, source_of

site, browser, open_tab = test_browser.site, test_browser.browser, test_browser.open_tab
visits, axe_source = test_browser.visits, test_browser.axe_source

BOOK_PAGES = [p for p in PAGES if p.startswith(("book/", "notebooks/"))]
DATA_FILES = sorted(f"data/{p.name}" for p in (ROOT / "data").iterdir() if p.is_file())
MODULES = sorted(p.stem for p in (ROOT / "kzthesis").glob("*.py"))
SOURCE_PAGES = ["data/index.html", "_modules/index.html", "_modules/kzthesis/figures.html"]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:
        return response.read()


def soup_at(url: str) -> BeautifulSoup:
    return BeautifulSoup(fetch(url), "html.parser")


def repository_path(site: str, url: str) -> str:
    """`data/x.csv` for the site's copy of it (the site mirrors the repository's paths)."""
    return urlsplit(url).path[len(urlsplit(site).path):]


def recorded_data_files(page: str) -> list[str]:
    """The data files that the page's code read when it last executed (its record, stored with
    the executed notebook in the jupyter-cache)."""
    from jupyter_cache import get_cache

    from book_extensions import records

    _, record = records.lookup(get_cache(str(records.cache_path(ROOT))), source_of(page))
    return sorted(f for f in record.reads if f.startswith("data/")) if record else []


# --- data files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BOOK_PAGES)
def test_a_page_offers_the_data_files_its_code_read(site, path):
    # The download menu is in the page's HTML (its script only opens it): read as served.
    offered = [urljoin(site + path, a["href"]) for a in
               soup_at(site + path).select(".dropdown-download-buttons a[href*='data/']")]
    assert sorted(repository_path(site, u) for u in offered) == recorded_data_files(path)
    for url in offered:
        assert fetch(url) == (ROOT / repository_path(site, url)).read_bytes(), url


def test_every_data_file_is_linked_from_a_page_of_the_book(site):
    linked = set()
    for path in BOOK_PAGES:
        soup = soup_at(site + path)
        linked |= {repository_path(site, urljoin(site + path, a["href"]))
                   for a in soup.find_all("a", href=True) if "data/" in a["href"]}
    assert set(DATA_FILES) - linked == set()
    assert "data/survey_sample.csv" in recorded_data_files("book/chapter1.html")  # a real record


def test_data_page_lists_every_file_with_the_same_bytes(site):
    soup = soup_at(site + "data/index.html")
    links = {a.get_text(): urljoin(site + "data/index.html", a["href"])
             for a in soup.select("article a[href]")}
    assert sorted(links) == DATA_FILES
    for name, url in links.items():
        assert fetch(url) == (ROOT / name).read_bytes(), name


def test_inline_code_naming_a_data_file_or_a_function_links_to_it(site):
    chronology = soup_at(site + "book/chronology.html")
    link = chronology.find("code", string="data/chronology_counts.csv").find_parent("a")
    assert fetch(urljoin(site + "book/chronology.html", link["href"])) == \
        (ROOT / "data/chronology_counts.csv").read_bytes()
    survey = soup_at(site + "notebooks/survey.html")
    link = survey.find("code", string="kzthesis.stats.wilson_interval").find_parent("a")
    assert link["href"] == "../_modules/kzthesis/stats.html#wilson_interval"


# --- the provenance line ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [p for p in BOOK_PAGES
                                  if "{glue:figure}" in source_of(p).read_text(encoding="utf-8")
                                  or ":  figure:" in source_of(p).read_text(encoding="utf-8")])
def test_provenance_line_links_its_data_files_and_the_function_that_draws_it(open_tab, site, path):
    page = open_tab(path, shared=True).page
    lines = page.eval_on_selector_all(".figure-provenance", """ps => ps.map(p => ({
        call: p.querySelector('code').textContent.trim(),
        callLink: (p.querySelector('code').closest('a') || {href: null}).href,
        files: [...p.querySelectorAll('code')].filter(c => c.textContent.startsWith('data/'))
          .map(c => [c.textContent.trim(), (c.closest('a') || {href: null}).href])}))""")
    assert lines, f"{path} has no provenance line"
    for line in lines:
        assert line["files"], line
        for name, url in line["files"]:
            assert url and repository_path(site, url) == name, line
            assert page.request.get(url).body() == (ROOT / name).read_bytes(), name
        function = line["call"].split("(")[0]
        assert line["callLink"] and line["callLink"].endswith(f"_modules/kzthesis/figures.html#{function}")
    # The call leads to the function's source.
    page.locator(".figure-provenance code").first.click()
    page.wait_for_url("**/_modules/kzthesis/figures.html#*")
    function = urlsplit(page.url).fragment
    assert page.locator(":target").count() == 1
    assert page.evaluate("""name => { const pre = document.getElementById(name).parentElement;
        return pre.textContent.includes('def ' + name + '('); }""", function)


# --- the kzthesis package ---------------------------------------------------------------------------


def test_every_module_of_the_package_is_readable_and_downloadable(site):
    index = soup_at(site + "_modules/index.html")
    listed = [a["href"] for a in index.select("article a[href]") if "kzthesis/" in a["href"]]
    assert listed == [f"kzthesis/{m}.html" for m in MODULES]
    for module in MODULES:
        url = site + f"_modules/kzthesis/{module}.html"
        soup = soup_at(url)
        source = (ROOT / "kzthesis" / f"{module}.py").read_text(encoding="utf-8")
        assert soup.select_one("article div.highlight pre").get_text() == source, module
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert soup.find(id=node.name) is not None, (module, node.name)
        download = soup.find("a", attrs={"download": True}, href=re.compile(r"\.py$"))
        assert fetch(urljoin(url, download["href"])) == (ROOT / "kzthesis" / f"{module}.py").read_bytes()


@pytest.mark.parametrize("path", SOURCE_PAGES)
def test_source_pages_load_cleanly_and_fit_a_phone(visits, path):
    visit = visits(path)
    assert visit.status == 200
    assert (visit.errors, visit.failed, visit.foreign) == ([], [], [])
    assert [v for v in visit.violations if v["impact"] in SERIOUS] == []
    assert visit.phone["scroll"] <= visit.phone["client"] == PHONE["width"], visit.phone["widest"]


def test_a_downloaded_notebook_runs_with_the_package_and_data_from_the_site(site, tmp_path):
    """What a reader does: download a notebook, the package's modules and the data files from
    the site, put them side by side, and run the notebook."""
    data_page = site + "data/index.html"
    for a in soup_at(data_page).select("article a[href]"):
        target = tmp_path / a.get_text()
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(fetch(urljoin(data_page, a["href"])))
    for module in MODULES:
        page = site + f"_modules/kzthesis/{module}.html"
        download = soup_at(page).find("a", attrs={"download": True}, href=re.compile(r"\.py$"))
        (tmp_path / "kzthesis").mkdir(exist_ok=True)
        (tmp_path / "kzthesis" / f"{module}.py").write_bytes(fetch(urljoin(page, download["href"])))
    chapter = site + "notebooks/chronology.html"
    notebook = soup_at(chapter).select_one(".dropdown-download-buttons a[href$='.ipynb']")["href"]
    (tmp_path / "chronology.ipynb").write_bytes(fetch(urljoin(chapter, notebook)))
    # The kernel runs in the folder: it imports the downloaded package (this check says so),
    # not the project's own (which a PYTHONPATH, as the build sets, would put first).
    run = subprocess.run([sys.executable, "-c", """
import nbformat, nbclient
notebook = nbformat.read('chronology.ipynb', as_version=4)
notebook.cells.append(nbformat.v4.new_code_cell('import kzthesis; print(kzthesis.__file__)'))
nbclient.NotebookClient(notebook, timeout=300, kernel_name='python3').execute()
print(notebook.cells[-1].outputs[0]['text'].strip())
"""], cwd=tmp_path, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert Path(run.stdout.strip().splitlines()[-1]) == tmp_path / "kzthesis" / "__init__.py"
