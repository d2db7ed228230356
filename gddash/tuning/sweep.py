"""Learning rates × batch sizes × update rules: each cell one run, same budget.

The rates are log-spaced up to a little above the data's stability bound 2/λ_max
(so the grid shows where batch descent stops working); the batch sizes are
1, 2, 4, … up to n. Every cell gets the same budget in passes over the data and
the same seeds, and reports how close it got to the optimum, how many rows it
needed to come within 1% of it, and how it ended. Runs go to two threads: the
engine's compiled loops release the GIL.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gddash import compare, limits
from gddash.compare import CompareSettings, Optimum
from gddash.engine import RULES, LinearRegression, LogisticRegression, Settings, Trace
from gddash.engine import descend as engine_descend
from gddash.errors import SettingsError

Problem = LinearRegression | LogisticRegression
SWEEP_WORK = limits.SWEEP_WORK
MAX_CELLS = 400
RECORDED_POINTS = 250  # per run: "rows to 1%" to within 1/250 of the budget
THREADS = 2


@dataclass(frozen=True, kw_only=True)
class SweepSettings:
    """The grid and what every cell shares.

    Parameters
    ----------
    rates : tuple of float in (0, inf), ascending
    batch_sizes : tuple of int >= 1, ascending (a size >= n runs as batch)
    rules : tuple of update rule ids (``gddash.engine.RULES``)
    epochs : float > 0, the budget of every cell in passes over the data
    seed : int >= 0; repeats : int >= 1, seeds per stochastic cell
    momentum : float in [0, 1), β of momentum and Nesterov (β₁ of Adam)
    """

    rates: tuple[float, ...]
    batch_sizes: tuple[int, ...]
    rules: tuple[str, ...] = ("plain", "momentum", "adam")
    epochs: float = 20.0
    seed: int = 0
    repeats: int = 1
    momentum: float = 0.9

    def __post_init__(self) -> None:
        rates = tuple(sorted(float(r) for r in self.rates))
        sizes = tuple(sorted({int(b) for b in self.batch_sizes}))
        rules = tuple(dict.fromkeys(self.rules))
        if not rates or not all(0 < r < math.inf for r in rates):
            raise SettingsError("A sweep needs learning rates above 0.")
        if not sizes or sizes[0] < 1:
            raise SettingsError("A sweep needs batch sizes of at least 1.")
        unknown = [r for r in rules if r not in RULES]
        if not rules or unknown:
            raise SettingsError(f"Choose update rules among {', '.join(RULES)}.")
        if not (0 < self.epochs < math.inf):
            raise SettingsError(f"Epochs must be above 0. Got {self.epochs!r}.")
        if not (isinstance(self.repeats, int) and 1 <= self.repeats <= 10):
            raise SettingsError(f"Seeds must be 1 to 10. Got {self.repeats!r}.")
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "batch_sizes", sizes)
        object.__setattr__(self, "rules", rules)

    @property
    def n_cells(self) -> int:
        return len(self.rates) * len(self.batch_sizes) * len(self.rules)


def variant_of(batch_size: int, n_samples: int) -> str:
    """The engine variant a batch size is: batch (b ≥ n), SGD (b = 1) or mini-batch."""
    if batch_size >= n_samples:
        return "batch"
    return "sgd" if batch_size == 1 else "minibatch"


def rate_grid(
    stable_rate: float, count: int = 6, *, decades: float = 3.0, above: float = 1.5
) -> tuple[float, ...]:
    """``count`` log-spaced rates from ``above`` × ``stable_rate`` down ``decades``.

    With ``stable_rate`` = 2/λ_max the top rate is past batch descent's limit,
    so the grid shows both sides of it. Rates keep three significant digits.
    """
    if not (0 < stable_rate < math.inf) or count < 1:
        raise SettingsError("The rate grid needs a finite stable rate and a count.")
    top = above * stable_rate
    exponents = np.linspace(-decades, 0.0, count) if count > 1 else np.zeros(1)
    return tuple(float(f"{top * 10.0**e:.3g}") for e in exponents)


def batch_grid(
    n_samples: int, count: int = 6, *, include: tuple[int, ...] = ()
) -> tuple[int, ...]:
    """``count`` batch sizes among 1, 2, 4, … and n, evenly spread in log size.

    1 (SGD) and n (batch) are always in; so is each size of ``include`` below n
    (the compare page's mini-batch size), in place of the nearest grid size.
    """
    n = int(n_samples)
    powers = [2**k for k in range(max(1, math.ceil(math.log2(max(n, 2)))))]
    ladder = sorted({p for p in powers if p < n} | {n})
    if len(ladder) > count:
        picks = np.round(np.linspace(0, len(ladder) - 1, count)).astype(int)
        ladder = [ladder[i] for i in sorted(set(picks))]
    for size in include:
        if 1 < size < n and size not in ladder:
            inner = [b for b in ladder if b not in (1, n)]
            if inner:
                nearest = min(inner, key=lambda b: abs(math.log(b / size)))
                ladder.remove(nearest)
            ladder = sorted({*ladder, size})
    return tuple(ladder)


@dataclass(frozen=True)
class Cell:
    """One cell's outcome (over its seeds: the median gap, the worst status).

    ``final_gap`` is L(θ_end) − L* (NaN when diverged); ``rows_to_target`` and
    ``seconds_to_target`` the rows processed and seconds until the loss first
    came within 1% of the optimum, for the slowest seed (None: a seed never did).
    """

    rule: str
    batch_size: int
    learning_rate: float
    variant: str
    status: str
    final_gap: float
    rows_to_target: int | None
    seconds_to_target: float | None
    seconds: float
    message: str


@dataclass(frozen=True)
class Sweep:
    """Every cell of a sweep, in grid order (rule, batch size, rate)."""

    settings: SweepSettings
    cells: tuple[Cell, ...]
    n_samples: int
    loss_star: float
    initial_gap: float

    def frame(self) -> pd.DataFrame:
        """One row per cell: rule, batch size, variant, rate, status, the outcomes."""
        return pd.DataFrame(
            {
                "rule": [c.rule for c in self.cells],
                "batch size": [c.batch_size for c in self.cells],
                "variant": [c.variant for c in self.cells],
                "learning rate": [c.learning_rate for c in self.cells],
                "status": [c.status for c in self.cells],
                "gap to optimum": [c.final_gap for c in self.cells],
                "rows to 1%": [
                    np.nan if c.rows_to_target is None else float(c.rows_to_target)
                    for c in self.cells
                ],
                "seconds to 1%": [
                    np.nan if c.seconds_to_target is None else c.seconds_to_target
                    for c in self.cells
                ],
                "seconds": [c.seconds for c in self.cells],
            }
        )

    def cells_of(self, rule: str, batch_size: int) -> list[Cell]:
        """The cells of one rule and batch size, by rate."""
        return [c for c in self.cells if c.rule == rule and c.batch_size == batch_size]

    def best(self, rule: str, batch_size: int) -> Cell | None:
        """The cell of the best rate for this rule and batch size (None: all diverged).

        Best is the smallest final gap; gaps below 1e-10 of the starting gap
        are all "at the optimum" (rounding) and tie, and a tie goes to the
        fewest rows to within 1%, then to the larger rate.
        """
        floor = 1e-10 * max(self.initial_gap, 1e-300)

        def score(cell: Cell) -> tuple[float, float, float]:
            rows = math.inf if cell.rows_to_target is None else cell.rows_to_target
            return (max(cell.final_gap, floor), rows, -cell.learning_rate)

        usable = [
            c
            for c in self.cells_of(rule, batch_size)
            if c.status != "diverged" and math.isfinite(c.final_gap)
        ]
        return min(usable, key=score) if usable else None


def cell_settings(
    settings: SweepSettings,
    n_samples: int,
    rule: str,
    batch_size: int,
    learning_rate: float,
    seed_offset: int = 0,
) -> Settings:
    """The engine settings of one run of one cell."""
    return Settings(
        variant=variant_of(batch_size, n_samples),
        learning_rate=learning_rate,
        batch_size=min(batch_size, n_samples),
        max_epochs=settings.epochs,
        rule=rule,
        momentum=settings.momentum,
        seed=settings.seed + seed_offset,
        max_points=RECORDED_POINTS,
    )


def _compare_settings(
    settings: SweepSettings, n_samples: int, rule: str, batch_size: int
) -> CompareSettings:
    descent = cell_settings(settings, n_samples, rule, batch_size, settings.rates[0])
    return CompareSettings(
        variants=(descent.variant,),
        batch_size=descent.batch_size,
        epochs=settings.epochs,
        repeats=settings.repeats,
        descent=descent,
    )


def work(n_samples: int, n_params: int, task: str, settings: SweepSettings) -> int:
    """Row × parameter products of the whole sweep, as ``compare.work`` counts them.

    A comparison's work counts XᵀX (n·d², squared loss) once; the sweep forms
    it once for all its cells.
    """
    shared = n_samples * n_params * n_params if task == "linear" else 0
    total = shared
    for rule in settings.rules:
        for batch_size in settings.batch_sizes:
            one = _compare_settings(settings, n_samples, rule, batch_size)
            per_rate = compare.work(n_samples, n_params, task, one) - shared
            total += per_rate * len(settings.rates)
    return total


def check_work(n_samples: int, n_params: int, task: str, settings: SweepSettings):
    """Refuse, before any run, a sweep above ``SWEEP_WORK`` or ``MAX_CELLS``."""
    if settings.n_cells > MAX_CELLS:
        raise SettingsError(
            f"This sweep has {settings.n_cells:,} cells; at most {MAX_CELLS} run "
            "per sweep. Choose fewer rates, batch sizes or rules."
        )
    total = work(n_samples, n_params, task, settings)
    if total > SWEEP_WORK:
        raise SettingsError(
            f"This sweep would compute about {total / 1e6:,.0f} million row × "
            f"parameter products ({settings.n_cells} cells of {settings.epochs:g} "
            f"epochs on {n_samples:,} rows × {n_params} parameters), more than the "
            f"{SWEEP_WORK / 1e6:,.0f} million this shared server allows per sweep. "
            "Lower the epochs or seeds, choose fewer rates, batch sizes or rules, "
            "or sweep a sample of the rows."
        )
    return total


def _hit(trace: Trace, optimum: Optimum) -> tuple[int, float] | None:
    index = compare.first_within_target(trace, optimum)
    if index is None:
        return None
    return int(trace.samples[index]), float(trace.seconds[index])


def blew_up(trace: Trace) -> bool:
    """Diverged, for a sweep: the engine said so, or the loss ended above its start.

    A short budget can end a diverging run before the engine's runaway test
    (a factor of 1e10) fires; a cell whose loss grew is not a usable rate.
    """
    final = trace.final_loss
    return trace.status == "diverged" or not (final <= trace.loss[0])


def summarise(
    rule: str,
    batch_size: int,
    learning_rate: float,
    traces: list[Trace],
    optimum: Optimum,
) -> Cell:
    """One cell from its seeds' traces: median gap, worst status, slowest seed."""
    diverged = [t for t in traces if blew_up(t)]
    first = diverged[0] if diverged else traces[0]
    message = first.message
    if diverged and first.status != "diverged":
        message = (
            f"The loss ended at {first.final_loss:.3g}, above its start "
            f"{first.loss[0]:.3g}: this rate is too large for this batch size."
        )
    gaps = [t.final_loss - optimum.loss for t in traces]
    hits = [_hit(t, optimum) for t in traces]
    reached = not diverged and all(h is not None for h in hits)
    return Cell(
        rule=rule,
        batch_size=batch_size,
        learning_rate=learning_rate,
        variant=first.variant,
        status="diverged" if diverged else first.status,
        final_gap=math.nan if diverged else float(np.median(gaps)),
        rows_to_target=max(h[0] for h in hits) if reached else None,
        seconds_to_target=max(h[1] for h in hits) if reached else None,
        seconds=float(sum(t.seconds_total for t in traces)),
        message=message,
    )


def run(
    problem: Problem,
    optimum: Optimum,
    settings: SweepSettings,
    *,
    progress: Callable[[int, int], None] | None = None,
    threads: int = THREADS,
    descend: Callable[[Problem, Settings], Trace] = engine_descend,
) -> Sweep:
    """Run every cell (and seed) of ``settings`` on ``problem``; results in grid order.

    ``progress(done, total)`` is called from the calling thread as runs finish
    (a page's progress bar). The runs are independent, so the result does not
    depend on ``threads`` or on the order in which they finish.
    """
    n = problem.n_samples
    jobs = []
    for rule in settings.rules:
        for batch_size in settings.batch_sizes:
            seeds = settings.repeats if variant_of(batch_size, n) != "batch" else 1
            for rate in settings.rates:
                for k in range(seeds):
                    jobs.append((rule, batch_size, rate, k))
    results: dict[tuple, Trace] = {}
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures = {
            pool.submit(
                descend, problem, cell_settings(settings, n, rule, b, rate, k)
            ): (rule, b, rate, k)
            for rule, b, rate, k in jobs
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(jobs))
        except BaseException:  # e.g. Streamlit stopping a closed tab's script
            for future in futures:
                future.cancel()
            raise
    cells = []
    for rule in settings.rules:
        for batch_size in settings.batch_sizes:
            for rate in settings.rates:
                traces = [
                    results[key]
                    for key in sorted(results)
                    if key[:3] == (rule, batch_size, rate)
                ]
                cells.append(summarise(rule, batch_size, rate, traces, optimum))
    start = next(iter(results.values())).loss[0]
    return Sweep(
        settings=settings,
        cells=tuple(cells),
        n_samples=n,
        loss_star=optimum.loss,
        initial_gap=float(start - optimum.loss),
    )
