"""The thesis's footnotes as the author numbered them, in every edition.

The thesis numbers its 177 footnotes through the whole text. In the pages a footnote is written
as one of:

* ``{footcite}`key``` — a source; ``{footcite}`key1,key2``` — one footnote listing sources;
* ``[^name]`` — a remark (or a lost footnote, whose text says so);
* ``[^name]{footcite}`key``` — a remark followed by its source: one footnote.

sphinxcontrib-bibtex would make one footnote per key and page (a repeated citation sharing the
first one's number) and number them per page. Here, while a page is read, every footnote of the
thesis becomes exactly one note, in reading order: the remark, then its sources, the first
citation of a source in the chapter in full and a repeated one in short (author, short title);
the bibliography keeps the full form. When a page is written, each note takes its number in
the whole thesis: the notes of the pages before it in `_toc.yml`, within the parts named by
`thesis_notes_parts`, plus its place on the page (pages outside those parts number their own
notes from 1). So note 43 is note 43 in the HTML, the PDF and the EPUB.

In the web book and the EPUB a page's notes follow its text as a book's do: in a last section,
"Notes" (unnumbered, listed in the page's contents); the PDF prints them as footnotes.
"""

from __future__ import annotations

import itertools

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinxcontrib.bibtex.foot_roles import FootCiteRole

from . import ancestors

ENV_COUNTS = "thesis_note_counts"   # docname -> number of notes on the page
GROUP = "thesis_note_group"         # on a footcite reference: which role call made it
KEY = "thesis_note_key"             # on a footcite reference: its BibTeX key
NOTE_KEYS = "thesis_note_keys"      # on a note's marker: the BibTeX keys the note cites
NOTE_CLASS = "thesis-note"
_calls = itertools.count(1)


class GroupedFootCiteRole(FootCiteRole):
    """`{footcite}` that marks the references one call makes as one footnote of the thesis."""

    def run(self):
        result, messages = super().run()
        group = next(_calls)
        keys = [key.strip() for key in self.text.split(",")]
        known = [k for k in keys if k in self.env.get_domain("cite").bibdata.data.entries]
        refs = [r for node in result for r in node.findall(nodes.footnote_reference)]
        for ref, key in zip(refs, known):
            ref[GROUP] = group
            ref[KEY] = key
        return result, messages


def _body(footnote: nodes.footnote) -> list[nodes.Node]:
    return [child.deepcopy() for child in footnote.children if not isinstance(child, nodes.label)]


def _inline(footnote: nodes.footnote) -> list[nodes.Node]:
    """The text of a one-paragraph footnote (a formatted source) as inline nodes."""
    paragraphs = [child for child in footnote.children if isinstance(child, nodes.paragraph)]
    return [node.deepcopy() for paragraph in paragraphs for node in paragraph.children]


