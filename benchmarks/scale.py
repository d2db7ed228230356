"""Large data through Dask (issue 16): memory, the Gram pass and SGD streaming.

python benchmarks/scale.py --quick   # 10⁶ rows × 10 features, Parquet (~1 minute)
python benchmarks/scale.py           # 10⁸ rows Parquet (~8 GB) and 2·10⁷ rows CSV

Prints PASS/MISS against the issue's targets: peak RSS of a default comparison
≤ 1.5 GB and not growing with n; the Gram pass within 1.5× of the faster of a
bare dask sum (and DuckDB's SUM, when installed); SGD streaming ≥ 0.5× the
in-memory engine's rows/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
FEATURES = [f"x{j}" for j in range(10)]
# The same file size at both sizes, and at least two files at the smaller, so
# that both read a partition per thread: only n differs between them.
ROWS_PER_FILE = {True: 100_000, False: 2_000_000}  # by --quick


def make_parquet(folder: Path, n: int, rows_per_file: int, seed: int = 0) -> None:
    """n synthetic rows in files of ``rows_per_file``, written file by file."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=10)
    for k, start in enumerate(range(0, n, rows_per_file)):
        m = min(rows_per_file, n - start)
        x = rng.normal(size=(m, 10)) * 2.0 + 1.0
        frame = pd.DataFrame(x, columns=FEATURES)
        frame["y"] = x @ weights + rng.normal(size=m)
        frame.to_parquet(folder / f"part-{k:05d}.parquet", index=False)


def comparison_rss(folder: Path) -> dict:
    """A default comparison (1 epoch) in a fresh process: its peak RSS and time.

    The process first tunes glibc as the app's server does once at start
    (``gddash.allocator``): freed blocks go back to the system, two arenas.
    """
    code = f"""
import json, resource, time
from gddash.allocator import return_freed_memory
return_freed_memory()
from gddash.compare import CompareSettings
from gddash.scale.compare import compare_source
from gddash.scale.sources import Access, resolve
start = time.perf_counter()
source = resolve({str(folder)!r}, Access("/"))
c, _ = compare_source(source, "y", None, CompareSettings(epochs=1.0))
print(json.dumps({{"seconds": time.perf_counter() - start,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "table": c.table[["variant", "final loss", "gap to optimum"]].to_dict("records")}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def gram_speed(folder: Path, repeats: int = 3) -> dict:
    """The Gram pass against a bare dask sum of the same frame (same files, same
    columns, same reader), each warmed once and then timed best of ``repeats``,
    alternating; and DuckDB's SUM over the files when it is installed."""
    import dask

    from gddash.scale import gram
    from gddash.scale.columns import choose
    from gddash.scale.sources import Access, resolve

    source = resolve(str(folder), Access("/"))
    columns, frame = choose(source, "y", None)
    passes = {
        "gram_s": lambda: gram.moments(frame, columns),
        "dask_sum_s": lambda: frame.sum().compute(),
    }
    best = dict.fromkeys(passes, float("inf"))
    with dask.config.set(scheduler="threads"):
        stats = gram.moments(frame, columns)
        frame.sum().compute()
        for _ in range(repeats):
            for key, one_pass in passes.items():
                start = time.perf_counter()
                one_pass()
                best[key] = min(best[key], time.perf_counter() - start)
    result = {"n": stats.n, "partitions": frame.npartitions, **best}
    try:
        import duckdb

        sums = ", ".join(f"SUM({c})" for c in columns.names)
        query = f"SELECT {sums} FROM read_parquet('{folder}/*.parquet')"
        duckdb.sql(query).fetchall()
        start = time.perf_counter()
        duckdb.sql(query).fetchall()
        result["duckdb_s"] = time.perf_counter() - start
    except ImportError:
        pass
    return result


