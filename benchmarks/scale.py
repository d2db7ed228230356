"""Large data through Dask (issue 16): memory, the Gram pass and SGD streaming.

python benchmarks/scale.py --quick   # 10⁶ rows × 10 features, Parquet (~20 s)
python benchmarks/scale.py           # 10⁸ rows Parquet (~8.5 GB), 2·10⁷ rows CSV

The full run writes its data once into /tmp/gddash-scale (file by file, bounded
memory; ~15 GB, a few minutes) and reuses it. Prints PASS/MISS against the
issue's targets: peak RSS of a default comparison ≤ 1.5 GB and not growing with
n; the Gram pass within 1.5× of the faster of a bare dask sum and DuckDB's SUM
(``pip install -r benchmarks/requirements.txt``; skipped when missing); SGD
streaming ≥ 0.5× the in-memory engine's rows/s on 10⁶ rows; and, full size
only, the CSV, four files of the largest row group a source may have
(``limits.MAX_GROUP_BYTES``), 2·10⁷ rows of int8 features (Parquet) and of
one-digit values (CSV), a log-loss comparison of 10⁷ rows (a 0/1 target), a
LocalCluster of 2 workers (θ* equal to the local one to 1e-10) and the share of
an epoch SGD and mini-batch need to come within 1% of the optimal loss at 10⁸
rows. CPU seconds are printed beside wall seconds: the machine may be shared.
The process tunes glibc as the app's server does (``gddash.allocator``).
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
FEATURES = [f"x{j}" for j in range(10)]
CACHE = Path("/tmp/gddash-scale")  # the full-size data, kept between runs


def synthetic(n: int, rows_per_file: int, seed: int = 0):
    """n rows of y = x·w + noise, x ~ N(1, 2²) (10 features), file by file: memory
    holds one file's rows at a time, whatever n is."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=10)
    for start in range(0, n, rows_per_file):
        m = min(rows_per_file, n - start)
        x = rng.normal(size=(m, 10)) * 2.0 + 1.0
        frame = pd.DataFrame(x, columns=FEATURES)
        frame["y"] = x @ weights + rng.normal(size=m)
        yield frame


def make_parquet(folder: Path, n: int, rows_per_file: int, seed: int = 0) -> None:
    """n synthetic rows in Parquet files of ``rows_per_file``, written file by file."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, frame in enumerate(synthetic(n, rows_per_file, seed)):
        frame.to_parquet(folder / f"part-{k:05d}.parquet", index=False)


def make_logistic(folder: Path, n: int, rows_per_file: int, seed: int = 2) -> None:
    """n rows of 10 features and a 0/1 ``label`` drawn from a logistic model."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=10) * 0.5
    for k, frame in enumerate(synthetic(n, rows_per_file, seed)):
        z = (frame[FEATURES].to_numpy() - 1.0) @ weights + 0.3
        frame = frame.drop(columns="y")
        frame["label"] = (rng.random(len(z)) < 1 / (1 + np.exp(-z))) * 1.0
        frame.to_parquet(folder / f"part-{k:05d}.parquet", index=False)


def make_csv(folder: Path, n: int, rows_per_file: int, seed: int = 1) -> None:
    """n synthetic rows in CSV files of ``rows_per_file`` (pyarrow's writer)."""
    import pyarrow as pa
    import pyarrow.csv

    folder.mkdir(parents=True, exist_ok=True)
    for k, frame in enumerate(synthetic(n, rows_per_file, seed)):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pyarrow.csv.write_csv(table, folder / f"part-{k:05d}.csv")


