"""What Sphinx's EPUB 3 builder needs to produce an
EPUB that passes epubcheck. Nothing changes in the other builds.

* Matplotlib writes SVG with a DOCTYPE that names the external SVG 1.1 DTD, which EPUB 3
  forbids (epubcheck OPF-073, HTM-003): the copies in the EPUB's `_images/` drop it.
* Pages outside the root page's folder (notebooks/ beside book/) are listed in the table of
  contents as `book/../notebooks/x.xhtml`, which the spine did not match to the manifest's
  `notebooks/x.xhtml` (epubcheck OPF-049): the references are normalised.
* myst-nb's stylesheet is copied only when the build has finished, after the EPUB was packed
  (epubcheck RSC-007), and epubcheck's CSS parser rejects its modern syntax (CSS-008): the
  EPUB's pages do not link it (it styles notebook cells, which the thesis pages hide).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from sphinx.application import Sphinx

DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(\[[^\]]*\])?\s*>\s*", re.IGNORECASE)


def strip_doctype(svg: Path) -> bool:
    text = svg.read_text(encoding="utf-8")
    cleaned = DOCTYPE.sub("", text, count=1)
    if cleaned != text:
        svg.write_text(cleaned, encoding="utf-8")
        return True
    return False


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.name != "epub":
        return
    builder = app.builder
    copy_image_files = builder.copy_image_files

    def copy_image_files_without_doctype() -> None:
        copy_image_files()
        for svg in (Path(builder.outdir) / builder.imagedir).glob("*.svg"):
            strip_doctype(svg)

    builder.copy_image_files = copy_image_files_without_doctype

    toc_add_files = builder.toc_add_files

    def toc_add_normalised_files(refnodes):
        # Called once the root page's folder has been put in front of every reference.
        for node in refnodes:
            path, hash_, fragment = node["refuri"].partition("#")
            node["refuri"] = posixpath.normpath(path) + hash_ + fragment
        toc_add_files(refnodes)

    builder.toc_add_files = toc_add_normalised_files


def on_html_page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                         doctree) -> None:
    if app.builder.name != "epub" or "css_files" not in context:
        return
    context["css_files"] = [css for css in context["css_files"]
                            if not Path(str(getattr(css, "filename", css))).name.startswith("mystnb.")]


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", on_builder_inited)
    app.connect("html-page-context", on_html_page_context)
