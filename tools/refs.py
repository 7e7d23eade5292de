"""Check and format references.bib, the record of every source the thesis cites.

    python -m tools.refs check     # `make check-refs`: every problem at once; exit 1 if any
    python -m tools.refs format    # `make format-refs`: rewrite references.bib in the file's format

`check` reports each problem as `FILE:LINE: KEY: what is wrong` (FILE is references.bib, or the
page or list that holds the problem) and checks that:

* references.bib parses, with pybtex (what the book uses) and bibtexparser (which knows every
  entry's line), and holds nothing outside entries;
* no two entries share a key, also not keys differing only by case; keys are `authoryearword`;
* every entry is of a type the book's style prints and has the fields that type needs; no field
  is unknown to the style (it would be silently dropped), empty or given twice; persons are
  `Surname, Given` and organisations `{{In Double Braces}}`;
* years, months (`month = mar`), days, URLs, access dates (`urldate`), DOIs, pages and languages
  are well-formed;
* titles keep the capitals of their proper nouns in the output of the style that the book uses
  (`bibtex_default_style` in _config.yml): each entry is rendered with that style and every
  capitalised word of `title`, `titleaddon`, `journal`, `booktitle` must come out unchanged;
  a style that changes case needs braces, `{Soviet}`; the book's own style changes none;
* every key cited with a role (`{footcite}`, `{cite}`, ...) in book/ or notebooks/ exists, and a
  page that cites with `{footcite}` has a `{footbibliography}`;
* every entry is cited somewhere, or is listed with a reason in tools/uncited-references.toml;
* one entry per source: no two entries with the same URL (or, without URL, the same author, title
  and year) and the same note and pages;
* the file is in its standard format (what `format` writes).

`format` writes the file's standard format with bibtexparser (v2), the maintained Python BibTeX
library that also gives the checker its line numbers: entries in file order, `@type{key,`, one
field per line indented by two spaces, fields in FIELD_ORDER, `key = {value},` with the value on
one line (a month stays the bare macro `mar`), one blank line between entries. It changes no
value's text, refuses a file with errors it could not carry over, and replaces the file
atomically (temporary file, then rename), only when asked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import re
import sys
import tempfile
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import bibtexparser.model as bpm
import pybtex.database
import pybtex.errors
import yaml
from bibtexparser.middlewares import (
    AddEnclosingMiddleware,
    NormalizeFieldKeys,
    RemoveEnclosingMiddleware,
    SortFieldsCustomMiddleware,
)
from bibtexparser.writer import BibtexFormat

ROOT = Path(__file__).resolve().parent.parent
BIB_NAME = "references.bib"
UNCITED_NAME = "tools/uncited-references.toml"
CITING_DIRS = ("book", "notebooks")

#: Field order of every entry (the order of CONVENTIONS: who, when, what, where, how to find it).
FIELD_ORDER = (
    "author", "editor", "year", "month", "day", "title", "titleaddon", "booktitle", "journal",
    "howpublished", "publisher", "institution", "organization", "school", "address", "type",
    "edition", "volume", "number", "pages", "doi", "url", "urldate", "language", "note",
)

#: Entry types the book uses and, for each, the fields its footnote needs: each tuple is a set of
#: alternatives (one of them must be present).
REQUIRED = {
    "article": (("author",), ("title",), ("journal",), ("year",)),
    "book": (("author", "editor"), ("title",), ("publisher",), ("year",)),
    "incollection": (("author",), ("title",), ("booktitle",), ("publisher",), ("year",)),
    "techreport": (("author",), ("title",), ("institution",), ("year",)),
    # Web pages, laws, speeches, videos: some have no author or date, but a reader must be able
    # to tell or find the source.
    "misc": (("title", "url"),),
}

#: Fields whose capitals must survive the book's citation style.
TITLE_FIELDS = ("title", "titleaddon", "journal", "booktitle")

MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                "dec")
KEY_RE = re.compile(r"^[a-z][a-z0-9]*$")
YEAR_RE = re.compile(r"^[0-9]{4}$")
DOI_RE = re.compile(r"^10\.[0-9]{4,9}/\S+$")
_PAGE = r"([0-9]+|[ivxlcdm]+)(--([0-9]+|[ivxlcdm]+))?"
PAGES_RE = re.compile(rf"^{_PAGE}(, ?{_PAGE})*$", re.IGNORECASE)  # `69`, `131--147`, `14, 32`
HOST_RE = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
ROLE_RE = re.compile(r"\{(foot)?cite(?::[a-z]+)?\}`([^`]*)`")
FOOTBIB_RE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{footbibliography\}", re.MULTILINE)
VON_PARTICLES = {"de", "da", "del", "della", "der", "di", "du", "la", "le", "van", "von", "den",
                 "ter", "bin", "ibn", "al", "el"}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:"
        return f"{where} {self.key}: {self.message}" if self.key else f"{where} {self.message}"


# -- configuration ------------------------------------------------------------------------------

def book_style_name(root: Path) -> str:
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return (((config.get("sphinx") or {}).get("config") or {}).get("bibtex_default_style")
            or "alpha")  # sphinxcontrib-bibtex's default


def load_style(name: str):
    from pybtex.plugin import find_plugin

    from book_extensions import citation_style

    citation_style.register()
    return find_plugin("pybtex.style.formatting", name)()


def printed_fields() -> set[str]:
    from book_extensions.citation_style import PRINTED_FIELDS
    return set(PRINTED_FIELDS)


def known_languages() -> list[str]:
    from book_extensions.citation_style import LANGUAGE_MARKS, UNMARKED_LANGUAGES
    return sorted(UNMARKED_LANGUAGES | set(LANGUAGE_MARKS))


# -- parsing ------------------------------------------------------------------------------------

def parse_raw(text: str) -> bibtexparser.Library:
    """Every block with its line, values exactly as written (braces and all)."""
    return bibtexparser.parse_string(text, parse_stack=[])


def strip_enclosing(value: str) -> tuple[str, str]:
    """(`inner value`, `{` / `"` / `none`) as bibtexparser reads the value's enclosing."""
    inner, enclosing = RemoveEnclosingMiddleware._strip_enclosing(value)
    return inner, ("none" if enclosing == "no-enclosing" else enclosing)


