"""Sphinx extension: re-read the pages whose notebook the build has just executed.

tools/execute_notebooks.py runs before Sphinx and may re-execute a notebook whose source did
not change (a data file or a package module it reads did). Sphinx decides what to re-read from
the sources' modification times, so it would keep the page's old outputs: stale numbers and
figures in an incremental build. The notebook step's report names what it executed; those pages
are outdated here.
"""

from __future__ import annotations

import json
from pathlib import Path

from sphinx.application import Sphinx


def executed_docnames(app: Sphinx) -> set[str]:
    report = Path(app.srcdir) / "_build" / "execution-report.json"
    if not report.exists():
        return set()
    executed = json.loads(report.read_text(encoding="utf-8")).get("executed", [])
    return {str(Path(item["path"]).with_suffix("")) for item in executed}


def outdated(app: Sphinx, env, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    return sorted(name for name in executed_docnames(app) & set(env.found_docs)
                  if name not in added and name not in changed)


def setup(app: Sphinx) -> dict:
    app.connect("env-get-outdated", outdated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
