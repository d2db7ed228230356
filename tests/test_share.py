"""Links: every field reads what it writes, and refuses hostile text with a reason."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gddash import limits, page_settings, share, titles
from gddash.share import Field

ROOT = Path(__file__).resolve().parent.parent


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_written_number_reads_back_exactly(value):
    text = share.write_number(value)
    assert float(text) == value


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        (Field("lr", share.number(1e-8, 1e6)), "abc", "it is not a number"),
        (Field("lr", share.number(1e-8, 1e6)), "inf", "from 1e-08 to 1e+06"),
        (Field("lr", share.number(1e-8, 1e6)), "nan", "from 1e-08 to 1e+06"),
        (Field("bs", share.number(1, 10, integer=True)), "2.5", "a whole number"),
        (Field("rule", share.choice(titles.RULE)), "lion", "not one of plain"),
        (Field("std", share.flag), "maybe", "not true or false"),
        (Field("f", share.text_of_at_most(5)), "x" * 6, "longer than 5"),
        (Field("f", share.text_of_at_most(10**6)), "x" * 501, "longer than 500"),
    ],
)
def test_a_hostile_value_is_refused_with_a_reason(field, text, reason):
    values, refused = share.read_link([field], {field.key: [text]})
    assert values == {}
    assert refused[field.key][0] == text and reason in refused[field.key][1]


def test_choices_read_their_id_or_their_title_in_any_case():
    read = share.choice(titles.VARIANT)
    assert read("sgd") == read("Stochastic (SGD)") == read("STOCHASTIC (sgd)") == "sgd"


def test_a_many_field_keeps_order_and_drops_repeats():
    field = Field("variants", share.choice(titles.VARIANT), many=True)
    assert field.parse(["sgd", "batch", "sgd"]) == ["sgd", "batch"]
    assert field.texts(["sgd", "batch"]) == ["sgd", "batch"]


def test_unknown_keys_in_a_link_are_ignored():
    values, refused = share.read_link(page_settings.LAB, {"utm_source": ["x"]})
    assert values == {} and refused == {}


@pytest.mark.parametrize("fields", [page_settings.LAB, page_settings.EXPLORER])
def test_every_default_of_a_page_reads_back_as_itself(fields):
    defaults = (
        page_settings.LAB_DEFAULTS
        if fields is page_settings.LAB
        else page_settings.EXPLORER_DEFAULTS | page_settings.preset_values("bowl")
    )
    written = share.write_link(fields, defaults)
    values, refused = share.read_link(fields, written)
    assert refused == {}
    for key, value in defaults.items():
        if isinstance(value, float) and math.isnan(value):
            continue
        assert values[key] == value, key


@pytest.mark.parametrize("tol", page_settings.TOL_CHOICES)
def test_every_tol_choice_reads_back(tol):
    field = next(f for f in page_settings.LAB if f.key == "tol")
    assert field.parse(field.texts(tol)) == tol


def test_the_validation_share_must_be_on_its_slider_steps():
    field = next(f for f in page_settings.LAB if f.key == "val")
    assert field.parse(["0.15"]) == 0.15
    with pytest.raises(ValueError, match=r"multiple of 0\.05"):
        field.parse(["0.13"])


def test_titles_cover_every_engine_choice():
    from gddash.engine import RULES, SCHEDULES, VARIANTS

    assert set(titles.RULE) == set(RULES)
    assert set(titles.SCHEDULE) == set(SCHEDULES)
    assert set(titles.VARIANT) == set(VARIANTS)


def test_the_upload_cap_in_config_is_the_one_the_limits_state():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == limits.MAX_UPLOAD_MB
    assert config["client"]["showErrorDetails"] == "none"
