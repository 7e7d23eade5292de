"""A build ends consistent or fails: a failed build stays failed until the fault is fixed, an
interrupted or partly failed build leaves no stale page and no process behind, two builds of one
checkout do not interleave, and `_build/html` holds only what the current pages use."""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import build, page_text, preview_script
from tools import build as build_tool
from tools import kernel_server


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# Faults that Sphinx reports as warnings (errors with -W): its saved environment would let the
# next run pass without reading the page again.
SPHINX_FAULTS = [
    ("introduction", "{footcite}`tokayev2022announcement`", "{footcite}`tokayev2022anouncement`",
     "tokayev2022anouncement"),
    ("chapter1", "{glue:text}`q3o3-n:d`", "{glue:text}`q3o3-nn:d`", "q3o3-nn"),
    ("conclusions", "\n\n", "\n\n```{notadirective}\n```\n\n", "notadirective"),
]


def test_a_failed_build_fails_again_until_the_fault_is_fixed(project_copy):
    originals = {}
    for page, old, new, _ in SPHINX_FAULTS:
        source = project_copy / "book" / f"{page}.md"
        originals.setdefault(source, source.read_text(encoding="utf-8"))
        replace_in(source, old, new)
    for attempt in ("first", "second"):  # nothing changed in between: the faults are found again
        result = build(project_copy)
        assert result.returncode != 0, (attempt, result.output[-3000:])
        for page, _, _, message in SPHINX_FAULTS:
            assert f"{page}.md" in result.output and message in result.output, (attempt, message)
    for source, text in originals.items():
        source.write_text(text, encoding="utf-8")
    fixed = build(project_copy)
    assert fixed.returncode == 0, fixed.output[-3000:]


def test_a_partly_failed_build_leaves_no_stale_page(project_copy):
    """The data edit re-executes the chronology pages into the cache during a run that then fails
    on another notebook; once that one is fixed, the chronology page shows the new count even
    though nothing is left to execute."""
    replace_in(project_copy / "data" / "chronology_counts.csv", ",detained,4404,", ",detained,4504,")
    notebook = project_copy / "notebooks" / "population.md"
    original = notebook.read_text(encoding="utf-8")
    notebook.write_text(original + "\n```{code-cell} ipython3\n1/0\n```\n", encoding="utf-8")
    failed = build(project_copy)
    assert failed.returncode != 0 and "ZeroDivisionError" in failed.output
    assert "book/chronology.md" in failed.executed()  # into the cache, by the failed run
    notebook.write_text(original, encoding="utf-8")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert "book/chronology.md" not in result.executed()
    text = page_text(project_copy, "book/chronology")
    assert "had reached 4,504 people" in text and "4,404" not in text


def processes_in(root: Path) -> list[psutil.Process]:
    """Processes whose working directory is inside `root` (notebook kernels run in the
    notebook's folder, in sessions of their own)."""
    found = []
    for process in psutil.process_iter(["cwd", "pid"]):
        cwd = process.info.get("cwd")
        if cwd and Path(cwd).is_relative_to(root) and process.pid != os.getpid():
            found.append(process)
    return found


