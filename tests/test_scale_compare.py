"""The comparison on a source: the variants a small source turns into batch descent."""

import numpy as np
import pandas as pd
import pytest

from gddash.compare import CompareSettings
from gddash.scale.compare import compare_source
from gddash.scale.sources import Access, resolve

pytest.importorskip("dask.dataframe")


def test_a_mini_batch_of_every_row_runs_as_batch_descent(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 2))
    data = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": x @ [1.0, -1.0]})
    data.to_csv(tmp_path / "d.csv", index=False)
    source = resolve("d.csv", Access(tmp_path))
    settings = CompareSettings(variants=("batch", "minibatch"), batch_size=32)
    comparison, _ = compare_source(source, "y", None, settings)
    batch, minibatch = (comparison.primary(v) for v in ("batch", "minibatch"))
    np.testing.assert_array_equal(minibatch.path, batch.path)
    np.testing.assert_array_equal(minibatch.samples, batch.samples)
