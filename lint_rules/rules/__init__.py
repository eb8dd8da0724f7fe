"""The rule families and their catalog.

Each family is a package: ``codes.py`` says what it reports and what wakes it (no libcst),
``rule.py`` holds its libcst visitor, ``fixes.py`` the rewrites it attaches to its reports;
the other modules are its analysis. ``asyncio_api.py`` and ``litellm.py`` are the library
facts the families share.

This module binds the families to the engine: ``analyze()`` and ``analyze_module()`` run all
of them, and everything here but those two works without importing libcst.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import TYPE_CHECKING

from lint_rules.engine.info import ANALYSIS_FAILED, Finding, RuleInfo
from lint_rules.engine.project import Project
from lint_rules.rules.callbacks import codes as callbacks
from lint_rules.rules.dispatch import codes as dispatch
from lint_rules.rules.tasks import codes as tasks
from lint_rules.settings import Settings

if TYPE_CHECKING:
    import argparse
    import ast

    import libcst as cst

    from lint_rules.engine.rule import Rule

FAMILIES = (tasks.FAMILY, callbacks.FAMILY, dispatch.FAMILY)


FIX_OPTIONS = tuple(option for family in FAMILIES for option in family.fix_options)


def add_fix_options(parser: argparse.ArgumentParser) -> None:
    """The options of the opt-in rewrites (``Fix.requires`` names them), for ``lint-rules
    fix`` and libcst's codemod runner alike."""
    for option in FIX_OPTIONS:
        option.add_to(parser)


def all_infos() -> list[RuleInfo]:
    """Every code this package can report, in code order."""
    infos = (info for family in FAMILIES for info in family.infos)
    return [ANALYSIS_FAILED, *sorted(infos, key=lambda info: info.code)]


def known_codes() -> list[str]:
    return [info.code for info in all_infos()]


def info_for(code: str) -> RuleInfo:
    """The code's catalog entry (KeyError if there is none)."""
    for info in all_infos():
        if info.code == code.strip().upper():
            return info
    raise KeyError(code)


def may_matter(source: str, settings: Settings, path: str | None = None) -> bool:
    """Whether any family could report anything on ``source`` (a cheap text test; with
    ``path``, the file's project's modules may add to it)."""
    project = Project.of(path, settings.src) if path is not None else None
    return any(family.trigger(settings).may_apply(source, path, project) for family in FAMILIES)


@functools.cache
def rule_classes() -> tuple[type[Rule], ...]:
    """The families' visitors (imports libcst and every rule)."""
    return tuple(family.load() for family in FAMILIES)


def analyze(
    source: str,
    settings: Settings = Settings(),
    *,
    tree: ast.Module | None = None,
    codes: Collection[str] | None = None,
    full: bool = False,
    path: str | None = None,
) -> list[Finding]:
    """``lint_rules.engine.pipeline.analyze`` with every family."""
    if not may_matter(source, settings, path):  # libcst and the rules are not even imported
        return []
    from lint_rules.engine import pipeline

    return pipeline.analyze(
        source, rule_classes(), settings, tree=tree, codes=codes, full=full, path=path
    )


def analyze_module(
    module: cst.Module,
    settings: Settings = Settings(),
    *,
    codes: Collection[str] | None = None,
    source: str | None = None,
    path: str | None = None,
) -> list[Finding]:
    """``lint_rules.engine.pipeline.analyze_module`` with every family."""
    from lint_rules.engine import pipeline

    return pipeline.analyze_module(
        module, rule_classes(), settings, codes=codes, source=source, path=path
    )
