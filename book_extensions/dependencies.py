"""The one rule for what is out of date: a page is re-read when a file it depends on changed.

Sphinx re-reads a page when its source or a file registered with `env.note_dependency` is newer
than the page's last reading. Each page registers:

* the files its notebook used when it last executed (data files, `kzthesis` modules, edition
  notes), from the record that `tools/execute_notebooks.py` stored in the jupyter-cache: a data
  edit re-executes the notebook and re-reads the page, with nothing else to remember;
* the inputs every page is read with: `_config.yml`, `_toc.yml` (the sidebar of every page) and
  the Python of `book_extensions` (the citation style, these extensions).

Style sheets, scripts and templates (`_static/`, `book_extensions/static/`, `.../templates/`)
change no page's content, only its HTML: when one changes, every page is written again without
being read (`rewrite_for_assets`), as Sphinx does when the HTML options change.

A build that fails or is interrupted leaves nothing to trust: `tools/build.py` then makes the
next run read every page again, so a fault fails again until it is fixed.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

from . import HERE, records

logger = logging.getLogger(__name__)

RECORD = "book_extensions_notebook_record"  # env.temp_data key: the page's NotebookRecord


def rendering_inputs(root: Path) -> list[Path]:
    """The files every page of the book is read with."""
    return [root / "_config.yml", root / "_toc.yml", *sorted(HERE.glob("*.py")), *sorted(HERE.glob("*.sty"))]


def asset_files(root: Path) -> list[Path]:
    """The style sheets, scripts and templates every page is written with."""
    folders = (root / "_static", HERE / "static", HERE / "templates")
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())


ASSETS_KEY = "book_assets_state"  # env: (path, size, mtime) of the assets when last written


def rewrite_for_assets(app, env) -> list[str]:
    root = Path(app.srcdir)
    state = [(p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
             for p in asset_files(root)]
    previous = getattr(env, ASSETS_KEY, None)
    env.__dict__[ASSETS_KEY] = state
    return sorted(env.found_docs) if previous is not None and previous != state else []


class _BuildState:
    """Looked up once per build: the rendering inputs and the jupyter-cache."""

    def __init__(self, root: Path):
        from jupyter_cache import get_cache

        self.inputs = rendering_inputs(root)
        self.cache = get_cache(str(records.cache_path(root)))


def start(app) -> None:
    app.book_dependencies = _BuildState(Path(app.srcdir))


def note_dependencies(app, docname: str, source: list[str]) -> None:
    env = app.env
    root = Path(app.srcdir)
    state = app.book_dependencies
    # Paths relative to the project (Sphinx joins them to its source folder): a copy of the
    # project depends on its own files.
    for path in state.inputs:
        env.note_dependency(path.relative_to(root).as_posix())
    if not records.is_notebook(source[0]):
        return
    _, record = records.lookup(state.cache, Path(env.doc2path(docname)), source[0])
    if record is None:
        logger.info("%s: not executed by tools/execute_notebooks.py; its data dependencies are "
                    "not tracked", docname)
        return
    env.temp_data[RECORD] = record
    for name in record.reads:
        env.note_dependency(name)


def page_record(env) -> records.NotebookRecord | None:
    """The record of the page being read (None for a page without code)."""
    return env.temp_data.get(RECORD)


def setup(app) -> None:
    app.connect("builder-inited", start)
    app.connect("source-read", note_dependencies)
    app.connect("env-get-updated", rewrite_for_assets)
