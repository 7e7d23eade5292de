"""What the notebook step records about each executed notebook, and how Sphinx reads it back.

`tools/execute_notebooks.py` stores, with every notebook it executes into the jupyter-cache, the
repository files the run used (data files, `kzthesis` modules, edition notes), their content
digests, and for each figure call the files that call used. The same record decides both halves
of the one staleness rule: the notebook is executed again when one of those files changed
(by content), and Sphinx re-reads the page when one of them changed (`dependencies`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

RECORD_KEY = "kzthesis"


@dataclass
class NotebookRecord:
    reads: list[str]                                     # repository-relative paths
    digests: dict[str, str]                              # path -> content digest at execution
    figures: list[dict] = field(default_factory=list)    # {"function", "args", "files"}

    def as_data(self) -> dict:
        return {RECORD_KEY: {"reads": self.reads, "digests": self.digests, "figures": self.figures}}

    @classmethod
    def from_data(cls, data: dict | None) -> "NotebookRecord | None":
        found = (data or {}).get(RECORD_KEY)
        if not found or "digests" not in found:
            return None
        return cls(found["reads"], found["digests"], found.get("figures", []))

    def changed(self, root: Path) -> list[str]:
        """The recorded files whose content differs now (or that are gone)."""
        return [name for name in self.reads if file_digest(root / name) != self.digests.get(name)]

    def figure_files(self, function: str, args: tuple) -> list[str] | None:
        for figure in self.figures:
            if figure["function"] == function and tuple(figure["args"]) == tuple(args):
                return figure["files"]
        return None


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


# libyaml's parser where PyYAML has it (the wheels do): _config.yml is read at every build, and
# the pure-Python parser takes a tenth of a second over it.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def cache_path(root: Path) -> Path:
    """The jupyter-cache folder that myst-nb reads (`execute: cache:` in _config.yml)."""
    config = yaml.load((root / "_config.yml").read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
    return root / config.get("execute", {}).get("cache", "_build/.jupyter_cache")


# The printed copies of the charts, which the PDF build draws (tools/printed_charts.py) and the
# LaTeX output uses (book_extensions/latex.py), and their index {SVG file stem: copy's file name}.
PRINTED_CHARTS = "_build/printed-charts"
PRINTED_CHARTS_INDEX = "index.json"


def printed_charts(root: Path) -> dict[str, str]:
    """The index of the printed copies of `root` (empty if no PDF build drew them)."""
    path = root / PRINTED_CHARTS / PRINTED_CHARTS_INDEX
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def is_notebook(text: str) -> bool:
    """A MyST page is a notebook when its front matter names a kernel (as myst-nb decides)."""
    if not text.startswith("---"):
        return False
    front = yaml.load(text.split("---", 2)[1], Loader=_YAML_LOADER) or {}
    return isinstance(front, dict) and "kernelspec" in front


def read_notebook(path: Path, text: str | None = None):
    """The page as myst-nb reads it (code cells and metadata decide the cache entry): a copy of
    its own, which the caller may change."""
    text = path.read_text(encoding="utf-8") if text is None else text
    return copy.deepcopy(_parsed_notebook(path, text))


@functools.lru_cache(maxsize=512)
def _parsed_notebook(path: Path, text: str):
    """Parsed once per text in a process that builds again and again (make preview), where
    every build checks every notebook's cache entry."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    from myst_nb.core.read import MystMetadataParsingError

    try:
        return read_myst_markdown_notebook(text, MdParserConfig(), add_source_map=True, path=path)
    except MystMetadataParsingError as error:
        # myst-nb names the cell's line but not the file.
        try:
            shown = path.resolve().relative_to(Path.cwd())
        except ValueError:
            shown = path
        raise NotebookUnreadable(f"{shown}: {error}") from None


class NotebookUnreadable(ValueError):
    """A page whose code cells myst-nb cannot read (e.g. bad YAML in a cell's options)."""


def lookup(cache, path: Path, text: str | None = None) -> tuple[object | None, NotebookRecord | None]:
    """(cache record, our record) of the notebook `path` as it is now; (None, None) when no
    execution of its current code is cached."""
    text = path.read_text(encoding="utf-8") if text is None else text
    return lookup_all(cache, [(path, text)])[0]


def lookup_all(cache, pages: list[tuple[Path, str]]) -> list[tuple[object | None, NotebookRecord | None]]:
    """lookup() of each (path, text), in one query of the cache's database (a query each took
    most of the time a build spends learning which notebooks are stale, growing with the book)."""
    from jupyter_cache.cache.db import NbCacheRecord, session_context  # what match_cache_notebook queries

    keys = [_hashkeys.of(cache, path, text) for path, text in pages]
    with session_context(cache.db) as session:
        found = {r.hashkey: r for r in session.query(NbCacheRecord).filter(NbCacheRecord.hashkey.in_(set(keys)))}
        session.expunge_all()
    return [(found[key], NotebookRecord.from_data(found[key].data)) if key in found else (None, None)
            for key in keys]


HASHKEYS_KEPT = "kzthesis-hashkeys.json"  # in the jupyter-cache's folder


class _Hashkeys:
    """The key by which the jupyter-cache knows a page's code: jupyter-cache's hash of its code
    cells as myst-nb reads them. Reading a page takes 30 ms, and every build looks up every
    notebook of the book (growing with the book), so the key is kept by the page's text (of
    which it is a function, for given versions of the three libraries) in the cache's folder;
    only the pages of the last run's lookups are kept."""

    def __init__(self):
        self.folder: str | None = None
        self.known: dict[str, str] = {}
        self.used: dict[str, str] = {}

    def of(self, cache, path: Path, text: str) -> str:
        if self.folder != str(cache.path):
            self.folder = str(cache.path)
            try:
                self.known = json.loads((Path(self.folder) / HASHKEYS_KEPT).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.known = {}
            self.used = {}
        key = hashlib.sha256(f"{_library_versions()}\n{text}".encode()).hexdigest()
        if key not in self.known:
            # jupyter-cache hashes a copy of the notebook: the parsed one itself is enough.
            _, self.known[key] = cache.create_hashed_notebook(_parsed_notebook(path, text))
        self.used[key] = self.known[key]
        return self.used[key]

    def save(self) -> None:
        """Keep the keys of this run's lookups (written whole, then renamed into place)."""
        if self.folder is None or not Path(self.folder).is_dir():
            return
        write_json_whole(Path(self.folder) / HASHKEYS_KEPT, self.used)
        self.known, self.used = dict(self.used), {}


def write_json_whole(path: Path, data) -> None:
    """Write `data` as JSON to a file beside `path`, then rename it into place: a build that
    reads `path` finds the old contents or the new, never a part."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


@functools.cache
def _library_versions() -> str:
    from importlib.metadata import version

    return " ".join(f"{name} {version(name)}" for name in ("myst-nb", "jupyter-cache", "nbformat"))


_hashkeys = _Hashkeys()
save_hashkeys = _hashkeys.save
