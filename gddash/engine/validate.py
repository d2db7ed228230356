"""Checks at the boundary, with scikit-learn's message shape.

"The 'learning_rate' parameter must be a float in (0, inf). Got -0.1 instead."
"""

from __future__ import annotations

import numbers

import numpy as np

from gddash.errors import SettingsError


def must(ok: bool, name: str, allowed: str, value: object) -> None:
    """Raise a SettingsError naming ``name``, what it may be and what it was."""
    if not ok:
        raise SettingsError(
            f"The '{name}' parameter must be {allowed}. Got {value!r} instead."
        )


def is_real(value: object) -> bool:
    """A real number: numpy scalars count (np.float32, np.int64); bools do not."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def is_int(value: object) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(
        value, bool | np.bool_
    )
