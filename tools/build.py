"""Build the book: execute what is stale, then render with warnings as errors.

    python -m tools.build html     # _build/html
    python -m tools.build latex    # _build/latex (PDF through XeLaTeX: see `make pdf`)

Only `_build/` is written: sources, data and references.bib are read, never changed.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
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
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", builder,
               "--warningiserror", "--keep-going"]
    # Sphinx rewrites only changed pages, so after an edit of the table of contents or the
    # configuration the other pages would keep a stale sidebar: rebuild them all then.
    stamp = ROOT / "_build" / f".structure-{builder}"
    current = structure_digest()
    if not stamp.exists() or stamp.read_text() != current:
        command.append("--all")
    status = subprocess.call(command, cwd=ROOT)
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
