"""Benchmark of the author's edit–rebuild loop: `make bench`.

On a throw-away copy of the project, measures the median wall time of each scenario over several
runs and prints a table; every time is also given as a ratio to the *floor* measured in the same
run (Sphinx alone, notebook execution off), because this machine is shared and noisy: compare
ratios, not seconds. It also counts the notebooks each scenario executed and checks that a data
edit really changed the figure and the glued number (no stale output).

    python -m tools.bench [--runs 3] [--skip-pdf] [--skip-tests] [--skip-preview] [--growth 4 10]
                          [--baseline REV] [--growth-only] [--quick]

With Chromium present it also times `make preview`: a prose edit saved until the open page shows
it, next to stock `jupyter-book build` on the same edits. `--growth` builds synthetic books that
many times the size (cold, no change, one page edited), to show how the costs grow;
`--growth-only` measures only that; `--quick` only a no-change `make book` and the preview's
save-to-page time.

`--baseline REV` also measures that git revision of the project (e.g. the commit before a change)
in the same run, before the current tree, each against its own floor: compare the ratios.

Results go to benchmarks/latest.json and benchmarks/latest.md (for the project's developers; the
README quotes them), with the machine they were measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks"
IGNORE = shutil.ignore_patterns(".venv", ".git", "_build", "__pycache__", "*.egg-info", ".ipynb_checkpoints",
                                "node_modules")
PROSE_PAGE = "book/chapter1.md"
PROSE_OLD = "The chapter contains three subparagraphs"
DATA_FILE = "data/chronology_counts.csv"
DATA_OLD, DATA_NEW = ",detained,4404,", ",detained,4504,"
STYLE_FILE = "_static/reader.css"
# Debian's Chromium, headless, as the browser tests run it (tests/test_browser.py).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


class Project:
    def __init__(self, root: Path, name: str = "current", extra_path: Path | None = None):
        self.root = root
        self.name = name
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            str(p) for p in (root, extra_path) if p is not None))

    @classmethod
    def of_revision(cls, revision: str, folder: Path) -> "Project":
        """The project as committed at `revision`, with its own package metadata (an older
        revision may register plugins through entry points)."""
        root = folder / "project"
        root.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        site = folder / "site"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--no-build-isolation", "--target", str(site), str(root)], check=True,
                       capture_output=True)
        shutil.rmtree(root / "build", ignore_errors=True)
        return cls(root, f"baseline {revision}", site)

    def run(self, *command: str, check: bool = True) -> float:
        started = time.perf_counter()
        process = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if check and process.returncode != 0:
            raise SystemExit(f"bench: `{' '.join(command)}` failed:\n{process.stdout[-3000:]}{process.stderr[-3000:]}")
        return elapsed

    def build(self, builder: str = "html") -> float:
        return self.run(sys.executable, "-m", "tools.build", builder)

    def executed(self) -> int:
        report = json.loads((self.root / "_build" / "execution-report.json").read_text())
        return len(report["executed"])

    def execution_seconds(self) -> float:
        report = json.loads((self.root / "_build" / "execution-report.json").read_text())
        return sum(item["seconds"] for item in report["executed"])

    def clean(self) -> None:
        shutil.rmtree(self.root / "_build", ignore_errors=True)

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise SystemExit(f"bench: '{old}' not found in {name}")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def floor(self) -> float:
        """Sphinx alone: the same book with notebook execution off, from an empty _build."""
        self.clean()
        config = self.root / "_config.yml"
        original = config.read_text(encoding="utf-8")
        config.write_text(original.replace("execute_notebooks: cache", "execute_notebooks: \"off\""), encoding="utf-8")
        try:
            # Without execution the glue keys are missing: warnings are expected, not errors here.
            return self.run(str(Path(sys.executable).parent / "jupyter-book"), "build", ".", "--builder", "html",
                            check=False)
        finally:
            config.write_text(original, encoding="utf-8")
            self.clean()


def median(values: list[float]) -> float:
    return statistics.median(values)


def measure_growth(workdir: Path, factors: list[int], runs: int, cache: Path) -> dict:
    """Cold, no-change and one-page-edit builds of synthetic books `factor` times the size (the
    thesis and the notebooks copied under new names): does the incremental cost stay flat?

    The grown book's first build starts from `cache`, the jupyter-cache of the book as it is: a
    copied notebook whose code is the original's reuses its execution (executing the copies of
    the 10× book again would take most of an hour on 2 cores and measures the notebooks, not
    the book's size), so "cold" is Sphinx's first build of the larger book plus the copies whose
    code the copy changed."""
    rows = {}
    for factor in factors:
        project = Project(workdir / f"grown-{factor}" / "project", f"{factor}× book")
        shutil.copytree(ROOT, project.root, ignore=IGNORE)
        pages = grow(project.root, factor)
        cold, no_change, edit = [], [], []
        for i in range(runs):
            project.clean()
            shutil.copytree(cache, project.root / "_build" / cache.name)
            cold.append(project.build())
            project_executed_cold = project.executed()
            no_change.append(project.build())
            project.edit(PROSE_PAGE, PROSE_OLD if i == 0 else f"{PROSE_OLD} ({i})", f"{PROSE_OLD} ({i + 1})")
            edit.append(project.build())
        rows[f"{factor}× book"] = {"factor": factor, "pages": pages, "cold": median(cold),
                                   "executed_cold": project_executed_cold,
                                   "no_change": median(no_change), "one_page_edit": median(edit)}
        print(f"  {factor}× book ({pages} pages): cold {median(cold):.1f} s, no-change {median(no_change):.1f} s, "
              f"one page edited {median(edit):.1f} s", flush=True)
        shutil.rmtree(project.root.parent, ignore_errors=True)
    return rows


def measure(project: Project, runs: int, with_pdf: bool, with_tests: bool, with_preview: bool) -> dict:
    rows: dict[str, dict] = {}

    def record(name: str, times: list[float], executed: int | None, note: str = "") -> None:
        rows[name] = {"median_seconds": median(times), "runs": len(times), "executed": executed, "note": note}
        print(f"  {project.name}: {name}: {median(times):.1f} s (runs: {', '.join(f'{t:.1f}' for t in times)})",
              flush=True)

    print(f"measuring {project.name} (each scenario's median over the runs) ...", flush=True)
    record("floor: Sphinx alone, execution off", [project.floor() for _ in range(runs)], 0)

    cold, executed, notebook_seconds = [], 0, []
    for _ in range(runs):
        project.clean()
        cold.append(project.build())
        executed = project.executed()
        notebook_seconds.append(project.execution_seconds())
    record("cold HTML build", cold, executed,
           f"notebooks' own execution time (sum, serial): {median(notebook_seconds):.1f} s")
    rows["cold HTML build"]["notebook_seconds"] = median(notebook_seconds)

    no_change = []
    for _ in range(runs):
        no_change.append(project.build())
    record("no-change rebuild", no_change, project.executed())

    prose, prose_executed = [], 0
    for i in range(runs):
        project.edit(PROSE_PAGE, PROSE_OLD if i == 0 else f"{PROSE_OLD} ({i})", f"{PROSE_OLD} ({i + 1})")
        prose.append(project.build())
        prose_executed = max(prose_executed, project.executed())
    record("one chapter's prose edited", prose, prose_executed)

    data, data_executed, fresh = [], 0, True
    for i in range(runs):
        old, new = (DATA_OLD, DATA_NEW) if i % 2 == 0 else (DATA_NEW, DATA_OLD)
        project.edit(DATA_FILE, old, new)
        data.append(project.build())
        data_executed = max(data_executed, project.executed())
        fresh &= stale_check(project, new)
    record("one value in data/ edited", data, data_executed,
           "figure and glued number changed: " + ("yes" if fresh else "NO (stale output)"))
    rows["one value in data/ edited"]["fresh"] = fresh

    style, style_fresh = [], True
    for i in range(runs):
        marker = f"/* bench edit {i + 1} */"
        path = project.root / STYLE_FILE
        path.write_text(path.read_text(encoding="utf-8") + marker + "\n", encoding="utf-8")
        style.append(project.build())
        style_fresh &= marker in (project.root / "_build" / "html" / STYLE_FILE).read_text(encoding="utf-8")
    record("the book's style sheet edited", style, project.executed(),
           "new style sheet in the book: " + ("yes" if style_fresh else "NO (stale output)"))

    if with_preview:
        shown, stock = preview_and_stock(project, runs)
        record("prose edit saved until the page shows it (make preview)", shown, None,
               "Chromium; the page reloaded by the preview")
        record("prose edit: stock jupyter-book build", stock, None,
               "the same edits; the build alone, its reader then reloads by hand")

    if with_pdf:
        pdf = []
        for _ in range(runs):
            shutil.rmtree(project.root / "_build" / "latex", ignore_errors=True)
            venv = Path(sys.executable).parent.parent
            # This environment is already installed: -o keeps make from reinstalling it for the copy.
            pdf.append(project.run("make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed", "pdf"))
        record("cold PDF after a fresh HTML build", pdf, project.executed())

    if with_tests:
        record("make test", [project.run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")], None,
               "one run")

    floor = rows["floor: Sphinx alone, execution off"]["median_seconds"]
    for row in rows.values():
        row["ratio_to_floor"] = row["median_seconds"] / floor
    return rows


# The parts of the table of contents that a synthetic larger book repeats under new names.
GROWN_PARTS = ("The thesis", "Data and methods")
# What a page defines for cross-references: `(label)=` targets and `name:` options (directives,
# figures of code cells). A copy renames them, else the book would define each twice.
DEFINED_NAME = re.compile(r"^\((?P<label>[^)\s]+)\)=|^:\s*name:\s*(?P<name>\S+)\s*$", re.M)
# Roles that print a row of a data table on the one page that the row names.
QUOTED = re.compile(r"\{(?:quoted|dated)\}`([^`]+)`")


def grow(root: Path, factor: int) -> int:
    """Make the project at `root` a book `factor` times the size of its thesis and notebooks:
    copies of the chapters and notebooks under new names, in new parts of the table of contents
    (their labels renamed). Returns the number of pages."""
    import yaml

    toc_path = root / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    originals = [part for part in toc["parts"] if part["caption"] in GROWN_PARTS]
    for copy in range(2, factor + 1):
        for part in originals:
            chapters = []
            for chapter in part["chapters"]:
                source = root / f"{chapter['file']}.md"
                # In book/, even a notebook's copy: the provenance line under a figure names the
                # one notebook of notebooks/ that draws it.
                name = f"book/{chapter['file'].replace('/', '-')}-copy{copy}"
                text = source.read_text(encoding="utf-8")
                for found in DEFINED_NAME.finditer(source.read_text(encoding="utf-8")):
                    label = found.group("label") or found.group("name")
                    text = re.sub(rf"(?<![\w-]){re.escape(label)}(?![\w-])", f"{label}-copy{copy}", text)
                # A quoted quantity and a dated event define a label where they are printed
                # (book_extensions/quantities.py, dates.py), once in the book, on the page their
                # table names: a copy shows the row's name instead.
                text = QUOTED.sub(r"``\1``", text)
                (root / f"{name}.md").write_text(text, encoding="utf-8")
                chapters.append({"file": name})
            toc["parts"].append({"caption": f"{part['caption']} (copy {copy})", "chapters": chapters})
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return page_count(root)


def page_count(root: Path) -> int:
    """The pages of the table of contents: its root and every chapter."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return sum(len(part["chapters"]) for part in toc["parts"]) + 1


