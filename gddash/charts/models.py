"""Charts of a fitted model: the coefficient path over the penalty strength, and
how a classifier's predictions fall per class (confusion matrix, accuracy).

Pure builders over plain arrays and frames, so that any caller (the compare
page, a lesson, a test) can draw them. Feature names and class labels are user
text: they reach Altair only as data values and titles, never as field names.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from gddash.charts.style import (
    MAX_DATASET_ROWS,
    REFERENCE_COLOR,
    RULE_COLORS,
    described,
    evenly,
    field_tip,
    log_axis,
    sentence,
)

# Six hues that keep >= 3:1 contrast on white and on Streamlit's dark background
# (style.RULE_COLORS); past six coefficients the dash pattern tells lines apart.
PATH_COLORS = tuple(RULE_COLORS.values())
PATH_DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3])
LEGEND_FEATURES = 12  # more coefficients than this: no legend, hover names them
# A light cell (no rows) to the batch variant's blue (every row); the count is
# written in black or white on the cell, whichever the fill leaves readable.
CELL_RANGE = ["#F5F5F5", "#0072B2"]
BAR_COLOR = "#0072B2"
PATH_COLUMNS = ("alpha", "feature", "coefficient")


def coefficient_path(path: pd.DataFrame, chosen_alpha: float) -> alt.LayerChart:
    """Each coefficient as a line over the penalty strength alpha (log axis).

    The lasso / ridge path: how every coefficient shrinks as alpha grows, with a
    dashed rule at the alpha of the run. Hovering names the coefficient and its
    value. Rows with alpha <= 0 or a non-finite value cannot be drawn on a log
    axis and are left out (the subtitle says how many).

    Parameters
    ----------
    path : pandas.DataFrame
        Long (tidy) rows, one per (alpha, coefficient):

        * ``alpha`` : float > 0, the penalty strength;
        * ``feature`` : str, the coefficient's name (user text, shown as data);
        * ``coefficient`` : float, its value at that alpha.

        Extra columns are ignored. Lines keep the order in which features first
        appear; each is thinned evenly so that all stay within
        ``MAX_DATASET_ROWS`` rows.
    chosen_alpha : float
        The run's alpha, marked by the rule; <= 0 (no penalty) draws no rule.

    Returns
    -------
    alt.LayerChart
        Layers: lines, hover points, and the rule when ``chosen_alpha > 0``.
    """
    missing = [c for c in PATH_COLUMNS if c not in path.columns]
    if missing:
        raise ValueError(
            "path must have the columns 'alpha', 'feature' and 'coefficient'. "
            f"Missing: {', '.join(repr(c) for c in missing)}."
        )
    rows, dropped = _path_rows(path)
    features = list(pd.unique(rows["feature"]))
    alphas = rows["alpha"].to_numpy()
    chosen = float(chosen_alpha)
    marked = bool(np.isfinite(chosen) and chosen > 0)
    spanned = np.concatenate([alphas, [chosen] if marked else []])
    x = alt.X(
        field="alpha",
        type="quantitative",
        scale=alt.Scale(type="log"),
        axis=log_axis(spanned, "penalty strength alpha (log)"),
    )
    y = alt.Y(
        field="coefficient",
        type="quantitative",
        axis=alt.Axis(format="~f", title="coefficient", titleLimit=0),
    )
    legend = (
        alt.Legend(
            title="coefficient",
            orient="bottom",
            direction="horizontal",
            columns=2,
            labelLimit=0,
        )
        if len(features) <= LEGEND_FEATURES
        else None
    )
    color = alt.Color(
        field="feature",
        type="nominal",
        scale=alt.Scale(domain=features, range=list(PATH_COLORS)),
        legend=legend,
    )
    dash = alt.StrokeDash(
        field="feature",
        type="nominal",
        scale=alt.Scale(
            domain=features,
            range=[
                PATH_DASHES[(k // len(PATH_COLORS)) % len(PATH_DASHES)]
                for k in range(len(features))
            ],
        ),
        legend=None,
    )
    tooltip = [
        field_tip("feature", title="coefficient of"),
        field_tip("alpha", "quantitative", title="alpha", format=".4g"),
        field_tip("coefficient", "quantitative", title="value", format=".6g"),
    ]
    hover = alt.selection_point(
        on="pointerover", nearest=True, clear="pointerout", empty=False, name="hover"
    )
    base = alt.Chart(rows).encode(x=x, y=y, color=color)
    layers: list[alt.Chart] = [
        base.mark_line(strokeWidth=2).encode(strokeDash=dash),
        base.mark_point(filled=True, size=45)
        .encode(
            opacity=alt.when(hover).then(alt.value(1.0)).otherwise(alt.value(0.0)),
            tooltip=tooltip,
        )
        .add_params(hover),
    ]
    subtitle = []
    if marked:
        rule = pd.DataFrame({"alpha": [chosen], "label": ["chosen alpha"]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(color=REFERENCE_COLOR, strokeDash=[4, 3], strokeWidth=1.5)
            .encode(
                x=alt.X(
                    field="alpha", type="quantitative", scale=alt.Scale(type="log")
                ),
                tooltip=[
                    field_tip("label", title="line"),
                    field_tip("alpha", "quantitative", title="alpha", format=".4g"),
                ],
            )
        )
        subtitle.append(f"Dashed line: the chosen alpha = {chosen:.4g}.")
    else:
        subtitle.append("No penalty was chosen (alpha = 0), so no alpha is marked.")
    if legend is None:
        subtitle.append("Hover a line to name its coefficient.")
    if dropped:
        subtitle.append(
            f"{dropped:,} point(s) with alpha <= 0 or a non-finite value are not drawn."
        )
    title = "Coefficients along the penalty path"
    chart = alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"), height=360
    )
    where = f"a dashed line at the chosen alpha = {chosen:.4g}" if marked else ""
    return described(
        chart,
        sentence(
            f"Line chart: each of the {len(features)} coefficients against the "
            "penalty strength alpha on a log axis"
            + (f", with {where}" if where else "")
        ),
    )


def _path_rows(path: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(alpha, feature, coefficient) rows that a log axis can draw, thinned per line.

    Returns the rows and the number left out for alpha <= 0 or non-finite values.
    """
    alpha = pd.to_numeric(path["alpha"], errors="coerce").to_numpy(dtype=float)
    value = pd.to_numeric(path["coefficient"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(alpha) & (alpha > 0) & np.isfinite(value)
    rows = pd.DataFrame(
        {
            "alpha": alpha[keep],
            "feature": path["feature"].astype(str).to_numpy()[keep],
            "coefficient": value[keep],
        }
    )
    features = pd.unique(rows["feature"])
    per_line = MAX_DATASET_ROWS // max(len(features), 1)
    parts = []
    for feature in features:
        line = rows[rows["feature"] == feature].sort_values("alpha", kind="stable")
        parts.append(line.iloc[evenly(len(line), max(per_line, 2))])
    thinned = (
        pd.concat(parts, ignore_index=True) if parts else rows.reset_index(drop=True)
    )
    return thinned, int((~keep).sum())


def confusion_matrix(
    labels: Sequence[object],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    title: str = "Confusion matrix",
) -> alt.LayerChart:
    """Rows of each actual class (rows of the grid) by predicted class (columns).

    A heatmap with the count written in each cell; the diagonal holds the rows
    predicted right. Every class pair gets a cell, zeros included.

    Parameters
    ----------
    labels : sequence of K labels
        Class k's label (user text, shown as data), e.g. ``Dataset.class_labels``.
    y_true, y_pred : ndarray of shape (n_rows,)
        Class indices 0..K−1 (whole floats accepted, as ``Dataset.y`` holds them).
    title : str, default "Confusion matrix"
        Plain text, e.g. the variant and which rows.

    Returns
    -------
    alt.LayerChart
        Layers: cells, counts.
    """
    names, actual, predicted = _predictions(labels, y_true, y_pred)
    k = len(names)
    counts = np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k)
    totals = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = counts / totals[:, None]
    cells = pd.DataFrame(
        {
            "actual": np.repeat(names, k),
            "predicted": np.tile(names, k),
            "rows": counts.ravel(),
            "share": share.ravel(),  # NaN for a class without rows: null in JSON
        }
    )
    x = alt.X(
        field="predicted",
        type="nominal",
        sort=names,
        axis=alt.Axis(title="predicted class", labelAngle=-45, titleLimit=0),
    )
    y = alt.Y(
        field="actual",
        type="nominal",
        sort=names,
        axis=alt.Axis(title="actual class", titleLimit=0),
    )
    peak = max(int(counts.max()), 1)
    fill = (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                field="rows",
                type="quantitative",
                scale=alt.Scale(domain=[0, peak], range=CELL_RANGE),
                legend=alt.Legend(title="rows", orient="bottom"),
            ),
            tooltip=[
                field_tip("actual", title="actual class"),
                field_tip("predicted", title="predicted class"),
                field_tip("rows", "quantitative", format=","),
                field_tip(
                    "share", "quantitative", title="share of actual class", format=".1%"
                ),
            ],
        )
    )
    text = (
        alt.Chart(cells)
        .mark_text(fontSize=12)
        .encode(
            x=x,
            y=y,
            text=alt.Text(field="rows", type="quantitative", format=","),
            color=alt.when(alt.datum.rows > peak / 2)
            .then(alt.value("#FFFFFF"))
            .otherwise(alt.value("#000000")),
        )
    )
    n_rows = len(actual)
    right = int(np.trace(counts))
    subtitle = [
        "Rows: actual class; columns: predicted class; the diagonal is right.",
        f"{right:,} of {n_rows:,} rows right ({right / max(n_rows, 1):.1%}).",
    ]
    chart = alt.layer(fill, text).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start")
    )
    return described(
        chart,
        sentence(
            f"Heatmap: {title}, how many rows of each of the {k} actual classes "
            f"were predicted as each class, {right:,} of {n_rows:,} on the diagonal"
        ),
    )


