"""The command line: ``python -m gddash compare SOURCE --target y --out report/``.

Runs the compare page's comparison on a large CSV / Parquet source through Dask
(on a cluster with ``--scheduler``) and writes its table, traces, charts and
settings. The person at the command line owns the machine, so local paths and
URLs are allowed unless GDDASH_DATA_ROOT restricts them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from gddash.allocator import return_freed_memory
from gddash.engine import RULES, SCHEDULES, VARIANTS
from gddash.errors import GddashError, SettingsError
from gddash.scale.cluster import SCHEDULER_VARIABLE, scheduler_address
from gddash.scale.progress import Tracker, progress_line

DEFAULT_ALPHA = 0.0001  # the compare page's, and scikit-learn's SGD estimators'
PRINT_SECONDS = 2.0  # at most one progress line this often, besides each run's start
# The table's columns printed at the end (all of them are in table.csv).
TERMINAL_COLUMNS = ["variant", "status", "final loss", "gap to optimum", "R²",
                    "epochs", "rows processed", "seconds", "epochs to 1%",
                    "seconds to 1%"]  # fmt: skip
EXAMPLES = """\
examples:
  python -m gddash compare data/trips/ --target fare --out report/
  python -m gddash compare 'data/*.csv' --target y --features x1 x2 \\
      --variants sgd minibatch --epochs 0.1 --max-seconds 60 --out report/
  python -m gddash compare s3://bucket/table/ --target label --task logistic \\
      --scheduler tcp://scheduler:8786 --out report/

Ctrl-C stops as the page's Stop button does: the run in progress ends where it
is, the runs not started are left out, and the report holds what was computed.
A second Ctrl-C abandons the run and writes nothing.
"""


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m gddash", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "compare",
        help="compare batch, SGD and mini-batch on a source",
        description="Compare batch, stochastic and mini-batch gradient descent on\n"
        "a CSV or Parquet source of any size, and write the report into a folder.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument(
        "source",
        help="a CSV or Parquet file, a folder or glob of them, or a URL "
        "(s3://, gs://, https://, … once its fsspec backend is installed)",
    )
    cmd.add_argument(
        "--target", required=True,
        help="the column to predict (one that starts with '-': --target=-COLUMN)",
    )  # fmt: skip
    cmd.add_argument(
        "--features", nargs="+", action="extend", default=None, metavar="COLUMN",
        help="the feature columns (default: every numeric column but the target); "
        "name one that starts with '-' as --features=-COLUMN",
    )  # fmt: skip
    cmd.add_argument(
        "--task", choices=("linear", "logistic"), default="linear",
        help="linear: least squares, or Huber's loss with --epsilon; logistic: "
        "the log-loss of a 0/1 target (default: %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS),
        metavar="VARIANT",
        help=f"which of {', '.join(VARIANTS)} to run (default: all three)",
    )  # fmt: skip
    cmd.add_argument(
        "--epochs", type=float, default=1.0,
        help="passes over the data each run may take (default: %(default)g)",
    )  # fmt: skip
    cmd.add_argument(
        "--learning-rate", type=float, default=0.01,
        help="the step size η (default: %(default)g)",
    )  # fmt: skip
    cmd.add_argument(
        "--rule", choices=RULES, default="plain",
        help="the update rule, as on the page (default: %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--schedule", choices=SCHEDULES, default="constant",
        help="how η changes over the updates, with the page's parameters "
        "(default: %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--batch-size", type=int, default=32,
        help="rows per mini-batch step (default: %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--seed", type=int, default=0,
        help="seed of the shuffles; the same seed gives the same runs "
        "(default: %(default)s)",
    )  # fmt: skip
    cmd.add_argument(
        "--penalty", choices=("l2", "l1", "elasticnet"), default=None,
        help="add a penalty on the weights (default: none)",
    )  # fmt: skip
    cmd.add_argument(
        "--alpha", type=float, default=DEFAULT_ALPHA,
        help="the penalty's strength α, with --penalty (default: %(default)g)",
    )  # fmt: skip
    cmd.add_argument(
        "--l1-ratio", type=float, default=0.15,
        help="elastic net's L1 share ρ, from 0 (L2) to 1 (L1) (default: %(default)g)",
    )  # fmt: skip
    cmd.add_argument(
        "--epsilon", type=float, default=None,
        help="fit Huber's loss with this ε (default: least squares)",
    )  # fmt: skip
    cmd.add_argument(
        "--max-rows", type=int, default=None,
        help="rows each SGD / mini-batch run may process (default: no limit "
        "besides --epochs)",
    )  # fmt: skip
    cmd.add_argument(
        "--max-seconds", type=float, default=None,
        help="seconds each SGD / mini-batch run may take (default: no limit)",
    )  # fmt: skip
    cmd.add_argument(
        "--scheduler", default=scheduler_address(),
        help=f"a Dask scheduler address (default: ${SCHEDULER_VARIABLE}, else "
        "this machine's threads)",
    )  # fmt: skip
    cmd.add_argument(
        "--out", type=Path, required=True,
        help="the folder the report goes into (created if missing): table.csv, "
        "traces.csv, traces.parquet, the charts (HTML) and settings.json",
    )  # fmt: skip
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 on success, 2 with a message on a refused input, 130
    when a second Ctrl-C abandons the run."""
    args = parser().parse_args(argv)
    # Freed partitions go back to the system at once, as on the server (app.py):
    # a 4M-row comparison peaked at 1.3-1.5 GB without it, 1.1 GB with it.
    return_freed_memory()
    try:
        with CtrlC() as ctrl_c:
            return _compare(args, ctrl_c)
    except GddashError as error:
        print(f"gddash: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ngddash: abandoned at the second Ctrl-C; nothing was written.",
              file=sys.stderr)  # fmt: skip
        return 130


