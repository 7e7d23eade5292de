"""The results manifest of a build, and the two checks made with it.

    python -m tools.results manifest [ROOT]        # write ROOT/_build/results-manifest.json
    python -m tools.results verify [--manifest F] [--fresh-venv]
    python -m tools.results diff A B               # which results changed between two revisions

The manifest (`manifest`) says what a build was made from and what it found: the commit and
whether the tree was clean; the SHA-256 of every input (the copy-text, the data files,
references.bib, the pages, the package's modules, the lock file); the Python and the package
versions used; and every result, read from the executed notebooks of the jupyter-cache (not from
the HTML): each glued value (key, value, page), each figure (its call, a digest of the data files
that call read, the digest of the SVG drawn, and of the PDF for a figure that no function of
kzthesis.figures drew: the PDF build draws the others' printed copies, tools/printed_charts.py)
and each generated table or other output.
`tools/build.py` writes it with every build and publishes it with the HTML.

`verify` executes every notebook again from scratch in a copy of the project with an empty
cache (in this environment, or with `--fresh-venv` in a new one made from requirements.lock)
and compares every result with a manifest: by default the last build's, or one given as a file
(the manifest downloaded from a published edition). `diff` makes the manifests of two
revisions, each in a git worktree of its own whose cache starts as a copy of this checkout's (the
build's staleness rule executes what the revision changes), and prints the results that differ.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from book_extensions import ROOT, provenance, records
from book_extensions.provenance import figure_call
from book_extensions.reproduction import MANIFEST_NAME, SOURCE_ARCHIVE_NAME  # noqa: F401 (build.py uses both)
from tools.unchanged import NOT_INPUT

FORMAT = 1
# The inputs whose digests the manifest lists (repository-relative glob patterns).
INPUTS = ("copy-text/*", "data/*", "references.bib", "book/*.md", "book/*.csv", "notebooks/*.md",
          "kzthesis/*.py", "requirements.lock", "_config.yml", "_toc.yml")
# What a copy of the project leaves out when it is not made from git (an unpacked archive).
KINDS = {"value": "values", "figure": "figures", "table": "tables", "output": "other outputs"}


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)


def is_checkout(root: Path) -> bool:
    """`root` is the top of a git checkout (a copy inside another repository is not)."""
    try:
        top = git(root, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        return False
    return top.returncode == 0 and Path(top.stdout.strip()).resolve() == root.resolve()


def source_state(root: Path) -> dict:
    """The commit built and whether the tree matched it (no changed or untracked files)."""
    if not is_checkout(root):
        return {"commit": None, "clean": None}
    head = git(root, "rev-parse", "HEAD")
    status = git(root, "status", "--porcelain", "--untracked-files=normal")
    return {"commit": head.stdout.strip() or None, "clean": status.stdout.strip() == ""}


def input_digests(root: Path) -> dict[str, str]:
    found = {p for pattern in INPUTS for p in root.glob(pattern) if p.is_file()}
    return {p.relative_to(root).as_posix(): records.file_digest(p) for p in sorted(found)}


def environment() -> dict:
    """Python and the installed packages, but for this project's own (its files are inputs)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    packages = {}
    for dist in metadata.distributions():
        about = dist.metadata  # parsed from its file at every access: once per package
        if about["Name"] and about["Name"].lower() != project.lower():
            packages[about["Name"].lower()] = about["Version"]
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "packages": dict(sorted(packages.items()))}


# --- results, from the executed notebooks -----------------------------------------------------------

GLUE_PREFIX = "application/papermill.record/"
TITLE_LENGTH = 60  # a table's title, shortened to this, names it


def _glued(output) -> tuple[str, str] | None:
    """(key, value as text) of a myst-nb glue output; None for any other output."""
    name = output.get("metadata", {}).get("scrapbook", {}).get("name")
    if name is None:
        return None
    data = {mime.removeprefix(GLUE_PREFIX): value for mime, value in output.get("data", {}).items()}
    if "text/plain" in data and len(data) == 1:
        return name, data["text/plain"]
    return name, "sha256:" + sha256(json.dumps(data, sort_keys=True))


