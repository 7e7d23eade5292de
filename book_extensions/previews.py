"""Hover previews that survive an incremental build.

sphinx-tippy gathers a page's previews while the page is written and keeps them in the Sphinx
environment, which Sphinx saves before it writes: a build that wrote one page knew nothing of
the others, and that page's previews of other pages (a figure of the survey appendix, a term of
the acronyms) were lost. Here the previews of every page are kept beside the doctrees, one file
per builder, and a page's script is written again when the page is written, or when a page that
it previews is (its script holds that page's HTML); the other scripts stay as they are.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import sphinx_tippy
from sphinx.application import Sphinx


def kept_path(app: Sphinx) -> Path:
    return Path(app.doctreedir) / f"previews-{app.builder.name}.pickle"


def read_kept(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return {}  # none kept yet, or an unreadable file: the pages written now are kept


def forget_last_build(app: Sphinx, env, docnames) -> None:
    """sphinx-tippy's pages are those written by this build (make preview's application builds
    again and again)."""
    sphinx_tippy.get_tippy_data(app)["pages"].clear()


def write_scripts(app: Sphinx, exception) -> None:
    if exception or app.builder.format != "html":
        return
    data = sphinx_tippy.get_tippy_data(app)
    written = dict(data["pages"])
    path = kept_path(app)
    pages = {name: page for name, page in {**read_kept(path), **written}.items()
             if name in app.env.all_docs}
    stale = {name: page for name, page in pages.items()
             if name in written or any(other in written for other, _ in page["refs_in_page"])}
    data["pages"] = pages  # every page's previews, to be looked up
    try:
        caches = [fetch(app, stale) for fetch in (sphinx_tippy.fetch_wikipedia_tips,
                                                  sphinx_tippy.fetch_doi_tips, sphinx_tippy.fetch_rtd_tips)]
        for name in sorted(stale):
            sphinx_tippy.write_tippy_props_page(app, name, *caches)
    finally:
        data["pages"] = written
    temporary = path.with_suffix(".tmp")  # then renamed into place: a build reads it whole or not at all
    temporary.write_bytes(pickle.dumps(pages, pickle.HIGHEST_PROTOCOL))
    temporary.replace(path)


def setup(app: Sphinx) -> None:
    # In place of sphinx-tippy's own writer, which writes the scripts of the pages it knows.
    for listener in list(app.events.listeners.get("build-finished", [])):
        if listener.handler is sphinx_tippy.write_tippy_js:
            app.disconnect(listener.id)
    app.connect("build-finished", write_scripts)
    app.connect("env-before-read-docs", forget_last_build)
