"""Every number that comes from data/ shows its origin at the number.

* ``{quoted}`id``` prints a quantity the thesis quotes from a source, as the row `id` of
  data/quoted_quantities.csv prints it (so the value is typed once, in the table);
* ``{glue:text}`` (myst-nb's role, wrapped here) prints a number computed from data/;
* ``{computed}`text <key>``` marks a number that a generated table prints (`kzthesis.report`)
  with the origin of the glue key `key`.

Both make a `quantity` node that carries its origin in words: for a computed number the
computation and its inputs, the data file and row, the notebook cell that shows it and what the
author printed where that differs (`kzthesis.origins`); for a quoted one what it counts, where
and when, and the thesis's note that backs it (or that the thesis gives none). In the web book
the number is focusable and described by its origin (`aria-describedby`), which reader.js shows
on hover, focus or tap; the other formats print the number alone and list the origins in the
appendix "Where the numbers come from" (the `numbers-origins` directive).

A quoted quantity's note is the first note after it in its paragraph, as the page numbers it
when it is written (`notes.NumberThesisNotes`): an added citation earlier in the book renumbers
the note and its origin alike. A row that names a note where none follows, or a source that
note does not cite, fails the build.

The appendix lists every number of the prose; a table's numbers, whose origins differ only in
their row of one data file, are listed as one row per table.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from myst_nb.ext.glue.roles import PasteTextRole
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective
from sphinx.util import logging

from . import ancestors
from .notes import NOTE_CLASS, NOTE_KEYS

logger = logging.getLogger(__name__)

ENV_QUANTITIES = "book_quantities"  # docname -> [entry of every quantity on the page, in order]
ENV_LIST_PAGES = "book_quantities_list_pages"  # the pages that hold the appendix's list
ENV_LIST_SHOWN = "book_quantities_list_shown"  # what the list showed when last written
COMPUTED, QUOTED = "computed", "quoted"


class quantity(nodes.inline):
    """A number from data/: ``kind`` (computed or quoted), ``name`` (glue key or table id),
    ``origin`` (segments: (text, None) or (text, (docname, anchor)) for a link; docname ""
    is this page)."""


def _page(docname: str) -> str:
    return docname.rsplit("/", 1)[-1]


class RecordQuantities(SphinxTransform):
    """On reading a page: each number from data/ gets an anchor, and the page's list of them
    (with the section each stands in) is kept for the appendix."""

    default_priority = 710  # after the notes are collected (700)

    def apply(self, **kwargs) -> None:
        recorded = self.env.__dict__.setdefault(ENV_QUANTITIES, {})
        recorded[self.env.docname] = []
        std = self.env.get_domain("std")
        tables: dict[int, dict] = {}  # id(table node) -> its entry
        for number, node in enumerate(self.document.findall(quantity), 1):
            node["ids"] = [f"quantity-{number}"]
            if node["kind"] == QUOTED:  # a label the audit's links name: {ref}`… <q-ID>`
                node["ids"].append(f"q-{node['name']}")
                std.note_hyperlink_target(f"q-{node['name']}", self.env.docname, node["ids"][-1],
                                          node.astext())
                self.note_after(node)
            section = next((a for a in ancestors(node) if isinstance(a, nodes.section)), None)
            title = section.next_node(nodes.title).astext() if section is not None else ""
            # A number in an `only` block is in the editions whose builder meets its condition.
            only = next((a["expr"] for a in ancestors(node) if isinstance(a, addnodes.only)), None)
            table = next((a for a in ancestors(node) if isinstance(a, nodes.table)), None)
            if table is not None and node.get("origin_of") is not None:
                node["in_table"] = True
                if id(table) not in tables:
                    tables[id(table)] = _table_entry(self.document, table, title, only)
                    recorded[self.env.docname].append(tables[id(table)])
                tables[id(table)]["cells"].append(node["origin_of"])
                continue
            recorded[self.env.docname].append({
                "kind": node["kind"], "name": node["name"], "text": node.astext(), "id": node["ids"][0],
                "section": title, "origin": node["origin"], "only": only})

    def note_after(self, node: quantity) -> None:
        """The quoted quantity's note: the first of the thesis's notes after it in its paragraph.
        Its origin names it by its place on the page (numbered when the page is written)."""
        block = node.parent
        while block is not None and not isinstance(block, (nodes.paragraph, nodes.Structural)):
            block = block.parent
        marks = [n for n in block.findall(lambda n: isinstance(n, (quantity, nodes.footnote_reference)))
                 if n is node or NOTE_CLASS in n.get("classes", [])]
        following = next((n for n in marks[marks.index(node) + 1:]
                          if isinstance(n, nodes.footnote_reference)), None)
        row_note, sources = node.get("note"), node.get("sources", [])
        if row_note is None:
            return
        if following is None:
            logger.warning("data/quoted_quantities.csv: row '%s' names note %s, but no note follows the "
                           "number in its paragraph", node["name"], row_note, location=node,
                           type="quantities", subtype="note")
            return
        cited = following.get(NOTE_KEYS, [])
        uncited = [key for key in sources if key not in cited]
        if uncited:
            logger.warning("data/quoted_quantities.csv: row '%s' gives the source %s, but the note after "
                           "the number in its paragraph cites %s", node["name"], " ".join(uncited),
                           " ".join(cited) or "no source", location=node, type="quantities", subtype="note")
        node["origin"] = [(text, ("", f"{LOCAL_NOTE}{following['thesis_note']}"))
                          if target == NOTE_TARGET else (text, target) for text, target in node["origin"]]


def _table_entry(document, table: nodes.table, section: str, only) -> dict:
    """The appendix's row of a generated table (its numbers' origins are added as they are
    found): the table's anchor, and the section it stands in."""
    if not table["ids"]:
        table["ids"] = [document.set_id(table)]
    return {"kind": COMPUTED, "name": "", "text": "", "id": table["ids"][0], "section": section,
            "only": only, "cells": [], "origin": []}


