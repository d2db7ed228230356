"""Where Dask computes: a cluster's scheduler, or this machine's threads.

``GDDASH_DASK_SCHEDULER`` (or a page's advanced setting) names a scheduler
address such as ``tcp://10.0.0.5:8786``; then every pass runs on that cluster
through ``distributed.Client``. Without one, Dask's local threaded scheduler
runs them here. Nothing of ours schedules work across machines.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from gddash.errors import DataError

# SCHEDULER_VARIABLE ("GDDASH_DASK_SCHEDULER") is defined beside the other
# switches of the server (sources.py) and offered here too.
from gddash.scale.sources import INSTALL, SCHEDULER_VARIABLE

__all__ = ["SCHEDULER_VARIABLE", "scheduler", "scheduler_address"]
CONNECT_SECONDS = 10.0  # an unreachable scheduler is refused after this long


def scheduler_address(environ: Mapping[str, str] | None = None) -> str | None:
    """The address in ``GDDASH_DASK_SCHEDULER``, or None when unset or blank."""
    env = os.environ if environ is None else environ
    address = env.get(SCHEDULER_VARIABLE, "").strip()
    return address or None


@contextlib.contextmanager
def scheduler(address: str | None, *, timeout: float | None = None) -> Iterator[object]:
    """Compute on the cluster at ``address`` inside the block, else on local threads.

    With an address, yields the connected ``distributed.Client`` (Dask's
    default scheduler while it lives; closed on leaving the block); without
    one, yields None with ``dask.config.set(scheduler="threads")`` in force.
    An address that cannot be reached within ``timeout`` seconds, or that is
    not an address at all, is a ``DataError`` naming it (None waits
    ``CONNECT_SECONDS``).
    """
    import dask

    if address is None or not str(address).strip():
        with dask.config.set(scheduler="threads"):
            yield None
        return
    address = str(address).strip()
    try:
        from distributed import Client
    except ImportError as error:
        raise DataError(
            f"Computing on a Dask cluster needs distributed, which is not "
            f"installed ({error}). Install it with: {INSTALL}"
        ) from None
    try:
        # Not set as default on creation: a Client that fails to connect
        # would leave Dask's global setting pointing at no client.
        client = Client(
            address, timeout=timeout or CONNECT_SECONDS, set_as_default=False
        )
    except (OSError, TimeoutError, ValueError) as error:
        raise DataError(
            f"Could not reach the Dask scheduler at {address!r} ({error}). Check "
            f"the address (for example tcp://host:8786) and that the scheduler "
            f"is running, or unset {SCHEDULER_VARIABLE} to compute on this machine."
        ) from None
    try:
        with dask.config.set(scheduler=client):
            yield client
    finally:
        client.close()
