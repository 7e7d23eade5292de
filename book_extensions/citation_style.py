r"""The book's citation style: a pybtex formatting style for the thesis's footnotes.

sphinxcontrib-bibtex formats every `{footcite}` footnote and the bibliography page with the
pybtex style named by `bibtex_default_style` in `_config.yml`. This one is registered as
`kzthesis` by `setup` below (pybtex's plugin registry) and renders an
entry as the thesis wrote its footnotes, in this order:

    author (or editors). Title [English translation]. Source, volume(number), pages, date.
    Available at: URL (Accessed: date) [In Russian] Note.

- the title is printed exactly as written in references.bib: this style changes no letter's
  case, so braces in titles are not needed to protect proper nouns (and do no harm);
- each field is read as FIELD_KINDS says: `latex` fields (titles, publishers, notes...) through
  pybtex's LaTeX reader, so `{…}` only groups, `\&`, `\%`, `\'e` are `&`, `%`, `é`, and `&`, `$`,
  `#`, `_` print as written; a bare `%` is a percent sign too (pybtex alone would read it as a
  comment and cut the field there); `raw` fields (dates, numbers, pages, DOI, URL) are printed
  character for character; `names` go through pybtex's name parser, which reads LaTeX like
  `latex` fields but keeps `%` a comment. `make check-refs` (tools/refs.py) rejects what a field
  cannot print as written (a LaTeX command pybtex does not know, such as `\$` or `\{`);
- the English translation comes from `titleaddon`, the language mark from `language`
  (`russian`, `kazakh`; English sources get none);
- a web address links to the exact address and shows its encoded letters as letters
  (`displayed_url`);
- the date is day month year, as much of it as the entry gives: an entry with no year shows
  none (several sources have no date on purpose) and never fails;
- the same rich text goes to HTML and to LaTeX, so the PDF footnotes say the same.

`python -m book_extensions.citation_style KEY...` prints entries as plain text, to try the style.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata

from pybtex.richtext import HRef, String, Symbol, Tag, Text
from pybtex.style import FormattedEntry
from pybtex.style.formatting import BaseStyle
from pybtex.style.sorting import BaseSortingStyle

#: Marks printed after non-English sources (the thesis's own wording).
LANGUAGE_MARKS = {"russian": "[In Russian]", "kazakh": "[In Kazakh]"}
#: Languages that get no mark.
UNMARKED_LANGUAGES = {"english"}

#: Entry types whose title is a part of a larger work (printed upright, the container in italics).
CONTAINED_TYPES = {"article", "incollection", "inproceedings", "inbook"}

#: Every field this style reads and how (see the module's docstring; `langid` is read, never printed); tools/refs.py
#: refuses any other field, so nothing an author writes is silently dropped.
FIELD_KINDS = {
    **dict.fromkeys(("author", "editor"), "names"),
    **dict.fromkeys(("title", "titleaddon", "booktitle", "journal", "howpublished", "type",
                     "edition", "institution", "organization", "school", "address", "publisher",
                     "note"), "latex"),
    **dict.fromkeys(("volume", "number", "pages", "year", "month", "day", "doi", "url", "urldate",
                     "language"), "raw"),
    # The source's language where the thesis prints no mark for it (biblatex's `langid`: the
    # language of the entry, read but not printed; `language` prints "[In Russian]").
    "langid": "unprinted",
}
PRINTED_FIELDS = tuple(FIELD_KINDS)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

_TERMINAL = (".", "!", "?", ".]", "!]", "?]", "…")

#: A `%` that no backslash escapes (`\\%` is a line break, then a bare `%`).
_BARE_PERCENT = re.compile(r"(?<!\\)((?:\\\\)*)%")


@functools.lru_cache(maxsize=4096)
def read_latex(value: str) -> Text:
    """A `latex` field as rich text: braces become protected text, LaTeX accents Unicode, and a
    bare `%` stays a percent sign instead of starting a comment. Remembered: every build formats
    every cited entry again, and decoding LaTeX is most of that time (pybtex's rich text is never
    changed in place, so one value can be shared)."""
    return Text.from_latex(_BARE_PERCENT.sub(r"\1\\%", value))


# A straight double quote opens a quotation at the start of a field or after a space or an
# opening bracket, and closes one anywhere else. Done here because docutils' smart quotes see
# "[" and the quote that follows in different text nodes and close the quotation instead.
# A quote between two letters is a transliterated hard sign (ob"yavil, s"ezda) and stays.
_OPENING_QUOTE = re.compile(r'(?:(?<=^)|(?<=[\s(\[{]))"')
_CLOSING_QUOTE = re.compile(r'(?<!\w)"|"(?!\w)')


def printed_field(value: str) -> Text:
    """A text field as the notes print it: LaTeX read, straight double quotes made curly."""
    return read_latex(_CLOSING_QUOTE.sub("”", _OPENING_QUOTE.sub("“", value)))


def _latex(entry, name: str) -> Text | None:
    value = entry.fields.get(name, "").strip()
    return printed_field(value) if value else None


def _raw(entry, name: str) -> str | None:
    value = entry.fields.get(name, "").strip()
    return value or None


def _sentence(text: Text) -> Text:
    """End a block with a period unless it already ends with one (also inside a closing `]`)."""
    return text if str(text).rstrip().endswith(_TERMINAL) else Text(text, ".")


def _join(parts, sep: str = ", ") -> Text:
    parts = [part for part in parts if part]
    return String(sep).join(parts) if parts else Text()


def _names(persons, style: "Style") -> Text:
    formatted = [style.format_name(person, style.abbreviate_names).format() for person in persons]
    if len(formatted) <= 1:
        return Text(*formatted)
    return Text(String(", ").join(formatted[:-1]), " and ", formatted[-1])


def _editors(entry, style: "Style") -> Text | None:
    editors = entry.persons.get("editor")
    if not editors:
        return None
    return Text(_names(editors, style), " (eds.)" if len(editors) > 1 else " (ed.)")


def _pages(entry) -> Text | None:
    pages = _raw(entry, "pages")
    if not pages:
        return None
    items = [item.strip() for item in pages.split(",") if item.strip()]
    ranges = [Symbol("ndash").join([String(p) for p in re.split(r"-+", item) if p])
              for item in items]
    several = len(items) > 1 or re.search(r"[0-9a-z]-+[0-9a-z]", pages, re.IGNORECASE)
    return Text("pp." if several else "p.", Symbol("nbsp"), String(", ").join(ranges))


def format_date(entry) -> Text | None:
    """`16 March 2022`, `February 2007`, `2011`: as much as the entry gives; None without any."""
    parts = [_raw(entry, "day"), _raw(entry, "month"), _raw(entry, "year")]
    parts = [part for part in parts if part]
    return Text(" ".join(parts)) if parts else None


_ESCAPED_BYTES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def displayed_url(url: str) -> str:
    """A web address as a reader reads it: the letters that the address carries percent-encoded
    (`%D0%93` is `Г`) shown as letters; an encoded ASCII sign (`%20`, `%25`) stays encoded,
    since shown bare it would read as part of the address's syntax. The link keeps the exact
    address."""
    def letters(match: re.Match) -> str:
        escaped = match.group(0)
        # Bytes that are no UTF-8 letter decode to lone surrogates: they stay encoded.
        text = bytes.fromhex(escaped.replace("%", "")).decode("utf-8", errors="surrogateescape")
        out, position = [], 0
        for character in text:
            size = 3 * len(character.encode("utf-8", errors="surrogateescape"))
            letter = ord(character) > 127 and not 0xDC80 <= ord(character) <= 0xDCFF
            out.append(character if letter else escaped[position:position + size])
            position += size
        return "".join(out)

    return _ESCAPED_BYTES.sub(letters, url)


def format_iso_date(value: str) -> str:
    """`2022-05-16` -> `16 May 2022`; anything else is printed as written."""
    try:
        day = _dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


class SortingStyle(BaseSortingStyle):
    """Bibliography page order: author (or editor, or title when there is none), year, title,
    compared without braces or case."""

    @staticmethod
    def _plain(text: str) -> str:
        """Without braces, accents or case: `{Å}slund` sorts with `Aslund`."""
        text = unicodedata.normalize("NFKD", re.sub(r"[{}\\]", "", text))
        return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()

    def sorting_key(self, entry):
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        who = "  ".join(" ".join(p.prelast_names + p.last_names + p.first_names + p.middle_names)
                        for p in persons)
        title = entry.fields.get("title", "")
        return (self._plain(who or title), entry.fields.get("year", ""), self._plain(title))


class Style(BaseStyle):
    """The thesis's footnote style (see the module's docstring)."""

    default_name_style = "lastfirst"
    default_label_style = "number"
    default_sorting_style = "author_year_title"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sort = SortingStyle().sort

    # -- the parts of an entry, in the order they are printed ---------------------------------

    def format_who(self, entry) -> Text | None:
        authors = entry.persons.get("author")
        if authors:
            return _names(authors, self)
        return _editors(entry, self)

    def format_title(self, entry) -> Text | None:
        title = _latex(entry, "title")
        if title is not None and entry.type not in CONTAINED_TYPES:
            title = Text(Tag("em", title))
        translation = _latex(entry, "titleaddon")
        if translation is not None:
            translation = Text("[", translation, "]")
        parts = [part for part in (title, translation) if part is not None]
        return String(" ").join(parts) if parts else None

    def format_source(self, entry) -> Text | None:
        """Where the source appeared, its volume, number and pages, and its date."""
        parts: list[Text | None] = []
        container = _latex(entry, "booktitle")
        if container is not None:
            editors = _editors(entry, self) if entry.persons.get("author") else None
            parts.append(Text("In: ", *([editors, " "] if editors else []), Tag("em", container)))
        journal = _latex(entry, "journal")
        volume, number = _raw(entry, "volume"), _raw(entry, "number")
        if journal is not None:
            issue = Text(volume or "", f"({number})" if (volume and number) else "")
            if number and not volume:
                issue = Text("no.", Symbol("nbsp"), number)
            parts.append(_join([Text(Tag("em", journal)), issue if issue else None]))
            volume = number = None
        elif container is None and entry.persons.get("author") and entry.persons.get("editor"):
            parts.append(Text("Edited by ", _names(entry.persons["editor"], self)))
        howpublished = _latex(entry, "howpublished")
        if howpublished is not None:
            parts.append(howpublished)
        kind = _latex(entry, "type")
        if kind is not None:
            parts.append(kind)
        edition = _latex(entry, "edition")
        if edition is not None:
            parts.append(Text(edition, " edn."))
        for name in ("institution", "organization", "school"):
            parts.append(_latex(entry, name))
        publisher, address = _latex(entry, "publisher"), _latex(entry, "address")
        if publisher is not None and address is not None:
            parts.append(Text(address, ": ", publisher))
        else:
            parts.append(publisher or address)
        if volume:
            parts.append(Text("vol.", Symbol("nbsp"), volume))
        if number:
            parts.append(Text("no.", Symbol("nbsp"), number))
        parts.append(_pages(entry))
        parts.append(format_date(entry))
        joined = _join(parts)
        return joined if joined else None

    def format_access(self, entry) -> Text | None:
        """`DOI: …`, `Available at: URL (Accessed: 16 May 2022)`."""
        parts = []
        doi = _raw(entry, "doi")
        if doi:
            parts.append(Text("DOI: ", HRef(f"https://doi.org/{doi}", String(doi))))
        url = _raw(entry, "url")
        if url:
            accessed = _raw(entry, "urldate")
            parts.append(Text("Available at: ", HRef(url, String(displayed_url(url))),
                              *([f" (Accessed: {format_iso_date(accessed)})"] if accessed else [])))
        return String(" ").join(parts) if parts else None

    def format_language(self, entry) -> Text | None:
        language = (_raw(entry, "language") or "").lower()
        if not language or language in UNMARKED_LANGUAGES:
            return None
        return Text(LANGUAGE_MARKS.get(language, f"[In {language.capitalize()}]"))

    def format_text(self, entry) -> Text:
        blocks = []
        for block in (self.format_who(entry), self.format_title(entry), self.format_source(entry),
                      self.format_access(entry)):
            if block:
                blocks.append(_sentence(block))
        language = self.format_language(entry)
        if language:
            blocks.append(language)
        note = _latex(entry, "note")
        if note is not None:
            blocks.append(_sentence(note))
        return String(" ").join(blocks)

    def format_entry(self, label, entry, bib_data=None):
        # sphinxcontrib-bibtex formats every entry at every build: an entry is formatted once
        # per process (a tenth of a second of each of make preview's rebuilds).
        key = (type(self), entry.key, entry.type, tuple(entry.fields.items()),
               tuple((role, tuple(map(str, people))) for role, people in entry.persons.items()))
        if key not in _FORMATTED:
            _FORMATTED[key] = self.format_text(entry)
        return FormattedEntry(entry.key, _FORMATTED[key], label)


_FORMATTED: dict[tuple, Text] = {}  # an entry's content -> its formatted text


@functools.cache
def _plain_backend():
    from pybtex.plugin import find_plugin  # slow: it reads every package's entry points

    return find_plugin("pybtex.backends", "text")(), Style()


def plain_text(text: Text) -> str:
    """Rich text as the reader sees it (plain text, no markup)."""
    return text.render(_plain_backend()[0])


# A short title is the title up to its first colon, full stop or question mark, or its first
# SHORT_TITLE_WORDS words.
SHORT_TITLE_WORDS = 6


def short_form(entry, style: Style | None = None) -> Text:
    """A repeated citation in a chapter: `Ezrow and Frantz, Dictators and Dictatorships.` — the
    authors' surnames (an organisation as written) and the short title."""
    style = style or Style()
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    surnames = [str(read_latex(" ".join(person.last_names) or " ".join(person.first_names)))
                for person in persons]
    who = " and ".join([", ".join(surnames[:-1]), surnames[-1]] if len(surnames) > 1 else surnames)
    title = str(_latex(entry, "title") or "")
    # Cut after a word of two letters or more: "Obraz I. V. Stalina" keeps its initials.
    short = re.split(r"(?<=\w\w)[:.?](?:\s|$)", title, maxsplit=1)[0].strip()
    words = short.split()
    if len(words) > SHORT_TITLE_WORDS:
        short = " ".join(words[:SHORT_TITLE_WORDS]) + "…"
    title_text = Text(Tag("em", short)) if entry.type not in CONTAINED_TYPES else Text(short)
    parts = [part for part in (Text(who) if who else None, title_text if short else None) if part]
    return _sentence(String(", ").join(parts)) if parts else Text(entry.key)


