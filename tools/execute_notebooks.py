"""Execute the book's notebooks before Sphinx reads them.

myst-nb in `cache` mode re-executes a notebook only when its code cells change (jupyter-cache
hashes code, not the files the code reads), so alone it would serve stale figures after an edit
of data/. This step runs first and keeps the same cache honest, by one rule: a cached notebook
is reused only if every file it used during its last execution (data files, datapackage.json,
modules of `kzthesis`, edition notes) still has the same content. Otherwise it is executed here,
several at once, and stored in the cache with the record of what it used
(`book_extensions.records`), which Sphinx then reads to re-read exactly the pages that changed.

What a notebook used is reported by `kzthesis.execution_record()`, called by a cell appended
for execution only (never cached or shown).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from book_extensions import ROOT, records
from tools import kernel_server

REPORT = ROOT / "_build" / "execution-report.json"  # a log for people and tests; never read back
TIMEOUT_SECONDS = 300
KERNEL_STARTS = 3  # a kernel that dies before answering is started again (see execute)
PROBE = "import json, kzthesis\nprint(json.dumps(kzthesis.execution_record()))"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Distinct failures shown before "and N more": a broken file must not print thousands of lines.
MAX_SHOWN = 20


class NotebookFailed(RuntimeError):
    """A cell raised, or the data are invalid; the message names the file, line and error."""


@dataclass
class Outcome:
    path: str
    reason: str
    seconds: float = 0.0
    reads: list[str] = field(default_factory=list)


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[Path]:
    """Every page of the table of contents, in order; a clear error for an entry that names no
    file or two (a `.ipynb` saved beside its `.md`)."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    found.append(str(node[key]))
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    pages = []
    for entry in found:
        base = ROOT / entry
        candidates = [base] if base.suffix else [base.with_name(base.name + s) for s in (".md", ".ipynb")]
        existing = [p for p in candidates if p.is_file()]
        shown = " and ".join(p.relative_to(ROOT).as_posix() for p in existing)
        if not existing:
            raise NotebookFailed(f"_toc.yml: the entry '{entry}' names no file "
                                 f"(looked for {entry}.md and {entry}.ipynb)")
        if len(existing) > 1:
            raise NotebookFailed(f"_toc.yml: the entry '{entry}' matches two files, {shown}: the "
                                 f".md is the page's source; remove the other (JupyterLab opens "
                                 f"the .md as a notebook)")
        pages.append(existing[0])
    return pages


def staleness(cached, record: records.NotebookRecord | None) -> str | None:
    """Why a notebook must be executed, or None when its cached outputs are still valid (its
    records.lookup())."""
    if cached is None:
        return "code changed or never executed"
    if record is None:
        return "executed without dependency tracking"
    changed = record.changed(ROOT)
    return "changed: " + ", ".join(changed) if changed else None


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
            first = next((text for text in cell.source.splitlines() if text.strip()), None)
            if within and first is not None:
                start = next((k for k in range(fence, len(file_lines)) if file_lines[k] == first), None)
                offset = cell.source.splitlines().index(first)
                if start is not None:
                    line = start + 1 - offset + int(within[0]) - 1
            return f"{rel}, line {line}: {output['ename']}: {ANSI.sub('', output['evalue'])}"
    last = ANSI.sub("", exc_string or "").strip().splitlines()[-1:] or ["no error message"]
    return f"{rel}: execution failed: {last[0]}"


def execute(path_text: str) -> tuple[dict, float, dict]:
    """Run one notebook (in a worker process); returns (executed nb, seconds, what it used)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    path = Path(path_text)
    rel = path.relative_to(ROOT).as_posix()
    # A kernel forked from the build's kernel server when one runs (see tools/kernel_server.py).
    manager = kernel_server.kernel_manager_class()
    for attempt in range(1, KERNEL_STARTS + 1):
        nb = records.read_notebook(path)
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
        # The kernel listens on the loopback interface only; its warning about unencrypted TCP
        # on every start would drown the build's own messages (KERNEL_ARGUMENTS).
        try:
            result = single_nb_execution(nb, cwd=str(path.parent), timeout=TIMEOUT_SECONDS,
                                         allow_errors=False, meta_override=True,
                                         extra_arguments=list(kernel_server.KERNEL_ARGUMENTS),
                                         kernel_manager_class=manager)
            break
        except kernel_server.KernelStartFailed as error:
            # Kernels started at once by separate workers can be given the same free port by
            # jupyter_client (each process knows only its own ports): the one that cannot bind
            # it exits before answering. No cell has run: a new kernel starts afresh.
            if attempt == KERNEL_STARTS:
                raise NotebookFailed(f"{rel}: execution failed: no kernel started in {attempt} "
                                     f"attempts: {error}") from None
        except Exception as error:  # noqa: BLE001 - the kernel died or could not start
            raise NotebookFailed(f"{rel}: execution failed: {type(error).__name__}: {error}") from None
    if result.err is not None:
        raise NotebookFailed(_failure_message(path, nb, result.exc_string))
    probe = nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout")
    used = json.loads(text.strip().splitlines()[-1])
    return nb, result.time, used


def _record(used: dict) -> records.NotebookRecord:
    names = set(used["files"])
    for module in used["modules"]:
        try:
            names.add(Path(module).resolve().relative_to(ROOT).as_posix())
        except ValueError:  # a module outside the repository (an installed copy): not tracked
            pass
    reads = sorted(names)
    return records.NotebookRecord(reads, {n: records.file_digest(ROOT / n) for n in reads},
                                  used["figures"])


def summarise(messages: list[str]) -> str:
    """Each distinct failure once (several notebooks reading one bad file fail alike), capped."""
    distinct = list(dict.fromkeys(line for message in messages for line in message.splitlines()))
    shown = distinct[:MAX_SHOWN]
    if len(distinct) > MAX_SHOWN:
        shown.append(f"… and {len(distinct) - MAX_SHOWN} more")
    return "\n".join(shown)


def use_validation_record() -> None:
    """Kernels, and the extensions that read data/ in this process (the quoted quantities), skip
    validating content that a build validated already (kzthesis.data.VALIDATION_CACHE)."""
    from kzthesis import data

    os.environ[data.VALIDATION_CACHE] = str(ROOT / "_build" / ".data-validated")


def validate_data() -> None:
    """Validate the data package once, in this process, before any kernel reads it: an invalid
    file is reported once (not by every notebook that reads it)."""
    from kzthesis import data

    try:
        problems = data.validate_all()
    except data.DataError as error:  # the description itself cannot be read
        raise NotebookFailed(str(error)) from None
    if problems:
        raise NotebookFailed(summarise([f"{p}" for p in problems]))
    data.remember_valid()


def _leave_signals_to_the_build() -> None:
    """In a worker: Ctrl-C and SIGTERM go to the whole process group; the build's own process
    handles them (stop_children), while the workers are still there to be found with their
    kernels. (A handler, not SIG_IGN, which the kernels would inherit.)"""
    import signal

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: None)


def stop_children() -> None:
    """End every process this build started (pool workers and the kernels they started in
    sessions of their own), so that no worker outlives an interrupted build."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        child.kill()