class PreviewProcess:
    """`python -m tools.preview` in the project, its output followed line by line."""

    def __init__(self, project: Project):
        env = dict(project.env, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "tools.preview", "--port", "0", "--no-browser"],
                                        cwd=project.root, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout],
                         daemon=True).start()
        self.url = self.wait_for(r"serving (http://\S+)").group(1)
        self.wait_for(r"preview: built in")

    def wait_for(self, pattern: str) -> re.Match:
        while True:
            try:
                found = re.search(pattern, self.lines.get(timeout=900))
            except queue.Empty:
                raise SystemExit(f"bench: the preview never printed /{pattern}/") from None
            if found:
                return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def preview_seconds(project: Project, runs: int) -> list[float]:
    """Seconds from saving a prose edit to the page open in Chromium showing the new words, with
    `make preview` (its edits end in "(preview N)", N from 1 to `runs`)."""
    from playwright.sync_api import sync_playwright

    shown = []
    preview = PreviewProcess(project)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(preview.url + PROSE_PAGE.replace(".md", ".html"))
            for i in range(runs):
                old, new = PROSE_OLD, f"{PROSE_OLD} (preview {i + 1})"
                started = time.perf_counter()
                project.edit(PROSE_PAGE, old if i == 0 else f"{PROSE_OLD} (preview {i})", new)
                page.get_by_text(new).first.wait_for(timeout=900_000)
                shown.append(time.perf_counter() - started)
                preview.wait_for(r"preview: built in")  # the build has ended, not only the page
            browser.close()
    finally:
        preview.stop()
    return shown


