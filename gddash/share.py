"""Settings <-> URL: a page's settings as a link, and a link read back safely.

A link is hostile input: every value is parsed by the field it belongs to and
either accepted or refused with a reason. Every field is written on every run,
defaults and first options included, so a link states the whole set-up and
opening it reproduces exactly what its sender saw. ``settings_json`` writes the
settings of a run for download.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_VALUE_LENGTH = 500  # longer URL values are refused before any parsing


@dataclass(frozen=True)
class Field:
    """One setting in a page's link.

    ``read`` turns the link's text into a value or raises ``ValueError`` with a
    sentence saying what it expected; ``write`` turns a value back into text.
    A ``many`` field (a multiselect) appears once per chosen value.
    """

    key: str
    read: Callable[[str], object]
    write: Callable[[object], str] = str
    many: bool = False

    def parse(self, texts: Sequence[str]) -> object:
        """The value the link's ``texts`` stand for; ``ValueError`` if refused."""
        for text in texts:
            if len(text) > MAX_VALUE_LENGTH:
                raise ValueError(f"it is longer than {MAX_VALUE_LENGTH} characters")
        if self.many:
            return list(dict.fromkeys(self.read(t) for t in texts))
        if not texts:
            raise ValueError("it is empty")
        return self.read(texts[-1])

    def texts(self, value: object) -> list[str]:
        """The URL strings for ``value``."""
        if self.many:
            return [self.write(v) for v in value]  # type: ignore[union-attr]
        return [self.write(value)]


def choice(options: Mapping[object, str]) -> Callable[[str], object]:
    """A reader for one of ``options`` (value -> title), by value or by title.

    Links written before values were used carried titles; both are accepted,
    ignoring case.
    """
    by_text = {}
    for value, title in options.items():
        by_text[str(value).casefold()] = value
        by_text[str(title).casefold()] = value

    def read(text: str) -> object:
        try:
            return by_text[text.strip().casefold()]
        except KeyError:
            shown = ", ".join(str(v) for v in options)
            raise ValueError(f"it is not one of {shown}") from None

    return read


def number(
    low: float, high: float, *, integer: bool = False
) -> Callable[[str], float | int]:
    """A reader for a finite number in [low, high] (a whole one if ``integer``)."""

    def read(text: str) -> float | int:
        kind = "a whole number" if integer else "a number"
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"it is not {kind}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"it is not {kind} from {low:g} to {high:g}")
        if integer:
            if not value.is_integer():
                raise ValueError(f"it is not {kind}")
            return int(value)
        return value

    return read


def one_of_numbers(choices: tuple[float, ...]) -> Callable[[str], float]:
    """A reader for one of a few numbers (a select slider's stops)."""

    def read(text: str) -> float:
        value = number(min(choices), max(choices))(text)
        for choice_ in choices:
            if math.isclose(value, choice_, rel_tol=1e-9, abs_tol=0.0):
                return choice_
        shown = ", ".join(f"{c:g}" for c in choices)
        raise ValueError(f"it is not one of {shown}")

    return read


def flag(text: str) -> bool:
    """A reader for true/false (also 1/0, yes/no, on/off)."""
    words = {"true": True, "1": True, "yes": True, "on": True}
    words |= {"false": False, "0": False, "no": False, "off": False}
    try:
        return words[text.strip().lower()]
    except KeyError:
        raise ValueError("it is not true or false") from None


def write_flag(value: object) -> str:
    return "true" if value else "false"


def write_number(value: object) -> str:
    """The shortest text that reads back as the same number."""
    if isinstance(value, bool):
        raise TypeError("a flag is not a number")
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return str(int(value))
    return repr(float(value))


def text_of_at_most(limit: int) -> Callable[[str], str]:
    """A reader for free text (a formula, a column name) of at most ``limit`` chars."""

    def read(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"it is longer than {limit} characters")
        return text

    return read


def read_link(
    fields: Iterable[Field], query: Mapping[str, Sequence[str]]
) -> tuple[dict[str, object], dict[str, tuple[str, str]]]:
    """Split a link's values into accepted ones and refused ones.

    Returns ``(values, refused)``: ``values`` maps a key to its parsed value;
    ``refused`` maps a key to ``(the link's text, why it was refused)``. Keys
    the fields do not know are ignored.
    """
    values: dict[str, object] = {}
    refused: dict[str, tuple[str, str]] = {}
    for field in fields:
        texts = list(query.get(field.key, ()))
        if not texts:
            continue
        try:
            values[field.key] = field.parse(texts)
        except ValueError as why:
            refused[field.key] = (", ".join(texts), str(why))
    return values, refused


def write_link(
    fields: Iterable[Field], values: Mapping[str, object]
) -> dict[str, list[str]]:
    """The query parameters stating ``values`` (a field without a value is left out)."""
    return {f.key: f.texts(values[f.key]) for f in fields if f.key in values}


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
