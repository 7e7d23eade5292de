"""This edition's Sphinx, docutils, LaTeX, EPUB and pybtex plugins, registered once in
_config.yml as the single extension `book_extensions`.

* `dependencies`: the one rule for what is out of date — a page is re-read when a file it
  depends on changes (its notebook's recorded reads, the configuration, these extensions);
* `figure_numbers`: the book's figure numbers from each page's outline, not every doctree;
* `citation_style`: the thesis's footnote style (a pybtex formatting style);
* `notes`: the thesis's footnotes, one note each, numbered through the thesis as the author numbered them;
* `backrefs`: notes and bibliography entries that link to each other (biblatex's `backref`);
* `emendations`: a sign where the edition changed the author's words, linked to its entry;
* `quantities`: every number from data/ carries its origin (quoted quantities, glued numbers);
* `dates`: the dates of events printed from data/ (the chronology's days and the prose's dates);
* `provenance`: the line under every figure naming the call that draws it and the files it read;
* `sources`: the data files and the `kzthesis` source in the web book, linked from the pages;
* `reader`: reader features of the HTML book; `previews`: hover previews kept between builds;
* `edition_citation`: the About page's "Cite this edition" box (BibTeX and CITATION.cff);
* `reproduction`: the About page's links to the build's results manifest and source archive;
* `latex`: the PDF's thesis structure (with `thesis.sty`); `epub`: what the EPUB needs.

`kzthesis` holds what chapters and notebooks import; nothing here is imported by them.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

def ancestors(node, stop=None):
    """The docutils nodes that contain `node`, innermost first, up to (not including) `stop`."""
    node = node.parent
    while node is not None and node is not stop:
        yield node
        node = node.parent


MODULES = ("dependencies", "figure_numbers", "citation_style", "notes", "backrefs", "emendations", "quantities", "dates", "provenance",
           "sources", "reader", "previews", "edition_citation", "reproduction", "latex", "epub")


def setup(app):
    from importlib import import_module

    for name in MODULES:
        import_module(f"{__name__}.{name}").setup(app)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
