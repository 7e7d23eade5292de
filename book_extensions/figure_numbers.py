"""Figure numbers without reading every page's doctree at every build.

With `numfig`, Sphinx numbers the figures, tables and code blocks of the whole book at every
build, edit or not, by walking the table of contents and loading every page's doctree from disk
(`TocTreeCollector.assign_figure_numbers`): a cost that grows with the book (2.2 s of a one-page
edit's build in a book ten times this size). The walk looks only at sections and their ids, at
toctrees and at the numbered elements (with their ids and captions). Each page's outline, the
doctree reduced to these, is kept in the environment when the page is read, and the walk is
given the outlines instead of the doctrees: the same walk, the same numbers.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment.collectors.toctree import TocTreeCollector

ENV_KEY = "kz_numbering_outlines"  # docname -> outline (a docutils document)


def numbered_type(env, node: nodes.Element) -> str | None:
    """The type under which Sphinx numbers `node` (as assign_figure_numbers decides), or None."""
    for domain in env.domains.values():
        figtype = domain.get_enumerable_node_type(node)
        if domain.name == "std" and not domain.get_numfig_title(node):
            continue  # an element without a caption is not numbered
        if figtype:
            return figtype
    return None


def outline(env, doctree: nodes.document) -> nodes.document:
    """`doctree` with only what the numbering walk looks at, in the same order: sections (with
    their ids), toctrees, and the numbered elements, each with what tells its type (a code
    block's literal block) and its caption or title; any other element is replaced by what it
    contains of these."""
    kept = nodes.document(None, None)  # without the settings and reporter of the reading

    def reduce(source: nodes.Element, target: nodes.Element) -> None:
        for child in source.children:
            if isinstance(child, addnodes.toctree):
                target += child.deepcopy()
            elif isinstance(child, nodes.section):
                section = child.copy()
                target += section
                reduce(child, section)
            elif isinstance(child, nodes.Element) and child["ids"] and numbered_type(env, child):
                element = child.copy()
                for part in child.children:
                    if isinstance(part, (nodes.caption, nodes.title)):
                        element += part.deepcopy()
                    elif isinstance(part, nodes.literal_block):
                        element += part.copy()
                target += element
                reduce(child, element)  # numbered elements within it
            elif isinstance(child, nodes.Element):
                reduce(child, target)

    reduce(doctree, kept)
    for node in kept.findall():
        node.document = None  # a copied node refers to the document it came from, whole
    return kept


def keep_outline(app: Sphinx, doctree: nodes.document) -> None:
    app.env.__dict__.setdefault(ENV_KEY, {})[app.env.docname] = outline(app.env, doctree)


def purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, ENV_KEY, {}).pop(docname, None)


def merge(app: Sphinx, env, docnames, other) -> None:
    env.__dict__.setdefault(ENV_KEY, {}).update(
        {d: o for d, o in getattr(other, ENV_KEY, {}).items() if d in docnames})


def _from_outlines(assign):
    def assign_figure_numbers(self, env):
        outlines = getattr(env, ENV_KEY, {})
        replaced = env.__dict__.get("get_doctree")  # another wrapper of the method, if any
        read = env.get_doctree
        env.get_doctree = lambda docname: outlines[docname] if docname in outlines else read(docname)
        try:
            return assign(self, env)
        finally:
            if replaced is None:
                del env.get_doctree  # Sphinx's own again (the environment is pickled after this)
            else:
                env.get_doctree = replaced

    assign_figure_numbers.from_outlines = True
    return assign_figure_numbers


def setup(app: Sphinx) -> None:
    # The collector in use is sphinx-external-toc's subclass, which inherits this method.
    if not getattr(TocTreeCollector.assign_figure_numbers, "from_outlines", False):
        TocTreeCollector.assign_figure_numbers = _from_outlines(TocTreeCollector.assign_figure_numbers)
    # Last: the outline of the doctree as Sphinx saves it.
    app.connect("doctree-read", keep_outline, priority=900)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