def make_groups(folder: Path, n: int, rows_per_file: int, seed: int = 3) -> None:
    """n synthetic rows in Parquet files of one row group each (``rows_per_file``
    rows: a group is read whole, so its size sets a piece's memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for k, frame in enumerate(synthetic(n, rows_per_file, seed)):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(
            table, folder / f"part-{k:05d}.parquet", row_group_size=rows_per_file
        )


def make_narrow(folder: Path, n: int, rows_per_file: int, seed: int = 4) -> None:
    """n rows of 10 int8 features (-5..5) and a float32 target: eight times as
    many bytes as float64 arrays in memory as in the file."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=10)
    for k, start in enumerate(range(0, n, rows_per_file)):
        x = rng.integers(-5, 6, size=(min(rows_per_file, n - start), 10))
        frame = pd.DataFrame(x.astype(np.int8), columns=FEATURES)
        frame["y"] = (x @ weights + rng.normal(size=len(x))).astype(np.float32)
        frame.to_parquet(folder / f"part-{k:05d}.parquet", index=False)


def make_digits(folder: Path, n: int, rows_per_file: int, seed: int = 5) -> None:
    """n rows of 11 one-digit integers in CSV files: 2 bytes a value on disk,
    8 as float64 arrays."""
    import pyarrow as pa
    import pyarrow.csv

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for k, start in enumerate(range(0, n, rows_per_file)):
        x = rng.integers(0, 10, size=(min(rows_per_file, n - start), 11))
        frame = pd.DataFrame(x.astype(np.int8), columns=[*FEATURES, "y"])
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pyarrow.csv.write_csv(table, folder / f"part-{k:05d}.csv")


def cached(folder: Path, make, n: int, rows_per_file: int) -> Path:
    """``folder`` made by ``make`` once; a finished marker says it is complete."""
    done = folder / ".complete"
    if not done.exists():
        make(folder, n, rows_per_file)
        done.write_text(f"{n}\n")
    return folder


