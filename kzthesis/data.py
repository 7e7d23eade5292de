"""Load the data package in `data/`, validated against its Frictionless description.

Every problem is reported as ``data/FILE.csv, line L, column 'C': what is wrong`` so that an
author can fix the CSV without reading code. Every file used is recorded in `FILES_READ` (at
each `load`, cached or not), which the build uses to re-execute exactly the notebooks that read a
changed file and to re-read exactly the pages that show them; `recording()` collects the files
used by one piece of code (a figure, for its provenance line).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
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
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


@functools.cache
def descriptor() -> dict:
    """The data package's description (datapackage.json) as a dict."""
    try:
        return json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(f"{relative(DESCRIPTOR)}, line {error.lineno}: invalid JSON: {error.msg}") from None


def resource_descriptor(name: str) -> dict:
    for resource in descriptor()["resources"]:
        if resource["name"] == name:
            return resource
    known = ", ".join(r["name"] for r in descriptor()["resources"])
    raise DataError(f"{relative(DESCRIPTOR)}: no resource named '{name}' (known: {known})")


# The build validates the data package once and sets this environment variable to a folder
# under _build/: a package whose exact content was validated there is not validated again by
# every notebook's kernel (frictionless needs about a second per process to set up). Without it
# (JupyterLab, tests) every load validates.
VALIDATION_CACHE = "KZTHESIS_VALIDATION_CACHE"


def _package_fingerprint() -> str:
    import frictionless

    digest = hashlib.sha256(frictionless.__version__.encode())
    digest.update(DESCRIPTOR.read_bytes())
    for resource in descriptor()["resources"]:
        path = DATA_DIR / resource["path"]
        digest.update(path.read_bytes() if path.exists() else b"missing")
    return digest.hexdigest()


def _known_valid() -> Path | None:
    folder = os.environ.get(VALIDATION_CACHE)
    return Path(folder) / _package_fingerprint() if folder else None


def schema_problems(name: str) -> list[Problem]:
    """Validate one resource's CSV against its schema with frictionless."""
    spec = resource_descriptor(name)
    path = DATA_DIR / spec["path"]
    shown = relative(path)
    if not path.exists():
        return [Problem(shown, None, None, "file is missing")]
    marker = _known_valid()
    if marker is not None and marker.exists():
        return []
    import frictionless

    # Validated inside its package, so that foreign keys to other resources are checked too.
    resource = frictionless.Package(descriptor(), basepath=str(DATA_DIR)).get_resource(name)
    report = resource.validate()
    problems = []
    for task in report.tasks:
        for error in task.errors:
            line = getattr(error, "row_number", None)
            column = getattr(error, "field_name", None)
            problems.append(Problem(shown, line, column, error.message))
    for error in report.errors:
        problems.append(Problem(shown, None, None, error.message))
    return problems


def _read_typed(name: str) -> pd.DataFrame:
    spec = resource_descriptor(name)
    path = DATA_DIR / spec["path"]
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


_checks: dict[str, list] = {}


def check(name: str):
    """Register a domain check for a resource: f(frame) -> list[Problem]."""
    def register(function):
        _checks.setdefault(name, []).append(function)
        return function
    return register


# Domain rules that a schema cannot express (they relate rows or files to each other).

# Table 3 prints shares rounded to 0.5 or to two decimals; a period may add up to 100 +- 0.5.
SHARE_SUM_TOLERANCE = 0.5


@check("survey_options")
def _responses_at_most_respondents(frame: pd.DataFrame) -> list[Problem]:
    respondents = int(load("survey_sample")["respondents"].iloc[0])
    return [
        Problem(frame.attrs["path"], line_of(frame, i), "responses",
                f"{row.responses} responses exceed the {respondents} respondents")
        for i, row in frame.iterrows() if row.responses > respondents
    ]


@check("survey_recommendations")
def _mentions_at_most_respondents(frame: pd.DataFrame) -> list[Problem]:
    respondents = int(load("survey_sample")["respondents"].iloc[0])
    return [
        Problem(frame.attrs["path"], line_of(frame, i), "mentions",
                f"{row.mentions} mentions exceed the {respondents} respondents")
        for i, row in frame.iterrows() if row.mentions > respondents
    ]


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


@functools.cache
def _load(name: str) -> pd.DataFrame:
    problems = schema_problems(name)
    if problems:
        raise DataError(_report(problems))
    frame = _read_typed(name)
    problems = [p for function in _checks.get(name, []) for p in function(frame)]
    if problems:
        raise DataError(_report(problems))
    return frame


def load(name: str) -> pd.DataFrame:
    """The resource `name` of data/datapackage.json as a validated DataFrame (a copy)."""
    record_read(DESCRIPTOR)
    record_read(DATA_DIR / resource_descriptor(name)["path"])
    frame = _load(name)
    copy = frame.copy()
    copy.attrs = dict(frame.attrs)
    return copy


def _report(problems: list[Problem]) -> str:
    return "invalid data:\n" + "\n".join(f"  {p}" for p in problems)


def reset() -> None:
    """Forget loaded data (after DATA_DIR changed, e.g. in tests)."""
    descriptor.cache_clear()
    _load.cache_clear()


def validate_all() -> list[Problem]:
    """Every problem of every resource (schema and domain checks), for tests and tools."""
    problems: list[Problem] = []
    for resource in descriptor()["resources"]:
        name = resource["name"]
        found = schema_problems(name)
        if not found:
            frame = _read_typed(name)
            found = [p for function in _checks.get(name, []) for p in function(frame)]
        problems.extend(found)
    return problems


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
