"""Many visitors at once: concurrent sessions against one gddash server.

Each visitor opens the compare page in its own Chromium context (own cookies, own
Streamlit session), all at the same time, driven by Playwright's async API, or,
for the large sample, with ``--protocol``, over Streamlit's own websocket protocol
without a browser:

    large     the "Large synthetic (250,000 rows)" sample through a shared link
              (``?sample=...&seed=k&lr=...&epochs=...``), a different seed and
              learning rate per visitor;
    upload    its own small CSV (y = a + b·x1 + c·x2 + noise with visitor-specific
              a, b, c) through the real file input, on ``?source=Upload+a+CSV``.

Every visitor downloads its comparison CSV (a protocol visitor from the link the
page's download button holds), which must equal what
``gddash.compare.run`` computes offline for that visitor's data and settings (final
losses to 1e-9 relative, same statuses) and differ from every other visitor's: one
visitor's upload or seed never leaks into another's results. Meanwhile the server's
resident memory (VmRSS of its process) is sampled every 50 ms.

Printed per visitor: wall time from navigation to the finished page, the compute
time the page reports ("page computed in X s") and the difference (time spent
waiting: loading, uploading, queueing behind other sessions, drawing). Then the
server's RSS before, at its peak and after, and its CPU time, per wave. Later waves
use new seeds, so they add new cache entries: the growth over waves shows the
caches' bounds. On a small machine the visitors' own Chromium renderers take most
of the CPU, so each wave is followed by the same number of new sessions driven
through Streamlit's websocket protocol with no browser: the server's share alone.

    python benchmarks/visitors.py                  # 8 visitors: 6 large, 2 uploads
    python benchmarks/visitors.py --protocol 4     # 4 of the large ones browserless
    python benchmarks/visitors.py --large 10 --uploads 4 --waves 3
    python benchmarks/visitors.py --url http://127.0.0.1:8501 --pid 1234

Without ``--url`` it starts its own ``streamlit run app.py`` on a free port. It needs
Playwright and Debian's Chromium (``/usr/bin/chromium``, or ``GDDASH_CHROMIUM``).
``tests/browser/test_many_visitors.py`` runs one wave and asserts the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gddash import compare, data, limits  # noqa: E402
from gddash.compare import CompareSettings  # noqa: E402
from gddash.data import PrepareOptions  # noqa: E402
from gddash.engine import Settings  # noqa: E402
from tests.browser.chromium import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    IDLE,
    script_finished,
    start_server,
    stop_server,
)

LARGE = "Large synthetic (250,000 rows)"
COMPUTED = re.compile(r"page computed in ([\d.]+) s")
TIMEOUT_MS = 180_000
# A laptop-sized window: every visitor's Chromium shares this machine's cores with
# the server, and software WebGL (no GPU here) costs in proportion to the pixels.
VIEWPORT = {"width": 1000, "height": 700}
LEARNING_RATES = (0.05, 0.1, 0.2)


# -- Visitors and what they must see ---------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    """One session: its link, its optional upload, its settings, its client."""

    name: str
    seed: int
    learning_rate: float
    epochs: float
    upload: bytes | None = None
    browser: bool = True  # False: Streamlit's websocket protocol (no upload)

    def path(self) -> str:
        query = {"seed": self.seed, "lr": self.learning_rate, "epochs": self.epochs}
        if self.upload is None:
            query = {"sample": LARGE, **query}
        else:
            query = {"source": "Upload a CSV", **query}
        return "/?" + urlencode(query)

    def expected(self) -> pd.DataFrame:
        """The comparison table ``gddash.compare.run`` computes for this visitor.

        Target and features are what the page picks for a session's first data:
        the sample's defaults, or the column summary's suggestions for an upload.
        """
        raw = data.load_sample("large") if self.upload is None else self.upload
        frame = data.read_csv(raw, max_cells=limits.SAMPLE_CELLS)
        summary = data.describe_columns(frame)
        target = summary.suggested_target
        features = [f for f in summary.suggested_features if f != target]
        options = PrepareOptions(seed=self.seed, task="linear")
        dataset = data.prepare(frame, target, features, options)
        settings = CompareSettings(
            epochs=self.epochs,
            descent=Settings(learning_rate=self.learning_rate, seed=self.seed),
        )
        return compare.run(dataset, settings).table


def own_csv(k: int, rows: int = 300) -> bytes:
    """A small CSV of its own for visitor k: y = a + b·x1 + c·x2 + noise."""
    rng = np.random.default_rng(1000 + k)
    x1, x2 = rng.normal(size=(2, rows))
    y = (k + 1) + (k - 2.5) * x1 + (0.5 * k + 1) * x2 + 0.2 * rng.normal(size=rows)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "y": y}).round(5)
    return frame.to_csv(index=False).encode()


def make_visitors(
    large: int, uploads: int, *, wave: int = 0, epochs: float = 5.0, protocol: int = 0
):
    """``large`` sample visitors and ``uploads`` uploaders; seeds unique per wave.
    The last ``protocol`` of the sample visitors come without a browser."""
    if not 0 <= protocol <= large:
        raise ValueError(f"protocol={protocol}: at most the {large} sample visitors")
    first = wave * (large + uploads)
    out = []
    for k in range(first, first + large):
        rate = LEARNING_RATES[k % len(LEARNING_RATES)]
        browser = k < first + large - protocol
        name = f"large-{k}" if browser else f"socket-{k}"
        out.append(Visitor(name, k, rate, epochs, browser=browser))
    for k in range(first + large, first + large + uploads):
        out.append(Visitor(f"upload-{k}", k, 0.1, 20.0, upload=own_csv(k)))
    return out


# -- Driving the sessions --------------------------------------------------------------


@dataclass
class Visit:
    """What one visitor experienced; times in seconds from its navigation."""

    visitor: Visitor
    served: float  # the server's last "script finished" for it reached the client
    drawn: float | None  # the browser had drawn the results (None: no browser)
    computed: float  # the comparison's own compute time, as the page reports it
    table: pd.DataFrame = field(repr=False)

    @property
    def waited(self) -> float:
        """Time to results beyond the comparison itself (load, queue, upload)."""
        return self.served - self.computed


async def visit(
    browser,
    base_url: str,
    visitor: Visitor,
    connected: Callable[[], None] | None = None,
) -> Visit:
    """Open the page as ``visitor``, wait for its results, download its table.
    ``connected()`` is called when the page first opens its session's websocket."""
    context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        finished: list[float] = []
        sockets: list = []

        def listen(socket) -> None:
            def on_frame(payload) -> None:
                if script_finished(payload):
                    finished.append(time.perf_counter() - started)

            socket.on("framereceived", on_frame)
            if connected is not None and not sockets:
                connected()
            sockets.append(socket)

        page.on("websocket", listen)
        traceback = page.get_by_test_id("stException")
        started = time.perf_counter()
        await page.goto(base_url + visitor.path())
        if visitor.upload is not None:
            uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
            await uploader.wait_for(state="attached")
            await uploader.set_input_files(
                files=[
                    {
                        "name": f"{visitor.name}.csv",
                        "mimeType": "text/csv",
                        "buffer": visitor.upload,
                    }
                ]
            )
        button = (
            page.get_by_test_id("stDownloadButton")
            .filter(has_text="Comparison table (CSV)")
            .get_by_role("button")
        )
        await button.or_(traceback).first.wait_for()
        await page.locator(IDLE).wait_for()
        await page.wait_for_function(DRAWN)
        drawn = time.perf_counter() - started
        if await traceback.count():
            raise AssertionError(
                f"{visitor.name}: the page raised {await traceback.inner_text()}"
            )
        caption = page.get_by_test_id("stCaptionContainer").filter(
            has_text="page computed in"
        )
        computed = float(COMPUTED.search(await caption.inner_text()).group(1))
        async with page.expect_download() as info:
            await button.click()
        download = await info.value
        table = pd.read_csv(await download.path())
        return Visit(visitor, finished[-1], drawn, computed, table)
    finally:
        await context.close()


