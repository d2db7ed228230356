"""The "How it works" page, driven headless with Streamlit's AppTest.

The page is run directly as a script (the lead wires it into app.py's navigation).
"""

import ast
import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

PAGE = Path(__file__).resolve().parents[2] / "gddash" / "ui" / "learn.py"
# Charts on a first visit: the |f′| chart, the variants' loss and gradient-norm
# curves and the three learning rates (Vega-Lite); the two 1-D curves, the two
# bowls and Rastrigin's contours (Plotly). The mini-batch tab adds its sweep.
FIRST_VISIT_VEGA = 6
FIRST_VISIT_PLOTLY = 5
TYPE_TABS = (
    "Batch: all rows",
    "Stochastic: one row",
    "Mini-batch: a few rows",
    "Cost on 250,000 rows",
)
# The LaTeX commands the page may use: all in KaTeX's supported list
# (https://katex.org/docs/supported.html).
KATEX_COMMANDS = {
    "Longrightarrow",
    "Rightarrow",
    "begin",
    "cdot",
    "end",
    "frac",
    "ldots",
    "left",
    "lim",
    "lVert",
    "lvert",
    "mathbf",
    "max",
    "nabla",
    "partial",
    "qquad",
    "quad",
    "right",
    "rVert",
    "rvert",
    "sum",
    "text",
    "tfrac",
    "to",
    "top",
    "underbrace",
    "varepsilon",
    "alpha",
    "beta",
    "eta",
    "lambda",
    "ell",
    "theta",
    "le",
    "in",
    "cos",
    "sin",
    "exp",
    "log",
    "pi",
    "sqrt",
}


def open_page(**params) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def unescaped(markdown: str) -> str:
    """The text a Markdown string shows, backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def formula_of(element) -> str:
    """The formula an st.latex element shows (st.latex wraps it in $$ lines)."""
    return element.value.removeprefix("$$\n").removesuffix("\n$$")


def latex_problems(tex: str) -> list[str]:
    """What would make KaTeX refuse ``tex``: unbalanced groups, unknown commands."""
    problems = []
    depth = 0
    for match in re.finditer(r"\\[{}]|[{}]", tex):
        if match.group() == "{":
            depth += 1
        elif match.group() == "}":
            depth -= 1
            if depth < 0:
                problems.append("a '}' closes nothing")
                depth = 0
    if depth:
        problems.append(f"{depth} '{{' never closed")
    if tex.count(r"\left") != tex.count(r"\right"):
        problems.append(r"\left and \right do not pair up")
    begins = re.findall(r"\\begin\{(\w+)\}", tex)
    ends = re.findall(r"\\end\{(\w+)\}", tex)
    if begins != ends[::-1] and sorted(begins) != sorted(ends):
        problems.append(f"environments {begins} closed as {ends}")
    unknown = set(re.findall(r"\\([A-Za-z]+)", tex)) - KATEX_COMMANDS
    if unknown:
        problems.append(f"commands KaTeX may not know: {sorted(unknown)}")
    if "$" in tex:
        problems.append("a '$' (st.latex takes the formula without delimiters)")
    return problems


def page_formulas() -> dict[str, str]:
    """The page's F_ formula constants, read from its syntax tree (not imported)."""
    tree = ast.parse(PAGE.read_text(encoding="utf-8"))
    # Implicitly concatenated string literals are one Constant in the tree.
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith("F_")
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def test_the_page_defines_no_classes():
    # st.cache_data pickles results, and a class defined in a page script (module
    # __main__ under `streamlit run`, though not under AppTest) cannot be pickled.
    tree = ast.parse(PAGE.read_text(encoding="utf-8"))
    assert not [node.name for node in tree.body if isinstance(node, ast.ClassDef)]


def test_the_page_renders_every_demo_without_exception():
    at = open_page()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == FIRST_VISIT_VEGA
    assert len(at.get("plotly_chart")) == FIRST_VISIT_PLOTLY
    assert len(at.get("download_button")) == 4  # numpy, PyTorch, CSV, explorer
    shown = texts(at.markdown) + texts(at.caption)
    # Numbers computed live appear in the text (not hard-coded claims).
    assert "x sticks at -0.9999999999999998" in shown
    assert "reaches f′ = 0 exactly after" in shown
    assert "came within 1% of the optimal loss" in shown  # the comparison's verdict
    # The learning-rate demo: the large rate diverges, the others do not.
    assert len(at.error) == 1
    assert "lower the learning rate below" in at.error[0].value
    assert len(at.info) == 2


