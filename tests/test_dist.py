"""`make dist`: one archive with the PDF, the EPUB, the web book, the data package, the executed
notebooks, the manifest, CITATION.cff, the source at the commit and a README; a second build of
the commit gives the same PDF bytes; in the source unpacked from it, `make verify` (as the
bundle's README says) executes every notebook afresh and reproduces every result of the bundle's
manifest (tests/test_results.py shows that it names a result that differs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile

from test_results import MAKE, commit_all, run, with_environment

from tools import results


def test_release_bundle_is_complete_deterministic_and_verifies(project_copy, tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=project_copy, check=True)
    commit_all(project_copy, "the edition")
    with_environment(project_copy)
    made = run([*MAKE, "dist"], project_copy)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project_copy, capture_output=True,
                            text=True).stdout.strip()
    bundle = project_copy / "_build" / "dist" / f"kzthesis-{commit[:12]}.tar.gz"
    unpacked = tmp_path / "bundle"
    with tarfile.open(bundle) as archive:
        archive.extractall(unpacked, filter="data")
    top = unpacked / f"kzthesis-{commit[:12]}"
    for name in ("README.md", "thesis.pdf", "thesis.epub", "html/index.html", "html/book/chapter1.html",
                 "data/datapackage.json", "data/survey_sample.csv", "CITATION.cff",
                 results.MANIFEST_NAME, results.SOURCE_ARCHIVE_NAME):
        assert (top / name).is_file(), name
    assert (top / "thesis.pdf").read_bytes().startswith(b"%PDF")
    notebook = json.loads((top / "notebooks" / "book" / "chronology.ipynb").read_text(encoding="utf-8"))
    assert any(cell.get("outputs") for cell in notebook["cells"])  # executed
    manifest = json.loads((top / results.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["commit"] == commit and manifest["clean"] is True
    assert "make verify MANIFEST=../results-manifest.json" in (top / "README.md").read_text()

    # Determinism: the PDF of a second build of the commit is byte for byte the bundle's, and its
    # manifest is the same.
    shutil.rmtree(project_copy / "_build" / "latex")
    epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=project_copy,
                           capture_output=True, text=True).stdout.strip()
    again = run([*MAKE, "pdf"], project_copy, env_extra={"SOURCE_DATE_EPOCH": epoch})
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert (project_copy / "_build" / "latex" / "thesis.pdf").read_bytes() == (top / "thesis.pdf").read_bytes()
    second = json.loads((project_copy / "_build" / results.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert second == manifest

    # The source: exactly the commit's files, and it verifies against the manifest.
    with tarfile.open(top / results.SOURCE_ARCHIVE_NAME) as archive:
        archived = sorted(m.name.removeprefix("kzthesis/") for m in archive.getmembers() if m.isfile())
        archive.extractall(top, filter="data")  # beside the manifest, as the bundle's README says
    listed = subprocess.run(["git", "ls-files"], cwd=project_copy, capture_output=True, text=True)
    assert archived == sorted(listed.stdout.split())
    source = top / "kzthesis"
    with_environment(source)
    # What the bundle's README tells its reader to do: in the unpacked source, `make verify`
    # executes every notebook afresh and reproduces every result of the bundle's manifest.
    verified = run([*MAKE, "verify", f"MANIFEST=../{results.MANIFEST_NAME}"], source)
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]
    values = sum(r["kind"] == "value" for r in manifest["results"])
    assert values > 250 and f"reproduced: {values} of {values} values" in verified.stdout, verified.stdout[-3000:]
