"""The HTML book read in a real browser: Debian's Chromium, driven by Playwright for Python.

Every page of the built book is served by a local HTTP server and visited once (a record of what
it loaded, logged and showed is kept for the per-page tests below); the reader features are then
exercised one by one: search, footnotes, hover previews, glossary, figure provenance, dark mode,
printing, downloads. Screenshots of the landing page and a chapter, at desktop and phone widths,
are written to `_build/screenshots/`, and every accessibility finding to
`_build/accessibility-report.json`.

Nothing is downloaded: Chromium is Debian's (`tools/debian-packages.sh browser`, run by
`make test`), axe-core comes from package-lock.json (`npm ci` into `_build/npm`, run by
`make test`), and every request that leaves the local server is refused and reported.
"""

from __future__ import annotations

import ast
import functools
import http.server
import json
import re
import struct
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import BUILD, HTML, ROOT

CHROMIUM = Path("/usr/bin/chromium")
NODE_MODULES = BUILD / "npm" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = BUILD / "screenshots"
A11Y_REPORT = BUILD / "accessibility-report.json"

# As root, without a sandbox; no background traffic to Google's hosts (the network is closed,
# and the book must not need it). Playwright gives every launch a fresh, empty profile
# (--user-data-dir in a new temporary folder) and adds --headless.
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
READER_PHONE = {"width": 390, "height": 844}  # the phone of test_browser_reader.py
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SERIOUS = {"serious", "critical"}


def toc_pages() -> list[str]:
    """Every page of the book as served: the table of contents, the index and the search page."""
    from tools.execute_notebooks import toc_files

    pages = [path.relative_to(ROOT).with_suffix(".html").as_posix() for path in toc_files()]
    return pages + ["genindex.html", "search.html"]


PAGES = toc_pages()
CHAPTER = "book/chapter1.html"  # a chapter with footcite and MyST footnotes, a term and a figure


def source_of(page: str) -> Path:
    return ROOT / Path(page).with_suffix(".md")


def holds_code(page: str) -> bool:
    source = source_of(page)
    return source.exists() and "```{code-cell}" in source.read_text(encoding="utf-8")


# --- the browser and the server ------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(built_book) -> str:
    """Base URL of the built book, served from 127.0.0.1 for the tests of this module."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(built_book.html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for all the browser tests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (tools/debian-packages.sh browser)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: `make test` installs it with npm ci")
    return AXE.read_text(encoding="utf-8")


def is_local(url: str, site: str) -> bool:
    parts, base = urlsplit(url), urlsplit(site)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS and parts.port == base.port


@dataclass
class Tab:
    """A page in a fresh browser context that records what the page asks of the network and
    what it logs."""

    page: object
    status: int = 0
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def open_tab(browser, site):
    """open_tab(path, **context_options) -> Tab, loaded in a browser context of its own (no
    storage, cache or state of another tab); closed with the module.

    open_tab(path, shared=True): a new tab of one context for the module, for a test that reads,
    hovers or follows links but stores nothing and needs no option of its own (a color scheme, a
    viewport, touch). A context costs Chromium over a CPU-second to set up: most of a page's load."""
    contexts = []

    def new_context(**options):
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context

    shared_context = []

    def open_(path: str, shared: bool = False, **options) -> Tab:
        if shared:
            if not shared_context:
                shared_context.append(new_context())
            context = shared_context[0]
        else:
            context = new_context(**options)
        page = context.new_page()
        tab = Tab(page)

        def route(route):
            url = route.request.url
            tab.requests.append(url)
            if is_local(url, site):
                route.continue_()
            else:  # refused: the book must not reach any other host
                tab.foreign.append(url)
                route.abort()

        # The shared context's tabs route their own requests; a context of its own routes
        # those of its workers too.
        (page if shared else context).route("**/*", route)
        page.on("console", lambda m: tab.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: tab.errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: tab.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: tab.failed.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)
        # Loaded: every resource of the page is in, its scripts have run. (Waiting for the
        # network to be idle costs half a second more a page: the one visit of each page, which
        # accounts for every request, waits for it.)
        tab.status = page.goto(site + path, wait_until="load").status
        return tab

    yield open_
    for context in contexts:
        context.close()


