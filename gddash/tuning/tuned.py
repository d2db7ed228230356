"""Tuned vs tuned: every variant and rule at its own best rate, then a fair race.

A comparison at one learning rate mostly shows whose rate it suited. Here each
(variant, rule) takes the best rate a sweep found for it under the same budget
(``Sweep.best``), and the race runs them through ``compare.run``, so the table
and the verdict read like the compare page's, with the chosen rate on each row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from gddash import compare, titles
from gddash.compare import CompareSettings, Comparison, Optimum
from gddash.data import Dataset
from gddash.engine import LinearRegression, LogisticRegression, Settings, Trace
from gddash.engine import descend as engine_descend
from gddash.tuning.sweep import Sweep, variant_of

Problem = LinearRegression | LogisticRegression


@dataclass(frozen=True)
class Choice:
    """The rate a sweep chose for one variant and rule (None: every rate diverged)."""

    variant: str
    rule: str
    batch_size: int
    learning_rate: float | None


@dataclass(frozen=True)
class Race:
    """The tuned comparisons (one per rule), their joint table and verdict."""

    choices: tuple[Choice, ...]
    comparisons: dict[str, Comparison]
    table: pd.DataFrame
    verdict: str


def batch_size_for(variant: str, sweep: Sweep, minibatch: int) -> int:
    """The sweep's batch size standing for a variant: n, 1, or the nearest to
    ``minibatch`` among the sweep's mini-batch sizes."""
    n = sweep.n_samples
    if variant == "batch":
        return max(sweep.settings.batch_sizes)
    if variant == "sgd":
        return 1
    inner = [b for b in sweep.settings.batch_sizes if variant_of(b, n) == "minibatch"]
    if not inner:
        return max(sweep.settings.batch_sizes)
    return min(inner, key=lambda b: (abs(b - minibatch), b))


def choose(
    sweep: Sweep, variants: tuple[str, ...], minibatch: int = 32
) -> tuple[Choice, ...]:
    """Each variant's and rule's best rate from ``sweep`` (see ``Sweep.best``)."""
    choices = []
    for rule in sweep.settings.rules:
        for variant in variants:
            size = batch_size_for(variant, sweep, minibatch)
            best = sweep.best(rule, size)
            rate = None if best is None else best.learning_rate
            choices.append(Choice(variant, rule, size, rate))
    return tuple(choices)


def race(
    dataset: Dataset,
    problem: Problem,
    optimum: Optimum,
    sweep: Sweep,
    choices: tuple[Choice, ...],
    *,
    descend: Callable[[Problem, Settings], Trace] = engine_descend,
    progress: Callable[[str, int, int], None] | None = None,
) -> Race:
    """Race every chosen (variant, rule) at its rate, the sweep's budget and seeds."""
    s = sweep.settings
    rate_of = {(c.rule, c.variant): c.learning_rate for c in choices}
    comparisons: dict[str, Comparison] = {}
    rules = list(dict.fromkeys(c.rule for c in choices))
    for done, rule in enumerate(rules):
        runnable = tuple(
            c.variant for c in choices if c.rule == rule and c.learning_rate
        )
        if not runnable:
            continue
        sizes = {c.variant: c.batch_size for c in choices if c.rule == rule}
        settings = CompareSettings(
            variants=runnable,
            batch_size=min(sizes.get("minibatch", 32), dataset.n_samples),
            epochs=s.epochs,
            repeats=s.repeats,
            descent=Settings(rule=rule, momentum=s.momentum, seed=s.seed),
        )

        def at_its_rate(problem: Problem, run: Settings, rule: str = rule) -> Trace:
            rate = rate_of[(rule, run.variant)]
            return descend(problem, dataclasses.replace(run, learning_rate=rate))

        def report(
            label: str, k: int, total: int, rule: str = rule, done: int = done
        ) -> None:
            if progress is not None:
                progress(f"{titles.RULE[rule]}: {label}", done, len(rules))

        comparisons[rule] = compare.run(
            dataset,
            settings,
            problem=problem,
            optimum=optimum,
            run_one=at_its_rate,
            progress=report,
        )
    table = joint_table(comparisons, rate_of)
    return Race(choices, comparisons, table, verdict(table, choices, sweep))


def joint_table(
    comparisons: dict[str, Comparison], rate_of: dict[tuple[str, str], float | None]
) -> pd.DataFrame:
    """The comparisons' tables stacked, with the rule and chosen rate in front."""
    frames = []
    for rule, comparison in comparisons.items():
        frame = comparison.table.copy()
        by_title = {compare.VARIANT_TITLES[v]: v for v in comparison.traces}
        frame.insert(1, "rule", titles.RULE[rule])
        frame.insert(
            2,
            "chosen η",
            [rate_of[(rule, by_title[title])] for title in frame["variant"]],
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["variant", "rule", "chosen η"])
    return pd.concat(frames, ignore_index=True)


def readable_table(table: pd.DataFrame) -> pd.DataFrame:
    """The joint table for ``gddash.table.styled``: rule folded into the variant
    ("Mini-batch, Adam"), the chosen rate right after it."""
    shown = table.copy()
    shown["variant"] = shown["variant"] + ", " + shown["rule"]
    return shown.drop(columns=["rule"])


def verdict(table: pd.DataFrame, choices: tuple[Choice, ...], sweep: Sweep) -> str:
    """Which rates were chosen, that the race is tuned, and who won it."""
    s = sweep.settings
    chosen = []
    for rule in dict.fromkeys(c.rule for c in choices):
        rates = ", ".join(
            f"{compare.VARIANT_TITLES[c.variant]} η = {c.learning_rate:g}"
            for c in choices
            if c.rule == rule and c.learning_rate is not None
        )
        if rates:
            chosen.append(f"{titles.RULE[rule]}: {rates}")
    lost = [
        f"{compare.VARIANT_TITLES[c.variant]} with {titles.RULE[c.rule]}"
        for c in choices
        if c.learning_rate is None
    ]
    sentences = [
        "Tuned comparison: each variant and rule ran at its own best learning "
        f"rate from the sweep ({len(s.rates)} rates, the same budget of "
        f"{s.epochs:g} epochs): " + "; ".join(chosen) + "."
    ]
    if lost:
        sentences.append(
            f"{_join(lost)} diverged at every rate of the sweep and did not race."
        )
    reached = table[table["rows to 1%"].notna()] if len(table) else table
    if len(reached):
        best = reached.loc[reached["rows to 1%"].astype(float).idxmin()]
        sentences.append(
            f"Fastest to within 1% of the optimal loss, tuned: {best['variant']} "
            f"with {best['rule']} (η = {best['chosen η']:g}) in "
            f"{int(best['rows to 1%']):,} rows."
        )
    elif len(table):
        best = table.loc[table["gap to optimum"].astype(float).idxmin()]
        sentences.append(
            "No tuned run came within 1% of the optimal loss in the budget; "
            f"{best['variant']} with {best['rule']} got closest "
            f"(gap {best['gap to optimum']:.3g})."
        )
    return " ".join(sentences)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