class CollectThesisNotes(SphinxTransform):
    """On reading a page: one note per footnote of the thesis, in reading order."""

    default_priority = 700  # after docutils numbered and linked the page's footnotes (620)

    def apply(self, **kwargs) -> None:
        document = self.document
        footnotes = {i: f for f in document.findall(nodes.footnote) for i in f["ids"]}
        refs = [r for r in document.findall(nodes.footnote_reference)
                if r.get("refid") in footnotes and not any(isinstance(a, nodes.footnote) for a in ancestors(r))]
        self.env.__dict__.setdefault(ENV_COUNTS, {})[self.env.docname] = 0
        if not refs:
            return
        domain = self.env.get_domain("cite")
        from .citation_style import short_form

        groups: list[list[nodes.footnote_reference]] = []
        for ref in refs:
            previous = groups[-1][-1] if groups else None
            same_call = previous is not None and ref.get(GROUP) and previous.get(GROUP) == ref.get(GROUP)
            source_after_remark = (previous is not None and ref.get(GROUP) and not previous.get(GROUP)
                                   and len(groups[-1]) == 1 and previous.next_node(
                                       descend=False, siblings=True) is ref)
            if same_call or source_after_remark:
                groups[-1].append(ref)
            else:
                groups.append([ref])

        cited: set[str] = set()
        notes = []
        for index, group in enumerate(groups, 1):
            note = nodes.footnote(ids=[f"thesis-note-{index}"], classes=[NOTE_CLASS],
                                  thesis_note=index, thesis_note_doc=self.env.docname,
                                  docname=self.env.docname,  # Sphinx's LaTeX writer pairs by it
                                  backrefs=[f"thesis-note-ref-{index}"])
            note += nodes.label("", str(index))
            sources: list[nodes.Node] = []
            for ref in group:
                footnote = footnotes[ref["refid"]]
                key = ref.get(KEY)
                if key is None:  # a remark
                    note.extend(_body(footnote))
                    continue
                if sources:  # sources listed as the thesis lists them: "A; B"
                    _drop_final_full_stop(sources)
                    sources.append(nodes.Text("; "))
                if key in cited:
                    entry = domain.bibdata.data.entries[key]
                    sources.extend(short_form(entry).render(domain.backend))
                else:
                    sources.extend(_inline(footnote))
                    cited.add(key)
            if sources:
                paragraphs = [c for c in note.children if isinstance(c, nodes.paragraph)]
                if paragraphs:  # a remark and its source: one note, the source after the remark
                    paragraphs[-1] += nodes.Text(" ")
                    paragraphs[-1].extend(sources)
                else:
                    note += nodes.paragraph("", "", *sources)
            reference = nodes.footnote_reference("", str(index), refid=note["ids"][0],
                                                 ids=[f"thesis-note-ref-{index}"],
                                                 classes=[NOTE_CLASS], thesis_note=index,
                                                 thesis_note_doc=self.env.docname,
                                                 docname=self.env.docname,
                                                 **{NOTE_KEYS: [r[KEY] for r in group if r.get(KEY)]})
            group[0].replace_self(reference)
            for extra in group[1:]:
                extra.parent.remove(extra)
            notes.append(note)

        # The notes replace the footnotes they were made from, where those stood (the page's
        # {footbibliography}, or the end of the page).
        old = [f for f in footnotes.values() if f.parent is not None]
        place = next((f.parent for f in old if isinstance(f.parent, nodes.container)), None)
        for footnote in dict.fromkeys(old):
            footnote.parent.remove(footnote)
        if place is None or place.parent is None:
            place = nodes.container(classes=["thesis-notes"])
            document += place
        place["classes"] = list(dict.fromkeys([*place["classes"], "thesis-notes"]))
        place.extend(notes)
        _notes_section(document, place)
        self.env.__dict__[ENV_COUNTS][self.env.docname] = len(notes)


NOTES_SECTION = "thesis-notes-section"


def _notes_section(document: nodes.document, place: nodes.Element) -> None:
    """The page's notes in a section of their own, "Notes", the last of the page's title
    section (so a heading of the page's second level, listed in its contents)."""
    section_id = "notes" if "notes" not in document.ids else "thesis-notes"
    section = nodes.section(ids=[section_id], classes=[NOTES_SECTION])
    section += nodes.title("", "Notes")
    place.parent.remove(place)
    section += place
    top = next(iter(document.findall(nodes.section)), None)
    (top if top is not None else document).append(section)
    document.ids[section_id] = section


ENV_ANCHORS = "thesis_notes_anchor"    # docname -> "#notes": the anchor of the page's Notes
ENV_NUMBERS = "thesis_notes_secnumber"  # docname -> the number Sphinx gives that section


def note_notes_anchor(app, doctree) -> None:
    anchors = getattr(app.env, ENV_ANCHORS, None)
    if anchors is None:
        anchors = app.env.__dict__[ENV_ANCHORS] = {}
    anchors.pop(app.env.docname, None)
    for section in doctree.findall(nodes.section):
        if NOTES_SECTION in section["classes"]:
            anchors[app.env.docname] = "#" + section["ids"][0]


def restore_notes_numbers(app, env) -> list[str]:
    """Before Sphinx numbers the sections: give the Notes sections the numbers it gave them last
    time, so that it finds every number unchanged and writes no page again for them."""
    for doc, number in getattr(env, ENV_NUMBERS, {}).items():
        anchor = getattr(env, ENV_ANCHORS, {}).get(doc)
        if anchor is not None and anchor in env.toc_secnumbers.get(doc, {}):
            env.toc_secnumbers[doc][anchor] = number
    return []


def unnumber_notes(app, env) -> list[str]:
    """After Sphinx numbered the sections (numbered chapters number every section): the Notes
    heading and its entry in the page's contents show none ("Notes", not "1.5. Notes")."""
    numbers = env.__dict__[ENV_NUMBERS] = {}
    for doc, anchor in getattr(env, ENV_ANCHORS, {}).items():
        secnumbers = env.toc_secnumbers.get(doc, {})
        if secnumbers.get(anchor) is None:
            continue
        numbers[doc] = secnumbers[anchor]
        secnumbers[anchor] = None  # the HTML writer numbers a heading only if this is set
        for reference in env.tocs[doc].findall(nodes.reference):
            if reference.get("anchorname") == anchor:
                reference["secnumber"] = None
    return []


