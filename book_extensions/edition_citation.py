"""How to cite this edition: the `{cite-this-edition}` directive (on the About page), and the
landing page's scholarly metadata.

It writes a box, "Cite this edition", with two texts to copy:

* a BibTeX entry (`@misc`) made from the book's title (`title` in _config.yml, Sphinx's `html_title`), the year and the
  commit of the build (the footer's, book_extensions/reader.py), and no author: the source
  document names none, and none is invented;
* `CITATION.cff` at the repository's root, as it is (the Citation File Format, which code hosts
  and reference managers read).

The landing page (book/index) carries Highwire Press `citation_*` tags (title, date, language;
a `citation_pdf_url` only if the web book served a PDF) and a schema.org JSON-LD record, for
indexers and reference managers; every value is escaped for the attribute or script it is in.

Both texts are literal text: no character of the title or of the file is read as markup in any
output, and the BibTeX entry escapes what BibTeX would read as its own syntax.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

from . import ROOT

CFF = ROOT / "CITATION.cff"
KIND = "edition_citation"  # on a literal block: "bibtex" or "cff", filled in when written
BOX_CLASS = "cite-this-edition"
_BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_^~])")
_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}


def bibtex_text(value: str) -> str:
    """`value` as BibTeX text that prints it as written."""
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES.get(m.group(1), "\\" + m.group(1)), value)


def bibtex_entry(title: str, year: str, commit: str) -> str:
    key = f"kzthesis_edition_{year}"
    fields = [
        ("title", title),
        ("howpublished", "Reproducible edition (HTML, PDF and EPUB), built with Jupyter Book"),
        ("year", year),
        ("note", "The author of the thesis is not named in the source document. "
                 f"Built from commit {commit}"),
    ]
    lines = [f"@misc{{{key},"]
    # The title in double braces: BibTeX styles keep its capitals.
    lines += [f"  {name} = {{{{{bibtex_text(value)}}}}}," if name == "title" else
              f"  {name} = {{{bibtex_text(value)}}}," for name, value in fields]
    lines.append("}")
    return "\n".join(lines)


class CiteThisEdition(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(CFF))
        box = nodes.container(classes=[BOX_CLASS])
        box += nodes.rubric("", "Cite this edition")
        box += nodes.paragraph("", "As BibTeX (the year and the commit are those of this build):")
        box += nodes.literal_block("", "", language="bibtex", **{KIND: "bibtex"})
        # The longer CFF text is folded away in the web book, so that the About page says what
        # the edition is, how to cite it and how to reproduce it in one screen.
        cff = collapsed(summary="In the Citation File Format (CITATION.cff in the project's files)")
        cff += nodes.literal_block("", "", language="yaml", **{KIND: "cff"})
        box += cff
        return [box]


class collapsed(nodes.General, nodes.Element):
    """Its children under a summary line that opens them: <details> in the web book; in the
    other outputs, the summary as a paragraph and the children after it."""


def visit_collapsed(self, node: collapsed) -> None:
    import html

    self.body.append(f'<details class="collapsed"><summary>{html.escape(node["summary"])}'
                     "</summary>\n")


def depart_collapsed(self, node: collapsed) -> None:
    self.body.append("</details>\n")


class FillEditionCitation(SphinxPostTransform):
    """When the page is written: the texts, with this build's year and commit."""

    default_priority = 7

    def run(self, **kwargs) -> None:
        from .reader import edition_stamp

        web_book = self.app.builder.format == "html" and not self.app.builder.name.startswith("epub")
        for node in list(self.document.findall(collapsed)):
            if not web_book:
                node.replace_self([nodes.paragraph("", node["summary"] + ":"), *node.children])
        for block in self.document.findall(nodes.literal_block):
            kind = block.get(KIND)
            if kind is None:
                continue
            if kind == "bibtex":
                commit, date = edition_stamp(self.app)
                text = bibtex_entry(self.config.html_title, date.split()[-1], commit)
            else:
                text = Path(CFF).read_text(encoding="utf-8").rstrip("\n")
            block.children = [nodes.Text(text)]
            block.rawsource = text


# --- scholarly metadata of the landing page -------------------------------------------------------

def iso_build_date(app) -> str:
    """The build's date (the footer's, reader.py) as YYYY-MM-DD."""
    import datetime as dt

    from .reader import edition_stamp

    return dt.datetime.strptime(edition_stamp(app)[1], "%d %B %Y").date().isoformat()


def landing_metadata(app) -> tuple[list[tuple[str, str]], dict]:
    """The Highwire Press tags (name, content) and the schema.org record of the edition. No
    author: the source document names none. No citation_pdf_url: the web book offers no PDF."""
    from .reader import edition_stamp

    config = app.config
    title, date, language = config.html_title, iso_build_date(app), config.language or "en"
    tags = [("citation_title", title), ("citation_publication_date", date.replace("-", "/")),
            ("citation_date", date.replace("-", "/")), ("citation_language", language)]
    pdf = Path(app.outdir, f"{config.epub_basename}.pdf")
    if pdf.exists():  # a PDF that the site serves (none today: `make pdf` writes _build/latex/)
        tags.append(("citation_pdf_url", pdf.name))
    record = {
        "@context": "https://schema.org", "@type": "Book", "name": title,
        "description": config.epub_description, "inLanguage": language, "datePublished": date,
        "bookEdition": "Reproducible edition", "version": edition_stamp(app)[0],
        "bookFormat": "https://schema.org/EBook", "genre": "Thesis",
        "isAccessibleForFree": True,
    }
    return tags, record


def json_for_script(value) -> str:
    """JSON inside <script>: no `<`, `>` or `&` that could end the element or start a comment."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def add_landing_metadata(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """On the landing page of the web book: the citation_* tags that Google Scholar and
    Zotero read, and a JSON-LD description of the edition."""
    import html

    if pagename != app.config.root_doc or app.builder.format != "html" or app.builder.name.startswith("epub"):
        return
    tags, record = landing_metadata(app)
    lines = [f'<meta name="{html.escape(name)}" content="{html.escape(content)}" />'
             for name, content in tags]
    lines.append(f'<script type="application/ld+json">\n{json_for_script(record)}\n</script>')
    context["metatags"] = context.get("metatags", "") + "\n    " + "\n    ".join(lines)


def setup(app) -> None:
    app.add_directive("cite-this-edition", CiteThisEdition)
    app.add_node(collapsed, html=(visit_collapsed, depart_collapsed))
    app.add_post_transform(FillEditionCitation)
    app.connect("html-page-context", add_landing_metadata)
