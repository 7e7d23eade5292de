"""Build the book: execute what is stale, then render with warnings as errors.

    python -m tools.build html     # _build/html
    python -m tools.build latex    # _build/latex/thesis.tex (LaTeX sources only)
    python -m tools.build pdf      # _build/latex/thesis.pdf (the LaTeX sources through XeLaTeX)
    python -m tools.build epub     # _build/epub/thesis.epub, checked with epubcheck

Every format is rendered from the same executed notebooks (the jupyter-cache that
tools/execute_notebooks.py keeps fresh), so a second format executes nothing; the PDF's copies
of the charts are drawn by the PDF build (tools/printed_charts.py). What is out of date
follows one rule (book_extensions/dependencies.py); this file adds what a run needs to end
consistent or fail:

* one build at a time per checkout (a lock; a second build waits for the first);
* a run that did not succeed (an error, a warning, SIGINT or SIGTERM) makes the next run read
  every page again (Sphinx's fresh environment), so a fault fails again until it is fixed;
* no process outlives the build; after a successful HTML build, `_build/html` holds only files
  that its pages use;
* an error is a short message; the traceback goes to `_build/build-error.log`;
* every successful build writes the results manifest, `_build/results-manifest.json`
  (tools/results.py); the HTML build publishes it in `_build/html` with the source at the built
  commit (`source.tar.gz`), both linked from the About page.

Only `_build/` is written: sources, data and references.bib are read, never changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from book_extensions import records
from tools import execute_notebooks, unchanged

ROOT = execute_notebooks.ROOT
BUILD = ROOT / "_build"
LATEX_DIR = BUILD / "latex"
EPUB_DIR = BUILD / "epub"
HTML_DIR = BUILD / "html"
PDF_NAME = "thesis"
# Present while a run is under way, and left behind by a run that did not succeed.
UNFINISHED = BUILD / ".unfinished"
LOCK = BUILD / ".lock"
ERROR_LOG = BUILD / "build-error.log"
# What a `make book` that finds nothing changed since its last successful build prints.
UP_TO_DATE = "nothing changed since the last build, which succeeded"
# The digest of the last references.bib that read without problems: not parsed twice.
REFS_READ = BUILD / ".references-read"

# Sphinx builder and output folder per target.
TARGETS = {"html": ("html", HTML_DIR), "latex": ("latex", LATEX_DIR), "pdf": ("latex", LATEX_DIR),
           "epub": ("epub", EPUB_DIR)}
# Folders of the HTML output whose files are only there because a page uses them.
SWEPT = ("_images", "_downloads", "_static/tippy")


# Paths relative to the project: a copy of it keeps the same configuration (and so its Sphinx
# environment, for an incremental build).
CONFIG_OVERRIDES = {"external_toc_path": "_toc.yml", "latex_individualpages": False}


class BuildFailed(RuntimeError):
    """The message says what is wrong and where; nothing more needs to be printed."""


@contextmanager
def exclusive_build():
    """Serialise builds of one checkout: two at once would write the same files."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            print(f"waiting for the build already running in this checkout "
                  f"(pid {lock.read().strip() or 'unknown'}) to finish…", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def sphinx(target: str, fresh: bool) -> int:
    """Jupyter Book's Sphinx build, in this process: the libraries that the notebook step
    imported (myst-nb, jupyter-cache, nbformat) serve Sphinx too."""
    from jupyter_book.sphinx import build_sphinx

    builder, outdir = TARGETS[target]
    os.chdir(ROOT)
    result = build_sphinx(ROOT, outdir, use_external_toc=True, noconfig=True,
                          path_config=str(ROOT / "_config.yml"),
                          confoverrides=dict(CONFIG_OVERRIDES),
                          builder=builder, warningiserror=True, keep_going=True, freshenv=fresh)
    return result if isinstance(result, int) else 1


