"""The results manifest, `make verify` and `make diff-results` (tools/results.py): the manifest
lists every result with its page, a fresh execution reproduces it, and a data edit is named
exactly, in verify's report and in the diff of two revisions."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile

from bs4 import BeautifulSoup
from conftest import ROOT

from tools import results


def run(command: list[str], cwd, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(cwd), **(env_extra or {}))
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def commit_all(root, message: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.org",
               GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.org")
    for command in (["git", "add", "-A"], ["git", "commit", "-q", "-m", message]):
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)


def with_environment(root) -> None:
    """`make` in a copy of the project uses this environment, as it is (`-o` below keeps make
    from reinstalling it)."""
    (root / ".venv").symlink_to(sys.prefix, target_is_directory=True)


MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed"]


def difference_rows(report: str) -> list[list[str]]:
    """The rows (kind, key, page, old, new, note) of the differences table of a report."""
    rows = [[cell.strip() for cell in line.strip()[1:-1].split(" | ")]
            for line in report.splitlines() if line.startswith("| ")]
    return rows[1:]


def edit_detained(root) -> None:
    """Detainees on 8 January: 4,404 → 4,504 (one cell of data/chronology_counts.csv)."""
    counts = root / "data" / "chronology_counts.csv"
    text = counts.read_text(encoding="utf-8")
    assert ",detained,4404," in text
    counts.write_text(text.replace(",detained,4404,", ",detained,4504,"), encoding="utf-8")


def test_manifest_lists_inputs_environment_and_every_result_with_its_page(built_book):
    manifest = json.loads((built_book.html / results.MANIFEST_NAME).read_text(encoding="utf-8"))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    assert manifest["commit"] == head.stdout.strip()
    assert isinstance(manifest["clean"], bool)
    for name in ("copy-text/thesis.txt", "data/survey_sample.csv", "data/datapackage.json",
                 "references.bib", "kzthesis/data.py", "requirements.lock"):
        assert manifest["inputs"][name] == hashlib.sha256((ROOT / name).read_bytes()).hexdigest(), name
    packages = manifest["environment"]["packages"]
    assert packages["jupyter-book"].startswith("1.") and "myst-nb" in packages
    found = {(r["kind"], r["page"], r["key"]): r for r in manifest["results"]}
    # A glued value with its page, as the page prints it.
    assert found["value", "book/introduction", "survey-n"]["value"] == "124"
    assert found["value", "book/chronology", "detained-0108"]["value"] == "4404"
    # A figure: its call, the data files that call read and their digest, and the digest of the
    # SVG file the web build writes (named by its digest). The PDF's copy of a chart is drawn by
    # the PDF build from the same call (tools/printed_charts.py), not by a notebook.
    figure = found["figure", "book/chronology", "fig-chronology-counts"]
    assert figure["call"] == "chronology_figure()"
    assert figure["data_files"] == ["data/chronology_counts.csv", "data/datapackage.json"]
    svg = built_book.html / "_images" / f"{figure['svg']}.svg"
    assert hashlib.sha256(svg.read_bytes()).hexdigest() == figure["svg"]
    figures = [r for r in manifest["results"] if r["kind"] == "figure"]
    assert len(figures) >= 30 and all(r["data"] and r["svg"] and "pdf" not in r for r in figures)
    assert all((built_book.html / "_images" / f"{r['svg']}.svg").is_file() for r in figures)
    # The generated tables, by label.
    assert {"table-ethnic-composition", "table-peaceful-assemblies", "table-assembly-nature"} <= {
        r["key"] for r in manifest["results"] if r["kind"] == "table" and r["page"] == "book/tables"}


def test_the_kept_results_are_each_executions_own(built_book, tmp_path):
    """A build reads again only the notebooks executed since the last manifest: the results it
    keeps are those of each page's current execution, and a kept entry of another execution is
    not used."""
    from jupyter_cache import get_cache

    from book_extensions import records

    folder = shutil.copytree(records.cache_path(ROOT), tmp_path / "cache")
    (folder / results.RESULTS_KEPT).unlink(missing_ok=True)
    cache = get_cache(str(folder))
    read = results.notebook_results(cache)
    assert len(read) > 250 and results.notebook_results(cache) == read  # the second from the file
    kept = json.loads((folder / results.RESULTS_KEPT).read_text(encoding="utf-8"))
    kept["book/chronology"]["key"] += " (an earlier execution)"
    kept["book/chronology"]["results"] = []
    (folder / results.RESULTS_KEPT).write_text(json.dumps(kept), encoding="utf-8")
    assert results.notebook_results(cache) == read


def test_a_notebooks_cache_key_is_kept_by_its_text(built_book, tmp_path):
    """records.lookup finds each notebook's execution by the key it kept for the page's text, as
    jupyter-cache finds it by reading the page; an edited text has a key of its own."""
    from jupyter_cache import get_cache

    from book_extensions import records
    from tools.execute_notebooks import notebook_pages

    cache = get_cache(str(shutil.copytree(records.cache_path(ROOT), tmp_path / "cache")))
    pages = [path for path, _ in notebook_pages()]
    for page in pages:
        found, _ = records.lookup(cache, page)
        assert found.pk == cache.match_cache_notebook(records.read_notebook(page)).pk, page
    records.save_hashkeys()
    assert len(json.loads((tmp_path / "cache" / records.HASHKEYS_KEPT).read_text())) == len(pages)
    text = pages[0].read_text(encoding="utf-8")
    edited = text.replace("```{code-cell} ipython3\n", "```{code-cell} ipython3\n# edited\n", 1)
    assert edited != text and records.lookup(cache, pages[0], edited) == (None, None)


def test_about_links_to_the_manifest_and_the_source_at_the_built_commit(built_book):
    soup = BeautifulSoup(built_book.page("about"), "html.parser")
    links = {a["href"] for a in soup.select("article a[href]")}
    assert {"../results-manifest.json", "../source.tar.gz"} <= links
    with tarfile.open(built_book.html / results.SOURCE_ARCHIVE_NAME) as archive:
        archived = sorted(m.name.removeprefix("kzthesis/") for m in archive.getmembers() if m.isfile())
    committed = subprocess.run(["git", "ls-tree", "-r", "--name-only", "HEAD"], cwd=ROOT,
                               capture_output=True, text=True).stdout.split()
    assert archived == sorted(committed)
    manifest = json.loads((built_book.html / results.MANIFEST_NAME).read_text(encoding="utf-8"))
    if manifest["clean"]:  # the files of the checkout are the commit's
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
        assert archived == sorted(listed.stdout.split())


def test_verify_reproduces_every_result_and_names_each_changed_one(project_copy):
    """A fresh execution of the copy, after one data cell changed, against the real build's
    manifest: every other result reproduces; the changed values and figures are named."""
    edit_detained(project_copy)
    with_environment(project_copy)
    result = run([*MAKE, "verify", f"MANIFEST={project_copy / '_build' / 'html' / results.MANIFEST_NAME}"],
                 project_copy)
    assert result.returncode != 0 and "verify] Error 1" in result.stderr, result.stdout + result.stderr
    report = result.stdout
    rows = difference_rows(report)
    assert ["value", "detained-0108", "book/chronology", "4404", "4504", ""] in rows, \
        result.stdout[-3000:] + result.stderr[-3000:]
    assert any(row[:3] == ["figure", "fig-chronology-counts", "book/chronology"] for row in rows)
    assert any(row[:3] == ["figure", "fig-nb-chronology", "notebooks/chronology"] for row in rows)
    assert "its data changed: data/chronology_counts.csv" in report
    # Nothing else differs: only the pages that read the edited file.
    assert {row[2] for row in rows} == {"book/chronology", "notebooks/chronology"}
    manifest = json.loads((project_copy / "_build" / "html" / results.MANIFEST_NAME).read_text())
    values = sum(r["kind"] == "value" for r in manifest["results"])
    changed = sum(row[0] == "value" for row in rows)
    assert f"reproduced: {values - changed} of {values} values" in report
    assert "inputs that differ: data/chronology_counts.csv\n" in report + "\n"


def test_diff_results_lists_exactly_what_a_data_edit_changed(project_copy):
    subprocess.run(["git", "init", "-q"], cwd=project_copy, check=True)
    commit_all(project_copy, "the edition")
    edit_detained(project_copy)
    commit_all(project_copy, "a data correction")
    with_environment(project_copy)
    result = run([*MAKE, "diff-results", "A=HEAD~1", "B=HEAD"], project_copy)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = {tuple(row[:5]) for row in difference_rows(result.stdout)}
    changed = {row[:3] for row in rows}
    # The count, and the words the chronology prints it in; the two figures drawn from the file;
    # the table of counts in the chronology notebook. Nothing else.
    assert ("value", "detained-0108", "book/chronology", "4404", "4504") in rows
    assert {row for row in changed if row[0] == "value"} == {
        ("value", "detained-0108", "book/chronology"),
        ("value", "detained-0108-words", "book/chronology"),
        ("value", "detained-0108-words-cap", "book/chronology")}
    assert {row for row in changed if row[0] == "figure"} == {
        ("figure", "fig-chronology-counts", "book/chronology"),
        ("figure", "fig-nb-chronology", "notebooks/chronology")}
    assert {row[2] for row in changed if row[0] in ("table", "output")} <= {"notebooks/chronology"}


def test_a_report_names_each_difference_with_its_page_and_counts_what_reproduced():
    def manifest(value: str, svg: str, extra: list[dict]) -> dict:
        return {"format": results.FORMAT, "inputs": {"data/a.csv": value},
                "environment": {"python": "3.11.7", "packages": {"pandas": "2.2.3"}},
                "results": [{"kind": "value", "page": "book/chapter1", "key": "n", "value": value},
                            {"kind": "value", "page": "book/chapter1", "key": "same", "value": "1"},
                            {"kind": "figure", "page": "book/chapter2", "key": "fig-a", "call": "f()",
                             "data_files": ["data/a.csv"], "data": value * 8, "svg": svg, "pdf": "9" * 64},
                            *extra]}

    old = manifest("124", "a" * 64, [{"kind": "table", "page": "book/tables", "key": "t", "digest": "c" * 64}])
    new = manifest("131", "b" * 64, [])
    comparison = results.compare(old, new)
    assert comparison["counts"] == {"value": [1, 2], "figure": [0, 1], "table": [0, 1], "output": [0, 0]}
    report = results.report(comparison, "expected", "found")
    assert report.startswith("reproduced: 1 of 2 values, 0 of 1 figures, 0 of 1 tables\n")
    rows = difference_rows(report)
    assert rows == [
        ["value", "n", "book/chapter1", "124", "131", ""],
        ["figure", "fig-a", "book/chapter2", f"data {'124' * 4}, svg {'a' * 12}, pdf {'9' * 12}",
         f"data {'131' * 4}, svg {'b' * 12}, pdf {'9' * 12}", "its data changed: data/a.csv"],
        ["table", "t", "book/tables", "c" * 12, "(none)", "no longer produced"]]
    assert "inputs that differ: data/a.csv" in report
    assert results.compare(old, old)["rows"] == []
