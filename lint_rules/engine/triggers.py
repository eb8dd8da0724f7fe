"""The cheap text test that decides which files and lines a rule family must look at.

Importable without libcst: the flake8 plugin and the checker ask the families' triggers
before they import the engine, so that a run over files that hold no trigger never pays
libcst's import. The engine then asks each triggered family which lines can matter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Trigger:
    """A file can matter to a family only if it holds one of ``words`` (and, when given, one
    of ``requires``); within it, only the lines holding a word that ``pattern`` matches."""

    words: tuple[str, ...]
    pattern: re.Pattern[str]
    requires: tuple[str, ...] = ()

    def may_apply(self, source: str) -> bool:
        return any(word in source for word in self.words) and (
            not self.requires or any(word in source for word in self.requires)
        )

    def lines(self, source: str, lines: Sequence[str]) -> list[int]:
        """The lines ``pattern`` matches; it runs only on the lines that hold a word."""
        candidates = set()
        for word in self.words:
            offset = source.find(word)
            while offset != -1:
                candidates.add(offset)
                offset = source.find(word, offset + len(word))
        if not candidates:
            return []
        line_numbers = set()
        line, line_end = 0, 0
        for offset in sorted(candidates):  # one pass over the line lengths, in step
            while offset >= line_end:
                line_end += len(lines[line])
                line += 1
            line_numbers.add(line)
        return sorted(n for n in line_numbers if self.pattern.search(lines[n - 1]))


def last_names(qualified_names: Sequence[str]) -> list[str]:
    """``("mypkg.tasks.spawn",)`` -> ``["spawn"]``: the word a call site shows."""
    return [name.rsplit(".", 1)[-1] for name in qualified_names]