def _line(block_or_field) -> int:
    start = getattr(block_or_field, "start_line", None)
    return (start or 0) + 1


# -- the formatter ------------------------------------------------------------------------------

class _OneLineValues(RemoveEnclosingMiddleware):
    """Values on one line: BibTeX reads a line break inside a value as a space."""

    def transform_entry(self, entry, library):
        for field in entry.fields:
            one_line = re.sub(r"[ \t]*\r?\n\s*", " ", field.value)
            if one_line != field.value:
                enclosing = field.enclosing  # setting the value forgets it
                field.value = one_line
                field.enclosing = enclosing
        return entry

    def transform_string(self, string, library):
        return string


def _lower_entry_types(library: bibtexparser.Library) -> None:
    for entry in library.entries:
        entry.entry_type = entry.entry_type.lower()


def format_text(text: str) -> str:
    """references.bib in its standard format (see the module docstring)."""
    library = bibtexparser.parse_string(text, parse_stack=[
        NormalizeFieldKeys(),
        RemoveEnclosingMiddleware(),
        _OneLineValues(),
        SortFieldsCustomMiddleware(order=FIELD_ORDER),
    ])
    if library.failed_blocks:
        raise ValueError("references.bib has errors the formatter cannot carry over: "
                         "run `make check-refs` and fix them first")
    _lower_entry_types(library)
    blocks = [block for block in library.blocks
              if not (isinstance(block, bpm.ImplicitComment) and not block.comment.strip())]
    library = bibtexparser.Library(blocks)
    style = BibtexFormat()
    style.indent = "  "
    style.trailing_comma = True
    style.block_separator = "\n"
    out = bibtexparser.write_string(library, unparse_stack=[AddEnclosingMiddleware(
        reuse_previous_enclosing=False, enclose_integers=True, default_enclosing="{")],
        bibtex_format=style)
    return out.rstrip("\n") + "\n"


