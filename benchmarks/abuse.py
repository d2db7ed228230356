"""Hostile visitors against one gddash server: memory, CPU and a bystander's wait.

Starts its own ``streamlit run app.py`` on 127.0.0.1 and measures, each against
its target (PASS or MISS):

  memory    N visitors at once (browser contexts of one headless Debian Chromium),
            each uploading the worst files the caps allow (a first data row with
            extra fields, an over-long header, blank-heavy ``1,,,,…`` rows, each
            just under the upload cap, then a 200-column numeric file at the cell
            cap) and
            changing a few options: the server's peak RSS (<= 900 MB), and its RSS
            60 s after they all left (within 100 MB of the idle level).
  links     the worst share link of each page, opened over Streamlit's websocket
            protocol without a browser: server CPU seconds per load (<= 2 s);
            six opened and closed at once: seconds until the server is idle
            again (<= 5 s).
  bystander a default-page visitor's time to drawn results while those links run
            in a loop, against the same on an idle server (<= 2x).

    python benchmarks/abuse.py            # 8 uploading visitors, 3 repeats
    python benchmarks/abuse.py --quick    # 3 visitors, 1 repeat

Every wait is bounded and the server is stopped at the end. Files are made in a
temporary folder and deleted. It needs Playwright and Chromium at
``/usr/bin/chromium`` (or ``GDDASH_CHROMIUM``); no browser is downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    IDLE,
    machine,
    script_finished,
    start_server,
    stop_server,
)
from gddash import compare, data, limits  # noqa: E402
from gddash.compare import CompareSettings  # noqa: E402
from gddash.data import PrepareOptions  # noqa: E402
from gddash.engine import Settings  # noqa: E402
from tests.browser.visitors import ServerSampler, cpu_seconds, rss_mb  # noqa: E402

PEAK_MB = 900
SETTLED_MB = 100
LINK_CPU_S = 2.0
IDLE_AFTER_S = 5.0
BYSTANDER_RATIO = 2.0

FILE_BYTES = limits.MAX_UPLOAD_MB * 1_000_000 - 1_000_000  # just under the cap
TIMEOUT_S = 600  # one visitor's step on a saturated two-core machine
VIEWPORT = {"width": 1000, "height": 700}
RULES = ("plain", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
# Eight non-smooth calls (the most a formula may hold) and four-way min and max:
# the costliest formula the explorer accepts that was found by trying candidates.
COSTLY_FORMULA = (
    "max(x^2,y^2,x*y,x+y)+min(x^3,y^3,sin(x),cos(y))+abs(x-1)+abs(y-1)"
    "+abs(x*y)+sign(x)+max(x,y)+min(x,y)"
)


# Loaded into the server by ``--diagnose`` (through PYTHONPATH, never the app): on
# SIGUSR1 it writes what Streamlit still holds, to the file named by
# GDDASH_DIAGNOSE: uploaded files per session, live and stored sessions,
# DataFrames and their bytes.
DIAGNOSE = """
import gc, json, os, signal

def _dump(signum, frame):
    out = {}
    try:
        from streamlit.runtime import Runtime
        runtime = Runtime.instance()
        store = runtime.uploaded_file_mgr.file_storage
        out["upload_sessions"] = sum(1 for files in store.values() if files)
        out["upload_mb"] = sum(
            len(rec.data) for files in store.values() for rec in files.values()
        ) / 1e6
        manager = runtime._session_mgr
        live = {info.session.id for info in manager.list_active_sessions()}
        stored = set(manager._session_storage._cache._data)
        out["active_sessions"] = len(live)
        out["stored_sessions"] = len(stored)
        out["upload_sessions_gone"] = sum(
            1 for sid, files in store.items() if files and sid not in live | stored
        )
    except Exception as error:
        out["error"] = repr(error)
    import pandas as pd
    frames = [o for o in gc.get_objects() if isinstance(o, pd.DataFrame)]
    out["dataframes"] = len(frames)
    out["dataframe_mb"] = sum(
        int(f.memory_usage(deep=False).sum()) for f in frames
    ) / 1e6
    # Who keeps the large ones: their referrers, and what refers to those.
    import types
    def name(o):
        if isinstance(o, dict):
            return "dict(" + ",".join(str(k)[:24] for k in list(o)[:5]) + ")"
        if isinstance(o, types.FunctionType):
            return "function " + o.__module__ + "." + o.__qualname__
        return type(o).__module__ + "." + type(o).__qualname__
    chains = []
    for f in frames:
        if f.memory_usage(deep=False).sum() < 10e6:
            continue
        first = [r for r in gc.get_referrers(f) if r is not frames]
        for r in first:
            up = [
                name(u) for u in gc.get_referrers(r)
                if u is not first and type(u).__name__ != "frame"
            ]
            chains.append(name(r) + " <- " + " | ".join(up[:8]))
    out["large_frame_referrers"] = chains[:12]
    with open(os.environ["GDDASH_DIAGNOSE"], "w") as handle:
        json.dump(out, handle)

