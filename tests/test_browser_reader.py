"""The web book on a reader's screens, in Debian's Chromium (the browser, the server and the
recording tabs of test_browser.py): navigation, notes, numbers in the text, figures and tables on
a phone. Desktop is a 1366 px laptop, the phone 390 px wide. (What a page load weighs and the
titles' lines on a phone are checked in test_browser.py, from its one visit of every page.)
Screenshots go to `_build/screenshots/` for a look before a change is called done."""

from __future__ import annotations

import json
import re

import pytest

import test_browser
from test_browser import CHAPTER, SCREENSHOTS

# The server, the browser and the recording tabs of test_browser.py, for this module too.
site, browser, open_tab = test_browser.site, test_browser.browser, test_browser.open_tab

DESKTOP = {"width": 1366, "height": 800}
PHONE = test_browser.READER_PHONE
SCREENS = [("desktop", DESKTOP), ("phone", PHONE)]


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def visible(page, selector: str) -> list[str]:
    """The first 80 characters of every element matching `selector` that shows on the screen
    (not hidden, and not pushed off its side as the theme does with a closed sidebar)."""
    return page.eval_on_selector_all(selector, """els => els.filter(e => {
        const r = e.getBoundingClientRect();
        return e.checkVisibility() && r.width > 0 && r.right > 0 && r.left < innerWidth;
      }).map(e => e.outerHTML.slice(0, 80))""")


# --- navigation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("width, viewport", SCREENS)
def test_one_search_control_and_no_bar_without_purpose(open_tab, width, viewport):
    page = open_tab(CHAPTER, viewport=viewport).page
    assert len(visible(page, ".search-button__button, form.bd-search")) == 1
    # The theme's own header bar held nothing but a search field (and hidden toggles).
    assert visible(page, "#pst-header") == []
    toggles = page.locator(".primary-toggle")
    assert toggles.count() == 1 and toggles.first.is_visible()


def test_sidebar_toggle_hides_and_shows_the_navigation_on_a_desktop(open_tab):
    page = open_tab(CHAPTER, viewport=DESKTOP).page
    nav = page.locator("#pst-primary-sidebar nav.bd-docs-nav")
    assert nav.is_visible()
    page.locator(".primary-toggle").click()
    page.wait_for_timeout(400)  # the theme's transition
    assert not nav.is_visible()
    screenshot(page, "navigation-desktop-sidebar-hidden")
    page.locator(".primary-toggle").click()
    page.wait_for_timeout(400)
    assert nav.is_visible()


def open_drawer(open_tab, button: str, content: str, name: str):
    """On a phone, the drawer that `button` opens, showing `content` (hidden before)."""
    page = open_tab(CHAPTER, viewport=PHONE).page
    assert visible(page, content) == []
    page.locator(button).click()
    drawer = page.locator(f"dialog[open] {content}")
    drawer.wait_for(state="visible")
    screenshot(page, name)
    return page, drawer


def test_menu_button_opens_the_navigation_on_a_phone(open_tab):
    page, drawer = open_drawer(open_tab, ".primary-toggle", "nav.bd-docs-nav", "navigation-phone-menu")
    drawer.locator("a[href$='chapter2.html']").first.click()
    page.wait_for_url("**/book/chapter2.html")


def test_contents_button_opens_the_page_contents_on_a_phone(open_tab):
    page, contents = open_drawer(open_tab, ".secondary-toggle", "#pst-page-toc-nav",
                                 "navigation-phone-contents")
    entry = contents.locator("a:visible").nth(1)
    href = entry.get_attribute("href")
    entry.click()
    page.wait_for_function(f"() => location.hash === {json.dumps(href)}")
    # The drawer closes by itself, showing the section the reader chose.
    page.wait_for_selector("#pst-secondary-sidebar-modal[open]", state="detached")
    page.wait_for_timeout(300)
    assert page.eval_on_selector(f"[id='{href[1:]}']", """e => { const r = e.getBoundingClientRect();
        return r.top >= 0 && r.top < innerHeight / 2; }""")


@pytest.mark.parametrize("width, viewport", SCREENS)
def test_search_button_finds_pages(open_tab, width, viewport):
    page = open_tab(CHAPTER, viewport=viewport).page
    page.locator(".search-button__button").click()
    field = page.locator("#pst-search-dialog[open] input[name='q']")
    field.wait_for(state="visible")
    field.fill("Zhanaozen")
    screenshot(page, f"navigation-{width}-search")
    field.press("Enter")
    page.wait_for_url("**/search.html?q=Zhanaozen*")
    page.wait_for_function("() => /found/.test((document.querySelector("
                           "'#search-results .search-summary') || {}).textContent)")
    assert page.locator("#search-results ul.search li a").count() >= 3
    # The search page has one search field: its own.
    assert len(visible(page, "input[type='search']")) == 1
    screenshot(page, f"search-page-{width}")


# --- notes ----------------------------------------------------------------------------------------

