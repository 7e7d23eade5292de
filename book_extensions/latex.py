"""The thesis as a LaTeX book (`make pdf`), and the EPUB's metadata.

It changes nothing in the HTML build. For the LaTeX builder it:

* defines `\\thesisbuilddate` and `\\thesiscommit` for the back of the title page (thesis.sty
  beside this file) from the build itself: today's date (or SOURCE_DATE_EPOCH) and the short git
  commit, marked when the working tree has uncommitted changes, or a note when the copy is not a
  git checkout; `\\thesisabout` (`thesis_print_notice`); and the PDF's language (/Lang), subject
  (`epub_description`) and keywords (`thesis_pdf_keywords`);
* gives the book a thesis structure derived from _toc.yml: the root page's text (if printed) as an
  unnumbered preface, the pages of `thesis_latex_front_matter` as unnumbered front matter with
  roman page numbers, the contents and the lists of figures and tables after
  `thesis_latex_contents_after`, numbered chapters exactly for the parts marked `numbered`, and
  lettered appendices for the parts named in `thesis_latex_appendix_parts`;
* prints the print edition: the pages of `thesis_print_pages` only, without what
  `thesis_print_omit` names (the web edition's build details, notes line by line, citation box);
  a chart that the web shows on two pages once, the other place pointing to it; a short caption
  in the List of Figures; consecutive note markers separated; web addresses breaking at their
  signs (`displayed_url` shows encoded letters as letters);
* (the footnotes keep the thesis's numbers through the book: notes.py);
* keeps the bibliography in the Bibliography chapter (Sphinx would move it to the very end);
* calls a figure "Figure" in captions and references (the HTML keeps "Fig.");
* prints each chart from its printed copy (PrintedCharts).
The columns of the tables come from the table renderer (kzthesis/report.py), which puts a
`tabularcolumns` directive before each table. The EPUB's fixes are in epub.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.latex.nodes import thebibliography
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from . import ancestors, records

logger = logging.getLogger(__name__)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


# --- build information -------------------------------------------------------------------------

def build_date(now: dt.datetime | None = None) -> str:
    """The build date, e.g. `25 November 2025`; SOURCE_DATE_EPOCH fixes it for reproducible
    builds (https://reproducible-builds.org/specs/source-date-epoch/)."""
    if now is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        now = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
               else dt.datetime.now())
    return f"{now.day} {MONTHS[now.month - 1]} {now.year}"


