"""The "Explore a function" page, driven headless with Streamlit's AppTest."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.pages import EXPLORER, open_page, texts


def open_explorer(**params) -> AppTest:
    """The explorer as a visitor opening /explore?<params> sees it."""
    return open_page(EXPLORER, **params)


def readouts(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def latex(at: AppTest) -> str:
    return "\n".join(e.value for e in at.latex)


def test_default_explorer_shows_the_seed_bowl_and_its_first_readouts():
    at = open_explorer()
    assert not at.exception
    assert readouts(at) == {
        "Position": "(2.00, 2.00)",
        "Value": "8.00",
        "Gradient": "(4.00, 4.00)",
        "‖∇f‖": "5.66",
        "Learning rate": "0.01",
        "Status": "Running",
    }
    assert len(at.get("plotly_chart")) == 2  # the 3-D surface and the contours
    assert r"f(x, y) = x^{2} + y^{2}" in latex(at)
    assert "The run ends at step 770: it converged." in texts(at.caption)


def test_scrubbing_to_the_last_step_reads_converged():
    at = open_explorer()
    last = at.slider(key="step").max
    at.slider(key="step").set_value(last).run()
    assert not at.exception
    assert readouts(at)["Status"] == "Converged (‖∇f‖ ≤ ε)"


def test_typing_a_new_function_updates_the_symbolic_panel_and_charts():
    at = open_explorer()
    at.text_input(key="f").input("x^2 + 3y^2 + sin(x)").run()
    assert not at.exception
    panel = latex(at)
    assert r"\sin{\left(x \right)}" in panel
    assert r"\frac{\partial f}{\partial y} = 6 y" in panel
    assert readouts(at)["Value"] == f"{4 + 12 + __import__('math').sin(2):.2f}"
    assert len(at.get("plotly_chart")) == 2


def test_ascent_on_the_bump_preset_climbs_to_its_maximum():
    at = open_explorer(preset="Gaussian bump (ascent)")
    assert not at.exception
    assert at.radio(key="goal").value == "maximize"
    at.slider(key="step").set_value(at.slider(key="step").max).run()
    assert float(readouts(at)["Value"]) == pytest.approx(3.0, abs=0.01)
    assert "local maximum" in "\n".join(m.value for m in at.markdown)


def test_a_refused_formula_shows_an_error_and_keeps_the_previous_plot():
    at = open_explorer()
    at.text_input(key="f").input("__import__('os').system('echo hacked')").run()
    assert not at.exception
    assert "That formula was refused" in "\n".join(e.value for e in at.error)
    assert len(at.get("plotly_chart")) == 2
    assert readouts(at)["Value"] == "8.00"  # still the bowl
    assert "Still showing the last valid function: f = x^2 + y^2" in texts(at.caption)


@pytest.mark.parametrize(
    "formula",
    ["().__class__.__bases__[0]", "9**9**9", "exec('1')", "z + 1"],
)
def test_a_hostile_url_formula_is_refused_like_typed_input(formula):
    at = open_explorer(f=formula)
    assert not at.exception
    assert "That formula was refused" in texts(at.error)


def test_an_over_long_url_formula_is_refused_before_parsing_and_named():
    at = open_explorer(f="x" * 600)
    assert not at.exception
    notices = texts(at.warning)
    assert "The link's f value" in notices and "longer than" in notices
    assert readouts(at)["Value"] == "8.00"  # the preset's bowl instead


def test_one_variable_mode_draws_the_curve_with_its_tangent():
    at = open_explorer(preset="Parabola  x² + 2x + 3")
    assert not at.exception
    assert at.radio(key="dim").value == "1"
    assert readouts(at)["Gradient"] == "(8.00)"  # f'(3) = 2·3 + 2
    assert len(at.get("plotly_chart")) == 1


def test_several_rules_run_side_by_side_from_the_same_start():
    at = open_explorer(rules=["Plain", "Momentum", "Adam"])
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    for rule in ("**Plain**", "**Momentum**", "**Adam**"):
        assert rule in text


def test_url_parameters_reproduce_the_exact_run():
    at = open_explorer(f="x^2 + 10y^2", x0="-3", y0="1", eta="0.05", iters="40")
    assert not at.exception
    assert at.text_input(key="f").value == "x^2 + 10y^2"
    assert at.number_input(key="eta").value == 0.05
    assert readouts(at)["Position"] == "(-3.00, 1.00)"
    assert at.slider(key="step").max == 40


def test_a_link_value_the_page_cannot_use_is_named_in_a_warning():
    at = open_explorer(eta="fast", rules="Teleport")
    assert not at.exception
    notices = texts(at.warning)
    assert "The link's eta value fast was not used: it is not a number" in notices
    assert "The link's rules value Teleport was not used" in notices
    assert readouts(at)["Position"] == "(2.00, 2.00)"  # the page still runs


def test_switching_a_two_variable_formula_to_f_of_x_keeps_the_last_valid_function():
    at = open_explorer()
    at.radio(key="dim").set_value("1").run()  # x^2 + y^2 now names a missing y
    assert not at.exception
    assert any("refused" in e.value for e in at.error)
    assert any("Still showing the last valid function" in c.value for c in at.caption)
    assert readouts(at)["Position"] == "(2.00, 2.00)"
    assert at.number_input(key="y0").disabled


def test_a_start_where_every_point_blows_up_still_draws_the_page():
    at = open_explorer()
    at.number_input(key="x0").set_value(1e6)
    at.number_input(key="eta").set_value(1.5).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    at.slider(key="step").set_value(at.slider(key="step").max).run()
    assert readouts(at)["Status"].startswith("Diverged")
