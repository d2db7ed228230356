"""How well each variant's final parameters fit the training rows (Altair).

Scatter plots show a seeded sample of at most ``MAX_FIT_POINTS`` rows and say
so; histograms are binned over all rows in numpy. The user's column names are
titles and tooltip titles only: the encoded fields are internal names.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from gddash.charts.models import class_accuracy, confusion_matrix
from gddash.charts.style import (
    REFERENCE_COLOR,
    described,
    diverged_titles,
    field_tip,
    sample_rows,
    sentence,
    value_axis,
    variant_color,
    variant_titles,
)
from gddash.compare import VARIANT_TITLES, Comparison, predicted_classes

# Height in px of the one-feature chart, title and legend included.
FIT_HEIGHT = 420
# Streamlit fits a chart, title, axes and legend included, in its height: the
# accuracy bars get room for their title and axis plus a row per class. The
# confusion matrix is sized by its row step instead: a fixed height collapsed
# its rows to a line in Streamlit's theme (seen in Chromium).
ACCURACY_ROOM = 110
CLASS_ROW = 34
MAX_FIT_POINTS = 5_000  # points in a fit scatter, all variants together


def _score_line(comparison: Comparison, column: str, fmt: str) -> str:
    table = comparison.table
    if column not in table:
        return ""
    parts = [
        f"{row['variant']} {format(row[column], fmt)}"
        for _, row in table.iterrows()
        if row[column] is not None and np.isfinite(row[column])
    ]
    return f"{column}: " + ", ".join(parts) if parts else ""


def _sample_note(shown: int, total: int) -> list[str]:
    if shown == total:
        return []
    return [f"A random {shown:,} of {total:,} rows shown (seed 0)."]


def _finite_thetas(comparison: Comparison) -> dict[str, np.ndarray]:
    """Final θ of each variant's first-seed run, when finite."""
    thetas = {}
    for variant in comparison.traces:
        theta = comparison.primary(variant).theta
        if np.isfinite(theta).all():
            thetas[VARIANT_TITLES[variant]] = theta
    return thetas


def _once_per_facet(chart: alt.Chart, by: Sequence[str]) -> alt.Chart:
    """Collapse a layer's rows to one per facet, for a constant mark (a rule)."""
    return chart.transform_aggregate(rows="count()", groupby=list(by))


def reference_name(comparison: Comparison) -> str:
    """What θ*'s line is called: "least squares" only when it is that."""
    plain = comparison.settings.descent.penalty is None
    if comparison.settings.epsilon is None and plain:
        return "least squares"
    return "optimum θ*"