signal.signal(signal.SIGUSR1, _dump)
"""


def held(pid: int, folder: Path | None) -> str:
    """What the server holds (``--diagnose`` only): signal it, read its answer."""
    if folder is None:
        return ""
    import signal

    answer = folder / "held.json"
    answer.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.perf_counter() + 10
    while not answer.exists() and time.perf_counter() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    return answer.read_text() if answer.exists() else "(no answer)"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# -- Hostile files ---------------------------------------------------------------------


def hostile_files(folder: Path, size: int = FILE_BYTES) -> dict[str, Path]:
    """The worst uploads the caps allow, each just under ``size`` bytes.

    long-row and long-header break the line-length cap, blank-heavy the cell cap:
    they must be refused from the raw bytes. spaced-text is accepted: a text
    column of cells just under the line cap, spaces around a "$", the worst case
    of the patterns that look for numbers in text cells (one such cell took 60 s
    of the GIL before they were made linear). wide is the largest table accepted:
    200 numeric columns, rows up to the cell cap, about ``size`` bytes.
    """
    files = {}
    path = folder / "long-row.csv"
    path.write_bytes(b"a,b\n" + b"1," * ((size - 4) // 2))
    files["long-row"] = path

    path = folder / "long-header.csv"
    header = b",".join(b"c%07d" % i for i in range((size - 10) // 9))
    path.write_bytes(header + b"\n1,2\n")
    files["long-header"] = path

    path = folder / "blank-heavy.csv"
    row = b"1" + b"," * (limits.MAX_COLUMNS - 1) + b"\n"
    header = b",".join(b"c%d" % i for i in range(limits.MAX_COLUMNS)) + b"\n"
    path.write_bytes(header + row * ((size - len(header)) // len(row)))
    files["blank-heavy"] = path

    path = folder / "spaced-text.csv"
    half = (limits.MAX_LINE_BYTES - 16) // 2
    line = b"-" + b" " * half + b"$" + b" " * (half - 4) + b"x,1\n"
    path.write_bytes(b"name,y\n" + line * ((size - 7) // len(line)))
    files["spaced-text"] = path

    path = folder / "wide.csv"
    columns = limits.MAX_COLUMNS
    rows = limits.MAX_CELLS // columns - 1
    # Enough digits that the cell cap is reached just under ``size`` bytes (about
    # 12 characters a cell with its comma at 8 digits).
    digits = int(np.clip(size / limits.MAX_CELLS - 4, 1, 8))
    rng = np.random.default_rng(12)
    values = rng.normal(0.0, 20.0, size=(rows, columns))
    values[:, -1] = values[:, :5] @ np.arange(1.0, 6.0) + rng.normal(size=rows)
    header = ",".join(f"x{i}" for i in range(columns - 1)) + ",y\n"
    with path.open("w") as out:
        out.write(header)
        np.savetxt(out, values, fmt=f"%.{digits}f", delimiter=",")
    files["wide"] = path
    return files


# -- Sessions over Streamlit's websocket protocol --------------------------------------


async def open_link(
    base_url: str, page: str, query: dict, *, close_after: float | None = None
) -> float | None:
    """Load ``page`` (``""`` is the compare page) with ``query`` as a bare session.

    Returns the seconds until "script finished", or None when ``close_after``
    seconds passed first and the connection was closed (a tab closed mid-run).
    """
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg

    stream = base_url.replace("http", "ws", 1) + "/_stcore/stream"
    async with websockets.connect(
        stream, subprotocols=["streamlit"], max_size=None, open_timeout=60
    ) as socket:
        message = BackMsg()
        message.rerun_script.query_string = urlencode(query, doseq=True)
        message.rerun_script.page_name = page
        started = time.perf_counter()
        await socket.send(message.SerializeToString())

        async def finished() -> None:
            while not script_finished(await socket.recv()):
                pass

        try:
            await asyncio.wait_for(finished(), close_after or TIMEOUT_S)
        except TimeoutError:
            if close_after is None:
                raise
            return None
    return time.perf_counter() - started


def cpu_rate(pid: int, window: float = 0.5) -> float:
    """Cores the server is using, averaged over ``window`` seconds."""
    before = cpu_seconds(pid)
    time.sleep(window)
    return (cpu_seconds(pid) - before) / window


def wait_quiet(pid: int, *, limit: float = 120.0, below: float = 0.1) -> float:
    """Wait until the server uses under ``below`` of a core; seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if cpu_rate(pid) < below:
            break
    return time.perf_counter() - started


