"""The EPUB edition (Sphinx's EPUB 3 builder): the thesis and this edition's matter for readers,
as a book for e-readers. Nothing changes in the other builds.

What the EPUB holds:

* the pages of the parts of `_toc.yml` named by `epub_parts` (the thesis, then About, errata and
  bibliography; not the notebooks of "Data and methods"), without the sections named by
  `epub_left_out` (`docname#section-id`: program output such as the benchmark table). A link to
  a page or section left out keeps its words and loses its link;
* a table of contents (`nav.xhtml` and `toc.ncx`) of every page and section, numbered as the
  pages number them (`epub_tocscope: includehidden`: Jupyter Book's toctrees are hidden);
* notes as EPUB 3 pop-up footnotes: the marker is a superscript `epub:type="noteref"` link with
  the thesis's number (notes.py), the note an `aside` with `epub:type="footnote"`; no brackets;
* one style sheet of its own, `epub_static/thesis-epub.css` (no web theme, notebook or preview CSS):
  long web addresses wrap, figures and tables fit a phone's width;
* no figure provenance line (it names code; provenance.py writes it for the web book only) and,
  on the About page, the edition's commit and build date instead of the BibTeX and
  CITATION.cff blocks;
* no invented creator: Sphinx requires an author, contributor and publisher in the
  configuration, but the source document names none, so `content.opf` leaves them out.

What epubcheck needs:

* Matplotlib writes SVG with a DOCTYPE that names the external SVG 1.1 DTD, which EPUB 3
  forbids (epubcheck OPF-073, HTM-003): the copies in the EPUB's `_images/` drop it. The
  figures stay SVG, a core media type of EPUB 3 that every EPUB 3 reading system renders.
* Pages outside the root page's folder (notebooks/ beside book/) are listed in the table of
  contents as `book/../notebooks/x.xhtml`, which the spine did not match to the manifest's
  `notebooks/x.xhtml` (epubcheck OPF-049): the references are normalised.
* Only the files that the kept pages use are packed: every other page, style sheet, script and
  image of the output folder is removed before the package is written.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.writers.html5 import HTML5Translator

DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(\[[^\]]*\])?\s*>\s*", re.IGNORECASE)
STATIC = Path(__file__).resolve().parent / "epub_static"
STYLE_SHEET = "thesis-epub.css"
# Metadata that Sphinx requires in the configuration but that the source document does not state.
UNSTATED_METADATA = re.compile(r"\s*<dc:(creator|contributor|publisher)>.*?</dc:\1>")
NOTEBOOK_CLASSES = ("cell", "tag_")  # myst-nb's classes of a cell and its output
NOTEREF = "noteref"
FOLLOWS_NOTEREF = "follows-noteref"  # a marker right after another: the style sheet separates them


def is_epub(app: Sphinx) -> bool:
    return app.builder.name == "epub"


def strip_doctype(svg: Path) -> bool:
    text = svg.read_text(encoding="utf-8")
    cleaned = DOCTYPE.sub("", text, count=1)
    if cleaned != text:
        svg.write_text(cleaned, encoding="utf-8")
        return True
    return False


# --- what the EPUB holds -------------------------------------------------------------------------

def kept_docnames(app: Sphinx) -> list[str]:
    """The pages in the EPUB, in reading order: the root page, then the parts `epub_parts`."""
    from .latex import toc_parts

    parts = set(app.config.epub_parts)
    found = {caption for caption, _, _ in toc_parts(app)}
    unknown = sorted(parts - found)
    if unknown:
        raise ConfigError(f"_config.yml: epub_parts names {', '.join(map(repr, unknown))}, which "
                         f"is no part of _toc.yml (its parts: {', '.join(map(repr, sorted(found)))})")
    return [app.config.root_doc] + [doc for caption, _, docs in toc_parts(app) if caption in parts
                                    for doc in docs]


def left_out_anchors(app: Sphinx) -> dict[str, set[str]]:
    """docname -> every id inside the sections that `epub_left_out` leaves out (found once the
    pages are read)."""
    return app._epub_left_out


def find_left_out_anchors(app: Sphinx, env) -> None:
    if not is_epub(app):
        return
    anchors: dict[str, set[str]] = {}
    for entry in app.config.epub_left_out:
        docname, _, section_id = entry.partition("#")
        if docname not in app.env.found_docs:
            raise ConfigError(f"_config.yml: epub_left_out names {entry!r}: there is no page {docname!r}")
        doctree = app.env.get_doctree(docname)
        section = next((s for s in doctree.findall(nodes.section) if section_id in s["ids"]), None)
        if section is None:
            raise ConfigError(f"_config.yml: epub_left_out names {entry!r}: {docname} has no "
                             f"section with the id {section_id!r}")
        anchors.setdefault(docname, set()).update(
            i for node in section.findall(nodes.Element) for i in node.get("ids", []))
    app._epub_left_out = anchors


class EpubSelection(SphinxPostTransform):
    """On writing an EPUB page: leave out the sections `epub_left_out` names, the citation
    blocks and the notebook cells' classes (their outputs, the figures and tables, stay), and
    unlink references to what is left out."""

    default_priority = 900  # after the references are resolved (10) and the citation filled (7)
    builders = ("epub",)

    def run(self, **kwargs) -> None:
        from .edition_citation import BOX_CLASS
        from .reader import edition_stamp

        docname = self.env.docname
        kept = set(kept_docnames(self.app))
        left_out = left_out_anchors(self.app)
        for section in list(self.document.findall(nodes.section)):
            if section.parent is not None and set(section["ids"]) & left_out.get(docname, set()):
                section.parent.remove(section)
        for box in list(self.document.findall(nodes.container)):
            if BOX_CLASS in box["classes"]:
                commit, date = edition_stamp(self.app)
                box.replace_self(nodes.paragraph(
                    "", f"This EPUB was built from commit {commit} of the edition's files on {date}."))
            else:  # a notebook cell's wrapper keeps its content, not its notebook classes
                box["classes"] = [c for c in box["classes"] if not c.startswith(NOTEBOOK_CLASSES)]
        for reference in list(self.document.findall(nodes.reference)):
            target = linked_page(docname, reference.get("refuri", ""))
            if target is None:
                continue
            page, anchor = target
            if page not in kept or anchor in left_out.get(page, set()):
                reference.replace_self(nodes.inline("", "", *reference.children))


def linked_page(docname: str, refuri: str) -> tuple[str, str] | None:
    """(docname, anchor) of a link within the book, None for a web address."""
    if not refuri or re.match(r"[a-z][a-z0-9+.-]*:", refuri):
        return None
    path, _, anchor = refuri.partition("#")
    if not path:
        return docname, anchor
    page = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path))
    return page.removesuffix(".xhtml"), anchor


# --- markup for reading systems ------------------------------------------------------------------

class EpubTranslator(HTML5Translator):
    """Notes as EPUB 3 pop-up footnotes: a superscript number linked with `epub:type="noteref"`
    to an `aside` with `epub:type="footnote"`, which reading systems show over the page."""

    def visit_footnote_reference(self, node: nodes.Element) -> None:
        classes = [NOTEREF]
        if isinstance(node.previous_sibling(), nodes.footnote_reference):
            classes.append(FOLLOWS_NOTEREF)
        self.body.append(f'<sup class="{" ".join(classes)}">')
        self.body.append(self.starttag(node, "a", suffix="", CLASS="footnote-reference",
                                       href="#" + node["refid"], role="doc-noteref",
                                       **{"epub:type": "noteref"}))

    def depart_footnote_reference(self, node: nodes.Element) -> None:
        self.body.append("</a></sup>")

    def visit_footnote(self, node: nodes.Element) -> None:
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append('<div class="footnote-list">\n')
        self.body.append(self.starttag(node, "aside", CLASS="footnote", role="doc-footnote",
                                       **{"epub:type": "footnote"}))

    def depart_footnote(self, node: nodes.Element) -> None:
        self.body.append("</aside>\n")
        if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
            self.body.append("</div>\n")

    def visit_label(self, node: nodes.Element) -> None:
        if not isinstance(node.parent, nodes.footnote):
            return super().visit_label(node)
        backrefs = node.parent.get("backrefs", [])
        self.body.append('<span class="label">')
        if backrefs:
            self.body.append(f'<a role="doc-backlink" href="#{backrefs[0]}">')

    def depart_label(self, node: nodes.Element) -> None:
        if not isinstance(node.parent, nodes.footnote):
            return super().depart_label(node)
        if node.parent.get("backrefs"):
            self.body.append("</a>")
        self.body.append("</span>\n")


# --- the package ---------------------------------------------------------------------------------

def on_builder_inited(app: Sphinx) -> None:
    if not is_epub(app):
        return
    builder = app.builder
    kept_docnames(app)  # a part that _toc.yml lacks fails the build now
    app.config.html_static_path.append(os.path.relpath(STATIC, app.srcdir))
    copy_image_files = builder.copy_image_files

    def copy_image_files_without_doctype() -> None:
        copy_image_files()
        for svg in (Path(builder.outdir) / builder.imagedir).glob("*.svg"):
            strip_doctype(svg)

    builder.copy_image_files = copy_image_files_without_doctype

    toc_add_files = builder.toc_add_files

    def toc_of_kept_pages(refnodes):
        # Called once the root page's folder has been put in front of every reference. Jupyter
        # Book's toctrees list pages only (`titlesonly`): each page's sections are added here.
        kept = set(kept_docnames(app))
        entries = []
        for node in refnodes:
            path = posixpath.normpath(node["refuri"].partition("#")[0])
            docname = path.removesuffix(builder.out_suffix)
            if docname in kept and "#" not in node["refuri"]:
                entries += toc_entries(app, docname, path, node["level"])
        refnodes[:] = entries
        toc_add_files(refnodes)

    builder.toc_add_files = toc_of_kept_pages

    build_content = builder.build_content

    def build_content_of_kept_files() -> None:
        remove_unused_files(Path(builder.outdir), [d + builder.out_suffix for d in kept_docnames(app)])
        build_content()
        opf = Path(builder.outdir, "content.opf")
        opf.write_text(UNSTATED_METADATA.sub("", opf.read_text(encoding="utf-8")), encoding="utf-8")

    builder.build_content = build_content_of_kept_files


def toc_entries(app: Sphinx, docname: str, path: str, level: int) -> list[dict]:
    """The table-of-contents entries of a page and its sections, numbered as the page numbers
    them; not the sections left out, nor the page's Notes (the notes pop up at their markers)."""
    left_out = left_out_anchors(app).get(docname, set())
    notes = getattr(app.env, "thesis_notes_anchor", {}).get(docname)
    numbers = app.env.toc_secnumbers.get(docname, {})
    entries = []

    def walk(bullet_list: nodes.Element, depth: int) -> None:
        for item in bullet_list.children:
            reference = next(item.findall(nodes.reference))
            anchor = reference["anchorname"]
            if anchor.lstrip("#") in left_out or (anchor and anchor == notes):
                continue
            number = numbers.get(anchor)
            text = (".".join(map(str, number)) + ". " if number else "") + reference.astext()
            entries.append({"level": depth, "refuri": html.escape(path + anchor),
                            "text": " ".join(html.escape(text).split())})
            for child in item.children:
                if isinstance(child, nodes.bullet_list):
                    walk(child, depth + 1)

    walk(app.env.tocs[docname], level)
    return entries


