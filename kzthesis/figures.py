"""The book's figure style and the figures drawn from data/.

One style for HTML and PDF: a colour-blind-safe palette, vector output (SVG for the web,
PDF for LaTeX), and shares labelled with their counts so that no number is read off an axis.
The PDF's copy of a figure is drawn again by the same call for print (`printed_copy`), by the
PDF build and not by the notebooks (the web book needs none): as wide as the PDF's text block, in
its body font (FreeSerif, embedded as TrueType) at 8–9 pt, with long labels wrapped shorter; the
data, the palette and the layout are the same. The SVG output of a figure names its call in its
metadata (`DRAWN_BY`) for that.

Each public figure function records the data files its call used in `FIGURE_READS`
(``("survey_question_figure", (3,)) -> ["data/datapackage.json", ...]``): the build stores them
with the executed notebook, and the line under the figure names them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from . import data, stats, survey

PALETTE = "colorblind"
WIDTH_INCHES = 7.0


@dataclass(frozen=True)
class Medium:
    """What differs between the screen's and the printed copy of a figure."""
    width: float  # inches
    wrap: int  # characters of a long label's line
    context: str  # seaborn's scale of the text
    font: str | list[str]  # families: a letter missing from the first is taken from the next
    label_size: float  # pt: the numbers at the bars, the tick labels set by hand
    row: tuple[float, float]  # inches of a bar's row with many bars: padding, each label line
    rc: dict


SCREEN = Medium(WIDTH_INCHES, 48, "notebook", "sans-serif", 9, (0.12, 0.15), {})
# The PDF's text block is 108 mm wide (book_extensions/thesis.sty) and its body font FreeSerif;
# TrueType fonts (pdf.fonttype 42), never Type 3; the text of the charts at 8–9 pt.
PRINT_FONT = "FreeSerif"
PRINT_CHART_FONT = "FreeSerif for charts"  # a smaller copy of it, see _chart_copy_of_font
# The labels' lines are longer than on screen and closer, so that question 10's two dozen bars
# fit a page of the text block.
PRINT = Medium(108 / 25.4, 40, "paper", [PRINT_CHART_FONT, PRINT_FONT], 8, (0.05, 0.135), {
    # The figure's own size, the text block's width: not cropped to its drawing, which labels
    # reaching past it would make wider, and LaTeX then scale down.
    "savefig.bbox": "standard",
    "pdf.fonttype": 42, "font.size": 9, "axes.labelsize": 9,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
    "mathtext.fontset": "custom", "mathtext.rm": PRINT_FONT, "mathtext.it": f"{PRINT_FONT}:italic",
    "mathtext.bf": f"{PRINT_FONT}:bold"})
_medium = SCREEN


