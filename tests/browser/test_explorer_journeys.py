"""The "Explore a function" page as a visitor uses it, in a real Chromium."""

from __future__ import annotations

import math
import re

import pytest

pytestmark = pytest.mark.browser

CONVERGED = "Converged (‖∇f‖ ≤ ε)"
RUNNING = re.compile(r"^Running( \(it converged later\))?$")
# The read-out above the animated figure, e.g.
# "step 30: position (0.00, 0.00), f = 1.2e-13, ‖∇f‖ = 6.9e-07, Converged (‖∇f‖ ≤ ε)"
READOUT = re.compile(  # the figure wraps long read-outs at a comma
    r"step (?P<step>\d+):\s*position (?P<position>\(.*?\)),\s*f = (?P<value>[^,\s]+),"
    r"\s*‖∇f‖ = (?P<norm>[^,\s]+),\s*(?P<status>.+)$"
)


def type_formula(app, formula: str) -> None:
    box = app.page.get_by_role("textbox", name="f =", exact=True)

    def enter() -> None:
        box.fill(formula)
        box.press("Enter")

    app.rerun(enter)


def surface(app):
    """The animated 3-D surface (the first Plotly figure of the page)."""
    plot = app.visible(app.page.locator(".js-plotly-plot").first)
    assert plot.evaluate("p => p._fullData[0].type") == "surface"
    # Drawn by WebGL: without it, Plotly shows a message in place of the scene.
    assert "WebGL" not in plot.inner_text(), plot.inner_text()
    return plot


def readout(plot) -> re.Match:
    text = plot.locator(".annotation-text").first.text_content()
    found = READOUT.match(text)
    assert found, text
    return found


def camera_eye(plot) -> tuple[float, float, float]:
    eye = plot.evaluate("p => p._fullLayout.scene.camera.eye")
    return eye["x"], eye["y"], eye["z"]


def drag(app, plot) -> None:
    """Turn the 3-D view: press in the scene, move right and down, release."""
    box = plot.locator("[id^=scene]").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    mouse = app.page.mouse
    mouse.move(x, y)
    mouse.down()
    for k in range(1, 11):
        mouse.move(x + 15 * k, y + 6 * k)
    mouse.up()


def test_a_typed_function_shows_its_gradient_plays_to_convergence_and_keeps_its_camera(
    expect,
    app,
):
    page = app.open("/explore").page
    type_formula(app, "x^2 + 3y^2")
    tex = page.locator(".katex annotation")
    expect(tex.filter(has_text=r"\frac{\partial f}{\partial x} = 2 x")).to_have_count(1)
    expect(tex.filter(has_text=r"\frac{\partial f}{\partial y} = 6 y")).to_have_count(1)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    # η = 0.2 converges in about 30 steps, so the animation is short.
    app.rerun(lambda: app.type_into("Learning rate η", "0.2", submit=True))
    expect(page).to_have_url(re.compile(r"eta=0.2"))

    plot = surface(app)
    assert readout(plot)["step"] == "0"
    assert RUNNING.match(readout(plot)["status"])
    plot.locator(".updatemenu-button", has_text="Play").click()
    expect(plot.locator(".annotation-text")).to_contain_text(CONVERGED, timeout=90_000)
    final = readout(plot)

    # The Streamlit read-outs at the last step agree with the animation's last frame.
    app.slide_to_end("Step")
    expect(app.metric("Status")).to_have_text(CONVERGED)
    shown = app.metrics()
    assert shown["Position"] == final["position"]
    assert shown["Value"] == final["value"]
    assert shown["‖∇f‖"] == final["norm"]
    assert float(shown["‖∇f‖"]) <= 1e-6

    start = camera_eye(plot)
    drag(app, plot)
    turned = camera_eye(plot)
    assert math.dist(start, turned) > 0.1, "the drag did not turn the view"
    app.screenshot("4-explorer-converged-turned")

    # The step slider reruns only its fragment; the surface keeps the camera.
    thumb = (
        page.get_by_test_id("stSlider").filter(has_text="Step").get_by_role("slider")
    )

    def home() -> None:
        thumb.focus()
        thumb.press("Home")

    app.rerun(home)
    expect(app.metric("Status")).to_have_text(RUNNING)
    assert camera_eye(plot) == pytest.approx(turned)
    # A whole-page rerun that leaves the figure as it was keeps the camera too.
    app.rerun(lambda: app.type_into("Max iterations", "2000", submit=True))
    expect(page).to_have_url(re.compile(r"iters=2000"))
    assert camera_eye(surface(app)) == pytest.approx(turned)


def test_a_copied_explorer_link_restores_the_function_and_its_readouts(expect, new_app):
    first = new_app().open("/explore")
    type_formula(first, "x^2 + 10y^2 - x*y")
    first.rerun(lambda: first.type_into("Start x", "-3", submit=True))
    first.rerun(lambda: first.type_into("Learning rate η", "0.05", submit=True))
    link = first.page.url
    for part in ("f=x", "x0=-3", "eta=0.05"):
        assert part in link, link
    start = readout(surface(first)).groupdict()
    first.slide_to_end("Step")
    expect(first.metric("Status")).to_have_text(CONVERGED)
    end = first.metrics()

    second = new_app().open(link.removeprefix(first.base_url))
    box = second.page.get_by_role("textbox", name="f =", exact=True)
    expect(box).to_have_value("x^2 + 10y^2 - x*y")
    expect(second.spin("Start x")).to_have_value("-3")
    expect(second.spin("Learning rate η")).to_have_value("0.05")
    expect(second.page.get_by_test_id("stAlertContentWarning")).to_have_count(0)
    assert readout(surface(second)).groupdict() == start
    assert start["position"].startswith("(-3.00, ")
    second.slide_to_end("Step")
    expect(second.metric("Status")).to_have_text(CONVERGED)
    assert second.metrics() == end
    second.screenshot("5b-shared-explorer-link")
