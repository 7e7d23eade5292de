"""Shared logic of the reproducible thesis on Kazakhstan's January 2022 protests.

Chapters and notebooks import this package to load and validate the thesis's data (`data`),
compute its statistics (`survey`, `tables`, `stats`), draw its figures (`figures`) and glue
numbers into the prose (`book`).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"


def execution_record() -> dict:
    """What this process has used, for the build's notebook cache (tools/execute_notebooks.py
    prints this at the end of every execution): the repository files read through
    `kzthesis.data`, the package's modules imported, and the files each figure call used."""
    import sys

    data = sys.modules.get(f"{__name__}.data")
    figures = sys.modules.get(f"{__name__}.figures")
    modules = [module.__file__ for name, module in list(sys.modules.items())
               if name.split(".")[0] == __name__ and getattr(module, "__file__", None)]
    return {
        "files": sorted(data.FILES_READ) if data else [],
        "modules": sorted(modules),
        "figures": [{"function": function, "args": list(args), "files": files}
                    for (function, args), files in (figures.FIGURE_READS.items() if figures else [])],
    }
