"""User text shown as text: checked with an independent CommonMark renderer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from gddash import plain

# CommonMark with GFM's tables, strikethrough and bare-URL autolinks switched on:
# more than Streamlit's Markdown needs to turn text into links.
RENDERER = MarkdownIt("commonmark", {"linkify": True}).enable(
    ["linkify", "table", "strikethrough"]
)
HOSTILE = [
    "![t](http://127.0.0.1:9/tracker.png) [Click to claim your prize](https://x.example)",
    "Session expired — [sign in](https://evil.example/login)",
    "<img src=x onerror=alert(1)> <a href='https://x'>x</a>",
    "www.evil.example and https://evil.example/path?q=1",
    "$x^2$ and $$\\int$$ :red[alert] :material/warning:",
    "# heading\n- list\n> quote\n```\ncode\n```",
    "**bold** _it_ ~~gone~~ `code` <https://auto.example>",
    "a | b\n--|--\n1 | 2",
    "time:s size.m2 a[0] back\\slash \"q\" 'q' $ * _ < >",
]


def rendered(markdown: str) -> str:
    return RENDERER.render(markdown)


def text_of(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_text_renders_as_one_paragraph_of_the_same_text(text):
    html = rendered(plain.literal(text))
    assert "<a" not in html and "<img" not in html
    for tag in ("<h1", "<ul", "<blockquote", "<pre", "<table", "<strong", "<em", "<s>"):
        assert tag not in html
    assert text_of(html).split() == text.split()


@given(st.text(st.characters(exclude_characters="\x00"), max_size=200))  # NUL: U+FFFD
def test_any_text_shown_literally_keeps_its_words_and_makes_no_link(text):
    html = rendered(plain.literal(text))
    assert "<a" not in html and "<img" not in html
    assert text_of(html).split() == text.split()


@pytest.mark.parametrize("text", [*HOSTILE, "``double`` and ` single", "`"])
def test_a_code_span_shows_the_text_verbatim_and_nothing_else(text):
    html = rendered(plain.code(text, limit=500))
    assert html.count("<code>") == 1 and "<a" not in html and "<img" not in html
    inside = text_of(re.search(r"<code>(.*?)</code>", html, re.S).group(1))
    assert inside == plain.shorten(text, 500)


def test_long_text_is_shortened_with_an_ellipsis_on_one_line():
    assert plain.shorten("a\n b  c", 10) == "a b c"
    assert plain.shorten("x" * 100, 10) == "x" * 9 + "…"
