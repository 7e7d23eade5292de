"""`make preview` on a copy of the project, watched in Chromium: a saved chapter shows its new
sentence without a manual reload; a broken directive shows its error over the page, naming the
file and line, and the next good save recovers."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading

import pytest

from test_browser import CHROMIUM, CHROMIUM_ARGS

# Bounds for a shared, loaded machine, not speed targets (those are measured by `make bench`).
STARTUP_SECONDS = 600
REBUILD_MILLISECONDS = 300_000
CHAPTER = "book/chapter1.md"
OLD = "The chapter contains three subparagraphs"


class Preview:
    """`python -m tools.preview` running in a project copy, its output collected line by line."""

    def __init__(self, root):
        env = dict(os.environ, PYTHONPATH=str(root), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "tools.preview", "--port", "0", "--no-browser"],
                                        cwd=root, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for(r"serving (http://\S+)").group(1)

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, seconds: float = STARTUP_SECONDS) -> re.Match:
        while True:
            try:
                line = self.lines.get(timeout=seconds)
            except queue.Empty:
                pytest.fail(f"the preview never printed /{pattern}/:\n{''.join(self.output)[-3000:]}")
            found = re.search(pattern, line)
            if found:
                return found

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture()
def preview(project_copy):
    running = Preview(project_copy)
    running.wait_for(r"preview: built in")
    yield running
    assert running.stop() == 0, "".join(running.output)[-3000:]


@pytest.fixture()
def page():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (tools/debian-packages.sh browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser.new_page()
        browser.close()


def save(root, old: str, new: str) -> None:
    path = root / CHAPTER
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def shows(page, sentence: str) -> None:
    """Wait until the open page (reloaded by the preview, not by the test) shows `sentence`."""
    page.get_by_text(sentence).first.wait_for(timeout=REBUILD_MILLISECONDS)


def test_a_saved_chapter_reloads_the_open_page(preview, page, project_copy):
    page.goto(preview.url + "book/chapter1.html")
    assert OLD in page.inner_text("body")
    page.evaluate("window.notReloaded = true")
    new = "The chapter, as revised in the preview, contains three subparagraphs"
    save(project_copy, OLD, new)
    shows(page, new)
    assert page.evaluate("window.notReloaded === undefined"), "the page was not reloaded"
    assert page.locator("#preview-error").count() == 0


def test_a_broken_directive_is_shown_in_the_page_and_the_next_save_recovers(preview, page, project_copy):
    page.goto(preview.url + "book/chapter1.html")
    text = (project_copy / CHAPTER).read_text(encoding="utf-8")
    line = text.splitlines().index(next(s for s in text.splitlines() if s.startswith(OLD))) + 1
    save(project_copy, OLD, "```{nosuchdirective}\n```\n\n" + OLD)
    error = page.locator("#preview-error")
    error.wait_for(timeout=REBUILD_MILLISECONDS)
    message = error.inner_text()
    assert f"book/chapter1.md:{line}" in message, message
    assert "Unknown directive type: 'nosuchdirective'" in message, message
    assert preview.process.poll() is None, "the server stopped after a failed build"
    # The terminal says it too.
    preview.wait_for(r"preview: the build failed")
    recovered = "Recovered after the broken directive, the chapter contains three subparagraphs"
    save(project_copy, "```{nosuchdirective}\n```\n\n" + OLD, recovered)
    shows(page, recovered)
    assert page.locator("#preview-error").count() == 0


def reloaded_after(page, change) -> None:
    """Make `change` (a save) and wait until the preview has reloaded the open page."""
    with page.expect_event("load", timeout=REBUILD_MILLISECONDS):
        change()


def first_note_and_figure(page) -> tuple[str, str]:
    note = page.locator("a.footnote-reference.thesis-note").first.get_attribute("href")
    return note, page.locator(".caption-number").first.inner_text().strip()


def cited_in(project_copy, key: str) -> list[str]:
    """The notes that the bibliography's entry `key` links back to (its text once)."""
    from bs4 import BeautifulSoup

    html = (project_copy / "_build" / "html" / "book" / "bibliography.html").read_text(encoding="utf-8")
    entry = BeautifulSoup(html, "html.parser").find(id=f"bib-{key}")
    assert len([p for p in entry.find_all("p") if "thesis-cited-in" not in p.get("class", [])]) == 1, entry
    return [a["href"] for a in entry.find_all("a") if "#note-" in a.get("href", "")]


def test_the_kept_application_renumbers_notes_and_keeps_chapter_numbers(preview, page, project_copy):
    """Saves of one page keep the preview's Sphinx application: a note removed from chapter 1
    renumbers chapter 2's notes and leaves the bibliography's list of the notes that cite its
    source; its return numbers them back and lists it again; chapter 2's figure keeps its
    chapter's number save after save (and the page shows no error)."""
    key = "rubin1998postsoviet"  # cited once, in chapter 1's note 27
    page.goto(preview.url + "book/chapter2.html")
    assert first_note_and_figure(page) == ("#note-30", "Fig. 2.1")
    assert cited_in(project_copy, key) == ["chapter1.html#note-27"]
    note = f"{{footcite}}`{key}`"
    reloaded_after(page, lambda: save(project_copy, note, ""))
    assert first_note_and_figure(page) == ("#note-29", "Fig. 2.1")
    assert cited_in(project_copy, key) == []
    reloaded_after(page, lambda: save(project_copy, "involving Russia itself. ",
                                      f"involving Russia itself{note}. "))
    assert first_note_and_figure(page) == ("#note-30", "Fig. 2.1")
    assert cited_in(project_copy, key) == ["chapter1.html#note-27"]
    assert page.locator("#preview-error").count() == 0


def test_a_data_edit_shows_the_new_computed_value(preview, page, project_copy):
    """A count that notebooks compute, and a quantity the preview's own process reads (a quoted
    quantity, printed by the extensions through kzthesis.data)."""
    page.goto(preview.url + "book/chapter4.html")
    assert "political life, 59% believe" in " ".join(page.inner_text("body").split())
    quoted = project_copy / "data" / "quoted_quantities.csv"
    reloaded_after(page, lambda: quoted.write_text(quoted.read_text(encoding="utf-8").replace(
        "\nyouth-ignored-share,59,", "\nyouth-ignored-share,61,"), encoding="utf-8"))
    assert "political life, 61% believe" in " ".join(page.inner_text("body").split())
    page.goto(preview.url + "book/chronology.html")
    assert "had reached 4,404 people" in " ".join(page.inner_text("body").split())
    counts = project_copy / "data" / "chronology_counts.csv"
    reloaded_after(page, lambda: counts.write_text(
        counts.read_text(encoding="utf-8").replace(",detained,4404,", ",detained,4504,"), encoding="utf-8"))
    text = " ".join(page.inner_text("body").split())
    assert "had reached 4,504 people" in text and "4,404" not in text
    assert page.locator("#preview-error").count() == 0
