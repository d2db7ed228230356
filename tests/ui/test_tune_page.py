"""The "Tune and understand" page, driven headless with Streamlit's AppTest."""

from __future__ import annotations

import hashlib
import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from gddash import data
from gddash.data import PrepareOptions
from gddash.page_settings import TUNE as TUNE_FIELDS
from tests.ui.pages import open_page, texts

TUNE = "gddash/ui/tune.py"
SECTIONS = [
    "1. Curvature",
    "2. Learning-rate range test",
    "3. Sweep: learning rate × batch size",
    "4. Tuned vs tuned",
    "5. Theory on the curves",
]


def open_tune(**query) -> AppTest:
    return open_page(TUNE, **query)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_default_page_shows_every_section_and_a_tuned_verdict():
    at = open_tune()
    assert not at.exception
    assert [h.value for h in at.header] == SECTIONS
    # eigenvalues, range test, a heatmap per rule and four theory charts
    assert len(at.get("vega_lite_chart")) == 9
    assert texts(at.success).startswith("Tuned comparison")
    table = next(df.value for df in at.dataframe if "chosen η" in df.value.columns)
    assert len(table) == 9  # three variants × three rules
    # the range test's and the race's tables: a missing value reads as a dash
    tables = [df for df in at.dataframe if {"chosen η", "seed"} & set(df.value)]
    assert [df.proto.placeholder for df in tables] == ["—", "—"]
    assert at.query_params["t_data"] == "line"
    assert list(at.query_params["t_rules"]) == ["plain", "momentum", "adam"]


def test_a_link_opens_its_data_and_the_curvature_is_numpys():
    at = open_tune(t_data="diabetes", t_rules="plain", t_rates="3", t_sizes="3")
    assert not at.exception
    frame = data.read_csv(data.load_sample("diabetes"))
    features = [c for c in frame.columns if c != "progression"]
    dataset = data.prepare(frame, "progression", features, PrepareOptions())
    eig = np.linalg.eigvalsh(dataset.X.T @ dataset.X / dataset.n_samples)
    assert metrics(at)["Condition number κ"] == f"{eig[-1] / eig[0]:.3g}"
    assert metrics(at)["Stable limit 2/λ_max"] == f"{2 / eig[-1]:.3g}"
    table = next(df.value for df in at.dataframe if "chosen η" in df.value.columns)
    assert len(table) == 3  # one rule


def test_a_refused_link_value_is_named_and_the_default_used():
    at = open_tune(t_metric="<b>loudest</b>")
    assert not at.exception
    warning = texts(at.warning)
    assert "link's t_metric value <b>loudest</b> was not used" in warning
    assert at.radio(key="t_metric").value == "gap"


def test_a_sweep_over_the_work_cap_is_refused_in_a_sentence():
    at = open_tune(t_data="auto_mpg", t_epochs="10000", t_rates="12", t_sizes="12")
    assert not at.exception
    warning = texts(at.warning)
    assert "million row × parameter products" in warning
    assert "Lower the epochs" in warning
    assert "The race needs the sweep above." in texts(at.info)


def test_a_sweep_larger_than_a_comparison_waits_for_a_click_not_a_link():
    at = open_tune(t_data="diabetes", t_epochs="400")
    assert not at.exception
    assert "starts when you press the button" in texts(at.info)
    heatmaps = [c for c in at.get("vega_lite_chart") if "t_heat" in str(c.proto)]
    assert not heatmaps and not texts(at.success).startswith("Tuned comparison")
    at.button(key="t_sweep_go").click().run()
    assert not at.exception
    assert "starts when you press the button" not in texts(at.info)
    assert texts(at.success).startswith("Tuned comparison")
    at.run()  # an unrelated rerun shows the sweep it holds, without a click
    assert texts(at.success).startswith("Tuned comparison")


def test_an_upload_already_at_its_optimum_gets_a_range_test_sentence():
    # y has mean 0 and is orthogonal to x: the gradient at θ = 0 is zero.
    x, y = np.tile([1.0, -1.0, 1.0, -1.0], 10), np.tile([1.0, 1.0, -1.0, -1.0], 10)
    raw = pd.DataFrame({"x": x, "y": y}).to_csv(index=False).encode()
    at = AppTest.from_file(str(open_page.__globals__["APP"]), default_timeout=90)
    at.session_state["_upload"] = SimpleNamespace(
        name="zero.csv",
        size=len(raw),
        key=hashlib.sha256(raw).hexdigest(),
        file=io.BytesIO(raw),
    )
    at.run()
    at.switch_page(TUNE)
    at.query_params["t_data"] = "upload"
    at.query_params["t_target"] = "y"
    at.query_params["t_features"] = "x"
    at.run()
    assert not at.exception
    assert "already the optimal loss" in texts(at.info)


def test_a_diverging_theory_run_says_so_with_the_engines_advice():
    at = open_tune(t_lr="50")
    assert not at.exception
    warning = texts(at.warning)
    assert "Batch, plain, η = 50 diverged" in warning
    assert "lower the learning rate" in warning.lower()


def test_with_the_race_switched_off_the_page_says_how_to_switch_it_on():
    at = open_tune(t_rules="plain", t_rates="3", t_sizes="2", t_race="false")
    assert not at.exception
    assert "Switch on “Tuned vs tuned”" in texts(at.caption)
    assert not [df for df in at.dataframe if "chosen η" in df.value.columns]


def test_a_copied_address_reopens_the_same_settings():
    asked = {
        "t_data": "auto_mpg",
        "t_target": "mpg",
        "t_features": ["weight", "horsepower"],
        "t_lr": "0.05",
        "t_epochs": "5",
        "t_bs": "16",
        "t_seed": "3",
        "t_repeats": "2",
        "t_range_bs": "8",
        "t_rules": ["plain", "nesterov"],
        "t_rates": "4",
        "t_sizes": "3",
        "t_metric": "rows",
        "t_race": "false",
    }
    first = open_tune(**asked)
    assert not first.exception and not texts(first.warning)
    address = {k: first.query_params[k] for k in first.query_params}
    again = open_tune(**address)
    keys = [f.key for f in TUNE_FIELDS]
    assert {k: again.session_state[k] for k in keys} == {
        k: first.session_state[k] for k in keys
    }
    assert first.session_state["t_lr"] == 0.05
    assert first.session_state["t_features"] == ["weight", "horsepower"]