def build_commit(root: Path) -> str:
    """Short hash of the checked-out commit, `+ uncommitted changes` when tracked files differ
    from it (or untracked, not ignored files exist), or a note when `root` is not the top of a
    git checkout (a copy of the project inside another repository is not a checkout of it)."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)

    try:
        top = git("rev-parse", "--show-toplevel")
    except FileNotFoundError:  # git is not installed
        return "unknown (git is not installed)"
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != Path(root).resolve():
        return "unknown (not a git checkout)"
    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return "unknown (no commit yet)"
    dirty = git("status", "--porcelain", "--untracked-files=normal").stdout.strip()
    return head.stdout.strip() + (" + uncommitted changes" if dirty else "")


def latex_escape(text: str) -> str:
    special = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$",
               "%": r"\%", "&": r"\&", "_": r"\_", "^": r"\^{}", "~": r"\~{}"}
    return "".join(special.get(c, c) for c in text)


def on_config_inited(app: Sphinx, config) -> None:
    """EPUB metadata that Sphinx requires and this book has elsewhere: the title (html_title,
    from _config.yml's `title`) and the edition's version (pyproject.toml). Set the same way in
    every build, so that the HTML, LaTeX and EPUB builds keep sharing one environment."""
    if config.html_title and config.epub_title in ("", config.project):
        config.epub_title = config.html_title
    if not config.version:
        pyproject = Path(app.confdir) / "pyproject.toml"
        match = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"),
                          re.MULTILINE) if pyproject.exists() else None
        if match:
            config.version = config.release = match.group(1)


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "latex":
        return
    root = Path(app.confdir)
    figures_called_figure(app)
    print_only_the_listed_pages(app)
    context = app.builder.context
    config = app.config
    notice = " ".join(config.thesis_print_notice.split()).replace("'", "’")  # typographic apostrophes
    context["preamble"] = context.get("preamble", "") + (
        "\n% From the build (book_extensions/latex.py)\n"
        f"\\newcommand{{\\thesisbuilddate}}{{{latex_escape(build_date())}}}\n"
        f"\\newcommand{{\\thesiscommit}}{{{latex_escape(build_commit(root))}}}\n"
        f"\\newcommand{{\\thesisabout}}{{{latex_escape(notice)}}}\n"
        f"\\hypersetup{{pdflang={{{latex_escape(config.language or 'en')}}}, "
        f"pdfsubject={{{latex_escape(config.epub_description)}}}, "
        f"pdfkeywords={{{latex_escape(', '.join(config.thesis_pdf_keywords))}}}}}\n")


def figures_called_figure(app: Sphinx) -> None:
    """In the PDF a figure is a "Figure" (captions and references alike); the HTML keeps its
    "Fig.". Set when the LaTeX builder starts writing, after the environment was saved, so
    that the HTML, LaTeX and EPUB builds keep sharing one environment."""
    builder = app.builder
    write = builder.write

    def write_with_figure_names(*args, **kwargs):
        app.config.numfig_format = {**app.config.numfig_format, "figure": "Figure %s"}
        return write(*args, **kwargs)

    builder.write = write_with_figure_names


# --- structure -----------------------------------------------------------------------------------

def raw(latex: str) -> nodes.raw:
    return nodes.raw("", latex + "\n", format="latex")


def toc_parts(app: Sphinx) -> list[tuple[str | None, bool, list[str]]]:
    """(caption, numbered, docnames) of every part of the external table of contents."""
    site_map = getattr(app.config, "external_site_map", None)
    if site_map is None:
        return []
    parts = []
    for subtree in site_map.root.subtrees:
        docnames: list[str] = []

        def walk(name: str, found: list[str]) -> None:
            found.append(name)
            for child in site_map[name].subtrees:
                for item in child.items:
                    if isinstance(item, str):
                        walk(item, found)

        for item in subtree.items:
            if isinstance(item, str):
                walk(item, docnames)
        parts.append((subtree.caption, bool(subtree.numbered), docnames))
    return parts


class ThesisStructure(SphinxPostTransform):
    """Insert the front matter, main matter and appendix commands of thesis.sty between the
    chapters of the assembled LaTeX document."""

    default_priority = 900
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        config = self.config
        root_doc = config.root_doc
        front = list(config.thesis_latex_front_matter)
        contents_after = config.thesis_latex_contents_after
        appendix_parts = set(config.thesis_latex_appendix_parts)
        numbered, appendix = set(), set()
        for caption, is_numbered, docnames in toc_parts(self.app):
            if caption in appendix_parts:
                appendix.update(docnames)
            elif is_numbered:
                numbered.update(docnames)

        # Top-level chapters: the start_of_file nodes of the root document's toctrees.
        chapters = [node for node in self.document.findall(addnodes.start_of_file)
                    if not any(isinstance(a, addnodes.start_of_file) for a in ancestors(node))]
        if not chapters:
            return
        root_section = next(self.document.findall(nodes.section), None)
        if root_section is not None and root_section.get("docname", root_doc) == root_doc:
            # The root page's own text, if any, before the first chapter: the preface.
            title = root_section.next_node(nodes.title)
            body = [c for c in root_section.children
                    if not isinstance(c, (nodes.title, nodes.compound, nodes.target))]
            if title is not None and body:
                index = root_section.index(title) + 1
                root_section.insert(index, raw(
                    r"\thesisunnumbered\thesisunnumberedchapter{%s}" % config.thesis_latex_preface_title))

        main_started = contents_done = appendix_started = False
        if contents_after is None:
            chapters[0].parent.insert(chapters[0].parent.index(chapters[0]), raw(r"\thesiscontents"))
            contents_done = True
        for node in chapters:
            docname = node["docname"]
            commands = []
            if docname in front:
                if main_started:
                    logger.warning("thesis_latex: front matter page %s comes after the main matter",
                                   docname, location=docname)
                commands.append(r"\thesisunnumbered")
            else:
                if not contents_done:
                    logger.warning("thesis_latex: %s not found before the main matter",
                                   contents_after, location=docname)
                    commands.append(r"\thesiscontents")
                    contents_done = True
                if not main_started:
                    commands.append(r"\thesismainmatter")
                    main_started = True
                if docname in appendix:
                    if not appendix_started:
                        commands.append(r"\thesisappendix")
                        appendix_started = True
                    commands.append(r"\thesisnumbered")
                elif docname in numbered:
                    commands.append(r"\thesisnumbered")
                else:
                    commands.append(r"\thesisunnumbered")
            parent = node.parent
            parent.insert(parent.index(node), raw("".join(commands)))
            if docname == contents_after:
                parent.insert(parent.index(node) + 1, raw(r"\thesiscontents"))
                contents_done = True


# --- what the print edition contains ---------------------------------------------------------------

def print_only_the_listed_pages(app: Sphinx) -> None:
    """The PDF holds the pages of `thesis_print_pages` (the root page's own text only if it is
    listed): the LaTeX builder assembles the book from the toctrees, so it is given toctrees
    without the other pages. A reference to a page left out prints as text, without a link."""
    builder = app.builder
    assemble = builder.assemble_doctree
    listed = set(app.config.thesis_print_pages)
    unknown = listed - set(app.env.found_docs)
    if unknown:
        logger.warning("thesis_print_pages (_config.yml) names pages that do not exist: %s",
                       ", ".join(sorted(unknown)))

    def assemble_listed(indexfile, toctree_only, appendices):
        env = builder.env
        read = env.get_doctree

        def printed_doctree(docname):
            tree = read(docname)
            for toctree in tree.findall(addnodes.toctree):
                toctree["includefiles"] = [f for f in toctree["includefiles"] if f in listed]
                toctree["entries"] = [(t, ref) for t, ref in toctree["entries"] if ref in listed]
            return tree

        env.get_doctree = printed_doctree
        try:
            return assemble(indexfile, toctree_only, appendices)
        finally:
            del env.get_doctree

    builder.assemble_doctree = assemble_listed


class LeaveOutWebMatter(SphinxPostTransform):
    """What the web edition has and the print edition does not: the elements (sections, boxes)
    whose id or class `thesis_print_omit` names, and, on the root page, its text unless the root
    page is listed in `thesis_print_pages`."""

    default_priority = 3  # before anything is resolved or numbered
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        omit = set(self.config.thesis_print_omit)
        for node in list(self.document.findall(nodes.Element)):
            if node.parent is not None and omit & set(node.get("ids", []) + node.get("classes", [])):
                node.parent.remove(node)
        root_doc = self.config.root_doc
        if root_doc in self.config.thesis_print_pages:
            return
        root_section = next(self.document.findall(nodes.section), None)
        if root_section is not None and root_section.get("docname", root_doc) == root_doc:
            for child in list(root_section.children):
                if not isinstance(child, (nodes.title, nodes.compound, nodes.target,
                                          addnodes.start_of_file)):
                    root_section.remove(child)


def _image_of(figure: nodes.figure) -> str | None:
    image = next(figure.findall(nodes.image), None)
    return Path(image["uri"]).name if image is not None else None


class PrintedCharts(SphinxPostTransform):
    """Each chart of the notebooks is printed from its printed copy (drawn for the page by the PDF
    build, tools/printed_charts.py), in the place of the web book's SVG, which LaTeX cannot
    include."""

    default_priority = 5  # after myst-nb chose the SVG (4), before EachChartOnce (6)
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        index = records.printed_charts(Path(self.app.srcdir))
        for image in list(self.document.findall(nodes.image)):
            uri = image["uri"]
            if not uri.endswith(".svg"):
                continue
            printed = index.get(Path(uri).stem)
            if printed is None:
                logger.warning("%s: no printed copy of this chart in %s: the PDF build "
                               "(python -m tools.build pdf) draws them", uri,
                               records.PRINTED_CHARTS, location=image)
                continue
            path = f"{records.PRINTED_CHARTS}/{printed}"
            # Known to the environment, so that the builder copies it beside the .tex.
            self.env.images.add_file(self.env.docname, path)
            image["uri"] = path
            image["candidates"] = {"*": path}


class EachChartOnce(SphinxPostTransform):
    """A chart drawn on several pages (the same image) is printed once: where the text refers
    to it (the target of a {numref}, e.g. the survey results' figure that the author's notes
    point to), else in the appendix that shows it (the survey results chart every question, so
    that Figure A.4 is question 4's), else where it first appears. Its other places say where
    it is ("Chart: Figure A.1, p. 84"), in small type like a caption."""

    default_priority = 6  # after myst-nb chose each output's format (4), before references (9)
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        referred = {node["reftarget"] for node in self.document.findall(addnodes.pending_xref)
                    if node.get("reftype") == "numref"}
        parts = set(self.config.thesis_latex_appendix_parts)
        appendix = {doc for caption, _, docnames in toc_parts(self.app) if caption in parts
                    for doc in docnames}
        by_image: dict[str, list[nodes.figure]] = {}
        for figure in self.document.findall(nodes.figure):
            image = _image_of(figure)
            if image:
                by_image.setdefault(image, []).append(figure)
        for figures in by_image.values():
            if len(figures) < 2:
                continue
            in_appendix = [f for f in figures if _docname_of(f) in appendix]
            kept = next((f for f in figures if referred & set(f["names"] + f["ids"])),
                        (in_appendix or figures)[0])
            label = (f"{_docname_of(kept)}:{kept['ids'][0]}"
                     if kept["ids"] and _docname_of(kept) else None)
            for figure in figures:
                if figure is kept:
                    continue
                if label is None:
                    figure.parent.remove(figure)
                    continue
                # In smaller type, like a caption: not the author's text.
                figure.replace_self(raw(
                    r"\par{\small\itshape Chart: \hyperref[\detokenize{%s}]{Figure~\ref{\detokenize{%s}}},"
                    r" p.~\pageref{\detokenize{%s}}.\par}" % (label, label, label)))


def _docname_of(node: nodes.Node) -> str:
    """The page a node of the assembled book comes from (Sphinx marks each page's start and
    sections)."""
    for ancestor in ancestors(node):
        if isinstance(ancestor, addnodes.start_of_file) or (
                isinstance(ancestor, nodes.section) and "docname" in ancestor):
            return ancestor["docname"]
    return ""


# A caption's first part, for the List of Figures: up to its first full stop, comma, question
# mark or opening parenthesis after the colon of "Survey question 3: …".
_SHORT_CAPTION = re.compile(r"^(.{12,}?)(?:[.?!](?:\s|$)|,\s|\s\()")


def short_caption(caption: str) -> str | None:
    """The List of Figures' entry for a caption, or None when the caption is short already."""
    found = _SHORT_CAPTION.match(" ".join(caption.split()))
    if found is None:
        return None
    short = found.group(1) + ("?" if found.group(0).rstrip().endswith("?") else "")
    return short if len(short) < len(caption.strip()) else None


class SeparateNoteMarkers(SphinxPostTransform):
    """Consecutive note markers print as "43,44,45", not "434445"; a marker after a number
    ("in 2014" + note 93) stands a little apart from it."""

    default_priority = 590  # before the LaTeX writer's footnote transform (600)
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for reference in list(self.document.findall(nodes.footnote_reference)):
            parent = reference.parent
            index = parent.index(reference)
            following = parent[index + 1] if index + 1 < len(parent) else None
            if isinstance(following, nodes.footnote_reference):
                parent.insert(index + 1, nodes.raw("", r"\thesisnotesep{}", format="latex"))
            previous = parent[index - 1] if index > 0 else None
            if isinstance(previous, nodes.Text) and previous.astext()[-1:].isdigit():
                parent.insert(index, nodes.raw("", r"\thesisnotegap{}", format="latex"))


# The signs after which an address may break (thesis.sty's \UrlBreaks), and a run without them
# too long to end a line of a note.
URL_BREAKS = set("./-_?&=#!;,:)@")
_LONG_RUN = re.compile(r"[^./\-_?&=#!;,:)@]{28,}")


def latex_translator(base):
    class ThesisLaTeXTranslator(base):
        """Figures get a short caption in the List of Figures (`short_caption`); a web address
        shown decoded (citation_style.displayed_url) breaks over lines as an address does."""

        def visit_reference(self, node):
            from .citation_style import displayed_url

            uri = node.get("refuri", "")
            shown = node.astext()
            if not (len(node) == 1 and isinstance(node[0], nodes.Text) and uri.startswith("http")
                    and shown in (uri, displayed_url(uri))):
                return super().visit_reference(node)
            if _LONG_RUN.search(shown):
                # A run of letters longer than a line's free end (an address that lost its
                # hyphens): break at its signs, else, at a high cost, between two letters.
                text = "".join(self.encode(c) + (r"\allowbreak{}" if c in URL_BREAKS else
                                                 r"\penalty5000\hskip0pt{}")
                               for c in shown)
                self.body.append(r"\sphinxhref{%s}{%s}" % (self.encode_uri(uri), text))
            elif shown != uri:
                self.body.append(r"\sphinxhref{%s}{\sphinxnolinkurl{%s}}"
                                 % (self.encode_uri(uri), self.encode_uri(shown)))
            else:
                return super().visit_reference(node)
            raise nodes.SkipNode

        def visit_caption(self, node):
            short = (short_caption(node.astext()) if isinstance(node.parent, nodes.figure)
                     and not self.in_minipage and not self.table else None)
            super().visit_caption(node)
            if short and self.body[-1] == r"\caption{":
                self.body[-1] = r"\caption[" + self.encode(short).replace("]", "{]}") + "]{"

    return ThesisLaTeXTranslator


# --- bibliography --------------------------------------------------------------------------------

class bibliography_here(nodes.General, nodes.Element):
    """Where the first bibliography list of the book was; removed again before writing."""


class MarkBibliography(SphinxPostTransform):
    default_priority = 749  # before Sphinx gathers the citations (BibliographyTransform, 750)
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        citation = next(self.document.findall(nodes.citation), None)
        if citation is not None:
            citation.parent.insert(citation.parent.index(citation), bibliography_here())


class PlaceBibliography(SphinxPostTransform):
    default_priority = 751
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        marker = next(self.document.findall(bibliography_here), None)
        if marker is None:
            return
        bibliography = next(self.document.findall(thebibliography), None)
        if bibliography is not None:
            bibliography.parent.remove(bibliography)
            marker.replace_self(bibliography)
        else:
            marker.parent.remove(marker)


def use_thesis_translator(app: Sphinx) -> None:
    if app.builder.format == "latex":
        from sphinx.writers.latex import LaTeXTranslator

        app.set_translator(app.builder.name, latex_translator(LaTeXTranslator), override=True)


def setup(app: Sphinx) -> None:
    # Read only when the LaTeX document is written: no effect on the environment or on HTML.
    app.add_config_value("thesis_latex_front_matter", [], "", list)
    app.add_config_value("thesis_latex_contents_after", None, "", (str, type(None)))
    app.add_config_value("thesis_latex_appendix_parts", [], "", list)
    app.add_config_value("thesis_latex_preface_title", "Preface", "", str)
    app.add_config_value("thesis_print_pages", [], "", list)
    app.add_config_value("thesis_print_omit", [], "", list)
    app.add_config_value("thesis_print_notice", "", "", str)
    app.add_config_value("thesis_pdf_keywords", [], "", list)
    app.add_node(bibliography_here)
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    app.add_post_transform(ThesisStructure)
    app.add_post_transform(LeaveOutWebMatter)
    app.add_post_transform(PrintedCharts)
    app.add_post_transform(EachChartOnce)
    app.add_post_transform(SeparateNoteMarkers)
    # Registered for LaTeX builds only, before pydata-sphinx-theme's handler (priority 500),
    # as epub.py does: see use_epub_translator there.
    app.connect("builder-inited", use_thesis_translator, priority=100)
    app.add_post_transform(MarkBibliography)
    app.add_post_transform(PlaceBibliography)
