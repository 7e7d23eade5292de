"""The way back to the sources, in the web book: the data files and the `kzthesis` package.

* `data/` and `kzthesis/*.py` are copied into the HTML output under the same paths as in the
  repository (`data/survey_sample.csv`), byte for byte, so that a downloaded `.ipynb` finds its
  package and its data side by side, as in the repository. The build only reads them.
* Each page offers, in its download menu, the data files that its code read when it last
  executed (the notebook's record, `records`), next to its `.md` and `.ipynb`.
* Inline code that names a data file (`data/survey_sample.csv`), the data folder (`data/`), the
  package (`kzthesis`), one of its modules (`kzthesis.stats`, `kzthesis/stats.py`) or a function of
  one (`kzthesis.stats.wilson_interval`) links to it; so does the call of a figure's provenance
  line (`provenance`), to the function that draws the figure.
* A page for each module of `kzthesis`, its source highlighted, with an anchor at each top-level
  function and class, and a page listing the package's modules and one listing the data files.
  `sphinx.ext.viewcode` makes such pages only for objects documented with autodoc, which would put
  an API reference into the thesis's PDF and EPUB; these pages are the web book's alone.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.osutil import relative_uri

from . import ROOT
from .dependencies import page_record

DATA = ROOT / "data"
PACKAGE = ROOT / "kzthesis"
MODULES_PAGE = "_modules/index"  # the package's modules (the name sphinx.ext.viewcode uses)
DATA_PAGE = "data/index"
ENV_KEY = "kz_page_data_files"  # docname -> the data/ files its code read
SOURCE_ATTRIBUTE = "kz_source"  # on a literal: the dotted name it links to (provenance.py)


def data_files() -> list[str]:
    return sorted(f"data/{p.name}" for p in DATA.iterdir() if p.is_file() and not p.name.startswith("."))


def module_names() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py"))


def module_page(module: str) -> str:
    return f"_modules/kzthesis/{module}"


def top_level_names(source: str) -> dict[str, int]:
    """Name -> first line (its decorators') of every function and class defined at a module's
    top level."""
    return {node.name: min([node.lineno, *(d.lineno for d in node.decorator_list)])
            for node in ast.parse(source).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def is_web_book(app: Sphinx) -> bool:
    return app.builder.format == "html" and not app.builder.name.startswith("epub")


# --- reading: the data files each page's code read ------------------------------------------------


def collect_data_files(app: Sphinx, doctree: nodes.document) -> None:
    record = page_record(app.env)
    files = sorted(f for f in record.reads if f.startswith("data/")) if record else []
    app.env.__dict__.setdefault(ENV_KEY, {})[app.env.docname] = files


def purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, ENV_KEY, {}).pop(docname, None)


def merge(app: Sphinx, env, docnames, other) -> None:
    env.__dict__.setdefault(ENV_KEY, {}).update(
        {d: f for d, f in getattr(other, ENV_KEY, {}).items() if d in docnames})


# --- writing: links ---------------------------------------------------------------------------------


def target_of(text: str) -> str | None:
    """The output path (and anchor) that the inline code `text` names, or None."""
    if text in ("data", "data/"):
        return DATA_PAGE + ".html"
    if text in data_files():
        return text
    if text in ("kzthesis", "kzthesis/"):
        return MODULES_PAGE + ".html"
    if text.startswith("kzthesis/") and text.endswith(".py"):
        module = text[len("kzthesis/"):-len(".py")]
        return module_page(module) + ".html" if module in module_names() else None
    parts = text.split(".")
    if parts[0] != "kzthesis" or len(parts) not in (2, 3) or parts[1] not in module_names():
        return None
    if len(parts) == 2:
        return module_page(parts[1]) + ".html"
    source = (PACKAGE / f"{parts[1]}.py").read_text(encoding="utf-8")
    return f"{module_page(parts[1])}.html#{parts[2]}" if parts[2] in top_level_names(source) else None


class LinkSources(SphinxPostTransform):
    """Inline code that names a data file or a part of `kzthesis` becomes a link to it."""

    default_priority = 20  # after provenance.py's line (5) and the resolved references (10)

    def run(self, **kwargs: Any) -> None:
        if not is_web_book(self.app):
            return
        page = self.app.builder.get_target_uri(self.env.docname)
        for literal in list(self.document.findall(nodes.literal)):
            if isinstance(literal.parent, (nodes.reference, nodes.literal_block)):
                continue
            target = target_of(literal.get(SOURCE_ATTRIBUTE) or literal.astext())
            if target is None:
                continue
            path, _, anchor = target.partition("#")  # relative_uri drops an anchor
            uri = relative_uri(page, path) + (f"#{anchor}" if anchor else "")
            link = nodes.reference("", "", internal=True, refuri=uri, classes=["source-link"])
            literal.replace_self(link)
            link += literal


def add_data_downloads(app: Sphinx, pagename: str, templatename: str, context: dict,
                       doctree) -> None:
    """After sphinx-book-theme has built its download menu (priority 501): the page's data."""
    if not is_web_book(app) or doctree is None:
        return
    files = getattr(app.env, ENV_KEY, {}).get(pagename, [])
    menu = next((b for b in context.get("header_buttons", []) if b.get("label") == "download-buttons"), None)
    if not files or menu is None:
        return
    for file in files:
        menu["buttons"].append({
            "type": "link", "url": context["pathto"](file, 1), "text": file,
            "tooltip": "Download a data file that this page's code read", "icon": "fas fa-file",
            "label": "download-data-button",
        })


# --- writing: the copies and the source pages -------------------------------------------------------


def mirror(source: Path, target: Path, names: list[str]) -> None:
    """`target` holds exactly the files `names` of `source`, byte for byte (and the pages that
    the build writes there, which end in .html)."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        if old.is_file() and old.name not in names and old.suffix != ".html":
            old.unlink()
    for name in names:
        shutil.copyfile(source / name, target / name)


def copy_sources(app: Sphinx, exception) -> None:
    if exception is not None or not is_web_book(app):
        return
    out = Path(app.outdir)
    mirror(DATA, out / "data", [Path(f).name for f in data_files()])
    mirror(PACKAGE, out / "kzthesis", [f"{m}.py" for m in module_names()])


def highlighted_module(app: Sphinx, source: str) -> str:
    """A module's source as HTML, with an empty anchor at each top-level definition's line."""
    highlighted = app.builder.highlighter.highlight_block(source, "python", linenos=False)
    lines = highlighted.splitlines()
    # The first line holds the opening <div><pre> and the source's first line (as viewcode reads it).
    before, after = lines[0].split("<pre>", 1)
    lines[0:1] = [before + "<pre>", after]
    for name, lineno in top_level_names(source).items():
        lines[lineno] = f'<span id="{html.escape(name)}"></span>' + lines[lineno]
    return lines[0] + "\n".join(lines[1:])


def first_line(module: str) -> str:
    docstring = ast.get_docstring(ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8")))
    return docstring.strip().split("\n\n")[0].replace("\n", " ") if docstring else ""


# The digest of what each source page showed when last written (in the doctree folder: Sphinx
# saves its environment before it writes).
SOURCE_PAGES_WRITTEN = "source-pages.json"
_DOCS_WRITTEN = "kz_docs_written"  # on the app: the documents written by this build


def count_written(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if doctree is not None:
        getattr(app, _DOCS_WRITTEN).add(pagename)


def source_pages(app: Sphinx) -> Iterator[tuple[str, dict, str]]:
    """The source pages whose content changed; all of them when every document was written (the
    navigation, header and footer that every page shares may have changed: Sphinx writes every
    document when the configuration, the templates or the table of contents change). A page is
    compared by the text it is made from, so that an unchanged module is not highlighted again."""
    if not is_web_book(app):
        return
    record = Path(app.doctreedir) / SOURCE_PAGES_WRITTEN
    try:
        written = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written = {}
    every_page = getattr(app, _DOCS_WRITTEN) >= set(app.env.found_docs)
    for pagename, made_from, context in all_source_pages(app):
        digest = hashlib.sha256(made_from.encode()).hexdigest()
        if every_page or written.get(pagename) != digest or not (Path(app.outdir) / f"{pagename}.html").exists():
            written[pagename] = digest
            yield pagename, context(), "page.html"
    record.write_text(json.dumps(written, sort_keys=True), encoding="utf-8")
    getattr(app, _DOCS_WRITTEN).clear()  # make preview builds again with the same application


def page_context(title: str, body: str) -> Callable[[], dict]:
    return lambda: {"title": title, "body": body}


def module_context(app: Sphinx, module: str, source: str) -> Callable[[], dict]:
    name = f"kzthesis/{module}.py"
    return lambda: {"title": name, "body": (
        f"<h1><code>{name}</code></h1>\n"
        f"<p>Part of <a href=\"../index.html\">the <code>kzthesis</code> package</a>; "
        f"<a href=\"../../kzthesis/{module}.py\" download>download <code>{name}</code></a>.</p>\n"
        + highlighted_module(app, source))}


def all_source_pages(app: Sphinx) -> Iterator[tuple[str, str, Callable[[], dict]]]:
    """(page name, the text the page is made from, its template context)."""
    modules = module_names()
    items = "\n".join(
        f'<li><a href="kzthesis/{m}.html"><code>kzthesis/{m}.py</code></a>: '
        f"{html.escape(first_line(m))}</li>" for m in modules)
    body = ("<h1>The <code>kzthesis</code> package</h1>\n"
            "<p>The Python package that the chapters and the notebooks of this edition import: it "
            "loads and validates the data, computes the statistics and draws the figures. Its "
            "modules, each readable here and downloadable as a file (put the folder "
            "<code>kzthesis/</code> next to <a href=\"../data/index.html\"><code>data/</code></a> "
            "and a downloaded notebook runs):</p>\n"
            f"<ul>\n{items}\n</ul>\n")
    yield MODULES_PAGE, body, page_context("The kzthesis package", body)
    for module in modules:
        source = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
        yield module_page(module), f"{module}\n{source}", module_context(app, module, source)
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    titles = {f"data/{r['path']}": r.get("title", "") for r in descriptor.get("resources", [])}
    rows = "\n".join(
        f'<li><a href="{html.escape(Path(f).name)}" download><code>{html.escape(f)}</code></a>'
        + (f": {html.escape(titles[f])}" if titles.get(f) else "") + "</li>"
        for f in data_files())
    body = ("<h1>The data files</h1>\n"
            "<p>Every number and figure of this edition is computed from these files, as the "
            "repository holds them (<code>data/datapackage.json</code> describes each one's columns, "
            "source and how it was read from the thesis):</p>\n"
            f"<ul>\n{rows}\n</ul>\n")
    yield DATA_PAGE, body, page_context("The data files", body)


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", collect_data_files)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.add_post_transform(LinkSources)
    app.connect("html-page-context", add_data_downloads, priority=502)
    app.connect("builder-inited", lambda app: setattr(app, _DOCS_WRITTEN, set()))
    app.connect("html-page-context", count_written)
    app.connect("html-collect-pages", source_pages)
    app.connect("build-finished", copy_sources)
