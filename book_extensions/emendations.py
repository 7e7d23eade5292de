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

from . import ROOT, ancestors

NOTES = ROOT / "book" / "edition-notes.csv"
SIGN = "°"
LIST_PAGE = "book/about"


def _emendations():
    from kzthesis.edition import emendations

    return emendations()


_SPACE = re.compile(r"\s")


def _comparable(text: str) -> str:
    """Quotation marks straight and every space (a line break of the source, a no-break space of
    a note) a plain space, one character for one, so that positions stay those of the text."""
    from kzthesis.edition import QUOTES

    return _SPACE.sub(" ", text.translate(QUOTES))  # \s is str.isspace(), one for one


def _text_nodes(block: nodes.Element) -> list[nodes.Text]:
    # Text inside a pending cross-reference or a footnote marker is not the author's prose.
    return [t for t in block.findall(nodes.Text)
            if not any(isinstance(a, (addnodes.pending_xref, nodes.footnote_reference))
                       for a in ancestors(t, block))]


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


def _block_text(block: nodes.Element) -> str:
    """A paragraph's prose; a glossary entry's text; a table's as the thesis prints it: the
    heading above it ("Table number 2"), then its cells (this edition's caption left out). One
    space between parts; an ellipsis as the notes write it (smart quotes made "..." one
    character)."""
    def prose(within: nodes.Node) -> list[str]:
        return ["".join(map(str, _text_nodes(part))) for part in
                within.findall(lambda n: isinstance(n, (nodes.paragraph, nodes.term)))]

    parts = prose(block)
    if isinstance(block, nodes.table):
        section = next((a for a in ancestors(block, None) if isinstance(a, nodes.section)), None)
        parts = [section[0].astext() if section is not None else "",
                 *(text for group in block.findall(nodes.tgroup) for text in prose(group))]
    text = " ".join(parts)
    return re.sub(r"\s+", " ", _comparable(text)).replace("…", "...")


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
                       for block in blocks):
                # In a heading (no sign: it would show in every table of contents), or no longer
                # on the page (a source or the data changed since the note was written: the
                # collation test reports the note as stale): the entry still leads to the place.
                self._mark_paragraph(row.edition_text, f"emended-{number}", numbers_vary=False)
        self._mark_other_notes(page, found)

    def _mark_other_notes(self, page: str, found) -> None:
        """Every other edition note gets a label (no sign) at the start of the paragraph that
        holds the words it quotes, so that the list of notes leads to the passage."""
        from kzthesis.edition import edition_notes, note_label

        emended = {(r.page, r.seed_line, r.seed_text) for r in found.itertuples()}
        # The labels added below hold no text: each block's text is worked out once for all the
        # notes of the page (a chapter has dozens of notes and hundreds of blocks).
        texts: dict[int, str] = {}

        def block_text(block: nodes.Element) -> str:
            if id(block) not in texts:
                texts[id(block)] = _block_text(block)
            return texts[id(block)]

        for index, row in enumerate(edition_notes().itertuples()):
            if row.page == page and (row.page, row.seed_line, row.seed_text) not in emended:
                self._mark_paragraph(row.edition_text, note_label(index),
                                     numbers_vary=row.kind == "number", block_text=block_text)

    def _mark_paragraph(self, words: str, label: str, numbers_vary: bool, block_text=_block_text) -> None:
        """A label at the start of the first paragraph holding `words` (in a glossary, of the
        definition of the entry that holds them; for a heading, of the first paragraph under
        it; failing all, of the page's first paragraph); in a table, the table's own.

        Never a label of its own before a section, table or figure (the LaTeX writer drops it,
        expecting such a node to carry the ids itself), nor one inside a table's cell (LaTeX
        sets a table's head on every page) or a link (it would split a web address)."""
        pattern = words_pattern(words, numbers_vary)
        # The page's own text: not its front matter (before its title) or a parser's message
        # (which Sphinx removes later, with the label).
        page = next(self.document.findall(nodes.section), self.document)

        def text_blocks(within: nodes.Element, kinds=(nodes.paragraph,)) -> list[nodes.Element]:
            return [b for b in within.findall(lambda n: isinstance(n, kinds))
                    if not any(isinstance(a, nodes.system_message) for a in ancestors(b, page))]

        kinds = (nodes.table, nodes.paragraph, nodes.definition_list_item)
        def holds(block: nodes.Element) -> bool:  # spacing aside ("Political(%)" in a note)
            text = block_text(block)
            return bool(pattern.search(text)) or squashed in text.replace(" ", "")

        squashed = _comparable(words).replace(" ", "")
        blocks = [b for b in text_blocks(page, kinds) if holds(b)]
        if not blocks:
            # A heading's number is the writer's (a note on the numbering quotes it too).
            heading = _comparable(re.sub(r"^\d+(\.\d+)*\.? ", "", words))
            title = next((t for t in page.findall(nodes.title)
                          if heading in _comparable(t.astext())), None)
            blocks = [title.parent if title is not None else page]
        table = next((a for a in [blocks[0], *ancestors(blocks[0], page)]
                      if isinstance(a, nodes.table)), None)
        if table is not None:
            # One more explicit name of the table (its own are registered already).
            table["ids"].insert(0, label)
            table["names"].append(label)
            self.document.ids[label] = table
            self.document.nameids[label] = label
            self.document.nametypes[label] = True
            return
        holder = next(iter(text_blocks(blocks[0])), None)
        if holder is not None:
            holder.insert(0, self._target(label))

    def _sign(self, target: str, number: str) -> nodes.Node:
        reference = addnodes.pending_xref(
            "", nodes.inline("", SIGN, classes=["emendation-mark"]),
            refdomain="std", reftype="ref", reftarget=target, refexplicit=True,
            refwarn=True, refdoc=self.env.docname)
        return nodes.inline("", "", self._target(f"emended-{number}"), reference,
                            classes=["emendation"])

    def _target(self, label: str) -> nodes.target:
        """The place the list links back to (a label, so that every builder resolves it)."""
        target = nodes.target("", "", names=[label])
        self.document.note_explicit_target(target)
        return target


def setup(app) -> None:
    app.add_transform(MarkEmendations)