def table_origin(cells: list) -> list:
    """One origin for a table's numbers: the data file(s) and lines they are read from, and the
    notebook(s) that show the computation."""
    files: dict[str, list[int]] = {}
    notebooks: dict[str, str] = {}  # notebook -> the anchor of its first cell named
    for cell in cells:
        files.setdefault(cell.file, [])
        if cell.line:
            files[cell.file].append(cell.line)
        if not notebooks.get(cell.notebook):
            notebooks[cell.notebook] = cell.anchor
    read = "; ".join(f"{name}, lines {min(lines)}–{max(lines)}" if len(set(lines)) > 1 else
                     (f"{name}, line {lines[0]}" if lines else name) for name, lines in files.items())
    segments = [(f"Each computed from its row of the data ({read}); the web book shows each one's "
                 f"origin at the number. ", None)]
    if len(notebooks) == 1:
        (notebook, anchor), = notebooks.items()
        return segments + [("The computation", (notebook, anchor)), (" is shown in the notebook.", None)]
    segments.append(("The computation is shown in the notebooks ", None))
    for index, (notebook, anchor) in enumerate(notebooks.items()):
        segments += [(", " if index else "", None), (notebook.rsplit("/", 1)[-1], (notebook, anchor))]
    return segments + [(".", None)]


NOTE_TARGET = ("", "thesis-note")   # a quoted quantity's note, before its page is read
LOCAL_NOTE = "thesis-note-"          # its place among the page's notes, once read


def resolved(text: str, target, app, page: str):
    """A segment of an origin as this build shows it: a quoted quantity's note ("note" and its
    place on the page) takes the number the note has in the whole thesis."""
    if target is None or not target[1].startswith(LOCAL_NOTE):
        return text, target
    from .notes import first_number

    number = first_number(app, app.env, page) - 1 + int(target[1][len(LOCAL_NOTE):])
    return f"note {number}", (target[0], f"note-{number}")


def _links_to(app, page: str) -> bool:
    """Whether this edition can link to `page`: not the PDF (its notes have no anchors), and
    the EPUB only to the pages it holds."""
    from .epub import is_epub, kept_docnames

    if app.builder.format == "latex":
        return False
    return page in kept_docnames(app) if is_epub(app) else True


