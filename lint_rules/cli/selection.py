"""Which codes a run reports: flake8/Ruff-style prefix selectors, and ``# noqa``.

``TRK`` selects every code, ``TRK1`` TRK101 to TRK106, ``TRK102`` only that one. When a code is
matched by both a select and an ignore selector, the longer (more specific) one wins, and
ignore wins a tie (``select = ["TRK1"]``, ``ignore = ["TRK102"]`` keeps TRK101 and drops
TRK102). TRK000 (a file that could not be analysed) is a code like the others: the default
``TRK`` selects it, ``--select TRK301`` alone does not. ``per-file-ignores`` add ignores for
the files their patterns match, as in Ruff.

The codes are the catalog's (``lint_rules.rules.all_infos``), passed in as ``known``: reading
a configuration imports no rule.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lint_rules.cli.files import gitignore_spec
from lint_rules.cli.noqa import unsuppressed
from lint_rules.engine.info import ANALYSIS_FAILED, Finding
from lint_rules.settings import ConfigError

if TYPE_CHECKING:
    import pathspec

DEFAULT_SELECT = ("TRK",)


def checked_selectors(
    selectors: Iterable[str], source: str, known: Collection[str]
) -> tuple[str, ...]:
    """Upper-cased selectors; a selector that is no prefix of a ``known`` code is an error
    that names ``source`` (a flag or a pyproject.toml key)."""
    checked = []
    for selector in selectors:
        normalized = selector.strip().upper()
        if not normalized:
            continue
        if not any(code.startswith(normalized) for code in known):
            raise ConfigError(
                f"{source}: {selector!r} selects no rule; use a code or a prefix of one, "
                f"e.g. TRK, TRK1, TRK101 (`lint-rules rules` lists them all)"
            )
        checked.append(normalized)
    return tuple(checked)


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = DEFAULT_SELECT
    ignore: tuple[str, ...] = ()
    # (gitignore-style pattern, codes it ignores), patterns relative to ``base``
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    base: str = "."

    def enabled(self, code: str) -> bool:
        return _specificity(code, self.select) > _specificity(code, self.ignore)

    def ignored(self, code: str) -> bool:
        """An ``ignore`` selector, not only a narrower ``select``, turns ``code`` off."""
        return _specificity(code, self.ignore) >= 0 and not self.enabled(code)

    def for_path(self, path: str) -> Selection:
        """This selection, with the ``per_file_ignores`` whose pattern matches ``path``
        added to ``ignore`` (a file outside ``base`` is matched by its name)."""
        if not self.per_file_ignores:
            return self
        absolute = os.path.abspath(path)
        relative = os.path.relpath(absolute, self.base)
        if relative.startswith(os.pardir):
            relative = os.path.basename(absolute)
        relative = relative.replace(os.sep, "/")
        extra = tuple(
            code
            for pattern, codes in self.per_file_ignores
            if _pattern(pattern).match_file(relative)
            for code in codes
        )
        return Selection(self.select, self.ignore + extra)

    def codes(self, known: Collection[str]) -> frozenset[str] | None:
        """The rule codes of ``known`` to run, for ``analyze(codes=...)``; None means all."""
        rules = [code for code in known if code != ANALYSIS_FAILED.code]
        enabled = frozenset(code for code in rules if self.enabled(code))
        return None if len(enabled) == len(rules) else enabled


def reported(
    findings: Sequence[Finding],
    lines: Sequence[str],
    selection: Selection,
    *,
    noqa: bool = True,
) -> list[Finding]:
    """The findings a run reports: selected, and (unless ``noqa`` is off) not silenced by a
    ``# noqa`` comment. The codemod leaves the silenced ones alone, as Ruff does."""
    chosen = [finding for finding in findings if selection.enabled(finding.code)]
    return unsuppressed(chosen, lines) if chosen and noqa else chosen


@functools.cache
def _pattern(pattern: str) -> pathspec.PathSpec:
    return gitignore_spec([pattern])


def _specificity(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that is a prefix of ``code``; -1 if none is."""
    return max((len(s) for s in selectors if code.startswith(s)), default=-1)
