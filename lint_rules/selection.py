"""Which codes a run reports: flake8/Ruff-style prefix selectors.

``TRK`` selects every code, ``TRK1`` TRK101 to TRK106, ``TRK102`` only that one. When a code is
matched by both a select and an ignore selector, the longer (more specific) one wins, and
ignore wins a tie (``select = ["TRK1"]``, ``ignore = ["TRK102"]`` keeps TRK101 and drops
TRK102). TRK000 (a file that could not be analysed) is always reported unless ignored: a
run must not pass silently over a file it could not read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lint_rules.engine import ANALYSIS_FAILED, all_infos
from lint_rules.settings import ConfigError

DEFAULT_SELECT = ("TRK",)


def known_codes() -> list[str]:
    return [info.code for info in all_infos()]


def checked_selectors(selectors: Iterable[str], source: str) -> tuple[str, ...]:
    """Upper-cased selectors; a selector that is no prefix of a known code is an error that
    names ``source`` (a flag or a pyproject.toml key)."""
    codes = known_codes()
    checked = []
    for selector in selectors:
        normalized = selector.strip().upper()
        if not normalized:
            continue
        if not any(code.startswith(normalized) for code in codes):
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

    def codes(self) -> frozenset[str] | None:
        """The rule codes to run, for ``engine.analyze(codes=...)``; None means all."""
        rules = [code for code in known_codes() if code != ANALYSIS_FAILED.code]
        enabled = frozenset(code for code in rules if self.enabled(code))
        return None if len(enabled) == len(rules) else enabled


def _specificity(code: str, selectors: Iterable[str]) -> int:
    """Length of the longest selector that is a prefix of ``code``; -1 if none is."""
    return max((len(s) for s in selectors if code.startswith(s)), default=-1)
