"""A folder whose files disagree on a chosen column is refused before any pass,
naming the column and the two files."""

import numpy as np
import pandas as pd
import pytest

from gddash.compare import CompareSettings
from gddash.errors import DataError
from gddash.scale.columns import choose
from gddash.scale.compare import compare_source
from gddash.scale.sources import Access, resolve

pytest.importorskip("dask.dataframe")


def frame(rows=20, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "y"])


def test_a_csv_column_that_turns_to_text_names_the_column_and_both_files(tmp_path):
    frame().to_csv(tmp_path / "part-0.csv", index=False)
    frame(seed=1).assign(b="high").to_csv(tmp_path / "part-1.csv", index=False)
    source = resolve(".", Access(tmp_path))
    message = (
        r"The column 'b' changes type between files: numbers in 'part-0\.csv' but "
        r"text in 'part-1\.csv'"
    )
    with pytest.raises(DataError, match=message):
        compare_source(source, "y", ["a", "b"], CompareSettings())


def test_parquet_files_whose_column_types_differ_are_refused(tmp_path):
    frame().to_parquet(tmp_path / "p0.parquet")
    (tmp_path / "sub").mkdir()
    frame(seed=1).assign(a=lambda f: f["a"].astype(str)).to_parquet(
        tmp_path / "sub" / "p1.parquet"
    )
    with pytest.raises(DataError, match=r"'a'.*numbers in 'p0\.parquet' but text in "):
        choose(resolve(".", Access(tmp_path)), "y", None)


def test_a_file_without_a_chosen_column_is_named_before_any_pass(tmp_path):
    frame().to_parquet(tmp_path / "p0.parquet")
    frame(seed=1).drop(columns="b").to_parquet(tmp_path / "p1.parquet")
    with pytest.raises(DataError, match=r"'p1\.parquet' has no column 'b'"):
        choose(resolve(".", Access(tmp_path)), "y", None)


def test_integers_in_one_file_and_floats_in_another_are_the_same_kind(tmp_path):
    frame().to_parquet(tmp_path / "p0.parquet")
    frame(seed=1).assign(a=np.arange(20)).to_parquet(tmp_path / "p1.parquet")
    columns, _ = choose(resolve(".", Access(tmp_path)), "y", None)
    assert columns.features == ("a", "b")
