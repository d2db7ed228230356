"""How counts and numbers are written in notes and messages."""

from __future__ import annotations


def _plural(count: int, singular: str, plural: str) -> str:
    """'1 row', '3 rows': the count and the right form of the words after it."""
    return f"{count:,} {singular if count == 1 else plural}"


def _fmt(value: float) -> str:
    """A number for a sentence: whole numbers without '.0', others to 4 digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"