# -- The worst links -------------------------------------------------------------------


@dataclass(frozen=True)
class Attack:
    """A share link and how to make each load of it new (so no cache answers)."""

    name: str
    page: str
    query: Callable[[int], dict]


def explorer_attacks() -> list[Attack]:
    maxed = "max(" + ",".join(f"x^{i}" for i in range(1, 41)) + ")"
    most = limits.EXPLORER_STEPS // len(RULES)

    def costly(k: int) -> dict:
        return {
            "f": COSTLY_FORMULA,
            "dim": "2",
            "x0": 0.7 + k * 1e-6,
            "y0": 0.3,
            "eta": 1e-9,
            "epsilon": 0,
            "iters": most,
            "rules": list(RULES),
        }

    return [
        Attack(
            "explore: f=max(x^1..x^40) (issue's link)",
            "explore",
            lambda k: {"f": maxed, "dim": "1", "x0": 0.5 + k * 1e-6},
        ),
        Attack(
            "explore: 6 rules x 10,000 iterations, eta=1e-9",
            "explore",
            lambda k: {
                "rules": list(RULES),
                "iters": 10_000,
                "eta": 1e-9,
                "epsilon": 0,
                "x0": 0.5 + k * 1e-6,
            },
        ),
        Attack(
            f"explore: costliest accepted formula, 6 rules x {most:,} its., eta=1e-9",
            "explore",
            costly,
        ),
    ]


def epochs_at_limit(sample: str, features: list[str] | None, query: dict) -> float:
    """The most epochs a sample link may ask for and still pass the work check."""
    frame = data.read_csv(data.load_sample(sample), max_cells=limits.SAMPLE_CELLS)
    summary = data.describe_columns(frame)
    target = summary.suggested_target
    chosen = features or [f for f in summary.suggested_features if f != target]
    task = query.get("model", "linear")
    dataset = data.prepare(
        frame,
        target,
        chosen,
        PrepareOptions(task=task, validation_fraction=float(query.get("val", 0))),
    )

    def work(epochs: float) -> int:
        settings = CompareSettings(
            epochs=epochs,
            repeats=int(query.get("repeats", 1)),
            batch_size=int(query.get("bs", 32)),
            descent=Settings(
                rule=query.get("rule", "plain"),
                schedule=query.get("schedule", "constant"),
            ),
        )
        return compare.work(dataset.n_samples, dataset.n_features, task, settings)

    low, high = 0.01, 100_000.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (
            (middle, high)
            if work(middle) <= limits.COMPARISON_WORK
            else (
                low,
                middle,
            )
        )
    return float(f"{low * 0.999:.4g}")


def lab_attacks() -> list[Attack]:
    out = []
    for sample, model, extra in (
        ("large", "linear", {"bs": 1}),
        # Adam's per-update bookkeeping: four times plain SGD's CPU at the same
        # products before the work estimate charged each update for its rule.
        ("large", "linear", {"bs": 1, "rule": "adam", "schedule": "invscaling"}),
        ("breast_cancer", "logistic", {"bs": 1, "rule": "adam"}),
    ):
        frame = data.read_csv(data.load_sample(sample), max_cells=limits.SAMPLE_CELLS)
        summary = data.describe_columns(frame)
        target = summary.suggested_target
        features = [c.name for c in summary.columns if c.usable_as_feature]
        features = [f for f in features if f != target]
        query = {"model": model, "repeats": 10, **extra}
        epochs = epochs_at_limit(sample, features, query)

        def make(k: int, sample=sample, query=query, features=features, epochs=epochs):
            return {
                "source": "sample",
                "sample": sample,
                "features": features,
                "epochs": epochs,
                "seed": 1 + k,
                **query,
            }

        out.append(
            Attack(
                f"compare: {sample}, {model}, {query.get('rule', 'plain')}, "
                f"{len(features)} features, 10 seeds, {epochs:g} epochs (work limit)",
                "",
                make,
            )
        )
    return out


