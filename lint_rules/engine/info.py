"""What users read about a code, and what the engine hands back: ``RuleInfo`` and ``Finding``.

Importable without libcst: the CLI lists, selects and explains codes, and decides that a file
holds nothing to check, before anything is parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from lint_rules.engine.rule import Rule
    from lint_rules.engine.triggers import Trigger
    from lint_rules.fix.edits import Fix
    from lint_rules.settings import Settings

# why a finding has no fix, in the words of the fix summary
NO_AUTOFIX = "no autofix for this code"  # the code has no rewrite at all
NO_SAFE_REWRITE = "no safe rewrite for this shape"  # the code has, but not for this shape


@dataclass(frozen=True)
class RuleInfo:
    """Everything users read about one code: flake8 message, `explain`, README, SARIF."""

    code: str
    name: str  # kebab-case slug, e.g. "discarded-task"
    message: str  # one line: what is wrong and what to do; may hold {placeholders}
    summary: str  # one sentence for tables and SARIF shortDescription
    explanation: str  # the rationale, a few sentences
    bad: str  # an example that is reported
    good: str  # the same example, fixed
    autofix: str  # for the docs: the shapes `lint-rules fix` rewrites ("" when none)

    def format(self, **values: Any) -> str:
        return self.message.format(**values)


@dataclass(frozen=True, order=True)
class Finding:
    line: int  # 1-based
    col: int  # 0-based, as libcst counts; flake8 adds 1
    code: str
    message: str
    fix: Fix | None = field(default=None, compare=False, repr=False)
    # why there is no fix (when ``fix`` is None), in the words of the fix summary
    no_fix: str = field(default=NO_AUTOFIX, compare=False, repr=False)


@dataclass(frozen=True)
class FixOption:
    """The option that enables an opt-in rewrite (``lint-rules fix --drain``): only the user
    knows the intent. ``name`` is what a fix names in ``Fix.requires``."""

    name: str
    help: str
    choices: tuple[str, ...] = ()  # the values it takes; none: a flag (or ``value``)
    value: Callable[[str], Any] | None = None  # an option taking any value of this type

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        if self.choices:
            parser.add_argument(self.flag, choices=self.choices, help=self.help)
        elif self.value is not None:
            parser.add_argument(self.flag, type=self.value, metavar="VALUE", help=self.help)
        else:
            parser.add_argument(self.flag, action="store_true", help=self.help)


@dataclass(frozen=True)
class Family:
    """One rule family as the catalog knows it: its codes, the cheap text test that must
    accept every file and line it could report on, where its visitor lives (``module:Class``,
    imported only once a file triggers it), and the options of its opt-in rewrites."""

    infos: tuple[RuleInfo, ...]
    trigger: Callable[[Settings], Trigger]
    rule: str
    fix_options: tuple[FixOption, ...] = ()

    def load(self) -> type[Rule]:
        import importlib

        module, _, name = self.rule.partition(":")
        loaded: type[Rule] = getattr(importlib.import_module(module), name)
        return loaded


ANALYSIS_FAILED = RuleInfo(
    code="TRK000",
    name="analysis-failed",
    message="could not analyse this file: {reason}",
    summary="The file could not be parsed or analysed; nothing in it was checked.",
    explanation=(
        "flake8-task-tracking parses with libcst, which rejects a few files that Python's own\n"
        "parser accepts, and a bug in a rule must never stop a run. In both cases the file\n"
        "gets this one finding at the failing position and the rest of the run goes on.\n"
        "Fix the syntax if the file is really invalid; otherwise report the message upstream."
    ),
    bad="import asyncio\n\nprint 'started'  # Python 2 syntax\nasyncio.ensure_future(job())\n",
    good="import asyncio\n\nprint('started')\nstarted = asyncio.ensure_future(job())\n",
    autofix="",
)


def failure(line: int, column: int, reason: str) -> Finding:
    """The TRK000 finding for a file that could not be analysed."""
    return Finding(line, column, ANALYSIS_FAILED.code, ANALYSIS_FAILED.format(reason=reason))
