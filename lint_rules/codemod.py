"""The codemod face: ``TrackTasks``, a libcst codemod command (what ``lint-rules fix`` runs on
each file, and what libcst's own runner can run)::

    python -m libcst.tool codemod -x lint_rules.codemod.TrackTasks --no-format src/
    python -m libcst.tool codemod -x lint_rules.codemod.TrackTasks --no-format \\
        --drain --declare-dispatch-mode=blocking scripts/

It finds what ``lint-rules check`` reports (``[tool.lint-rules]`` applies, ``# noqa`` lines
are left alone) and applies the fixes the rules attached (``lint_rules.fix``), pass after
pass until nothing is left to fix; what it did not fix is reported as warnings, with the
reason and the line in the rewritten file.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from lint_rules import rules
from lint_rules.cli.config import Config, find_pyproject, load_config
from lint_rules.cli.selection import Selection, checked_selectors, reported
from lint_rules.engine.info import Finding
from lint_rules.engine.source import split_lines
from lint_rules.fix.apply import fix_until_stable
from lint_rules.settings import Settings, split_list

SCRATCH_KEY = "lint_rules.fix"  # where TrackTasks leaves its FixOutcome in context.scratch


class TrackTasks(CodemodCommand):
    """Keep asyncio tasks alive: rewrite the TRK101/TRK102 findings into a module-level
    tracking set (``tasks.add(t); t.add_done_callback(tasks.discard)``); on request, declare
    dispatch modes (TRK301) and drain short-lived entry coroutines (TRK201/TRK202)."""

    DESCRIPTION = (
        "Keep fire-and-forget asyncio tasks alive with a module-level tracking set "
        "(flake8-task-tracking TRK101/TRK102; TRK301 with --declare-dispatch-mode, "
        "TRK201/TRK202 with --drain). Settings come from [tool.lint-rules]."
    )

    def __init__(
        self,
        context: CodemodContext,
        select: str | None = None,
        ignore: str | None = None,
        *,
        settings: Settings | None = None,
        selection: Selection | None = None,
        options: Mapping[str, Any] | None = None,
        **fix_options: Any,
    ) -> None:
        """libcst's runner passes the flags of ``add_args`` as keywords (``select``,
        ``ignore`` and one per fix option); ``lint-rules fix`` passes what it has read."""
        super().__init__(context)
        if settings is None or selection is None:  # run by libcst.tool: read pyproject.toml
            configuration = _config_for(context.filename)
            overrides = {
                key: checked_selectors(split_list(value), f"--{key}", rules.known_codes())
                for key, value in (("select", select), ("ignore", ignore))
                if value is not None
            }
            configuration = dataclasses.replace(configuration, **overrides)
            settings = configuration.settings if settings is None else settings
            selection = configuration.selection() if selection is None else selection
        self.settings = settings
        self.selection = selection
        self.options = dict(fix_options) if options is None else options

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--select", help="codes or prefixes to fix (default: all)")
        arg_parser.add_argument("--ignore", help="codes or prefixes to leave alone")
        rules.add_fix_options(arg_parser)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        # No metadata to resolve, and the fixes add their own imports: skip the base class's
        # MetadataWrapper, which deep-copies the module (costly on big files).
        return self.transform_module_impl(tree)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        outcome = fix_until_stable(tree, self._findings, self.settings, self.options)
        self.context.scratch[SCRATCH_KEY] = outcome
        for left in outcome.left:
            finding = left.finding
            self.warn(f"line {finding.line}: {finding.code} left: {left.reason}")
        if not outcome.fixed:
            raise SkipFile("nothing to fix")
        return outcome.module

    def _findings(self, tree: cst.Module, source: str) -> list[Finding]:
        """What ``lint-rules check`` would report on ``tree``."""
        findings = rules.analyze_module(
            tree,
            self.settings,
            codes=self.selection.codes(rules.known_codes()),
            source=source,
            path=self.context.filename,
        )
        return reported(findings, split_lines(source), self.selection)


@functools.cache
def _config_at(pyproject: Path | None) -> Config:
    return load_config(pyproject, rules.known_codes())


def _config_for(filename: str | None) -> Config:
    return _config_at(find_pyproject([filename] if filename else []))