def comparison_rss(
    location: str, cluster: bool = False, target: str = "y", task: str = "linear"
) -> dict:
    """A default comparison (1 epoch) in a fresh process: its peak RSS, wall and
    CPU seconds, table and θ*; with ``cluster`` on a ``LocalCluster`` of 2 worker
    processes (the RSS is then the client's; the workers read the passes).
    ``task="logistic"`` fits the log-loss of the 0/1 column ``target``.

    The process first tunes glibc as the app's server does once at start
    (``gddash.allocator``): freed blocks go back to the system, two arenas.
    """
    code = f"""
import contextlib, json, time
def peak_mb():
    # VmHWM: this process's own high-water mark. ru_maxrss would not do: Linux
    # carries the parent's RSS at the fork into the child's across exec.
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024
from gddash.allocator import return_freed_memory
return_freed_memory()
from gddash.compare import CompareSettings
from gddash.scale.cluster import scheduler
from gddash.scale.compare import compare_source
from gddash.scale.sources import Access, resolve
with contextlib.ExitStack() as stack:
    address = None
    if {cluster!r}:
        from distributed import LocalCluster
        # No dashboard; the scheduler's HTTP server on a free port, not 8787.
        quiet = {{"dashboard": False, "dashboard_address": ":0"}}
        local = stack.enter_context(LocalCluster(n_workers=2, threads_per_worker=1,
                                                 dashboard_address=None,
                                                 scheduler_kwargs=quiet))
        address = local.scheduler_address
    stack.enter_context(scheduler(address))
    start, cpu = time.perf_counter(), time.process_time()
    source = resolve({location!r}, Access("/"))
    c, _ = compare_source(source, {target!r}, None, CompareSettings(epochs=1.0),
                          task={task!r})
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({{"seconds": seconds, "cpu": cpu,
    "rss_mb": peak_mb(),
    "theta": c.optimum.theta.tolist(),
    "table": c.table[["variant", "final loss", "gap to optimum", "seconds"]]
        .to_dict("records")}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(run) -> tuple[float, float]:
    """(wall, CPU) seconds of ``run()``; CPU counts every thread of the process."""
    start, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start, time.process_time() - cpu


def gram_speed(location: str, repeats: int = 3, dask_gram: bool = True) -> dict:
    """The Gram pass as a comparison runs it (a local Parquet source read piece by
    piece through pyarrow; a CSV through Dask) against a bare dask sum of the
    same frame (same files, same columns), each warmed once and then timed best
    of ``repeats``, alternating; and DuckDB's SUM over the same files when it is
    installed. A Parquet source also shows reading its pieces alone ("pyarrow
    read", the floor of the Gram pass) and, with ``dask_gram``, its Gram pass
    through Dask's frame ("gram via dask"), as CSV and URL sources run it."""
    import dask

    from gddash.scale import gram
    from gddash.scale.columns import choose
    from gddash.scale.sources import Access, parquet_pieces, resolve

    source = resolve(location, Access("/"))
    columns, frame = choose(source, "y", None)
    pieces = parquet_pieces(source, columns.names)
    passes = {
        "gram": lambda: gram.moments(frame, columns, pieces=pieces),
        "dask sum": lambda: frame.sum().compute(),
    }
    if pieces is not None:
        # The floor of any pass over pyarrow's pieces: reading them, no arithmetic.
        reads = [dask.delayed(_rows_of)(piece) for piece in pieces]
        passes["pyarrow read"] = lambda: dask.compute(*reads)
    if pieces is not None and dask_gram:
        passes["gram via dask"] = lambda: gram.moments(frame, columns)
    scan = duckdb_sum(source, columns.names)
    if scan is not None:  # timed in the same rounds as the others: the same load
        passes["DuckDB SUM"] = scan
    best = dict.fromkeys(passes, (float("inf"), float("inf")))
    load = []  # the 1-minute load average at the start of each round
    with dask.config.set(scheduler="threads"):
        stats = gram.moments(frame, columns, pieces=pieces)
        for one_pass in passes.values():  # warm: page cache, compilation
            one_pass()
        for _ in range(repeats):
            load.append(os.getloadavg()[0])
            for key, one_pass in passes.items():
                best[key] = min(best[key], timed(one_pass))
    return {"n": stats.n, "partitions": frame.npartitions, "best": best, "load": load}


def duckdb_sum(source, names: list[str]):
    """A call of DuckDB's SUM of ``names`` over the source's files (the fastest
    single-machine scan), or None when DuckDB is not installed."""
    try:
        import duckdb
    except ImportError:
        print("  (DuckDB not installed: pip install -r benchmarks/requirements.txt)")
        return None
    sums = ", ".join(f"SUM({c})" for c in names)
    reader = "read_parquet" if source.format == "parquet" else "read_csv"
    query = f"SELECT {sums} FROM {reader}({list(source.paths)!r})"
    duckdb.sql("SET enable_progress_bar = false")  # no bar in the output
    return lambda: duckdb.sql(query).fetchall()


def _rows_of(piece) -> int:
    return piece().num_rows


def sgd_speed(folder: Path, repeats: int = 3) -> dict:
    """Streaming SGD over 1 epoch (as a comparison streams it: local Parquet
    read piece by piece through pyarrow) against the engine's SGD on the same
    rows held in memory, shuffled (the default) and in file order; each warmed,
    best of ``repeats`` taken in turns. Timed in the shuffled rounds too: the
    in-memory route from the files (read whole, then descend), and, with
    DuckDB installed, its bare SUM of the same files."""
    from gddash.engine import LinearRegression, Settings, descend
    from gddash.scale import gram
    from gddash.scale.columns import choose
    from gddash.scale.sources import Access, parquet_pieces, resolve
    from gddash.scale.stream import StreamSettings, stream

    source = resolve(str(folder), Access("/"))
    columns, frame = choose(source, "y", None)
    pieces = parquet_pieces(source, columns.names)
    stats = gram.moments(frame, columns, pieces=pieces)
    scale = gram.scaling(stats, columns)
    data = frame.compute()
    X = scale.design(data[list(columns.features)].to_numpy())
    problem = LinearRegression(X, data["y"].to_numpy(), intercept=True)
    del data

    def best(*runs) -> list[tuple[float, float]]:
        """Each run's best (wall, CPU), the runs taking turns: on a shared
        machine, both then meet the same quiet moments and the same noise."""
        for run in runs:
            run()  # compile, warm the page cache
        times = [[timed(run) for run in runs] for _ in range(repeats)]
        return [min(column) for column in zip(*times, strict=True)]

    def read_then_descend(descent: Settings):
        """The in-memory route from the files: read them whole (pandas through
        pyarrow), standardise, descend."""
        data = pd.read_parquet(list(source.paths), columns=list(columns.names))
        X = scale.design(data[list(columns.features)].to_numpy())
        return descend(
            LinearRegression(X, data["y"].to_numpy(), intercept=True), descent
        )

    result = {"n": stats.n}
    # DuckDB's bare SUM of the same files, in the shuffled runs' rounds: the
    # cost of merely scanning them, which no streamed pass can undercut.
    scan = duckdb_sum(source, columns.names)
    for shuffle in (True, False):
        descent = Settings(
            variant="sgd", learning_rate=0.001, max_epochs=1, shuffle=shuffle
        )
        settings = StreamSettings(descent=descent)
        runs = [
            lambda s=settings: stream(frame, columns, scale, stats.n, s, pieces=pieces),
            lambda d=descent: descend(problem, d),
        ]
        if shuffle:
            runs.append(lambda d=descent: read_then_descend(d))
            if scan is not None:
                runs.append(scan)
        timings = best(*runs)
        result["shuffled" if shuffle else "in order"] = timings[:2]
        if shuffle:
            result["descending thread"] = own_thread(runs[0], repeats)
            result["read, then in memory"] = timings[2]
            if scan is not None:
                result["DuckDB SUM"] = timings[3]
    return result


def own_thread(run, repeats: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the calling thread in the fastest of ``repeats``
    runs: a streamed run gathers and descends there, its readers elsewhere."""
    runs = []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.thread_time()
        run()
        runs.append((time.perf_counter() - start, time.thread_time() - cpu))
    return min(runs)


def stream_work(folder: Path, repeats: int = 5) -> dict:
    """CPU seconds of each part of a shuffled SGD epoch streamed over ``folder``,
    one part at a time (best of ``repeats``): reading the pieces and taking
    their columns (pyarrow, one thread a piece: the reading thread's part), and
    within it copying the files' bytes out of the page cache; drawing each
    piece's row order (``shuffle.epoch_rows``) and gathering the standardised
    rows in that order into window-sized chunks (``kernels.design_rows`` with
    its blocks read ahead, as ``stream`` does); and descending on them
    (``run_rows``). With two cores, half the sum of the three is the least wall
    time any overlap of them can reach."""
    import resource

    from gddash.engine import Settings, run_rows, shuffle, start_rows
    from gddash.engine.kernels import design_rows
    from gddash.scale import gram
    from gddash.scale.columns import choose, column_values
    from gddash.scale.sources import Access, parquet_pieces, resolve

    source = resolve(str(folder), Access("/"))
    columns, frame = choose(source, "y", None)
    pieces = parquet_pieces(source, columns.names)
    stats = gram.moments(frame, columns, pieces=pieces)
    scale = gram.scaling(stats, columns)
    descent = Settings(variant="sgd", learning_rate=0.001, max_epochs=1)
    rng = np.random.default_rng(0)
    window = shuffle.WINDOW_ROWS
    read = [column_values(piece(), columns)[0] for piece in pieces]
    X, y = np.empty((window, len(scale.kept) + 1)), np.empty(window)

    def gathered(each) -> None:
        """Every piece's rows in windows, each handed to ``each(X, y)``."""
        for values in read:
            features, target = [values[k] for k in scale.kept], values[-1]
            blocks = shuffle.epoch_rows(rng, len(target))
            order = shuffle.window_order(*blocks)
            for at in range(0, len(target), window):
                m = min(window, len(target) - at)
                out = (X[:m], y[:m])
                ahead = blocks[0][at : at + m]
                design_rows(features, scale.means, scale.scales, target, order, at,
                            out, ahead=ahead)  # fmt: skip
                each(*out)

    def descend_chunks() -> None:
        state = start_rows(descent, len(scale.kept) + 1)
        for chunk_x, chunk_y in chunks:
            state = run_rows(
                chunk_x, chunk_y, state, descent, n_samples=stats.n,
                stride=stats.n // 20, loss="squared", epsilon=0.1,
            ).state  # fmt: skip

    chunks = []
    gathered(lambda a, b: chunks.append((a.copy(), b.copy())))

    def cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_SELF)
        return used.ru_utime + used.ru_stime

    def best(run) -> float:
        run()
        spent = []
        for _ in range(repeats):
            start = cpu()
            run()
            spent.append(cpu() - start)
        return min(spent)

    # The bytes of the files copied out of the page cache into one reused
    # buffer, as every buffered read copies them: the part of "read" that no
    # decoder can save (only a memory map would, see sources._read_groups).
    # The buffer is page-aligned. Arrow's read buffers are 64-byte aligned,
    # which the kernel fills as fast; a bytearray, which glibc places 16 bytes
    # into a page, it filled four times as slowly on the AMD VM of the README
    # (48 against 12 ms for 10⁶ rows), and this line used to measure that.
    copied = mmap.mmap(-1, max(os.path.getsize(path) for path in source.paths))

    def copy_files() -> None:
        for path in source.paths:
            with open(path, "rb") as file:
                file.readinto(copied)

    return {
        "read": best(lambda: [column_values(piece(), columns) for piece in pieces]),
        "order and gather": best(lambda: gathered(lambda a, b: None)),
        "descend": best(descend_chunks),
        "copy out of the page cache": best(copy_files),
    }


def epoch_share(location: str, learning_rates=(0.01, 0.001)) -> list[dict]:
    """The share of an epoch SGD and mini-batch (32) need to come within 1% of
    the optimal loss: a streamed run of at most 2% of an epoch, θ recorded at
    201 points and evaluated exactly on the compact problem."""
    import dask

    from gddash.compare import TARGET_FRACTION
    from gddash.engine import Settings
    from gddash.scale import gram
    from gddash.scale.columns import choose
    from gddash.scale.sources import Access, parquet_pieces, resolve
    from gddash.scale.stream import StreamSettings, stream

    source = resolve(location, Access("/"))
    columns, frame = choose(source, "y", None)
    pieces = parquet_pieces(source, columns.names)
    with dask.config.set(scheduler="threads"):
        stats = gram.moments(frame, columns, pieces=pieces)
    scale = gram.scaling(stats, columns)
    compact = gram.compact_problem(gram.gram(stats, scale))
    best = compact.optimum()[1]
    rows = []
    for rate in learning_rates:
        for variant in ("sgd", "minibatch"):
            settings = StreamSettings(
                descent=Settings(variant=variant, learning_rate=rate),
                max_rows=stats.n // 50,
                points=201,
            )
            run = stream(frame, columns, scale, stats.n, settings, pieces=pieces)
            losses = compact.evaluate(run.thetas)[0]
            hits = np.flatnonzero(losses <= best * (1 + TARGET_FRACTION))
            share = None if len(hits) == 0 else run.rows[hits[0]] / stats.n
            rows.append({"variant": variant, "learning rate": rate, "share": share,
                         "final gap": losses[-1] / best - 1})  # fmt: skip
    return rows


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def show_comparison(name: str, run: dict) -> None:
    print(f"{name}: {run['seconds']:.1f} s ({run['cpu']:.1f} CPU s), "
          f"peak RSS {run['rss_mb']:.0f} MB")  # fmt: skip
    for row in run["table"]:
        print(f"    {row['variant']:<18} final loss {row['final loss']:.6g}, "
              f"gap {row['gap to optimum']:.3g}, {row['seconds']:.1f} s")  # fmt: skip


def show_gram(speed: dict) -> None:
    n = speed["n"]
    for key, (wall, cpu) in speed["best"].items():
        print(
            f"    {key:<13} {n / wall:>13,.0f} rows/s ({wall:.2f} s, {cpu:.2f} CPU s)"
        )
    fastest = min(v[0] for k, v in speed["best"].items() if "SUM" in k.upper())
    ratio = speed["best"]["gram"][0] / fastest
    print(f"    load average {', '.join(f'{x:.1f}' for x in speed['load'])}")
    print(f"{verdict(ratio <= 1.5)} Gram pass {ratio:.2f}x the fastest sum "
          "(target <= 1.5x)")  # fmt: skip


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--quick", action="store_true")
    quick = args.parse_args().quick
    # Measured as the app's server runs (app.py, ``python -m gddash``): freed
    # blocks of 1 MiB or more go back to the system at once, so an array
    # allocated afresh pays a page fault per 4 KiB it touches.
    from gddash.allocator import return_freed_memory

    return_freed_memory()
    with tempfile.TemporaryDirectory() as tmp:
        if quick:
            folder = Path(tmp) / "n1e6"
            make_parquet(Path(tmp) / "n2e5", 200_000, 100_000)
            make_parquet(folder, 1_000_000, 100_000)
            small, large = str(Path(tmp) / "n2e5"), str(folder)
            sizes = (200_000, 1_000_000)
        else:
            folder = cached(CACHE / "parquet-1e8", make_parquet, 10**8, 2_000_000)
            csv = cached(CACHE / "csv-2e7", make_csv, 2 * 10**7, 2_000_000)
            million = cached(CACHE / "parquet-1e6", make_parquet, 10**6, 100_000)
            # 10⁷ rows: the first five files of the same data.
            small, large = str(folder / "part-0000[0-4].parquet"), str(folder)
            sizes = (10**7, 10**8)
        print("== Peak RSS of a default comparison (1 epoch, fresh process)")
        rss = {}
        for n, location in zip(sizes, (small, large), strict=True):
            rss[n] = comparison_rss(location)
            show_comparison(f"n = {n:>11,} Parquet", rss[n])
        low, high = (rss[n]["rss_mb"] for n in sizes)
        print(f"{verdict(high <= 1536)} peak RSS {high:.0f} MB <= 1536 MB")
        print(f"{verdict(high <= 1.25 * low)} peak RSS does not grow with n: "
              f"{low:.0f} MB at {sizes[0]:,} rows, {high:.0f} MB at "
              f"{sizes[1]:,}")  # fmt: skip
        if not quick:
            run = comparison_rss(str(csv))
            show_comparison("n =  20,000,000 CSV", run)
            print(f"{verdict(run['rss_mb'] <= 1536)} CSV peak RSS "
                  f"{run['rss_mb']:.0f} MB <= 1536 MB")  # fmt: skip
            # The largest row group a source may have (gddash.limits), four files
            # of one each: a group is read whole, so memory grows with it.
            from gddash import limits

            rows = limits.MAX_GROUP_BYTES // (8 * (len(FEATURES) + 1))
            groups = cached(CACHE / f"groups-{rows}", make_groups, 4 * rows, rows)
            run = comparison_rss(str(groups))
            show_comparison(f"4 files of one {rows:,}-row group", run)
            print(f"{verdict(run['rss_mb'] <= 1536)} peak RSS at the largest row "
                  f"group read ({limits.MAX_GROUP_BYTES / 1e6:.0f} MB as float64) "
                  f"{run['rss_mb']:.0f} MB <= 1536 MB")  # fmt: skip
            # Narrow columns: a piece is cut by the float64 arrays it becomes.
            narrow = cached(CACHE / "int8-2e7", make_narrow, 2 * 10**7, 5 * 10**6)
            run = comparison_rss(str(narrow))
            show_comparison("n =  20,000,000 int8", run)
            print(f"{verdict(run['rss_mb'] <= 1536)} peak RSS over int8 features "
                  f"{run['rss_mb']:.0f} MB <= 1536 MB")  # fmt: skip
            digits = cached(CACHE / "digits-2e7", make_digits, 2 * 10**7, 5 * 10**6)
            run = comparison_rss(str(digits))
            show_comparison("n =  20,000,000 CSV digits", run)
            print(f"{verdict(run['rss_mb'] <= 1536)} peak RSS over one-digit CSV "
                  f"values {run['rss_mb']:.0f} MB <= 1536 MB")  # fmt: skip
        print(f"== The Gram pass over {sizes[1]:,} rows (Parquet), best of 3")
        show_gram(gram_speed(large, repeats=3 if quick else 2))
        if not quick:
            print("== The Gram pass over 20,000,000 rows (CSV), best of 2")
            show_gram(gram_speed(str(csv), repeats=2))
        print("== SGD streaming against the in-memory engine, 10⁶ rows, 1 epoch")
        sgd = sgd_speed(folder if quick else million, repeats=7)
        for key in ("shuffled", "in order"):
            (wall, cpu), (memory, _) = sgd[key]
            n = sgd["n"]
            print(f"SGD ({key}) streamed {n / wall:,.0f} rows/s ({cpu:.2f} CPU s); "
                  f"in memory {n / memory:,.0f} rows/s "
                  f"({memory / wall:.2f}x)")  # fmt: skip
        (wall, _), (memory, _) = sgd["shuffled"]
        print(f"{verdict(memory / wall >= 0.5)} SGD streaming {memory / wall:.3f}x "
              "in-memory (target >= 0.5x)")  # fmt: skip
        loaded = sgd["read, then in memory"][0]
        print(f"    reading the files whole first, then in memory: {n / loaded:,.0f} "
              f"rows/s ({loaded:.3f} s); streamed SGD takes {wall / loaded:.2f}x "
              "its time")  # fmt: skip
        if "DuckDB SUM" in sgd:
            scan = sgd["DuckDB SUM"][0]
            print(f"    DuckDB's bare SUM of the same files takes {scan:.3f} s "
                  f"({scan / memory:.2f}x the in-memory SGD epoch's time); "
                  f"streamed SGD takes {wall / scan:.2f}x its time")  # fmt: skip
        work = stream_work(folder if quick else million)
        copy = work.pop("copy out of the page cache")
        print("    CPU s of each part, shuffled: " + ", ".join(
            f"{part} {seconds:.3f}" for part, seconds in work.items()))  # fmt: skip
        print(f"    of the read, copying the files out of the page cache: {copy:.3f}")
        busy, alone = sgd["descending thread"], sum(list(work.values())[1:])
        print(f"    in a streamed run the gathering and descending thread is busy "
              f"{busy[1]:.3f} CPU s of {busy[0]:.3f} s ({busy[1] / alone:.2f}x its "
              f"parts alone, {alone:.3f})")  # fmt: skip
        floor = sum(work.values()) / 2
        print(f"    on 2 cores no overlap beats {floor:.3f} s: at most "
              f"{memory / floor:.2f}x in-memory")  # fmt: skip
        if quick:
            return
        logistic = cached(CACHE / "logistic-1e7", make_logistic, 10**7, 2_000_000)
        print("== The log-loss comparison of a 0/1 target, 10⁷ rows (Parquet)")
        run = comparison_rss(str(logistic), target="label", task="logistic")
        show_comparison("n =  10,000,000 logistic", run)
        print("== The same comparison on a LocalCluster of 2 worker processes")
        there = comparison_rss(large, cluster=True)
        show_comparison(f"n = {sizes[1]:>11,} Parquet, cluster", there)
        gap = float(np.max(np.abs(np.subtract(there["theta"], rss[sizes[1]]["theta"]))))
        print(f"{verdict(gap <= 1e-10)} max |θ*_cluster − θ*_local| = {gap:.2g} "
              "(target <= 1e-10)")  # fmt: skip
        print(
            f"== Share of an epoch to within 1% of the optimal loss, {sizes[1]:,} "
            "rows (streamed, at most 2% of an epoch, 201 recorded points)"
        )
        for row in epoch_share(large):
            share = row["share"]
            said = "not within 2% of an epoch" if share is None else f"{share:.2g}"
            print(f"    {row['variant']:<10} learning rate {row['learning rate']:<6} "
                  f"share of an epoch {said} (gap at the end "
                  f"{row['final gap']:.2%})")  # fmt: skip


if __name__ == "__main__":
    main()