# --- one visit of every page ---------------------------------------------------------------------

PAGE_FACTS = """() => {
  const visible = e => e.checkVisibility();
  const article = document.querySelector('article.bd-article');
  return {
    title: document.title,
    lang: document.documentElement.lang,
    headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(visible)
      .map(h => [Number(h.tagName[1]), h.textContent.trim()]),
    images: [...document.images].map(i => ({src: i.currentSrc, alt: i.getAttribute('alt'),
      complete: i.complete, width: i.naturalWidth, inFigure: !!i.closest('figure')})),
    figures: [...(article ? article.querySelectorAll('figure') : [])].map(f => ({
      id: f.id,
      number: (f.querySelector('.caption-number') || {textContent: ''}).textContent.trim(),
      provenance: [...f.querySelectorAll('.figure-provenance')].map(p => ({
        text: p.textContent.replace(/\\s+/g, ' ').trim(),
        links: [...p.querySelectorAll('a')].map(a => a.href),
        files: [...p.querySelectorAll('code')].map(c => c.textContent.trim())
          .filter(t => t.startsWith('data/')),
        call: (p.querySelector('code') || {textContent: ''}).textContent.trim()}))})),
    footnotes: [...document.querySelectorAll('a.footnote-reference')].map(a => {
      const note = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      return {id: a.id, href: a.getAttribute('href'), found: !!note,
              back: !!(note && note.querySelector(`a[role="doc-backlink"][href="#${a.id}"]`))};
    }),
    links: [...document.querySelectorAll('a[href]')].map(a => ({href: a.href,
      inReference: !!a.closest('.footnote, .citation, .citation-list, .thesis-bibliography')})),
    buttons: [...document.querySelectorAll('button, .btn')].map(b => b.className),
    downloads: [...document.querySelectorAll('.dropdown-download-buttons a')].map(a => a.href),
    pageToc: [...document.querySelectorAll('#pst-page-toc-nav a')].map(a => a.getAttribute('href')),
    sections: article ? [...article.querySelectorAll('section[id] > h2')]
      .map(h => '#' + h.parentElement.id) : [],
  };
}"""

# Figures load as the reader scrolls to them (loading="lazy"): every image of the page, now.
LOAD_LAZY_IMAGES = """() => Promise.all([...document.images].map(i => {
  i.loading = 'eager'; return i.decode().catch(() => null); }))"""