def preview_and_stock(project: Project, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from saving a prose edit to the open page showing the new words, with `make
    preview` and Chromium; then, on the same edits, stock `jupyter-book build` alone."""
    shown = preview_seconds(project, runs)
    stock = []
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    # Not timed: stock jupyter-book passes another configuration (an absolute external_toc_path),
    # so its first build after ours reads every page again.
    project.run(jupyter_book, "build", ".", "--builder", "html", check=False)
    for i in range(runs):
        project.edit(PROSE_PAGE, f"{PROSE_OLD} (preview {runs + i})" if i else f"{PROSE_OLD} (preview {runs})",
                     f"{PROSE_OLD} (preview {runs + i + 1})")
        stock.append(project.run(jupyter_book, "build", ".", "--builder", "html", check=False))
    return shown, stock


def stale_check(project: Project, new_line: str) -> bool:
    """After a data edit: the chronology shows the new count in its prose and its figure."""
    value = int(new_line.split(",")[2])
    from bs4 import BeautifulSoup

    html = (project.root / "_build" / "html" / "book" / "chronology.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    for origin in soup.select(".quantity-origin"):  # a number's origin, shown on hover
        origin.decompose()
    text = " ".join(soup.get_text().split())
    prose_ok = f"had reached {value:,} people" in text
    images = [project.root / "_build" / "html" / "book" / src for src in re.findall(r'<img[^>]*src="([^"]+\.svg)"', html)]
    figure_ok = any(f"{value:,}" in image.resolve().read_text(encoding="utf-8") for image in images)
    return prose_ok and figure_ok


def machine() -> dict:
    memory = ""
    try:
        kib = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 ** 2:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpus": os.cpu_count(), "memory": memory, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}",
            "load_average_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def growth_table(rows: dict, growth: dict) -> list[str]:
    """The book as it is (1×) and the synthetic larger ones, side by side."""
    one = {"factor": 1, "pages": page_count(ROOT), "cold": rows["cold HTML build"]["median_seconds"],
           "executed_cold": rows["cold HTML build"]["executed"],
           "no_change": rows["no-change rebuild"]["median_seconds"],
           "one_page_edit": rows["one chapter's prose edited"]["median_seconds"]}
    lines = ["", "Growth (the thesis and the notebooks copied under new names; one run each; a larger "
             "book's first build starts from the 1× book's notebook cache, see measure_growth):", "",
             "| book | pages | cold (s) | notebooks executed cold | no-change (s) | one page edited (s) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, row in [("1× (this book)", one), *growth.items()]:
        lines.append(f"| {name} | {row['pages']} | {row['cold']:.1f} | {row.get('executed_cold', '')} | "
                     f"{row['no_change']:.1f} | {row['one_page_edit']:.1f} |")
    return lines


def table(rows: dict, info: dict, baseline: tuple[str, dict] | None = None, growth: dict | None = None) -> str:
    cold = rows["cold HTML build"]
    lines = [f"Measured on {info['date']}: {info['cpus']} CPUs, {info['memory']}, {info['system']}, "
             f"Python {info['python']} (load average at start: {info['load_average_at_start']:.1f}).", ""]
    if baseline:
        name, before = baseline
        lines += [f"Compared in the same run with {name}:", "",
                  "| scenario | before (s) | × floor | now (s) | × floor |", "|---|---:|---:|---:|---:|"]
        for scenario, row in rows.items():
            old = before.get(scenario)
            lines.append(f"| {scenario} | " + (f"{old['median_seconds']:.1f} | {old['ratio_to_floor']:.2f}"
                                               if old else "– | –")
                         + f" | {row['median_seconds']:.1f} | {row['ratio_to_floor']:.2f} |")
        lines += ["", "Now, in detail:", ""]
    lines += ["| scenario | median (s) | × floor | notebooks executed | note |", "|---|---:|---:|---:|---|"]
    for name, row in rows.items():
        executed = "" if row["executed"] is None else str(row["executed"])
        lines.append(f"| {name} | {row['median_seconds']:.1f} | {row['ratio_to_floor']:.2f} | {executed} | {row['note']} |")
    floor = rows["floor: Sphinx alone, execution off"]["median_seconds"]
    lines += ["", "Targets:",
              f"- no-change rebuild ≤ 10 % of the cold build: "
              f"{100 * rows['no-change rebuild']['median_seconds'] / cold['median_seconds']:.0f} %",
              f"- prose edit executes no notebook: {rows['one chapter' + chr(39) + 's prose edited']['executed']} executed",
              f"- data edit executes only the notebooks that read the file: "
              f"{rows['one value in data/ edited']['executed']} executed; no stale output: "
              f"{'yes' if rows['one value in data/ edited']['fresh'] else 'NO'}",
              f"- cold build ≤ 1.5 × floor + notebooks' own execution time: {cold['median_seconds']:.1f} s ≤ "
              f"{1.5 * floor + cold['notebook_seconds']:.1f} s",
              f"- cold build ≤ 3 × floor: {cold['ratio_to_floor']:.2f} × floor",
              f"- no-change rebuild ≤ 1.5 s: {rows['no-change rebuild']['median_seconds']:.1f} s"]
    preview = rows.get("prose edit saved until the page shows it (make preview)")
    if preview:
        lines.append(f"- prose edit saved until the page shows it ≤ 1.5 s (median): {preview['median_seconds']:.1f} s "
                     f"with make preview; stock jupyter-book build on the same edit: "
                     f"{rows['prose edit: stock jupyter-book build']['median_seconds']:.1f} s before a manual reload")
    if growth:
        lines += growth_table(rows, growth)
    return "\n".join(lines) + "\n"


def quick(runs: int, baseline: str | None) -> int:
    """A no-change `make book` and a prose edit saved until `make preview` shows it, for this tree
    and (interleaved, so that both see the same load) a baseline revision."""
    workdir = Path(tempfile.mkdtemp(prefix="thesis-bench-"))
    try:
        projects = [Project.of_revision(baseline, workdir / "baseline")] if baseline else []
        projects.append(Project(workdir / "current" / "project"))
        shutil.copytree(ROOT, projects[-1].root, ignore=IGNORE)
        for project in projects:
            project.build()
            project.build()
        no_change = {project.name: [] for project in projects}
        for _ in range(runs):
            for project in projects:
                no_change[project.name].append(project.build())
        shown = {project.name: preview_seconds(project, runs) for project in projects}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("| scenario | " + " | ".join(f"{name} (s)" for name in no_change) + " |")
    print("|---|" + "---:|" * len(no_change))
    for scenario, times in (("no-change make book", no_change), ("prose edit saved until make preview shows it", shown)):
        print(f"| {scenario} (median of {runs}) | " + " | ".join(
            f"{median(values):.2f} ({', '.join(f'{v:.1f}' for v in values)})" for values in times.values()) + " |")
    return 0


def growth_only(factors: list[int]) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="thesis-bench-"))
    try:
        project = Project(workdir / "current" / "project")
        shutil.copytree(ROOT, project.root, ignore=IGNORE)
        rows = {"cold HTML build": {"median_seconds": project.build(), "executed": project.executed()},
                "no-change rebuild": {"median_seconds": project.build()}}
        project.edit(PROSE_PAGE, PROSE_OLD, f"{PROSE_OLD} (1)")
        rows["one chapter's prose edited"] = {"median_seconds": project.build()}
        growth = measure_growth(workdir, factors, 1, project.root / "_build" / ".jupyter_cache")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(growth_table(rows, growth)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--growth", type=int, nargs="*", default=[4, 10], metavar="FACTOR",
                        help="sizes of the synthetic larger books (none: no growth measurement)")
    parser.add_argument("--skip-preview", action="store_true", help="no preview and stock "
                        "jupyter-book timing (they need Chromium: tools/debian-packages.sh browser)")
    parser.add_argument("--baseline", metavar="REV", help="also measure this git revision, in the same run")
    parser.add_argument("--quick", action="store_true", help="only the two author's-loop figures: a no-change "
                        "make book and a prose edit saved until make preview shows it (with --baseline, "
                        "side by side, the runs interleaved); writes nothing")
    parser.add_argument("--growth-only", action="store_true", help="only the growth table (the book as it "
                        "is built once cold, once unchanged and once with a page edited); writes nothing")
    args = parser.parse_args(argv)
    if args.growth_only:
        return growth_only(args.growth)
    if args.quick:
        return quick(args.runs, args.baseline)
    info = machine()
    with_pdf = not args.skip_pdf and shutil.which("xelatex") is not None
    with_preview = not args.skip_preview and CHROMIUM.exists()
    workdir = Path(tempfile.mkdtemp(prefix="thesis-bench-"))
    try:
        before = None
        if args.baseline:
            old = Project.of_revision(args.baseline, workdir / "baseline")
            before = (old.name, measure(old, args.runs, with_pdf, not args.skip_tests, False))
        project = Project(workdir / "current" / "project")
        shutil.copytree(ROOT, project.root, ignore=IGNORE)
        rows = measure(project, args.runs, with_pdf, not args.skip_tests, with_preview)
        growth = measure_growth(workdir, args.growth, 1, project.root / "_build" / ".jupyter_cache")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = table(rows, info, before, growth)
    print()
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "latest.json").write_text(json.dumps({"machine": info, "results": rows, "growth": growth,
                                                 "baseline": dict([before]) if before else None},
                                                indent=1) + "\n")
    (OUT / "latest.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
