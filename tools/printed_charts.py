"""The PDF's copies of the charts, drawn for print by the PDF build rather than by the notebooks.

A chart drawn by a function of `kzthesis.figures` has one output in its notebook, the SVG of the
web book, whose metadata names the call that drew it (`figures.DRAWN_BY`). Before Sphinx writes
LaTeX, `draw()` draws each such chart again by that call in the print medium
(`figures.printed_copy`), several at once, into `_build/printed-charts/`, and lists which copy
belongs to which SVG in `index.json`; `book_extensions/latex.py` (PrintedCharts) puts each copy
in its SVG's place. A copy is named by everything that decides its drawing — the SVG, the data
files the call read, the package's code, matplotlib's and fontTools' versions — so a copy that
a previous PDF build drew is reused, and nothing else is.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata

from book_extensions import ROOT, records

FOLDER = ROOT / records.PRINTED_CHARTS


def _code_digest() -> str:
    digest = hashlib.sha256()
    for module in sorted((ROOT / "kzthesis").glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    for package in ("matplotlib", "fonttools"):
        digest.update(f"{package} {metadata.version(package)}".encode())
    return digest.hexdigest()


def charts() -> dict[str, tuple[dict, str]]:
    """{SVG file stem: (its call, the name of its printed copy)} for every chart of the executed
    notebooks that a function of kzthesis.figures drew."""
    from jupyter_cache import get_cache

    from kzthesis.figures import DRAWN_BY
    from tools.results import executed_pages, rendered_bytes

    code = _code_digest()
    found: dict[str, tuple[dict, str]] = {}
    for _, notebook, record in executed_pages(get_cache(str(records.cache_path(ROOT)))):
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                call = output.get("metadata", {}).get("image/svg+xml", {}).get(DRAWN_BY)
                if call is None:
                    continue
                svg = hashlib.sha256(rendered_bytes("image/svg+xml", output["data"]["image/svg+xml"])).hexdigest()
                files = (record.figure_files(call["function"], tuple(call["args"])) if record else None) or []
                inputs = [svg, code, json.dumps(call, sort_keys=True),
                          *(f"{name} {record.digests.get(name)}" for name in files)]
                found[svg] = (call, hashlib.sha256("\n".join(inputs).encode()).hexdigest() + ".pdf")
    return found


class ChartFailed(RuntimeError):
    """A chart could not be drawn for print; the message names its call and the error."""


def _draw(call: dict) -> bytes:
    """In a worker process: the printed copy of one chart."""
    import matplotlib

    matplotlib.use("agg")
    from kzthesis import figures

    try:
        return figures.printed_copy(call["function"], call["args"])
    except Exception as error:  # noqa: BLE001 - reported with the chart's call, in the build
        from book_extensions.provenance import FigureCall

        shown = FigureCall(call["function"], tuple(call["args"]))
        raise ChartFailed(f"the printed copy of {shown} could not be drawn: "
                          f"{type(error).__name__}: {error}") from None


def draw(jobs: int | None = None) -> int:
    """Draw the printed copies that are missing, write the index, remove copies no chart uses;
    returns how many were drawn."""
    wanted = charts()
    FOLDER.mkdir(parents=True, exist_ok=True)
    missing = {name: call for call, name in wanted.values() if not (FOLDER / name).exists()}
    if missing:
        workers = min(len(missing), jobs or os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for name, pdf in zip(missing, pool.map(_draw, missing.values())):
                partial = FOLDER / f"{name}.partial"
                partial.write_bytes(pdf)
                os.replace(partial, FOLDER / name)  # a copy is whole or absent
    index = {svg: name for svg, (_, name) in wanted.items()}
    (FOLDER / records.PRINTED_CHARTS_INDEX).write_text(json.dumps(index, indent=1, sort_keys=True), encoding="utf-8")
    kept = set(index.values()) | {records.PRINTED_CHARTS_INDEX}
    for path in FOLDER.iterdir():
        if path.name not in kept:
            path.unlink()
    return len(missing)
