"""Hostile and unlucky input on the pages: shown as text, bounded before it runs.

Every Markdown-rendering element of a page is rendered here with an independent
CommonMark renderer (bare-URL autolinks on): no link and no image may come out
of a visitor's file, column names or link values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from gddash import limits
from tests.ui.pages import EXPLORER, open_page

RENDERER = MarkdownIt("commonmark", {"linkify": True}).enable(["linkify", "table"])
TRAP = "![t](http://127.0.0.1:9/t.png) [Click to claim](https://evil.example) www.evil.example"
ODD_NAMES = [
    "time:s",
    "size.m2",
    "a[0]",
    "back\\slash",
    'say "hi"',
    "it's",
    "$cost$",
    "*star*",
    "_under_",
    "<b>bold</b>",
    "naïve 温度",
]


def upload(at: AppTest, name: str, frame: pd.DataFrame) -> AppTest:
    if at.session_state["source"] != "upload":
        at.get("button_group")[0].set_value("upload").run()
    content = frame.to_csv(index=False).encode()
    at.file_uploader[0].set_value((name, content, "text/csv"))
    return at.run()


def markdown_bodies(at: AppTest) -> list[str]:
    """Every text the page renders as Markdown, with the kind of element."""
    bodies = []
    for kind in ("markdown", "caption", "warning", "error", "info", "success", "title"):
        bodies += [str(e.value) for e in getattr(at, kind)]
    bodies += [str(e.label) for e in at.expander]
    return bodies


def assert_no_link_or_image(at: AppTest) -> None:
    for body in markdown_bodies(at):
        html = RENDERER.render(body)
        assert "<a " not in html and "<img" not in html, body


def test_link_values_carrying_markdown_are_named_as_text_not_rendered():
    at = open_page(lr=TRAP, features=[TRAP], target=TRAP, rule=TRAP)
    assert not at.exception
    warnings = "\n".join(str(w.value) for w in at.warning)
    assert "The link's" in warnings
    assert_no_link_or_image(at)
    assert len(at.get("vega_lite_chart")) >= 2  # the page still runs on defaults


def test_an_explorer_link_carrying_markdown_is_refused_as_text():
    at = open_page(EXPLORER, f=TRAP, eta=TRAP, x0=TRAP)
    assert not at.exception
    assert at.error or at.warning
    assert_no_link_or_image(at)


@pytest.fixture(scope="module")
def odd_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    columns = {name: rng.normal(size=80) for name in ODD_NAMES}
    columns["target [y]: $"] = sum(columns.values()) + rng.normal(size=80) * 0.1
    return pd.DataFrame(columns)


def test_columns_with_odd_names_draw_every_element_and_render_as_text(odd_frame):
    at = open_page()
    at = upload(at, f"{TRAP}.csv", odd_frame)
    assert not at.exception
    at.selectbox(key="target").set_value("target [y]: $")
    at.multiselect(key="features").set_value(ODD_NAMES)
    next(b for b in at.button if "Run comparison" in str(b.label)).click()
    at = at.run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 3  # curves, gradient norms, fit
    assert len(at.get("plotly_chart")) == 2  # surface and contours
    assert_no_link_or_image(at)


@pytest.mark.parametrize("name", ["time:s", "size.m2", "a[0]", "<b>bold</b>"])
def test_a_one_feature_fit_with_an_odd_column_name_draws(name):
    rng = np.random.default_rng(5)
    x = rng.normal(size=60)
    frame = pd.DataFrame({name: x, "y": 2 * x + 1 + rng.normal(size=60) * 0.1})
    at = upload(open_page(), "one.csv", frame)
    assert not at.exception
    assert at.multiselect(key="features").value == [name]
    # The fit view draws fitted lines for one feature (tests/test_charts.py
    # checks that its encodings find the rows for such names).
    assert len(at.get("vega_lite_chart")) == 3


def test_a_comparison_over_the_work_budget_is_refused_before_it_runs():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(3000, 60))).add_prefix("x")
    frame["y"] = frame.sum(axis=1)
    at = upload(open_page(epochs="5000"), "wide.csv", frame)
    assert not at.exception
    warnings = "\n".join(str(w.value) for w in at.warning)
    assert "million row × parameter products" in warnings
    assert f"{limits.COMPARISON_WORK / 1e6:,.0f} million" in warnings
    assert not any("variant" in df.value.columns for df in at.dataframe)


def test_an_explorer_run_over_the_step_budget_is_refused_with_what_to_lower():
    rules = ["plain", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    at = open_page(EXPLORER, rules=rules, iters="10000", eta="1e-9")
    assert not at.exception
    warnings = "\n".join(str(w.value) for w in at.warning)
    assert "60,000 steps" in warnings and "Lower the max iterations to" in warnings
    assert not at.metric  # nothing ran


def test_the_refusal_of_a_file_is_kept_and_does_not_rerun_the_reader(monkeypatch):
    calls = []
    from gddash import data

    real = data.read_csv

    def counting(raw, *args, **kwargs):
        calls.append(1)
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(data, "read_csv", counting)
    at = open_page(source="upload")
    at.file_uploader[0].set_value(
        ("bad.csv", b"\x89PNG\r\n\x1a\n\x00binary", "text/csv")
    )
    at = at.run()
    assert "could not be used" in "\n".join(str(e.value) for e in at.error)
    at.run()  # any rerun (a widget, a chart option) of the same refused file
    assert not at.exception
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("alpha", "-1"),
        ("alpha", ""),
        ("alpha", "nan"),
        ("l1_ratio", "2"),
        ("huber_eps", "0"),
        ("huber_eps", "-0.5"),
        ("penalty", TRAP),
        ("model", TRAP),
    ],
)
def test_a_bad_model_or_penalty_value_in_a_link_is_refused_and_named(key, text):
    query = {"sample": "auto_mpg", "model": "huber", "penalty": "elasticnet"}
    at = open_page(**(query | {key: text}))
    assert not at.exception
    warnings = "\n".join(str(w.value) for w in at.warning)
    assert f"The link's **{key}** value" in warnings
    assert_no_link_or_image(at)
    assert any("variant" in df.value.columns for df in at.dataframe)  # on defaults


def test_softmax_classes_with_odd_labels_draw_as_text():
    rng = np.random.default_rng(7)
    labels = np.array(["*star*", "<b>bold</b>", TRAP])
    centres = rng.normal(size=(3, 2)) * 3
    classes = rng.integers(0, 3, size=90)
    points = centres[classes] + rng.normal(size=(90, 2))
    frame = pd.DataFrame({"a[0]": points[:, 0], "time:s": points[:, 1]})
    frame["kind"] = labels[classes]
    at = upload(open_page(), f"{TRAP}.csv", frame)
    at.selectbox(key="target").set_value("kind")
    next(b for b in at.button if "Run comparison" in str(b.label)).click()
    at = at.run()
    assert not at.exception
    assert at.radio(key="model").value == "softmax"
    assert any("accuracy" in df.value.columns for df in at.dataframe)
    assert_no_link_or_image(at)


def test_large_work_waits_for_the_one_slot_and_its_holder_may_take_it_again():
    import threading

    from gddash.ui import cache

    held, release = threading.Event(), threading.Event()

    def other_visitor() -> None:
        with cache.heavy_work(limits.LIGHT_WORK):
            held.set()
            release.wait(10)

    visitor = threading.Thread(target=other_visitor)
    visitor.start()
    held.wait(10)
    passed = []

    def large() -> None:
        with cache.heavy_work(limits.LIGHT_WORK):
            passed.append("large")

    waiting = threading.Thread(target=large)
    waiting.start()
    with cache.heavy_work(limits.LIGHT_WORK - 1):  # small work skips the queue
        passed.append("small")
    waiting.join(0.3)
    assert passed == ["small"]  # the large one waits its turn
    release.set()
    visitor.join(10)
    waiting.join(10)
    assert passed == ["small", "large"]
    # A page holding the slot for its run and charts calls caches that take it again.
    with cache.heavy_work(), cache.heavy_work():
        passed.append("nested")
    assert passed[-1] == "nested"


def test_the_server_keeps_blas_to_one_thread():
    # Visitors' sessions are the parallelism: a second BLAS thread spinning on
    # small products took CPU from every other visitor's core.
    from threadpoolctl import threadpool_info

    open_page()
    # numpy's own OpenBLAS (numba also loads SciPy's when SciPy is installed, as
    # here for the tests; it is not a runtime dependency and gddash never calls it).
    pools = threadpool_info()
    numpy_blas = [pool for pool in pools if "numpy" in pool["filepath"]]
    assert numpy_blas and all(pool["num_threads"] == 1 for pool in numpy_blas)
