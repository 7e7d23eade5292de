"""The thesis as a LaTeX book (`make pdf`), and the EPUB's metadata.

It changes nothing in the HTML build. For the LaTeX builder it:

* defines `\\thesisbuilddate` and `\\thesiscommit` for the title page (thesis.sty beside this file)
  from the build itself: today's date (or SOURCE_DATE_EPOCH) and the short git commit, marked
  when the working tree has uncommitted changes, or a note when the copy is not a git checkout;
  and the PDF's language (/Lang) from Sphinx's `language`;
* gives the book a thesis structure derived from _toc.yml: the root page's text as an
  unnumbered preface, the pages of `thesis_latex_front_matter` as unnumbered front matter with
  roman page numbers, the contents and the lists of figures and tables after
  `thesis_latex_contents_after`, numbered chapters exactly for the parts marked `numbered`, and
  lettered appendices for the parts named in `thesis_latex_appendix_parts`;
* (the footnotes keep the thesis's numbers through the book: notes.py);
* keeps the bibliography in the Bibliography chapter (Sphinx would move it to the very end);
* calls a figure "Figure" in captions and references (the HTML keeps "Fig.").
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
    context = app.builder.context
    context["preamble"] = context.get("preamble", "") + (
        "\n% From the build (book_extensions/latex.py)\n"
        f"\\newcommand{{\\thesisbuilddate}}{{{latex_escape(build_date())}}}\n"
        f"\\newcommand{{\\thesiscommit}}{{{latex_escape(build_commit(root))}}}\n"
        f"\\hypersetup{{pdflang={{{latex_escape(app.config.language or 'en')}}}}}\n")


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
                    if not any(isinstance(a, addnodes.start_of_file) for a in _ancestors(node))]
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


def _ancestors(node: nodes.Node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


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


def setup(app: Sphinx) -> None:
    # Read only when the LaTeX document is written: no effect on the environment or on HTML.
    app.add_config_value("thesis_latex_front_matter", [], "", list)
    app.add_config_value("thesis_latex_contents_after", None, "", (str, type(None)))
    app.add_config_value("thesis_latex_appendix_parts", [], "", list)
    app.add_config_value("thesis_latex_preface_title", "Preface", "", str)
    app.add_node(bibliography_here)
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    app.add_post_transform(ThesisStructure)
    app.add_post_transform(MarkBibliography)
    app.add_post_transform(PlaceBibliography)
