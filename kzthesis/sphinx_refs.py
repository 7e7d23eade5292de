"""Sphinx extension: the footnotes follow the citation style.

sphinxcontrib-bibtex formats a `{footcite}` footnote while it reads the page. An edit of
references.bib already makes Sphinx re-read the citing pages (the `{footbibliography}` directive
records the .bib file as a dependency), but a change of the style does not: neither
`bibtex_default_style` (a change Sphinx treats as needing no re-reading) nor the style's code
(kzthesis/bibstyle.py is no page's dependency). Without this extension the pages would keep
footnotes in the old style until `make clean`.

At each build it fingerprints the style (its name and the source of its module), compares that
with the fingerprint stored in the Sphinx environment by the previous build, and when they
differ has Sphinx re-read every page that cites a source or shows the bibliography. Re-reading
executes nothing: notebook outputs come from the execution cache.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from pathlib import Path

USES_REFERENCES = re.compile(r"\{(?:foot)?cite(?::[a-z]+)?\}`|\{(?:foot)?bibliography\}")
ENV_KEY = "kzthesis_citation_style"


def style_fingerprint(name: str) -> str:
    from pybtex.plugin import find_plugin

    try:
        style = find_plugin("pybtex.style.formatting", name)
        source = inspect.getsource(inspect.getmodule(style))
    except Exception:  # sphinxcontrib-bibtex reports an unknown style itself
        source = ""
    return hashlib.sha256(f"{name}\n{source}".encode("utf-8")).hexdigest()


def outdated(app, env, added, changed, removed) -> list[str]:
    fingerprint = style_fingerprint(app.config.bibtex_default_style)
    previous = getattr(env, ENV_KEY, None)
    setattr(env, ENV_KEY, fingerprint)
    if previous == fingerprint:
        return []
    stale = []
    for docname in sorted(env.found_docs - set(added) - set(changed)):
        try:
            text = Path(env.doc2path(docname)).read_text(encoding="utf-8")
        except OSError:
            continue
        if USES_REFERENCES.search(text):
            stale.append(docname)
    return stale


def setup(app):
    app.setup_extension("sphinxcontrib.bibtex")
    app.connect("env-get-outdated", outdated)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
