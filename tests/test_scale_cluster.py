"""The one-pass sums and a streamed run on a distributed cluster equal the local ones."""

import numpy as np
import pandas as pd
import pytest

from gddash.engine import Settings
from gddash.scale import gram
from gddash.scale.columns import choose
from gddash.scale.sources import Access, resolve
from gddash.scale.stream import StreamSettings, stream

distributed = pytest.importorskip("distributed")


def test_a_local_cluster_of_two_processes_gives_the_local_results(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 2))
    data = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": x @ [1.0, -2.0] + 0.5})
    for k in range(3):
        data.iloc[k * 1000 : (k + 1) * 1000].to_parquet(tmp_path / f"p{k}.parquet")
    columns, frame = choose(resolve(".", Access(tmp_path)), "y", None)
    settings = StreamSettings(
        descent=Settings(variant="sgd", learning_rate=0.01, seed=2), buffer_rows=500
    )

    def run():
        stats = gram.moments(frame, columns)
        scale = gram.scaling(stats, columns)
        return stats, stream(frame, columns, scale, stats.n, settings)

    here, streamed_here = run()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        there, streamed_there = run()
    assert there.n == here.n == 3000
    np.testing.assert_array_equal(there.comoment, here.comoment)
    np.testing.assert_array_equal(streamed_there.thetas, streamed_here.thetas)
