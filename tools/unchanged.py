"""Whether anything changed since the last successful `make book`, checked before anything heavy
is imported: with nothing to do, it ends in a fraction of a second instead of starting Sphinx
to find that no page is out of date.

This is not a second rule for what is out of date (that is book_extensions/dependencies.py): it
only says "nothing at all changed", from the size and modification time of every file of the
project (whatever the build may read: pages, notebooks, data, references.bib, kzthesis,
book_extensions, configuration, templates, static files, the lock file), of every file of
`_build/html` and of the notebook cache, the commit and the state of the git checkout (which
the results manifest records), and the installed packages. Any difference, a run that did not
succeed, or a build interrupted after it started (the record is removed when a build starts and
written only when it succeeded) hands the run to the full build.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

# Folders that hold no input of the build (outputs, environments, caches): no source either
# (tools/results.py archives the others).
NOT_INPUT = {".git", ".venv", "_build", "__pycache__", ".pytest_cache", ".ipynb_checkpoints", "node_modules"}
# What the build's outputs depend on besides files.
ENVIRONMENT_VARIABLES = ("SOURCE_DATE_EPOCH",)


def _files(folder: Path, skip: set[str] = frozenset()):
    for parent, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(s for s in subfolders if s not in skip and not s.endswith(".egg-info"))
        for name in sorted(files):
            path = os.path.join(parent, name)
            try:
                stat = os.stat(path)
            except FileNotFoundError:  # removed while walking
                continue
            yield f"{os.path.relpath(path, folder)} {stat.st_size} {stat.st_mtime_ns}\n"


def _git_state(root: Path) -> str:
    """The commit and `git status` (the manifest says which commit was built and whether the
    tree was clean): a commit changes the published source archive without changing a file."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
                              capture_output=True, text=True)
    except FileNotFoundError:
        return "no git"
    if head.returncode != 0:
        return "not a checkout"
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=normal"],
                            capture_output=True, text=True)
    return head.stdout + status.stdout


def inputs(root: Path) -> str:
    """The state of everything a build reads; taken before the build, so that a file saved while
    it runs makes the next run build again."""
    digest = hashlib.sha256()
    for line in _files(root, NOT_INPUT):
        digest.update(line.encode())
    digest.update(_git_state(root).encode())
    # A package installed, removed or upgraded changes the folder it is installed in.
    for folder in sys.path:
        if os.path.isdir(folder):
            digest.update(f"{folder} {os.stat(folder).st_mtime_ns}\n".encode())
    digest.update(sys.version.encode())
    for name in ENVIRONMENT_VARIABLES:
        digest.update(f"{name}={os.environ.get(name)}\n".encode())
    return digest.hexdigest()


def outputs(folders: list[Path]) -> str:
    """The state of the build's outputs: a removed or altered output is built again."""
    digest = hashlib.sha256()
    for folder in folders:
        digest.update(f"{folder}\n".encode())
        for line in _files(folder):
            digest.update(line.encode())
    return digest.hexdigest()


class Record:
    """The state of inputs and outputs after the last successful build of one format."""

    def __init__(self, path: Path, outputs: list[Path]):
        self.path = path
        self.outputs = outputs

    def matches(self, inputs_now: str) -> bool:
        if not self.path.is_file():
            return False
        return self.path.read_text(encoding="utf-8") == f"{inputs_now}\n{outputs(self.outputs)}\n"

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)

    def write(self, inputs_before: str) -> None:
        self.path.write_text(f"{inputs_before}\n{outputs(self.outputs)}\n", encoding="utf-8")
