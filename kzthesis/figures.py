"""The book's figure style and the figures drawn from data/.

One style for HTML and PDF: a colour-blind-safe palette, vector output (SVG for the web,
PDF for LaTeX), and shares labelled with their counts so that no number is read off an axis.

Each public figure function records the data files its call used in `FIGURE_READS`
(``("survey_question_figure", (3,)) -> ["data/datapackage.json", ...]``): the build stores them
with the executed notebook, and the line under the figure names them.
"""

from __future__ import annotations

import functools
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from . import data, survey

PALETTE = "colorblind"
WIDTH_INCHES = 7.0


def apply_style() -> None:
    """Apply the book's look; also asks Jupyter for vector outputs (SVG for HTML, PDF for LaTeX)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook",
                  rc={"figure.dpi": 100, "savefig.bbox": "tight", "svg.fonttype": "none",
                      # Fixed element ids: the same figure gives the same SVG bytes.
                      "svg.hashsalt": "kzthesis"})
    _undated_vector_outputs()


def _undated_vector_outputs() -> None:
    """SVG and PDF outputs without a creation date, so that drawing a figure again from the same
    data gives the same bytes (and the book the same image file, not one more)."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not inside Jupyter: nothing to configure
        return
    shell = get_ipython()
    if shell is None:
        return
    set_matplotlib_formats("svg", "pdf")
    formatters = shell.display_formatter.formatters
    formatters["image/svg+xml"].for_type(
        Figure, functools.partial(print_figure, fmt="svg", metadata={"Date": None}))
    formatters["application/pdf"].for_type(
        Figure, functools.partial(print_figure, fmt="pdf", base64=True,
                                  metadata={"CreationDate": None}))


# (function name, arguments) -> repository-relative paths of the files that call used.
FIGURE_READS: dict[tuple[str, tuple], list[str]] = {}


def records_reads(function):
    """Record the files each call of the figure function `function` uses (see above)."""
    @functools.wraps(function)
    def drawn(*args):
        with data.recording() as reads:
            figure = function(*args)
        FIGURE_READS[(function.__name__, args)] = sorted(reads)
        return figure
    return drawn


def literal(text) -> str:
    r"""`text` drawn as written: matplotlib reads a text between two `$` as mathematics ("R&D $5
    and $10" would lose its dollars and set "5 and 10" in italics); an escaped `\$` is a dollar
    sign. Every text that comes from data passes through here."""
    return str(text).replace("$", r"\$")


def _wrap(text: str, width: int = 48) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _bars_height(labels) -> float:
    """Inches for the bars: generous for a few answers; for many (question 10 has two dozen
    groups), room for each wrapped label, so that the figure fits a printed page at full width
    and its 9-point labels stay readable in the PDF."""
    if len(labels) <= 8:
        return 0.75 * len(labels)
    return sum(0.12 + 0.15 * (_wrap(label).count("\n") + 1) for label in labels)


def _bar_chart(labels, shares, counts, lows, highs, xlabel: str) -> Figure:
    apply_style()
    height = 0.9 + _bars_height(labels)
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, height))
    positions = range(len(labels))
    colour = sns.color_palette(PALETTE)[0]
    ax.barh(list(positions), shares, color=colour, height=0.6)
    if lows is not None:
        ax.errorbar(shares, list(positions),
                    xerr=[[s - lo for s, lo in zip(shares, lows)], [hi - s for s, hi in zip(shares, highs)]],
                    fmt="none", ecolor="0.25", capsize=3, linewidth=1)
    for y, (s, k, hi) in enumerate(zip(shares, counts, highs if highs is not None else shares)):
        ax.text(hi + 1.0, y, f"{s:.1f}% ({k})", va="center", fontsize=9)
    ax.set_yticks(list(positions), [literal(_wrap(label)) for label in labels], fontsize=9)
    ax.invert_yaxis()
    upper = max(highs if highs is not None else shares)
    ax.set_xlim(0, min(100, upper + 18))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    fig.tight_layout()
    plt.close(fig)  # returned for display once; pyplot must not show it a second time
    return fig