@pytest.mark.parametrize("tab", TYPE_TABS[1:])
def test_each_claims_tab_runs_its_demo(tab):
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["learn_types"] = tab
    at.run()
    assert not at.exception
    shown = texts(at.markdown)
    frames = [df.value for df in at.dataframe]
    if tab.startswith("Stochastic"):
        assert "After one pass over the data" in shown
        assert "A decaying learning rate" in shown
    elif tab.startswith("Mini-batch"):
        assert len(at.get("vega_lite_chart")) == FIRST_VISIT_VEGA + 1
        sweep = next(f for f in frames if "batch size" in f.columns)
        assert list(sweep["batch size"]) == [1, 4, 16, 64, 200]
    else:
        cost = next(f for f in frames if "bytes per update" in f.columns)
        assert list(cost["rows per update"]) == [250_000, 1, 256]
        assert list(cost["bytes per update"]) == [10_000_000, 40, 10_240]
        assert "Read it honestly" in shown


def test_the_batch_tab_measures_gradient_errors():
    at = open_page()
    errors = next(df.value for df in at.dataframe if "mean error" in df.value.columns)
    assert list(errors["rows per gradient"]) == [1, 16, 200]
    one_row, sixteen, full = errors["mean error"]
    assert one_row > sixteen > full
    assert full < 1e-12  # all rows: the exact gradient


def test_every_formula_renders_through_st_latex():
    formulas = page_formulas()
    assert len(formulas) >= 10
    for name, tex in formulas.items():
        assert not latex_problems(tex), (name, latex_problems(tex))
        at = AppTest.from_string(
            f"import streamlit as st\nst.latex({tex!r})", default_timeout=10
        ).run()
        assert not at.exception, name
        assert formula_of(at.latex[0]) == tex


def test_every_latex_element_of_the_page_is_well_formed():
    at = open_page()
    shown = [formula_of(element) for element in at.latex]
    assert set(page_formulas().values()) <= set(shown)
    for tex in shown:  # the formulas above and those sympy printed
        assert not latex_problems(tex), (tex, latex_problems(tex))


def test_epsilon_zero_from_the_url_runs_until_the_cap():
    at = open_page(learn_eps="0")
    assert not at.exception
    assert at.select_slider(key="learn_eps").value == 0.0
    assert "**2000 updates**" in texts(at.markdown)


def test_the_code_section_follows_the_url_and_shows_runnable_code():
    at = open_page(
        code_sample="Breast cancer diagnosis (real, classification)",
        code_variant="Stochastic (SGD)",
        code_rule="Adam",
    )
    assert not at.exception
    assert at.selectbox(key="code_sample").value == "breast_cancer"
    numpy_code, torch_code, explorer_code = (c.value for c in at.code[2:5])
    assert "sigmoid" in numpy_code and "BATCH_SIZE = 1" in numpy_code
    assert "optim.Adam(" in torch_code and "BCEWithLogitsLoss" in torch_code
    assert "def gradient_steps():" in explorer_code
    updates = re.search(r"N_UPDATES = (\d+)", numpy_code).group(1)
    captions = texts(at.caption)
    assert f"The dashboard's run: {int(updates):,} updates" in captions
    for code in (numpy_code, torch_code, explorer_code):
        ast.parse(code)
    # Adam's η is a step in θ, not the plain-descent rate of 1.3 that left this run
    # above its starting loss: the caption says why, and the run needs no warning.
    assert "LEARNING_RATE = 0.001  # η₀" in numpy_code
    assert "2/λ_max of plain descent does not apply" in unescaped(captions)
    assert not at.warning


def test_the_code_section_says_when_the_exported_run_went_wrong(monkeypatch):
    # Every rate the section chooses for the bundled samples hands over a good
    # run, so a bad one is forced: Engel's data, SGD with momentum at 30x the
    # rate the rule would get. The page must say so next to the downloads.
    from gddash import codegen
    from gddash.codegen import bundle

    def too_large(*args, **kwargs):
        choice = codegen.rule_rate(*args, **kwargs)
        return codegen.RateChoice(30 * choice.learning_rate, choice.reason)

    monkeypatch.setattr(bundle, "rule_rate", too_large)
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["code_sample"] = "engel"
    at.session_state["code_variant"] = "sgd"
    at.session_state["code_rule"] = "momentum"
    at.run()
    assert not at.exception
    [warning] = at.warning
    shown = unescaped(warning.value)
    assert "Try η = " in shown
    assert "In the scripts, η is ` LEARNING_RATE `." in warning.value