AXE_RUN = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))"""

# What the page has loaded so far: its own document and every resource, decoded.
LOADED_BYTES = """() => [...performance.getEntriesByType('navigation'),
                        ...performance.getEntriesByType('resource')]
  .reduce((sum, entry) => sum + entry.decodedBodySize, 0)"""

# The lines of the page's title (its first-level heading) at the current width.
TITLE_LINES = """() => {
  const h = document.querySelector('article h1, .bd-search-container h1');
  return h ? Math.round(h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight)) : null;
}"""

# The notes of a page: where they are and how they look beside the text.
NOTES_FACTS = """() => {
  const article = document.querySelector('article.bd-article');
  if (!article) return null;
  const section = article.querySelector('section#notes');
  const h2s = [...article.querySelectorAll('section > h2')];
  const size = e => parseFloat(getComputedStyle(e).fontSize);
  const note = section && section.querySelector('aside.footnote p');
  const previous = section && section.previousElementSibling;
  return {
    markers: article.querySelectorAll('a.footnote-reference').length,
    notes: article.querySelectorAll('aside.footnote').length,
    notesInSection: section ? section.querySelectorAll('aside.footnote').length : 0,
    heading: section && section.querySelector(':scope > h2').textContent.replace('#', '').trim(),
    lastH2: h2s.length ? h2s[h2s.length - 1].closest('section').id : null,
    toc: [...document.querySelectorAll('#pst-page-toc-nav a')].map(a => [a.getAttribute('href'), a.textContent.trim()]),
    ratio: note ? size(note) / size(article) : null,  // to the text's type
    gap: section && previous ? section.querySelector('h2').getBoundingClientRect().top
                               - previous.getBoundingClientRect().bottom : null,
    rule: section ? getComputedStyle(section).borderTopStyle : null,
  };
}"""

OVERFLOW = """() => ({scroll: document.documentElement.scrollWidth,
  client: document.documentElement.clientWidth,
  widest: [...document.querySelectorAll('body *')].filter(e => e.checkVisibility())
    .map(e => [e.getBoundingClientRect().right, e.tagName + '.' + e.className])
    .filter(([right]) => right > document.documentElement.clientWidth + 1)
    .slice(0, 5)})"""


@dataclass
class Visit:
    path: str
    url: str
    status: int
    facts: dict
    notes: dict | None  # at desktop width (None: a page without an article)
    violations: list[dict]
    phone: dict
    title_lines: int | None  # at READER_PHONE's width (None: a page without a title)
    first_load: tuple[list[str], int]  # requests and bytes until the network was idle
    requests: list[str]
    foreign: list[str]
    failed: list[str]
    errors: list[str]


@pytest.fixture(scope="module")
def visits(open_tab, axe_source):
    """visit(path) -> Visit: the page loaded once at desktop width (what it loaded, facts,
    axe-core's accessibility check), then narrowed to a phone's width; cached for the module."""
    done: dict[str, Visit] = {}

    def visit(path: str) -> Visit:
        if path not in done:
            tab = open_tab(path, shared=True)
            page = tab.page
            page.wait_for_load_state("networkidle")  # anything the page asks for once loaded
            first_load = (list(tab.requests), page.evaluate(LOADED_BYTES))
            page.evaluate(LOAD_LAZY_IMAGES)
            facts = page.evaluate(PAGE_FACTS)
            page.add_script_tag(content=axe_source)
            violations = page.evaluate(AXE_RUN)
            notes = page.evaluate(NOTES_FACTS)
            page.set_viewport_size(READER_PHONE)
            title_lines = page.evaluate(TITLE_LINES)
            page.set_viewport_size(PHONE)
            phone = page.evaluate(OVERFLOW)
            done[path] = Visit(path, page.url, tab.status, facts, notes, violations, phone,
                               title_lines, first_load, tab.requests, tab.foreign, tab.failed,
                               tab.errors)
            page.close()  # what the tests need of it is in the Visit
        return done[path]

    yield visit
    BUILD.mkdir(exist_ok=True)
    A11Y_REPORT.write_text(json.dumps({v.path: v.violations for v in done.values()}, indent=1,
                                      ensure_ascii=False), encoding="utf-8")


# --- every page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_console_error_or_failed_request(visits, path):
    visit = visits(path)
    assert visit.status == 200
    assert visit.errors == [], f"{path} logged errors"
    assert visit.failed == [], f"{path} had failed requests"
    assert visit.facts["lang"] == "en" and visit.facts["title"]


@pytest.mark.parametrize("path", PAGES)
def test_page_requests_nothing_outside_the_local_server(visits, site, path):
    visit = visits(path)
    assert len(visit.requests) > 3  # the page, its style sheets and scripts were seen
    assert visit.foreign == [], f"{path} reached out to other hosts"
    assert all(is_local(url, site) for url in visit.requests)


@pytest.mark.parametrize("path", PAGES)
def test_every_image_loads_and_every_figure_image_has_alt_text(visits, path):
    images = visits(path).facts["images"]
    broken = [i["src"] for i in images if not (i["complete"] and i["width"] > 0)]
    assert broken == [], f"{path}: images that did not load"
    assert all(i["alt"] is not None for i in images), f"{path}: an image without alt attribute"
    unlabelled = [i["src"] for i in images if i["inFigure"] and not (i["alt"] or "").strip()]
    assert unlabelled == [], f"{path}: figure images without alt text"


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone_width_without_horizontal_scrolling(visits, path):
    phone = visits(path).phone
    assert phone["client"] == PHONE["width"]
    assert phone["scroll"] <= phone["client"], f"{path} scrolls sideways at {PHONE['width']} px: {phone['widest']}"


@pytest.mark.parametrize("path", PAGES)
def test_the_title_fits_a_phone_in_three_lines(visits, path):
    lines = visits(path).title_lines
    assert lines is not None and lines <= 3, f"{path}: the title takes {lines} lines at {READER_PHONE['width']} px"


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("book/")])
def test_notes_have_a_heading_of_their_own_in_smaller_type(visits, path):
    facts = visits(path).notes
    if facts["markers"] == 0:
        assert facts["heading"] is None  # no notes, no heading
        return
    assert facts["notesInSection"] == facts["notes"] > 0, facts
    assert facts["heading"] == "Notes", facts
    assert facts["lastH2"] == "notes", "the notes are not the page's last section"
    assert ["#notes", "Notes"] in facts["toc"], facts["toc"]  # in the page's contents, unnumbered
    assert facts["ratio"] <= 0.9, facts
    assert facts["gap"] >= 48 and facts["rule"] == "solid", facts


def thesis_pages() -> list[str]:
    """The pages of the thesis (the parts of _toc.yml that `thesis_notes_parts` names), as served."""
    import yaml

    parts = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"][
        "thesis_notes_parts"]
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [f"{chapter['file']}.html" for part in toc["parts"] if part["caption"] in parts
            for chapter in part["chapters"]]


@pytest.mark.parametrize("path", thesis_pages())
def test_a_chapter_page_loads_at_most_1_mb_in_at_most_20_requests(visits, path):
    requests, loaded = visits(path).first_load
    assert len(requests) <= 20, requests
    assert loaded <= 1_000_000, f"{loaded} bytes"
    assert not [u for u in requests if "fontawesome" in u or u.endswith(".woff2")]


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_serious_accessibility_violation(visits, path):
    serious = [v for v in visits(path).violations if v["impact"] in SERIOUS]
    assert serious == [], f"{path}: axe-core finds serious violations"


@pytest.mark.parametrize("path", PAGES)
def test_headings_form_an_outline(visits, path):
    headings = visits(path).facts["headings"]
    assert headings, f"{path} has no heading"
    assert [level for level, _ in headings].count(1) == 1, f"{path}: not exactly one h1: {headings}"
    assert headings[0][0] == 1, f"{path}: the first heading is not the h1: {headings}"
    for (previous, _), (level, text) in zip(headings, headings[1:]):
        assert level <= previous + 1, f"{path}: '{text}' (h{level}) skips a level after h{previous}"


@pytest.mark.parametrize("path", PAGES)
def test_footnote_references_and_back_links_pair_up(visits, path):
    footnotes = visits(path).facts["footnotes"]
    unpaired = [f for f in footnotes if not (f["found"] and f["back"])]
    assert unpaired == [], f"{path}: footnote references without a footnote linking back"


@pytest.mark.parametrize("path", PAGES)
def test_no_button_or_link_to_a_repository_binder_or_hub(visits, path):
    facts = visits(path).facts
    launch = [c for c in facts["buttons"] if re.search(r"launch|binder|jupyterhub|colab|repository|"
                                                       r"edit-button|issues-button", c)]
    assert launch == []
    # Sources cited in footnotes and the bibliography may link anywhere; nothing else may point
    # at a code host, Binder or a hub.
    hosts = {urlsplit(link["href"]).hostname for link in facts["links"] if not link["inReference"]}
    pattern = re.compile(r"github|gitlab|bitbucket|binder|colab|jupyterhub|deepnote|hub\.")
    assert {h for h in hosts if h and pattern.search(h)} == set()


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith(("book/", "notebooks/"))])
def test_page_has_its_own_table_of_contents(visits, path):
    facts = visits(path).facts
    assert set(facts["sections"]) <= set(facts["pageToc"]), f"{path}: sections missing from 'On this page'"
    if len(facts["sections"]) > 1:
        assert facts["pageToc"], f"{path} has sections but no table of contents"


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith(("book/", "notebooks/"))])
def test_page_offers_its_sources_for_download(visits, site, path):
    downloads = visits(path).facts["downloads"]
    md = [u for u in downloads if u.endswith(".md")]
    ipynb = [u for u in downloads if u.endswith(".ipynb")]
    assert len(md) == 1
    with urllib.request.urlopen(md[0]) as response:
        assert response.read() == source_of(path).read_bytes()
    if not holds_code(path):
        assert ipynb == []
        return
    assert len(ipynb) == 1, f"{path} holds code but offers no .ipynb"
    with urllib.request.urlopen(ipynb[0]) as response:
        notebook = json.loads(response.read())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    source = source_of(path).read_text(encoding="utf-8")
    assert len(code) == source.count("```{code-cell}")
    for cell in code:
        body = "".join(cell["source"])
        assert body.splitlines()[-1] in source
        if cell["metadata"].get("mystnb", {}).get("figure"):  # the figure is in the download
            assert any("image/svg+xml" in o.get("data", {}) for o in cell["outputs"])


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith(("book/", "notebooks/"))])
def test_every_figure_is_numbered_and_says_where_it_comes_from(visits, site, path):
    """The provenance line: the figure call, a link to the notebook cell that draws it, and the
    data/ files drawing it reads (recorded while the figure is drawn, compared here)."""
    from kzthesis import data as data_package
    from kzthesis import figures as figure_functions

    for figure in visits(path).facts["figures"]:
        assert re.fullmatch(r"Fig\. \d+(\.\d+)*", figure["number"]), figure
        assert len(figure["provenance"]) == 1, f"{path}#{figure['id']}: no provenance line"
        line = figure["provenance"][0]
        # One link to the notebook; the others go to the function's source and the data files
        # (test_browser_sources.py).
        notebook_links = [link for link in line["links"] if "/notebooks/" in link]
        assert len(notebook_links) == 1, line
        name, args = re.fullmatch(r"(\w+)\((.*)\)", line["call"]).groups()
        args = ast.literal_eval(f"({args},)") if args else ()
        # Drawn again here, to compare what it used, with the data already loaded and validated
        # (as in the build, whose kernels find the package validated).
        for resource in data_package.descriptor()["resources"]:
            data_package.load(resource["name"])
        getattr(figure_functions, name)(*args)
        used = figure_functions.FIGURE_READS[(name, args)]
        assert line["files"] == [f for f in used if f.startswith("data/")], line
        assert all((ROOT / f).is_file() for f in line["files"])
        # The link resolves to the notebook's code cell that makes the same call.
        target = urlsplit(notebook_links[0])
        with urllib.request.urlopen(site + target.path.lstrip("/")) as response:
            from bs4 import BeautifulSoup

            soup = BeautifulSoup(response.read(), "html.parser")
        cell = soup.find(id=unquote(target.fragment))
        assert cell is not None and "cell" in cell["class"], line
        assert line["call"] in cell.select_one(".cell_input").get_text(), line
        assert cell.select_one("figure img") is not None


def test_figure_numbers_are_unique_across_the_book(visits):
    numbers = [f["number"] for path in PAGES for f in visits(path).facts["figures"]]
    assert len(numbers) > 20
    assert len(set(numbers)) == len(numbers)


def test_landing_page_redirects_to_the_first_page(open_tab, site):
    tab = open_tab("index.html", shared=True)
    tab.page.wait_for_url("**/book/index.html")
    assert tab.page.locator("article.bd-article h1").first.is_visible()


# --- reader features, one by one -----------------------------------------------------------------


def article_text(page: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((HTML / page).read_text(encoding="utf-8"), "html.parser")
    return soup.select_one("article.bd-article").get_text(" ")


def test_search_lists_the_pages_that_mention_a_word(open_tab):
    word = "Zhanaozen"
    expected = {p for p in PAGES if p.startswith(("book/", "notebooks/"))
                and word.lower() in article_text(p).lower()}
    assert {"book/introduction.html", "book/chapter3.html", "book/chronology.html"} <= expected
    tab = open_tab(f"search.html?q={word}", shared=True)
    page = tab.page
    page.wait_for_function("() => /found|did not match/.test("
                           "(document.querySelector('#search-results .search-summary') || {}).textContent)")
    found = page.eval_on_selector_all("#search-results ul.search li a",
                                      "links => links.map(a => a.getAttribute('href'))")
    pages = {href.split("?")[0].split("#")[0] for href in found}
    assert pages == expected
    assert tab.errors == [] and tab.foreign == []


def in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(selector, """e => { const r = e.getBoundingClientRect();
        return r.bottom > 0 && r.top < window.innerHeight; }""")


def test_footnote_reference_jumps_to_its_text_and_back(open_tab):
    page = open_tab(CHAPTER, shared=True).page
    notes = page.locator("a.footnote-reference")
    for ref in (notes.first, notes.last):  # the chapter's first note and its last
        ref_id, href = ref.get_attribute("id"), ref.get_attribute("href")
        ref.click()
        page.wait_for_function(f"() => location.hash === {json.dumps(href)}")
        note = f"[id='{href[1:]}']"
        assert page.eval_on_selector(note, "e => e.matches(':target') && e.tagName === 'ASIDE'")
        assert in_viewport(page, note)
        page.locator(f"{note} a[role='doc-backlink'][href='#{ref_id}']").click()
        page.wait_for_function(f"() => location.hash === {json.dumps('#' + ref_id)}")
        assert in_viewport(page, f"[id='{ref_id}']")


def hover_tip(page, selector: str) -> str:
    """Hover the first element matching `selector`; the text of the preview it shows."""
    page.mouse.move(0, 0)
    page.wait_for_selector("[data-tippy-root]", state="detached")
    page.locator(selector).first.hover()
    box = page.wait_for_selector("[data-tippy-root] .tippy-box", state="visible")
    return box.inner_text()


def test_hovering_a_footnote_or_a_cross_reference_shows_a_preview(open_tab):
    page = open_tab(CHAPTER, shared=True).page
    # A cited source: the footnote's text.
    note_id = page.locator("a.footnote-reference").first.get_attribute("href")[1:]
    note = page.locator(f"[id='{note_id}'] > p").first.inner_text()
    assert note[:40] in hover_tip(page, "a.footnote-reference")
    # A cross-reference to a figure on another page: its image and caption.
    tip = hover_tip(page, "a[href$='survey-results.html#fig-survey-q3']")
    assert "Survey question 3" in tip
    assert page.locator("[data-tippy-root] img").count() == 1
    page.wait_for_function("() => [...document.querySelectorAll('[data-tippy-root] img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    page.wait_for_selector("[data-tippy-root] .tippy-box[data-state='visible']")
    page.wait_for_timeout(400)  # the preview's fade-in (200 ms) is over
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "chapter-hover-preview.png")
    # A glossary term: its definition.
    tip = hover_tip(page, "a[href*='acronyms.html#term-']")
    assert len(tip.split()) > 3


def test_cross_reference_carries_the_figure_number_and_leads_to_it(open_tab):
    page = open_tab(CHAPTER, shared=True).page
    link = page.locator("a[href$='survey-results.html#fig-survey-q3']").first
    text = link.inner_text().strip()
    assert re.fullmatch(r"Fig\. \d+(\.\d+)*", text)
    link.click()
    page.wait_for_url("**/survey-results.html#fig-survey-q3")
    number = page.locator("#fig-survey-q3 .caption-number").inner_text().strip()
    assert number == text
    assert in_viewport(page, "#fig-survey-q3")


def test_numbered_tables_are_captioned(open_tab):
    page = open_tab("book/tables.html", shared=True).page
    numbers = page.locator("article table caption .caption-number").all_inner_texts()
    assert numbers and all(re.fullmatch(r"Table \d+(\.\d+)*\s*", n) for n in numbers), numbers


def test_glossary_link_resolves_to_its_definition(open_tab):
    page = open_tab(CHAPTER, shared=True).page
    link = page.locator("a[href*='acronyms.html#term-']").first
    term = unquote(link.get_attribute("href").split("#term-")[1])
    link.click()
    page.wait_for_url("**/acronyms.html#term-*")
    target = page.evaluate("() => { const t = document.querySelector(':target');"
                           " return t && [t.tagName, t.textContent, t.nextElementSibling.tagName,"
                           " t.nextElementSibling.textContent.trim()]; }")
    assert target is not None, "the glossary anchor does not exist"
    tag, text, next_tag, definition = target
    assert tag == "DT" and next_tag == "DD" and definition
    assert text.rstrip("#").strip() == term


def test_provenance_link_opens_the_code_that_draws_the_figure(open_tab):
    page = open_tab(CHAPTER, shared=True).page
    line = page.locator("figure .figure-provenance").first
    call = line.locator("code").first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("figure").first.screenshot(path=SCREENSHOTS / "figure-with-provenance.png")
    line.locator("a[href*='notebooks/']").click()  # the others: test_browser_sources.py
    page.wait_for_url("**/notebooks/*.html#drawn-*")
    cell = page.locator(":target")
    assert call in cell.locator(".cell_input").inner_text()
    # Figures load lazily: wait for this one to arrive (fails if it never shows).
    cell.locator("figure img").wait_for(state="visible", timeout=10_000)
    assert in_viewport(page, ":target")


def test_edition_notes_errata_and_bibliography_are_in_the_navigation(open_tab):
    page = open_tab("book/index.html", shared=True).page
    nav = page.eval_on_selector_all("nav.bd-docs-nav a", "links => links.map(a => a.getAttribute('href'))")
    for name in ("about", "errata", "bibliography"):
        assert f"{name}.html" in nav
    bibliography = open_tab("book/bibliography.html", shared=True).page
    entries = bibliography.locator("ul.thesis-bibliography > li").count()
    cited = set()
    for source in (ROOT / "book").glob("*.md"):
        cited |= set(re.findall(r"\{footcite\}`([^`]+)`", source.read_text(encoding="utf-8")))
    assert entries >= len({k.strip() for keys in cited for k in keys.split(",")}) > 0


def test_dark_mode_switches_and_persists(open_tab):
    tab = open_tab(CHAPTER, color_scheme="light")
    page = tab.page
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    switch = page.locator("button.theme-switch-button:visible").first
    for _ in range(3):
        if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        switch.click()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("() => getComputedStyle(document.querySelector('article p')).color")
    assert luminance(background) < 0.2 and luminance(text) > 0.6, (background, text)
    page.reload(wait_until="networkidle")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "chapter-desktop-dark.png")
    assert tab.errors == []
    # A reader whose system prefers dark gets it without touching the switch.
    assert open_tab(CHAPTER, color_scheme="dark").page.evaluate(
        "() => document.documentElement.dataset.theme") == "dark"


def test_dark_mode_has_no_serious_accessibility_violation(open_tab, axe_source):
    page = open_tab(CHAPTER, color_scheme="dark").page
    page.add_script_tag(content=axe_source)
    serious = [v for v in page.evaluate(AXE_RUN) if v["impact"] in SERIOUS]
    assert serious == []


def luminance(css_colour: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


NAVIGATION = [".bd-header", ".bd-sidebar-primary", ".bd-sidebar-secondary", ".prev-next-footer",
              ".article-header-buttons", "#pst-back-to-top", ".search-button-field",
              ".theme-switch-button", "nav.bd-docs-nav", "#pst-page-toc-nav"]


def test_print_shows_the_text_not_the_navigation(open_tab):
    page = open_tab(CHAPTER, shared=True).page
    shown = lambda selector: page.eval_on_selector_all(  # noqa: E731
        selector, "els => els.some(e => e.checkVisibility())")
    assert shown(".bd-header-article") and shown("nav.bd-docs-nav")  # on screen they are there
    page.emulate_media(media="print")
    assert [s for s in NAVIGATION if shown(s)] == []
    assert shown("article.bd-article p") and shown("article.bd-article figure img")
    assert shown(".figure-provenance")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=SCREENSHOTS / "chapter-print.pdf")
    assert (SCREENSHOTS / "chapter-print.pdf").read_bytes()[:5] == b"%PDF-"


def test_print_is_dark_on_white_in_dark_mode_too(open_tab):
    page = open_tab(CHAPTER, color_scheme="dark").page
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    page.emulate_media(media="print")
    colours = page.evaluate("""() => ({
        text: getComputedStyle(document.querySelector('article p')).color,
        heading: getComputedStyle(document.querySelector('article h2')).color,
        provenance: getComputedStyle(document.querySelector('.figure-provenance')).color,
        background: getComputedStyle(document.body).backgroundColor,
        figure: getComputedStyle(document.querySelector('article figure img')).filter})""")
    assert luminance(colours["background"]) > 0.95, colours
    for part in ("text", "heading", "provenance"):
        assert luminance(colours[part]) < 0.35, colours
    assert colours["figure"] == "none"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("name, path", [("landing", "index.html"), ("chapter", "book/chapter3.html")])
@pytest.mark.parametrize("width, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_for_review(open_tab, name, path, width, viewport):
    tab = open_tab(path, viewport=viewport, color_scheme="light")
    if path == "index.html":
        tab.page.wait_for_url("**/book/index.html")
        tab.page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}-{width}.png"
    tab.page.screenshot(path=target)
    assert png_size(target) == (viewport["width"], viewport["height"])
    assert tab.errors == [] and tab.foreign == []


# --- the vendored scripts --------------------------------------------------------------------------


@pytest.mark.book  # needs the npm packages that `make test` installs: left out of `make check`
def test_vendored_scripts_are_the_locked_npm_packages():
    """tippy.js and Popper are served from book_extensions/static/vendor/: byte for byte the
    files of the versions that package-lock.json pins (installed by `make test`)."""
    if not NODE_MODULES.exists():
        pytest.fail(f"{NODE_MODULES.relative_to(ROOT)} is missing: `make test` installs it with npm ci")
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    vendor = ROOT / "book_extensions" / "static" / "vendor"
    pairs = {"popper.min.js": ("@popperjs/core", "dist/umd/popper.min.js"),
             "tippy-bundle.umd.min.js": ("tippy.js", "dist/tippy-bundle.umd.min.js")}
    for name, (package, path) in pairs.items():
        installed = NODE_MODULES / package
        assert json.loads((installed / "package.json").read_text())["version"] == \
            lock[f"node_modules/{package}"]["version"]
        assert (vendor / name).read_bytes() == (installed / path).read_bytes(), name
    served = (HTML / "_static" / "vendor")
    assert (served / "popper.min.js").exists() and (served / "tippy-bundle.umd.min.js").exists()
