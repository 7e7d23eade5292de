"""Execute the book's notebooks before Sphinx reads them.

myst-nb in `cache` mode re-executes a notebook only when its code cells change (jupyter-cache
hashes code, not the files the code reads), so alone it would serve stale figures after an edit
of data/. This step runs first and keeps the same cache honest:

* it reads each notebook of the table of contents exactly as myst-nb does and looks it up in the
  jupyter-cache that myst-nb uses;
* a cached notebook is reused only if every file it read during its last execution (data files,
  datapackage.json, modules of the `kzthesis` package) still has the same content;
* otherwise (new code, changed data or package, never executed) it is executed here, several at
  once, and stored in the cache together with the list of files it read. Sphinx then finds every
  notebook cached and executes nothing.

The files a notebook read are reported by a probe cell appended to the notebook for execution
only (never cached or shown): `kzthesis.data.FILES_READ` and the package modules imported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "_build" / ".jupyter_cache"
REPORT = ROOT / "_build" / "execution-report.json"
TIMEOUT_SECONDS = 300
RECORD_KEY = "kzthesis"

PROBE = """\
import json as _json, sys as _sys
_data = _sys.modules.get("kzthesis.data")
print(_json.dumps({
    "files": sorted(getattr(_data, "FILES_READ", ())),
    "modules": sorted(m.__file__ for n, m in list(_sys.modules.items())
                      if n.split(".")[0] == "kzthesis" and getattr(m, "__file__", None)),
}))
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NotebookFailed(RuntimeError):
    """A cell raised; the message names the file, line and error."""


@dataclass
class Outcome:
    path: str
    reason: str
    seconds: float = 0.0
    reads: list[str] = field(default_factory=list)


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[Path]:
    """Every page of the table of contents, in order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    found.append(node[key])
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [ROOT / (f if Path(f).suffix else f + ".md") for f in found]


def is_notebook(path: Path) -> bool:
    """A MyST page is a notebook when its front matter names a kernel (as myst-nb decides)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    front = text.split("---", 2)[1]
    return "kernelspec" in (yaml.safe_load(front) or {})


def read_notebook(path: Path) -> nbformat.NotebookNode:
    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), MdParserConfig(),
                                       add_source_map=True, path=path)


def file_digest(paths: list[str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(paths):
        path = ROOT / name
        digest.update(name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.exists() else b"missing")
    return digest.hexdigest()


def staleness(cache, path: Path) -> str | None:
    """Why `path` must be executed, or None when its cached outputs are still valid."""
    try:
        record = cache.match_cache_notebook(read_notebook(path))
    except KeyError:
        return "code changed or never executed"
    tracked = (record.data or {}).get(RECORD_KEY)
    if not tracked:
        return "executed without dependency tracking"
    if file_digest(tracked["reads"]) != tracked["digest"]:
        changed = [name for name in tracked["reads"]
                   if file_digest([name]) != tracked["per_file"].get(name)]
        return "changed: " + ", ".join(changed)
    return None


def _failure_message(path: Path, nb, exc_string: str) -> str:
    """`book/x.md, line L: Error: message` with L the failing line of the file when the traceback
    gives it, else the first line of the failing code cell."""
    rel = path.relative_to(ROOT).as_posix()
    fences = nb.metadata.get("source_map", [])
    file_lines = path.read_text(encoding="utf-8").splitlines()
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            fence = fences[index] if index < len(fences) else 1  # 1-based line of the fence
            line = fence
            traceback = ANSI.sub("", "\n".join(output.get("traceback", [])))
            within = re.findall(r"Cell In\[\d+\], line (\d+)", traceback)
            first = next((l for l in cell.source.splitlines() if l.strip()), None)
            if within and first is not None:
                start = next((k for k in range(fence, len(file_lines)) if file_lines[k] == first), None)
                offset = cell.source.splitlines().index(first)
                if start is not None:
                    line = start + 1 - offset + int(within[0]) - 1
            return f"{rel}, line {line}: {output['ename']}: {ANSI.sub('', output['evalue'])}"
    return f"{rel}: execution failed: {ANSI.sub('', exc_string).strip().splitlines()[-1:]}"


def execute(path_text: str) -> tuple[dict, float, dict]:
    """Run one notebook (in a worker process); returns (executed nb, seconds, reads)."""
    path = Path(path_text)
    nb = read_notebook(path)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    # The kernel logs "Kernel is running over TCP without encryption" (ipykernel 7) to the
    # build's output at every start, where the tests rightly treat any WARNING as a defect: its
    # log shows errors only. Errors of the notebook's own cells come back as error outputs.
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=TIMEOUT_SECONDS,
                                 allow_errors=False, meta_override=True,
                                 extra_arguments=["--IPKernelApp.log_level=ERROR"])
    if result.err is not None:
        raise NotebookFailed(_failure_message(path, nb, result.exc_string))
    probe = nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout")
    reads = json.loads(text.strip().splitlines()[-1])
    return nb, result.time, reads


def _repo_paths(reads: dict) -> list[str]:
    names = set(reads["files"])
    for module in reads["modules"]:
        try:
            names.add(Path(module).resolve().relative_to(ROOT).as_posix())
        except ValueError:
            pass
    return sorted(names)


def run(paths: list[Path] | None = None, jobs: int | None = None, verbose: bool = True) -> list[Outcome]:
    # Kernels import the package of *this* checkout, even if another one is installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    paths = [p for p in (paths or toc_files()) if p.suffix == ".md" and is_notebook(p)]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(CACHE_DIR))
    todo = [(p, reason) for p in paths if (reason := staleness(cache, p))]
    outcomes: list[Outcome] = []
    failures: list[str] = []
    jobs = jobs or min(len(todo), os.cpu_count() or 1) or 1
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(execute, str(p)): (p, reason) for p, reason in todo}
        for future, (path, reason) in futures.items():
            rel = path.relative_to(ROOT).as_posix()
            try:
                nb, seconds, reads = future.result()
            except NotebookFailed as error:
                failures.append(str(error))
                continue
            tracked_files = _repo_paths(reads)
            data = {"execution_seconds": seconds,
                    RECORD_KEY: {"reads": tracked_files, "digest": file_digest(tracked_files),
                                 "per_file": {n: file_digest([n]) for n in tracked_files}}}
            cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data=data),
                                        check_validity=False, overwrite=True)
            outcomes.append(Outcome(rel, reason, seconds, tracked_files))
            if verbose:
                print(f"executed {rel} in {seconds:.1f} s ({reason})", flush=True)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({
        "notebooks": len(paths), "executed": [o.__dict__ for o in outcomes],
        "wall_seconds": time.perf_counter() - started, "failures": failures}, indent=1))
    if failures:
        raise NotebookFailed("\n".join(failures))
    if verbose:
        print(f"notebooks: {len(paths)}, executed: {len(outcomes)}, "
              f"reused from cache: {len(paths) - len(todo)}", flush=True)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all in _toc.yml)")
    parser.add_argument("-j", "--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        run([p.resolve() for p in args.paths] or None, args.jobs)
    except NotebookFailed as error:
        print(f"error: a notebook failed:\n{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
