"""What the browser tests and the benchmarks share about Chromium and the app.

Debian's Chromium (never a Playwright download), how to tell that a Streamlit
page has finished a run and drawn its charts, and a free port and health check
for a server of one's own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = os.environ.get("GDDASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

READY = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
IDLE = READY + '[data-test-script-state="notRunning"]'
# After a run ends, elements whose code is still loading show as grey skeletons,
# and charts draw a moment later: drawn means no skeleton and every visible chart
# has its SVG or canvas.
DRAWN = """() => {
    const shown = (selector) =>
        [...document.querySelectorAll(selector)].filter((e) => e.offsetParent !== null);
    return !document.querySelector('[data-testid="stSkeleton"]')
        && shown('[data-testid="stVegaLiteChart"]')
            .every((c) => c.querySelector("svg.marks, canvas"))
        && shown('[data-testid="stPlotlyChart"]')
            .every((c) => c.querySelector(".main-svg"));
}"""


def script_finished(payload: str | bytes) -> bool:
    """Is this websocket frame Streamlit's "script run finished" (not cut short)?"""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return False
    message = ForwardMsg()
    try:
        message.ParseFromString(payload)
    except Exception:  # a frame that is not a ForwardMsg
        return False
    return (
        message.WhichOneof("type") == "script_finished"
        and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """Does the Streamlit server at ``url`` answer its health check?"""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def start_server(
    log: Path | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` on a free port of 127.0.0.1: (process, url), healthy.

    The file watcher is off, so edits to the tree during a run do not rerun pages.
    ``env`` adds to the server's environment (e.g. malloc settings to compare).
    """
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py"]
    command += ["--server.port", str(port), "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if healthy(url):
            return process, url
        if process.poll() is not None:
            break
        time.sleep(0.2)
    stop_server(process)
    raise SystemExit("streamlit did not become healthy within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    """Terminate the server's process group, then kill it if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def machine() -> str:
    """This machine's CPU model, core count and memory, for a benchmark's header."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.partition(":")[2].strip()
            break
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f", {int(line.split()[1]) / 2**20:.1f} GiB RAM"
    load = Path("/proc/loadavg").read_text().split()[0]
    return (
        f"{model}, {os.cpu_count()} cores{memory}, Python {sys.version.split()[0]}; "
        f"load average {load} before starting (other processes share the cores)"
    )