def remove_unused_files(outdir: Path, pages: list[str]) -> None:
    """Leave in `outdir` only the kept pages and the style sheets and images they use."""
    text = "\n".join((outdir / page).read_text(encoding="utf-8") for page in pages)
    for path in sorted(outdir.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(outdir).as_posix()
        if name.endswith(".xhtml") and name not in pages or (
                name.startswith(("_static/", "_images/")) and name not in text):
            path.unlink()


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                         doctree) -> None:
    if not is_epub(app):
        return
    context["css_files"] = [f"_static/{STYLE_SHEET}"]
    context["script_files"] = []


def use_epub_translator(app: Sphinx) -> None:
    if is_epub(app):
        app.set_translator("epub", EpubTranslator, override=True)


def setup(app: Sphinx) -> None:
    app.add_config_value("epub_parts", [], "env", [list])
    app.add_config_value("epub_left_out", [], "env", [list])
    # Only for an EPUB build, and before pydata-sphinx-theme's handler (priority 500): with any
    # translator registered, the theme adds its Bootstrap layer to the registered ones only, and
    # the HTML pages would lose it (aria-level of the navigation, scrollable tables).
    app.connect("builder-inited", use_epub_translator, priority=100)
    app.add_post_transform(EpubSelection)
    app.connect("builder-inited", on_builder_inited)
    app.connect("env-updated", find_left_out_anchors)
    app.connect("html-page-context", on_html_page_context)
