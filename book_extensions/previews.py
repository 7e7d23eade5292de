"""Hover previews that survive an incremental build.

sphinx-tippy gathers a page's previews while the page is written and keeps them in the Sphinx
environment, which Sphinx saves before it writes: a build that wrote one page knew nothing of
the others, and that page's previews of other pages (a figure of the survey appendix, a term of
the acronyms) were lost. Here the previews of every page are kept beside the doctrees, one file
per builder, and a page's script is written again when the page is written, or when a page that
it previews is (its script holds that page's HTML); the other scripts stay as they are.

A page written again with the same body (a style-sheet edit writes every page; so do the theme's
navigation changes) keeps its previews and its script, unless a page it previews was read again:
sphinx-tippy's parse of the body with BeautifulSoup was most of the cost of writing such pages.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import sphinx_tippy
from sphinx.application import Sphinx


def kept_path(app: Sphinx) -> Path:
    return Path(app.doctreedir) / f"previews-{app.builder.name}.pickle"


def read_kept(app: Sphinx) -> dict:
    """The previews kept by the builds before, read once per build. Their scripts' paths are
    kept relative to the output folder, which may have moved since (a checkout moved, a copy)."""
    data = sphinx_tippy.get_tippy_data(app)
    if "kept" not in data:
        try:
            with kept_path(app).open("rb") as handle:
                kept = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            kept = {}  # none kept yet, or an unreadable file: the pages written now are kept
        data["kept"] = {name: dict(page, js_path=Path(app.outdir, page["js_path"]))
                        for name, page in kept.items()
                        if not Path(page["js_path"]).is_absolute()}  # an absolute path: kept by an older build
    return data["kept"]


def keep(app: Sphinx, pages: dict) -> None:
    path = kept_path(app)
    kept = {name: dict(page, js_path=Path(page["js_path"]).relative_to(app.outdir).as_posix())
            for name, page in pages.items()}
    temporary = path.with_suffix(".tmp")  # then renamed into place: a build reads it whole or not at all
    temporary.write_bytes(pickle.dumps(kept, pickle.HIGHEST_PROTOCOL))
    temporary.replace(path)


def forget_last_build(app: Sphinx, env, docnames) -> None:
    """sphinx-tippy's pages are those written by this build (make preview's application builds
    again and again). Every build reads, even when no page changed: this runs before any write."""
    data = sphinx_tippy.get_tippy_data(app)
    data["pages"].clear()
    data.pop("kept", None)
    data["changed"] = set()
    data["read"] = docnames  # the list Sphinx reads, with what later listeners add to it


def body_digest(app: Sphinx, body: str) -> str:
    # With the extension's settings: they decide which previews a body gives.
    settings = repr(sphinx_tippy.get_tippy_config(app))
    return hashlib.sha256(f"{settings}\0{body}".encode()).hexdigest()


def collect_previews(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """sphinx-tippy's collect_tips, unless the page's body is the one whose previews are kept."""
    if not doctree:
        return
    data = sphinx_tippy.get_tippy_data(app)
    digest = body_digest(app, context["body"])
    kept = read_kept(app).get(pagename)
    # A page it previews was read again: its script will change, so it gets a new name, which
    # the page written now must carry (the browser's cached copy is then never used).
    if (kept is None or kept.get("body_digest") != digest or not kept["js_path"].exists()
            or any(other in data["read"] for other, _ in kept["refs_in_page"])):
        sphinx_tippy.collect_tips(app, pagename, templatename, context, doctree)
        data["pages"][pagename]["body_digest"] = digest
        data["changed"].add(pagename)
        return
    data["pages"][pagename] = kept
    for script in sphinx_tippy.get_tippy_config(app).js_files:
        app.add_js_file(script, loading_method="defer")
    app.add_js_file(kept["js_path"].relative_to(Path(app.outdir, "_static")).as_posix(), loading_method="defer")


def write_scripts(app: Sphinx, exception) -> None:
    if exception or app.builder.format != "html":
        return
    data = sphinx_tippy.get_tippy_data(app)
    written = dict(data["pages"])
    changed = data["changed"]
    pages = {name: page for name, page in {**read_kept(app), **written}.items()
             if name in app.env.all_docs}
    stale = {name: page for name, page in pages.items()
             if name in changed or any(other in changed for other, _ in page["refs_in_page"])}
    data["pages"] = pages  # every page's previews, to be looked up
    try:
        caches = [fetch(app, stale) for fetch in (sphinx_tippy.fetch_wikipedia_tips,
                                                  sphinx_tippy.fetch_doi_tips, sphinx_tippy.fetch_rtd_tips)]
        for name in sorted(stale):
            sphinx_tippy.write_tippy_props_page(app, name, *caches)
    finally:
        data["pages"] = written
    keep(app, pages)


def setup(app: Sphinx) -> None:
    # In place of sphinx-tippy's collector, one that keeps the previews of a page whose body is
    # unchanged; in place of its writer, which writes the scripts of the pages it knows, ours.
    replaced = {"html-page-context": sphinx_tippy.collect_tips, "build-finished": sphinx_tippy.write_tippy_js}
    for event, handler in replaced.items():
        for listener in list(app.events.listeners.get(event, [])):
            if listener.handler is handler:
                app.disconnect(listener.id)
    app.connect("html-page-context", collect_previews, priority=450)  # where sphinx-tippy's was
    app.connect("build-finished", write_scripts)
    app.connect("env-before-read-docs", forget_last_build)