def _fitted_lines(comparison: Comparison) -> alt.LayerChart:
    """One feature: the data in original units, each variant's line, and θ*'s
    (least squares, or the Huber / penalised optimum)."""
    dataset = comparison.dataset
    rows = sample_rows(dataset.n_samples, MAX_FIT_POINTS)
    column = int(dataset.has_intercept)
    feature = dataset.feature_names[column]
    target = dataset.target_name
    x = dataset.unscale(dataset.X[rows])[:, column]
    y = dataset.y[rows]
    # The user's column names are titles only: the fields are "x" and "y", so
    # a name like "time:s" or "size.m2" is never read as Vega-Lite syntax.
    points = pd.DataFrame({"x": x, "y": y})
    ends = np.array([x.min(), x.max()]) if len(x) else np.array([0.0, 1.0])
    lines = []
    reference = reference_name(comparison)
    fitted = {**_finite_thetas(comparison), reference: comparison.optimum.theta}
    for title, theta in fitted.items():
        intercept, slopes = dataset.to_original_units(theta)
        with np.errstate(all="ignore"):
            fitted_y = float(intercept) + float(slopes[0]) * ends
        if np.isfinite(fitted_y).all():
            lines.append(
                pd.DataFrame(
                    {
                        "line": title,
                        "x": ends,
                        "y": fitted_y,
                        "intercept": float(intercept),
                        "slope": float(slopes[0]),
                    }
                )
            )
    line_data = pd.concat(lines, ignore_index=True)
    # The y axis covers the data and every line but those of diverged runs,
    # which are cut at its edges.
    diverged = diverged_titles(comparison)
    tame = line_data.loc[~line_data["line"].isin(diverged), "y"].to_numpy()
    values = np.concatenate([y, tame])
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low) if high > low else 1.0
    domain = [low - pad, high + pad]
    clip = not line_data["y"].between(*domain).all()
    y_scale = alt.Scale(domain=domain, zero=False) if clip else alt.Scale(zero=False)
    titles = variant_titles(comparison)
    color = variant_color(
        titles, diverged, field="line", extra={reference: REFERENCE_COLOR}
    )
    x_enc = alt.X(
        field="x",
        type="quantitative",
        scale=alt.Scale(zero=False),
        axis=value_axis(x, feature),
    )
    y_enc = alt.Y(
        field="y", type="quantitative", scale=y_scale, axis=value_axis(y, target)
    )
    scatter = (
        alt.Chart(points)
        .mark_circle(size=18, opacity=0.45, color=REFERENCE_COLOR)
        .encode(
            x=x_enc,
            y=y_enc,
            tooltip=[
                field_tip("x", "quantitative", title=feature, format=".6g"),
                field_tip("y", "quantitative", title=target, format=".6g"),
            ],
        )
    )
    fit = (
        alt.Chart(line_data)
        .mark_line(strokeWidth=2.5, clip=clip)
        .encode(
            x=x_enc,
            y=y_enc,
            color=color,
            strokeDash=alt.when(alt.datum.line == reference)
            .then(alt.value([6, 4]))
            .otherwise(alt.value([1, 0])),
            tooltip=[
                field_tip("line", title="fitted line"),
                field_tip("intercept", "quantitative", format=".6g"),
                field_tip("slope", "quantitative", format=".6g"),
            ],
        )
    )
    subtitle = [f"Data in original units; dashed: the {reference} line."]
    missing = sorted(set(titles) - set(line_data["line"]))
    if missing:
        subtitle.append(f"Not drawn (non-finite parameters): {', '.join(missing)}.")
    if clip:
        subtitle.append("Diverged runs' lines leave the chart.")
    subtitle += _sample_note(len(rows), dataset.n_samples)
    title = f"{target} against {feature}, with each variant's fitted line"
    chart = alt.layer(scatter, fit).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        height=FIT_HEIGHT,
    )
    return described(
        chart,
        sentence(
            f"Scatter plot: {title}",
            f"Each row's {target} against its {feature}, with the fitted lines of "
            f"{', '.join(sorted(set(line_data['line']), key=list(fitted).index))}",
            *subtitle,
        ),
    )


