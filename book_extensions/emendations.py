"""A discreet sign where this edition changed the author's words.

Each emendation (`kzthesis.edition.emendations`: a note of book/edition-notes.csv that changes
words, not one that repairs what the extraction broke) gets, right after the words the edition
prints, a small "°" that links to its entry in the list of emendations on the "About this
edition" page; the sign carries the id `emended-N` that the entry links back to. The words are
looked up in the page's paragraphs, table cells and notes after smart quotes, ignoring
quotation-mark style; an emendation inside a heading gets no sign (its entry still lists it).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform

from . import ROOT

NOTES = ROOT / "book" / "edition-notes.csv"
SIGN = "°"
LIST_PAGE = "book/about"


def _emendations():
    from kzthesis.edition import emendations

    return emendations()


def _comparable(text: str) -> str:
    """Quotation marks straight and every space (a line break of the source, a no-break space of
    a note) a plain space, one character for one, so that positions stay those of the text."""
    from kzthesis.edition import QUOTES

    return "".join(" " if c.isspace() else c for c in text.translate(QUOTES))


def _text_nodes(block: nodes.Element) -> list[nodes.Text]:
    # Text inside a pending cross-reference or a footnote marker is not the author's prose.
    return [t for t in block.findall(nodes.Text)
            if not any(isinstance(a, (addnodes.pending_xref, nodes.footnote_reference))
                       for a in _ancestors(t, block))]


def _ancestors(node: nodes.Node, stop: nodes.Node):
    node = node.parent
    while node is not None and node is not stop:
        yield node
        node = node.parent


def changed_part(seed_text: str, edition_text: str) -> int:
    """How many characters of `edition_text` run to the end of its last changed word: the
    words it shares at its end with the seed's text follow the sign ("40° percent of …")."""
    from kzthesis.edition import FUSED_MARKER, normalise

    def bare(word: str) -> str:
        return normalise(word).rstrip(".,;:")

    seed = [bare(FUSED_MARKER.sub("", w)) for w in seed_text.split()]
    words = edition_text.split()
    kept = len(words)
    while kept > 1 and seed and bare(words[kept - 1]) == seed[-1]:
        kept -= 1
        seed.pop()
    return len(" ".join(words[:kept]))


# A number in the words of a recomputed number's note: the data may have changed it since.
_NUMBER = re.compile(r"\d[\d.,]*")


def words_pattern(words: str, numbers_vary: bool) -> re.Pattern:
    """`words` as a pattern, each number matching any number if `numbers_vary`, with a group for
    every number so that the sign's place can follow a changed number's width."""
    parts, position = [], 0
    comparable = _comparable(words)
    for found in _NUMBER.finditer(comparable) if numbers_vary else ():
        parts.append(re.escape(comparable[position:found.start()]))
        parts.append(r"(\d[\d.,]*\d|\d)")
        position = found.end()
    parts.append(re.escape(comparable[position:]))
    return re.compile("".join(parts))


def place_sign(block: nodes.Element, words: str, make_sign, length: int | None = None,
               numbers_vary: bool = False) -> bool:
    """Insert `make_sign()` after the first `length` characters (all by default) of the first
    occurrence of `words` in `block`'s text (numbers may differ if `numbers_vary`)."""
    texts = _text_nodes(block)
    joined = "".join(str(t) for t in texts)
    found = words_pattern(words, numbers_vary).search(_comparable(joined))
    if found is None:
        return False
    # The numbers printed now may be longer or shorter than the note's: shift the place.
    shift = sum(len(found.group(i)) - len(number.group())
                for i, number in enumerate(_NUMBER.finditer(_comparable(words)), 1)
                if numbers_vary and (length is None or number.end() <= length))
    end = found.start() + (len(words) if length is None else length) + shift
    offset = 0
    for text in texts:
        length = len(str(text))
        if offset < end <= offset + length:
            cut = end - offset
            before, after = str(text)[:cut], str(text)[cut:]
            parent = text.parent
            index = parent.index(text)
            parent.replace(text, nodes.Text(before))
            parent.insert(index + 1, make_sign())
            if after:
                parent.insert(index + 2, nodes.Text(after))
            return True
        offset += length
    return False


class MarkEmendations(SphinxTransform):
    default_priority = 770  # after smart quotes (750): the words as the page prints them

    def apply(self, **kwargs) -> None:
        docname = self.env.docname
        page = docname.rsplit("/", 1)[-1]
        if not docname.startswith("book/"):
            return
        self.env.note_dependency(str(NOTES))
        found = _emendations()
        for row in found[found["page"] == page].itertuples():
            number = row.id.split("-")[1]
            blocks = self.document.findall(nodes.paragraph)
            length = changed_part(row.seed_text, row.edition_text)
            if not any(place_sign(block, row.edition_text,
                                  lambda: self._sign(row.id, number),  # noqa: B023 - used at once
                                  length, numbers_vary=row.kind == "number")
                       for block in blocks) and not self._mark_heading(row.edition_text, number):
                # The words are no longer on the page (a source or the data changed since the
                # note was written): the entry still leads to the page, and the collation test
                # reports the note as stale.
                self.document.insert(0, self._target(number))

    def _mark_heading(self, words: str, number: str) -> bool:
        """An emended heading gets no sign (it would show in every table of contents); its
        entry in the list links back to the heading itself."""
        for title in self.document.findall(nodes.title):
            if _comparable(words) in _comparable(title.astext()):
                title.parent.insert(title.parent.index(title) + 1, self._target(number))
                return True
        return False

    def _sign(self, target: str, number: str) -> nodes.Node:
        reference = addnodes.pending_xref(
            "", nodes.inline("", SIGN, classes=["emendation-mark"]),
            refdomain="std", reftype="ref", reftarget=target, refexplicit=True,
            refwarn=True, refdoc=self.env.docname)
        return nodes.inline("", "", self._target(number), reference, classes=["emendation"])

    def _target(self, number: str) -> nodes.target:
        """The place the list links back to (a label, so that every builder resolves it)."""
        target = nodes.target("", "", names=[f"emended-{number}"])
        self.document.note_explicit_target(target)
        return target


def setup(app) -> None:
    app.add_transform(MarkEmendations)