def sgd_speed(folder: Path, n_rows: int, repeats: int = 2) -> dict:
    """Streaming SGD over 1 epoch against the engine's SGD on the same rows held
    in memory, shuffled (the default) and in file order; each warmed, best of
    ``repeats``."""
    from gddash.engine import LinearRegression, Settings, descend
    from gddash.scale import gram
    from gddash.scale.columns import choose
    from gddash.scale.sources import Access, resolve
    from gddash.scale.stream import StreamSettings, stream

    columns, frame = choose(resolve(str(folder), Access("/")), "y", None)
    stats = gram.moments(frame, columns)
    scale = gram.scaling(stats, columns)
    data = frame.compute()
    X = scale.design(data[list(columns.features)].to_numpy())
    problem = LinearRegression(X, data["y"].to_numpy(), intercept=True)
    del data

    def best(run) -> float:
        run()  # compile, warm the page cache
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    result = {}
    for shuffle in (True, False):
        descent = Settings(
            variant="sgd", learning_rate=0.001, max_epochs=1, shuffle=shuffle
        )
        settings = StreamSettings(descent=descent)
        streamed = best(lambda s=settings: stream(frame, columns, scale, stats.n, s))
        memory = best(lambda d=descent: descend(problem, d))
        key = "shuffled" if shuffle else "in_order"
        result[key] = {
            "stream_rows_s": n_rows / streamed,
            "memory_rows_s": n_rows / memory,
        }
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--quick", action="store_true")
    quick = args.parse_args().quick
    sizes = (200_000, 1_000_000) if quick else (10_000_000, 100_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        rss = {}
        for n in sizes:
            folder = Path(tmp) / f"n{n}"
            make_parquet(folder, n, rows_per_file=ROWS_PER_FILE[quick])
            rss[n] = comparison_rss(folder)
            files = -(-n // ROWS_PER_FILE[quick])
            seconds, peak = rss[n]["seconds"], rss[n]["rss_mb"]
            print(f"n = {n:>11,} ({files} files): default comparison "
                  f"{seconds:.1f} s, peak RSS {peak:.0f} MB")  # fmt: skip
        small, large = (rss[n]["rss_mb"] for n in sizes)
        print(f"{verdict(large <= 1536)} peak RSS {large:.0f} MB <= 1536 MB")
        grows = verdict(large <= 1.25 * small)
        print(f"{grows} peak RSS does not grow with n: {small:.0f} MB at "
              f"{sizes[0]:,} rows, {large:.0f} MB at {sizes[1]:,}")  # fmt: skip
        for row in rss[sizes[1]]["table"]:
            print(f"    {row['variant']:<18} final loss {row['final loss']:.6g}, "
                  f"gap {row['gap to optimum']:.3g}")  # fmt: skip
        folder = Path(tmp) / f"n{sizes[1]}"
        speed = gram_speed(folder)
        fastest = min(v for k, v in speed.items() if k in ("dask_sum_s", "duckdb_s"))
        n = speed["n"]
        print(f"Gram pass {n / speed['gram_s']:,.0f} rows/s; dask sum "
              f"{n / speed['dask_sum_s']:,.0f} rows/s"
              + (f"; DuckDB SUM {n / speed['duckdb_s']:,.0f} rows/s"
                 if "duckdb_s" in speed else " (DuckDB not installed)"))  # fmt: skip
        ratio = speed["gram_s"] / fastest
        print(
            f"{verdict(ratio <= 1.5)} Gram pass {ratio:.2f}x the fastest sum "
            "(target <= 1.5x)"
        )
        sgd = sgd_speed(folder, n)
        for key, run in sgd.items():
            print(
                f"SGD ({key.replace('_', ' ')}) streamed {run['stream_rows_s']:,.0f} "
                f"rows/s; in memory {run['memory_rows_s']:,.0f} rows/s "
                f"({run['stream_rows_s'] / run['memory_rows_s']:.2f}x)"
            )
        run = sgd["shuffled"]
        share = run["stream_rows_s"] / run["memory_rows_s"]
        ceiling = (n / speed["dask_sum_s"]) / run["memory_rows_s"]
        print(
            f"{verdict(share >= 0.5)} SGD streaming {share:.2f}x in-memory "
            f"(target >= 0.5x; reading alone, a bare dask sum on every core, is "
            f"{ceiling:.2f}x)"
        )
        if not quick:
            print("(CSV 2·10⁷ rows and the LocalCluster run: not written yet)")


if __name__ == "__main__":
    main()
