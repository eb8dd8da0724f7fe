"""Source text as the engine counts it: lines split where Python's tokenizer splits them."""

from __future__ import annotations

import re
from collections.abc import Sequence

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(source: str) -> list[str]:
    """Lines as Python's tokenizer counts them (\\n, \\r\\n or \\r), endings kept."""
    return _LINE.findall(source)


def physical_line(lines: Sequence[str], number: int) -> str:
    """Line ``number`` (1-based) without its ending; "" outside the file."""
    return lines[number - 1].rstrip("\r\n") if 0 < number <= len(lines) else ""
