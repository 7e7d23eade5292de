"""Check and format references.bib, the record of every source the thesis cites.

    python -m tools.refs check     # `make check-refs`: every problem at once; exit 1 if any
    python -m tools.refs format    # `make format-refs`: rewrite references.bib in the file's format

`check` prints each problem as `FILE:LINE: KEY: what is wrong`; README's "Adding a citation" says
what it checks. Its rules are data: REQUIRED, FIELD_FORMS, NEEDS, PDF_CHARACTERS and FIELD_KINDS
of book_extensions/citation_style.py (how the book reads each field). `parse` reports what pybtex,
which builds the book, cannot read; `python -m tools.build` runs it first. `format` writes the
file in FIELD_ORDER with bibtexparser (v2), one field per line, `key = {value},`, and replaces it
atomically, refusing a file with syntax problems or a result that pybtex reads differently.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import logging
import os
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import bibtexparser.model as bpm
import pybtex.database
import pybtex.errors
from bibtexparser.middlewares import (AddEnclosingMiddleware, NormalizeFieldKeys,
                                      RemoveEnclosingMiddleware, SortFieldsCustomMiddleware)
from bibtexparser.writer import BibtexFormat
from pybtex.bibtex.utils import split_name_list
from pybtex.database.input.bibtex import Parser
from pybtex.exceptions import PybtexError
from pybtex.richtext import Text

from book_extensions.citation_style import (FIELD_KINDS, LANGUAGE_MARKS, UNMARKED_LANGUAGES,
                                            plain_text, printed_field, render_plain)

ROOT = Path(__file__).resolve().parent.parent
BIB_NAME = "references.bib"
UNCITED_NAME = "tools/uncited-references.toml"
CITING_DIRS = ("book", "notebooks")
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # its errors are reported here

#: Field order of every entry: who, when, what, where, how to find it.
FIELD_ORDER = ("author", "editor", "year", "month", "day", "title", "titleaddon", "booktitle",
               "journal", "howpublished", "publisher", "institution", "organization", "school",
               "address", "type", "edition", "volume", "number", "pages", "doi", "url", "urldate",
               "language", "langid", "note")
#: Entry types the book uses and the fields each one's footnote needs (one of each tuple).
REQUIRED = {
    "article": (("author",), ("title",), ("journal",), ("year",)),
    "book": (("author", "editor"), ("title",), ("publisher",), ("year",)),
    "incollection": (("author",), ("title",), ("booktitle",), ("publisher",), ("year",)),
    "techreport": (("author",), ("title",), ("institution",), ("year",)),
    # Web pages, laws, speeches, videos: no author or date needed, but a way to tell the source.
    "misc": (("title", "url"),),
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
LANGUAGES = sorted(UNMARKED_LANGUAGES | set(LANGUAGE_MARKS))
_PAGE = r"([0-9]+|[ivxlcdm]+)(--([0-9]+|[ivxlcdm]+))?"
_HOST = r"([^\W_]([\w-]*[^\W_])?\.)+([^\W\d_]{2,63}|xn--[a-z0-9-]+)"
_RAW = "printed as written, so without braces or backslashes inside"
#: The form of a field's value as written in the file, braces included: (pattern, what it is).
#: `raw` fields of FIELD_KINDS are printed character for character: no braces inside.
FIELD_FORMS = {
    "year": (r"\{[12][0-9]{3}\}", "a four-digit year, e.g. `{2022}`"),
    "month": ("|".join(MONTHS), "a month macro without braces, e.g. `month = mar`"),
    "day": (r"\{([1-9]|[12][0-9]|3[01])\}", "a day of the month, e.g. `{16}`"),
    "pages": (rf"\{{{_PAGE}(, {_PAGE})*\}}", "pages or ranges, e.g. `{69}`, `{131--147}`, `{14, 32}`"),
    "url": (rf"\{{(?!https?://(dx\.)?doi\.org/(?!10\.[0-9]{{4,9}}/))https?://{_HOST}(:[0-9]{{1,5}})?"
            r"([/?#][^\s{}\\]*)?\}", "an address with `https://` and a host name, without spaces, "
            "`\\`, `{` or `}` (a doi.org address holds a DOI, `10.…`)"),
    "urldate": (r"\{[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\}",
                "the access date, e.g. `{2022-05-16}`"),
    "doi": (r"\{10\.[0-9]{4,9}/[^\s{}\\]+\}", "a bare DOI, e.g. `{10.4324/9780203067338}`"),
    "language": (r"\{(%s)\}" % "|".join(LANGUAGES), f"one the style marks: {', '.join(LANGUAGES)}"
                 " (or add it to LANGUAGE_MARKS in book_extensions/citation_style.py)"),
    "volume": (r"\{[^{}\\]+\}", _RAW),
    "number": (r"\{[^{}\\]+\}", _RAW),
}
#: A field that means nothing without another one.
NEEDS = {"month": "year", "day": "month", "urldate": "url"}
#: Characters that the PDF's fonts (FreeSerif upright and italic; FreeMono for addresses) all
#: have, as (first, last) code points: Latin, IPA, accents, Greek, Cyrillic with the Kazakh
#: letters, punctuation, the tenge, numero and trade mark signs. XeLaTeX cannot print any other
#: character (the PDF build then fails). tests/test_refs_check.py checks this against the fonts.
PDF_CHARACTERS = ((0x20, 0x7E), (0xA0, 0x220), (0x224, 0x233), (0x250, 0x36F), (0x386, 0x3CE),
                  (0x400, 0x47F), (0x48A, 0x4F9), (0x1E00, 0x1E9B), (0x1EA0, 0x1EF9),
                  (0x2010, 0x2027), (0x202F, 0x205E), (0x20A1, 0x20B5), (0x20B8, 0x20B9),
                  (0x2116, 0x2116), (0x2122, 0x2122))
#: What to write instead, for what a `latex` or `names` field cannot print: (pattern, fix).
LATEX_FIXES = {r"(?<!\\)%": "write `\\%` for `%` (in a name a bare `%` starts a comment)",
               r"\\\$": "write `$` for `\\$`",
               r"\\[{}]": "rephrase without `\\{` and `\\}` (braces only group text)"}
KEY_RE = re.compile(r"[a-z][a-z0-9]*")
ROLE_RE = re.compile(r"\{(foot)?cite(?::[a-z]+)?\}`([^`]*)`")
FOOTBIB_RE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{footbibliography\}", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    key: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: " + (f"{self.key}: " if self.key else "") + self.message


def _line(block) -> int:
    return (getattr(block, "start_line", None) or 0) + 1


def _value(field) -> str:
    return RemoveEnclosingMiddleware._strip_enclosing(field.value)[0].strip()


# -- syntax -------------------------------------------------------------------------------------

class _Reader(Parser):
    """pybtex's parser, as the book's build uses it, remembering which entry it read last."""
    key = None

    def process_entry(self, entry_type, key, fields):
        self.key = key
        super().process_entry(entry_type, key, fields)


def _failed(text: str, block: bpm.ParsingFailedBlock) -> Problem:
    """Where and why bibtexparser could not read a block: the line it stopped at or, if the
    entry runs into the next one, its line with unbalanced braces or quotes, or its first line."""
    key = (re.match(r"\s*@\w+\s*[{(][ \t]*([^,\s]*)", block.raw or "") or [None, None])[1]
    reason = getattr(block.error, "abort_reason", None) or str(block.error).split(". Note")[0]
    end, lines = getattr(block.error, "end_index", None), text.splitlines()
    line = _line(block) if end is None else text.count("\n", 0, end) + 1
    if end is None or line <= len(lines) and not lines[line - 1].lstrip().startswith("@"):
        return Problem(BIB_NAME, line, key or None, f"cannot be read: {reason} (one entry per "
                       "key, each field once, as `name = {value},`)")
    for number in range(_line(block) + 1, min(line, len(lines) + 1)):
        plain = re.sub(r"\\[{}\"]", "", lines[number - 1])
        if plain.strip() != "}" and (plain.count("{") != plain.count("}") or plain.count('"') % 2):
            return Problem(BIB_NAME, number, key or None, "unbalanced braces or quotes in this "
                           "line: each `{` needs its `}`")
    before = f"line {line}" if line <= len(lines) else "the end of the file"
    return Problem(BIB_NAME, _line(block), key or None, f"the entry is not closed: its `}}` is "
                   f"missing before {before}")


def parse(text: str):
    """(bibtexparser's library, pybtex's entries or None, the syntax problems) of a .bib text."""
    library = bibtexparser.parse_string(text, parse_stack=[])
    problems = []
    for block in library.blocks:
        if isinstance(block, bpm.ParsingFailedBlock):
            problems.append(_failed(text, block))
        elif isinstance(block, (bpm.String, bpm.Preamble)):
            problems.append(Problem(BIB_NAME, _line(block), None, "@string and @preamble are "
                                    "not used in this file: write the values in the entries"))
        elif isinstance(block, bpm.ImplicitComment) and block.comment.strip():
            problems.append(Problem(BIB_NAME, _line(block), None, "text outside any entry: `"
                                    f"{block.comment.strip().splitlines()[0]}` (a `}}` that closed "
                                    "the entry above early, or a broken `@type{key,`?)"))
    if problems:
        return library, None, problems
    reader = _Reader()
    pybtex.errors.set_strict_mode(True)
    try:
        return library, reader.parse_string(text).entries, []
    except PybtexError as error:  # found by pybtex only: the line it names, or its entry's
        starts = [(_line(entry), entry.key) for entry in library.entries]
        line = getattr(error, "lineno", None) or max(
            [start for start, key in starts if key.lower() == str(reader.key).lower()] or [1])
        key = max([(start, key) for start, key in starts if start <= line] or [(0, None)])[1]
        return library, None, [Problem(BIB_NAME, line, key, "pybtex, which builds the book, "
                                       f"cannot read it: {error}")]


def syntax_error(root: Path = ROOT) -> str | None:
    """For tools/build.py, before it executes anything: why the book could not read the file."""
    problems = parse((root / BIB_NAME).read_text(encoding="utf-8"))[2]
    return "\n  ".join([f"{BIB_NAME} cannot be read:", *map(str, problems)]) if problems else None


# -- the formatter ------------------------------------------------------------------------------

def format_text(text: str) -> str:
    """references.bib in its standard format (see the module docstring)."""
    library = bibtexparser.parse_string(text, parse_stack=[
        NormalizeFieldKeys(), RemoveEnclosingMiddleware(), SortFieldsCustomMiddleware(FIELD_ORDER)])
    if library.failed_blocks:
        raise ValueError("references.bib has errors the formatter cannot carry over")
    for entry in library.entries:
        entry.entry_type = entry.entry_type.lower()
        for field in entry.fields:  # one line: BibTeX reads a line break in a value as a space
            enclosing = field.enclosing  # setting the value forgets it
            field.value, field.enclosing = re.sub(r"[ \t]*\r?\n\s*", " ", field.value), enclosing
    library = bibtexparser.Library([block for block in library.blocks if not (
        isinstance(block, bpm.ImplicitComment) and not block.comment.strip())])
    style = BibtexFormat()
    style.indent, style.trailing_comma, style.block_separator = "  ", True, "\n"
    return bibtexparser.write_string(library, bibtex_format=style, unparse_stack=[
        AddEnclosingMiddleware(reuse_previous_enclosing=False, enclose_integers=True,
                               default_enclosing="{")]).rstrip("\n") + "\n"


def _meaning(text: str) -> list:
    """What the book reads from a BibTeX text: every entry's type, key, fields and persons."""
    return [(entry.type, key, sorted((k.lower(), v) for k, v in entry.fields.items()),
             sorted((role, [str(p) for p in persons]) for role, persons in entry.persons.items()))
            for key, entry in pybtex.database.parse_string(text, "bibtex").entries.items()]


