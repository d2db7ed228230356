"""The comparison table as people read it."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from gddash import compare, data, table


@pytest.fixture(scope="module")
def comparison():
    frame = data.read_csv(data.load_sample("diabetes"))
    dataset = data.prepare(frame, "progression", ["bmi", "bp", "s5"])
    settings = compare.CompareSettings(
        descent=compare.Settings(learning_rate=3.0), epochs=3.0
    )
    return compare.run(dataset, settings)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.123456789, "0.1235"),
        (1234.5678, "1235"),
        (126415059573613540.0, "1.26e+17"),
        (7.64e37, "7.64e+37"),
        (-2.5e36, "-2.50e+36"),
        (3.2e-9, "3.20e-9"),
        (0.0, "0"),
        (None, "—"),
        (math.nan, "—"),
        (math.inf, "∞"),
    ],
)
def test_numbers_are_shown_to_a_few_significant_digits(value, shown):
    assert table.readable(value) == shown


def test_the_columns_people_compare_first_come_first_and_the_message_goes(comparison):
    shown = table.ordered(comparison.table)
    assert list(shown.columns[:5]) == [
        "variant",
        "status",
        "final loss",
        "gap to optimum",
        "R²",
    ]
    assert "message" not in shown
    assert "loss spread over seeds" not in shown  # one seed: nothing to show


def test_a_diverged_run_shows_words_not_meaningless_numbers(comparison):
    raw = comparison.table
    diverged = int((raw["status"] == "diverged").sum())
    assert diverged >= 1
    shown = table.ordered(raw)
    meaningless = [
        c for c in shown.columns if c not in ("variant", "status", *table.COUNTS)
    ]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table.styled(raw).to_html())
    assert cells.count("diverged") == diverged * len(meaningless)
    assert cells.count("Diverged") == diverged
    words = set(shown["variant"]) | set(table.titles.STATUS.values())
    assert all(len(c) <= 10 for c in cells if c not in words), cells


def test_the_best_value_of_each_column_is_marked_among_runs_that_did_not_diverge():
    raw = pd.DataFrame(
        {
            "variant": ["Batch", "Stochastic (SGD)", "Mini-batch"],
            "status": ["max_iter", "diverged", "converged"],
            "message": ["", "", ""],
            "final loss": [2.0, np.inf, 1.0],
            "R²": [0.5, -1e30, 0.9],
        }
    )
    html = table.styled(raw).to_html()
    best_rule = re.search(r"([^}]*)\{\s*font-weight: bold", html).group(1)
    marked = re.findall(r"_row(\d+)_col(\d+)", best_rule)
    columns = list(table.ordered(raw).columns)
    assert sorted(marked) == sorted(
        [("2", str(columns.index("final loss"))), ("2", str(columns.index("R²")))]
    )  # Mini-batch: the lowest loss and the highest R²; SGD diverged
    assert "Budget used up" in html and "Converged" in html


def test_a_softmax_table_marks_the_best_accuracy_and_keeps_it_up_front():
    sample = next(s for s in data.samples(tasks=data.TASKS) if s.key == "iris")
    frame = data.read_csv(data.load_sample("iris"))
    options = data.PrepareOptions(task="softmax")
    dataset = data.prepare(
        frame, sample.default_target, sample.default_features, options
    )
    settings = compare.CompareSettings(
        descent=compare.Settings(learning_rate=0.2, penalty="l2", alpha=1e-3),
        epochs=5.0,
    )
    result = compare.run(dataset, settings)
    shown = table.ordered(result.table)
    assert list(shown.columns[:5]) == [
        "variant",
        "status",
        "final loss",
        "gap to optimum",
        "accuracy",
    ]
    html = table.styled(result.table).to_html()
    best = result.table["accuracy"].max()
    assert html.count(table.BEST_STYLE.split(";")[0]) >= 1
    assert f"{best:.4g}" in html


def test_the_terminal_table_says_what_the_page_says_in_plain_text(comparison):
    raw = comparison.table
    text = table.as_text(raw, ["variant", "status", "final loss", "updates"])
    header, *rows = text.splitlines()
    assert header.split() == ["variant", "status", "final", "loss", "updates"]
    assert len(rows) == len(raw)
    for line, (_, run) in zip(rows, raw.iterrows(), strict=True):
        assert line.startswith(run["variant"])  # words aligned left
        assert table.titles.STATUS[run["status"]] in line
        assert f"{int(run['updates']):,}" in line  # a count stays a count
        final = (
            "diverged"
            if run["status"] == "diverged"
            else table.readable(run["final loss"])
        )
        assert line.split()[-2] == final
