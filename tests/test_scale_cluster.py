"""Where Dask computes (a scheduler address or local threads), and the one-pass sums
and a streamed run on a distributed cluster equal the local ones."""

import numpy as np
import pandas as pd
import pytest

from gddash.engine import Settings
from gddash.errors import DataError
from gddash.scale import cluster, gram
from gddash.scale.columns import choose
from gddash.scale.sources import Access, parquet_pieces, resolve
from gddash.scale.stream import StreamSettings, stream

distributed = pytest.importorskip("distributed")
# No dashboard, and the scheduler's HTTP server (health routes), which it starts
# anyway, on a free port: by default it tries 8787, held by a test running beside.
NO_DASHBOARD = {"dashboard": False, "dashboard_address": ":0"}


def test_a_local_cluster_of_two_processes_gives_the_local_results(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 2))
    data = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": x @ [1.0, -2.0] + 0.5})
    for k in range(3):
        data.iloc[k * 1000 : (k + 1) * 1000].to_parquet(tmp_path / f"p{k}.parquet")
    source = resolve(".", Access(tmp_path))
    columns, frame = choose(source, "y", None)
    pieces = parquet_pieces(source, columns.names)
    settings = StreamSettings(
        descent=Settings(variant="sgd", learning_rate=0.01, seed=2), chunk_rows=500
    )

    def run():
        stats = gram.moments(frame, columns)
        scale = gram.scaling(stats, columns)
        direct = gram.moments(frame, columns, pieces=pieces)  # pyarrow tasks
        return stats, direct, stream(frame, columns, scale, stats.n, settings)

    here, direct_here, streamed_here = run()
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs=NO_DASHBOARD,
        ) as cluster,
        distributed.Client(cluster),
    ):
        there, direct_there, streamed_there = run()
    assert there.n == here.n == direct_there.n == 3000
    np.testing.assert_array_equal(there.comoment, here.comoment)
    np.testing.assert_array_equal(direct_there.comoment, direct_here.comoment)
    np.testing.assert_array_equal(streamed_there.thetas, streamed_here.thetas)


def test_no_address_computes_on_local_threads(monkeypatch):
    import dask

    monkeypatch.setenv(cluster.SCHEDULER_VARIABLE, "  ")
    assert cluster.scheduler_address() is None
    assert cluster.scheduler_address({"GDDASH_DASK_SCHEDULER": "tcp://h:1"}) == (
        "tcp://h:1"
    )
    with cluster.scheduler(None) as client:
        assert client is None
        assert dask.base.get_scheduler() is dask.threaded.get


def test_an_address_computes_on_that_cluster_and_closes_the_client():
    import dask

    with distributed.LocalCluster(
        n_workers=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs=NO_DASHBOARD,
    ) as local:
        with cluster.scheduler(local.scheduler_address) as client:
            assert dask.base.get_scheduler() == client.get
            assert dask.delayed(sum)([1, 2]).compute() == 3
        assert client.status == "closed"


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "no-port"])
def test_an_unreachable_scheduler_is_a_clear_refusal(address):
    import dask

    refused = pytest.raises(DataError, match=r"Could not reach the Dask scheduler at")
    with refused, cluster.scheduler(address, timeout=0.5):
        pass
    # The failed client left Dask's default alone (it once hung the next pass).
    assert dask.delayed(sum)([1, 2]).compute() == 3
