"""Shared logic of the reproducible thesis on Kazakhstan's January 2022 protests.

Chapters and notebooks import this package to load and validate the thesis's data (`data`),
compute its statistics (`survey`, `tables`, `stats`), draw its figures (`figures`) and glue
numbers into the prose (`book`).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
