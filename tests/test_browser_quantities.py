"""In Chromium, each number from data/ shows its origin at the number: by mouse (hover), by
keyboard (Tab to it; Escape closes) and by tap, for a computed number and a quoted one; screen
readers get the origin as the number's description. Dates, ordinals and the like are not
quantities and have no origin to show (tools/numerals.py)."""

from __future__ import annotations

import pytest

import test_browser
from test_browser import SCREENSHOTS

# The server, the browser and the recording tabs of test_browser.py, for this module too.
site, browser, open_tab = test_browser.site, test_browser.browser, test_browser.open_tab

NUMBERS = [
    # (class, page, the number's data-quantity, words its origin shows)
    ("computed", "book/chapter3.html", "q1o1-n",
     "77 of 124 respondents chose 'Poverty and other social problems.' in question 1"),
    ("quoted", "book/chapter4.html", "imports-russia-share", "Source: note 154"),
    ("computed", "book/tables.html", "eth-russians-2021",  # a number of a table's cell
     "share of Russians in the population of Kazakhstan in 2021, as Table 1 gives it: 18.4 %"),
]


def shown_origin(page) -> str:
    box = page.wait_for_selector("[data-tippy-root] .quantity-origin-box", state="visible")
    return box.inner_text()


def no_origin_shown(page) -> None:
    page.wait_for_selector(".quantity-origin-box", state="detached")


@pytest.mark.parametrize("kind, path, key, words", NUMBERS, ids=[f"{n[0]}-{n[2]}" for n in NUMBERS])
def test_hovering_a_number_shows_its_origin(open_tab, kind, path, key, words):
    tab = open_tab(path, shared=True)
    page = tab.page
    number = page.locator(f"span.quantity-{kind}[data-quantity='{key}']")
    number.scroll_into_view_if_needed()
    number.hover()
    assert words in shown_origin(page)
    page.mouse.move(0, 0)
    no_origin_shown(page)
    assert tab.errors == [] and tab.foreign == []


@pytest.mark.parametrize("kind, path, key, words", NUMBERS, ids=[f"{n[0]}-{n[2]}" for n in NUMBERS])
def test_tabbing_to_a_number_shows_its_origin_and_escape_closes_it(open_tab, kind, path, key, words):
    page = open_tab(path, shared=True).page
    selector = f"span.quantity-{kind}[data-quantity='{key}']"
    # Start from the focusable element just before the number, as a keyboard user would arrive.
    page.eval_on_selector(selector, """number => {
        const all = [...document.querySelectorAll('a[href], button, [tabindex="0"]')]
          .filter((e) => e.checkVisibility());
        all[all.indexOf(number) - 1].focus(); }""")
    page.keyboard.press("Escape")  # that element may be a number too, showing its own origin
    no_origin_shown(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.quantity") == key
    assert words in shown_origin(page)
    page.keyboard.press("Escape")
    no_origin_shown(page)


@pytest.mark.parametrize("kind, path, key, words", NUMBERS, ids=[f"{n[0]}-{n[2]}" for n in NUMBERS])
def test_a_screen_reader_reads_the_origin_as_the_numbers_description(open_tab, kind, path, key, words):
    page = open_tab(path, shared=True).page
    described = page.eval_on_selector(f"span[data-quantity='{key}']", """number => {
        const origin = document.getElementById(number.getAttribute('aria-describedby'));
        return [number.tabIndex, origin.textContent]; }""")
    assert described[0] == 0 and words in described[1]


def test_tapping_a_quoted_number_on_a_phone_shows_its_origin_with_a_link_to_the_note(open_tab):
    page = open_tab("book/chapter4.html", viewport={"width": 390, "height": 844}, has_touch=True).page
    number = page.locator("span[data-quantity='imports-russia-share']")
    number.scroll_into_view_if_needed()
    number.tap()
    assert "Source: note 154" in shown_origin(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "origin-phone.png")
    page.locator(".quantity-origin-box a[href='#note-154']").click()
    page.wait_for_function("() => location.hash === '#note-154'")