# -- Browser visitors ------------------------------------------------------------------


class Tab:
    """One browser tab whose reruns are counted on Streamlit's websocket."""

    def __init__(self, page) -> None:
        self.page = page
        self.finished = 0
        page.on("websocket", self._listen)
        page.set_default_timeout(TIMEOUT_S * 1000)

    def _listen(self, socket) -> None:
        def on_frame(payload) -> None:
            if script_finished(payload):
                self.finished += 1

        socket.on("framereceived", on_frame)

    async def rerun(self, action) -> float:
        """Do ``action`` (a coroutine function) and wait for its run to be drawn."""
        seen = self.finished
        started = time.perf_counter()
        await action()
        deadline = started + TIMEOUT_S
        while self.finished == seen:
            if time.perf_counter() > deadline:
                raise TimeoutError("no script_finished after the action")
            await asyncio.sleep(0.02)
        await self.settle()
        return time.perf_counter() - started

    async def settle(self) -> None:
        await self.page.locator(IDLE).wait_for()
        await self.page.wait_for_function(DRAWN)

    async def upload(self, path: Path) -> float:
        """Upload ``path``; wait until the page shows it read or refused."""
        box = self.page.get_by_test_id("stFileUploaderDropzoneInput")
        await box.wait_for(state="attached")
        started = time.perf_counter()
        await self.rerun(lambda: box.set_input_files(str(path)))
        # Replacing a file can rerun twice (old file removed, new one read).
        refused = self.page.get_by_test_id("stAlertContentError").filter(
            has_text=f"{path.name} could not be used"
        )
        preview = self.page.get_by_text(f"Preview of {path.name}")
        await refused.or_(preview).first.wait_for()
        await self.settle()
        return time.perf_counter() - started

    async def click_run(self) -> float:
        button = self.page.get_by_role("button", name="Run comparison")
        return await self.rerun(button.click)

    async def refused(self) -> bool:
        return bool(
            await self.page.get_by_test_id("stAlertContentError")
            .filter(has_text="could not be used")
            .count()
        )


async def uploading_visitor(
    browser, base_url: str, files: dict[str, Path], pid: int
) -> dict:
    """Upload every hostile file in turn, then change options on the wide one.

    Returns each upload's (seconds, refused) and the server's RSS after each step.
    """
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        tab = Tab(await context.new_page())
        await tab.page.goto(base_url + "/?source=upload")
        await tab.page.locator("h1").first.wait_for()
        await tab.settle()
        seen, rss = {}, [("open", rss_mb(pid))]
        for name, path in files.items():
            seconds = await tab.upload(path)
            seen[name] = (seconds, await tab.refused())
            rss.append((name, rss_mb(pid)))
        page = tab.page
        thumb = (
            page.get_by_test_id("stSlider")
            .filter(has_text="Validation share")
            .get_by_role("slider")
        )
        await thumb.press("End")  # 0.5: half the rows held out (in the form)
        await tab.click_run()
        rss.append(("val 0.5 + Run", rss_mb(pid)))
        await (
            page.get_by_role("radiogroup", name="Missing values")
            .get_by_text("Fill with the mean", exact=True)
            .click()
        )
        await tab.click_run()
        rss.append(("mean + Run", rss_mb(pid)))
        x_axis = page.get_by_role("radiogroup", name="x-axis")
        if await x_axis.count():  # only when the comparison ran
            await tab.rerun(x_axis.get_by_text("Updates", exact=True).click)
            rss.append(("x-axis", rss_mb(pid)))
        ran = await page.get_by_role("button", name="Comparison table (CSV)").count()
        return {"files": seen, "ran": bool(ran), "rss": rss}
    finally:
        await context.close()


async def launch(playwright):
    return await playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS
    )