def write_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


# -- the checks ---------------------------------------------------------------------------------

class Checker:
    def __init__(self, root: Path = ROOT):
        self.root = root
        self.problems: list[Problem] = []

    def report(self, line: int, key: str | None, message: str, path: str = BIB_NAME) -> None:
        self.problems.append(Problem(path, line, key, message))

    def run(self) -> list[Problem]:
        text = (self.root / BIB_NAME).read_text(encoding="utf-8")
        library, book_entries, self.problems = parse(text)
        if not self.problems:  # the rest means little until the file reads as the book reads it
            for entry in library.entries:
                self.check_entry(entry, book_entries[entry.key])
            self.check_citations(library.entries)
            self.check_same_source(library.entries)
            self.check_format(text, library.entries)
        return sorted(dict.fromkeys(self.problems),
                      key=lambda problem: (problem.path != BIB_NAME, problem.path, problem.line))

    def check_entry(self, entry: bpm.Entry, book_entry) -> None:
        key, kind = entry.key, entry.entry_type.lower()
        fields = {field.key.lower(): field for field in entry.fields}
        values = {name: _value(field) for name, field in fields.items()}

        def report(name: str | None, message: str) -> None:
            self.report(_line(fields[name]) if name in fields else _line(entry), key, message)

        if not KEY_RE.fullmatch(key):
            report(None, "the key must be `authoryearword`, lower-case letters and digits")
        if kind not in REQUIRED:
            report(None, f"entry type `@{entry.entry_type}` is not one the book uses: "
                   + ", ".join("@" + t for t in REQUIRED))
        for alternatives in REQUIRED.get(kind, ()):
            if not any(values.get(name) for name in alternatives):
                report(None, f"@{kind} needs {' or '.join(f'`{n}`' for n in alternatives)} for "
                       "its footnote: add it from the source (never invented), or use @misc")
        for name, field in fields.items():
            form, value = FIELD_FORMS.get(name), " ".join(field.value.split())
            odd = sorted({ch for ch in values[name]
                          if not any(a <= ord(ch) <= b for a, b in PDF_CHARACTERS)})
            if name not in FIELD_KINDS:
                close = difflib.get_close_matches(name, FIELD_ORDER, n=1)
                report(name, f"unknown field `{field.key}`: the book's style would not print it"
                       + (f"; did you mean `{close[0]}`?" if close else ""))
            elif not values[name]:
                report(name, f"field `{name}` is empty: fill it or remove it")
            elif form and not re.fullmatch(form[0], value):
                report(name, f"`{name} = {value}` must be {form[1]}")
            elif name in NEEDS and NEEDS[name] not in values:
                report(name, f"`{name}` without `{NEEDS[name]}`: add it or remove `{name}`")
            if odd:
                report(name, f"{name}: " + ", ".join(f"`{ch}` (U+{ord(ch):04X})" for ch in odd)
                       + " not in the PDF's fonts: transliterate, as the thesis does")
        for role in ("author", "editor"):
            for name in (split_name_list(values[role]) if values.get(role) else ()):
                if re.fullmatch(r"and\b.*|.*\band", name) or not name.startswith("{") and \
                        "," not in name and " " in name:
                    report(role, f"{role}: `{name}`: write a person as `Surname, Given` and an "
                           f"organisation in double braces, `{{{{{name}}}}}`; no doubled `and`")
        self.check_dates(values, report)
        self.check_printed(values, book_entry, report)

    def check_dates(self, values: dict[str, str], report) -> None:
        """Dates that exist and are not in the future; page ranges that go forward."""
        year, month, day = (values.get(name, "") for name in ("year", "month", "day"))
        number = MONTHS.index(month) + 1 if month in MONTHS else 1
        for name, iso in (("day", f"{year}-{number:02}-{int(day) if day.isdigit() else 1:02}"),
                          ("urldate", values.get("urldate", ""))):
            try:
                if re.fullmatch(r"[12][0-9]{3}-(0[1-9]|1[0-2])-[0-9]{2}", iso) and \
                        dt.date.fromisoformat(iso) > dt.date.today():
                    report(name if name in values else "year", f"the date {iso} is in the future")
            except ValueError:
                report(name, f"the date {iso} does not exist")
        for first, last in re.findall(r"([0-9]+)--([0-9]+)", values.get("pages", "")):
            if int(first) > int(last):
                report("pages", f"pages: the range `{first}--{last}` ends before it starts")

    def check_printed(self, values: dict[str, str], book_entry, report) -> None:
        """Each `latex` and `names` field shows every character written in it, and each `latex`
        field appears as read in the entry's footnote."""
        try:
            footnote = " ".join(render_plain(book_entry).split())
        except Exception as error:  # noqa: BLE001 - any failure of the style is a problem
            footnote = report(None, f"the book's style cannot print this entry: {error}")
        for name, value in values.items():
            if FIELD_KINDS.get(name) not in ("latex", "names") or not value:
                continue
            try:
                shown = " ".join(plain_text(printed_field(value) if FIELD_KINDS[name] == "latex" else
                                            Text.from_latex(value)).split())
                wrong = "\\" in shown or any(shown.count(ch) < value.count(ch) for ch in set(value)
                                            if ch in "%&$#_" or ord(ch) > 127)
            except PybtexError as error:
                shown, wrong = f"nothing: pybtex cannot read it ({error})", True
            if wrong:
                fixes = [fix for pattern, fix in LATEX_FIXES.items() if re.search(pattern, value)]
                report(name, f"{name}: would print as `{shown}`, not as written: "
                       + "; ".join(fixes or ["write the text without LaTeX commands"]))
            elif FIELD_KINDS[name] == "latex" and footnote and shown not in footnote:
                report(name, f"{name}: the book's style does not print it as written, `{shown}`")

    def check_citations(self, entries) -> None:
        keys = {entry.key: entry for entry in entries}
        cited: dict[str, str] = {}
        for path in [p for folder in CITING_DIRS for p in sorted((self.root / folder).rglob("*"))
                     if p.suffix in (".md", ".ipynb") and ".ipynb_checkpoints" not in p.parts]:
            relative, text = path.relative_to(self.root).as_posix(), path.read_text("utf-8")
            skip = _code_lines(text) if path.suffix == ".md" else set()
            footcites = []
            for match in ROLE_RE.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                if line in skip:
                    continue
                footcites += [line] if match.group(1) else []
                for key in (k.strip() for k in match.group(2).split(",")):
                    cited.setdefault(key, relative)
                    if key not in keys:
                        close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.75)
                        self.report(line, key, "cited but not in references.bib" + (
                            f" (did you mean `{close[0]}`?)" if close else ""), path=relative)
            if footcites and path.suffix == ".md" and not FOOTBIB_RE.search(text):
                self.report(footcites[0], None, "the page cites with {footcite} but has no "
                            "```{footbibliography}``` directive at its end (the PDF build "
                            "fails without it)", path=relative)
        uncited = self.check_uncited(keys, cited)
        for key, entry in keys.items():
            if key not in cited and key not in uncited:
                self.report(_line(entry), key, "cited nowhere in book/ or notebooks/: cite it "
                            "with {footcite}, delete it, or list it with the reason in "
                            f"{UNCITED_NAME}")

    def check_uncited(self, keys, cited) -> dict[str, str]:
        """The entries listed in tools/uncited-references.toml, each with a reason."""
        path = self.root / UNCITED_NAME
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        try:
            listed = tomllib.loads(text).get("uncited", {})
        except tomllib.TOMLDecodeError as error:
            self.report(1, None, f"cannot be read: {error}", path=UNCITED_NAME)
            return {}
        for key, reason in listed.items():
            line = next((n for n, t in enumerate(text.splitlines(), 1)
                         if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", t)), 1)
            if not isinstance(reason, str) or len(reason.strip()) < 10:
                self.report(line, key, "give the reason why the entry is kept though no page "
                            "cites it (a sentence)", path=UNCITED_NAME)
            if key not in keys or key in cited:
                where = f"cited in {cited[key]}" if key in cited else "there is no such entry"
                self.report(line, key, f"listed as uncited but {where}: remove the line",
                            path=UNCITED_NAME)
        return listed

    def check_same_source(self, entries) -> None:
        seen: dict[tuple, bpm.Entry] = {}
        for entry in entries:
            values = {f.key.lower(): " ".join(_value(f).split()).casefold() for f in entry.fields}
            who = ("url", values["url"].rstrip("/")) if values.get("url") else (
                "work", values.get("author"), values.get("editor"), values.get("title"),
                values.get("year"))
            identity = who + tuple(values.get(n) for n in ("note", "pages", "volume", "number"))
            other = seen.setdefault(identity, entry)
            if other is not entry and (values.get("url") or values.get("title")):
                self.report(_line(entry), entry.key, f"same source as `{other.key}` (line "
                            f"{_line(other)}): keep one entry and cite that key everywhere")

    def check_format(self, text: str, entries) -> None:
        """The first line that `make format-refs` would change (it changes them all at once)."""
        end = ["(end of file)"]
        old, new = text.splitlines() + end, format_text(text).splitlines() + end
        line = next((n for n, (a, b) in enumerate(zip(old, new), 1) if a != b), None)
        if line is not None:
            key = max([(_line(e), e.key) for e in entries if _line(e) <= line] or [(0, None)])[1]
            found, wanted = old[line - 1].strip(), new[line - 1].strip()
            what = f"`{found}`, expected `{wanted}`" if found != wanted else f"spacing of `{found}`"
            self.report(line, key, f"not in the file's standard format ({what}): run "
                        "`make format-refs`")


@functools.lru_cache(maxsize=256)
def _code_lines(text: str) -> frozenset[int]:
    """Lines inside code cells and plain code blocks of a MyST page (roles there are code). The
    blocks are all it needs: the parse of the text inside them (two thirds of the time) is left out."""
    from markdown_it import MarkdownIt
    lines: set[int] = set()
    for token in MarkdownIt("commonmark").disable("inline").parse(text):
        info = token.info.strip()
        if token.type in ("fence", "code_block") and token.map and (
                token.type == "code_block" or not info.startswith("{") or info.startswith(
                    ("{code-cell}", "{code}", "{code-block}", "{literalinclude}"))):
            lines.update(range(token.map[0] + 1, token.map[1] + 1))
    return frozenset(lines)


# -- command line -------------------------------------------------------------------------------

def format_file(root: Path = ROOT) -> int:
    bib = root / BIB_NAME
    text = bib.read_text(encoding="utf-8")
    problems = parse(text)[2]
    formatted = text if problems else format_text(text)
    if problems or _meaning(formatted) != _meaning(text):  # formatting changes no value
        print("".join(f"{problem}\n" for problem in problems), end="")
        print(f"{BIB_NAME}: not formatted: " + ("fix the problems above first" if problems else
              "the formatter would change what an entry says (please report this)"),
              file=sys.stderr)
        return 1
    if formatted != text:
        write_atomically(bib, formatted)
    print(f"{BIB_NAME}: " + ("formatted" if formatted != text
                             else "already in its standard format"), file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    if argv == ["format"]:
        return format_file()
    if argv != ["check"]:
        print(__doc__.split("\n\n")[1], file=sys.stderr)  # the usage lines
        return 2
    problems = Checker().run()
    print("".join(f"{problem}\n" for problem in problems), end="")
    print(f"{BIB_NAME}: {len(problems)} problem{'s' * (len(problems) != 1)} found" if problems
          else f"{BIB_NAME}: all checks passed", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
