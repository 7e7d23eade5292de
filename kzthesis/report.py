"""Tables of data/ rendered as numbered MyST tables inside notebook outputs.

A code cell that returns `numbered_table(...)` outputs Markdown that myst-nb parses as MyST
(`nb_render_markdown_format: myst`), so the table gets a number, a caption and a label that
`{numref}` can point to, in HTML and PDF alike.
"""

from __future__ import annotations

import re

import pandas as pd
from IPython.display import Markdown


def numbered_table(frame: pd.DataFrame, caption: str, label: str, floatfmt: str = "g",
                   align: str | None = None) -> Markdown:
    body = frame.to_markdown(index=False, floatfmt=floatfmt, colalign=align)
    return Markdown(f":::{{table}} {caption}\n:name: {label}\n:align: center\n\n{body}\n:::\n")


def text_table(frame: pd.DataFrame) -> Markdown:
    """A plain table whose cells show their text as written (Markdown punctuation escaped), so
    that it is a real table in the HTML, the PDF and the EPUB alike (a pandas Styler renders
    in HTML only: LaTeX would print its repr)."""
    def cell(value) -> str:
        return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(str(value).split()))

    rows = [[cell(c) for c in frame.columns], ["---"] * len(frame.columns)]
    rows += [[cell(v) for v in record] for record in frame.itertuples(index=False)]
    return Markdown("\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n")


def titled_table(frame: pd.DataFrame, title: str) -> Markdown:
    """An unnumbered table under a bold title (the thesis numbers only Tables 1–3)."""
    return Markdown(f"**{title}**\n\n{frame.to_markdown(index=False)}\n")


def survey_table(question: int) -> pd.DataFrame:
    """The appendix table of a question: options, responses, share of N and its 95% interval."""
    from . import survey

    if question == 10:
        table = survey.recommendations()
        label = "Respondents' recommendations, grouped by main mentions"
    else:
        table = survey.answers(question)
        label = "Answer choices"
    return pd.DataFrame({
        label: table["text"],
        "Responses" if question != 10 else "Mentions": table["count"],
        "Share of respondents": [f"{s:.1f} %" for s in table["share"]],
        "95% interval (this edition)": [f"{lo:.1f}–{hi:.1f} %" for lo, hi in zip(table["ci_low"], table["ci_high"])],
    })


def ethnic_composition_table() -> pd.DataFrame:
    """Table 1 as printed: one row per group, one column per year."""
    from . import tables

    wide = tables.ethnic_composition().pivot(index="ethnicity", columns="year", values="share")
    order = list(dict.fromkeys(tables.ethnic_composition()["ethnicity"]))
    wide = wide.loc[order]
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index().rename(columns={"ethnicity": "Ethnicity"})


def _period_columns(frame: pd.DataFrame, values: dict[str, str]) -> pd.DataFrame:
    """Periods as columns (the thesis's layout), rows named by `values`."""
    from . import tables

    labels = tables.peaceful_assemblies().set_index("period")["label"]
    rows = []
    for column, title in values.items():
        row = {"": title}
        for period, value in zip(frame["period"], frame[column]):
            row[labels[period]] = "" if pd.isna(value) else f"{value:g}"
        rows.append(row)
    return pd.DataFrame(rows)


def assemblies_table() -> pd.DataFrame:
    """Table 2 as printed: the number of peaceful assemblies per period."""
    from . import tables

    return _period_columns(tables.peaceful_assemblies(), {"assemblies": "Number of peaceful assemblies"})


def assembly_nature_table() -> pd.DataFrame:
    """Table 3 as printed: political, economic and social shares (%) per period."""
    from . import tables

    return _period_columns(tables.assembly_nature(),
                           {nature: f"{nature.capitalize()} (%)" for nature in tables.NATURES})


PAGE_TITLES = {"introduction": "Introduction", "chapter1": "Chapter 1", "chapter2": "Chapter 2",
               "chapter3": "Chapter 3", "chapter4": "Chapter 4", "conclusions": "General conclusions",
               "survey-results": "Survey results", "tables": "Tables", "chronology": "Chronology"}


def errata_table(comparisons: pd.DataFrame) -> Markdown:
    """The disagreements between printed and recomputed numbers, linked to their pages."""
    errata = comparisons[~comparisons["agrees"]]
    if errata.empty:
        return Markdown("*Every printed number agrees with the data.*")
    frame = pd.DataFrame({
        "Page": [f"{{doc}}`{PAGE_TITLES.get(p, p)} <{p}>`" for p in errata["page"]],
        "Where": errata["where"],
        "Printed": errata["printed"],
        "Recomputed from data": [f"{v:.{max(1, len(p.split('.')[1]) if '.' in p else 0)}f}"
                                 for p, v in zip(errata["printed"], errata["recomputed"])],
        "Quantity": [f"`{q}`" for q in errata["quantity"]],
    })
    return Markdown(frame.to_markdown(index=False))


def edition_notes_list() -> Markdown:
    """The edition notes, one list per page in the book's order: a list, not a table, so that
    long quotations and web addresses wrap on a printed page as well as on a phone."""
    from .edition import edition_notes

    notes = edition_notes()
    parts = []
    for page, group in notes.groupby("page", sort=False):
        title = PAGE_TITLES.get(page, page)
        items = [
            f"- Line {row.seed_line}, {row.kind}: the seed prints “{_inline(row.seed_text)}”; this "
            f"edition prints “{_inline(row.edition_text)}”. {_inline(row.note)}"
            for row in group.itertuples()
        ]
        parts.append(f"**{{doc}}`{title} <{page}>`** ({len(group)} notes)\n\n" + "\n".join(items) + "\n")
    return Markdown("\n".join(parts))


def _inline(text: str) -> str:
    """Quoted text shown literally (no MyST markup), web addresses as links that can wrap."""
    words = []
    for word in str(text).split():
        if word.startswith(("http://", "https://")):
            trail = word[len(word.rstrip(".,;)")):]
            words.append(f"<{word[:len(word) - len(trail)]}>{_code_safe(trail)}")
        else:
            words.append(_code_safe(word))
    return " ".join(words)


def _code_safe(text: str) -> str:
    """Text shown literally: no line breaks, and no Markdown or MyST markup (roles, emphasis,
    footnote references, dollar signs, angle brackets)."""
    text = " ".join(str(text).split())
    for character in "\\|$`{}*_[]<>#":
        text = text.replace(character, "\\" + character)
    return text


def show(frame: pd.DataFrame, floatfmt: str = "g", index: bool = False) -> Markdown:
    """A data frame as a Markdown table: a real table in the HTML, the PDF and the EPUB alike
    (pandas' own display is HTML for the web and a verbatim text block in LaTeX)."""
    frame = frame.reset_index() if index else frame
    # A missing value is an empty cell (pandas would print <NA>, which Markdown reads as a tag).
    frame = frame.astype(object).where(frame.notna(), "")
    return Markdown(frame.to_markdown(index=False, floatfmt=floatfmt) + "\n")
