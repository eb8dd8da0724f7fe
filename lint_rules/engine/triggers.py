"""The cheap text test that decides which files and lines a rule family must look at.

Importable without libcst: the flake8 plugin and the checker ask the families' triggers
before they import the engine, so that a run over files that hold no trigger never pays
libcst's import. The engine then asks each triggered family which lines can matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lint_rules.engine.project import Project


# what a file's project adds to a trigger: (source, path, project) -> words, or whether the
# project meets ``requires``
ProjectWords = Callable[[str, str, "Project"], tuple[str, ...]]
ProjectRequires = Callable[[str, str, "Project"], bool]


@dataclass(frozen=True)
class Trigger:
    """A file can matter to a family only if it holds one of ``words`` (and, when given, one
    of ``requires``); within it, only the lines holding a word that ``pattern`` (a regular
    expression, compiled only once a file holds a word) matches.

    A family that follows the project's imports may add, for a file of a project, words of
    its own (``project_words``: e.g. the imported names of the project's task factories) and
    meet ``requires`` through the modules it imports (``project_requires``)."""

    words: tuple[str, ...]
    pattern: str
    requires: tuple[str, ...] = ()
    project_words: ProjectWords | None = None
    project_requires: ProjectRequires | None = None

    def may_apply(
        self, source: str, path: str | None = None, project: Project | None = None
    ) -> bool:
        if any(word in source for word in self.words):
            if not self.requires or any(word in source for word in self.requires):
                return True
            if path is not None and project is not None and self.project_requires is not None:
                return self.project_requires(source, path, project)
            return False
        return bool(self._project_words(source, path, project))

    def lines(
        self,
        source: str,
        lines: Sequence[str],
        path: str | None = None,
        project: Project | None = None,
    ) -> list[int]:
        """The lines ``pattern`` matches (it runs only on the lines that hold a word), and
        those that name a word the project adds."""
        found = self._pattern_lines(source, lines)
        extra = self._project_words(source, path, project)
        if extra:
            named = re.compile(rf"\b(?:{'|'.join(map(re.escape, extra))})\b")
            found = sorted({*found, *(n for n, text in enumerate(lines, 1) if named.search(text))})
        return found

    def _project_words(
        self, source: str, path: str | None, project: Project | None
    ) -> tuple[str, ...]:
        if path is None or project is None or self.project_words is None:
            return ()
        return self.project_words(source, path, project)

    def _pattern_lines(self, source: str, lines: Sequence[str]) -> list[int]:
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
        pattern = re.compile(self.pattern)  # (re keeps it compiled)
        return sorted(n for n in line_numbers if pattern.search(lines[n - 1]))


def last_names(qualified_names: Sequence[str]) -> list[str]:
    """``("mypkg.tasks.spawn",)`` -> ``["spawn"]``: the word a call site shows."""
    return [name.rsplit(".", 1)[-1] for name in qualified_names]
