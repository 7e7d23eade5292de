"""The book's figure style and the figures drawn from data/.

One style for HTML and PDF: a colour-blind-safe palette, vector output (SVG for the web,
PDF for LaTeX), and shares labelled with their counts so that no number is read off an axis.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.figure import Figure

from . import survey

PALETTE = "colorblind"
WIDTH_INCHES = 7.0


def apply_style() -> None:
    """Apply the book's look; also asks Jupyter for vector outputs (SVG for HTML, PDF for LaTeX)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook",
                  rc={"figure.dpi": 100, "savefig.bbox": "tight", "svg.fonttype": "none"})
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not inside Jupyter: nothing to configure
        return
    set_matplotlib_formats("svg", "pdf")


def _wrap(text: str, width: int = 48) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _bar_chart(labels, shares, counts, lows, highs, xlabel: str) -> Figure:
    apply_style()
    height = 0.9 + 0.75 * len(labels)
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
    ax.set_yticks(list(positions), [_wrap(label) for label in labels], fontsize=9)
    ax.invert_yaxis()
    upper = max(highs if highs is not None else shares)
    ax.set_xlim(0, min(100, upper + 18))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    fig.tight_layout()
    plt.close(fig)  # returned for display once; pyplot must not show it a second time
    return fig


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
