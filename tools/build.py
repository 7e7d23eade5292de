"""Build the book: execute what is stale, then render with warnings as errors.

    python -m tools.build html     # _build/html
    python -m tools.build latex    # _build/latex/thesis.tex (LaTeX sources only)
    python -m tools.build pdf      # _build/latex/thesis.pdf (the LaTeX sources through XeLaTeX)
    python -m tools.build epub     # _build/epub/thesis.epub, checked with epubcheck

Every format is rendered from the same executed notebooks (the jupyter-cache that
tools/execute_notebooks.py keeps fresh), so a second format executes nothing.
Only `_build/` is written: sources, data and references.bib are read, never changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools import execute_notebooks

ROOT = execute_notebooks.ROOT
LATEX_DIR = ROOT / "_build" / "latex"
EPUB_DIR = ROOT / "_build" / "epub"
PDF_NAME = "thesis"

# What `jupyter-book build` is asked for, per target.
BUILDERS = {
    "html": ["--builder", "html"],
    "latex": ["--builder", "latex"],
    "pdf": ["--builder", "latex"],
    "epub": ["--builder", "custom", "--custom-builder", "epub"],
}


STRUCTURE_FILES = ("_toc.yml", "_config.yml")


def structure_digest() -> str:
    digest = hashlib.sha256()
    for name in STRUCTURE_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def jupyter_book(target: str) -> int:
    command = ["build", str(ROOT), *BUILDERS[target], "--warningiserror", "--keep-going"]
    # Sphinx rewrites only changed pages, so after an edit of the table of contents or the
    # configuration the other pages would keep a stale sidebar: rebuild them all then.
    stamp = ROOT / "_build" / f".structure-{BUILDERS[target][-1]}"
    current = structure_digest()
    if not stamp.exists() or stamp.read_text() != current:
        command.append("--all")
    # In this process, not a new one: the libraries that the notebook step imported (myst-nb,
    # jupyter-cache, nbformat) serve Sphinx too, which halves the time of a no-change rebuild.
    from jupyter_book.cli.main import main as jupyter_book_cli

    os.chdir(ROOT)
    try:
        jupyter_book_cli.main(command, standalone_mode=False)
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    if status == 0:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current)
    return status


def latex_log_problems(log: str) -> list[str]:
    """What a successful XeLaTeX run can still get wrong: glyphs missing from the fonts,
    unresolved cross-references and citations."""
    problems = []
    for line in log.splitlines():
        if line.startswith("Missing character:"):
            problems.append(line.strip())
    for match in re.finditer(r"LaTeX Warning: (Reference|Citation|Hyper reference) [`'](.+?)' on page (\S+)"
                             r" undefined", log):
        problems.append(f"undefined {match.group(1).lower()} {match.group(2)} on page {match.group(3)}")
    if "There were undefined references" in log:
        problems.append("LaTeX: there were undefined references")
    return sorted(set(problems), key=problems.index)


def latex_to_pdf() -> int:
    """`_build/latex/thesis.tex` → `thesis.pdf` with latexmk and XeLaTeX (as many runs as the
    contents, lists and cross-references need)."""
    if shutil.which("latexmk") is None or shutil.which("xelatex") is None:
        print("error: latexmk and xelatex are missing: run `tools/debian-packages.sh pdf` "
              "(or `make pdf`, which does)", file=sys.stderr)
        return 1
    tex = f"{PDF_NAME}.tex"
    status = subprocess.call(["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error",
                              "-file-line-error", tex], cwd=LATEX_DIR, stdout=subprocess.DEVNULL)
    log_path = LATEX_DIR / f"{PDF_NAME}.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    if status != 0:
        errors = [line for line in log.splitlines() if re.match(r"^(\./|!)", line) and "error" in line.lower()
                  or line.startswith("!")]
        print("error: XeLaTeX failed on _build/latex/thesis.tex:\n  " + "\n  ".join(errors[:20] or
              [f"see {log_path.relative_to(ROOT)}"]), file=sys.stderr)
        return status
    problems = latex_log_problems(log)
    if problems:
        print("error: the PDF was made but is incomplete (_build/latex/thesis.log):\n  "
              + "\n  ".join(problems[:40]), file=sys.stderr)
        return 1
    print(f"PDF: {(LATEX_DIR / (PDF_NAME + '.pdf')).relative_to(ROOT)}")
    return 0


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


def epubcheck() -> int:
    epub = EPUB_DIR / f"{PDF_NAME}.epub"
    if not epub.exists():
        print(f"error: the EPUB builder wrote no {epub.relative_to(ROOT)}", file=sys.stderr)
        return 1
    command = epubcheck_command()
    if command is None:
        print("error: epubcheck is missing: run `tools/debian-packages.sh epub` "
              "(or `make epub`, which does)", file=sys.stderr)
        return 1
    status = subprocess.call([*command, str(epub)])
    if status == 0:
        print(f"EPUB: {epub.relative_to(ROOT)} (epubcheck: no errors)")
    else:
        print(f"error: epubcheck found errors in {epub.relative_to(ROOT)} (see above)", file=sys.stderr)
    return status


def main(argv: list[str]) -> int:
    target = argv[0] if argv else "html"
    if target not in BUILDERS:
        print(f"error: unknown target {target!r} (one of: {', '.join(BUILDERS)})", file=sys.stderr)
        return 2
    try:
        execute_notebooks.run()
    except execute_notebooks.NotebookFailed as error:
        print(f"error: a notebook failed, the book was not built:\n{error}", file=sys.stderr)
        return 1
    if target == "epub":
        # The EPUB packs every file of its folder: start empty (a previous run leaves the book
        # and sphinx-external-toc's redirect page there).
        shutil.rmtree(EPUB_DIR, ignore_errors=True)
    status = jupyter_book(target)
    if status != 0:
        print(f"error: the {target} build failed (see the messages above, which name the file)",
              file=sys.stderr)
        return status
    if target == "pdf":
        return latex_to_pdf()
    if target == "epub":
        return epubcheck()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