def test_notes_link_back_and_keep_their_previews(open_tab):
    page = open_tab(CHAPTER, viewport=PHONE).page
    marker = page.locator("a.footnote-reference").nth(2)
    marker_id, href = marker.get_attribute("id"), marker.get_attribute("href")
    note = page.locator(f"section#notes [id='{href[1:]}']")
    text = note.locator("p").first.inner_text()
    assert text[:30] in test_browser.hover_tip(page, f"[id='{marker_id}']")
    page.mouse.move(0, 0)
    marker.click()
    page.wait_for_function(f"() => location.hash === {json.dumps(href)}")
    page.wait_for_timeout(300)
    screenshot(page, "notes-phone")
    note.locator("a[role='doc-backlink']").click()
    page.wait_for_function(f"() => location.hash === {json.dumps('#' + marker_id)}")
    assert test_browser.in_viewport(page, f"[id='{marker_id}']")


# --- numbers computed from the data ---------------------------------------------------------------

GLUED_STYLE = """() => [...document.querySelectorAll('article span.pasted-text')].map(span => {
  const own = getComputedStyle(span), around = getComputedStyle(span.parentElement);
  const keys = ['fontWeight', 'fontStyle', 'fontSize', 'fontFamily', 'color'];
  return {text: span.textContent, differs: keys.filter(k => own[k] !== around[k])};
})"""


@pytest.mark.parametrize("path", ["book/chapter3.html", "book/chronology.html"])
def test_computed_numbers_look_like_the_text_around_them(open_tab, path):
    numbers = open_tab(path, shared=True).page.evaluate(GLUED_STYLE)
    assert numbers, f"{path}: no number glued from the data"
    assert [n for n in numbers if n["differs"]] == []


# --- phones ---------------------------------------------------------------------------------------


def test_a_figure_opens_full_size_on_a_phone(open_tab):
    page = open_tab(CHAPTER, viewport=PHONE).page
    figures = page.locator("article figure img")
    assert figures.count() > 0
    assert page.locator("article figure a.figure-full-size img").count() == figures.count()
    shown = figures.first.bounding_box()["width"]
    page.locator("article figure a.figure-full-size").first.click()
    viewer = page.locator("dialog#figure-viewer[open]")
    viewer.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#figure-viewer img').complete")
    large = viewer.locator("img").bounding_box()["width"]
    assert large >= 2 * shown, (shown, large)  # its labels twice the size at least
    screenshot(page, "figure-full-size-phone")
    viewer.locator("button.figure-viewer__close").click()
    page.wait_for_selector("dialog#figure-viewer[open]", state="detached")


TABLE_FACTS = """() => [...document.querySelectorAll('article .pst-scrollable-table-container')].map(box => {
  const caption = box.querySelector('caption'), r = caption && caption.getBoundingClientRect();
  const hint = getComputedStyle(box, '::after').content;
  return {id: box.querySelector('table').id, scrolls: box.scrollWidth > box.clientWidth,
          captionInView: !r || (r.left >= 0 && r.right <= innerWidth),
          hint: hint !== 'none' && hint !== 'normal'};
})"""


@pytest.mark.parametrize("path", ["book/tables.html", "book/survey-results.html"])
def test_wide_tables_keep_their_caption_in_view_and_say_they_scroll(open_tab, path):
    page = open_tab(path, viewport=PHONE).page
    tables = page.evaluate(TABLE_FACTS)
    assert any(t["scrolls"] for t in tables), "no table is wider than a phone: nothing to test"
    assert [t["id"] for t in tables if not t["captionInView"]] == []
    assert [t["id"] for t in tables if t["scrolls"] != t["hint"]] == []
    wide = page.locator(".pst-scrollable-table-container[tabindex='0']").first
    wide.scroll_into_view_if_needed()
    screenshot(page, f"table-phone-{path.split('/')[-1][:-5]}")
    wide.evaluate("box => box.scrollBy(box.scrollWidth, 0)")  # scrolled to its last column
    assert page.evaluate(TABLE_FACTS) == tables


# --- weight and polish ----------------------------------------------------------------------------

def test_every_icon_is_drawn_without_font_awesome(open_tab):
    page = open_tab(CHAPTER, viewport=PHONE).page
    icons = page.eval_on_selector_all("[class*='fa-']:is(.fa-solid, .fas)", """els => els.map(e =>
        [e.className, getComputedStyle(e).getPropertyValue('--book-icon').trim() !== ''])""")
    assert icons and [name for name, drawn in icons if not drawn] == []


def test_no_source_map_is_shipped(built_book):
    assert sorted(built_book.html.rglob("*.map")) == []


def test_pages_have_a_favicon_and_a_footer_naming_the_build_not_an_author(open_tab):
    page = open_tab(CHAPTER).page
    # The icon is in the page (a data: URL, no request of its own): Chromium draws it.
    icon = page.eval_on_selector("link[rel='icon']", "l => l.href")
    assert icon.startswith("data:image/svg+xml,")
    assert page.evaluate("""url => new Promise(done => { const image = new Image();
        image.onload = () => done(image.naturalWidth); image.onerror = () => done(0);
        image.src = url; })""", icon) > 0
    footer = " ".join(page.locator("footer.bd-footer-content").inner_text().split())
    assert re.fullmatch(r"Built from commit [0-9a-f]{7,}( \+ uncommitted changes)? on \d{1,2} \w+ \d{4}\.",
                        footer), footer
    assert "Author not named" not in page.content()
