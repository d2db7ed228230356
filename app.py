"""gddash: gradient descent, visible and measurable on your own data.

Entry point: page configuration and navigation. The pages live in gddash/ui/.
"""

import threading

import streamlit as st

from gddash.engine import warm_up


@st.cache_resource(show_spinner=False)
def warm_kernels() -> threading.Thread:
    """Once per server: load (or compile and store) the kernels in the background."""
    thread = threading.Thread(target=warm_up, name="gddash-warm-up", daemon=True)
    thread.start()
    return thread


st.set_page_config(
    page_title="gddash — gradient descent, measured",
    page_icon=":material/trending_down:",
    layout="wide",
)

pages = [
    st.Page(
        "gddash/ui/lab.py",
        title="Compare on your data",
        icon=":material/compare_arrows:",
        default=True,  # served at the root: a default page has no other path
    ),
    st.Page(
        "gddash/ui/explorer.py",
        title="Explore a function",
        icon=":material/landscape:",
        url_path="explore",
    ),
    st.Page(
        "gddash/ui/learn.py",
        title="How it works",
        icon=":material/school:",
        url_path="learn",
    ),
]
warm_kernels()
st.navigation(pages).run()
