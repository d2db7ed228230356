"""gddash: gradient descent, visible and measurable on your own data.

Entry point: page configuration and navigation. The pages live in gddash/ui/.
"""

import streamlit as st

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
        url_path="compare",
        default=True,
    ),
]
st.navigation(pages).run()
