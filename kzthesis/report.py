"""Every generated table of the book, in every edition, rendered by one function: `table`.

A code cell that returns `table(...)` outputs Markdown that myst-nb parses as MyST
(`nb_render_markdown_format: myst`), so that a table with a caption gets a number and a label
that `{numref}` can point to, in the HTML, the PDF and the EPUB alike.

Data is never markup. Every cell, column name, caption and title is escaped by `literal`, so a
text from `data/` (or book/edition-notes.csv) shows exactly as written: `*`, `_`, backticks,
`{role}`, `<tags>`, `$`, `|`, `[`, `#`… are characters, never MyST, HTML or a directive. The
only markup that passes unescaped is a `Markup` string, which this module's own code builds:
`doc_link` (a link to a page of the book, whose name is checked), `place_link` (to a quoted
quantity's place), `computed_cell` (a number with its origin) and `code` (a code span that
holds its text literally). Nothing else makes one.

The PDF: LaTeX sizes the columns. Each table is preceded by a `{tabularcolumns}` directive
(read by the LaTeX writer only): a table that fits the line at its natural width is left to
tabulary (`L` text, `R` numbers); a wider or a long one gets a share of the line per column,
at least its longest word, the rest in proportion to what the column could still use.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from IPython.display import Markdown

from . import ROOT
from .data import DataError

# --- escaping --------------------------------------------------------------------------------------

# Every ASCII punctuation character may be escaped with a backslash in CommonMark (and MyST):
# the escaped character is text, whatever it would have started (emphasis, a role, a tag, a
# link, a footnote, an entity, a table cell's end, a substitution, a heading). Quotation marks
# start nothing: they are left to the typographic quotes of the rest of the book (smartquotes).
_PUNCTUATION = re.compile(r"([!#-&(-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[ \t\r\n\f\v]+")


class Markup(str):
    """MyST written by this module's code, passed through unescaped. Made by `doc_link`, `code`
    and `_sign_link`, and from data strings only through `literal`; `text` is what the reader
    sees (for the layout)."""

    text: str

    def __new__(cls, markup: str, text: str):
        made = super().__new__(cls, markup)
        made.text = text
        return made


def _one_line(text) -> str:
    return _LINE_BREAKS.sub(" ", str(text)).strip()


def literal(text) -> str:
    """`text` as MyST that shows it exactly as written, on one line."""
    return _PUNCTUATION.sub(r"\\\1", _one_line(text))


def _myst(value) -> str:
    return str(value) if isinstance(value, Markup) else literal(value)


def code(text) -> Markup:
    """`text` as a code span for a table cell: shown literally, in the code font. The fence is
    longer than any run of backticks in the text; a pipe is escaped for the table's row (the
    table parser, not the code span, reads that backslash)."""
    text = _one_line(text)
    if not text:
        return Markup("", "")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return Markup(f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}", text)


PAGE_TITLES = {"abstract": "Abstract", "acronyms": "Acronyms and definitions",
               "introduction": "Introduction", "chapter1": "Chapter 1", "chapter2": "Chapter 2",
               "chapter3": "Chapter 3", "chapter4": "Chapter 4", "conclusions": "General conclusions",
               "survey-results": "Survey results", "tables": "Tables", "chronology": "Chronology"}
_PAGE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def is_page(page) -> bool:
    """Whether `page` names a page of the book in book/ (e.g. `chapter1`)."""
    return bool(_PAGE_NAME.fullmatch(str(page))) and (ROOT / "book" / f"{page}.md").is_file()


def check_pages(pages: pd.Series, path: str) -> None:
    """Refuse a value of a `page` column that is not a page of the book (rows numbered as in
    the CSV file `path`: the first data row is line 2)."""
    for index, page in pages.items():
        if not is_page(page):
            raise DataError(f"{path}, line {int(index) + 2}, column 'page': {str(page)!r} is not a "
                            f"page of the book (a file name in book/ without .md, e.g. 'chapter1')")


def doc_link(page: str) -> Markup:
    """A link to the page `page` of the book (relative to book/), titled as in PAGE_TITLES."""
    if not is_page(page):
        raise ValueError(f"{page!r} is not a page of the book")
    title = PAGE_TITLES.get(page, page)
    return Markup(f"{{doc}}`{title} <{page}>`", title)


def place_link(page: str, quantity_id: str, printed: str, kind: str = "q") -> Markup:
    """A link to the place where a quoted quantity is printed: the row `quantity_id` of
    data/quoted_quantities.csv (whose ids are checked: letters, digits and '-'); with `kind`
    "d", the place of a date, a row of data/event_dates.csv."""
    if not _PAGE_NAME.fullmatch(quantity_id) or not is_page(page) or kind not in ("q", "d"):
        raise ValueError(f"{page!r}, {quantity_id!r}: not a quoted quantity's or date's place")
    text = f"{PAGE_TITLES.get(page, page)}: {_one_line(printed)}"
    if not re.fullmatch(r"[\w ,.:–]+", text):  # a page title and a validated printed value
        raise ValueError(f"{text!r}: not a place's name")
    return Markup(f"{{ref}}`{text} <{kind}-{quantity_id}>`", text)


_CELL_NUMBER = re.compile(r"[0-9][0-9,.]*(?:–[0-9][0-9,.]*)?(?: %)?")
_ORIGIN_KEY = re.compile(r"[a-z0-9_]+(?:-[a-z0-9_]+)*")


def computed_cell(shown: str, key: str) -> Markup:
    """A number of a generated table that shows its origin at the number: the origin of the
    glue key `key` (kzthesis.origins), which book_extensions/quantities.py's `{computed}` role
    attaches. Only a formatted number and a key of letters, digits and '-' pass."""
    if not _CELL_NUMBER.fullmatch(shown) or not _ORIGIN_KEY.fullmatch(key):
        raise ValueError(f"{shown!r}, {key!r}: not a computed number and its key")
    return Markup(f"{{computed}}`{shown} <{key}>`", shown)


def joined(links: list[Markup]) -> Markup:
    """Several links of this module in one cell, separated by commas."""
    return Markup(", ".join(links), ", ".join(link.text for link in links))


# A web address in a note: a link (so that LaTeX can break it) when it holds only the characters
# of RFC 3986; otherwise it is text like the rest.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def _prose(text) -> str:
    """Quoted text shown literally, web addresses as links."""
    words = []
    for word in _one_line(text).split(" "):
        core = word.rstrip(".,;)")
        if _URL.fullmatch(core):
            words.append(f"<{core}>{literal(word[len(core):])}")
        else:
            words.append(literal(word))
    return " ".join(words)


# --- tables ----------------------------------------------------------------------------------------

NUMERIC = re.compile(r"^[\s\d.,:%+\u2212\u2013-]*\d[\s\d.,:%+\u2212\u2013-]*$")
_LABEL = re.compile(r"[A-Za-z][\w-]*")


def _value(value, floatfmt: str):
    """A cell: Markup as it is, a missing value empty, a number formatted, anything else text."""
    if isinstance(value, Markup):
        return value
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ""
    if pd.api.types.is_bool(value):
        return str(bool(value))
    if pd.api.types.is_integer(value):
        return str(int(value))
    if pd.api.types.is_float(value):
        return format(float(value), floatfmt)
    return str(value)


def _is_numeric(column: list) -> bool:
    """A column of numbers (a computed number's Markup is one; a link or code span is not)."""
    texts = [getattr(v, "text", v) for v in column if not isinstance(v, Markup) or v.startswith("{computed}")]
    return bool(texts) and len(texts) == len([v for v in column if v != ""]) and all(
        NUMERIC.match(v) for v in texts if v != "")


def table(frame: pd.DataFrame, caption: str | None = None, label: str | None = None, *,
          title: str | None = None, floatfmt: str = "g", index: bool = False) -> Markdown:
    """`frame` as a table in every edition: its column names as the header, each cell's text
    exactly as written (escaped), a missing value as an empty cell, floats formatted with
    `floatfmt`, columns of numbers right aligned; the index as the first column if `index`.

    `caption` (with `label`, the name `{numref}` points to) makes it a numbered table; `title`
    puts an unnumbered bold line above it. Cells, caption and title are text (data); a cell may
    be a `Markup` string of this module (`doc_link`, `code`)."""
    if index:
        frame = frame.reset_index()
    if label is not None and not _LABEL.fullmatch(label):
        raise ValueError(f"table label {label!r}: letters, digits, '-' and '_' only")
    header = [_one_line(c) for c in frame.columns]
    rows = [[_value(v, floatfmt) for v in record] for record in frame.itertuples(index=False, name=None)]
    numeric = [_is_numeric([row[j] for row in rows]) for j in range(len(header))]

    lines = []
    if title is not None:
        lines += [f"**{_myst(title)}**", ""]
    spec, longtable = _latex_columns(header, rows, numeric)
    lines += [f":::{{tabularcolumns}} {spec}", ":::", ""]
    lines.append(":::{table}" + (f" {_myst(caption)}" if caption is not None else ""))
    if label is not None:
        lines.append(f":name: {label}")
    if caption is not None:
        lines.append(":align: center")
    if longtable:
        lines.append(":class: longtable")
    lines.append("")
    lines.append("| " + " | ".join(_myst(h) for h in header) + " |")
    lines.append("|" + "|".join("---:" if n else ":---" for n in numeric) + "|")
    lines += ["| " + " | ".join(_myst(v) for v in row) + " |" for row in rows]
    lines.append(":::")
    return Markdown("\n".join(lines) + "\n")


# The PDF's tables (thesis.sty): FreeSerif \footnotesize (9 pt) on the 108 mm text width (34 em),
# 2 × 3 pt of padding per column (0.67 em), lines of 11.2 pt, rows of about 15 pt; a table taller
# than half a page (330 pt) is a longtable, which continues on the next page instead of leaving
# a page half empty or running off its bottom.
LINE_EM = 34.0
PADDING_EM = 0.67
LINE_PT, ROW_PT, BREAKABLE_ABOVE_PT = 11.2, 15.0, 330.0
LONG_WORD_EM = 6.0  # a word longer than this may break inside (_words, _unbreakable_em)


def _em(text: str, header: bool = False) -> float:
    """Width of `text` in em, estimated 10 % generously from FreeSerif's letters (headers bold)."""
    width = 0.0
    for c in text:
        if c.isupper():
            width += 0.72 if header else 0.68
        elif c.isalpha():
            width += 0.5 if header else 0.46
        elif c.isspace():
            width += 0.25
        elif c in "%&@\u2014":
            width += 1.0
        elif c.isdigit() or c in "\u2013$#*+=<>?_~^":
            width += 0.5
        else:  # punctuation, brackets, quotes
            width += 0.33
    return 1.1 * width


def _words(text: str) -> list[str]:
    """The pieces of a cell that LaTeX cannot break: words, split after the dash of a range
    (thesis.sty lets 2011–2012 break there), and a long word (an identifier such as
    recommendation_answered()) after a hyphen or an underscore (the columns below let it
    break there)."""
    words = [w for w in re.split(r"\s+|(?<=\u2013)", text) if w]
    return [piece for word in words
            for piece in (re.split(r"(?<=[-_])", word) if _em(word) > LONG_WORD_EM else [word])
            if piece]


def _unbreakable_em(word: str, header: bool) -> float:
    """Width that a word needs on one line: LaTeX hyphenates a long word of letters (a quote or
    bracket around it aside), so such a word needs no more than LONG_WORD_EM."""
    width = _em(word, header)
    return min(width, LONG_WORD_EM) if re.fullmatch(r"\W*[^\W\d_]{8,}\W*", word) else width


def _latex_columns(header: list[str], rows: list[list], numeric: list[bool]) -> tuple[str, bool]:
    """The LaTeX column specification of a table, and whether it is a longtable. A table that
    fits the line and half a page is left to tabulary (`L` text, `R` numbers), which sets it at
    its natural width; otherwise each column gets at least its longest word and a share of the
    rest of the line in proportion to what it could still use (the automatic table layout of
    web browsers), ragged right for text, right aligned for numbers."""
    shown = [(header, True)] + [([getattr(v, "text", v) for v in row], False) for row in rows]
    columns = range(len(header))
    low = [max((_unbreakable_em(w, bold) for cells, bold in shown for w in _words(cells[j])),
               default=0.5) for j in columns]
    high = [max(max(_em(cells[j], bold) for cells, bold in shown), low[j]) for j in columns]
    available = LINE_EM - PADDING_EM * len(header)
    fits = sum(high) <= available
    if fits:
        widths = high
    elif sum(low) < available:
        widths = [lo + (hi - lo) * (available - sum(low)) / (sum(high) - sum(low))
                  for lo, hi in zip(low, high)]
    else:  # even the longest words do not fit: all shrink alike (LaTeX hyphenates words)
        widths = [lo * available / sum(low) for lo in low]
    height = sum(ROW_PT + LINE_PT * (max(math.ceil(_em(c, bold) / w) or 1
                                         for c, w in zip(cells, widths)) - 1)
                 for cells, bold in shown[1:])
    longtable = height > BREAKABLE_ABOVE_PT
    if fits and not longtable:
        return "".join("R" if n else "L" for n in numeric), False
    spec = ""
    for j, (width, number) in enumerate(zip(widths, numeric)):
        align = r"\raggedleft" if number else r"\raggedright"
        if any("_" in w for cells, _ in shown for w in cells[j].split() if _em(w) > LONG_WORD_EM):
            align += r"\def\_{\textunderscore\allowbreak}"
        spec += f">{{{align}\\arraybackslash}}\\X{{{round(100 * (width + PADDING_EM))}}}{{{round(100 * LINE_EM)}}}"
    return spec, longtable


# --- the tables of the book --------------------------------------------------------------------------

# A column that this edition adds to a table of the thesis says so in its header; the collation
# with the copy-text (tools/collation.py) leaves such columns out.
EDITION_COLUMN = "(this edition)"


def confidence_header() -> str:
    """The header of the edition's interval column, at the level the intervals are computed with."""
    from .stats import confidence_percent

    return f"{confidence_percent():g}% interval {EDITION_COLUMN}"


def survey_table(question: int) -> pd.DataFrame:
    """The appendix table of a question with the thesis's columns (for question 10, its
    "No answers." row last) and this edition's interval of each share; each number shows its
    origin (`computed_cell`)."""
    from . import survey

    if question == 10:
        table = survey.recommendations()
        none = survey.with_shares(pd.DataFrame({"text": ["No answers."],
                                                "count": [survey.no_answer_open_question()]}))
        keys = [f"q10r{int(rank)}" for rank in table["rank"]] + ["q10-none"]
        table = pd.concat([table, none], ignore_index=True)
        return pd.DataFrame({
            "Respondents' recommendations, grouped by main mentions": table["text"],
            "Number of mentions": _cells(table["count"].map(str), keys, "n"),
            f"Share of respondents {EDITION_COLUMN}": _cells(table["share"].map(lambda s: f"{s:.1f} %"), keys, "pct"),
            confidence_header(): _cells(_intervals(table), keys, "ci"),
        })
    table = survey.answers(question)
    keys = [f"q{question}o{int(option)}" for option in table["option"]]
    return pd.DataFrame({
        "Answer Choices": table["text"],
        "Responses": _cells(table["count"].map(str), keys, "n"),
        "Ratio": _cells(table["share"].map(lambda s: f"{s:.1f} %"), keys, "pct"),
        confidence_header(): _cells(_intervals(table), keys, "ci"),
    })


def _cells(shown, keys: list[str], kind: str) -> list[Markup]:
    return [computed_cell(text, f"{key}-{kind}") for text, key in zip(shown, keys)]


def _intervals(table: pd.DataFrame) -> list[str]:
    return [f"{lo:.1f}–{hi:.1f} %" for lo, hi in zip(table["ci_low"], table["ci_high"])]


def ethnic_composition_table() -> pd.DataFrame:
    """Table 1 as printed: one row per group, one column per year, each share with the decimals
    the thesis printed ("23.70")."""
    from . import tables
    from .data import as_written

    long = tables.ethnic_composition()
    long["share"] = [computed_cell(str(share), f"eth-{ethnicity.lower()}-{year}") for share, ethnicity, year
                     in zip(as_written("ethnic_composition", "share"), long["ethnicity"], long["year"])]
    wide = long.pivot(index="ethnicity", columns="year", values="share")
    wide = wide.loc[list(dict.fromkeys(long["ethnicity"]))]
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index().rename(columns={"ethnicity": "Ethnicity"})


def _period_columns(frame: pd.DataFrame, values: dict[str, str], key) -> pd.DataFrame:
    """Periods as columns (the thesis's layout), rows named by `values`; `key(column, period)`
    is the origin of a cell's number."""
    from . import tables

    labels = tables.peaceful_assemblies().set_index("period")["label"]
    rows = []
    for column, title in values.items():
        row = {"": title}
        for period, value in zip(frame["period"], frame[column]):
            row[labels[period]] = "" if pd.isna(value) else computed_cell(f"{value:g}", key(column, period))
        rows.append(row)
    return pd.DataFrame(rows)


def assemblies_table() -> pd.DataFrame:
    """Table 2 as printed: the number of peaceful assemblies per period."""
    from . import tables

    return _period_columns(tables.peaceful_assemblies(), {"assemblies": "Number of peaceful assemblies"},
                           lambda column, period: f"assemblies-{period}")


def assembly_nature_table() -> pd.DataFrame:
    """Table 3 as printed: political, economic and social shares (%) per period."""
    from . import tables

    return _period_columns(tables.assembly_nature(),
                           {nature: f"{nature.capitalize()} (%)" for nature in tables.NATURES},
                           lambda nature, period: f"nature-{nature}-{period}")


def errata_table(comparisons: pd.DataFrame) -> Markdown:
    """The disagreements between printed and recomputed numbers, linked to their pages."""
    from .data import load

    errata = comparisons[~comparisons["agrees"]]
    if errata.empty:
        return Markdown("*Every printed number agrees with the data.*")
    printed = load("printed_numbers")
    check_pages(printed["page"], printed.attrs["path"])
    from .edition import emendation_of

    places = [emendation_of(page, printed_value) for page, printed_value in
              zip(errata["page"], errata["printed"])]
    frame = pd.DataFrame({
        "Page": [doc_link(p) for p in errata["page"]],
        "Where": errata["where"],
        "Place": [_sign_link(place) for place in places],
        "Printed": errata["printed"],
        "Recomputed from data": [_like(p, v) for p, v in zip(errata["printed"], errata["recomputed"])],
        "Quantity": [code(q) for q in errata["quantity"]],
    })
    # The printed edition's table is for a reader: the place (the page, the words and the sign
    # that marks them), the printed and the recomputed number; not the quantity's computation.
    reader = pd.DataFrame({
        "Place": [Markup(f"{link}: {literal(where)}" + (f" ({sign})" if sign else ""),
                         f"{link.text}: {where}" + (f" ({sign.text})" if sign else ""))
                  for link, where, sign in zip(frame["Page"], frame["Where"], frame["Place"])],
        "Printed": errata["printed"],
        "Recomputed": list(frame["Recomputed from data"]),
    })
    return Markdown(for_each_edition(web=table(frame).data, printed=table(reader).data))


def for_each_edition(web: str, printed: str) -> str:
    """MyST that shows `web` in the web book and `printed` in the reader's editions (PDF, EPUB)."""
    return (f"::::{{only}} html and not epub\n{web}\n::::\n\n"
            f"::::{{only}} latex or epub\n{printed}\n::::\n")


def _sign_link(emendation_id: str | None) -> Markup | str:
    """A link to the sign of an emendation in the text ("emendation-N" → its place)."""
    if emendation_id is None:
        return ""
    number = emendation_id.split("-")[1]
    return Markup(f"{{ref}}`° {number} <emended-{number}>`", f"° {number}")


def _like(printed: str, value: float) -> str:
    """`value` at the precision of `printed`: as the book prints it in the author's place."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return f"{value:.{decimals}f}"


def edition_notes_list() -> Markdown:
    """The edition notes, one collapsed group per page in the book's order, each note linked to
    its passage (an emendation: to its sign). A list, not a table, so that long quotations and
    web addresses wrap on a printed page as well as on a phone. Every text of the notes is shown
    literally (`literal`), a web address as a link."""
    from .data import relative
    from .edition import NOTES, edition_notes, emendations, note_label

    notes = edition_notes()
    check_pages(notes["page"], relative(NOTES))
    signs = {(row.page, row.seed_line, row.seed_text): row.id for row in emendations().itertuples()}
    notes["place"] = [
        _sign_link(signs[key]) if (key := (row.page, row.seed_line, row.seed_text)) in signs
        else Markup(f"{{ref}}`passage <{note_label(index)}>`", "passage")
        for index, row in enumerate(notes.itertuples())]
    parts = []
    for page, group in notes.groupby("page", sort=False):
        items = [
            f"- Line {row.seed_line}, {literal(row.kind)}: the seed prints “{_prose(row.seed_text)}”; "
            f"this edition prints “{_prose(row.edition_text)}”. {_prose(row.note)} ({row.place})"
            for row in group.itertuples()
        ]
        count = f"{len(group)} note" + ("s" if len(group) > 1 else "")
        # A fence longer than any the items could hold; the page's link is in the body, as a
        # link in the summary would compete with opening the group.
        parts += [f"````{{dropdown}} {PAGE_TITLES.get(page, page)} ({count})",
                  ":class-container: edition-notes-group", "",
                  f"Notes on {doc_link(page)}:", "", *items, "````", ""]
    return Markdown("\n".join(parts))


def emendations_list() -> Markdown:
    """Every emendation, numbered as its sign in the text: where (linked back to the sign), what
    the seed prints and what this edition prints. Texts shown literally."""
    from .edition import emendations

    items = []
    for row in emendations().itertuples():
        number = row.id.split("-")[1]
        items += [
            f"({row.id})=",
            f"**{number}.** {doc_link(row.page)}, {{ref}}`line {row.seed_line} <emended-{number}>`: "
            f"“{_prose(row.seed_text)}” → “{_prose(row.edition_text)}”. {_prose(row.note)}",
            "",
        ]
    return Markdown("\n".join(items))