def apply_style() -> None:
    """Apply the book's look; also asks Jupyter for vector outputs (SVG for HTML, PDF for LaTeX)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context=_medium.context, font=_medium.font,
                  rc={"figure.dpi": 100, "savefig.bbox": "tight", "svg.fonttype": "none",
                      # Fixed element ids: the same figure gives the same SVG bytes.
                      "svg.hashsalt": "kzthesis", **_medium.rc})
    _undated_vector_outputs()


@functools.cache
def _print_font_installed() -> None:
    """Make FreeSerif (its font list may predate the font) and its copy for charts (below) known
    to matplotlib."""
    from matplotlib import font_manager

    files = [f for f in font_manager.findSystemFonts()
             if f.rsplit("/", 1)[-1].startswith(PRINT_FONT) and f.endswith(".ttf")]
    if not files:
        raise RuntimeError(f"the font {PRINT_FONT} (TrueType, Debian package fonts-freefont-ttf) is "
                           f"not installed: the PDF's charts are set in it; run "
                           f"`tools/debian-packages.sh base`")
    for path in files:
        font_manager.fontManager.addfont(path)
        font_manager.fontManager.addfont(_chart_copy_of_font(Path(path)))


# The letters of the charts' labels (English, Russian and Kazakh words, numbers, punctuation):
# Latin, Greek, Cyrillic, punctuation, currency, letterlike and mathematical signs, ligatures.
CHART_FONT_BLOCKS = ((0x20, 0x24F), (0x370, 0x52F), (0x1E00, 0x1EFF), (0x2000, 0x22FF),
                     (0xFB00, 0xFB06))
CHART_FONT_SCRIPTS = ("DFLT", "latn", "grek", "cyrl")


def _chart_copy_of_font(path: Path) -> Path:
    """A copy of a FreeSerif file holding CHART_FONT_BLOCKS with their ligatures and kerning, under
    the family name PRINT_CHART_FONT (its PostScript name, which the PDF shows, stays FreeSerif).

    Embedding a font, matplotlib subsets it with fontTools, which reads the font's tables whole,
    twice per chart: FreeSerif covers a dozen scripts, and reading it was most of a printed
    chart's cost (0.43 s a chart; 0.17 s from this copy, drawn identically). A letter outside
    the copy is drawn from FreeSerif itself (PRINT lists both). Made once per font file and
    fontTools version, in matplotlib's cache folder, shared by every kernel.
    """
    import hashlib

    import fontTools
    import matplotlib
    from fontTools import subset

    stat = path.stat()
    key = hashlib.sha256(f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{fontTools.version}|"
                         f"{CHART_FONT_BLOCKS}|{CHART_FONT_SCRIPTS}".encode()).hexdigest()[:16]
    copy = Path(matplotlib.get_cachedir()) / "kzthesis-chart-fonts" / f"{path.stem}-{key}.ttf"
    if copy.exists():
        return copy
    options = subset.Options(glyph_names=True, notdef_outline=True, name_IDs=["*"],
                             name_languages=["*"], legacy_kern=True, hinting=True,
                             layout_features=["*"], layout_scripts=list(CHART_FONT_SCRIPTS))
    options.drop_tables += ["FFTM"]  # FontForge's timestamp, which matplotlib drops too
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for code in font.getBestCmap()
                                 if any(low <= code <= high for low, high in CHART_FONT_BLOCKS)])
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 16):  # the family (and typographic family) name
            record.string = PRINT_CHART_FONT
    copy.parent.mkdir(parents=True, exist_ok=True)
    # Kernels running side by side may make it at once: each writes a file of its own, then
    # renames it into place, so that none reads a half-written font.
    partial = copy.with_name(f"{copy.name}.{os.getpid()}.partial")
    subset.save_font(font, str(partial), options)
    os.replace(partial, copy)
    return copy


@contextlib.contextmanager
def print_medium():
    """Figures drawn inside are the printed copies (`PRINT`); matplotlib's settings are restored
    afterwards."""
    global _medium
    _print_font_installed()
    previous = _medium
    with plt.rc_context():
        _medium = PRINT
        try:
            yield
        finally:
            _medium = previous


# The key of a figure's SVG output metadata that names the call drawing it: {"function": name,
# "args": [...]}, a call of this module's public functions with JSON arguments.
DRAWN_BY = "kzthesis_drawn_by"


def printed_copy(function: str, args: list) -> bytes:
    """The PDF of the figure that `function(*args)` draws, drawn for print (`PRINT`)."""
    from IPython.core.pylabtools import print_figure

    drawing = globals().get(function)
    if function.startswith("_") or getattr(drawing, "__wrapped__", None) is None:
        raise ValueError(f"{function} is not a figure function of kzthesis.figures")
    with print_medium():
        return print_figure(drawing(*args), fmt="pdf", bbox_inches=None,
                            metadata={"CreationDate": None})


def _svg_output(fig: Figure):
    """The SVG output of a figure, with the call that drew it (if a function here did) in its
    metadata, for the printed copy."""
    from IPython.core.pylabtools import print_figure

    svg = print_figure(fig, fmt="svg", metadata={"Date": None})
    drawn_by = getattr(fig, DRAWN_BY, None)
    if drawn_by is None:
        return svg
    function, args = drawn_by
    return svg, {DRAWN_BY: {"function": function.__name__, "args": list(args)}}


def _pdf_output(fig: Figure) -> str | None:
    """The PDF output (base64) of a figure that no function here drew, as drawn for the screen;
    none for the others, whose printed copy the PDF build draws."""
    from IPython.core.pylabtools import print_figure

    if getattr(fig, DRAWN_BY, None) is not None:
        return None
    return print_figure(fig, fmt="pdf", base64=True, metadata={"CreationDate": None})


def _undated_vector_outputs() -> None:
    """SVG and PDF outputs without a creation date, so that drawing a figure again from the same
    data gives the same bytes (and the book the same image file, not one more)."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not inside Jupyter: nothing to configure
        return
    shell = get_ipython()
    if shell is None:
        return
    set_matplotlib_formats("svg", "pdf")
    formatters = shell.display_formatter.formatters
    formatters["image/svg+xml"].for_type(Figure, _svg_output)
    formatters["application/pdf"].for_type(Figure, _pdf_output)


# (function name, arguments) -> repository-relative paths of the files that call used.
FIGURE_READS: dict[tuple[str, tuple], list[str]] = {}