def sweep_html() -> list[Path]:
    """Remove from `_build/html` the images, downloads and preview scripts that no page uses any
    more (Sphinx and sphinx-tippy add files but never remove them)."""
    pages = [p for p in HTML_DIR.rglob("*.html")]
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in pages)
    removed = []
    for folder in SWEPT:
        for path in sorted((HTML_DIR / folder).rglob("*")):
            if path.is_file() and path.relative_to(HTML_DIR / folder).as_posix() not in text:
                path.unlink()
                removed.append(path)
    for folder in SWEPT:  # empty folders left behind
        for path in sorted((HTML_DIR / folder).rglob("*"), reverse=True):
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return removed


def latex_log_problems(log: str) -> list[str]:
    """What a successful XeLaTeX run can still get wrong: glyphs missing from the fonts,
    unresolved cross-references and citations."""
    problems = []
    for line in log.splitlines():
        if line.startswith("Missing character:"):
            problems.append(line.strip())
            found = re.search(r"There is no (\S+)", line)
            if found:
                problems += [f"  {place}: {found.group(1)} (U+{ord(found.group(1)[0]):04X}) is written "
                             f"here; the PDF's fonts have no glyph for it"
                             for place in source_lines_with(found.group(1))]
    for match in re.finditer(r"LaTeX Warning: (Reference|Citation|Hyper reference) [`'](.+?)' on page (\S+)"
                             r" undefined", log):
        problems.append(f"undefined {match.group(1).lower()} {match.group(2)} on page {match.group(3)}")
    if "There were undefined references" in log:
        problems.append("LaTeX: there were undefined references")
    return sorted(set(problems), key=problems.index)


# The files a character of the book's text can come from.
SOURCES = ("book/*.md", "book/*.csv", "notebooks/*.md", "data/*.csv", "references.bib", "_config.yml")


def source_lines_with(text: str) -> list[str]:
    """`FILE:LINE` of every source line that contains `text` (a character the fonts lack)."""
    places = []
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if text in line:
                    places.append(f"{path.relative_to(ROOT).as_posix()}:{number}")
    return places


def latex_to_pdf() -> None:
    """`_build/latex/thesis.tex` → `thesis.pdf` with latexmk and XeLaTeX (as many runs as the
    contents, lists and cross-references need). A failed or incomplete PDF is removed."""
    if shutil.which("latexmk") is None or shutil.which("xelatex") is None:
        raise BuildFailed("latexmk and xelatex are missing: run `tools/debian-packages.sh pdf` "
                          "(or `make pdf`, which does)")
    pdf = LATEX_DIR / f"{PDF_NAME}.pdf"
    status = subprocess.call(["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error",
                              "-file-line-error", f"{PDF_NAME}.tex"], cwd=LATEX_DIR,
                             stdout=subprocess.DEVNULL)
    log_path = LATEX_DIR / f"{PDF_NAME}.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    if status != 0:
        pdf.unlink(missing_ok=True)
        errors = [line for line in log.splitlines() if re.match(r"^(\./|!)", line) and "error" in line.lower()
                  or line.startswith("!")]
        raise BuildFailed("XeLaTeX failed on _build/latex/thesis.tex:\n  " + "\n  ".join(
            errors[:20] or [f"see {log_path.relative_to(ROOT)}"]))
    problems = latex_log_problems(log)
    if problems:
        pdf.unlink(missing_ok=True)
        raise BuildFailed("the PDF would be incomplete (_build/latex/thesis.log):\n  "
                          + "\n  ".join(problems[:40]))
    print(f"PDF: {pdf.relative_to(ROOT)}")


def epubcheck_command() -> list[str] | None:
    """Debian's /usr/bin/epubcheck is the jar itself (run through binfmt_misc, which containers
    often lack): run it with java."""
    found = shutil.which("epubcheck")
    if found is None:
        return None
    target = Path(found).resolve()
    if target.suffix == ".jar":
        return ["java", "-jar", str(target)] if shutil.which("java") else None
    return [found]


def epubcheck() -> None:
    epub = EPUB_DIR / f"{PDF_NAME}.epub"
    if not epub.exists():
        raise BuildFailed(f"the EPUB builder wrote no {epub.relative_to(ROOT)}")
    command = epubcheck_command()
    if command is None:
        raise BuildFailed("epubcheck is missing: run `tools/debian-packages.sh epub` "
                          "(or `make epub`, which does)")
    if subprocess.call([*command, str(epub)]) != 0:
        raise BuildFailed(f"epubcheck found errors in {epub.relative_to(ROOT)} (see above)")
    print(f"EPUB: {epub.relative_to(ROOT)} (epubcheck: no errors)")