def write_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


# -- the checks ---------------------------------------------------------------------------------

class Checker:
    def __init__(self, root: Path = ROOT):
        self.root = root
        self.bib = root / BIB_NAME
        self.problems: list[Problem] = []

    # reporting
    def report(self, line: int, key: str | None, message: str, path: str = BIB_NAME) -> None:
        self.problems.append(Problem(path, line, key, message))

    def run(self) -> list[Problem]:
        pybtex.errors.set_strict_mode(True)
        text = self.bib.read_text(encoding="utf-8")
        library = parse_raw(text)
        self.check_syntax(text, library)
        entries = [block for block in library.blocks if isinstance(block, bpm.Entry)]
        self.check_keys(library, entries)
        fields_ok = self.check_duplicate_fields(library)
        for entry in entries:
            self.check_entry(entry)
        book_entries = self.parse_with_pybtex(text)
        if book_entries is not None:
            self.check_rendering(entries, book_entries)
        self.check_citations(entries)
        self.check_same_source(entries)
        if fields_ok and not library.failed_blocks:
            self.check_format(text, entries)
        return sorted(set(self.problems), key=lambda p: (p.path != BIB_NAME, p.path, p.line))

    def check_syntax(self, text: str, library: bibtexparser.Library) -> None:
        for block in library.blocks:
            if isinstance(block, (bpm.DuplicateBlockKeyBlock, bpm.DuplicateFieldKeyBlock)):
                continue  # reported by check_keys / check_duplicate_fields
            if isinstance(block, bpm.ParsingFailedBlock):
                raw = (block.raw or "").strip().splitlines()
                first = raw[0] if raw else ""
                key = re.match(r"@\w+\s*\{\s*([^,\s]*)", first)
                self.report(_line(block), key.group(1) if key and key.group(1) else None,
                            f"cannot be parsed ({_one_line(block.error)}): check the braces "
                            "and the commas of this entry")
            elif isinstance(block, bpm.ImplicitComment) and block.comment.strip():
                stray = block.comment.strip().splitlines()[0]
                self.report(_line(block), None,
                            f"text outside any entry: `{stray}` (an extra `}}` that closed the "
                            "entry above early, or a missing `@type{key,` line?)")
            elif isinstance(block, (bpm.String, bpm.Preamble)):
                self.report(_line(block), None, "@string and @preamble are not used in this "
                            "file: write the values in the entries")

    def parse_with_pybtex(self, text: str):
        """The entries as the book reads them (pybtex, strict), or None after reporting why not."""
        try:
            return pybtex.database.parse_string(text, "bibtex").entries
        except Exception as error:
            line = getattr(error, "lineno", None)
            syntax = ("cannot be parsed", "outside any entry", "not enclosed", "runs into")
            if line is None and self.problems:
                pass  # repeated keys or fields, bad names: reported above with their lines
            elif line is None or not any(s in p.message for p in self.problems for s in syntax):
                self.report(line or 1, None, "pybtex (which builds the book) cannot read the "
                            f"file: {error}")
        return None

    def check_keys(self, library, entries) -> None:
        first: dict[str, bpm.Entry] = {}
        for block in library.blocks:
            if isinstance(block, bpm.DuplicateBlockKeyBlock):
                earlier = first.get(block.key.lower())
                where = f" (first at line {_line(earlier)})" if earlier else ""
                self.report(_line(block), block.key,
                            f"duplicate key{where}: one entry per source, each with its own key")
            elif isinstance(block, bpm.Entry):
                folded = block.key.lower()
                if folded in first:
                    self.report(_line(block), block.key,
                                f"key differs only by case from `{first[folded].key}` (line "
                                f"{_line(first[folded])}): keys must differ in more than case")
                else:
                    first[folded] = block
                if not KEY_RE.match(block.key):
                    self.report(_line(block), block.key, "key must be lower-case ASCII letters "
                                "and digits, `authoryearword` (e.g. `ezrow2011dictators`)")

    def check_duplicate_fields(self, library) -> bool:
        ok = True
        for block in library.blocks:
            entry = None
            if isinstance(block, bpm.DuplicateFieldKeyBlock):
                entry = block.ignore_error_block
            elif isinstance(block, bpm.Entry):
                entry = block
            if entry is None:
                continue
            seen: dict[str, bpm.Field] = {}
            for field in entry.fields:
                name = field.key.lower()
                if name in seen:
                    ok = False
                    self.report(_line(field), entry.key,
                                f"field `{name}` given twice (also at line {_line(seen[name])}): "
                                "keep one")
                else:
                    seen[name] = field
            if isinstance(block, bpm.DuplicateFieldKeyBlock):
                self.check_entry(entry)
        return ok

    def check_entry(self, entry: bpm.Entry) -> None:
        key, kind = entry.key, entry.entry_type.lower()
        fields: dict[str, tuple[str, str, bpm.Field]] = {}
        allowed = printed_fields()
        for field in entry.fields:
            name = field.key.lower()
            value, enclosing = strip_enclosing(field.value)
            fields.setdefault(name, (value, enclosing, field))
            if name not in allowed:
                close = difflib.get_close_matches(name, sorted(allowed), n=1)
                hint = f"did you mean `{close[0]}`? " if close else ""
                self.report(_line(field), key,
                            f"unknown field `{field.key}`: the book's style would not print it; "
                            f"{hint}(fields: {', '.join(FIELD_ORDER)})")
            if not value.strip():
                self.report(_line(field), key, f"field `{name}` is empty: fill it or remove it")
                continue
            if enclosing == "none" and not value.isdigit() and name != "month":
                self.report(_line(field), key,
                            f"field `{name}`: the value `{_one_line(value)}` is not enclosed in "
                            "braces (a missing comma at the end of the line above?)")
            if "\n" in value and enclosing != "none" and re.search(r"\n\s*\w+\s*=", value):
                self.report(_line(field), key,
                            f"field `{name}` runs into the next field: a comma is missing after "
                            "its closing brace")

        if kind not in REQUIRED:
            self.report(_line(entry), key,
                        f"entry type `@{entry.entry_type}` is not one the book uses: "
                        f"{', '.join('@' + t for t in REQUIRED)}")
        else:
            for alternatives in REQUIRED[kind]:
                if not any(fields.get(name, ("",))[0].strip() for name in alternatives):
                    wanted = " or ".join(f"`{name}`" for name in alternatives)
                    self.report(_line(entry), key,
                                f"@{kind} needs {wanted} for its footnote: add it from the "
                                "source (never invented), or use @misc when the thesis gives "
                                "no more")

        def value(name):
            return fields[name][0].strip() if name in fields else None

        def line(name):
            return _line(fields[name][2]) if name in fields else _line(entry)

        year, month, day = value("year"), value("month"), value("day")
        if year is not None:
            if not YEAR_RE.match(year):
                self.report(line("year"), key, f"year `{year}` is not a four-digit year")
            elif not 1500 <= int(year) <= dt.date.today().year:
                self.report(line("year"), key, f"year `{year}` is not a plausible year")
        month_number = None
        if month is not None:
            raw, enclosing = fields["month"][0], fields["month"][1]
            if enclosing != "none" or raw.lower() not in MONTH_MACROS:
                guess = _month_macro(raw)
                fix = f"`month = {guess}`" if guess else "e.g. `month = mar`"
                self.report(line("month"), key,
                            f"month `{_one_line(fields['month'][2].value)}` must be a month "
                            f"macro without braces: {fix}")
            else:
                month_number = MONTH_MACROS.index(raw.lower()) + 1
            if year is None:
                self.report(line("month"), key, "month without a year: add the year or drop "
                            "the month")
        if day is not None:
            if not re.fullmatch(r"[0-9]{1,2}", day):
                self.report(line("day"), key, f"day `{day}` must be a day of the month (1-31)")
            elif month is None:
                self.report(line("day"), key, "day without a month: add the month or drop the "
                            "day")
            elif month_number and year and YEAR_RE.match(year):
                try:
                    dt.date(int(year), month_number, int(day))
                except ValueError:
                    self.report(line("day"), key, f"day {day} does not exist in "
                                f"{MONTH_MACROS[month_number - 1]} {year}")

        url = value("url")
        if url is not None:
            problem = url_problem(url)
            if problem:
                self.report(line("url"), key, f"url `{url}` {problem}")
            match = re.match(r"https?://(dx\.)?doi\.org/(.+)$", url, re.IGNORECASE)
            if match and not DOI_RE.match(urllib.parse.unquote(match.group(2))):
                self.report(line("url"), key, f"url `{url}` holds a malformed DOI "
                            f"`{match.group(2)}` (a DOI looks like `10.4324/9780203067338`)")
        urldate = value("urldate")
        if urldate is not None:
            try:
                when = dt.date.fromisoformat(urldate) if re.fullmatch(
                    r"[0-9]{4}-[0-9]{2}-[0-9]{2}", urldate) else None
            except ValueError:
                when = None
            if when is None:
                self.report(line("urldate"), key, f"urldate `{urldate}` must be the access date "
                            "as YYYY-MM-DD (e.g. `2022-05-16`)")
            elif when > dt.date.today():
                self.report(line("urldate"), key, f"urldate `{urldate}` is in the future")
            if url is None:
                self.report(line("urldate"), key, "urldate without a url: the access date "
                            "belongs to a URL")
        doi = value("doi")
        if doi is not None and not DOI_RE.match(doi):
            hint = (" (write the bare DOI, without `https://doi.org/`)"
                    if re.match(r"(https?://|doi:)", doi, re.IGNORECASE) else "")
            self.report(line("doi"), key, f"doi `{doi}` is not a DOI like "
                        f"`10.4324/9780203067338`{hint}")
        pages = value("pages")
        if pages is not None:
            if re.fullmatch(r"[0-9]+\s*(-|–|—|\s-\s)\s*[0-9]+", pages):
                fixed = re.sub(r"\s*[-–—]\s*", "--", pages)
                self.report(line("pages"), key, f"pages `{pages}`: write a range with two "
                            f"hyphens, `{fixed}`")
            elif not PAGES_RE.match(pages):
                self.report(line("pages"), key, f"pages `{pages}` must be pages or ranges like "
                            "`69`, `131--147` or `14, 32`")
            else:
                for item in re.split(r", ?", pages):
                    bounds = item.split("--")
                    if len(bounds) == 2 and all(b.isdigit() for b in bounds) and \
                            int(bounds[0]) > int(bounds[1]):
                        self.report(line("pages"), key, f"pages `{pages}`: the range `{item}` "
                                    "ends before it starts")
        language = value("language")
        if language is not None and language not in known_languages():
            self.report(line("language"), key,
                        f"language `{language}` is not one the style knows: "
                        f"{', '.join(known_languages())} (lower case; or add its mark to "
                        "LANGUAGE_MARKS in book_extensions/citation_style.py)")
        for role in ("author", "editor"):
            if value(role):
                for problem in person_problems(value(role)):
                    self.report(line(role), key, f"{role}: {problem}")

    def check_rendering(self, entries, book_entries) -> None:
        """Render every entry with the book's style: it must not fail, and the capitals of the
        titles must come out as written."""
        name = book_style_name(self.root)
        try:
            style = load_style(name)
        except Exception as error:
            self.report(1, None, f"the citation style `{name}` (bibtex_default_style in "
                        f"_config.yml) cannot be loaded: {error}", path="_config.yml")
            return
        for entry in entries:
            book_entry = book_entries.get(entry.key)
            if book_entry is None:
                continue
            try:
                rendered = _render_text(style.format_entry("", book_entry).text)
            except Exception as error:
                self.report(_line(entry), entry.key, f"the book's style `{name}` cannot render "
                            f"this entry: {error}")
                continue
            fields = {f.key.lower(): f for f in entry.fields}
            for field_name in TITLE_FIELDS:
                written = book_entry.fields.get(field_name)
                if not written:
                    continue
                plain = _plain(written)
                where = _line(fields[field_name]) if field_name in fields else _line(entry)
                if plain.casefold() not in rendered.casefold() and not _all_words_in(plain,
                                                                                     rendered):
                    self.report(where, entry.key, f"{field_name}: the book's style `{name}` does "
                                "not print this field")
                    continue
                lost = [word for word in _capitalised_words(plain)
                        if not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", rendered)]
                if lost:
                    braced = ", ".join(f"`{{{w}}}`" for w in lost)
                    self.report(where, entry.key,
                                f"{field_name}: the style `{name}` prints "
                                f"{', '.join(f'`{w}`' for w in lost)} without its capitals: "
                                f"protect each with braces, {braced}")

    def check_citations(self, entries) -> None:
        keys = {entry.key: entry for entry in entries}
        folded = {key.lower(): key for key in keys}
        cited: dict[str, list[str]] = {}
        for path in self.citing_files():
            relative = path.relative_to(self.root).as_posix()
            text = path.read_text(encoding="utf-8")
            skip = _code_lines(text) if path.suffix == ".md" else set()
            footcites = []
            for match in ROLE_RE.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                if line in skip:
                    continue
                if match.group(1):
                    footcites.append(line)
                for key in (k.strip() for k in match.group(2).split(",")):
                    if not key:
                        self.report(line, None, "empty citation key in a cite role",
                                    path=relative)
                        continue
                    cited.setdefault(key, []).append(relative)
                    if key not in keys:
                        if key.lower() in folded:
                            hint = f" (keys are case-sensitive: `{folded[key.lower()]}`)"
                        else:
                            close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.75)
                            hint = f" (did you mean `{close[0]}`?)" if close else ""
                        self.report(line, key, f"cited but not in references.bib{hint}",
                                    path=relative)
            if footcites and path.suffix == ".md" and not FOOTBIB_RE.search(text):
                self.report(footcites[0], None, "the page cites with {footcite} but has no "
                            "```{footbibliography}``` directive at its end (the PDF build "
                            "fails without it)", path=relative)

        uncited = self.load_uncited(keys, cited)
        for key, entry in keys.items():
            if key not in cited and key not in uncited:
                self.report(_line(entry), key,
                            f"cited nowhere in {' or '.join(d + '/' for d in CITING_DIRS)}: "
                            "cite it with {footcite}, delete it, or list it with the reason in "
                            f"{UNCITED_NAME}")

    def citing_files(self) -> list[Path]:
        files: list[Path] = []
        for folder in CITING_DIRS:
            base = self.root / folder
            if base.is_dir():
                files += sorted(p for p in base.rglob("*") if p.suffix in (".md", ".ipynb")
                                and ".ipynb_checkpoints" not in p.parts)
        return files

    def load_uncited(self, keys, cited) -> dict[str, str]:
        path = self.root / UNCITED_NAME
        if not path.exists():
            return {}
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            self.report(1, None, f"cannot be read: {error}", path=UNCITED_NAME)
            return {}
        listed = data.get("uncited", {})
        lines = text.splitlines()

        def line_of(key):
            for number, line in enumerate(lines, 1):
                if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                    return number
            return 1

        for key, reason in listed.items():
            if not isinstance(reason, str) or len(reason.strip()) < 10:
                self.report(line_of(key), key, "give the reason why the entry is kept though no "
                            "page cites it (a sentence)", path=UNCITED_NAME)
            if key not in keys:
                self.report(line_of(key), key, "listed as uncited but there is no such entry in "
                            "references.bib: remove the line", path=UNCITED_NAME)
            elif key in cited:
                self.report(line_of(key), key, f"listed as uncited but cited in "
                            f"{sorted(set(cited[key]))[0]}: remove the line", path=UNCITED_NAME)
        return dict(listed)

    def check_same_source(self, entries) -> None:
        seen: dict[tuple, bpm.Entry] = {}
        for entry in entries:
            fields = {f.key.lower(): _norm(strip_enclosing(f.value)[0]) for f in entry.fields}
            detail = (fields.get("note", ""), fields.get("pages", ""), fields.get("volume", ""),
                      fields.get("number", ""))
            if fields.get("url"):
                identity = ("url", _norm_url(fields["url"])) + detail
            elif fields.get("title"):
                identity = ("work", fields.get("author", ""), fields.get("editor", ""),
                            fields["title"], fields.get("year", "")) + detail
            else:
                continue
            if identity in seen:
                other = seen[identity]
                self.report(_line(entry), entry.key,
                            f"same source as `{other.key}` (line {_line(other)}): keep one entry "
                            "and cite that key everywhere")
            else:
                seen[identity] = entry

    def check_format(self, text: str, entries) -> None:
        try:
            expected = format_text(text)
        except ValueError:
            return
        if expected == text:
            return
        starts = sorted((_line(entry), entry) for entry in entries)
        old, new = text.splitlines(), expected.splitlines()
        reported: set[str] = set()
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if tag == "equal":
                continue
            line = a0 + 1
            owner = None
            for start, entry in starts:
                if start <= max(line, 1):
                    owner = entry
            if owner is not None and owner.key in reported:
                continue
            if owner is not None:
                reported.add(owner.key)
            found = old[a0] if a0 < len(old) else "(end of file)"
            wanted = new[b0] if b0 < len(new) else "(nothing)"
            reason = _format_reason(owner, old[a0:a1], new[b0:b1])
            self.report(min(line, len(old)) or 1, owner.key if owner else None,
                        f"not in the file's standard format ({reason}; line {line} is "
                        f"`{found.strip() or '(blank)'}`, expected `{wanted.strip() or '(blank)'}`)"
                        ": run `make format-refs`")