@pytest.mark.parametrize("sample", ["seed", "auto_mpg", "ill_conditioned"])
def test_the_code_section_handles_other_samples(sample):
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["code_sample"] = sample
    at.session_state["code_rule"] = "nesterov"
    at.run()
    assert not at.exception
    assert not at.error[1:]  # only the learning-rate demo's divergence


def test_iris_softmax_with_a_lasso_penalty_from_the_url():
    at = open_page(
        code_sample="Iris species (real, three classes)",
        code_penalty="L1 (lasso)",
        code_alpha="0.01",
        code_variant="Stochastic (SGD)",
    )
    assert not at.exception
    assert at.selectbox(key="code_sample").value == "iris"
    model = at.selectbox(key="code_model")
    assert model.value == "softmax" and model.options == [
        "Softmax regression (3–20 classes)"
    ]
    assert at.number_input(key="code_alpha").value == 0.01
    assert at.number_input(key="code_l1_ratio").disabled  # only for elastic net
    assert at.number_input(key="code_epsilon").disabled  # only for Huber
    numpy_code, torch_code = (c.value for c in at.code[2:4])
    assert 'CLASSES = ["setosa", "versicolor", "virginica"]' in numpy_code
    assert "def soft_threshold(w, tau):" in numpy_code  # softmax SGD: proximal
    assert "ALPHA = 0.01" in numpy_code and "penalised[0] = False" in numpy_code
    assert "nn.CrossEntropyLoss()" in torch_code
    for code in (numpy_code, torch_code):
        ast.parse(code)
    assert "setosa:intercept" in unescaped(texts(at.caption))


def test_huber_and_elastic_net_on_a_regression_sample():
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["code_sample"] = "engel"
    at.run()
    assert at.selectbox(key="code_model").options == [
        "Linear regression",
        "Huber regression (robust)",
    ]
    at.selectbox(key="code_model").set_value("huber")
    at.selectbox(key="code_penalty").set_value("elasticnet")
    at.run()
    at.number_input(key="code_epsilon").set_value(0.5)
    at.number_input(key="code_l1_ratio").set_value(0.5)
    at.run()
    assert not at.exception
    numpy_code = at.code[2].value
    assert "EPSILON = 0.5" in numpy_code
    assert "L1_RATIO = 0.5" in numpy_code
    assert "def truncated_l1(" not in numpy_code  # mini-batch: proximal step
    assert "nn.HuberLoss(delta=EPSILON)" in at.code[3].value


def test_the_new_code_fields_survive_a_link():
    a = AppTest.from_file(str(PAGE), default_timeout=60)
    a.session_state["code_sample"] = "diabetes"
    a.session_state["code_model"] = "huber"
    a.session_state["code_epsilon"] = 2.0
    a.session_state["code_penalty"] = "elasticnet"
    a.session_state["code_alpha"] = 0.05
    a.session_state["code_l1_ratio"] = 0.7
    a.session_state["code_variant"] = "batch"
    a.run()
    assert not a.exception
    query = {k: v for k, v in a.query_params.items()}
    b = AppTest.from_file(str(PAGE), default_timeout=60)
    for key, value in query.items():
        b.query_params[key] = value
    b.run()
    assert not b.exception
    keys = ("code_sample", "code_model", "code_epsilon", "code_penalty")
    keys += ("code_alpha", "code_l1_ratio", "code_variant")
    for key in keys:
        assert b.session_state[key] == a.session_state[key], key
    assert not [w.value for w in b.warning if "link's" in str(w.value)]
    assert b.code[2].value == a.code[2].value  # the same script


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"code_alpha": "-1"}, "code_alpha** value ` -1 ` was not used"),
        ({"code_l1_ratio": "2"}, "code_l1_ratio** value ` 2 ` was not used"),
        ({"code_epsilon": "0"}, "code_epsilon** value ` 0 ` was not used"),
        ({"code_penalty": "ridge"}, "code_penalty** value ` ridge ` was not used"),
        (
            {"code_model": "Softmax regression (3–20 classes)"},
            "code_model** value ` softmax ` was not used: it is not a choice",
        ),
    ],
)
def test_bad_model_and_penalty_values_in_a_link_are_refused_and_named(params, named):
    at = open_page(**params)
    assert not at.exception
    assert named in unescaped(texts(at.warning))