def check_references() -> None:
    """references.bib can be read, checked before Sphinx, whose message names no file (or a wrong
    line); a file already read without problems is not parsed again."""
    from tools import refs

    digest = hashlib.sha256((ROOT / refs.BIB_NAME).read_bytes()).hexdigest()
    if REFS_READ.exists() and REFS_READ.read_text(encoding="utf-8") == digest:
        return
    problem = refs.syntax_error()
    if problem:
        raise BuildFailed(problem)
    REFS_READ.write_text(digest, encoding="utf-8")


def build(target: str, render=sphinx, rendered=lambda: None, may_skip: bool = True) -> None:
    """`render(target, fresh)` runs Sphinx (make preview keeps one application alive);
    `rendered()` is called as soon as the pages are written, before the manifest and the rest;
    `may_skip=False` runs Sphinx even when nothing changed (make preview, which knows what did)."""
    # The HTML only (`make book`, run after every edit): the PDF and the EPUB are built in full
    # when asked for.
    record = unchanged.Record(BUILD / ".unchanged-html", [HTML_DIR, records.cache_path(ROOT)])
    inputs = unchanged.inputs(ROOT) if target == "html" else None
    if may_skip and inputs is not None and not UNFINISHED.exists() and record.matches(inputs):
        execute_notebooks.write_report([], [], 0.0)
        print(f"{UP_TO_DATE}: {HTML_DIR.relative_to(ROOT)} is up to date", flush=True)
        return
    record.forget()
    check_references()
    fresh = UNFINISHED.exists()
    if fresh:
        print("the last build did not finish: every page is read again", flush=True)
    UNFINISHED.touch()
    try:
        execute_notebooks.run()
    except execute_notebooks.NotebookFailed as error:
        raise BuildFailed(f"a notebook failed, the book was not built:\n{error}") from None
    except records.NotebookUnreadable as error:
        raise BuildFailed(f"{error}; the book was not built") from None
    if target in ("latex", "pdf"):
        from tools import printed_charts

        try:
            drawn = printed_charts.draw()
        except printed_charts.ChartFailed as error:
            raise BuildFailed(f"{error}; the PDF was not built") from None
        if drawn:
            print(f"printed copies of charts drawn: {drawn}", flush=True)
    if target == "epub":
        # The EPUB packs every file of its folder: start empty (a previous run leaves the book
        # and sphinx-external-toc's redirect page there).
        shutil.rmtree(EPUB_DIR, ignore_errors=True)
    if render(target, fresh) != 0:
        raise BuildFailed(f"the {target} build failed (the messages above name the file)")
    rendered()
    from tools import results

    # The manifest of this build's results, and (in the web book) the source it was built from.
    manifest = results.write_manifest()
    if target == "html":
        sweep_html()
        shutil.copy2(manifest, HTML_DIR / results.MANIFEST_NAME)
        results.write_source_archive(ROOT, HTML_DIR / results.SOURCE_ARCHIVE_NAME)
    if target == "pdf":
        latex_to_pdf()
    if target == "epub":
        epubcheck()
    UNFINISHED.unlink()
    if inputs is not None:
        record.write(inputs)


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    target = argv[0] if argv else "html"
    if target not in TARGETS:
        print(f"error: unknown target {target!r} (one of: {', '.join(TARGETS)})", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with exclusive_build():
            build(target)
        return 0
    except BuildFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        execute_notebooks.stop_children()
        print("interrupted: the next build reads every page again", file=sys.stderr, flush=True)
        sys.stdout.flush()
        # At once: a normal exit would wait for the notebook pool's threads, which wait for
        # workers that are gone.
        os._exit(130)
    except Exception as error:  # noqa: BLE001 - a short message; the traceback to the log
        ERROR_LOG.write_text(traceback.format_exc(), encoding="utf-8")
        print(f"error: {type(error).__name__}: {error}\n(the traceback is in "
              f"{ERROR_LOG.relative_to(ROOT)})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
