"""Notes and bibliography entries that link to each other, as biblatex's `backref` does.

* The bibliography page lists its entries without labels (the thesis's notes have the
  numbers), with a hanging indent: sphinxcontrib-bibtex's citations, which `{cite}` can link to
  (its `:list: bullet` cannot be), become the items of a list. Each entry's anchor is `bib-KEY`
  (`bibtex_cite_id` in _config.yml).
* Each entry ends with the notes that cite it: "Cited in: Chapter 2, notes 43, 51;
  Introduction, note 1", every number a link to `PAGE#note-N` (the thesis's numbers of
  book_extensions/notes.py).
* Each note ends with a line "Bibliography: Wheatley 2005; …", a link to each of its sources'
  entries (after the note's paragraphs, so the note's text is the author's).

Both are written in the web book and the EPUB; the PDF prints its notes as footnotes and its
bibliography without them.

Which sources a note cites is read while a page is read, around notes.py's `CollectThesisNotes`
(which makes one note of the references one footnote of the thesis groups): before it, the
references in reading order with their keys; after it, each note's reference keeps the id of the
first reference it replaced, so each note has the references from its own to the next one's.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

from . import ancestors
from .notes import KEY, first_numbers

ENV_CITES = "thesis_note_sources"  # docname -> [(note's place on the page, [keys])]
NOTE_KEYS = "thesis_note_keys"      # on a note: the keys of its sources, in order
BIB_PREFIX = "bib-"                 # an entry's anchor: bib-KEY (bibtex_cite_id)
BIB_LIST_CLASS = "thesis-bibliography"
CITED_IN_CLASS = "thesis-cited-in"
NOTE_SOURCES_CLASS = "thesis-note-sources"
_REFS = "thesis_backref_references"  # document attribute between the two transforms


def _top_references(document: nodes.document) -> list[nodes.footnote_reference]:
    """The footnote references that notes.py makes notes of (as it selects them)."""
    footnote_ids = {i for f in document.findall(nodes.footnote) for i in f["ids"]}
    return [r for r in document.findall(nodes.footnote_reference)
            if r.get("refid") in footnote_ids and not any(isinstance(a, nodes.footnote) for a in ancestors(r))]


class RecordReferences(SphinxTransform):
    """Before the notes are made: every reference's id and key (None for a remark)."""

    default_priority = 690  # after docutils numbered the footnotes (620), before notes.py (700)

    def apply(self, **kwargs) -> None:
        recorded = []
        for ref in _top_references(self.document):
            if not ref["ids"]:
                self.document.set_id(ref)
            recorded.append((ref["ids"][0], ref.get(KEY)))
        setattr(self.document, _REFS, recorded)


class RecordNoteSources(SphinxTransform):
    """After the notes are made: the keys of each note's sources, on the note and in the
    environment (for the bibliography page)."""

    default_priority = 710

    def apply(self, **kwargs) -> None:
        recorded = getattr(self.document, _REFS, [])
        if hasattr(self.document, _REFS):
            delattr(self.document, _REFS)
        position = {ref_id: i for i, (ref_id, _) in enumerate(recorded)}
        notes = {n["ids"][0]: n for n in self.document.findall(nodes.footnote) if "thesis_note" in n}
        starts = []
        for ref in self.document.findall(nodes.footnote_reference):
            if "thesis_note" in ref and ref.get("refid") in notes:
                start = next((position[i] for i in ref["ids"] if i in position), None)
                if start is not None:
                    starts.append((start, notes[ref["refid"]]))
        starts.sort(key=lambda item: item[0])
        cites = []
        for (start, note), following in zip(starts, [*starts[1:], (len(recorded), None)]):
            keys = list(dict.fromkeys(key for _, key in recorded[start:following[0]] if key))
            if keys:
                note[NOTE_KEYS] = keys
                cites.append((note["thesis_note"], keys))
        self.env.__dict__.setdefault(ENV_CITES, {})[self.env.docname] = cites


def label(entry) -> str:
    """An entry named briefly, as a link's text: the authors' surnames (or the title's first
    words) and the year: "Wheatley 2005", "Ezrow and Frantz 2011", "Golosov et al. 2020"."""
    from .citation_style import plain_text, read_latex

    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    surnames = [plain_text(read_latex(" ".join(p.last_names) or " ".join(p.first_names)))
                for p in persons]
    if len(surnames) > 2:
        who = f"{surnames[0]} et al."
    elif surnames:
        who = " and ".join(surnames)
    else:
        words = plain_text(read_latex(entry.fields.get("title", entry.key))).split()
        who = " ".join(words[:4]) + ("…" if len(words) > 4 else "")
    year = entry.fields.get("year", "")
    return f"{who} {year}".strip()


def page_label(env, docname: str) -> str:
    """"Chapter 2" for a numbered chapter, else the page's title."""
    number = env.toc_secnumbers.get(docname, {}).get("")
    if number:
        return "Chapter " + ".".join(map(str, number))
    return env.titles[docname].astext() if docname in env.titles else docname