# -- helpers ------------------------------------------------------------------------------------

def _one_line(text) -> str:
    return " ".join(str(text).split())


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def _norm_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(),
                                    parts.path.rstrip("/"), parts.query, parts.fragment))


def _month_macro(value: str) -> str | None:
    value = value.strip().strip("{}").strip().lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return MONTH_MACROS[int(value) - 1]
    for macro in MONTH_MACROS:
        if value.startswith(macro):
            return macro
    return None


def url_problem(url: str) -> str | None:
    """What is wrong with a URL, or None."""
    if re.search(r"\s", url):
        return "contains a space or line break: join it into one URL"
    if "\\" in url or "{" in url or "}" in url:
        return "contains `\\`, `{` or `}`: write the URL exactly as the browser shows it"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "must start with `https://` or `http://`"
    host = parts.hostname or ""
    if not host or not HOST_RE.match(host.encode("idna").decode("ascii")
                                     if not host.isascii() else host):
        return f"has no valid host name (`{parts.netloc}`)"
    try:
        parts.port  # noqa: B018 - reading it raises for an invalid port
    except ValueError:
        return f"has an invalid port (`{parts.netloc}`)"
    return None


def person_problems(value: str) -> list[str]:
    from pybtex.database import Person
    problems = []
    from pybtex.bibtex.utils import split_name_list
    for name in split_name_list(value):
        name = name.strip()
        if not name:
            problems.append("an empty name (a doubled `and`?)")
            continue
        try:
            Person(name)  # raises in pybtex's strict mode, which Checker.run sets
        except Exception as error:
            problems.append(f"`{name}` is not a name BibTeX can read ({error})")
            continue
        if name.startswith("{") and name.endswith("}"):
            continue  # an organisation (or a protected name)
        if "," not in name:
            words = name.split()
            if len(words) > 1:
                lower = [w for w in words if w[:1].islower() and w not in VON_PARTICLES]
                kind = "an organisation" if lower or len(words) > 3 else "a person"
                problems.append(f"`{name}` looks like {kind}: write a person as `Surname, "
                                f"Given` and an organisation in double braces, `{{{{{name}}}}}`")
    return problems


