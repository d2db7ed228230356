"""Typed errors whose messages a user can act on.

Each error says what is wrong and what to do about it; the UI shows the message
as it is, so it must never be a bare repr or a traceback fragment.
"""


class GddashError(ValueError):
    """Base class: bad input that the user can fix."""


class DataError(GddashError):
    """A CSV, a column choice or an array cannot be used as data."""


class ExpressionError(GddashError):
    """A typed formula is refused (unknown name, unsafe construct, too large)."""


class SettingsError(GddashError):
    """A setting is outside its allowed range or contradicts another one."""