def _predicted_vs_actual(comparison: Comparison) -> alt.FacetChart:
    """Several features: predicted against actual, one panel per variant."""
    dataset = comparison.dataset
    thetas = _finite_thetas(comparison)
    # The same sampled rows in every panel, MAX_FIT_POINTS points in all.
    rows = sample_rows(dataset.n_samples, MAX_FIT_POINTS // max(len(thetas), 1))
    X, y = dataset.X[rows], dataset.y[rows]
    frames = [pd.DataFrame(columns=["variant", "actual", "predicted"])]
    with np.errstate(all="ignore"):
        for title, theta in thetas.items():
            predicted = X @ theta
            keep = np.isfinite(predicted)
            frames.append(
                pd.DataFrame(
                    {"variant": title, "actual": y[keep], "predicted": predicted[keep]}
                )
            )
    data = pd.concat(frames, ignore_index=True).astype(
        {"actual": float, "predicted": float}
    )
    # The axes cover the targets and the predictions of runs that did not
    # diverge; a diverged run's predictions are clipped at the edges.
    diverged = diverged_titles(comparison)
    tame = data.loc[~data["variant"].isin(diverged), "predicted"].to_numpy()
    values = np.concatenate([y, tame])
    low, high = float(values.min()), float(values.max())
    pad = 0.03 * (high - low) if high > low else 1.0
    domain = [low - pad, high + pad]
    scale = alt.Scale(domain=domain, zero=False)
    clip = not data["predicted"].between(*domain).all()
    target = dataset.target_name
    titles = variant_titles(comparison)
    # Both axes in the target's units, labelled alike (1980, not "1,980").
    points = (
        alt.Chart()
        .mark_circle(size=14, opacity=0.5, clip=clip)
        .encode(
            x=alt.X(
                field="actual",
                type="quantitative",
                scale=scale,
                axis=value_axis(y, f"actual {target}"),
            ),
            y=alt.Y(
                field="predicted",
                type="quantitative",
                scale=scale,
                axis=value_axis(y, f"predicted {target}"),
            ),
            color=variant_color(titles, diverged),
            tooltip=[
                field_tip("variant"),
                field_tip(
                    "actual", "quantitative", title=f"actual {target}", format=".6g"
                ),
                field_tip(
                    "predicted",
                    "quantitative",
                    title=f"predicted {target}",
                    format=".6g",
                ),
            ],
        )
    )
    identity = _once_per_facet(
        alt.Chart()
        .mark_rule(color=REFERENCE_COLOR, strokeDash=[4, 3])
        .encode(
            x=alt.datum(domain[0]),
            y=alt.datum(domain[0]),
            x2=alt.datum(domain[1]),
            y2=alt.datum(domain[1]),
        ),
        ["variant"],
    )
    subtitle = ["Dashed: predicted = actual (a perfect fit)."]
    subtitle += [line for line in [_score_line(comparison, "R²", ".4f")] if line]
    subtitle += _sample_note(len(rows), dataset.n_samples)
    if clip:
        subtitle.append("Diverged predictions leave the chart.")
    missing = sorted(set(titles) - set(data["variant"]))
    if missing:
        subtitle.append(f"Not shown (non-finite parameters): {', '.join(missing)}.")
    title = "Predicted against actual (training rows)"
    chart = (
        alt.layer(points, identity, data=data)
        .properties(width=220, height=220)
        .facet(
            column=alt.Column(field="variant", type="nominal", sort=titles, title=None),
            title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        )
    )
    return described(
        chart,
        sentence(
            f"Scatter plots: {title}",
            f"One panel per variant ({', '.join(thetas)}): each row's predicted "
            f"{target} against its actual {target}, with the line predicted = actual",
            *subtitle,
        ),
    )


def _class_name(dataset, k: int) -> str:
    labels = dataset.class_labels
    return str(k) if labels is None else str(labels[k])


def _probability_histograms(comparison: Comparison) -> alt.FacetChart:
    """Counts of σ(Xθ) in 20 bins, per variant (columns) and actual class (rows).

    Binned over all rows in numpy, so no sampling is needed: at most 20 × 2 bars
    per variant are embedded, whatever the number of rows.
    """
    dataset = comparison.dataset
    edges = np.linspace(0.0, 1.0, 21)
    frames = [pd.DataFrame(columns=["variant", "actual", "from", "to", "rows"])]
    for title, theta in _finite_thetas(comparison).items():
        with np.errstate(all="ignore"):
            z = dataset.X @ theta
            probability = 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z) without overflow
        for k in (0, 1):
            chosen = probability[(dataset.y == k) & np.isfinite(probability)]
            counts, _ = np.histogram(chosen, bins=edges)
            frames.append(
                pd.DataFrame(
                    {
                        "variant": title,
                        "actual": f"actual: {_class_name(dataset, k)}",
                        "from": edges[:-1],
                        "to": edges[1:],
                        "rows": counts,
                    }
                )
            )
    data = pd.concat(frames, ignore_index=True)
    titles = variant_titles(comparison)
    positive = _class_name(dataset, 1)
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X(
                field="from",
                type="quantitative",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(title=f"predicted P({positive})", titleLimit=0),
            ),
            x2=alt.X2(field="to"),
            y=alt.Y(field="rows", type="quantitative", title="rows"),
            y2=alt.datum(0),
            color=variant_color(titles, diverged_titles(comparison)),
            tooltip=[
                field_tip("variant"),
                field_tip("actual"),
                field_tip("from", "quantitative", title="P from", format=".2f"),
                field_tip("to", "quantitative", title="P to", format=".2f"),
                field_tip("rows", "quantitative", format=","),
            ],
        )
    )
    threshold = _once_per_facet(
        alt.Chart()
        .mark_rule(color=REFERENCE_COLOR, strokeDash=[4, 3])
        .encode(x=alt.datum(0.5)),
        ["variant", "actual"],
    )
    subtitle = [
        f"Right of the 0.5 line a row is predicted '{positive}', left of it "
        f"'{_class_name(dataset, 0)}'.",
        f"All {dataset.n_samples:,} training rows.",
    ]
    missing = sorted(set(titles) - set(data["variant"]))
    if missing:
        subtitle.append(f"Not shown (non-finite parameters): {', '.join(missing)}.")
    accuracy = _score_line(comparison, "accuracy", ".1%")
    title = "Predicted probability by actual class" + (
        f" — {accuracy}" if accuracy else ""
    )
    chart = (
        alt.layer(bars, threshold, data=data)
        .properties(width=220, height=110)
        .facet(
            column=alt.Column(field="variant", type="nominal", sort=titles, title=None),
            row=alt.Row(field="actual", type="nominal", title=None),
            title=alt.TitleParams(title, subtitle=subtitle, anchor="start"),
        )
    )
    return described(
        chart,
        sentence(
            f"Histograms: {title}",
            f"For each variant and each actual class, how many rows get each "
            f"predicted probability of '{positive}', with the 0.5 threshold",
            *subtitle,
        ),
    )


