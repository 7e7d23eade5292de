"""A provenance line under every figure of the HTML book.

    Drawn by `survey_question_figure(3)` in notebook “The survey: …”, section “Questions 1–9”,
    from data/datapackage.json, data/survey_options.csv and data/survey_sample.csv.

* The figure call comes from the source: the code cell whose `mystnb.figure.name` is the figure's
  label ends with a call of a figure function (`figure_call`).
* The data files are those that the call used when the notebook last executed, recorded by
  `kzthesis.figures` and stored with the executed notebook (`records`): never typed by hand,
  and nothing is drawn again here.
* The call links to the function's source and each data file to its copy in the web book
  (`sources`).
* The notebook link goes to the code cell of a notebook in `notebooks/` that makes the same call; each such
  cell gets the label `drawn-<call>` (e.g. `drawn-survey-question-figure-3`), and the line is a
  cross-reference to it, so Sphinx resolves it (and says so when it cannot).

A figure without a figure call, or whose call no notebook makes, is reported as a warning, which
fails the book's build (`-W`). The line is added to the HTML book only; other builders (LaTeX)
drop it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from .dependencies import page_record
from .sources import SOURCE_ATTRIBUTE

logger = logging.getLogger(__name__)

ENV_KEY = "kz_figure_drawn_by"  # slug -> {docname, notebook, section}
USED_KEY = "kz_figure_slugs_used"  # docname -> slugs of the figure calls its figures name
WRITTEN_KEY = "kz_figure_drawn_by_written"  # ENV_KEY as the pages were last written
LABEL_PREFIX = "drawn-"


class figure_provenance(nodes.Element):
    """Placeholder in a figure, replaced by the provenance line when the page is written."""


def _skip(translator, node):
    raise nodes.SkipNode


def figure_cells(path: Path) -> dict[str, str]:
    """Label -> source of every code cell of the notebook `path` that is shown as a figure."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---") or "kernelspec" not in text.split("---", 2)[1]:
        return {}
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    notebook = read_myst_markdown_notebook(text, MdParserConfig(), path=path)
    cells = {}
    for cell in notebook.cells:
        name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
        if cell.cell_type == "code" and name:
            cells[name] = cell.source
    return cells


@dataclass(frozen=True)
class FigureCall:
    """A call of a figure function with literal arguments, e.g. ``survey_question_figure(3)``."""

    function: str
    args: tuple = ()

    def __str__(self) -> str:
        return f"{self.function}({', '.join(repr(a) for a in self.args)})"

    @property
    def slug(self) -> str:
        """A name usable as a label or HTML id: ``survey-question-figure-3``."""
        parts = [self.function, *map(str, self.args)]
        return "-".join(p.replace("_", "-").lower() for p in parts)