def _table_name(markdown: str) -> str | None:
    """The label of a generated table (`:name:` of its MyST table), else its bold title or its
    caption (kzthesis.report.table writes them so)."""
    lines = markdown.splitlines()
    for line in lines:
        if line.startswith(":name:"):
            return line.removeprefix(":name:").strip()
    titles = [line[2:-2] for line in lines[:1] if len(line) > 4 and line.startswith("**") and line.endswith("**")]
    titles += [line.removeprefix(":::{table}") for line in lines if line.startswith(":::{table} ")]
    if not titles:
        return None
    title = re.sub(r"\\(.)", r"\1", titles[0].strip())  # MyST's escapes
    return title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1].rstrip() + "…"


def page_results(page: str, notebook, record: records.NotebookRecord | None) -> list[dict]:
    """Every result of one executed notebook, in the order of its cells."""
    results: list[dict] = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, 1):
        for index, output in enumerate(cell.get("outputs", []), 1):
            glued = _glued(output)
            if glued is not None:
                results.append({"kind": "value", "page": page, "key": glued[0], "value": glued[1]})
                continue
            data = output.get("data", {})
            place = f"code cell {number}" + (f", output {index}" if len(cell.outputs) > 1 else "")
            if "image/svg+xml" in data or "image/png" in data:
                results.append(_figure(page, cell, data, record, place))
            elif "text/markdown" in data:
                markdown = data["text/markdown"]
                results.append({"kind": "table", "page": page,
                                "key": _table_name(markdown) or place, "digest": sha256(markdown)})
            elif output.get("output_type") == "stream" or "text/plain" in data:
                text = output.get("text") if output.get("output_type") == "stream" else data["text/plain"]
                results.append({"kind": "output", "page": page, "key": place,
                                "digest": sha256("".join(text) if isinstance(text, list) else text)})
    # Two tables of a page with one title (say) stay two results: the second is "title (2)".
    seen: dict[tuple[str, str], int] = {}
    for result in results:
        identity = (result["kind"], result["key"])
        seen[identity] = seen.get(identity, 0) + 1
        if seen[identity] > 1:
            result["key"] = f"{result['key']} ({seen[identity]})"
    return results


def _figure(page: str, cell, data: dict, record, place: str) -> dict:
    label = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
    call = figure_call(cell.source)
    files = record.figure_files(call.function, call.args) if record and call else None
    entry = {"kind": "figure", "page": page, "key": label or (str(call) if call else place),
             "call": str(call) if call else None,
             "data_files": files,
             "data": sha256("\n".join(f"{name} {record.digests.get(name)}" for name in files))
             if files else None}
    for mime, name in (("image/svg+xml", "svg"), ("application/pdf", "pdf"), ("image/png", "png")):
        if mime in data:
            entry[name] = sha256(rendered_bytes(mime, data[mime]))
    return entry


def rendered_bytes(mime: str, value: str | list[str]) -> bytes:
    """The bytes of the file that myst-nb writes for an output (and names by their SHA-256, so
    that the manifest's digest is the name of the figure's file in the HTML and LaTeX builds)."""
    import binascii

    text = "".join(value) if isinstance(value, list) else value
    if mime.startswith("image/svg"):
        return os.linesep.join(text.splitlines()).encode("utf-8")
    return binascii.a2b_base64(text)


def executed_records(cache) -> list[tuple[str, object, records.NotebookRecord | None]]:
    """(page, cache record, record) of every notebook of the table of contents whose current
    code has an execution in `cache`."""
    from tools.execute_notebooks import notebook_pages

    pages = notebook_pages()
    return [(path.relative_to(ROOT).with_suffix("").as_posix(), cached, record)
            for (path, _), (cached, record) in zip(pages, records.lookup_all(cache, pages))
            if cached is not None]


