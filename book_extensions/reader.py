"""Reader features of the HTML book that the stock Jupyter Book does not give.

* Scripts served by the book itself: the hover previews of sphinx-tippy need tippy.js and
  Popper, which sphinx-tippy loads from a CDN unless told otherwise. Their files are vendored in
  `static/vendor/` (copied byte for byte from the npm packages pinned in package-lock.json, which
  tests/test_browser.py checks) and served from the book's `_static/vendor/`.
* A notebook download for every page that holds code: sphinx-book-theme offers the `.ipynb` only
  when a launch button (Binder, hub) is configured, which this edition has not. Each page that is
  a notebook gets `_sources/<page>.ipynb`: the page's cells with the outputs of the
  jupyter-cache that the build executed into, i.e. what the page shows.
* Accessible theme components: two templates of pydata-sphinx-theme overridden in
  `templates/` (a button whose name left out its visible text).
* Bibliography entries as list items (`visit_citation`), a valid ARIA structure.
* A guard: a page that would load a script or style sheet from another host fails the build, so
  that the book reads offline and tells no third party who reads it.
* A Content-Security-Policy in every page of the web book (`POLICY`): the browser itself refuses
  what the book never does (another host, a plugin, an event handler that is not the themes').
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from pathlib import Path
from urllib.parse import quote

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//")
REMOTE_IN_BODY = re.compile(r"""<(?:img|script|iframe|link|source|video|audio)\b[^>]*?"""
                            r"""\b(?:src|href|srcset)=["']((?:https?:)?//[^"']+)""")


def add_paths(app: Sphinx, config) -> None:
    # Relative to the project, so that a copy of it has the same configuration.
    config.html_static_path.append(os.path.relpath(STATIC, app.srcdir))
    # Accessible versions of two theme components (see the comments in templates/): first in
    # the path, before the themes' own `components` folders.
    config.templates_path.insert(0, os.path.relpath(TEMPLATES, app.srcdir))


# The themes' navigation, one control per task. pydata-sphinx-theme 0.17 draws a header bar of its
# own when any `navbar_*` list has an item, and it defaults `navbar_persistent` to a search field:
# that bar (a lone search field, hidden toggles) comes first in the page, so the themes' scripts,
# which wire the first `.primary-toggle` and `.secondary-toggle` they find, wired its hidden
# buttons and left the visible ones of the article's header dead. Without the bar, the article
# header's ☰ (sidebar), contents and search buttons are the only ones, and they work. Search is
# that one button (Ctrl+K too), so the sidebar drops the theme's search field.
#
# The footer names the commit and the date of the build (edition-footer.html), not the author,
# whom the source document does not name.
THEME_OPTIONS = {"navbar_persistent": [], "footer_content_items": ["edition-footer.html"]}
SIDEBARS = ["navbar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]


def set_theme_options(app: Sphinx, config) -> None:
    config.html_theme_options.update(THEME_OPTIONS)
    config.html_sidebars = {"**": SIDEBARS}


# The favicon, written into each page as a data: URL (232 bytes) rather than asked of the server:
# one request fewer per page load (see tests/test_browser_reader.py for the budget).
FAVICON_URL = "data:image/svg+xml," + quote((STATIC / "favicon.svg").read_text(encoding="utf-8").strip())


def add_favicon(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if app.builder.format == "html" and not app.builder.name.startswith("epub"):
        context["favicon_url"] = FAVICON_URL


# --- what a page weighs ---------------------------------------------------------------------------

# Scripts and style sheets that extensions add to every page, and what a page must hold to need
# them: a page without it does not load them (sphinx-design's tabs and cards, sphinx-togglebutton's
# toggles, sphinx-copybutton's button on code blocks, the colours of highlighted code).
NEEDED_FOR = {
    "design-tabs.js": r'class="[^"]*\bsd-', "sphinx-design.min.css": r'class="[^"]*\bsd-',
    "togglebutton.js": r'class="[^"]*\b(toggle|dropdown)\b',
    "togglebutton.css": r'class="[^"]*\b(toggle|dropdown)\b',
    "copybutton.js": r"<pre\b", "clipboard.min.js": r"<pre\b", "copybutton.css": r"<pre\b",
    "pygments.css": r'class="[^"]*\bhighlight',
}


def drop_unneeded_assets(app: Sphinx, pagename: str, templatename: str, context: dict,
                         doctree) -> None:
    body = context.get("body", "")

    def needed(asset) -> bool:
        pattern = NEEDED_FOR.get(os.path.basename(str(getattr(asset, "filename", asset) or "")))
        return pattern is None or re.search(pattern, body) is not None

    for key in ("script_files", "css_files"):
        if key in context:  # a new list: the builder's own is the next page's start
            context[key] = [asset for asset in context[key] if needed(asset)]


def inline_documentation_options(app: Sphinx, pagename: str, templatename: str, context: dict,
                                 doctree) -> None:
    """Sphinx's documentation_options.js (a dozen settings, 0.3 kB) written into the page, at its
    place among the scripts: one request fewer per page load."""
    if app.builder.format != "html" or app.builder.name.startswith("epub"):
        return
    import sphinx

    template = Path(sphinx.__file__).parent / "themes" / "basic" / "static" / "documentation_options.js.jinja"

    def inlined(asset):
        if os.path.basename(str(getattr(asset, "filename", asset) or "")) != "documentation_options.js":
            return asset
        body = app.builder.templates.render_string(template.read_text(encoding="utf-8"), context)
        return type(asset)(None, body=body.strip(), priority=asset.priority)

    if "script_files" in context:  # a new list: the builder's own is the next page's start
        context["script_files"] = [inlined(asset) for asset in context["script_files"]]


def lazy_images(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Figures load as the reader scrolls to them: a page with five figures asks for none of them
    until they come near the screen. Not in the EPUB, whose reading systems lay out pages (and
    columns) themselves."""
    if "body" in context and not app.builder.name.startswith("epub"):
        context["body"] = re.sub(r"<img (?![^>]*\bloading=)", '<img loading="lazy" ', context["body"])


def remove_source_maps(app: Sphinx, exception) -> None:
    """The themes' and the vendored scripts' source maps (3.7 MB) serve their developers only."""
    if exception is None and app.builder.format == "html":
        for source_map in Path(app.outdir).rglob("*.map"):
            source_map.unlink()


# --- the footer: commit and date of the build ---------------------------------------------------

EDITION_KEY = "book_edition_stamp"  # env: (commit, date) of the pages as last written


def edition_stamp_of(root: Path) -> tuple[str, str]:
    """The commit and date that the footer of a build of the project at `root` prints."""
    from .latex import build_commit, build_date

    return build_commit(root), build_date()


def edition_stamp(app: Sphinx) -> tuple[str, str]:
    if not hasattr(app, "book_edition_stamp"):
        app.book_edition_stamp = edition_stamp_of(Path(app.srcdir))
    return app.book_edition_stamp


def restamp(app: Sphinx, env) -> list[str]:
    """Another commit or another day: every page is written again, so that no footer is stale."""
    stamp = edition_stamp(app)
    previous = getattr(env, EDITION_KEY, None)
    env.__dict__[EDITION_KEY] = stamp
    return sorted(env.found_docs) if previous is not None and previous != stamp else []


def add_edition_stamp(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    context["edition_commit"], context["edition_build_date"] = edition_stamp(app)


def executed_notebook(app: Sphinx, pagename: str) -> nbformat.NotebookNode | None:
    """The page's notebook as myst-nb read it, with the outputs stored in the jupyter-cache;
    None when the page holds no code."""
    source = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not source.exists():
        return None
    notebook = nbformat.read(source, as_version=4)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None  # a page without code: its .md is all there is
    from jupyter_cache import get_cache

    cache_path = Path(app.srcdir, app.config.nb_execution_cache_path)
    try:
        _, notebook = get_cache(str(cache_path)).merge_match_into_notebook(notebook)
    except KeyError:
        logger.warning("%s: no executed copy in the jupyter-cache, the .ipynb download would have "
                       "no outputs", pagename, type="reader", subtype="ipynb")
    return notebook


def add_notebook_download(app: Sphinx, pagename: str, templatename: str, context: dict,
                          doctree) -> None:
    """Before sphinx-book-theme builds its download menu (priority 501): offer the .ipynb."""
    if app.builder.format != "html" or app.builder.name.startswith("epub"):
        return  # the web book only: an EPUB packs every file of its folder and has no menu
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    notebook = executed_notebook(app, pagename)
    target = Path(app.outdir, "_sources", f"{pagename}.ipynb")
    if notebook is None:
        target.unlink(missing_ok=True)  # left by an earlier build, when the page held code
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def refuse_remote_assets(app: Sphinx, pagename: str, templatename: str, context: dict,
                         doctree) -> None:
    remote = [str(getattr(asset, "filename", asset))
              for asset in [*context.get("script_files", []), *context.get("css_files", [])]
              if REMOTE.match(str(getattr(asset, "filename", asset)))]
    remote += REMOTE_IN_BODY.findall(context.get("body", ""))
    for url in remote:
        logger.warning("page %s would load %s from another host: serve it from the book "
                       "(see book_extensions/reader.py)", pagename, url,
                       type="reader", subtype="remote")


def visit_citation(self, node: nodes.citation) -> None:
    """As docutils writes a bibliography entry, with role `listitem` instead of
    `doc-biblioentry`: ARIA 1.2 deprecates that role, which is no valid child of the list docutils
    wraps the entries in (axe: aria-required-children, critical)."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def depart_citation(self, node: nodes.citation) -> None:
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


# --- Content-Security-Policy ----------------------------------------------------------------------

# The event-handler attributes of the themes' templates: sphinx-book-theme's print and
# full-screen buttons (tests/test_escaping.py checks that every handler in the book is here).
THEME_HANDLERS = ("window.print()", "toggleFullScreen()")


def source_hash(code: str) -> str:
    """A CSP source expression for an inline script or handler: its SHA-256, base64."""
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()


POLICY = "; ".join([
    "default-src 'self'",
    # Script elements: the book's own files, and inline ones, which the themes' templates write
    # into every page with page-dependent text (and which the browser tests use to inject
    # axe-core). Browsers that know neither directive below fall back to script-src.
    "script-src 'self' 'unsafe-inline'",
    "script-src-elem 'self' 'unsafe-inline'",
    # Event-handler attributes: only the themes' own, by hash. A handler that found its way into
    # a page's text (<img src=x onerror=...>) does not run.
    "script-src-attr 'unsafe-hashes' " + " ".join(source_hash(h) for h in THEME_HANDLERS),
    # Style attributes and <style> of Sphinx and the themes (widths of index columns, the
    # no-script style); a style runs no code.
    "style-src 'self' 'unsafe-inline'",
    # Images, fonts, fetches (search, previews): the book's own files; data: URLs of the themes'
    # style sheets. Nothing from another host, no plugin, no <base> elsewhere, no form sent away.
    "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'", "object-src 'none'",
    "base-uri 'self'", "form-action 'self'",
])


def add_content_security_policy(app: Sphinx, pagename: str, templatename: str, context: dict,
                                doctree) -> None:
    """The policy as a <meta> element, right after <meta charset> and before any script."""
    if app.builder.format != "html" or app.builder.name.startswith("epub"):
        return  # an EPUB reader has its own rules for scripts
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(POLICY, quote=False)}" />'
    context["metatags"] = context.get("metatags", "") + "\n    " + meta


def setup(app: Sphinx) -> None:
    # A change of these extensions, the templates or the style sheets re-reads (and so
    # re-writes) every page: dependencies.py.
    app.connect("config-inited", add_paths)
    app.connect("config-inited", set_theme_options)
    app.add_js_file("reader.js", loading_method="defer")
    app.connect("html-page-context", drop_unneeded_assets, priority=800)
    app.connect("html-page-context", inline_documentation_options, priority=801)
    app.connect("html-page-context", lazy_images)
    app.connect("html-page-context", add_edition_stamp)
    app.connect("html-page-context", add_favicon)
    app.connect("env-get-updated", restamp)
    app.connect("build-finished", remove_source_maps)
    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))
    app.connect("html-page-context", add_notebook_download, priority=500)
    app.connect("html-page-context", refuse_remote_assets, priority=900)
    app.connect("html-page-context", add_content_security_policy)
