"""Build the book: execute what is stale, then render with warnings as errors.

    python -m tools.build html     # _build/html
    python -m tools.build latex    # _build/latex (PDF through XeLaTeX: see `make pdf`)

Only `_build/` is written: sources, data and references.bib are read, never changed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
import sys

from tools import execute_notebooks

ROOT = execute_notebooks.ROOT


def jupyter_book(builder: str) -> int:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", builder,
               "--warningiserror", "--keep-going"]
    return subprocess.call(command, cwd=ROOT)


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
