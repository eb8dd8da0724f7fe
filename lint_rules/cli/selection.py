"""Which codes a run reports: flake8/Ruff-style prefix selectors, and ``# noqa``.

``TRK`` selects every code, ``TRK1`` TRK101 to TRK106, ``TRK102`` only that one. When a code is
matched by both a select and an ignore selector, the longer (more specific) one wins, and
ignore wins a tie (``select = ["TRK1"]``, ``ignore = ["TRK102"]`` keeps TRK101 and drops
TRK102). TRK000 (a file that could not be analysed) is always reported unless ignored: a
run must not pass silently over a file it could not read.

The codes are the catalog's (``lint_rules.rules.all_infos``), passed in as ``known``: reading
a configuration imports no rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from lint_rules.cli.noqa import unsuppressed
from lint_rules.engine.info import ANALYSIS_FAILED, Finding
from lint_rules.settings import ConfigError

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

    def enabled(self, code: str) -> bool:
        selected = _specificity(code, self.select)
        if code == ANALYSIS_FAILED.code:
            selected = max(selected, 0)
        return selected > _specificity(code, self.ignore)

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


def _specificity(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that is a prefix of ``code``; -1 if none is."""
    return max((len(s) for s in selectors if code.startswith(s)), default=-1)