async def memory(
    base_url: str,
    pid: int,
    files: dict[str, Path],
    visitors: int,
    diagnose: Path | None = None,
):
    """Peak RSS while ``visitors`` upload together; RSS 60 s after they left."""
    from playwright.async_api import async_playwright

    idle = rss_mb(pid)
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            with ServerSampler(pid) as sampler:
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(
                        uploading_visitor(browser, base_url, files, pid)
                        for _ in range(visitors)
                    ),
                    return_exceptions=True,
                )
                took = time.perf_counter() - started
                held_done = held(pid, diagnose)
        finally:
            await browser.close()
    left = time.perf_counter()
    after = []
    while time.perf_counter() - left < 60:
        await asyncio.sleep(5)
        after.append((time.perf_counter() - left, rss_mb(pid)))
    hwm = high_water_mb(pid)
    held_left = held(pid, diagnose)
    # Streamlit drops expired sessions only when its session store is next used:
    # one new bare visitor, then the RSS again.
    await open_link(base_url, "", {})
    await asyncio.sleep(5)
    touched = rss_mb(pid)
    held_touched = held(pid, diagnose)
    print(f"\n[a] memory: {visitors} browser visitors at once, each uploading")
    for name, path in files.items():
        print(f"    {name:<12} {path.stat().st_size / 1e6:6.1f} MB")
    print("    then validation share 0.5 + Run, missing = mean + Run, x-axis Updates")
    errors = [r for r in results if isinstance(r, BaseException)]
    for r in results:
        if isinstance(r, BaseException):
            continue
        shown = ", ".join(
            f"{name} {s:.1f} s{' refused' if refused else ' accepted'}"
            for name, (s, refused) in r["files"].items()
        )
        print(f"    visitor: {shown}; comparison ran: {r['ran']}")
        steps = ", ".join(f"{step} {mb:.0f}" for step, mb in r["rss"])
        print(f"      server RSS after its steps (MB): {steps}")
    for error in errors:
        print(f"    visitor failed: {type(error).__name__}: {str(error)[:300]}")
    print(f"    all visitors done in {took:.0f} s; server CPU {sampler.cpu:.0f} s")
    print(
        f"    idle RSS {idle:.0f} MB; peak RSS (sampled every 50 ms) "
        f"{sampler.peak:.0f} MB, VmHWM {hwm:.0f} MB "
        f"(target <= {PEAK_MB} MB): {verdict(sampler.peak <= PEAK_MB)}"
    )
    trail = ", ".join(f"{t:.0f} s {mb:.0f}" for t, mb in after)
    print(f"    RSS after they left (MB): {trail}")
    settled = after[-1][1]
    print(
        f"    60 s after: {settled:.0f} MB, {settled - idle:+.0f} MB from idle "
        f"(target within {SETTLED_MB} MB): "
        f"{verdict(abs(settled - idle) <= SETTLED_MB)}"
    )
    print(f"    after one new default-page visitor, 5 s later: {touched:.0f} MB")
    if diagnose is not None:
        print(f"    held when all were done: {held_done}")
        print(f"    held 60 s after they left: {held_left}")
        print(f"    held after the new visitor: {held_touched}")


def high_water_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- Links: CPU per load, six at once --------------------------------------------------


async def link_costs(base_url: str, pid: int, repeats: int) -> list[Attack]:
    """CPU seconds of each attack link per load; returns the costliest per page."""
    print(
        "\n[b] worst share links, one load at a time (websocket sessions, no browser)"
    )
    worst: dict[str, tuple[float, Attack]] = {}
    serial = 0
    for attack in explorer_attacks() + lab_attacks():
        cpus, walls = [], []
        for _ in range(repeats):
            serial += 1
            wait_quiet(pid)
            before = cpu_seconds(pid)
            wall = await open_link(base_url, attack.page, attack.query(serial))
            await asyncio.sleep(0.3)  # work that ends after the last message
            cpus.append(cpu_seconds(pid) - before)
            walls.append(wall)
        cpu = statistics.median(cpus)
        print(
            f"    {attack.name}: CPU {cpu:.2f} s per load (max {max(cpus):.2f}), "
            f"wall {statistics.median(walls):.2f} s (target <= {LINK_CPU_S:g} s CPU): "
            f"{verdict(max(cpus) <= LINK_CPU_S)}"
        )
        if cpu > worst.get(attack.page, (-1.0, None))[0]:
            worst[attack.page] = (cpu, attack)
    return [attack for _, attack in worst.values()]