def class_views(
    comparison: Comparison, variant: str, *, rows: str = "train"
) -> tuple[alt.LayerChart, alt.LayerChart] | None:
    """Softmax (or logistic): a variant's confusion matrix and accuracy per class.

    Parameters
    ----------
    comparison : Comparison
    variant : str, a variant id of the comparison (its first-seed run is used)
    rows : {"train", "validation"}
        Which rows are predicted; "validation" needs a held-out split.

    Returns
    -------
    (confusion matrix, accuracy per class), or None when the run's θ is not
    finite (it diverged) or there are no such rows.
    """
    dataset = comparison.dataset
    theta = comparison.primary(variant).theta
    X, y = (dataset.X, dataset.y) if rows == "train" else (dataset.X_val, dataset.y_val)
    if X is None or not len(X) or not np.isfinite(theta).all():
        return None
    labels = dataset.class_labels or ("0", "1")
    predicted = predicted_classes(dataset, theta, X)
    which = f"{VARIANT_TITLES[variant]}, {rows} rows ({len(y):,})"
    confusion = confusion_matrix(
        labels, y, predicted, title=f"Confusion matrix — {which}"
    )
    accuracy = class_accuracy(
        labels, y, predicted, title=f"Accuracy per class — {which}"
    )
    k = len(labels)
    return (
        confusion.properties(height=alt.Step(CLASS_ROW)),
        accuracy.properties(height=ACCURACY_ROOM + CLASS_ROW * k),
    )


def fit_view(comparison: Comparison) -> alt.TopLevelMixin:
    """How well each variant's final parameters fit the training rows.

    * Regression, one feature: the data in original units with each variant's
      fitted line and the least-squares line.
    * Regression, several features: predicted against actual, one panel per
      variant, with the line predicted = actual.
    * Classification: histograms of the predicted probability σ(Xθ) per variant
      and actual class, with the 0.5 decision threshold; accuracy in the title.
    * Softmax: the first variant's confusion matrix on the training rows (the
      page shows every variant's through ``class_views``).

    Scatter plots show a seeded sample of at most ``MAX_FIT_POINTS`` rows and say
    so; histograms are binned over all rows.

    Parameters
    ----------
    comparison : Comparison

    Returns
    -------
    alt.LayerChart or alt.FacetChart
    """
    dataset = comparison.dataset
    if dataset.task == "logistic":
        return _probability_histograms(comparison)
    if dataset.task == "softmax":
        for variant in comparison.traces:
            views = class_views(comparison, variant)
            if views is not None:
                return views[0]
        return (
            alt.Chart(pd.DataFrame())
            .mark_text()
            .properties(title="No variant ended with finite parameters.")
        )
    if dataset.n_features - int(dataset.has_intercept) == 1:
        return _fitted_lines(comparison)
    return _predicted_vs_actual(comparison)