def bibliography_docnames(env) -> list[str]:
    domain = env.get_domain("cite")
    return sorted({key.docname for key in domain.bibliographies})


class LinkNotesAndEntries(SphinxPostTransform):
    """On writing a page of the web book or the EPUB: each note's line of links to its sources'
    entries, and on the bibliography page each entry's "Cited in"."""

    default_priority = 6  # after the bibliography's entries (5) and the notes' numbers (5)
    formats = ("html",)

    def run(self, **kwargs) -> None:
        builder = self.app.builder
        docname = self.env.docname
        bibliography_doc = next(iter(bibliography_docnames(self.env)), None)
        entries = self.env.get_domain("cite").bibdata.data.entries
        if bibliography_doc is not None:
            to_bibliography = builder.get_relative_uri(docname, bibliography_doc)
            for note in self.document.findall(nodes.footnote):
                keys = [k for k in note.get(NOTE_KEYS, []) if k in entries]
                if not keys:
                    continue
                line = nodes.container(classes=[NOTE_SOURCES_CLASS])
                paragraph = nodes.inline("", "Bibliography: ")
                for i, key in enumerate(keys):
                    if i:
                        paragraph += nodes.Text("; ")
                    paragraph += nodes.reference("", label(entries[key]), internal=True,
                                                 refuri=f"{to_bibliography}#{BIB_PREFIX}{key}")
                line += paragraph
                note += line
        for container in list(self.document.findall(nodes.container)):
            citations = [c for c in container.children if isinstance(c, nodes.citation)]
            if citations and len(citations) == len(container.children) and all(
                    any(i.startswith(BIB_PREFIX) for i in c["ids"]) for c in citations):
                container.replace_self(_unlabelled(citations))
        citing = _citing(self.app, self.env)
        for item in self.document.findall(nodes.list_item):
            ids = [i for i in item["ids"] if i.startswith(BIB_PREFIX)]
            if not ids:
                continue
            key = ids[0][len(BIB_PREFIX):]
            cited = citing.get(key)
            if not cited:
                continue
            paragraph = nodes.paragraph("", "Cited in: ", classes=[CITED_IN_CLASS])
            for i, (doc, numbers) in enumerate(cited):
                if i:
                    paragraph += nodes.Text("; ")
                uri = builder.get_relative_uri(docname, doc)
                paragraph += nodes.reference("", page_label(self.env, doc), internal=True, refuri=uri)
                paragraph += nodes.Text(", note " if len(numbers) == 1 else ", notes ")
                for j, number in enumerate(numbers):
                    if j:
                        paragraph += nodes.Text(", ")
                    paragraph += nodes.reference("", str(number), internal=True,
                                                 refuri=f"{uri}#note-{number}")
            item += paragraph


def _unlabelled(citations: list[nodes.citation]) -> nodes.bullet_list:
    entries = nodes.bullet_list(classes=[BIB_LIST_CLASS])
    for citation in citations:
        item = nodes.list_item(ids=citation["ids"], classes=citation["classes"])
        item.extend(child.deepcopy() for child in citation.children if not isinstance(child, nodes.label))
        entries += item
    return entries


def _citing(app, env) -> dict[str, list[tuple[str, list[int]]]]:
    """key -> [(page, [thesis note numbers])], pages in the book's order."""
    cites = getattr(env, ENV_CITES, {})
    numbers = first_numbers(app, env)  # the thesis's pages in order, with their first note
    order = [*numbers, *sorted(set(cites) - set(numbers))]
    result: dict[str, list[tuple[str, list[int]]]] = {}
    for doc in order:
        if doc not in cites:
            continue
        offset = numbers.get(doc, 1) - 1
        for place, keys in cites[doc]:
            for key in keys:
                pages = result.setdefault(key, [])
                if not pages or pages[-1][0] != doc:
                    pages.append((doc, []))
                if offset + place not in pages[-1][1]:
                    pages[-1][1].append(offset + place)
    return result


ENV_WRITTEN = "thesis_backrefs_written"  # the citations as the bibliography page last showed them


def bibliography_outdated(app, env) -> list[str]:
    """The bibliography page is written again when a note's sources or numbers changed."""
    current = _citing(app, env)
    previous = getattr(env, ENV_WRITTEN, None)
    env.__dict__[ENV_WRITTEN] = current
    return bibliography_docnames(env) if previous is not None and previous != current else []


def purge(app, env, docname: str) -> None:
    getattr(env, ENV_CITES, {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    mine = env.__dict__.setdefault(ENV_CITES, {})
    mine.update({d: c for d, c in getattr(other, ENV_CITES, {}).items() if d in docnames})


def setup(app) -> None:
    app.add_transform(RecordReferences)
    app.add_transform(RecordNoteSources)
    app.add_post_transform(LinkNotesAndEntries)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-updated", bibliography_outdated, priority=700)