def wide_query(wide: Path) -> dict:
    """A link for the wide upload: half the rows held out, epochs at the work limit."""
    frame = data.read_csv(wide.read_bytes())
    summary = data.describe_columns(frame)
    target = summary.suggested_target
    features = [f for f in summary.suggested_features if f != target]
    options = PrepareOptions(validation_fraction=0.5)
    dataset = data.prepare(frame, target, features, options)
    low, high = 0.01, 100_000.0
    for _ in range(60):
        middle = (low + high) / 2
        settings = CompareSettings(epochs=middle)
        work = compare.work(dataset.n_samples, dataset.n_features, "linear", settings)
        low, high = (middle, high) if work <= limits.COMPARISON_WORK else (low, middle)
    epochs = float(f"{low * 0.999:.4g}")
    return {"source": "upload", "val": 0.5, "epochs": epochs, "_features": features}


async def wide_upload_cost(base_url: str, pid: int, wide: Path, repeats: int):
    """Server CPU of the compare page on the 200-column upload at the work limit.

    An upload needs a browser: each load opens the link, uploads the file (a new
    seed each time, so no result is reused) and waits for the drawn results.
    """
    from playwright.async_api import async_playwright

    query = wide_query(wide)
    features = len(query.pop("_features"))
    cpus, walls = [], []
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            for k in range(repeats):
                wait_quiet(pid)
                context = await browser.new_context(viewport=VIEWPORT)
                tab = Tab(await context.new_page())
                path = "/?" + urlencode({**query, "seed": 100 + k})
                before = cpu_seconds(pid)
                started = time.perf_counter()
                await tab.page.goto(base_url + path)
                await tab.page.locator("h1").first.wait_for()
                await tab.settle()
                await tab.upload(wide)
                await tab.page.get_by_role(
                    "button", name="Comparison table (CSV)"
                ).wait_for()
                await tab.settle()
                walls.append(time.perf_counter() - started)
                cpus.append(cpu_seconds(pid) - before)
                await context.close()
        finally:
            await browser.close()
    cpu = statistics.median(cpus)
    print(
        f"    compare: 200-column upload ({wide.stat().st_size / 1e6:.0f} MB, "
        f"{features} features, val=0.5, {query['epochs']:g} epochs: work limit), "
        f"browser: CPU {cpu:.2f} s per load incl. reading the file "
        f"(max {max(cpus):.2f}), wall {statistics.median(walls):.2f} s "
        f"(target <= {LINK_CPU_S:g} s CPU): {verdict(max(cpus) <= LINK_CPU_S)}"
    )


async def six_at_once(base_url: str, pid: int, attacks: list[Attack]) -> None:
    """Open six of the worst links together, close them after 1 s, time the calm."""
    wait_quiet(pid)
    before = cpu_seconds(pid)
    loads = [
        open_link(base_url, a.page, a.query(10_000 + i), close_after=1.0)
        for i, a in enumerate(attacks[i % len(attacks)] for i in range(6))
    ]
    await asyncio.gather(*loads)
    closed = time.perf_counter()
    calm = None
    while time.perf_counter() - closed < 120:
        if cpu_rate(pid, 0.25) < 0.1:
            calm = time.perf_counter() - closed
            break
    total = cpu_seconds(pid) - before
    names = "; ".join(a.name for a in attacks)
    print(f"    six at once ({names}), closed after 1 s:")
    if calm is None:
        print("      server still busy 120 s after the tabs closed: MISS")
    else:
        print(
            f"      idle (< 0.1 core) {calm:.1f} s after they closed, "
            f"{total:.1f} s CPU in all (target <= {IDLE_AFTER_S:g} s): "
            f"{verdict(calm <= IDLE_AFTER_S)}"
        )


# -- A bystander -----------------------------------------------------------------------


async def default_page(browser, base_url: str) -> float:
    """Seconds from navigation to the default page's results, drawn."""
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        tab = Tab(await context.new_page())
        started = time.perf_counter()
        await tab.page.goto(base_url + "/")
        await tab.page.get_by_role("button", name="Comparison table (CSV)").wait_for()
        await tab.settle()
        return time.perf_counter() - started
    finally:
        await context.close()