def records_reads(function):
    """Record the files each call of the figure function `function` uses (see above)."""
    @functools.wraps(function)
    def drawn(*args):
        with data.recording() as reads:
            figure = function(*args)
        FIGURE_READS[(function.__name__, args)] = sorted(reads)
        setattr(figure, DRAWN_BY, (function, args))  # for its printed copy (_svg_output)
        return figure
    return drawn


def literal(text) -> str:
    r"""`text` drawn as written: matplotlib reads a text between two `$` as mathematics ("R&D $5
    and $10" would lose its dollars and set "5 and 10" in italics); an escaped `\$` is a dollar
    sign. Every text that comes from data passes through here."""
    return str(text).replace("$", r"\$")


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(str(text), _medium.wrap)) or str(text)


def _slots(labels) -> list[float]:
    """Inches of each bar's row: generous for a few answers; for many (question 10 has two
    dozen groups), room for each wrapped label's lines, so that no label reaches its
    neighbour's and the figure fits a printed page."""
    if len(labels) <= 8:
        return [0.75] * len(labels)
    padding, line = _medium.row
    return [padding + line * (_wrap(label).count("\n") + 1) for label in labels]


def _bar_chart(labels, shares, counts, lows, highs, xlabel: str) -> Figure:
    apply_style()
    slots = _slots(labels)
    fig, ax = plt.subplots(figsize=(_medium.width, 0.9 + sum(slots)))
    # The y axis is in inches of bars: each bar at the middle of its row.
    positions = [sum(slots[:i]) + slot / 2 for i, slot in enumerate(slots)]
    colour = sns.color_palette(PALETTE)[0]
    ax.barh(positions, shares, color=colour, height=0.6 * min(slots))
    if lows is not None:
        ax.errorbar(shares, positions,
                    xerr=[[s - lo for s, lo in zip(shares, lows)], [hi - s for s, hi in zip(shares, highs)]],
                    fmt="none", ecolor="0.25", capsize=3, linewidth=1)
    for y, s, k, hi in zip(positions, shares, counts, highs if highs is not None else shares):
        ax.annotate(f"{s:.1f}% ({k})", (hi, y), xytext=(5, 0), textcoords="offset points",
                    va="center", fontsize=_medium.label_size)
    ax.set_yticks(positions, [literal(_wrap(label)) for label in labels], fontsize=_medium.label_size)
    ax.set_ylim(sum(slots), 0)
    upper = max(highs if highs is not None else shares)
    ax.set_xlim(0, min(100, upper + 18))
    # In print the axis is narrower than the label: two lines, within the figure's width.
    ax.set_xlabel(xlabel if _medium is SCREEN else textwrap.fill(xlabel, 32))
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    fig.tight_layout()
    plt.close(fig)  # returned for display once; pyplot must not show it a second time
    return fig


@records_reads
def survey_question_figure(question: int) -> Figure:
    """Share of respondents choosing each answer, with counts and Wilson intervals (at the level
    of `stats.CONFIDENCE`).

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
                      f"Share of respondents (%), with {stats.confidence_percent():g}% confidence interval")


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
    fig, ax = plt.subplots(figsize=(_medium.width, 3.6))
    bars = ax.bar([literal(label) for label in table["label"]], table["assemblies"],
                  color=sns.color_palette(PALETTE)[0])
    ax.bar_label(bars, fontsize=_medium.label_size, padding=2)
    ax.set_ylabel("Peaceful assemblies")
    ax.set_xlabel("Period")
    ax.tick_params(axis="x", labelrotation=30, labelsize=_medium.label_size)
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return _finish(fig)


@records_reads
def assembly_nature_figure() -> Figure:
    """Table 3: political, economic and social shares of the assemblies per period (stacked)."""
    from . import tables

    apply_style()
    table = tables.assembly_nature().merge(tables.peaceful_assemblies()[["period", "label"]], on="period")
    fig, ax = plt.subplots(figsize=(_medium.width, 3.8))
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
    ax.tick_params(axis="x", labelrotation=30, labelsize=_medium.label_size)
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
    fig, ax = plt.subplots(figsize=(_medium.width, 3.8))
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
    fig, ax = plt.subplots(figsize=(_medium.width, 0.9 + 0.38 * len(table)))
    colour = sns.color_palette(PALETTE)[0]
    ax.barh(labels, table["value"], color=colour, height=0.6)
    for y, value in enumerate(table["value"]):
        ax.text(value * 1.08, y, f"{value:,}", va="center", fontsize=_medium.label_size)
    ax.set_xscale("log")
    ax.set_xlim(1, table["value"].max() * 4)
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=_medium.label_size)
    ax.set_xlabel("Reported number (logarithmic scale)")
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    return _finish(fig)