@contextlib.asynccontextmanager
async def session(base_url: str, visitor: Visitor):
    """A websocket on Streamlit's own protocol whose session has been asked to
    run ``visitor``'s link, as a browser's first message asks."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg

    stream = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    async with websockets.connect(
        stream, subprotocols=["streamlit"], max_size=None
    ) as socket:
        message = BackMsg()
        message.rerun_script.query_string = visitor.path().removeprefix("/?")
        await socket.send(message.SerializeToString())
        yield socket


async def visit_without_browser(
    base_url: str, visitor: Visitor, after: asyncio.Event | None = None
) -> Visit:
    """Open the page as ``visitor`` over Streamlit's websocket protocol, then
    download its table from the link the page's download button holds, as a
    browser's click would: the same session, the same server work, no renderer.
    ``after``: wait for it first (the browsers' sessions to open)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if visitor.upload is not None:
        raise ValueError(f"{visitor.name}: an upload needs a browser")
    if after is not None:
        await asyncio.wait_for(after.wait(), TIMEOUT_MS / 1000)
    started = time.perf_counter()
    link, computed = None, None
    async with session(base_url, visitor) as socket:
        while True:
            payload = await socket.recv()
            if script_finished(payload):
                break
            forward = ForwardMsg()
            forward.ParseFromString(payload)
            if forward.WhichOneof("type") != "delta":
                continue
            element = forward.delta.new_element
            kind = element.WhichOneof("type")
            if kind == "exception":
                raise AssertionError(
                    f"{visitor.name}: the page raised {element.exception.message}"
                )
            if kind == "markdown" and COMPUTED.search(element.markdown.body):
                computed = float(COMPUTED.search(element.markdown.body).group(1))
            if kind == "download_button" and (
                element.download_button.label == "Comparison table (CSV)"
            ):
                link = element.download_button.url
        served = time.perf_counter() - started
        if link is None or computed is None:
            raise AssertionError(f"{visitor.name}: no table or compute time was sent")
        # Fetched while the session lives: its files are the session's own.
        table = await asyncio.to_thread(pd.read_csv, base_url + link)
    return Visit(visitor, served, None, computed, table)


async def visit_all(base_url: str, visitors: list[Visitor], chromium: str = CHROMIUM):
    """All visitors at once: each browser visitor in its own context of one
    headless Chromium, the others over the websocket protocol. Those start when
    every browser page has opened its session (a browser spends seconds loading
    the app first), so that all the sessions run on the server together."""
    from playwright.async_api import async_playwright

    browsers = sum(v.browser for v in visitors)
    opened = asyncio.Event()
    sessions: list[None] = []

    def connected() -> None:
        sessions.append(None)
        if len(sessions) >= browsers:
            opened.set()

    if not browsers:
        opened.set()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        try:
            visits = (
                visit(browser, base_url, v, connected)
                if v.browser
                else visit_without_browser(base_url, v, after=opened)
                for v in visitors
            )
            return await asyncio.gather(*visits)
        finally:
            await browser.close()


def in_thread(coroutine):
    """Run ``coroutine`` on a fresh event loop in a thread (safe beside sync code)."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=target, name="visitors")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


async def served_by_protocol(base_url: str, visitor: Visitor) -> float:
    """Seconds from connecting to "script finished", as a bare websocket client.

    Streamlit's own protocol without a browser: one ``rerun_script`` message with
    the visitor's query string, then wait. This is the server's share of a
    visitor's wait, free of the harness's Chromium renderers sharing the CPU.
    Upload visitors are not supported (their file goes through another endpoint).
    """
    started = time.perf_counter()
    async with session(base_url, visitor) as socket:
        while not script_finished(await socket.recv()):
            pass
    return time.perf_counter() - started


async def serve_all(base_url: str, visitors: list[Visitor]) -> list[float]:
    """All (sample) visitors at once over the bare protocol; seconds each."""
    return await asyncio.gather(*(served_by_protocol(base_url, v) for v in visitors))


def protocol_report(times: list[float]) -> str:
    return (
        f"  server alone (websocket protocol, no browsers): {len(times)} new "
        f"large-sample sessions at once served in median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s"
    )


# -- Server memory ---------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerSampler:
    """The server's RSS every ``every`` seconds, and its CPU time, in a ``with``."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.pid, self.every = pid, every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_mb(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> ServerSampler:
        self.before = rss_mb(self.pid)
        self._cpu = cpu_seconds(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.after = rss_mb(self.pid)
        self.cpu = cpu_seconds(self.pid) - self._cpu

    @property
    def peak(self) -> float:
        return max([self.before, self.after, *self.samples])


# -- Checking --------------------------------------------------------------------------


def mismatches(visits: list[Visit], expected: list[pd.DataFrame]) -> list[str]:
    """Every way a visitor's table differs from its own offline computation."""
    problems = []
    for seen, want in zip(visits, expected, strict=True):
        name, got = seen.visitor.name, seen.table
        if got["variant"].tolist() != want["variant"].tolist():
            problems.append(f"{name}: variants {got['variant'].tolist()}")
            continue
        if got["status"].tolist() != want["status"].tolist():
            problems.append(f"{name}: statuses {got['status'].tolist()}")
        if not np.allclose(got["final loss"], want["final loss"], rtol=1e-9, atol=0):
            problems.append(
                f"{name}: final losses {got['final loss'].tolist()} "
                f"!= {want['final loss'].tolist()}"
            )
    finals = [tuple(v.table["final loss"].round(12)) for v in visits]
    if len(set(finals)) != len(finals):
        problems.append("two visitors got identical results: cross-talk?")
    return problems


def report(visits: list[Visit], server: ServerSampler, wave: int) -> str:
    browsers = sum(v.visitor.browser for v in visits)
    lines = [
        f"wave {wave}: {len(visits)} concurrent visitors, {browsers} in browsers "
        "(seconds from navigation; a socket- visitor has no browser to draw)",
        f"  {'visitor':<12} {'served':>7} {'computed':>9} {'waited':>7} {'drawn':>7}",
    ]
    for v in visits:
        drawn = "-" if v.drawn is None else f"{v.drawn:.2f}"
        lines.append(
            f"  {v.visitor.name:<12} {v.served:7.2f} {v.computed:9.2f} "
            f"{v.waited:7.2f} {drawn:>7}"
        )
    served = [v.served for v in visits]
    drawn = [v.drawn for v in visits if v.drawn is not None] or [math.nan]
    lines += [
        f"  served: median {statistics.median(served):.2f}, max {max(served):.2f}; "
        f"waited beyond compute: max {max(v.waited for v in visits):.2f}; "
        f"drawn: median {statistics.median(drawn):.2f}, max {max(drawn):.2f}",
        f"  server RSS: before {server.before:.0f} MB, peak {server.peak:.0f} MB, "
        f"after {server.after:.0f} MB (growth {server.after - server.before:+.0f} MB); "
        f"server CPU {server.cpu:.1f} s for the wave ({os.cpu_count()} cores here)",
    ]
    return "\n".join(lines)


# -- A server of its own ---------------------------------------------------------------


def warm(base_url: str) -> None:
    """Let the server import, compile its kernels and build the large sample once."""
    in_thread(serve_all(base_url, [Visitor("warm-up", 100_000, 0.1, 1.0)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=6, help="large-sample visitors")
    parser.add_argument("--uploads", type=int, default=2, help="uploading visitors")
    parser.add_argument(
        "--protocol", type=int, default=0, help="sample visitors without a browser"
    )
    parser.add_argument("--waves", type=int, default=1, help="rounds, new seeds each")
    parser.add_argument("--epochs", type=float, default=5.0, help="large-sample passes")
    parser.add_argument("--url", help="an already running server (else start one)")
    parser.add_argument("--pid", type=int, help="its process id, for memory")
    args = parser.parse_args()

    process = None
    if args.url:
        if args.pid is None:
            parser.error("--url needs --pid (to sample the server's memory)")
        base_url, pid = args.url.rstrip("/"), args.pid
    else:
        process, base_url = start_server()
        pid = process.pid
    try:
        warm(base_url)
        print(f"server {base_url} (pid {pid}), RSS after warm-up {rss_mb(pid):.0f} MB")
        failures = []
        for wave in range(args.waves):
            visitors = make_visitors(
                args.large,
                args.uploads,
                wave=wave,
                epochs=args.epochs,
                protocol=args.protocol,
            )
            expected = [v.expected() for v in visitors]
            with ServerSampler(pid) as server:
                visits = in_thread(visit_all(base_url, visitors))
            print(report(visits, server, wave))
            count, epochs = len(visitors), args.epochs
            fresh = make_visitors(count, 0, wave=1000 + wave, epochs=epochs)
            print(protocol_report(asyncio.run(serve_all(base_url, fresh))))
            failures += mismatches(visits, expected)
        print("results: " + ("all correct" if not failures else "; ".join(failures)))
        if failures:
            raise SystemExit(1)
    finally:
        if process is not None:
            stop_server(process)


if __name__ == "__main__":
    main()
