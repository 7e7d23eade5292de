"""Shared fixtures: the book built once per test session, and throw-away copies of the project
for tests that change data, prose or code (the real checkout is never modified)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"

# What a copy of the project leaves out: outputs, environments and version control.
COPY_IGNORE = shutil.ignore_patterns(".venv", ".git", "_build", "__pycache__", ".pytest_cache",
                                     "*.egg-info", ".ipynb_checkpoints")


@dataclass
class BuildResult:
    returncode: int
    output: str
    root: Path

    @property
    def html(self) -> Path:
        return self.root / "_build" / "html"

    def page(self, name: str) -> str:
        return (self.html / "book" / f"{name}.html").read_text(encoding="utf-8")

    def executed(self) -> list[str]:
        import json
        report = json.loads((self.root / "_build" / "execution-report.json").read_text())
        return [item["path"] for item in report["executed"]]


def build(root: Path, builder: str = "html") -> BuildResult:
    """Run the book's build (as `make book` does) in `root` with this environment's Python."""
    env = dict(os.environ, PYTHONPATH=str(root))
    process = subprocess.run([sys.executable, "-m", "tools.build", builder], cwd=root, env=env,
                             capture_output=True, text=True)
    return BuildResult(process.returncode, process.stdout + process.stderr, root)


@pytest.fixture(scope="session")
def built_book() -> BuildResult:
    """The real book, built in the checkout's own _build/ (reusing its cache)."""
    result = build(ROOT)
    assert result.returncode == 0, result.output[-5000:]
    return result


@pytest.fixture()
def project_copy(tmp_path: Path, built_book: BuildResult) -> Path:
    """A copy of the project with the executed-notebook cache of the real build, so that a
    rebuild executes only what the test's change makes stale."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    shutil.copytree(BUILD / ".jupyter_cache", copy / "_build" / ".jupyter_cache")
    return copy


def text_of(html: str) -> str:
    """Visible text of an HTML page, whitespace folded."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style"):
                self.skip += 1
            if tag in BLOCKS:
                self.parts.append(" ")

        def handle_endtag(self, tag):
            if tag in ("script", "style") and self.skip:
                self.skip -= 1
            if tag in BLOCKS:
                self.parts.append(" ")

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


# Tags whose boundaries separate words in the rendered page.
BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th", "tr",
          "aside", "section", "figcaption", "figure", "table", "dt", "dd", "nav", "header", "footer",
          "main", "article", "blockquote", "pre", "title"}