def executed_pages(cache) -> list[tuple[str, object, records.NotebookRecord | None]]:
    """(page, executed notebook, record) of every notebook of the table of contents whose current
    code has an execution in `cache`."""
    return [(page, cache.get_cache_bundle(cached.pk).nb, record)
            for page, cached, record in executed_records(cache)]


# Where the results of each execution are kept (in the cache's folder, named by this file).
RESULTS_KEPT = "kzthesis-results.json"


def notebook_results(cache) -> list[dict]:
    """The results of every executed notebook, in the book's order. A notebook's results follow
    from its execution (the cache record: its code's key and when it ran), its page's name and
    this file's code: every build writes the manifest, and reads only the notebooks executed
    since the last one (reading each took a build time that grew with the book)."""
    kept_path = Path(cache.path) / RESULTS_KEPT
    try:
        kept = json.loads(kept_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    code = sha256(b"".join(Path(module.__file__).read_bytes() for module in (sys.modules[__name__], provenance)))
    results, now_kept = [], {}
    for page, cached, record in executed_records(cache):
        key = f"{code} {cached.hashkey} {cached.created.isoformat()}"
        if kept.get(page, {}).get("key") != key:
            kept[page] = {"key": key,
                          "results": page_results(page, cache.get_cache_bundle(cached.pk).nb, record)}
        now_kept[page] = kept[page]
        results += kept[page]["results"]
    records.write_json_whole(kept_path, now_kept)
    return results


def manifest() -> dict:
    """The manifest of this project, from its jupyter-cache as the last execution left it
    (tools/execute_notebooks.py has just brought it up to date)."""
    from jupyter_cache import get_cache

    results = notebook_results(get_cache(str(records.cache_path(ROOT))))
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    built = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
             else dt.datetime.now(dt.timezone.utc))
    return {"format": FORMAT, "build_time": built.isoformat(timespec="seconds"),
            **source_state(ROOT), "inputs": input_digests(ROOT), "environment": environment(),
            "results": results}