class CtrlC:
    """Ctrl-C as the page's Stop button: the first press ends the run in progress
    at its next chunk and keeps what was computed; a second raises
    KeyboardInterrupt, unless the report is being written (a few seconds, and
    a half-written folder would pass for a whole one). Called, it says whether
    the first press came. Python lets only the main thread set a signal
    handler, so elsewhere it never fires.
    """

    def __init__(self) -> None:
        self.pressed = False
        self.writing = False
        self._previous = None

    def __call__(self) -> bool:
        return self.pressed

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self.press)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def press(self, signum=None, frame=None) -> None:
        if self.writing:
            print("\nWriting the report: a moment more.", file=sys.stderr)
            return
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        print("\nStopping: the run in progress ends where it is and the report "
              "keeps what was computed. Ctrl-C again abandons it.",
              file=sys.stderr)  # fmt: skip


class Printer:
    """Progress on stderr, in the page's words: a line as each run starts, then
    at most one every ``PRINT_SECONDS`` (a 10⁸-row run reports every chunk)."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker, self.last = tracker, -float("inf")

    def __call__(self, label: str, progress) -> None:
        self.tracker(label, progress)
        now = time.perf_counter()
        if progress is None or now - self.last >= PRINT_SECONDS:
            self.last = now
            print(f"  {progress_line(self.tracker.snapshot())[1]}", file=sys.stderr)


def _from_here(location: str) -> str:
    """A relative local path made absolute from the working folder (a URL, or
    an absolute path, as it is): with no data folder set, the whole machine is
    the root, and a relative path means what a shell means by it."""
    if "://" in location or "::" in location or os.path.isabs(location.strip()):
        return location
    return os.path.join(os.getcwd(), location.strip())


def _printed_columns(columns) -> list[str]:
    """``TERMINAL_COLUMNS`` with the accuracy column, named for its rows, after R²."""
    accuracy = [c for c in columns if c.startswith("accuracy")]
    at = TERMINAL_COLUMNS.index("R²") + 1
    return TERMINAL_COLUMNS[:at] + accuracy + TERMINAL_COLUMNS[at:]


def compare_settings(args: argparse.Namespace):
    """The ``CompareSettings`` a parsed command asks for (α only with a penalty)."""
    from gddash.compare import CompareSettings
    from gddash.engine import Settings

    return CompareSettings(
        variants=tuple(args.variants),
        batch_size=args.batch_size,
        epochs=args.epochs,
        epsilon=args.epsilon,
        descent=Settings(
            learning_rate=args.learning_rate, rule=args.rule, schedule=args.schedule,
            seed=args.seed, penalty=args.penalty,
            alpha=args.alpha if args.penalty is not None else None,
            l1_ratio=args.l1_ratio,
        ),
    )  # fmt: skip


def command_line(
    location: str,
    target: str,
    features: list[str] | tuple[str, ...],
    task: str,
    settings,
    *,
    max_rows: int | None = None,
    max_seconds: float | None = None,
    out: str = "report",
) -> str:
    """The command that repeats a comparison headless, quoted for a POSIX shell:
    what the page shows under a large run. Options at their defaults are left
    out; numbers are written to round-trip exactly (``compare_settings`` of the
    parsed command gives ``settings`` back)."""
    defaults = parser().parse_args(["compare", "-", "--target", "-", "--out", "-"])
    d = settings.descent
    asked = {
        "--task": task,
        "--variants": list(settings.variants),
        "--epochs": settings.epochs,
        "--learning-rate": d.learning_rate,
        "--rule": d.rule,
        "--schedule": d.schedule,
        "--batch-size": settings.batch_size,
        "--seed": d.seed,
        "--penalty": d.penalty,
        "--alpha": d.alpha if d.penalty is not None else None,
        "--l1-ratio": d.l1_ratio if d.penalty == "elasticnet" else None,
        "--epsilon": settings.epsilon,
        "--max-rows": max_rows,
        "--max-seconds": max_seconds,
    }
    # A word that starts with "-" would be read as an option: such a column is
    # given as --flag=NAME, one --features each, and such a source after "--".
    dashed = location.startswith("-")
    words = ["python", "-m", "gddash", "compare", *([] if dashed else [location])]
    words += [f"--target={target}"] if target.startswith("-") else ["--target", target]
    if any(name.startswith("-") for name in features):
        words += [f"--features={name}" for name in features]
    else:
        words += ["--features", *features]
    for flag, value in asked.items():
        default = getattr(defaults, flag[2:].replace("-", "_"))
        if value is None or value == default:
            continue
        values = value if isinstance(value, list) else [value]
        words += [flag, *(repr(v) if isinstance(v, float) else str(v) for v in values)]
    return shlex.join([*words, "--out", out, *(["--", location] if dashed else [])])


def _check_out(out: Path) -> None:
    """Refuse, before any pass, a report folder that could not be made or written
    (said at once, not after the run). Nothing is created here."""
    if out.exists() and not out.is_dir():
        raise SettingsError(
            f"--out names a file, not a folder: '{out}'. Name a folder for the "
            "report (it is created if missing)."
        )
    existing = out
    while not existing.exists():  # the folder that would hold the new ones
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(f"'{existing}' is a file")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise SettingsError(
            f"The report cannot be written into '{out}' ({error.strerror or error})"
            ": name a folder you can write to with --out."
        ) from None


def _compare(args: argparse.Namespace, stop: CtrlC) -> int:
    from gddash import table
    from gddash.compare import runs_of
    from gddash.scale import report
    from gddash.scale.cluster import scheduler
    from gddash.scale.compare import by_newton, compare_source
    from gddash.scale.sources import ROOT_VARIABLE, Access, require_dask, resolve

    require_dask()
    if os.environ.get(ROOT_VARIABLE):  # paths under that folder, as on the server
        source = resolve(args.source, Access.from_env())
    else:  # the whole machine; a relative path from the working folder
        source = resolve(_from_here(args.source), Access("/", True))
    settings = compare_settings(args)
    alpha = settings.descent.alpha
    _check_out(args.out)
    tracker = Tracker(len(runs_of(settings)), newton=by_newton(args.task, args.epsilon))
    print(f"  {progress_line(tracker.snapshot())[1]}", file=sys.stderr)
    with scheduler(args.scheduler):
        comparison, problem = compare_source(
            source, args.target, args.features, settings, task=args.task,
            max_rows=args.max_rows, max_seconds=args.max_seconds,
            progress=Printer(tracker), stop=stop,
        )  # fmt: skip
    stop.writing = True
    try:
        written = report.write(
            comparison,
            args.out,
            {
                "source": args.source,
                "target": args.target,
                "features": list(comparison.dataset.feature_names),
                "task": args.task,
                "variants": list(comparison.settings.variants),
                "epochs": args.epochs,
                "learning_rate": args.learning_rate,
                "rule": args.rule,
                "schedule": args.schedule,
                "batch_size": args.batch_size,
                "seed": args.seed,
                "penalty": args.penalty,
                "alpha": alpha,
                "l1_ratio": args.l1_ratio,
                "epsilon": args.epsilon,
                "max_rows": args.max_rows,
                "max_seconds": args.max_seconds,
                "scheduler": args.scheduler or "threads",
                "stopped_by_ctrl_c": stop.pressed,
                "notes": list(comparison.dataset.notes),
            },
            problem,
        )
    except OSError as error:
        print(f"gddash: the report could not be written into '{args.out}': {error}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(comparison.verdict)
    if stop.pressed:
        print("Stopped by Ctrl-C: the report holds the runs computed until then.")
    print()
    print(table.as_text(comparison.table, _printed_columns(comparison.table)))
    print()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
