"""Click-to-finished timings of the pages in Debian's Chromium (see below).

The Chromium and Streamlit helpers it shares with the browser tests live in
``tests/browser/chromium.py``; they are re-exported here for the benchmarks.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN,
    IDLE,
    machine,
    script_finished,
    start_server,
    stop_server,
)

# -- Click-to-finished timings ---------------------------------------------------------
#
#     python benchmarks/browser.py [--repeats 5]
#
# Starts its own server and Chromium and prints, for what a visitor waits for, the
# seconds from the action (navigation, click, key) until the script_finished
# message reached the browser ("served") and until the page was idle and drawn
# ("drawn", what the visitor sees), the server CPU the action used, and PASS or
# MISS of the drawn median against its target on this two-core machine.

TIMING_TARGETS = {  # seconds, click to finished page
    "default page, first load": None,
    "392-row upload: Run comparison": 1.5,
    "explorer, six rules: step slider move": 0.3,
    "explorer: formula change": 1.0,
}
SIX_RULES = ("plain", "momentum", "nesterov", "adagrad", "rmsprop", "adam")


def cars_csv(rows: int = 392) -> bytes:
    """A cars-like table: ``rows`` rows of five numeric columns, mpg explained."""
    import numpy as np

    rng = np.random.default_rng(392)
    cylinders = rng.choice([4, 6, 8], size=rows, p=[0.5, 0.25, 0.25])
    displacement = (cylinders * 40 + rng.normal(0, 20, rows)).round(1)
    horsepower = (displacement * 0.45 + rng.normal(0, 10, rows)).round(0)
    weight = (displacement * 8 + 1500 + rng.normal(0, 200, rows)).round(0)
    mpg = (50 - 0.006 * weight - 0.04 * horsepower + rng.normal(0, 2, rows)).round(1)
    lines = ["Miles_per_Gallon,Cylinders,Displacement,Horsepower,Weight_in_lbs"]
    lines += [
        f"{m},{c},{d},{h:.0f},{w:.0f}"
        for m, c, d, h, w in zip(
            mpg, cylinders, displacement, horsepower, weight, strict=True
        )
    ]
    return ("\n".join(lines) + "\n").encode()


PARTS = ("idle", "skeletons", "vega", "plotly")
PARTS_JS = """(idle) => {
    const shown = (selector) =>
        [...document.querySelectorAll(selector)].filter((e) => e.offsetParent !== null);
    return [
        document.querySelector(idle) !== null,
        !document.querySelector('[data-testid="stSkeleton"]'),
        shown('[data-testid="stVegaLiteChart"]')
            .every((c) => c.querySelector("svg.marks, canvas")),
        shown('[data-testid="stPlotlyChart"]')
            .every((c) => c.querySelector(".main-svg")),
    ];
}"""


class Timed:
    """One tab whose script_finished messages are time-stamped as they arrive."""

    def __init__(self, page, base_url: str, pid: int) -> None:
        self.page, self.base_url, self.pid = page, base_url, pid
        self.finished: list[float] = []
        self.sent: list[float] = []  # when the browser sent a message to the server
        self.received = 0  # bytes of websocket frames from the server
        page.set_default_timeout(120_000)
        page.on("websocket", self._listen)

    def _listen(self, socket) -> None:
        def on_frame(payload) -> None:
            self.received += len(payload)
            if script_finished(payload):
                self.finished.append(time.perf_counter())

        socket.on("framereceived", on_frame)
        socket.on("framesent", lambda payload: self.sent.append(time.perf_counter()))

    def settle(self) -> None:
        self.page.locator(IDLE).wait_for()
        self.page.wait_for_function(DRAWN, polling=10)

    def settle_parts(self, started: float) -> dict[str, float]:
        """Wait as ``settle`` does; when (from ``started``) each part was ready.

        The parts: the app idle, no skeletons, every visible Vega-Lite chart and
        every visible Plotly chart drawn; polled every 20 ms.
        """
        ready: dict[str, float] = {}
        deadline = time.perf_counter() + 120
        while len(ready) < len(PARTS):
            state = self.page.evaluate(PARTS_JS, IDLE)
            now = time.perf_counter() - started
            for part, done in zip(PARTS, state, strict=True):
                if done and part not in ready:
                    ready[part] = now
                elif not done:
                    ready.pop(part, None)
            if time.perf_counter() > deadline:
                raise TimeoutError(f"page not drawn: {state}")
            self.page.wait_for_timeout(20)
        return ready

    def measure(self, action) -> tuple:
        """(served, drawn, CPU, queued, sent, parts, MB) for ``action``.

        ``action`` makes the page rerun; queued is the time the server's threads
        were ready to run but every core was busy (with the browser, say); sent is
        when the browser sent its first message after the action (a page load
        sends its first message once the app's code has loaded and run); parts
        are ``settle_parts``; MB is what the server sent over the websocket.
        Times in seconds. The browser reports a frame once its page has taken
        it, so a busy page delays "served" too.
        """
        seen, received = len(self.finished), self.received
        cpu = cpu_seconds(self.pid)
        with QueueWatch(self.pid) as queue:
            started = time.perf_counter()
            action()
            deadline = started + 120
            while len(self.finished) == seen:
                if time.perf_counter() > deadline:
                    raise TimeoutError("no script_finished after the action")
                self.page.wait_for_timeout(5)
        self.parts = self.settle_parts(started)
        self.settle()
        drawn = time.perf_counter() - started
        served = self.finished[-1] - started
        cpu = cpu_seconds(self.pid) - cpu
        sent = min((t for t in self.sent if t >= started), default=started) - started
        megabytes = (self.received - received) / 1e6
        return served, drawn, cpu, queue.seconds, sent, self.parts, megabytes

    def open(self, path: str) -> tuple:
        def go() -> None:
            self.page.goto(self.base_url + path)
            self.page.locator("h1").first.wait_for()

        return self.measure(go)


def queued_seconds(pid: int) -> dict[int, float]:
    """Per thread, seconds it has waited, runnable, for a free core.

    From ``/proc/<pid>/task/*/schedstat`` (on-CPU ns, run-queue wait ns, slices).
    """
    waits = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            waits[int(task.name)] = int((task / "schedstat").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return {tid: ns / 1e9 for tid, ns in waits.items()}


class QueueWatch:
    """Run-queue wait of a process's threads over a ``with`` block.

    Polled every 20 ms, so a thread that starts and ends inside the block (a
    Streamlit script run has its own thread) is counted up to its last poll.
    """

    def __init__(self, pid: int) -> None:
        import threading

        self.pid = pid
        self.before = queued_seconds(pid)
        self.latest = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.02):
            self.latest.update(queued_seconds(self.pid))

    def __enter__(self) -> QueueWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.latest.update(queued_seconds(self.pid))
        self.seconds = sum(
            wait - self.before.get(tid, 0.0) for tid, wait in self.latest.items()
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_actions(browser, base_url: str, pid: int, repeats: int) -> dict:
    """Each action ``repeats`` times: name -> [Timed.measure's tuple, ...]."""
    import tempfile

    out: dict[str, list] = {name: [] for name in TIMING_TARGETS}
    viewport = {"width": 1400, "height": 1000}

    def tab() -> Timed:
        context = browser.new_context(viewport=viewport)
        return Timed(context.new_page(), base_url, pid)

    for _ in range(repeats):
        t = tab()
        out["default page, first load"].append(t.open("/"))
        t.page.context.close()

    with tempfile.TemporaryDirectory() as folder:
        cars = Path(folder) / "cars.csv"
        cars.write_bytes(cars_csv())
        for _ in range(repeats):
            t = tab()
            t.open("/?source=upload")
            box = t.page.get_by_test_id("stFileUploaderDropzoneInput")
            t.measure(lambda box=box: box.set_input_files(str(cars)))
            target = t.page.get_by_role(
                "combobox", name="Target (what to predict)", exact=True
            )
            try:
                target.click()
            except Exception:
                t.page.screenshot(path=Path(folder).parent / "gddash-timings-fail.png")
                raise
            t.page.get_by_role("option", name="Miles_per_Gallon", exact=True).click()
            run = t.page.get_by_role("button", name="Run comparison")
            out["392-row upload: Run comparison"].append(t.measure(run.click))
            t.page.context.close()

    query = "&".join(f"rules={rule}" for rule in SIX_RULES)
    t = tab()
    t.open("/explore?" + query)
    thumb = t.page.get_by_test_id("stSlider").filter(has_text="Step")
    thumb = thumb.get_by_role("slider")
    for _ in range(repeats):
        out["explorer, six rules: step slider move"].append(
            t.measure(lambda: thumb.press("ArrowRight"))
        )
    t.page.context.close()

    t = tab()
    t.open("/explore")
    box = t.page.get_by_role("textbox", name="f =", exact=True)
    for k in range(repeats):

        def enter(k=k) -> None:
            box.fill(f"x^2 + {k + 2}*y^2 + sin(x*y)")
            box.press("Enter")

        out["explorer: formula change"].append(t.measure(enter))
    t.page.context.close()
    return out


def timings_report(results: dict) -> str:
    import statistics

    lines = [
        f"{'action':<38} {'sent':>5} {'served':>6} {'drawn':>6} {'CPU':>5} "
        f"{'queued':>6}  target",
    ]
    for name, runs in results.items():
        columns = list(zip(*(run[:5] for run in runs), strict=True))
        served, drawn, cpu, queued, sent = (statistics.median(x) for x in columns)
        target = TIMING_TARGETS[name]
        mark = "" if target is None else f"<= {target:g} s: "
        mark += "" if target is None else ("PASS" if drawn <= target else "MISS")
        lines.append(
            f"{name:<38} {sent:5.2f} {served:6.2f} {drawn:6.2f} {cpu:5.2f} "
            f"{queued:6.2f}  {mark}"
        )
        each = ", ".join(f"{run[1]:.2f}" for run in runs)
        lines.append(f"{'':<4}drawn each: {each}")
        parts = ", ".join(
            f"{part} {statistics.median(run[5][part] for run in runs):.2f}"
            for part in PARTS
        )
        megabytes = statistics.median(run[6] for run in runs)
        lines.append(f"{'':<4}ready (median): {parts}; {megabytes:.1f} MB sent")
    lines.append(
        "(medians in seconds from the action: sent = the browser sent the rerun, "
        "served = script_finished reached the "
        "browser, drawn = idle, no skeletons, every chart drawn; CPU = server CPU; "
        "queued = server threads ready but waiting for a core)"
    )
    return "\n".join(lines)


def main() -> None:
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description="Click-to-finished timings.")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--server-env",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the server, e.g. "
        "STREAMLIT_RUNNER_POST_SCRIPT_GC=false",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    env = dict(item.split("=", 1) for item in args.server_env)
    if env:
        print(f"server environment: {env}")
    process, base_url = start_server(env=env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            try:
                warm = browser.new_context()
                for path in ("/", "/explore"):  # imports, kernels, samples
                    Timed(warm.new_page(), base_url, process.pid).open(path)
                warm.close()
                results = time_actions(browser, base_url, process.pid, args.repeats)
            finally:
                browser.close()
        print(timings_report(results))
    finally:
        stop_server(process)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