def figure_call(source: str) -> FigureCall | None:
    """The call that the code cell `source` ends with (the expression Jupyter displays), as
    ``f(...)`` or ``figures.f(...)`` with literal arguments; None for anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (magics): not a figure cell of this book
        return None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    call = tree.body[-1].value
    if not isinstance(call, ast.Call) or call.keywords:
        return None
    if isinstance(call.func, ast.Name):
        name = call.func.id
    elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
            and call.func.value.id == "figures":
        name = call.func.attr
    else:
        return None
    try:
        args = tuple(ast.literal_eval(arg) for arg in call.args)
    except ValueError:
        return None
    return None if name.startswith("_") else FigureCall(name, args)


def _section_title(node: nodes.Node) -> str | None:
    while node is not None and not isinstance(node, nodes.section):
        node = node.parent
    if node is None:
        return None
    title = next(iter(node.findall(nodes.title)), None)
    return title.astext() if title is not None else None


class CollectFigureProvenance(SphinxTransform):
    """On reading a page: mark each figure with its call and data files; in a notebook of
    `figure_provenance_notebooks`, label the code cell that draws it."""

    default_priority = 840  # before SphinxDomains (850), which collects the labels set here

    def apply(self, **kwargs: Any) -> None:
        figures = [f for f in self.document.findall(nodes.figure) if f["ids"]]
        if not figures:
            return
        docname = self.env.docname
        cells = figure_cells(Path(self.env.doc2path(docname)))
        is_notebook = docname.startswith(tuple(self.config.figure_provenance_notebooks))
        drawn_by = self.env.__dict__.setdefault(ENV_KEY, {})
        top = next(iter(self.document.findall(nodes.section)), None)
        notebook_title = _section_title(top) if top is not None else docname
        for figure in figures:
            label = figure["ids"][0]
            call = figure_call(cells[label]) if label in cells else None
            if call is None:
                logger.warning("figure %r has no provenance: it must be drawn by a code cell "
                               "ending with a call of a kzthesis.figures function", label,
                               location=figure, type="provenance", subtype="call")
                continue
            record = page_record(self.env)
            files = record.figure_files(call.function, call.args) if record else None
            if files is None:
                logger.warning("figure %r: no record of the files %s used; draw it with a "
                               "function of kzthesis.figures (they record their reads)",
                               label, call, location=figure, type="provenance", subtype="call")
                continue
            files = [f for f in files if f.startswith("data/")]
            figure += figure_provenance(call=str(call), slug=call.slug, files=list(files))
            self.env.__dict__.setdefault(USED_KEY, {}).setdefault(docname, set()).add(call.slug)
            if not is_notebook:
                continue
            cell = figure.parent
            while cell is not None and not (isinstance(cell, nodes.container)
                                            and "cell" in cell["classes"]):
                cell = cell.parent
            name = LABEL_PREFIX + call.slug
            if cell is None or call.slug in drawn_by and drawn_by[call.slug]["docname"] == docname:
                continue  # already labelled in this notebook: the first cell is the one
            if call.slug in drawn_by:
                logger.warning("%s is drawn in two notebooks (%s and %s): the provenance line "
                               "can name only one", call, drawn_by[call.slug]["docname"], docname,
                               location=figure, type="provenance", subtype="duplicate")
                continue
            cell["names"].append(name)
            cell["ids"].append(name)
            self.document.note_explicit_target(cell)
            section = _section_title(cell)
            drawn_by[call.slug] = {"docname": docname, "notebook": notebook_title,
                                   "section": None if section == notebook_title else section}


def _join(items: list[nodes.Node]) -> list[nodes.Node]:
    """a, b and c"""
    out: list[nodes.Node] = []
    for index, item in enumerate(items):
        if index:
            out.append(nodes.Text(" and " if index == len(items) - 1 else ", "))
        out.append(item)
    return out


class WriteFigureProvenance(SphinxPostTransform):
    """On writing a page: turn each placeholder into the provenance line (HTML), or drop it."""

    default_priority = 5  # before ReferencesResolver (10), which resolves the link made here

    def run(self, **kwargs: Any) -> None:
        drawn_by = getattr(self.env, ENV_KEY, {})
        # The line names code: the web book shows it, the PDF and the EPUB do not.
        html = self.app.builder.format == "html" and self.app.builder.name != "epub"
        for node in list(self.document.findall(figure_provenance)):
            if not html:
                node.parent.remove(node)
                continue
            where = drawn_by.get(node["slug"])
            paragraph = nodes.paragraph(classes=["figure-provenance"])
            paragraph += nodes.Text("Drawn by ")
            # The call links to the function's source (sources.py); the files, to themselves.
            function = node["call"].split("(", 1)[0]
            paragraph += nodes.literal(text=node["call"], **{SOURCE_ATTRIBUTE: f"kzthesis.figures.{function}"})
            if where is None:
                logger.warning("%s, which draws figure %r, is drawn in no notebook of %s: add it "
                               "there so that the figure's provenance can link to its code",
                               node["call"], node.parent["ids"][0],
                               ", ".join(self.config.figure_provenance_notebooks),
                               location=node.parent, type="provenance", subtype="notebook")
            else:
                text = f"notebook “{where['notebook']}”"
                if where["section"]:
                    text += f", section “{where['section']}”"
                xref = pending_xref("", nodes.inline("", text), refdomain="std", reftype="ref",
                                    reftarget=LABEL_PREFIX + node["slug"], refexplicit=True,
                                    refwarn=True, refdoc=self.env.docname)
                paragraph += nodes.Text(" in ")
                paragraph += xref
            if node["files"]:
                paragraph += nodes.Text(", from ")
                paragraph.extend(_join([nodes.literal(text=f) for f in node["files"]]))
            paragraph += nodes.Text(".")
            legend = nodes.legend("", paragraph, classes=["figure-provenance-legend"])
            node.replace_self(legend)


def rewrite_when_links_move(app: Sphinx, env) -> list[str]:
    """Pages whose provenance line links to a notebook cell that moved or went away are written
    again (their own source did not change, so Sphinx would keep the old link)."""
    drawn_by = getattr(env, ENV_KEY, {})
    written = getattr(env, WRITTEN_KEY, None)
    env.__dict__[WRITTEN_KEY] = {slug: dict(where) for slug, where in drawn_by.items()}
    if written is None:
        return []
    moved = {s for s in set(drawn_by) | set(written) if drawn_by.get(s) != written.get(s)}
    return sorted(doc for doc, slugs in getattr(env, USED_KEY, {}).items() if slugs & moved)


def purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, USED_KEY, {}).pop(docname, None)
    drawn_by = getattr(env, ENV_KEY, {})
    for slug in [s for s, where in drawn_by.items() if where["docname"] == docname]:
        del drawn_by[slug]


def merge(app: Sphinx, env, docnames, other) -> None:
    env.__dict__.setdefault(ENV_KEY, {}).update(
        {s: w for s, w in getattr(other, ENV_KEY, {}).items() if w["docname"] in docnames})
    env.__dict__.setdefault(USED_KEY, {}).update(
        {d: s for d, s in getattr(other, USED_KEY, {}).items() if d in docnames})


def setup(app: Sphinx) -> None:
    app.add_config_value("figure_provenance_notebooks", ["notebooks/"], "env", [list])
    app.add_node(figure_provenance, **{f: (_skip, None) for f in
                                       ("html", "latex", "text", "man", "texinfo")})
    app.add_transform(CollectFigureProvenance)
    app.add_post_transform(WriteFigureProvenance)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-updated", rewrite_when_links_move)
