"""Shared fixtures: the book built once per test session, and throw-away copies of the project
for tests that change data, prose or code (the real checkout is never modified)."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath

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

    def pages(self, step: str) -> list[str]:
        """The pages Sphinx says it went through at `step`: "reading sources" or "writing output"."""
        from tools.execute_notebooks import ANSI

        plain = ANSI.sub("", self.output)  # Sphinx's colours
        return sorted(re.findall(rf"^{step}\.\.\. \[\s*\d+%\] (\S+)$", plain, re.MULTILINE))

    def executed(self) -> list[str]:
        import json
        report = json.loads((self.root / "_build" / "execution-report.json").read_text())
        return [item["path"] for item in report["executed"]]


# The build server of this test worker, once the copies' fixtures have started it.
BUILDS_FORKED_FROM = None


def build(root: Path, builder: str = "html") -> BuildResult:
    """Run the book's build (`python -m tools.build`, as `make book` does) in `root` with this
    environment's Python: forked from the worker's build server once it runs (build_server.py)."""
    env = dict(os.environ, PYTHONPATH=str(root))
    if BUILDS_FORKED_FROM is None:
        process = subprocess.run([sys.executable, "-m", "tools.build", builder], cwd=root, env=env,
                                 capture_output=True, text=True)
        return BuildResult(process.returncode, process.stdout + process.stderr, root)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        returncode = BUILDS_FORKED_FROM.run([builder], cwd=root, env=env, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        return BuildResult(returncode, out.read() + err.read(), root)


# Files of few tests that each build a copy of the project, PDF or EPUB: a minute or more of a
# worker's time each on 2 cores (longest first).
LONG_FILES = ("test_build_reliability.py", "test_quantities.py", "test_dist.py", "test_escaping.py",
              "test_preview.py", "test_pdf.py", "test_cache.py")


def pytest_collection_modifyitems(items):
    """Every test that needs the built book (directly or through another fixture) is marked
    `book`; `make check` runs the others.

    The order in which the workers of `make test` take the files (pyproject.toml turns off
    xdist's own, which is by number of tests): first the files that need no book, run while
    another worker builds it; then LONG_FILES, so that no worker is left alone with one of them
    at the end; then the others, the one with most tests first."""
    for item in items:
        if "built_book" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.book)
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.path.name, []).append(item)

    def rank(name: str) -> tuple:
        needs_book = any(item.get_closest_marker("book") for item in files[name])
        return (needs_book, LONG_FILES.index(name) if name in LONG_FILES else len(LONG_FILES),
                -len(files[name]), name)

    items[:] = [item for name in sorted(files, key=rank) for item in files[name]]


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> BuildResult:
    """The real book, built in the checkout's own _build/ (reusing its cache), once per run: the
    workers of `make test` share it, since a worker's build would rewrite pages that another
    worker's browser is reading."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        result = build(ROOT)
    else:
        shared = tmp_path_factory.getbasetemp().parent  # this run's folder, one for all workers
        with (shared / "built-book.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            record = shared / "built-book.json"
            if record.exists():
                result = BuildResult(**json.loads(record.read_text(encoding="utf-8")), root=ROOT)
            else:
                result = build(ROOT)
                record.write_text(json.dumps({"returncode": result.returncode, "output": result.output}),
                                  encoding="utf-8")
    assert result.returncode == 0, result.output[-5000:]
    return result


def copy_of_project(folder: Path, build_snapshot: Path) -> Path:
    """A copy of the project with the real build's outputs, so that a build of the copy is as
    incremental as the author's next build: it executes and re-reads only what the test's
    change makes stale."""
    copy = folder / "project"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)  # copy2: modification times are kept
    shutil.copytree(build_snapshot, copy / "_build")
    relocate_sphinx_environment(copy / "_build" / ".doctrees" / "environment.pickle", ROOT, copy)
    return copy


@pytest.fixture()
def project_copy(tmp_path: Path, build_snapshot: Path) -> Path:
    """A copy of the project for one test (see copy_of_project)."""
    return copy_of_project(tmp_path, build_snapshot)


@pytest.fixture(scope="session")
def kernels_for_copies(built_book: BuildResult):
    """A notebook kernel server of this test worker's, which every build of a copy of the project
    that the worker starts finds through the environment and forks its kernels from (each kernel
    imports the copy's own package; tools/kernel_server.py): the notebooks' libraries are imported
    once per worker instead of in every build that executes a notebook. The real book
    (built_book) is built before it starts, as `make book` builds it."""
    from tools.kernel_server import KernelServer

    server = KernelServer.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def builds_for_copies(kernels_for_copies):
    """The worker's build server (build_server.py), from which every build() of a copy forks."""
    global BUILDS_FORKED_FROM
    from build_server import BuildServer

    BUILDS_FORKED_FROM = BuildServer.start()
    yield BUILDS_FORKED_FROM
    BUILDS_FORKED_FROM.stop()
    BUILDS_FORKED_FROM = None


@pytest.fixture(scope="session")
def build_snapshot(built_book: BuildResult, builds_for_copies, tmp_path_factory) -> Path:
    """The real build's HTML state, copied once while no other build (another test worker's
    PDF, say) writes into _build/."""
    from tools.build import exclusive_build

    snapshot = tmp_path_factory.mktemp("build-snapshot") / "_build"
    with exclusive_build():
        for part in BUILD_STATE:
            if (BUILD / part).is_dir():
                shutil.copytree(BUILD / part, snapshot / part)
    return snapshot


# What a project copy takes from the real build (not its PDF, EPUB or lock).
BUILD_STATE = (".jupyter_cache", ".doctrees", "html", "jupyter_execute", ".data-validated")


def preview_script(html: Path, page: str) -> Path:
    """The file of a page's hover previews (sphinx-tippy's script, named in the page)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    [script] = [s["src"] for s in soup.find_all("script", src=True) if "_static/tippy/" in s["src"]]
    return (html / page).parent / script.split("?")[0]


def relocate_sphinx_environment(pickle_path: Path, old: Path, new: Path) -> None:
    """Sphinx refuses an environment saved for another source folder and starts afresh (about
    20 s for this book): rewrite every path under `old` in the saved environment to `new`.

    The footer's stamp is recorded as the copy's own: a copy is no checkout of the project, and
    a build that finds another commit in the stamp writes every page again (about 4 s), which
    would hide what the test's change makes stale. The copied pages keep the real build's
    footer until they are written."""
    import pickle

    if not pickle_path.exists():
        return
    old_text, new_text = str(old), str(new)
    seen: set[int] = set()

    def moved(value):
        if isinstance(value, str):
            return type(value)(new_text + value[len(old_text):]) if value.startswith(old_text) else value
        if isinstance(value, PurePath):
            text = str(value)
            return type(value)(new_text + text[len(old_text):]) if text.startswith(old_text) else value
        if isinstance(value, (int, float, bytes, type(None), type)) or id(value) in seen:
            return value
        seen.add(id(value))
        if isinstance(value, dict):
            items = [(moved(k), moved(v)) for k, v in value.items()]
            value.clear()
            value.update(items)
        elif isinstance(value, list):
            value[:] = [moved(v) for v in value]
        elif isinstance(value, set):
            items = [moved(v) for v in value]
            value.clear()
            value.update(items)
        elif isinstance(value, tuple):
            items = [moved(v) for v in value]
            return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
        elif hasattr(value, "__dict__"):
            for name, item in list(vars(value).items()):
                object.__setattr__(value, name, moved(item))
        return value

    with pickle_path.open("rb") as handle:
        environment = pickle.load(handle)
    moved(environment)
    from book_extensions.reader import EDITION_KEY, edition_stamp_of

    environment.__dict__[EDITION_KEY] = edition_stamp_of(new)
    with pickle_path.open("wb") as handle:
        pickle.dump(environment, handle, pickle.HIGHEST_PROTOCOL)


@pytest.fixture()
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ that the package loads instead of the real one."""
    from kzthesis import data

    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    monkeypatch.setattr(data, "DATA_DIR", copy)
    monkeypatch.setattr(data, "DESCRIPTOR", copy / "datapackage.json")
    data.reset()
    yield copy
    data.reset()


def edit_row(path: Path, row_id: str, **values) -> int:
    """Change the row whose `id` is `row_id` in the CSV file `path` (a copy's) and make the package
    load it again; the row's line in the file."""
    from kzthesis import data

    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    index = next(i for i, row in enumerate(rows) if row["id"] == row_id)
    rows[index].update(values)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    data.reset()
    return index + 2


def validation_problems() -> list[str]:
    """What validating data/ (or the copy the package loads) reports, as text."""
    from kzthesis import data

    return [str(p) for p in data.validate_all()]


# The edition's marks inside the author's sentences: an emendation's sign, and a number's origin
# (book_extensions/quantities.py), shown only on demand at the number.
EDITION_MARKS = "span.emendation, span.quantity-origin"


def text_of(html: str) -> str:
    """Visible text of an HTML page (scripts and styles left out), whitespace folded. The signs
    of emendations ("62.1%° (77 responses)") are left out too: tests/test_emendations.py reads
    them; here a number reads as the author's sentence prints it."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style"]) + soup.select(EDITION_MARKS):
        hidden.decompose()
    for block in soup(list(BLOCKS)):  # words in two blocks are two words; inline text joins
        block.insert_before(" ")
        block.append(" ")
    return " ".join(soup.get_text().split())


def page_text(root: Path, page: str) -> str:
    """Visible text of the built HTML page `page` (e.g. "book/chapter1") of the project `root`."""
    return text_of((root / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8"))


# Tags whose boundaries separate words in the rendered page.
BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th", "tr",
          "aside", "section", "figcaption", "figure", "table", "dt", "dd", "nav", "header", "footer",
          "main", "article", "blockquote", "pre", "title"}