def test_an_unknown_url_value_is_named_not_fatal():
    at = open_page(code_rule="Gradient magic", learn_eps="lots")
    assert not at.exception
    warnings = unescaped(texts(at.warning))
    assert "code_rule** value ` Gradient magic ` was not used" in warnings
    assert "learn_eps** value ` lots ` was not used: it is not a number" in warnings


def test_link_values_are_shown_as_text_not_markdown():
    at = open_page(code_sample="[Claim your prize](https://evil.example/a.png)")
    assert not at.exception
    shown = texts(at.warning)
    assert "Claim your prize" in shown
    html = MarkdownIt("commonmark", {"linkify": True}).enable("linkify").render(shown)
    assert "<a " not in html and "<img" not in html  # a code span: shown, not followed


# -- Phones (390 px): formulas and titles fit, charts take their column's width ---------

# Roughly how many characters wide a formula line renders, fractions counted by
# their wider part and sub/superscripts at 0.7. Measured in Chromium at 390 px
# (content column 358 px): width 27 renders 276 px wide, 23 renders 263 px.
PHONE_FORMULA_WIDTH = 32


def _group(tex: str, i: int) -> tuple[str, int]:
    """The brace group opening at tex[i]: its content and the index after it."""
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def formula_width(tex: str) -> float:
    """The estimated width of one line of LaTeX, in characters."""
    total, i = 0.0, 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            name = re.match(r"\\([A-Za-z]+|.)", tex[i:]).group(1)
            i += 1 + len(name)
            if name in ("frac", "tfrac", "underbrace"):
                upper, i = _group(tex, i)
                lower = ""
                if name != "underbrace":
                    lower, i = _group(tex, i)
                total += max(formula_width(upper), formula_width(lower))
            elif name == "text":
                words, i = _group(tex, i)
                total += len(words)
            elif name in ("begin", "end"):
                _, i = _group(tex, i)
            else:
                widths = {"left": 0, "right": 0, "lim": 3, ",": 0.3, "qquad": 2}
                total += widths.get(name, 1)
        elif c in "_^":
            i += 1
            part, i = _group(tex, i) if tex[i] == "{" else (tex[i], i + 1)
            total += 0.7 * formula_width(part)
        elif c in "{}& ":
            i += 1
        else:
            total += 1.6 if c in "=<>+-" else 1  # an operator and its spacing
            i += 1
    return total


def test_the_width_estimate_flags_the_old_one_line_formulas():
    one_line = (
        r"f'(x_{k+1}) = 2\,(x_{k+1} + 1) = (1 - 2\eta)\, f'(x_k)"
        r"\quad\Longrightarrow\quad f'(x_k) = (1 - 2\eta)^k\, f'(x_0)"
    )
    assert formula_width(one_line) > 50
    assert formula_width(r"x_{k+1} = x_k - \eta\, f'(x_k)") < 16


def test_every_formula_line_fits_a_phone():
    at = open_page()
    for element in at.latex:
        for line in formula_of(element).split(r"\\"):
            assert formula_width(line) <= PHONE_FORMULA_WIDTH, line


def test_chart_titles_fit_a_phone():
    at = open_page()
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec).get("title", {})
        for part in ("text", "subtitle"):
            lines = title.get(part, [])
            assert all(len(line) <= 40 for line in lines), lines
    for chart in at.get("plotly_chart"):
        title = json.loads(chart.proto.spec)["layout"]["title"]["text"]
        assert len(title) <= 40, title


def test_charts_and_tables_take_their_columns_width():
    tree = ast.parse(PAGE.read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("plotly_chart", "vega_lite_chart", "dataframe")
    ]
    assert len(calls) >= 7  # five Plotly charts, show() and table()
    for call in calls:
        width = {k.arg: k.value for k in call.keywords}.get("width")
        assert isinstance(width, ast.Constant) and width.value == "stretch", (
            f"line {call.lineno}"
        )
