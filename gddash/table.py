"""The comparison table as people read it.

``compare.summary_table`` keeps full-precision numbers (for tests and the CSV
download); this module shows them: a few significant digits, words for
statuses, "diverged" where a diverged run's number means nothing, the columns
people compare first on the left, and the best value of each column marked.
"""

from __future__ import annotations

import math

import pandas as pd
from pandas.io.formats.style import Styler

from gddash import titles

# Left to right in the order a reader compares variants.
FIRST = ["variant", "status", "final loss", "gap to optimum", "R²", "accuracy"]
LOWER_IS_BETTER = [
    "final loss",
    "validation loss",
    "gap to optimum",
    "distance to θ*",
    "seconds",
    "seconds to 1%",
    "epochs to 1%",
    "rows to 1%",
    "final ‖∇L‖",
]
HIGHER_IS_BETTER = ["R²", "accuracy"]
# What a diverged run still reports truthfully: how much work it did.
COUNTS = ["epochs", "updates", "rows processed", "seconds"]
WHOLE = ["updates", "rows processed", "rows to 1%"]
BEST_STYLE = "font-weight: bold; background-color: rgba(46,160,67,0.25)"
# A value that does not exist (a threshold not reached, a run that never
# diverged). st.dataframe shows a missing cell as "None" whatever a Styler's
# format says: pass it ``placeholder=MISSING`` too.
MISSING = "—"


def readable(value: object, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits; scientific if very large or small."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if number == 0 or 1e-3 <= abs(number) < 1e6:
        return f"{number:.{digits}g}"
    return f"{number:.{min(digits, 3) - 1}e}".replace("e+0", "e+").replace("e-0", "e-")


def whole(value: object) -> str:
    """A count with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{int(value):,}"


def ordered(table: pd.DataFrame) -> pd.DataFrame:
    """The columns to show, first those people compare first; no empty columns.

    The status message is long prose: the page shows it beside the table.
    """
    shown = table.drop(columns=["message"], errors="ignore").dropna(axis=1, how="all")
    first = [c for c in FIRST if c in shown]
    return shown[first + [c for c in shown if c not in first]]


def styled(table: pd.DataFrame) -> Styler:
    """``table`` (from ``compare.summary_table``) formatted and with its best marked."""
    shown = ordered(table)
    diverged = shown["status"] == "diverged"
    shown = shown.assign(
        status=shown["status"].map(titles.STATUS).fillna(shown["status"])
    )

    def mark(column: pd.Series) -> list[str]:
        values = pd.to_numeric(column, errors="coerce").where(~diverged)
        if values.notna().sum() < 2:
            return [""] * len(column)
        best = values.max() if column.name in HIGHER_IS_BETTER else values.min()
        return [BEST_STYLE if v == best else "" for v in values]

    styler = shown.style
    present = [c for c in LOWER_IS_BETTER + HIGHER_IS_BETTER if c in shown]
    styler = styler.apply(mark, subset=present)
    numeric = [c for c in shown if c not in ("variant", "status")]
    styler = styler.format({c: whole if c in WHOLE else readable for c in numeric})
    meaningless = [c for c in numeric if c not in COUNTS]
    if diverged.any() and meaningless:
        styler = styler.format(
            lambda _: "diverged", subset=(shown.index[diverged], meaningless)
        )
    return styler


def as_text(table: pd.DataFrame, columns: list[str] | None = None) -> str:
    """``table`` as plain text for a terminal: ``columns`` (default: all of
    ``ordered``'s) that hold a value, numbers as ``readable`` digits and counts
    whole, "diverged" where a diverged run's number means nothing."""
    shown = ordered(table)
    if columns is not None:
        shown = shown[[c for c in columns if c in shown]]
    diverged = table.loc[shown.index, "status"] == "diverged"
    cells = {}
    for name, column in shown.items():
        if name in ("variant", "status"):  # words, aligned left
            if name == "status":
                column = column.map(titles.STATUS).fillna(column)
            width = max(len(name), *column.str.len())
            cells[name.ljust(width)] = column.str.ljust(width)
        else:
            text = column.map(whole if name in WHOLE else readable)
            cells[name] = text if name in COUNTS else text.where(~diverged, "diverged")
    return pd.DataFrame(cells).to_string(index=False)