_TEXT_BACKEND = None


def _render_text(text) -> str:
    """Rich text as plain text (`render_as` looks the backend up at every call: slow)."""
    global _TEXT_BACKEND
    if _TEXT_BACKEND is None:
        from pybtex.plugin import find_plugin
        _TEXT_BACKEND = find_plugin("pybtex.backends", "text")()
    return text.render(_TEXT_BACKEND)


def _plain(latex: str) -> str:
    from pybtex.richtext import Text
    return _render_text(Text.from_latex(latex))


def _capitalised_words(text: str) -> list[str]:
    words = []
    for token in text.split():
        word = token.strip(".,;:!?()[]«»\"'“”‘’/–—-")
        if any(ch.isupper() for ch in word) and word not in words:
            words.append(word)
    return words


def _all_words_in(plain: str, rendered: str) -> bool:
    folded = rendered.casefold()
    return all(w.casefold() in folded for w in plain.split())


def _code_lines(text: str) -> set[int]:
    """Lines inside code cells and plain code blocks of a MyST page (roles there are code)."""
    from markdown_it import MarkdownIt
    lines: set[int] = set()
    for token in MarkdownIt("commonmark").parse(text):
        if token.type in ("fence", "code_block") and token.map:
            info = token.info.strip()
            if token.type == "code_block" or not info.startswith("{") or \
                    info.startswith(("{code-cell}", "{code}", "{code-block}", "{literalinclude}")):
                lines.update(range(token.map[0] + 1, token.map[1] + 1))
    return lines


