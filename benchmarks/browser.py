"""What the browser tests and the visitors benchmark share about Chromium and the app.

Debian's Chromium (never a Playwright download), how to tell that a Streamlit
page has finished a run and drawn its charts, and a free port and health check
for a server of one's own.
"""

from __future__ import annotations

import os
import socket
import urllib.request

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
