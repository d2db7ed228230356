"""Settings <-> URL: what a shared link asked for, and what the page could honour.

Widgets bound to query parameters silently fall back to their defaults when a
link carries an invalid value. ``ignored_params`` compares what the URL said
with what the widgets ended up holding, so the page can tell the user instead
of failing silently. ``settings_json`` writes the settings of a run for download.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence


def _same(raw: Sequence[str], value: object) -> bool:
    """Whether the URL strings ``raw`` describe the widget value ``value``."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value] == list(raw)
    if not raw:
        return value is None
    text = raw[-1]
    if isinstance(value, bool):
        return text.strip().lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            number = float(text)
        except ValueError:
            return False
        return math.isclose(number, float(value), rel_tol=1e-9, abs_tol=0.0)
    return text == str(value)


def ignored_params(
    raw: Mapping[str, Sequence[str]],
    values: Mapping[str, object],
    labels: Mapping[str, Callable[[object], str]] | None = None,
) -> list[str]:
    """Sentences naming the URL values that the page could not use.

    Parameters
    ----------
    raw : mapping of key -> list of strings
        The query parameters as the link carried them, read before the widgets
        were drawn (``st.query_params.get_all``).
    values : mapping of key -> widget value
        What each bound widget holds after the run.
    labels : mapping of key -> format function, optional
        A bound widget with a ``format_func`` writes the *label* of its value to
        the URL; give the same function here so that labels are compared.

    Returns
    -------
    list of str, e.g. ["lr=abc was not valid here, so the default 0.1 is used."]
    """
    notices = []
    labels = labels or {}
    for key, strings in raw.items():
        if not strings or key not in values:
            continue
        value = values[key]
        if key in labels:
            label = labels[key]
            value = (
                [label(v) for v in value] if isinstance(value, list) else label(value)
            )
        if _same(strings, value):
            continue
        if isinstance(value, list | tuple):
            dropped = [s for s in strings if s not in {str(v) for v in value}]
            if not dropped:
                continue
            shown = ", ".join(repr(s) for s in dropped)
            notices.append(
                f"The link's {key} value(s) {shown} are not available here and were "
                "left out."
            )
        else:
            notices.append(
                f"The link's {key}={strings[-1]!r} is not a valid choice here, so "
                f"{value!r} is used instead."
            )
    return notices


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def settings_json(**parts: object) -> str:
    """Named settings objects (frozen dataclasses, strings, lists) as pretty JSON."""
    return json.dumps({name: _plain(part) for name, part in parts.items()}, indent=2)
