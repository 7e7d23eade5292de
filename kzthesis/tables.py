"""Tables 1–3 of the thesis: ethnic composition, and peaceful assemblies recorded by KIBHR."""

from __future__ import annotations

import pandas as pd

from .data import DataError, load

NATURES = ("political", "economic", "social")


def ethnic_composition() -> pd.DataFrame:
    """Table 1 in long form: ethnicity, year, share (percent of the population)."""
    return load("ethnic_composition")


def ethnic_share(ethnicity: str, year: int) -> float:
    table = ethnic_composition()
    match = table[(table["ethnicity"].str.lower() == ethnicity.lower()) & (table["year"] == int(year))]
    if match.empty:
        raise DataError(f"{table.attrs['path']}: no share for {ethnicity} in {year}")
    return float(match["share"].iloc[0])


def peaceful_assemblies() -> pd.DataFrame:
    """Table 2: number of peaceful assemblies per period, 2010 to the first half of 2020."""
    return load("peaceful_assemblies")


def assemblies(period: str) -> int:
    table = peaceful_assemblies().set_index("period")
    if str(period) not in table.index:
        raise DataError(f"{table.attrs['path']}: no period '{period}'")
    return int(table.loc[str(period), "assemblies"])


def assembly_nature() -> pd.DataFrame:
    """Table 3: political, economic and social shares (percent) of the assemblies per period."""
    return load("assembly_nature")


def assembly_share(period: str, nature: str) -> float:
    """Share of `nature` among a period's assemblies; a blank cell of the thesis counts as 0."""
    if nature not in NATURES:
        raise DataError(f"unknown nature of assemblies '{nature}' (one of {', '.join(NATURES)})")
    table = assembly_nature().set_index("period")
    if str(period) not in table.index:
        raise DataError(f"{table.attrs['path']}: no period '{period}'")
    value = table.loc[str(period), nature]
    return 0.0 if pd.isna(value) else float(value)