async def bystander(base_url: str, pid: int, attacks: list[Attack], repeats: int):
    from playwright.async_api import async_playwright

    stop = asyncio.Event()

    async def attacker(i: int) -> None:
        k = 20_000 + 1000 * i
        while not stop.is_set():
            k += 1
            attack = attacks[i % len(attacks)]
            try:
                await open_link(base_url, attack.page, attack.query(k), close_after=30)
            except OSError:  # the server refused a connection: try the next one
                await asyncio.sleep(0.5)

    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            await default_page(browser, base_url)  # the browser's own warm-up
            wait_quiet(pid)
            idle = [await default_page(browser, base_url) for _ in range(repeats)]
            idle_server = [await open_link(base_url, "", {}) for _ in range(repeats)]
            attackers = [asyncio.create_task(attacker(i)) for i in range(6)]
            await asyncio.sleep(2)
            loaded = [await default_page(browser, base_url) for _ in range(repeats)]
            loaded_server = [await open_link(base_url, "", {}) for _ in range(repeats)]
            stop.set()
            await asyncio.gather(*attackers, return_exceptions=True)
        finally:
            await browser.close()
    print("\n[c] a default-page visitor while six attack links run in a loop")
    for title, quiet, busy in (
        (
            "the server's part (websocket session: request to script finished)",
            idle_server,
            loaded_server,
        ),
        (
            "in a browser (navigation to drawn results; Chromium shares the two cores)",
            idle,
            loaded,
        ),
    ):
        ratio = statistics.median(busy) / statistics.median(quiet)
        print(f"    {title}")
        print(f"      idle server: {', '.join(f'{t:.2f}' for t in quiet)} s")
        print(f"      under attack: {', '.join(f'{t:.2f}' for t in busy)} s")
        print(
            f"      median ratio {ratio:.2f}x (target <= {BYSTANDER_RATIO:g}x): "
            f"{verdict(ratio <= BYSTANDER_RATIO)}"
        )


# -- Main ------------------------------------------------------------------------------


async def run(base_url: str, pid: int, args) -> None:
    await open_link(base_url, "", {})  # imports, kernels, the default sample
    await open_link(base_url, "explore", {})
    wait_quiet(pid)
    print(f"server {base_url} (pid {pid}), idle RSS after warm-up {rss_mb(pid):.0f} MB")
    with tempfile.TemporaryDirectory(prefix="gddash-abuse-") as folder:
        files = hostile_files(Path(folder))
        # Memory first: its idle level is a fresh server's.
        if "memory" in args.only:
            await memory(base_url, pid, files, args.visitors, args.diagnose)
        if "links" in args.only:
            worst = await link_costs(base_url, pid, args.repeats)
            await wide_upload_cost(base_url, pid, files["wide"], args.repeats)
            await six_at_once(base_url, pid, worst)
        else:
            worst = explorer_attacks()[-1:] + lab_attacks()[:1]
        if "bystander" in args.only:
            await bystander(base_url, pid, worst, args.repeats)
        print(f"\nserver RSS at the end: {rss_mb(pid):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 visitors, 1 repeat")
    parser.add_argument("--visitors", type=int, help="uploading visitors (8)")
    parser.add_argument("--repeats", type=int, help="loads per link (3)")
    parser.add_argument(
        "--only",
        nargs="+",
        default=["links", "bystander", "memory"],
        choices=["links", "bystander", "memory"],
    )
    parser.add_argument(
        "--server-env",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the server, e.g. MALLOC_ARENA_MAX=2",
    )
    parser.add_argument(
        "--diagnose-server",
        action="store_true",
        help="load a signal handler into the server that reports what it holds "
        "(uploaded files, sessions, DataFrames) during the memory test",
    )
    args = parser.parse_args()
    args.visitors = args.visitors or (3 if args.quick else 8)
    args.repeats = args.repeats or (1 if args.quick else 3)
    print(f"machine: {machine()}")
    env = dict(item.split("=", 1) for item in args.server_env)
    with tempfile.TemporaryDirectory(prefix="gddash-diagnose-") as folder:
        args.diagnose = None
        if args.diagnose_server:
            args.diagnose = Path(folder)
            (args.diagnose / "sitecustomize.py").write_text(DIAGNOSE)
            path = os.environ.get("PYTHONPATH", "")
            env["PYTHONPATH"] = folder + (os.pathsep + path if path else "")
            env["GDDASH_DIAGNOSE"] = str(args.diagnose / "held.json")
        process, base_url = start_server(env=env)
        try:
            asyncio.run(run(base_url, process.pid, args))
        finally:
            stop_server(process)


if __name__ == "__main__":
    main()
