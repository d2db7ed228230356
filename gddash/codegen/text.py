"""Small text helpers: Python literals, templates and comment blocks for scripts."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from string import Template


def number(value: float) -> str:
    """A float literal that reads back as exactly ``value``."""
    return repr(float(value))


def fill(template: str, **values: object) -> str:
    """Dedent a code template and fill its ``$name`` placeholders."""
    text = textwrap.dedent(template).strip("\n")
    return Template(text).substitute({k: str(v) for k, v in values.items()})


def indented(text: str, spaces: int) -> str:
    """``text`` with every line indented by ``spaces``."""
    return textwrap.indent(text, " " * spaces)


def comment_block(lines: Sequence[str], width: int = 86) -> str:
    """Lines as a comment block, long ones wrapped under their label's text."""
    out = []
    for line in lines:
        label = re.match(r"^(?:[A-Z][\w ]*:\s+|\s+)", line)
        indent = " " * (len(label.group()) if label else 0)
        wrapped = textwrap.wrap(
            line, width, subsequent_indent=indent, break_on_hyphens=False
        )
        out += [f"# {text}".rstrip() for text in wrapped or [""]]
    return "\n".join(out)


def str_literal(text: str) -> str:
    """A double-quoted Python string literal of ``text`` (JSON escapes are Python's)."""
    return json.dumps(str(text), ensure_ascii=False)


def list_literal(texts: Sequence[str], lead: str = "") -> str:
    """A list literal of strings, one item a line when it would not fit on one."""
    items = [str_literal(t) for t in texts]
    one_line = "[" + ", ".join(items) + "]"
    if len(lead) + len(one_line) <= 88:
        return one_line
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def names_comment(names: Sequence[str]) -> str:
    """Column names for a comment: quoted and escaped, so a name cannot break it."""
    shown = ", ".join(repr(str(name)) for name in names[:12])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 12 else "")


def call_lines(lead: str, call: str, width: int = 84) -> list[str]:
    """``lead + call`` on one line, or split after the call's opening bracket."""
    if len(lead) + len(call) <= width:
        return [lead + call]
    name, _, args = call.partition("(")
    return [f"{lead}{name}(", f"    {args[:-1]}", ")"]


def constants_block(values: dict[str, str]) -> str:
    """``NAME = value`` lines, one per constant."""
    return "\n".join(f"{name} = {value}" for name, value in values.items())