def _format_reason(entry, found: list[str], wanted: list[str]) -> str:
    """Why the lines `found` of the file should read `wanted`, in a few words."""
    if entry is not None:
        names = [f.key.lower() for f in entry.fields]
        order = sorted(names, key=lambda n: FIELD_ORDER.index(n) if n in FIELD_ORDER else 99)
        if names != order:
            return f"fields out of order, expected {', '.join(order)}"
    if not any(line.strip() for line in found + wanted):
        return "one blank line between entries"
    if [line.strip() for line in found] == [line.strip() for line in wanted]:
        return "indentation or spacing"
    if "".join(found).split() == "".join(wanted).split() or \
            " ".join(found).split() == " ".join(wanted).split():
        return "one field per line, each value on one line"
    return "`key = {value},` with the value in braces, lower-case field names and types"


def _meaning(text: str) -> list:
    """What the book reads from a BibTeX text: every entry's type, key, fields and persons."""
    entries = pybtex.database.parse_string(text, "bibtex").entries
    return [(entry.type, key, sorted((k.lower(), v) for k, v in entry.fields.items()),
             sorted((role, [str(p) for p in persons]) for role, persons in entry.persons.items()))
            for key, entry in entries.items()]


# -- command line -------------------------------------------------------------------------------

def check(root: Path = ROOT) -> int:
    problems = Checker(root).run()
    for problem in problems:
        print(problem)
    count = len(problems)
    summary = (f"{BIB_NAME}: {count} problem{'s' if count != 1 else ''} found"
               if count else f"{BIB_NAME}: all checks passed")
    print(summary, file=sys.stderr)
    return 1 if problems else 0


def format_file(root: Path = ROOT) -> int:
    bib = root / BIB_NAME
    text = bib.read_text(encoding="utf-8")
    blocking = [p for p in Checker(root).run() if "cannot be parsed" in p.message
                or "given twice" in p.message or "duplicate key" in p.message
                or "outside any entry" in p.message or "pybtex" in p.message]
    if blocking:
        for problem in blocking:
            print(problem)
        print(f"{BIB_NAME}: not formatted: fix the problems above first", file=sys.stderr)
        return 1
    formatted = format_text(text)
    if _meaning(formatted) != _meaning(text):  # a safety net: formatting changes no value
        print(f"{BIB_NAME}: not formatted: the formatter would change what an entry says "
              "(please report this)", file=sys.stderr)
        return 1
    if formatted == text:
        print(f"{BIB_NAME}: already in its standard format", file=sys.stderr)
        return 0
    write_atomically(bib, formatted)
    print(f"{BIB_NAME}: formatted", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.refs", description=__doc__.split(
        "\n")[0])
    parser.add_argument("command", choices=("check", "format"))
    parser.add_argument("--root", type=Path, default=ROOT, help="project directory")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return check(root) if args.command == "check" else format_file(root)


if __name__ == "__main__":
    sys.exit(main())