def quoted_origin(row, short_source: str) -> list:
    """The origin of a quoted quantity (a row of data/quoted_quantities.csv), as segments."""
    unit = "%" if row.unit == "percent" else f" {row.unit}"
    segments = [(f"Quoted: {row.counts} ({row['where']}, {row.when}): {row.printed}{unit}. ", None)]
    if row.note is not None and str(row.note) not in ("", "<NA>"):
        segments += [("Source: ", None), (f"note {int(row.note)}", NOTE_TARGET),
                     (f", {short_source}" if short_source else "", None),
                     (" " if short_source.endswith("…") else ". ", None)]
    else:
        segments.append(("The thesis gives no note for this quantity. ", None))
    segments.append((f"Data: data/quoted_quantities.csv, line {int(row.name_line)}; "
                     f"copy-text line {int(row.line)}.", None))
    return segments


def quoted_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    from kzthesis import data, quoted

    env = inliner.document.settings.env
    table = quoted.table()
    for path in (data.DESCRIPTOR, data.DATA_DIR / data.resource_descriptor(quoted.RESOURCE)["path"]):
        env.note_dependency(data.relative(path))
    key = text.strip()
    if key not in table.index:
        message = inliner.reporter.error(
            f"{{quoted}}: no row '{key}' in data/quoted_quantities.csv (column 'id')", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    row = table.loc[key].copy()
    row["name_line"] = data.line_of(table, list(table.index).index(key))
    short = ""
    if isinstance(row.source, str):
        from .citation_style import short_form

        domain = env.get_domain("cite")
        entries = domain.bibdata.data.entries
        unknown = [k for k in row.source.split() if k not in entries]
        if unknown:
            message = inliner.reporter.error(
                f"{{quoted}}`{key}`: data/quoted_quantities.csv, column 'source': no entry "
                f"{', '.join(unknown)} in references.bib", line=lineno)
            return [inliner.problematic(rawtext, rawtext, message)], [message]
        short = "; ".join("".join(n.astext() for n in short_form(entries[k]).render(domain.backend)).rstrip(".")
                          for k in row.source.split())
    note = int(row.note) if str(row.note) not in ("", "<NA>") else None
    node = quantity(rawtext, str(row.printed), classes=["quantity", "quantity-quoted"], kind=QUOTED,
                    name=key, origin=quoted_origin(row, short), note=note,
                    sources=row.source.split() if isinstance(row.source, str) else [])
    return [node], []


def computed_origin(key: str, page: str) -> list | None:
    from kzthesis import origins

    origin = origins.computed(key)
    if origin is None:
        return None
    return origin_segments(origin, page)


def origin_segments(origin, page: str) -> list:
    from kzthesis import origins

    where = origin.file + (f", line {origin.line}" if origin.line else "")
    if origin.file.startswith("data/"):
        first = f"Computed from the data: {origin.words}. Data: {where}. "
    else:  # a setting of the edition's code (the intervals' confidence level)
        first = f"Set in the edition's code: {origin.words}. Defined in: {where}. "
    segments = [(first, None), ("The computation", (origin.notebook, origin.anchor)),
                (" is shown in the notebook.", None)]
    printed = origins.printed_instead(page, origin.quantity)
    if printed is not None:
        segments.append((f" The thesis printed {printed}.", None))
    return segments


def computed_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{computed}`39.7 <eth-kazakhs-1989>```: a number a generated table prints, with the
    origin of the glue key after it (kzthesis.report.computed_cell writes it)."""
    from kzthesis import origins

    env = inliner.document.settings.env
    shown, _, key = text.rpartition("<")
    key, shown = key.rstrip(">").strip(), shown.strip()
    origin = origins.computed(key)
    if origin is None or not shown:
        message = inliner.reporter.error(f"{{computed}}: no computation '{key}' (kzthesis.origins)",
                                         line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    node = quantity(rawtext, shown, classes=["quantity", "quantity-computed"], kind=COMPUTED, name=key,
                    origin=origin_segments(origin, _page(env.docname)), origin_of=origin)
    return [node], []


class OriginPasteTextRole(PasteTextRole):
    """myst-nb's ``{glue:text}``, whose number carries the origin of its computation."""

    def run(self):
        result, messages = super().run()
        key = self.text.rsplit(":", 1)[0].split("::")[-1]
        env = self.document.settings.env
        pasted = [n for n in result if isinstance(n, nodes.inline) and "pasted-text" in n["classes"]]
        origin = computed_origin(key, _page(env.docname)) if pasted else None
        if origin is None:
            return result, messages
        old = pasted[0]
        node = quantity(old.rawsource, old.astext(), classes=[*old["classes"], "quantity", "quantity-computed"],
                        kind=COMPUTED, name=key, origin=origin)
        node.source, node.line = old.source, old.line
        return [node if n is old else n for n in result], messages


def _builds_web_pages(translator) -> bool:
    builder = translator.builder
    return builder.format == "html" and not builder.name.startswith("epub")


def visit_quantity_html(self, node: quantity) -> None:
    if not _builds_web_pages(self):
        self.visit_inline(node)
        return
    origin_id = f"{node['ids'][0]}-origin"
    self.body.append(self.starttag(node, "span", "", tabindex="0", **{
        "aria-describedby": origin_id, "data-origin": origin_id, "data-quantity": node["name"]}))


def depart_quantity_html(self, node: quantity) -> None:
    if not _builds_web_pages(self):
        self.depart_inline(node)
        return
    self.body.append("</span>")
    origin_id = f"{node['ids'][0]}-origin"
    parts = [f'<span class="edition quantity-origin" id="{origin_id}" role="note">']
    for text, target in node["origin"]:
        text, target = resolved(text, target, self.builder.app, self.builder.current_docname)
        if target is None:
            parts.append(self.encode(text))
            continue
        docname, anchor = target
        uri = self.builder.get_relative_uri(self.builder.current_docname, docname) if docname else ""
        parts.append(f'<a href="{self.attval(uri + ("#" + anchor if anchor else ""))}">'
                     f"{self.encode(text)}</a>")
    parts.append("</span>")
    self.body.append("".join(parts))


def visit_quantity_latex(self, node: quantity) -> None:
    # Labels at the number: the appendix gives its page (\pageref), the audit links to it. A
    # table's cell has none: the appendix names the table, whose label is its own.
    if not node.get("in_table"):
        self.body.append("".join(self.hypertarget(node_id, anchor=True) for node_id in node["ids"]))
    self.visit_inline(node)


def depart_quantity_latex(self, node: quantity) -> None:
    self.depart_inline(node)


# --- The appendix "Where the numbers come from" ---------------------------------------------------

class origins_list(nodes.General, nodes.Element):
    """Placeholder of the `numbers-origins` directive, filled when the page is resolved (every
    page has been read by then)."""


class NumbersOrigins(SphinxDirective):
    """The list of every number from data/ on the thesis pages: page, section (the PDF adds the
    page number), class and origin."""

    def run(self):
        self.env.__dict__.setdefault(ENV_LIST_PAGES, set()).add(self.env.docname)
        return [origins_list()]


def origins_list_shows(app, env) -> str:
    """Everything the appendix's list is made of (filled when its page is written): each thesis
    page in order with its title, the first number of its notes (a quoted quantity's note is
    printed with the thesis's number) and the quantities recorded when it was read."""
    from .notes import first_numbers

    recorded = getattr(env, ENV_QUANTITIES, {})
    return repr([(page, env.titles[page].astext() if page in env.titles else None, number,
                  recorded.get(page)) for page, number in first_numbers(app, env).items()])


def rewrite_origins_list(app, env) -> list[str]:
    """The appendix is written again, without being read, when what it lists changed: a prose
    edit that moves no number and no note leaves it as it is (make preview writes one page)."""
    shows = origins_list_shows(app, env)
    previous = getattr(env, ENV_LIST_SHOWN, None)
    env.__dict__[ENV_LIST_SHOWN] = shows
    return sorted(getattr(env, ENV_LIST_PAGES, set())) if previous != shows else []


def _origin_nodes(origin: list, app, docname: str, page: str) -> list[nodes.Node]:
    """The origin's segments, its links as links (in the PDF, text: a note there is a footnote
    without an anchor, on the page the appendix gives)."""
    result: list[nodes.Node] = []
    for text, target in origin:
        text, target = resolved(text, target, app, page)
        target_doc, anchor = target if target is not None else (None, None)
        target_doc = target_doc or page
        if target is None or not _links_to(app, target_doc):
            result.append(nodes.Text(text))
            continue
        uri = app.builder.get_relative_uri(docname, target_doc) + (f"#{anchor}" if anchor else "")
        result.append(nodes.reference("", text, refuri=uri, internal=True))
    return result


def fill_origins_list(app, doctree, docname: str) -> None:
    from .notes import thesis_docnames

    lists = list(doctree.findall(origins_list))
    if not lists:
        return
    recorded = getattr(app.env, ENV_QUANTITIES, {})
    latex = app.builder.format == "latex"
    table = nodes.table(classes=["numbers-origins", "longtable"])  # pages long in the PDF
    group = nodes.tgroup(cols=4)
    table += group
    for width in (18, 27, 10, 45):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(["Number", "Where", "Class", "Origin"])
    group += head
    body = nodes.tbody()
    group += body
    for page in thesis_docnames(app):
        title = app.env.titles[page].astext() if page in app.env.titles else page
        for entry in recorded.get(page, []):
            if entry.get("only") and not app.builder.tags.eval_condition(entry["only"]):
                continue  # not in this edition: the page shows the other block
            uri = app.builder.get_relative_uri(docname, page) + "#" + entry["id"]
            shown = f"a table's {len(entry['cells'])} numbers" if "cells" in entry else entry["text"]
            number = nodes.reference("", shown, refuri=uri, internal=True)
            where: list[nodes.Node] = [
                nodes.reference("", title, refuri=app.builder.get_relative_uri(docname, page), internal=True)]
            if latex:  # the page, where the PDF has pages
                where += [nodes.Text(", p. "), nodes.raw("", r"\pageref{\detokenize{%s:%s}}" % (
                    page, entry["id"]), format="latex")]
            elif entry["section"] and entry["section"] != title:
                where.append(nodes.Text(f", {entry['section']}"))
            origin = table_origin(entry["cells"]) if "cells" in entry else entry["origin"]
            body += _row([number, where, entry["kind"], _origin_nodes(origin, app, docname, page)])
    # In the PDF, the columns share the line and wrap (20 %, 25 %, 15 %, 40 %): the widest
    # number, "7,985,769", fits its column, and the class "computed" its own (at 10 % it was
    # hyphenated); a data file's name may break after an underscore
    # ("data/survey_recommendations.csv" is wider than the origin's column).
    ragged = r">{\raggedright\def\_{\textunderscore\allowbreak}\arraybackslash}"
    spec = addnodes.tabular_col_spec(spec="".join(f"{ragged}\\X{{{share}}}{{20}}" for share in (4, 5, 3, 8)))
    for placeholder in lists:
        placeholder.replace_self([spec.deepcopy(), table.deepcopy()])


def _row(cells) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        paragraph = nodes.paragraph()
        if isinstance(cell, str):
            paragraph += nodes.Text(cell)
        elif isinstance(cell, list):
            paragraph.extend(cell)
        else:
            paragraph += cell
        entry += paragraph
        row += entry
    return row


def purge(app, env, docname: str) -> None:
    getattr(env, ENV_QUANTITIES, {}).pop(docname, None)
    getattr(env, ENV_LIST_PAGES, set()).discard(docname)


def merge(app, env, docnames, other) -> None:
    mine = env.__dict__.setdefault(ENV_QUANTITIES, {})
    mine.update({d: q for d, q in getattr(other, ENV_QUANTITIES, {}).items() if d in docnames})
    env.__dict__.setdefault(ENV_LIST_PAGES, set()).update(
        d for d in getattr(other, ENV_LIST_PAGES, set()) if d in docnames)


def setup(app) -> None:
    app.add_node(quantity, html=(visit_quantity_html, depart_quantity_html),
                 latex=(visit_quantity_latex, depart_quantity_latex))
    app.add_node(origins_list)
    app.add_directive("numbers-origins", NumbersOrigins)
    app.add_transform(RecordQuantities)
    app.connect("doctree-resolved", fill_origins_list)
    app.connect("env-get-updated", rewrite_origins_list)
    app.add_role("quoted", quoted_role)
    app.add_role("computed", computed_role)
    app.add_role_to_domain("glue", "text", OriginPasteTextRole(), override=True)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