def render_plain(entry, style: Style | None = None) -> str:
    """An entry as the reader sees it (plain text, no markup)."""
    return plain_text((style or _plain_backend()[1]).format_text(entry))


def _main(argv: list[str]) -> int:
    import pybtex.database

    from book_extensions import ROOT

    entries = pybtex.database.parse_file(str(ROOT / "references.bib")).entries
    for key in argv or list(entries):
        print(f"{key}: {render_plain(entries[key])}")
    return 0


STYLE_NAME = "kzthesis"


# The plugins the style is made of. pybtex looks each up among the installed packages' entry
# points every time a style is made (once per footnote citation: a tenth of a second a time,
# seconds per build); known at run time, they are found at once, as the same classes. ("last" is
# the name style of sphinxcontrib-bibtex's author–year labels.)
STYLE_PARTS = (("pybtex.style.names", Style.default_name_style),
               ("pybtex.style.labels", Style.default_label_style),
               ("pybtex.style.sorting", Style.default_sorting_style),
               ("pybtex.style.names", "last"))


def register() -> None:
    """Make the style known to pybtex by its name, as sphinxcontrib-bibtex and tools/refs.py
    look it up, and its parts known at run time."""
    from pybtex.plugin import find_plugin, register_plugin

    register_plugin("pybtex.style.formatting", STYLE_NAME, Style, force=True)
    for group, name in STYLE_PARTS:
        register_plugin(group, name, find_plugin(group, name), force=True)


def setup(app) -> None:
    register()
    app.setup_extension("sphinxcontrib.bibtex")


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))
