"""Generate gddash's synthetic sample datasets, deterministically.

Importing this module has no side effects: it only defines functions. Run it as a
script to rewrite the small committed CSVs next to it (``line.csv``,
``ill_conditioned.csv``), or to check that they are up to date::

    python data/make_synthetic.py            # (re)write the committed CSVs
    python data/make_synthetic.py --check    # exit 1 if a committed CSV differs

The large dataset is not committed: ``gddash.data.load_sample("large")`` calls
``large()`` and ``csv_bytes()`` from this file in memory. Every generator takes a
fixed default seed, so the same call returns the same values, bit for bit.
Only numpy, pandas and pyarrow are used (all runtime dependencies of gddash).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

HERE = Path(__file__).resolve().parent


def line(n_rows: int = 200, seed: int = 101) -> pd.DataFrame:
    """A clean one-feature line with noise: y = 4 + 3·x + N(0, 1), x ~ U(0, 2).

    The default seed was picked so that the least-squares fit of the 200 rows
    lands within 0.02 of the true (4, 3): the app's first answer is recognisable.

    Returns
    -------
    pandas.DataFrame of shape (n_rows, 2)
        Columns ``x``, ``y``, rounded to 4 decimals.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, n_rows)
    y = 4.0 + 3.0 * x + rng.normal(0.0, 1.0, n_rows)
    return pd.DataFrame({"x": np.round(x, 4), "y": np.round(y, 4)})


def ill_conditioned(n_rows: int = 300, seed: int = 7) -> pd.DataFrame:
    """Two strongly correlated features on very different scales.

    Floor area (600–3,500 square feet) and rooms (about area / 450, 1–8) predict a
    price in thousands: price = 30 + 0.12·area + 9·rooms + N(0, 20). Unscaled,
    the columns differ ~1000× in magnitude and correlate at ~0.9, so the loss
    contours are long thin ellipses; standardization removes the scale part.

    Returns
    -------
    pandas.DataFrame of shape (n_rows, 3)
        Columns ``area_sqft`` (int), ``rooms`` (int), ``price`` (1 decimal).
    """
    rng = np.random.default_rng(seed)
    area = np.round(rng.uniform(600.0, 3500.0, n_rows))
    rooms = np.clip(np.round(area / 450.0 + rng.normal(0.0, 0.6, n_rows)), 1, 8)
    price = 30.0 + 0.12 * area + 9.0 * rooms + rng.normal(0.0, 20.0, n_rows)
    return pd.DataFrame(
        {
            "area_sqft": area.astype(np.int64),
            "rooms": rooms.astype(np.int64),
            "price": np.round(price, 1),
        }
    )


def large(n_rows: int = 250_000, seed: int = 2024) -> pd.DataFrame:
    """A large linear problem: y = 1 + 2·x1 − 3·x2 + 0.5·x3 + 0·x4 + N(0, 0.5²).

    Features are standard normal; x4 is pure noise.

    Returns
    -------
    pandas.DataFrame of shape (n_rows, 5)
        Columns ``x1`` … ``x4``, ``y``, rounded to 4 decimals.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, 4))
    y = 1.0 + X @ np.array([2.0, -3.0, 0.5, 0.0]) + rng.normal(0.0, 0.5, n_rows)
    columns = {f"x{j + 1}": np.round(X[:, j], 4) for j in range(4)}
    return pd.DataFrame(columns | {"y": np.round(y, 4)})


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Comma-separated UTF-8 bytes with a header line and '\\n' line ends.

    pyarrow writes floats in their shortest round-trip form and is ~5× faster than
    ``DataFrame.to_csv`` on the large set.
    """
    buffer = io.BytesIO()
    buffer.write((",".join(frame.columns) + "\n").encode("utf-8"))
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False))
    return buffer.getvalue()


COMMITTED = {"line.csv": line, "ill_conditioned.csv": ill_conditioned}


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the committed synthetic CSVs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a committed file differs"
    )
    args = parser.parse_args(argv)
    stale = []
    for filename, generate in COMMITTED.items():
        path = HERE / filename
        content = csv_bytes(generate())
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(filename)
        else:
            path.write_bytes(content)
            print(f"wrote {path} ({len(content):,} bytes)")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python data/make_synthetic.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
