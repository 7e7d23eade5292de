"""Load the data package in `data/`, validated against its Frictionless description.

Every problem is reported as ``data/FILE.csv, line L, column 'C': what is wrong`` so that an
author can fix the CSV without reading code. Every file used is recorded in `FILES_READ` (at
each `load`, cached or not), which the build uses to re-execute exactly the notebooks that read a
changed file and to re-read exactly the pages that show them; `recording()` collects the files
used by one piece of code (a figure, for its provenance line).

A resource is validated in three steps, each only when the one before found nothing:

1. the file itself (`file_problems`), read once as a stream: present, UTF-8 (a file saved in a
   Windows code page is named, with the line of its first foreign byte), comma-separated (a
   spreadsheet's ';' export is named), and not longer than its declared `maxRows`;
2. its schema (`schema_problems`, frictionless): types, constraints, keys; a foreign key to a file
   that failed step 1 is left out, so that the fault is blamed on that file alone;
3. the rules a schema cannot express (`domain_problems`): rows that relate to each other or to
   other files (counts not above the respondents, parts not larger than wholes, every
   combination of a table's declared values present).
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import DATA_DIR, ROOT

DESCRIPTOR = DATA_DIR / "datapackage.json"

# Repository-relative paths of every file this process has read through this module.
FILES_READ: set[str] = set()
# The sets of the `recording()` blocks now running.
_recorders: list[set[str]] = []

_PANDAS_TYPES = {"integer": "Int64", "number": "float64", "string": "string", "boolean": "boolean"}

# Frictionless stops validating a resource after this many problems (a file broken on every row
# of a long file would otherwise cost minutes and gigabytes to list what nobody reads).
LIMIT_ERRORS = 1000


class DataError(ValueError):
    """Invalid input data; the message names the file, line and column."""


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


def record_read(path: Path) -> None:
    """Note that this process used `path` (the build's cache invalidation follows these)."""
    name = relative(path)
    FILES_READ.add(name)
    for reads in _recorders:
        reads.add(name)


@contextlib.contextmanager
def recording():
    """The repository-relative paths of the files used inside the block:
    ``with recording() as reads: draw()``."""
    reads: set[str] = set()
    _recorders.append(reads)
    try:
        yield reads
    finally:
        _recorders.remove(reads)


def relative(path: Path) -> str:
    """The path as the author knows it: ``data/NAME`` for a file of the data package (wherever
    the package is, e.g. a test's copy), else relative to the repository."""
    path = Path(path).resolve()
    with contextlib.suppress(ValueError):
        return "data/" + path.relative_to(Path(DATA_DIR).resolve()).as_posix()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


_descriptor: dict | None = None


def descriptor() -> dict:
    """The data package's description (datapackage.json) as a dict."""
    global _descriptor
    if _descriptor is None:
        try:
            _descriptor = json.loads(Path(DESCRIPTOR).read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise DataError(f"{relative(DESCRIPTOR)}, line {error.lineno}: invalid JSON: {error.msg}") from None
    return _descriptor


def resource_descriptor(name: str) -> dict:
    for resource in descriptor()["resources"]:
        if resource["name"] == name:
            return resource
    known = ", ".join(r["name"] for r in descriptor()["resources"])
    raise DataError(f"{relative(DESCRIPTOR)}: no resource named '{name}' (known: {known})")


def _path(name: str) -> Path:
    return Path(DATA_DIR) / resource_descriptor(name)["path"]


def _field(name: str, field: str) -> dict:
    return next(f for f in resource_descriptor(name)["schema"]["fields"] if f["name"] == field)


# The build validates the data package once and sets this environment variable to a folder
# under _build/: a package whose exact content was validated there is not validated again by
# every notebook's kernel (frictionless needs about a second per process to set up). Without it
# (JupyterLab, tests) every load validates.
VALIDATION_CACHE = "KZTHESIS_VALIDATION_CACHE"

_fingerprint: str | None = None


def _package_fingerprint() -> str:
    """Digest of what decides validity: the description, every data file, the frictionless
    version and this package's code (its checks)."""
    global _fingerprint
    if _fingerprint is None:
        from importlib.metadata import version  # importing frictionless itself takes a second

        digest = hashlib.sha256(version("frictionless").encode())
        for module in sorted(Path(__file__).parent.glob("*.py")):
            digest.update(module.read_bytes())
        digest.update(Path(DESCRIPTOR).read_bytes())
        for resource in descriptor()["resources"]:
            path = Path(DATA_DIR) / resource["path"]
            if path.exists():
                with path.open("rb") as stream:
                    for block in iter(lambda: stream.read(1 << 20), b""):
                        digest.update(block)
            else:
                digest.update(b"missing")
        _fingerprint = digest.hexdigest()
    return _fingerprint


def _known_valid() -> Path | None:
    folder = os.environ.get(VALIDATION_CACHE)
    return Path(folder) / _package_fingerprint() if folder else None


def _validated_by_build() -> bool:
    marker = _known_valid()
    return marker is not None and marker.exists()


# Step 1: the file itself.

# Separators that spreadsheets write instead of ',' (';' in Russian and most European locales).
_OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


class _Unreadable(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _guess_encoding(raw: bytes) -> str | None:
    """The Windows code page that a line which is not UTF-8 was most likely saved in."""
    def foreign(codec: str) -> str | None:
        try:
            return "".join(c for c in raw.decode(codec) if ord(c) > 127)
        except UnicodeDecodeError:
            return None

    cyrillic = foreign("cp1251")
    if cyrillic:
        # Read as Windows-1251, Russian words are Cyrillic throughout; a Latin word with an
        # accent (café, saved in Windows-1252) would mix the two alphabets ("cafй").
        words = [w for w in re.findall(r"[^\W\d_]+", raw.decode("cp1251"))
                 if any("\u0400" <= c <= "\u04ff" for c in w)]
        pure = sum(all(not c.isascii() for c in w) for w in words)
        if pure > len(words) - pure:
            return "Windows-1251"
    latin = foreign("cp1252")
    if latin and any(c.isalpha() for c in latin):
        return "Windows-1252"
    if cyrillic or latin:  # typographic quotes and dashes only: the same bytes in both
        return "a Windows code page (1251 or 1252)"
    return None


def _decoded_lines(stream, encoding: str):
    """The lines of a binary stream, decoded; `_Unreadable` at the first that is not."""
    for number, raw in enumerate(stream, 1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 and encoding == "utf-8" else encoding)
        except UnicodeDecodeError:
            guess = _guess_encoding(raw)
            looks = f" (looks like {guess})" if guess else ""
            raise _Unreadable(number, f"is not {encoding.upper()}{looks}: save it as "
                                      f"{encoding.upper()}") from None


def file_problems(name: str) -> list[Problem]:
    """What makes the file of resource `name` unreadable as the CSV it is declared to be: missing,
    not in its encoding, another separator, more rows than its `maxRows`. Reads the file once,
    line by line (memory does not grow with its length)."""
    spec = resource_descriptor(name)
    path = _path(name)
    shown = relative(path)
    if not path.exists():
        return [Problem(shown, None, None, "file is missing")]
    encoding = str(spec.get("encoding", "utf-8")).lower().replace("utf8", "utf-8")
    expected = [f["name"] for f in spec["schema"]["fields"]]
    with path.open("rb") as stream:
        start = stream.read(4)
        stream.seek(0)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in start:
            return [Problem(shown, 1, None, f"is UTF-16 (a spreadsheet's 'Unicode text'), not "
                                            f"{encoding.upper()}: save it as CSV {encoding.upper()}")]
        lines = _decoded_lines(stream, encoding)
        reader = csv.reader(lines)
        try:
            first = next(lines, "")
            header = next(csv.reader([first]), [])
            if header != expected:
                for separator, said in _OTHER_SEPARATORS.items():
                    if len(header) <= 1 and len(next(csv.reader([first], delimiter=separator), [])) > 1:
                        return [Problem(shown, 1, None, f"uses {said} as separator: the data package "
                                                        f"expects ',' (export it again as CSV with ',' "
                                                        f"between fields and '.' in numbers)")]
            rows = sum(1 for row in reader if row)
        except _Unreadable as error:
            return [Problem(shown, error.line, None, error.message)]
        except csv.Error as error:
            return [Problem(shown, reader.line_num + 1, None, f"cannot be read as CSV: {error}")]
    limit = spec.get("maxRows")
    if limit is not None and rows > limit:
        return [Problem(shown, limit + 2, None,
                        f"the file has {rows:,} rows, more than the {limit:,} that "
                        f"{relative(DESCRIPTOR)} allows for it ('maxRows')")]
    return []


# Step 2: the schema, with frictionless.

_AT_POSITION = re.compile(r' (in|of) row( at position)? "\d+"( and field "[^"]*" at position "\d+")?')


_FOREIGN = re.compile(r'for "([^"]+)": values "([^"]*)" not found in the lookup table "([^"]+)" '
                      r'as "([^"]+)"')


def _frictionless_problem(name: str, error) -> Problem:
    """A frictionless error as a Problem, in the words of the file's author."""
    shown = relative(_path(name))
    line = getattr(error, "row_number", None)
    column = getattr(error, "field_name", None) or None
    if line is None and getattr(error, "label", None) is not None:
        line = 1  # a header problem
    note = getattr(error, "note", "") or ""
    first = re.search(r"position (\d+)", note)
    if error.type == "primary-key" and first:
        key = resource_descriptor(name)["schema"]["primaryKey"]
        names = [f"'{f}'" for f in ([key] if isinstance(key, str) else key)]
        fields = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return Problem(shown, line, None, f"repeats the {fields} of line {first.group(1)} "
                                          f"(the primary key: no two rows may share it)")
    lookup = _FOREIGN.fullmatch(note)
    if error.type == "foreign-key" and lookup:
        fields, values, table, columns = lookup.groups()
        known = {r["name"] for r in descriptor()["resources"]}
        target = relative(_path(table)) if table in known else table
        return Problem(shown, line, fields, f"{values} is not in {target} (column '{columns}')")
    # The line and column are said in front: drop frictionless's positions from its sentence.
    return Problem(shown, line, column, _AT_POSITION.sub("", error.message))


def schema_problems(name: str, unreadable: set[str] | frozenset = frozenset()) -> list[Problem]:
    """Validate one resource's CSV against its schema with frictionless (inside its package, so
    that foreign keys are checked too, except those to the `unreadable` resources)."""
    import frictionless

    shown = relative(_path(name))
    package = copy.deepcopy(descriptor())
    for resource in package["resources"]:
        if resource["name"] == name:
            keys = resource["schema"].get("foreignKeys", [])
            kept = [k for k in keys if k["reference"].get("resource", name) not in unreadable]
            resource["schema"]["foreignKeys"] = kept
            if not kept:
                del resource["schema"]["foreignKeys"]
    resource = frictionless.Package(package, basepath=str(DATA_DIR)).get_resource(name)
    report = resource.validate(limit_errors=LIMIT_ERRORS)
    problems = [_frictionless_problem(name, error) for task in report.tasks for error in task.errors]
    problems += [Problem(shown, None, None, error.message) for error in report.errors]
    if len(problems) >= LIMIT_ERRORS:  # said first: a list of problems is cut when shown
        problems.insert(0, Problem(shown, None, None, f"{LIMIT_ERRORS} problems or more: validation "
                                                      f"stopped there (the first are listed)"))
    return problems


def _read_typed(name: str) -> pd.DataFrame:
    spec = resource_descriptor(name)
    path = _path(name)
    fields = spec["schema"]["fields"]
    dtypes = {f["name"]: _PANDAS_TYPES[f["type"]] for f in fields if f["type"] in _PANDAS_TYPES}
    dates = [f["name"] for f in fields if f["type"] == "date"]
    frame = pd.read_csv(path, dtype=dtypes, parse_dates=dates, keep_default_na=False,
                        na_values=[""], encoding="utf-8")
    # pandas counts rows from 0 after the header: the CSV line is index + 2.
    frame.attrs["path"] = relative(path)
    return frame


def line_of(frame: pd.DataFrame, index: int) -> int:
    """The CSV line number of a row of a frame returned by `load`."""
    return int(index) + 2


# Step 3: rules a schema cannot express.

_checks: dict[str, list] = {}


def check(name: str):
    """Register a domain check for a resource: f(frame) -> list[Problem]. A check may `load`
    other resources; when one of them is invalid, the check is skipped (that resource's own
    problems are reported)."""
    def register(function):
        _checks.setdefault(name, []).append(function)
        return function
    return register


def _span(values: list) -> str:
    """Enum values as an author reads them: ``1–4``, or ``Kazakhs, Russians``."""
    if all(isinstance(v, int) for v in values) and values == list(range(values[0], values[0] + len(values))):
        return f"{values[0]}–{values[-1]}"
    return ", ".join(str(v) for v in values)


def _completeness_problems(name: str, frame: pd.DataFrame) -> list[Problem]:
    """A resource that declares ``"complete": [fields]`` has a row for every combination of the
    `enum` values of those fields (the values are declared once, in the schema): a deleted row
    is named, at the line where it belongs."""
    fields = resource_descriptor(name).get("complete")
    if not fields:
        return []
    import itertools

    enums = [_field(name, f)["constraints"]["enum"] for f in fields]
    present: dict[tuple, int] = {}
    for index, key in enumerate(frame[fields].itertuples(index=False, name=None)):
        present.setdefault(tuple(str(v) for v in key), line_of(frame, index))
    problems = []
    previous_line = 1
    every = " and ".join(f"{f} {_span(values)}" for f, values in zip(fields, enums))
    for combination in itertools.product(*enums):
        key = tuple(str(v) for v in combination)
        if key in present:
            previous_line = present[key]
            continue
        what = ", ".join(f"{f} {v}" for f, v in zip(fields, combination))
        problems.append(Problem(frame.attrs["path"], previous_line + 1, fields[-1],
                                f"the row of {what} is missing: the file has one for every "
                                f"{every}"))
    return problems


def _respondents() -> int:
    return int(load("survey_sample")["respondents"].iloc[0])


# Table 3 prints shares rounded to 0.5 or to two decimals; a period may add up to 100 +- 0.5.
SHARE_SUM_TOLERANCE = 0.5


@check("survey_sample")
def _one_survey(frame: pd.DataFrame) -> list[Problem]:
    problems = [Problem(frame.attrs["path"], line_of(frame, i), None,
                        "a second row: the file describes the one survey of the thesis")
                for i in frame.index[1:]]
    for i, row in frame.iterrows():
        if row.no_answer_q10 > row.respondents:
            problems.append(Problem(
                frame.attrs["path"], line_of(frame, i), "no_answer_q10",
                f"{row.no_answer_q10} respondents without an answer to question 10 exceed the "
                f"{row.respondents} respondents (column 'respondents'): "
                f"{row.respondents - row.no_answer_q10} would have answered"))
    return problems


@check("survey_questions")
def _questions_run_from_1(frame: pd.DataFrame) -> list[Problem]:
    sample = load("survey_sample")
    total = int(sample["questions"].iloc[0])
    where = f"{sample.attrs['path']}, column 'questions'"
    problems = []
    present = {int(q): line_of(frame, i) for i, q in frame["question"].items()}
    previous_line = 1
    for question in range(1, total + 1):
        if question in present:
            previous_line = present[question]
        else:
            problems.append(Problem(frame.attrs["path"], previous_line + 1, "question",
                                    f"question {question} is missing: the survey has {total} "
                                    f"questions ({where})"))
    for question, line in present.items():
        if question > total:
            problems.append(Problem(frame.attrs["path"], line, "question",
                                    f"question {question}: the survey has only {total} questions "
                                    f"({where})"))
    return problems


@check("survey_options")
def _options_of_choice_questions(frame: pd.DataFrame) -> list[Problem]:
    questions = load("survey_questions")
    kinds = dict(zip(questions["question"].astype(int), questions["kind"]))
    problems = [Problem(frame.attrs["path"], line_of(frame, i), "question",
                        f"question {int(row.question)} is an '{kinds[int(row.question)]}' question "
                        f"({questions.attrs['path']}): it has no options")
                for i, row in frame.iterrows() if kinds.get(int(row.question), "choice") != "choice"]
    # Questions of the `complete` grid lacking options are named by `_completeness_problems`.
    grid = set(_field("survey_options", "question")["constraints"]["enum"])
    with_options = set(frame["question"].astype(int)) | grid
    for i, row in questions.iterrows():
        if row.kind == "choice" and int(row.question) not in with_options:
            problems.append(Problem(questions.attrs["path"], line_of(questions, i), "kind",
                                    f"question {int(row.question)} is a 'choice' question but "
                                    f"{frame.attrs['path']} has no options for it"))
    return problems


@check("survey_options")
def _responses_at_most_respondents(frame: pd.DataFrame) -> list[Problem]:
    respondents = _respondents()
    problems = [
        Problem(frame.attrs["path"], line_of(frame, i), "responses",
                f"{row.responses} responses exceed the {respondents} respondents")
        for i, row in frame.iterrows() if row.responses > respondents
    ]
    sample = load("survey_sample")
    if not bool(sample["multiple_answers"].iloc[0]):
        for question, group in frame.groupby("question"):
            total = int(group["responses"].sum())
            if total > respondents:
                problems.append(Problem(
                    frame.attrs["path"], line_of(frame, group.index[-1]), "responses",
                    f"the options of question {question} have {total} responses in all, more than "
                    f"the {respondents} respondents, although {sample.attrs['path']} says each "
                    f"chose one answer (column 'multiple_answers')"))
    return problems


@check("survey_recommendations")
def _mentions_at_most_answers(frame: pd.DataFrame) -> list[Problem]:
    sample = load("survey_sample")
    respondents = int(sample["respondents"].iloc[0])
    answered = respondents - int(sample["no_answer_q10"].iloc[0])
    return [
        Problem(frame.attrs["path"], line_of(frame, i), "mentions",
                f"{row.mentions} mentions exceed the {answered} respondents who answered question 10 "
                f"({respondents} respondents, {respondents - answered} without an answer: "
                f"{sample.attrs['path']})")
        for i, row in frame.iterrows() if row.mentions > answered
    ]


@check("survey_recommendations")
def _ranks_run_from_1(frame: pd.DataFrame) -> list[Problem]:
    problems = []
    for expected, (i, rank) in enumerate(frame["rank"].items(), 1):
        if int(rank) != expected:
            problems.append(Problem(frame.attrs["path"], line_of(frame, i), "rank",
                                    f"rank {rank} on row {expected}: ranks are the rows' positions "
                                    f"in the appendix, 1, 2, 3, … without a gap"))
            break
    return problems


@check("peaceful_assemblies")
def _periods_start_before_they_end(frame: pd.DataFrame) -> list[Problem]:
    return [Problem(frame.attrs["path"], line_of(frame, i), "end_year",
                    f"period {row.period} ends in {row.end_year}, before it starts ({row.start_year})")
            for i, row in frame.iterrows() if row.end_year < row.start_year]


@check("assembly_nature")
def _shares_add_up_to_100(frame: pd.DataFrame) -> list[Problem]:
    kinds = ["political", "economic", "social"]
    problems = []
    for i, row in frame.iterrows():
        total = sum(float(row[k]) for k in kinds if pd.notna(row[k]))
        if abs(total - 100) > SHARE_SUM_TOLERANCE:
            problems.append(Problem(frame.attrs["path"], line_of(frame, i), ",".join(kinds),
                                    f"shares of period {row.period} add up to {total:g}, not 100"))
    return problems


@check("ethnic_composition")
def _composition_at_most_100(frame: pd.DataFrame) -> list[Problem]:
    problems = []
    for year, group in frame.groupby("year"):
        total = group["share"].sum()
        if total > 100 + SHARE_SUM_TOLERANCE:
            problems.append(Problem(frame.attrs["path"], line_of(frame, group.index[0]), "share",
                                    f"shares of {year} add up to {total:g}, more than 100"))
    return problems


@check("printed_numbers")
def _quantities_exist(frame: pd.DataFrame) -> list[Problem]:
    """Every quantity names a value of the data (evaluated once per distinct quantity)."""
    from . import audit

    for resource in audit.RESOURCES:  # an invalid one skips this check (see `check`)
        load(resource)
    problems = []
    for quantity, index in frame.groupby("quantity", sort=False).groups.items():
        try:
            audit.evaluate(quantity)
        except (DataError, TypeError, ValueError, KeyError) as error:
            problems.append(Problem(frame.attrs["path"], line_of(frame, index[0]), "quantity",
                                    str(error)))
    return problems


@check("printed_numbers")
def _pages_of_the_book(frame: pd.DataFrame) -> list[Problem]:
    """Every `page` is a page of the book (the errata page links to it)."""
    from .report import is_page

    return [Problem(frame.attrs["path"], line_of(frame, index[0]), "page",
                    f"{str(page)!r} is not a page of the book (a file name in book/ without .md, "
                    f"e.g. 'chapter1')")
            for page, index in frame.groupby("page", sort=False).groups.items() if not is_page(page)]


@check("quoted_quantities")
def _quoted_values_hold(frame: pd.DataFrame) -> list[Problem]:
    """A share lies within 0-100; a part is not larger than its whole (and has its unit); rows
    that print one quantity give it one value; a source only with the note that cites it."""
    from .quoted import bounds

    path = frame.attrs["path"]
    values = {str(r.id): bounds(str(r.printed)) for r in frame.itertuples()}
    units = dict(zip(frame["id"].astype(str), frame["unit"].astype(str)))
    problems = []
    for i, row in frame.iterrows():
        low, high = values[str(row.id)]
        if row.unit == "percent" and not (0 <= low <= high <= 100):
            problems.append(Problem(path, line_of(frame, i), "printed",
                                    f"a share of {row.printed} percent: shares lie within 0-100"))
        if pd.notna(row.whole) and str(row.whole) in values:
            whole = str(row.whole)
            part = high * (int(row.parts) if pd.notna(row.parts) else 1)
            if units[whole] != row.unit:
                problems.append(Problem(path, line_of(frame, i), "unit",
                                        f"'{row.unit}', but its whole '{whole}' counts '{units[whole]}'"))
            elif part > values[whole][1]:
                problems.append(Problem(path, line_of(frame, i), "printed",
                                        f"the part ({part:g}) is larger than its whole '{whole}' "
                                        f"({values[whole][1]:g})"))
        if pd.notna(row.source) and pd.isna(row.note):
            problems.append(Problem(path, line_of(frame, i), "source",
                                    "a source without the thesis's note that cites it (column "
                                    "'note'): a quantity the thesis gives no note for has no source"))
    for quantity, group in frame.dropna(subset=["quantity"]).groupby("quantity", sort=False):
        first = group.index[0]
        for i in group.index[1:]:
            if values[str(frame.at[i, "id"])] != values[str(frame.at[first, "id"])]:
                problems.append(Problem(
                    path, line_of(frame, i), "printed",
                    f"quantity '{quantity}' is {frame.at[i, 'printed']} here but "
                    f"{frame.at[first, 'printed']} on line {line_of(frame, first)}: one quantity has one value"))
    return problems


@check("quoted_quantities")
def _data_quantities_exist(frame: pd.DataFrame) -> list[Problem]:
    """Every `data_quantity` names a value of the thesis's data."""
    from . import audit

    problems = []
    for i, quantity in frame["data_quantity"].dropna().items():
        try:
            audit.evaluate(str(quantity))
        except (DataError, TypeError, ValueError, KeyError) as error:
            problems.append(Problem(frame.attrs["path"], line_of(frame, i), "data_quantity", str(error)))
    return problems


@check("event_dates")
def _dates_read_as_printed(frame: pd.DataFrame) -> list[Problem]:
    """A date reads as printed ('January 5' is the 5th of January of its year); a prose date is
    tied to a day of the chronology, and the chronology's days to none."""
    path = frame.attrs["path"]
    days = set(frame.loc[frame["page"] == "chronology", "id"].astype(str))
    problems = []
    for i, row in frame.iterrows():
        month, day, *year = str(row.printed).replace(",", "").split()
        date = row.date
        if (month, int(day), int(year[0]) if year else date.year) != (date.strftime("%B"), date.day, date.year):
            problems.append(Problem(path, line_of(frame, i), "printed",
                                    f"'{row.printed}' is not the date {date:%Y-%m-%d} (column 'date')"))
        tied = str(row.chronology) if pd.notna(row.chronology) else ""
        if row.page == "chronology" and tied:
            problems.append(Problem(path, line_of(frame, i), "chronology",
                                    "a day of the chronology is tied to no other day"))
        elif row.page != "chronology" and tied not in days:
            problems.append(Problem(path, line_of(frame, i), "chronology",
                                    f"'{tied}' is not a day of the chronology (a row of page 'chronology'): "
                                    f"a date of the prose is recorded with the day that records its event"))
    return problems


# Validation results of this process, per resource (cleared by `reset`).
_frames: dict[str, pd.DataFrame] = {}          # typed frames of files whose steps 1-2 passed
_structural: dict[str, list[Problem]] = {}     # problems of steps 1-2
_domain: dict[str, list[Problem]] = {}         # problems of step 3
_checking: set[str] = set()                    # resources whose domain checks are running


_files: dict[str, list[Problem]] = {}


def _file_problems(name: str) -> list[Problem]:
    if name not in _files:
        _files[name] = file_problems(name)
    return _files[name]


def structural_problems(name: str) -> list[Problem]:
    """Problems of the file and of its schema (steps 1 and 2)."""
    if name not in _structural:
        found = _file_problems(name)
        if not found:
            references = {k["reference"].get("resource") for k in
                          resource_descriptor(name)["schema"].get("foreignKeys", [])}
            unreadable = {r for r in references if r and r != name and _file_problems(r)}
            found = schema_problems(name, unreadable)
        _structural[name] = found
    return _structural[name]


def domain_problems(name: str) -> list[Problem]:
    """Problems of the rules of step 3 (the file must have passed steps 1 and 2). A check whose
    other resources are invalid is skipped."""
    if name not in _domain:
        if name in _checking:  # a check of another resource reads this one: no cycle
            return []
        frame = _typed(name)
        _checking.add(name)
        try:
            found = _completeness_problems(name, frame)
            for function in _checks.get(name, []):
                try:
                    found += function(frame)
                except DataError:  # another resource is invalid: its own problems say why
                    pass
        finally:
            _checking.discard(name)
        _domain[name] = found
    return _domain[name]


def _typed(name: str) -> pd.DataFrame:
    if name not in _frames:
        _frames[name] = _read_typed(name)
    return _frames[name]


def _load(name: str) -> pd.DataFrame:
    if _validated_by_build():
        return _typed(name)
    problems = structural_problems(name)
    if not problems:
        problems = domain_problems(name)
    if problems:
        raise DataError(_report(problems))
    return _typed(name)


def load(name: str) -> pd.DataFrame:
    """The resource `name` of data/datapackage.json as a validated DataFrame (a copy)."""
    record_read(DESCRIPTOR)
    record_read(_path(name))
    frame = _load(name)
    copy_ = frame.copy()
    copy_.attrs = dict(frame.attrs)
    return copy_


def as_written(name: str, column: str) -> list[str]:
    """The cells of a column of the validated resource `name` as the file writes them, e.g. a
    share "23.70" with the zero that the thesis printed and a float would lose."""
    load(name)  # validates the resource and records the read
    written = pd.read_csv(_path(name), dtype=str, keep_default_na=False, encoding="utf-8")
    return list(written[column])


def _report(problems: list[Problem]) -> str:
    return "invalid data:\n" + "\n".join(f"  {p}" for p in problems)


def reset() -> None:
    """Forget loaded data (after DATA_DIR changed, e.g. in tests)."""
    global _descriptor, _fingerprint
    _descriptor = None
    _fingerprint = None
    for cache in (_frames, _structural, _domain, _files):
        cache.clear()


def validate_all() -> list[Problem]:
    """Every problem of every resource (file, schema and domain checks), each once. Skipped
    (no problem) when the build validated this exact content already (VALIDATION_CACHE)."""
    if _validated_by_build():
        return []
    problems: list[Problem] = []
    for resource in descriptor()["resources"]:
        name = resource["name"]
        problems += structural_problems(name) or domain_problems(name)
    return list(dict.fromkeys(problems))


def remember_valid() -> None:
    """Record that the data package, as it is now, passed `validate_all` (see VALIDATION_CACHE)."""
    marker = _known_valid()
    if marker is not None:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()


if __name__ == "__main__":  # `python -m kzthesis.data`: validate the whole package (make check)
    import sys

    found = validate_all()
    print(_report(found) if found else f"{relative(DESCRIPTOR)}: every resource is valid",
          file=sys.stderr if found else sys.stdout)
    sys.exit(1 if found else 0)
