"""Build the book: execute what is stale, then render with warnings as errors.

    python -m tools.build html     # _build/html
    python -m tools.build latex    # _build/latex (PDF through XeLaTeX: see `make pdf`)

Only `_build/` is written: sources, data and references.bib are read, never changed.
"""

from __future__ import annotations

import hashlib
import os
import sys

from tools import execute_notebooks

ROOT = execute_notebooks.ROOT


STRUCTURE_FILES = ("_toc.yml", "_config.yml")


def structure_digest() -> str:
    digest = hashlib.sha256()
    for name in STRUCTURE_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def jupyter_book(builder: str) -> int:
    command = ["build", str(ROOT), "--builder", builder, "--warningiserror", "--keep-going"]
    # Sphinx rewrites only changed pages, so after an edit of the table of contents or the
    # configuration the other pages would keep a stale sidebar: rebuild them all then.
    stamp = ROOT / "_build" / f".structure-{builder}"
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
        stamp.write_text(current)
    return status


def main(argv: list[str]) -> int:
    builder = argv[0] if argv else "html"
    try:
        execute_notebooks.run()
    except execute_notebooks.NotebookFailed as error:
        print(f"error: a notebook failed, the book was not built:\n{error}", file=sys.stderr)
        return 1
    status = jupyter_book(builder)
    if status != 0:
        print(f"error: the {builder} build failed (see the messages above, which name the file)",
              file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