def write_manifest(target: Path = ROOT / "_build" / MANIFEST_NAME) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(manifest(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def read_manifest(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"error: no manifest at {path}: build the book first (`make book`) or "
                         f"give one (`make verify MANIFEST=file`)") from None
    except json.JSONDecodeError as error:
        raise SystemExit(f"error: {path} is not a results manifest: {error}") from None
    if not isinstance(found, dict) or found.get("format") != FORMAT or "results" not in found:
        raise SystemExit(f"error: {path} is not a results manifest of format {FORMAT}")
    return found


# --- comparing two manifests -------------------------------------------------------------------------

def _identity(result: dict) -> tuple[str, str, str]:
    return result["kind"], result["page"], result["key"]


def _shown(result: dict) -> str:
    """What a reader compares: the value, or the digests (shortened) of data and rendering."""
    if result["kind"] == "value":
        return result["value"]
    if result["kind"] == "figure":
        parts = [f"data {result['data'][:12]}" if result.get("data") else None]
        parts += [f"{name} {result[name][:12]}" for name in ("svg", "pdf", "png") if result.get(name)]
        return ", ".join(p for p in parts if p)
    return result["digest"][:12]


def _figure_change(old: dict, new: dict) -> str:
    if old.get("data") and new.get("data") and old["data"] != new["data"]:
        return "its data changed: " + ", ".join(new.get("data_files") or [])
    return "drawn differently from the same data"


def compare(old: dict, new: dict) -> dict:
    """What `new` reproduces of `old`: per kind, (reproduced, total), and every difference as a
    row (kind, key, page, old, new, note)."""
    old_results = {_identity(r): r for r in old["results"]}
    new_results = {_identity(r): r for r in new["results"]}
    counts = {kind: [0, 0] for kind in KINDS}
    rows = []
    for identity, before in old_results.items():
        kind, page, key = identity
        counts[kind][1] += 1
        after = new_results.get(identity)
        if after is None:
            rows.append((kind, key, page, _shown(before), "(none)", "no longer produced"))
        elif _shown(before) == _shown(after) and before == after:
            counts[kind][0] += 1
        else:
            note = _figure_change(before, after) if kind == "figure" else ""
            rows.append((kind, key, page, _shown(before), _shown(after), note))
    for identity, after in new_results.items():
        if identity not in old_results:
            kind, page, key = identity
            rows.append((kind, key, page, "(none)", _shown(after), "new"))
    inputs = sorted(name for name in set(old["inputs"]) | set(new["inputs"])
                    if old["inputs"].get(name) != new["inputs"].get(name))
    old_env, new_env = old["environment"], new["environment"]
    environment_changes = [f"python {old_env['python']} → {new_env['python']}"] \
        if old_env["python"] != new_env["python"] else []
    environment_changes += sorted(
        f"{name} {old_env['packages'].get(name, '(none)')} → {new_env['packages'].get(name, '(none)')}"
        for name in set(old_env["packages"]) | set(new_env["packages"])
        if old_env["packages"].get(name) != new_env["packages"].get(name))
    return {"counts": counts, "rows": rows, "inputs": inputs, "environment": environment_changes}


def table(rows: list[tuple], header: tuple) -> str:
    """Rows as a Markdown table with aligned columns (readable as text, pasteable into a note)."""
    rows = [header, *[tuple(str(c).replace("|", "\\|") for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def report(comparison: dict, old_name: str, new_name: str) -> str:
    counts = comparison["counts"]
    summary = ", ".join(f"{counts[kind][0]} of {counts[kind][1]} {label}"
                        for kind, label in KINDS.items() if counts[kind][1])
    lines = [f"reproduced: {summary}"]
    if comparison["rows"]:
        lines += ["", f"{len(comparison['rows'])} differences ({old_name} → {new_name}):", "",
                  table(sorted(comparison["rows"], key=lambda r: (r[2], list(KINDS).index(r[0]), r[1])),
                        ("kind", "key", "page", old_name, new_name, "note"))]
    if comparison["inputs"]:
        lines += ["", "inputs that differ: " + ", ".join(comparison["inputs"])]
    if comparison["environment"]:
        lines += ["", "environment that differs: " + "; ".join(comparison["environment"])]
    return "\n".join(lines)


# --- fresh executions ---------------------------------------------------------------------------------

def source_files(root: Path) -> list[str]:
    """The project's files: git's (tracked, and untracked that are not ignored) in a checkout,
    else every file but outputs and environments (an unpacked archive)."""
    if is_checkout(root):
        listed = git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
        return sorted(name for name in listed.stdout.split("\0") if name and (root / name).is_file())
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in NOT_INPUT and not name.endswith(".egg-info")]
        found += [(Path(folder) / name).relative_to(root).as_posix() for name in files]
    return sorted(found)


def copy_project(root: Path, target: Path) -> Path:
    for name in source_files(root):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination)
    return target


def fresh_environment(root: Path, folder: Path) -> Path:
    """A new virtual environment from requirements.lock; returns its Python."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    quiet = ["--quiet", "--disable-pip-version-check"]
    subprocess.run([python, "-m", "pip", "install", *quiet, "-r", str(root / "requirements.lock")], check=True)
    return python


def execute_in(copy: Path, python: Path | str = sys.executable) -> dict:
    """Execute the notebooks of the project `copy` (a copy, or a worktree of another revision)
    into its own cache (empty, for `verify`), and return its manifest, written by this file (so that the
    manifests of two revisions are made alike) with the copy's own package and extensions."""
    # Kernels too run this Python (a kernel spec that says `python` finds it first).
    env = dict(os.environ, PYTHONPATH=str(copy),
               PATH=os.pathsep.join([str(Path(python).parent), os.environ.get("PATH", "")]))
    env.pop("VIRTUAL_ENV", None)
    for step in (["-m", "tools.execute_notebooks"], [str(Path(__file__).resolve()), "manifest"]):
        if subprocess.run([str(python), *step], cwd=copy, env=env).returncode != 0:
            raise SystemExit(f"error: `python {' '.join(step)}` failed in {copy}")
    return read_manifest(copy / "_build" / MANIFEST_NAME)


def verify(manifest_path: Path, fresh_venv: bool = False) -> int:
    expected = read_manifest(manifest_path)
    with tempfile.TemporaryDirectory(prefix="kzthesis-verify-") as folder:
        copy = copy_project(ROOT, Path(folder) / "project")
        python = fresh_environment(ROOT, Path(folder) / "venv") if fresh_venv else sys.executable
        print("executing every notebook afresh in a copy of the project …", flush=True)
        found = execute_in(copy, python)
    comparison = compare(expected, found)
    print(report(comparison, "expected", "found"))
    return 1 if comparison["rows"] else 0


def revision_manifest(revision: str, folder: Path) -> dict:
    """The manifest of `revision`, executed in a git worktree of its own under `folder`."""
    commit = git(ROOT, "rev-parse", "--verify", f"{revision}^{{commit}}")
    if commit.returncode != 0:
        raise SystemExit(f"error: {revision!r} is not a revision of this repository")
    tree = folder / commit.stdout.strip()[:12]
    added = git(ROOT, "worktree", "add", "--detach", str(tree), commit.stdout.strip())
    if added.returncode != 0:
        raise SystemExit(f"error: git worktree add failed: {added.stderr.strip()}")
    try:
        # Starting from this checkout's cache, the build's own rule (a notebook is executed again
        # when its code or a file it read differs) executes what differs in the revision.
        cache = records.cache_path(ROOT)
        if cache.is_dir():
            shutil.copytree(cache, records.cache_path(tree))
        print(f"executing the notebooks of {revision} ({commit.stdout.strip()[:12]}) …", flush=True)
        return execute_in(tree)
    finally:
        git(ROOT, "worktree", "remove", "--force", str(tree))


def diff(a: str, b: str) -> int:
    with tempfile.TemporaryDirectory(prefix="kzthesis-diff-") as folder:
        old = revision_manifest(a, Path(folder))
        new = revision_manifest(b, Path(folder))
    comparison = compare(old, new)
    print(report(comparison, a, b))
    return 0


# --- the source at the built commit ---------------------------------------------------------------------

def write_tar(target: Path, members: list[tuple[str, Path]]) -> Path:
    """A .tar.gz of `members` (name in the archive, file) whose bytes depend on their names and
    contents only: fixed owners, modes and times (SOURCE_DATE_EPOCH, else 0)."""
    import gzip

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))

    def fixed(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = epoch
        info.mode = 0o755 if info.mode & 0o100 else 0o644
        return info

    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=epoch, filename="") as packed, \
            tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, path in members:
            archive.add(path, arcname=name, recursive=False, filter=fixed)
    return target


def write_source_archive(root: Path, target: Path) -> Path:
    """The complete source as one .tar.gz under `kzthesis/`: `git archive` of the commit in a
    checkout, else the project's files (an unpacked archive)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_checkout(root):
        git(root, "archive", "--format=tar.gz", "--prefix=kzthesis/", "-o", str(target), "HEAD")
        return target
    return write_tar(target, [(f"kzthesis/{name}", root / name) for name in source_files(root)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("manifest", help="write _build/results-manifest.json")
    checked = commands.add_parser("verify", help="execute afresh and compare with a manifest")
    checked.add_argument("--manifest", type=Path, default=ROOT / "_build" / MANIFEST_NAME)
    checked.add_argument("--fresh-venv", action="store_true")
    compared = commands.add_parser("diff", help="the results that differ between two revisions")
    compared.add_argument("a")
    compared.add_argument("b")
    args = parser.parse_args(argv)
    if args.command == "manifest":
        print(f"results manifest: {write_manifest()}")
        return 0
    if args.command == "verify":
        return verify(args.manifest.resolve(), args.fresh_venv)
    return diff(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