def test_sigterm_ends_every_worker_and_kernel_and_the_next_build_is_fresh(project_copy):
    # A value read by two notebooks: the build that is interrupted has kernels to end.
    replace_in(project_copy / "data" / "chronology_counts.csv", ",detained,4404,", ",detained,4504,")
    # Kernels of the build's own (not the test worker's kernel server, see conftest.py).
    env = dict(os.environ, PYTHONPATH=str(project_copy))
    env.pop(kernel_server.SOCKET_VARIABLE)
    process = subprocess.Popen([sys.executable, "-m", "tools.build", "html"], cwd=project_copy, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    # A kernel: ipykernel's launcher, or one forked by the build's kernel server.
    while time.monotonic() < deadline and not any(
            re.search(r"ipykernel|kernel_server", " ".join(p.cmdline()))
            for p in processes_in(project_copy / "book")):
        time.sleep(0.2)
    assert time.monotonic() < deadline, "no kernel started"
    os.killpg(process.pid, signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0 and "interrupted" in output, output[-3000:]
    time.sleep(1)
    assert processes_in(project_copy) == [], "processes outlived the build"
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert "every page is read again" in result.output
    assert "had reached 4,504 people" in page_text(project_copy, "book/chronology")


def test_two_builds_at_once_wait_for_each_other(project_copy):
    # A data edit, so that the first build executes notebooks and is still running when the
    # second starts; the second starts once the first holds the lock (it writes its pid there).
    replace_in(project_copy / "data" / "chronology_counts.csv", ",detained,4404,", ",detained,4504,")
    env = dict(os.environ, PYTHONPATH=str(project_copy))
    command = [sys.executable, "-m", "tools.build", "html"]
    first = subprocess.Popen(command, cwd=project_copy, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    lock = project_copy / build_tool.LOCK.relative_to(build_tool.ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip() == str(first.pid)):
        time.sleep(0.05)
    second = subprocess.run(command, cwd=project_copy, env=env, capture_output=True, text=True)
    first_output, _ = first.communicate(timeout=600)
    assert first.returncode == 0, first_output[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    assert "waiting for the build already running in this checkout" in second.stderr
    assert "had reached 4,504 people" in page_text(project_copy, "book/chronology")


def test_the_html_output_holds_only_what_its_pages_use(project_copy):
    """Re-executed figures are the same files, and a rebuild replaces (not adds) the hover
    previews' scripts: one per page, each used by its page."""
    html = project_copy / "_build" / "html"

    def files(folder):
        return sorted(p.relative_to(html).as_posix() for p in (html / folder).rglob("*") if p.is_file())

    images, downloads = files("_images"), files("_downloads")
    # A value of the chronology changes and changes back: its two notebooks draw their figures
    # twice more, the second time from the same data as at first; chapter 1 is re-read.
    counts = project_copy / "data" / "chronology_counts.csv"
    for old, new in ((",detained,4404,", ",detained,4504,"), (",detained,4504,", ",detained,4404,")):
        replace_in(counts, old, new)
        replace_in(project_copy / "book" / "chapter1.md", "three subparagraphs", "three subparagraphs ")
        result = build(project_copy)
        assert result.returncode == 0, result.output[-3000:]
        assert sorted(result.executed()) == ["book/chronology.md", "notebooks/audit.md",
                                             "notebooks/chronology.md"]
    assert files("_images") == images and files("_downloads") == downloads
    scripts = files("_static/tippy")
    pages = [p.relative_to(html).with_suffix("").as_posix() for p in html.rglob("*.html")
             if p.parent.name in ("book", "notebooks")]
    for page in pages:
        mine = [s for s in scripts if s.startswith(f"_static/tippy/{page}.")]
        assert len(mine) == 1, (page, mine)
        assert Path(mine[0]).name in (html / f"{page}.html").read_text(encoding="utf-8")


def test_a_citation_style_edit_rereads_the_citing_pages(project_copy):
    replace_in(project_copy / "book_extensions" / "citation_style.py",
               '"russian": "[In Russian]"', '"russian": "[In Russian language]"')
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert result.executed() == []
    assert "[In Russian language]" in page_text(project_copy, "book/chapter2")
    assert "[In Russian language]" in page_text(project_copy, "book/bibliography")


def edit_style_sheet(root: Path) -> None:
    style = root / "_static" / "reader.css"
    style.write_text(style.read_text(encoding="utf-8") + "/* edited */\n", encoding="utf-8")


def test_a_style_sheet_edit_rewrites_every_page_without_reading_it(project_copy):
    html = project_copy / "_build" / "html"
    chapter = html / "book" / "chapter1.html"
    before = chapter.read_text(encoding="utf-8")
    script = preview_script(html, "book/introduction")
    script_written = script.stat().st_mtime_ns
    edit_style_sheet(project_copy)
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert "0 added, 0 changed, 0 removed" in result.output  # no page read again
    assert "/* edited */" in (project_copy / "_build" / "html" / "_static" / "reader.css").read_text()
    # The page was written again: its link to the style sheet carries the new checksum.
    link = re.compile(r'reader\.css\?v=[0-9a-f]+')
    assert link.search(before).group(0) != link.search(chapter.read_text(encoding="utf-8")).group(0)
    # Its body is unchanged: it keeps its hover previews' script, in the copy's own output
    # (book_extensions/previews.py), and the script still previews the glossary.
    assert preview_script(html, "book/introduction") == script
    assert script.stat().st_mtime_ns == script_written
    assert r'"a[href=\"acronyms.html#term-CSTO\"]": "<' in script.read_text(encoding="utf-8")


def test_a_page_written_again_whose_previewed_page_changed_gets_a_new_preview_script(project_copy):
    """The introduction, written again for a style-sheet edit with the same body, previews a
    glossary term whose definition changed in the same build: its script is a new file, so a
    browser cannot show the old definition from its cache."""
    html = project_copy / "_build" / "html"
    script = preview_script(html, "book/introduction")
    edit_style_sheet(project_copy)
    replace_in(project_copy / "book" / "acronyms.md", "The Collective Security Treaty Organization.",
               "The Collective Security Treaty Organization, a military alliance.")
    result = build(project_copy)
    assert result.returncode == 0, result.output[-3000:]
    assert result.pages("reading sources") == ["book/acronyms"]
    renamed = preview_script(html, "book/introduction")
    assert renamed != script and renamed.exists()
    assert "a military alliance" in renamed.read_text(encoding="utf-8")


@pytest.mark.parametrize("change, message", [
    (lambda root: (root / "book" / "chapter1.ipynb").write_text("{}", encoding="utf-8"),
     "_toc.yml: the entry 'book/chapter1' matches two files, book/chapter1.md and book/chapter1.ipynb"),
    (lambda root: replace_in(root / "_toc.yml", "- file: book/conclusions", "- file: book/conclusion"),
     "_toc.yml: the entry 'book/conclusion' names no file"),
    (lambda root: (root / "book" / "tables.md").write_text(
        (root / "book" / "tables.md").read_text(encoding="utf-8")
        + "\n```{code-cell} ipython3\nimport os\nos._exit(1)\n```\n", encoding="utf-8"),
     "book/tables.md: execution failed: "),
])
def test_structural_faults_end_in_one_short_message(project_copy, change, message):
    change(project_copy)
    result = build(project_copy)
    assert result.returncode != 0
    assert message in result.output, result.output[-3000:]
    assert "Traceback (most recent call last)" not in result.output


def test_a_kernel_that_dies_before_answering_is_started_again(monkeypatch):
    """Kernels started at once by separate workers can be given the same free port, and the one
    that cannot bind it exits before answering: its notebook gets a new kernel (no cell had run),
    up to tools.execute_notebooks.KERNEL_STARTS times, then fails naming the notebook."""
    from conftest import ROOT
    from tools import execute_notebooks, kernel_server

    real = kernel_server.kernel_manager_class
    deaths: list[int] = []

    def dying(times: int):
        def manager_class():
            class DiesAtStart(real()):
                def client(self, **kwargs):
                    client = super().client(**kwargs)
                    if len(deaths) < times:
                        async def died(timeout=None):
                            deaths.append(1)
                            raise kernel_server.KernelStartFailed("the kernel died before it answered")
                        client.wait_for_ready = died
                    return client
            return DiesAtStart
        return manager_class

    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # nbclient registers a clean-up of each kernel to run at exit, which fails on a client whose
    # kernel never answered ("assert self.km is not None"); the build's pool workers never run
    # it (they end with os._exit), this test process would, after the last test.
    monkeypatch.setattr(atexit, "register", lambda *args, **kwargs: None)
    page = str(ROOT / "book" / "about.md")
    monkeypatch.setattr(kernel_server, "kernel_manager_class", dying(1))
    notebook, _, used = execute_notebooks.execute(page)
    assert deaths == [1] and used["files"] and any(cell.get("outputs") for cell in notebook.cells)
    deaths.clear()
    monkeypatch.setattr(kernel_server, "kernel_manager_class", dying(execute_notebooks.KERNEL_STARTS))
    with pytest.raises(execute_notebooks.NotebookFailed, match="book/about.md: execution failed: no kernel "
                       "started in 3 attempts: the kernel died before it answered"):
        execute_notebooks.execute(page)
    assert len(deaths) == execute_notebooks.KERNEL_STARTS
