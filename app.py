"""gddash: gradient descent, visible and measurable on your own data.

Entry point: page configuration and navigation. The pages live in gddash/ui/.
"""

import gc
import sys
import threading

import streamlit as st
from threadpoolctl import threadpool_limits

from gddash.allocator import return_freed_memory
from gddash.engine import warm_up


@st.cache_resource(show_spinner=False)
def set_up_server() -> threading.Thread:
    """Once per server: compile the loops (or load them from numba's cache).

    Also makes freed arrays go back to the system (``gddash.allocator``); keeps
    BLAS to one thread; hands the interpreter lock round every 0.5 ms instead
    of 5 ms, so a visitor's short run is not held behind another's Python-heavy
    one (a default page under six attack links: 6.8 s -> 3.1 s,
    benchmarks/abuse.py); and moves everything imported so far into the
    collector's permanent
    generation (``gc.freeze``): Streamlit runs a full collection after every
    script run, and walking the libraries' objects each time made every rerun,
    a slider move included, wait for it (benchmarks/browser.py measures it).
    """
    return_freed_memory()
    # One BLAS thread: visitors' sessions are the parallelism here, and a second
    # BLAS thread spinning for small products cost a 200-column upload's run ~30%
    # more CPU (benchmarks/abuse.py), taken from every other visitor's core.
    threadpool_limits(limits=1, user_api="blas")
    sys.setswitchinterval(0.0005)
    gc.collect()
    gc.freeze()
    thread = threading.Thread(target=warm_up, name="gddash-warm-up", daemon=True)
    thread.start()
    return thread


st.set_page_config(
    page_title="gddash — gradient descent, measured",
    page_icon=":material/trending_down:",
    layout="wide",
)

# Each page's file is named as its address (/explore is ui/explore.py): before
# its first run, Streamlit's AppTest finds a page by its file's name.
pages = [
    st.Page(
        "gddash/ui/lab.py",
        title="Compare on your data",
        icon=":material/compare_arrows:",
        default=True,  # served at the root: a default page has no other path
    ),
    st.Page(
        "gddash/ui/explore.py",
        title="Explore a function",
        icon=":material/landscape:",
        url_path="explore",
    ),
    st.Page(
        "gddash/ui/tune.py",
        title="Tune and understand",
        icon=":material/tune:",
        url_path="tune",
    ),
    st.Page(
        "gddash/ui/learn.py",
        title="How it works",
        icon=":material/school:",
        url_path="learn",
    ),
]
set_up_server()
st.navigation(pages).run()
