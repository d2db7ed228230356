"""The "Compare on your data" page, driven headless with Streamlit's AppTest."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.pages import APP, open_page, texts


def open_lab(**params) -> AppTest:
    return open_page(**params)


def comparison_table(at: AppTest):
    return next(df.value for df in at.dataframe if "variant" in df.value.columns)


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, content, "text/csv"))
    return at.run()


def test_default_page_opens_on_a_sample_with_charts_and_a_three_row_table():
    at = open_lab()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) >= 2  # loss curves, gradient norms, fit
    assert len(at.get("plotly_chart")) >= 1  # the loss surface (and its contours)
    table = comparison_table(at)
    assert list(table["variant"]) == ["Batch", "Stochastic (SGD)", "Mini-batch"]
    assert "came within 1% of the optimal loss" in texts(at.success) + texts(at.warning)


def test_a_threshold_not_reached_reads_as_a_dash_not_none():
    # One epoch: batch and mini-batch do not come within 1% of the optimum.
    at = open_lab(epochs="1")
    frame = next(df for df in at.dataframe if "variant" in df.value.columns)
    assert frame.value["seconds to 1%"].isna().sum() == 2
    # st.dataframe shows a missing cell as its placeholder, "None" without one.
    assert frame.proto.placeholder == "—"


def test_an_uploaded_csv_is_compared():
    at = open_lab(source="Upload a CSV")
    assert "Upload a CSV file" in texts(at.info)
    rows = "\n".join(f"{i},{2 * i + 1 + (i % 3) * 0.1}" for i in range(60))
    at = upload(at, "mine.csv", f"size,price\n{rows}\n".encode())
    assert not at.exception
    assert at.selectbox(key="target").value == "price"
    assert at.multiselect(key="features").value == ["size"]
    assert len(comparison_table(at)) == 3


def test_a_malformed_upload_shows_a_readable_error_and_the_page_recovers():
    at = open_lab(source="Upload a CSV")
    at = upload(at, "broken.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary")
    assert not at.exception
    assert "could not be used" in texts(at.error)
    at = upload(at, "good.csv", b"x,y\n1,2\n2,4.1\n3,6.2\n4,7.9\n5,10.1\n")
    assert not at.exception
    assert len(comparison_table(at)) == 3


def test_a_divergent_learning_rate_is_flagged_and_shown_as_diverged():
    at = open_lab(lr="50")
    assert not at.exception
    assert "the largest stable learning rate of batch descent" in texts(at.warning)
    table = comparison_table(at)
    assert (table["status"] == "Diverged").all()
    reasons = texts(at.markdown)
    assert reasons.count("lower the learning rate below") == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"model": "Logistic regression"},
            "needs a target with exactly 2 distinct values",
        ),
        (
            {
                "sample": "Diabetes progression (real, regression)",
                "model": "Logistic regression",
            },
            "but 'progression' has 214",
        ),
    ],
)
def test_bad_choices_get_a_clear_message_and_no_traceback(params, message):
    at = open_lab(**params)
    assert not at.exception
    assert message in texts(at.error)


def test_a_target_chosen_among_the_features_leaves_the_features():
    at = open_lab(features=["x", "y"], target="y")
    assert not at.exception
    assert at.multiselect(key="features").value == ["x"]
    assert "y is the target, so it was taken out of the features" in texts(at.caption)
    assert len(comparison_table(at)) == 3


def test_no_features_is_explained():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["features"] = []
    at.run()
    assert not at.exception
    assert "Choose at least one feature" in texts(at.error)


def test_a_batch_size_larger_than_the_data_is_explained():
    at = open_lab(bs="100000")
    assert not at.exception
    assert "mini-batch runs as batch descent" in texts(at.warning)


def test_url_parameters_restore_the_settings():
    at = open_lab(
        sample="Diabetes progression (real, regression)",
        rule="Adam",
        lr="0.05",
        epochs="7",
        variants=["Stochastic (SGD)", "Batch"],
        seed="3",
    )
    assert not at.exception
    assert at.selectbox(key="sample").value == "diabetes"
    assert at.selectbox(key="rule").value == "adam"
    assert at.number_input(key="lr").value == 0.05
    assert at.number_input(key="epochs").value == 7
    table = comparison_table(at)
    assert list(table["variant"]) == ["Stochastic (SGD)", "Batch"]
    assert table["epochs"].tolist() == pytest.approx([7, 7])


def test_invalid_url_values_fall_back_with_a_notice():
    at = open_lab(lr="abc", rule="lion")
    assert not at.exception
    notices = texts(at.warning)
    assert "The link's lr value abc was not used: it is not a number" in notices
    assert "The link's rule value lion was not used" in notices
    assert len(comparison_table(at)) == 3


def test_changing_a_chart_option_does_not_rerun_the_descent():
    at = open_lab()
    first = comparison_table(at)["seconds"].tolist()
    at.toggle(key="log_y").set_value(True).run()
    assert not at.exception
    assert comparison_table(at)["seconds"].tolist() == first  # served from the cache


def test_the_work_limit_counts_a_batch_size_above_n_as_batch():
    # 200 rows, 200 updates each: a batch of 1,000,000 rows runs as 200-row batch.
    at = open_lab(budget="Same updates", updates="200", bs="1000000")
    assert not at.exception
    assert "would process about" not in texts(at.warning)
    assert len(comparison_table(at)) == 3


def test_an_upload_survives_a_visit_to_another_page():
    at = open_lab(source="Upload a CSV")
    rows = "\n".join(f"{i},{3 * i - 1 + (i % 4) * 0.2}" for i in range(40))
    at = upload(at, "mine.csv", f"size,price\n{rows}\n".encode())
    assert len(comparison_table(at)) == 3
    at.switch_page("gddash/ui/learn.py").run()
    at.switch_page("gddash/ui/lab.py").run()
    assert not at.exception
    assert "Using mine.csv, uploaded earlier" in texts(at.caption)
    assert at.selectbox(key="target").value == "price"
    assert len(comparison_table(at)) == 3


# --- Models and penalties (issue 15) -----------------------------------------------


def run_form(at: AppTest, **values) -> AppTest:
    for key, value in values.items():
        found = [
            w
            for kind in ("selectbox", "number_input", "radio", "multiselect")
            for w in getattr(at, kind)
            if w.key == key
        ]
        found[0].set_value(value)
    next(b for b in at.button if "Run comparison" in str(b.label)).click()
    return at.run()


def subheaders(at: AppTest) -> list[str]:
    return [str(s.value) for s in at.subheader]


@pytest.mark.parametrize(
    ("sample", "model", "penalty"),
    [
        ("diabetes", "linear", "l2"),
        ("auto_mpg", "huber", "l1"),
        ("breast_cancer", "logistic", "elasticnet"),
        ("iris", "softmax", "l2"),
        ("iris", "softmax", "none"),
    ],
)
def test_every_model_and_penalty_runs_end_to_end(sample, model, penalty):
    at = open_lab(sample=sample)
    assert at.radio(key="model").value == (
        "softmax"
        if sample == "iris"
        else "logistic"
        if sample == "breast_cancer"
        else "linear"
    )
    at = run_form(at, model=model, penalty=penalty, alpha=0.01)
    assert not at.exception
    assert not at.error, texts(at.error)
    table = comparison_table(at)
    score = "R²" if model in ("linear", "huber") else "accuracy"
    assert table[score].notna().all()
    assert ("Coefficient path" in subheaders(at)) == (penalty != "none")
    assert "Fit" in subheaders(at)
    if model == "softmax":
        assert len(at.tabs) >= 3 + 2  # the surface's two tabs, one per variant
        assert "θ[" in str(at.get("plotly_chart")[0].proto.spec)
    timing = texts(at.caption)
    method = {"l2": "closed form", "l1": "FISTA", "elasticnet": "FISTA"}
    if model == "linear":
        assert "Optimum by closed form" in timing
    elif penalty in method:
        assert "Optimum by" in timing and (
            method[penalty] in timing or "Newton" in timing
        )


def test_softmax_with_a_validation_split_shows_train_and_validation_confusion():
    at = open_lab(sample="iris", val="0.2")
    assert not at.exception
    titles = " ".join(str(c.proto.spec) for c in at.get("vega_lite_chart"))
    assert "train rows (120)" in titles and "validation rows (30)" in titles


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"model": "huber", "huber_eps": 0.0},
            "Huber's epsilon must be a number above 0",
        ),
        ({"model": "softmax"}, "Softmax regression needs a target with 2 to 20"),
        ({"model": "logistic"}, "two"),
    ],
)
def test_bad_model_settings_are_messages_not_tracebacks(values, message):
    # A negative alpha or an l1_ratio above 1 cannot be typed (the inputs are
    # bounded); from a link they are refused (test_hostile_input).
    at = run_form(open_lab(), **values)
    assert not at.exception
    assert message in texts(at.error)
    assert not at.dataframe or not any(
        "variant" in df.value.columns for df in at.dataframe
    )


def test_softmax_on_a_target_with_too_many_levels_is_refused_in_words():
    rows = "\n".join(f"{i % 25},{i * 0.5},{(i * 7) % 11}" for i in range(200))
    at = open_lab(source="Upload a CSV")
    at = upload(at, "grades.csv", f"grade,x,z\n{rows}\n".encode())
    at = run_form(at, target="grade", model="softmax")
    assert not at.exception
    assert "2 to 20" in texts(at.error)