def _drop_final_full_stop(inline: list[nodes.Node]) -> None:
    texts = [t for node in inline for t in (
        [node] if isinstance(node, nodes.Text) else list(node.findall(nodes.Text)))]
    if texts and texts[-1].astext().endswith("."):
        last = texts[-1]
        replacement = nodes.Text(last.astext()[:-1])
        if last in inline:
            inline[inline.index(last)] = replacement
        else:
            last.parent.replace(last, replacement)


def thesis_docnames(app) -> list[str]:
    """The pages whose notes are the thesis's, in reading order."""
    from .latex import toc_parts

    parts = set(app.config.thesis_notes_parts)
    return [doc for caption, _, docnames in toc_parts(app) if caption in parts for doc in docnames]


def first_numbers(app, env) -> dict[str, int]:
    """The thesis's number of the first note of each of its pages, in reading order."""
    counts = getattr(env, ENV_COUNTS, {})
    numbers, number = {}, 1
    for doc in thesis_docnames(app):
        numbers[doc] = number
        number += counts.get(doc, 0)
    return numbers


def first_number(app, env, docname: str) -> int:
    """The thesis's number of the first note of `docname` (1 for a page outside the thesis)."""
    return first_numbers(app, env).get(docname, 1)


class NotesAsFootnotes(SphinxPostTransform):
    """The PDF prints the notes at the foot of their pages: no "Notes" section there."""

    default_priority = 4
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for section in list(self.document.findall(nodes.section)):
            if NOTES_SECTION in section["classes"]:
                section.replace_self(section.children[1:])


class NumberThesisNotes(SphinxPostTransform):
    """On writing a page (or the whole book, for LaTeX): each note and its marker take the
    thesis's number."""

    default_priority = 5  # before the LaTeX writer turns references into \footnote (600)

    def run(self, **kwargs) -> None:
        notes = list(self.document.findall(
            lambda n: isinstance(n, (nodes.footnote, nodes.footnote_reference)) and "thesis_note" in n))
        numbers = first_numbers(self.app, self.env) if notes else {}
        for node in notes:
            label = str(numbers.get(node["thesis_note_doc"], 1) - 1 + node["thesis_note"])
            # Anchors named by the thesis's number: chapter2.html#note-43 is note 43.
            if isinstance(node, nodes.footnote):
                node[0].children = [nodes.Text(label)]
                node["ids"] = [f"note-{label}"]
                node["backrefs"] = [f"note-ref-{label}"]
            else:
                node.children = [nodes.Text(label)]
                node["ids"] = [f"note-ref-{label}"]
                node["refid"] = f"note-{label}"


ENV_OFFSETS = "thesis_note_offsets"  # docname -> first number, as last written


def renumbered(app, env) -> list[str]:
    """Pages whose notes now start at another number (a note was added or removed on a page
    before them): they are written again, although their sources did not change."""
    previous = getattr(env, ENV_OFFSETS, {})
    current = first_numbers(app, env)
    env.__dict__[ENV_OFFSETS] = current
    return [doc for doc, number in current.items() if previous.get(doc) not in (None, number)]


def purge(app, env, docname: str) -> None:
    for name in (ENV_COUNTS, ENV_ANCHORS):
        getattr(env, name, {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    for name in (ENV_COUNTS, ENV_ANCHORS):
        mine = env.__dict__.setdefault(name, {})
        mine.update({d: n for d, n in getattr(other, name, {}).items() if d in docnames})


class AddressesAsWritten(SphinxTransform):
    """A web address shows exactly as its link: smart quotes turn the "--" of a displayed
    address into an en dash (in an address, it is two hyphens)."""

    default_priority = 760  # after SphinxSmartQuotes (750)

    def apply(self, **kwargs) -> None:
        for reference in self.document.findall(nodes.reference):
            address = reference.get("refuri", "")
            shown = reference.astext()
            if (address and shown != address and "-" in address
                    and shown.replace("—", "---").replace("–", "--") == address):
                reference.children = [nodes.Text(address)]


def setup(app) -> None:
    app.add_config_value("thesis_notes_parts", [], "env", [list])
    app.add_role("footcite", GroupedFootCiteRole(), override=True)
    app.add_transform(CollectThesisNotes)
    app.add_transform(AddressesAsWritten)
    app.add_post_transform(NotesAsFootnotes)
    app.add_post_transform(NumberThesisNotes)
    app.connect("doctree-read", note_notes_anchor)
    # Around Sphinx's numbering of sections (the table-of-contents collector, priority 500).
    app.connect("env-get-updated", restore_notes_numbers, priority=400)
    app.connect("env-get-updated", unnumber_notes, priority=600)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-updated", renumbered)
