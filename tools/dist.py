"""The release bundle: one archive of this edition that a research repository (Zenodo, say)
accepts, with what a reader needs to check it.

    python -m tools.dist     # (make dist) -> _build/dist/kzthesis-<commit>.tar.gz

It builds the HTML, the PDF and the EPUB (SOURCE_DATE_EPOCH set to the commit's time unless it
is set already, so that a second bundle of the same commit has the same dates and PDF bytes) and
packs, under one folder:

    README.md               what is in the bundle and how to verify it
    thesis.pdf  thesis.epub
    html/                   the web book (open html/index.html)
    data/                   the data package (CSV files and datapackage.json)
    notebooks/              every executed notebook (.ipynb with its outputs)
    results-manifest.json   the build's inputs, environment and results (tools/results.py)
    CITATION.cff
    source.tar.gz           the complete source at the commit (`git archive`)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tools import build, results

DIST = build.BUILD / "dist"
README = """# {title} — release bundle

A reproducible edition of a political science thesis, built from the commit {commit}
({state}) on {date}. Every number, figure and table of the book is computed from the data
package during the build.

| File | What it is |
| --- | --- |
| `thesis.pdf` | the book as a PDF |
| `thesis.epub` | the book as an EPUB |
| `html/` | the web book: open `html/index.html` in a browser |
| `data/` | the data package: CSV files described in `data/datapackage.json` |
| `notebooks/` | every executed notebook of the book, with its outputs |
| `results-manifest.json` | the build's results manifest: the commit, a checksum of every input, the Python and package versions, and every result (each pasted number with its page, each figure with checksums of its data and of its drawing, each generated table) |
| `CITATION.cff` | how to cite this edition |
| `source.tar.gz` | the complete source at the commit: the project's repository as `git archive` writes it |

## Verify the results

On a Debian or Ubuntu machine with `make`:

```bash
tar -xzf source.tar.gz
cd kzthesis
make verify MANIFEST=../results-manifest.json
```

`make verify` installs what the build needs (the first time), executes every notebook again from
scratch and compares every result with this bundle's manifest: it prints how many values,
figures and tables reproduced, names every one that differs (key, page, old and new value) and
exits with a non-zero status if any does. `make verify FRESH=1 MANIFEST=...` executes in a new
virtual environment made from `requirements.lock`. `make book` rebuilds the web book from the
same source (see its `README.md`).
"""


def commit_time() -> str:
    found = results.git(build.ROOT, "log", "-1", "--format=%ct")
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "0"


def build_all(env: dict) -> None:
    for target in ("html", "pdf", "epub"):
        if subprocess.run([sys.executable, "-m", "tools.build", target], cwd=build.ROOT, env=env).returncode:
            raise SystemExit(f"error: the {target} build failed; no bundle was written")


def bundle_members(name: str) -> list[tuple[str, Path]]:
    """(name in the archive, file) of everything the bundle holds but its README."""
    html = build.HTML_DIR
    members = [("thesis.pdf", build.LATEX_DIR / f"{build.PDF_NAME}.pdf"),
               ("thesis.epub", build.EPUB_DIR / f"{build.PDF_NAME}.epub"),
               (results.MANIFEST_NAME, html / results.MANIFEST_NAME),
               (results.SOURCE_ARCHIVE_NAME, html / results.SOURCE_ARCHIVE_NAME),
               ("CITATION.cff", build.ROOT / "CITATION.cff")]
    members += [(f"html/{p.relative_to(html).as_posix()}", p) for p in sorted(html.rglob("*")) if p.is_file()]
    members += [(f"data/{p.relative_to(build.ROOT / 'data').as_posix()}", p)
                for p in sorted((build.ROOT / "data").rglob("*")) if p.is_file()]
    members += [(f"notebooks/{p.relative_to(html / '_sources').as_posix()}", p)
                for p in sorted((html / "_sources").rglob("*.ipynb"))]
    return [(f"{name}/{inside}", path) for inside, path in members]


def main() -> int:
    env = dict(os.environ, PYTHONPATH=str(build.ROOT))
    env.setdefault("SOURCE_DATE_EPOCH", commit_time())
    os.environ["SOURCE_DATE_EPOCH"] = env["SOURCE_DATE_EPOCH"]
    build_all(env)
    manifest = results.read_manifest(build.HTML_DIR / results.MANIFEST_NAME)
    commit = manifest["commit"] or "unknown"
    name = f"kzthesis-{commit[:12]}"
    from book_extensions.latex import build_date

    readme = DIST / "README.md"
    readme.parent.mkdir(parents=True, exist_ok=True)
    readme.write_text(README.format(
        title=yaml.safe_load((build.ROOT / "CITATION.cff").read_text(encoding="utf-8"))["title"],
        commit=commit, state="a clean tree" if manifest["clean"] else "with uncommitted changes",
        date=build_date()), encoding="utf-8")
    target = DIST / f"{name}.tar.gz"
    results.write_tar(target, [(f"{name}/README.md", readme), *bundle_members(name)])
    readme.unlink()
    print(f"release bundle: {target.relative_to(build.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