def class_accuracy(
    labels: Sequence[object],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    title: str = "Accuracy per class",
) -> alt.LayerChart:
    """The share of each actual class's rows predicted right (its recall), as bars.

    A dashed rule marks the overall accuracy. A class without rows has no bar;
    the subtitle names it.

    Parameters
    ----------
    labels : sequence of K labels
        Class k's label (user text, shown as data).
    y_true, y_pred : ndarray of shape (n_rows,)
        Class indices 0..K−1.
    title : str, default "Accuracy per class"
        Plain text.

    Returns
    -------
    alt.LayerChart
        Layers: bars, overall-accuracy rule.
    """
    names, actual, predicted = _predictions(labels, y_true, y_pred)
    k = len(names)
    totals = np.bincount(actual, minlength=k)
    right = np.bincount(actual[actual == predicted], minlength=k)
    seen = totals > 0
    bars = pd.DataFrame(
        {
            "class": np.asarray(names, dtype=object)[seen],
            "rows": totals[seen],
            "right": right[seen],
            "accuracy": right[seen] / totals[seen],
        }
    )
    overall = float(right.sum() / max(len(actual), 1))
    y = alt.Y(
        field="class",
        type="nominal",
        sort=names,
        axis=alt.Axis(title="actual class", titleLimit=0),
    )
    x = alt.X(
        field="accuracy",
        type="quantitative",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format=".0%", title="rows of the class predicted right"),
    )
    drawn = (
        alt.Chart(bars)
        .mark_bar(color=BAR_COLOR)
        .encode(
            x=x,
            y=y,
            tooltip=[
                field_tip("class", title="actual class"),
                field_tip("rows", "quantitative", format=","),
                field_tip("right", "quantitative", title="predicted right", format=","),
                field_tip("accuracy", "quantitative", format=".1%"),
            ],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"accuracy": [overall], "label": ["all rows"]}))
        .mark_rule(color=REFERENCE_COLOR, strokeDash=[4, 3], strokeWidth=1.5)
        .encode(
            x=alt.X(field="accuracy", type="quantitative"),
            tooltip=[
                field_tip("label", title="accuracy over"),
                field_tip("accuracy", "quantitative", format=".1%"),
            ],
        )
    )
    subtitle = [f"Dashed line: accuracy over all rows, {overall:.1%}."]
    empty = [names[c] for c in range(k) if not seen[c]]
    if empty:
        subtitle.append(f"No rows, so no bar: {', '.join(empty)}.")
    chart = alt.layer(drawn, rule).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start")
    )
    return described(
        chart,
        sentence(
            f"Bar chart: {title}, the share of each of the {k} classes' rows "
            f"predicted right, with a dashed line at the overall {overall:.1%}"
        ),
    )


def _predictions(
    labels: Sequence[object], y_true: np.ndarray, y_pred: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Display names of the K classes and both index arrays as int64, checked."""
    names = _class_names(labels)
    k = len(names)
    if k < 2:
        raise ValueError(f"labels must name at least 2 classes. Got {k}.")
    actual = _indices(y_true, "y_true", k)
    predicted = _indices(y_pred, "y_pred", k)
    if actual.shape != predicted.shape:
        raise ValueError(
            "y_true and y_pred must have the same length. Got "
            f"{len(actual)} and {len(predicted)} instead."
        )
    return names, actual, predicted


def _indices(values: np.ndarray, label: str, k: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{label} must be 1-D. Got shape {array.shape} instead.")
    if not np.all((array >= 0) & (array < k) & (array == np.round(array))):
        raise ValueError(f"{label} must hold class indices 0 to {k - 1}.")
    return array.astype(np.int64)


def _class_names(labels: Sequence[object]) -> list[str]:
    """Labels as text, made distinct: 1 and "1" would share an axis band."""
    names: list[str] = []
    for label in labels:
        name, n = str(label), 2
        while name in names:
            name, n = f"{label} ({n})", n + 1
        names.append(name)
    return names
