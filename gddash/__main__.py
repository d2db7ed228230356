"""Headless gddash: ``python -m gddash compare SOURCE --target y --out report/``.

Runs the compare page's comparison on a large CSV / Parquet source through Dask
(on a cluster with ``--scheduler``) and writes its table, traces, charts and
settings. The person at the command line owns the machine, so local paths and
URLs are allowed unless GDDASH_DATA_ROOT restricts them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gddash.allocator import return_freed_memory
from gddash.errors import GddashError
from gddash.scale.cluster import SCHEDULER_VARIABLE, scheduler_address


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m gddash", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("compare", help="compare batch, SGD and mini-batch")
    cmd.add_argument("source", help="a CSV / Parquet file, folder, glob or URL")
    cmd.add_argument("--target", required=True)
    cmd.add_argument("--features", nargs="+", default=None)
    cmd.add_argument("--task", choices=("linear", "logistic"), default="linear")
    cmd.add_argument("--variants", nargs="+", default=["batch", "sgd", "minibatch"])
    cmd.add_argument("--epochs", type=float, default=1.0)
    cmd.add_argument("--learning-rate", type=float, default=0.01)
    cmd.add_argument("--batch-size", type=int, default=32)
    cmd.add_argument("--seed", type=int, default=0)
    cmd.add_argument("--penalty", choices=("l2", "l1", "elasticnet"), default=None)
    cmd.add_argument("--alpha", type=float, default=None)
    cmd.add_argument("--l1-ratio", type=float, default=0.15)
    cmd.add_argument(
        "--epsilon", type=float, default=None, help="fit Huber's loss with this ε"
    )
    cmd.add_argument(
        "--max-rows",
        type=int,
        default=None,
        help="rows each SGD / mini-batch run may process",
    )
    cmd.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="seconds each SGD / mini-batch run may take",
    )
    cmd.add_argument("--scheduler", default=scheduler_address(),
                     help=f"a Dask scheduler address (default: ${SCHEDULER_VARIABLE}, "
                     "else this machine's threads)")  # fmt: skip
    cmd.add_argument("--out", type=Path, required=True)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 on success, 2 with a message on a refused input."""
    args = parser().parse_args(argv)
    # Freed partitions go back to the system at once, as on the server (app.py):
    # a 4M-row comparison peaked at 1.3-1.5 GB without it, 1.1 GB with it.
    return_freed_memory()
    try:
        return _compare(args)
    except GddashError as error:
        print(f"gddash: {error}", file=sys.stderr)
        return 2


def _compare(args: argparse.Namespace) -> int:
    from gddash.compare import CompareSettings
    from gddash.engine import Settings
    from gddash.scale import report
    from gddash.scale.cluster import scheduler
    from gddash.scale.compare import compare_source
    from gddash.scale.sources import ROOT_VARIABLE, Access, require_dask, resolve

    require_dask()
    access = Access.from_env() if os.environ.get(ROOT_VARIABLE) else Access("/", True)
    source = resolve(args.source, access)
    settings = CompareSettings(
        variants=tuple(args.variants),
        batch_size=args.batch_size,
        epochs=args.epochs,
        epsilon=args.epsilon,
        descent=Settings(
            learning_rate=args.learning_rate, seed=args.seed, penalty=args.penalty,
            alpha=args.alpha, l1_ratio=args.l1_ratio,
        ),
    )  # fmt: skip
    with scheduler(args.scheduler):
        comparison, problem = compare_source(
            source, args.target, args.features, settings, task=args.task,
            max_rows=args.max_rows,
            max_seconds=args.max_seconds,
            progress=lambda label, p: print(
                label if p is None else f"  {p.rows:,} rows, {p.passes:.3g} "
                f"passes, {p.seconds_left:.0f} s left", file=sys.stderr),
        )  # fmt: skip
    written = report.write(
        comparison,
        args.out,
        {
            "source": args.source,
            "target": args.target,
            "features": list(comparison.dataset.feature_names),
            "task": args.task,
            "variants": list(settings.variants),
            "epochs": args.epochs,
            "learning_rate": args.learning_rate,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "penalty": args.penalty,
            "alpha": args.alpha,
            "l1_ratio": args.l1_ratio,
            "epsilon": args.epsilon,
            "max_rows": args.max_rows,
            "max_seconds": args.max_seconds,
            "scheduler": args.scheduler or "threads",
            "notes": list(comparison.dataset.notes),
        },
        problem,
    )
    print(comparison.verdict)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
