"""User text shown as text: file and column names, cells, URL values, formulas.

Streamlit renders messages (``st.error``, ``st.info``, captions …) as Markdown,
so text a visitor controls could become a link, an image that the browser
fetches, LaTeX or a coloured directive. These functions turn such text into
Markdown that displays it literally. The UI calls them wherever user text is
mixed into a message; the layers below return plain strings.
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be escaped with a backslash. Escaping all
# of it also breaks the triggers of the extensions Streamlit adds (``$`` maths,
# ``:red[…]`` directives, ``www.`` and ``https://`` autolinks).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BACKTICKS = re.compile(r"`+")
_SPACE = re.compile(r"\s+")

SHOWN_LENGTH = 80


def shorten(text: str, limit: int = SHOWN_LENGTH) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = _SPACE.sub(" ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def literal(text: str) -> str:
    """Markdown that shows ``text`` as it is: every punctuation mark escaped.

    Line breaks are kept as line breaks (two spaces before the newline), so a
    multi-line message keeps its shape.
    """
    escaped = _PUNCTUATION.sub(r"\\\1", str(text))
    return escaped.replace("\n", "  \n")


def code(text: str, limit: int = SHOWN_LENGTH) -> str:
    """An inline code span showing ``text`` (shortened), in which nothing is parsed.

    The fence is one backtick longer than the longest run inside the text, and
    padded with spaces, which is CommonMark's rule for a span that holds backticks.
    """
    text = shorten(text, limit)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"
