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
