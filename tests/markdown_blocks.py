"""Fenced code blocks of a Markdown file, with their info strings (```python file=app.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    info: str  # everything after the fence: "python file=app.py"
    text: str
    line: int  # 1-based line of the opening fence
    source: Path

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def attributes(self) -> dict[str, str]:
        return dict(word.split("=", 1) for word in self.info.split()[1:] if "=" in word)

    @property
    def where(self) -> str:
        return f"{self.source.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening.group("fence")
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].startswith(fence):
            body.append(lines[end])
            end += 1
        assert end < len(lines), f"{path.name}:{index + 1}: code block never closed"
        found.append(Block(opening.group("info").strip(), "\n".join(body) + "\n", index + 1, path))
        index = end + 1
    return found


def section(path: Path, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of the same level."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{path.name} has no '## {heading}' section"
    return match.group(1)
