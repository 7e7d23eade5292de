"""Where a figure of the book comes from: the `kzthesis.figures` function call that draws it and
the files of `data/` that this call reads.

The build prints this under every figure (`tools/sphinxext/figure_provenance.py`); nothing here
knows about Sphinx. The files are not declared by hand: they are recorded by `kzthesis.data`
(`FILES_READ`) while the figure is drawn, after every cached read has been forgotten, so a figure
function that starts reading another file names it at the next build.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from . import data


@dataclass(frozen=True)
class FigureCall:
    """A call of a function of `kzthesis.figures` with literal arguments, e.g.
    ``survey_question_figure(3)``."""

    function: str
    args: tuple = ()

    def __str__(self) -> str:
        return f"{self.function}({', '.join(repr(a) for a in self.args)})"

    @property
    def slug(self) -> str:
        """A name usable as a label or HTML id: ``survey-question-figure-3``."""
        parts = [self.function, *map(str, self.args)]
        return "-".join(p.replace("_", "-").lower() for p in parts)


def figure_call(source: str) -> FigureCall | None:
    """The figure call that the code cell `source` ends with (the expression Jupyter displays),
    or None when its last statement is not a call of a `kzthesis.figures` function with
    literal arguments."""
    from . import figures

    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (magics): not a figure cell of this book
        return None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    call = tree.body[-1].value
    if not isinstance(call, ast.Call) or call.keywords:
        return None
    if isinstance(call.func, ast.Name):
        name = call.func.id
    elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
            and call.func.value.id == "figures":
        name = call.func.attr
    else:
        return None
    if name.startswith("_") or not callable(getattr(figures, name, None)):
        return None
    try:
        args = tuple(ast.literal_eval(arg) for arg in call.args)
    except ValueError:
        return None
    return FigureCall(name, args)


def files_read(call: FigureCall) -> tuple[str, ...]:
    """Repository-relative paths of the `data/` files that drawing `call` reads, sorted."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from . import figures

    earlier = set(data.FILES_READ)
    data.reset()  # a cached load would read nothing and so record nothing
    data.FILES_READ.clear()
    try:
        figure = getattr(figures, call.function)(*call.args)
        plt.close(figure)
        return tuple(sorted(p for p in data.FILES_READ if p.startswith("data/")))
    finally:
        data.FILES_READ.update(earlier)