def use_this_checkout() -> None:
    """Kernels import the package of *this* checkout, even if another one is installed."""
    if str(ROOT) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def notebook_pages(paths: list[Path] | None = None) -> list[tuple[Path, str]]:
    """(path, text) of each page of `paths` (default: the table of contents) that is a notebook,
    read once."""
    return [(path, text) for path in (paths or toc_files()) if path.suffix == ".md"
            and records.is_notebook(text := path.read_text(encoding="utf-8"))]


def run(paths: list[Path] | None = None, jobs: int | None = None, verbose: bool = True) -> list[Outcome]:
    use_this_checkout()
    use_validation_record()
    pages = notebook_pages(paths)
    paths = [path for path, _ in pages]
    from jupyter_cache import get_cache

    cache_dir = records.cache_path(ROOT)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(cache_dir))
    found = records.lookup_all(cache, pages)
    todo = [(p, reason) for p, (cached, record) in zip(paths, found) if (reason := staleness(cached, record))]
    records.save_hashkeys()
    outcomes: list[Outcome] = []
    failures: list[str] = []
    started = time.perf_counter()
    if todo:
        cores = os.cpu_count() or 1
        # One worker more than cores: a notebook waits for its kernel to start and to end,
        # time in which another can compute (a cold build's 16 notebooks on 2 cores: 21.7 s
        # with 2 workers, 19.9 s with 3, before kernels answered sooner; `-j N` to compare).
        workers = jobs or min(len(todo), cores + 1)
        # Forked kernels pay off when notebooks outnumber the cores: with no more notebooks than
        # cores, stock kernels import in parallel, sooner than one server can. A server that
        # is already running serves every build: make preview's, or the one of the process that
        # started this build (the test session's, found through the environment).
        server = kernel_server.KernelServer.current
        own_server = None
        if server is None and kernel_server.server_socket() is None and len(todo) > cores:
            server = own_server = kernel_server.KernelServer.start()  # imports while data are validated
        try:
            validate_data()
            if server is not None:
                server.wait_ready()
        except BaseException:
            if own_server is not None:
                own_server.stop()
            raise
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_leave_signals_to_the_build)
        try:
            futures = {pool.submit(execute, str(p)): (p, reason) for p, reason in todo}
            for future, (path, reason) in futures.items():
                rel = path.relative_to(ROOT).as_posix()
                try:
                    nb, seconds, used = future.result()
                except NotebookFailed as error:
                    failures.append(str(error))
                    continue
                record = _record(used)
                cache.cache_notebook_bundle(
                    records_bundle(nb, path, record, seconds), check_validity=False, overwrite=True)
                outcomes.append(Outcome(rel, reason, seconds, record.reads))
                if verbose:
                    print(f"executed {rel} in {seconds:.1f} s ({reason})", flush=True)
        except BaseException:
            stop_children()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            if own_server is not None:
                own_server.stop()
        pool.shutdown()
    write_report(paths, outcomes, time.perf_counter() - started, failures)
    if failures:
        raise NotebookFailed(summarise(failures))
    if verbose:
        print(f"notebooks: {len(paths)}, executed: {len(outcomes)}, "
              f"reused from cache: {len(paths) - len(todo)}", flush=True)
    return outcomes


def write_report(paths: list[Path], outcomes: list[Outcome], seconds: float, failures: list[str] = ()) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({
        "notebooks": len(paths), "executed": [o.__dict__ for o in outcomes],
        "wall_seconds": seconds, "failures": list(failures)}, indent=1))


def records_bundle(nb, path: Path, record: records.NotebookRecord, seconds: float):
    from jupyter_cache.base import CacheBundleIn

    return CacheBundleIn(nb, str(path), data={"execution_seconds": seconds, **record.as_data()})


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