@records_reads
def survey_question_figure(question: int) -> Figure:
    """Share of respondents choosing each answer, with counts and 95% Wilson intervals.

    Several answers were allowed, so the shares of a question add up to more than 100%.
    Question 10 (open answers) shows the grouped recommendations by mentions.
    """
    if question == 10:
        table = survey.recommendations()
        labels = table["text"]
    else:
        table = survey.answers(question)
        labels = table["text"]
    return _bar_chart(list(labels), list(table["share"]), list(table["count"]),
                      list(table["ci_low"]), list(table["ci_high"]),
                      "Share of respondents (%), with 95% confidence interval")


def _finish(fig: Figure) -> Figure:
    fig.tight_layout()
    plt.close(fig)
    return fig


@records_reads
def assemblies_figure() -> Figure:
    """Table 2: number of peaceful assemblies per period (KIBHR)."""
    from . import tables

    apply_style()
    table = tables.peaceful_assemblies()
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 3.6))
    bars = ax.bar([literal(label) for label in table["label"]], table["assemblies"],
                  color=sns.color_palette(PALETTE)[0])
    ax.bar_label(bars, fontsize=9, padding=2)
    ax.set_ylabel("Peaceful assemblies")
    ax.set_xlabel("Period")
    ax.tick_params(axis="x", labelrotation=30, labelsize=9)
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return _finish(fig)


@records_reads
def assembly_nature_figure() -> Figure:
    """Table 3: political, economic and social shares of the assemblies per period (stacked)."""
    from . import tables

    apply_style()
    table = tables.assembly_nature().merge(tables.peaceful_assemblies()[["period", "label"]], on="period")
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 3.8))
    bottom = [0.0] * len(table)
    colours = sns.color_palette(PALETTE, len(tables.NATURES))
    for nature, colour in zip(tables.NATURES, colours):
        values = [0.0 if pd.isna(v) else float(v) for v in table[nature]]  # blank cell = none
        ax.bar([literal(label) for label in table["label"]], values, bottom=bottom, color=colour,
               label=literal(nature.capitalize()))
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("Share of the period's assemblies (%)")
    ax.set_xlabel("Period")
    ax.set_ylim(0, 100)
    ax.tick_params(axis="x", labelrotation=30, labelsize=9)
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return _finish(fig)


@records_reads
def ethnic_composition_figure() -> Figure:
    """Table 1: share of the four largest groups named by the thesis, 1989–2021."""
    from . import tables

    apply_style()
    table = tables.ethnic_composition()
    table["ethnicity"] = table["ethnicity"].map(literal)  # the legend's labels
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 3.8))
    sns.lineplot(data=table, x="year", y="share", hue="ethnicity", style="ethnicity", markers=True,
                 dashes=False, ax=ax, palette=PALETTE)
    for row in table.itertuples():
        ax.annotate(f"{row.share:g}", (row.year, row.share), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xticks(sorted(table["year"].unique()))
    ax.set_ylabel("Share of the population (%)")
    ax.set_xlabel("Census or estimate year")
    ax.set_ylim(0, 80)
    ax.legend(title=None, frameon=False)
    sns.despine(ax=ax)
    return _finish(fig)


@records_reads
def chronology_figure() -> Figure:
    """Every count the chronology reports, by date: one bar each, on a logarithmic axis because
    the counts range from 2 to 20,000."""
    from . import chronology

    apply_style()
    table = chronology.counts().sort_values(["date", "value"], ascending=[True, False])
    labels = [f"{row.date:%-d} Jan: {literal(row.label)}" for row in table.itertuples()]
    fig, ax = plt.subplots(figsize=(WIDTH_INCHES, 0.9 + 0.38 * len(table)))
    colour = sns.color_palette(PALETTE)[0]
    ax.barh(labels, table["value"], color=colour, height=0.6)
    for y, value in enumerate(table["value"]):
        ax.text(value * 1.08, y, f"{value:,}", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(1, table["value"].max() * 4)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=9)
    ax.set_xlabel("Reported number (logarithmic scale)")
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    return _finish(fig)
