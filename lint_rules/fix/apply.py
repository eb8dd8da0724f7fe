"""Applying the fixes of a module's findings: each becomes an edit, all edits are made in one
transformer pass, then the tracking set and the imports that edits asked for are added.

``fix_until_stable`` repeats that until a pass fixes nothing: a fix may make a new finding
(a task put in the tracking set leaves a short-lived entry point undrained), and a second run
of the codemod must change nothing. Nothing here knows a rule: a fix is whatever the rule
attached (``lint_rules.fix.edits.Fix``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from lint_rules.engine.info import Finding
from lint_rules.fix.context import FixContext
from lint_rules.fix.edits import Edit, ReplaceStatement, RewriteNode, Unfixable
from lint_rules.fix.helpers import parse_lines
from lint_rules.fix.statements import LineSplitter, insert_after_header, split_line
from lint_rules.settings import Settings

# a fix that keeps making new fixable findings is a bug: stop rather than loop forever
MAX_PASSES = 5


@dataclass(frozen=True)
class Left:
    """A finding the codemod did not fix, and why."""

    finding: Finding
    reason: str


@dataclass
class FixOutcome:
    module: cst.Module
    fixed: list[Finding] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)


def fix_until_stable(
    module: cst.Module,
    findings_of: Callable[[cst.Module, str], Sequence[Finding]],
    settings: Settings = Settings(),
    options: Mapping[str, Any] | None = None,
) -> FixOutcome:
    """Fix ``module`` pass after pass until a pass has nothing left to fix.
    ``findings_of(module, its code)`` gives the findings to fix (their nodes in ``module``).
    What is fixed adds up over the passes; what is left is what the last pass left."""
    options = options or {}
    fixed: list[Finding] = []
    source = module.code
    for _ in range(MAX_PASSES):
        outcome = apply_fixes(module, findings_of(module, source), settings, options, source=source)
        fixed.extend(outcome.fixed)
        if not outcome.fixed:
            break
        module = outcome.module
        source = module.code
    return FixOutcome(module, fixed, outcome.left)


def apply_fixes(
    module: cst.Module,
    findings: Sequence[Finding],
    settings: Settings = Settings(),
    options: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
) -> FixOutcome:
    """Apply every fix of ``findings`` (whose nodes belong to ``module``) that is safe; the
    others are left, with the reason. ``source``, ``module.code`` if the caller has it, saves
    generating it again."""
    options = options or {}
    outcome = FixOutcome(module)
    fixes = [(finding, finding.fix) for finding in findings if finding.fix is not None]
    context = FixContext(module, {fix.statement for _, fix in fixes}, settings, options)
    if source is not None:
        context.know_code(module, source)
    edits: dict[cst.CSTNode, Edit] = {}
    for finding in findings:
        reason = no_fix_reason(finding, options)
        if reason is None:
            assert finding.fix is not None
            try:
                edit = finding.fix.edit(context)
            except Unfixable as refusal:
                reason = str(refusal)
            else:
                assert edit.target is finding.fix.statement, "an edit rewrites its statement"
                if edits.get(edit.target, edit) is not edit:
                    reason = "another fix rewrites the same statement"
                else:
                    edits[edit.target] = edit
                    outcome.fixed.append(finding)
                    continue
        outcome.left.append(Left(finding, reason))
    if not edits:
        return outcome
    holders = {node for target in edits for node in context.paths[target]}
    fixed = module.visit(_Applier(edits.values(), holders))
    assert isinstance(fixed, cst.Module)
    definitions = context.definitions()
    if definitions:
        fixed = insert_after_header(fixed, parse_lines(definitions, fixed))
    if context.imports:
        fixed = AddImportsVisitor(CodemodContext(), context.imports).transform_module(fixed)
    outcome.module = fixed
    return outcome


def no_fix_reason(finding: Finding, options: Mapping[str, Any]) -> str | None:
    """Why ``finding`` will not be fixed before trying (None: its fix will be tried)."""
    fix = finding.fix
    if fix is None:
        return finding.no_fix
    if fix.requires is not None and not options.get(fix.requires):
        return f"needs fix --{fix.requires.replace('_', '-')}"
    return None


class _Applier(LineSplitter):
    """Makes the edits; visits only the nodes that hold an edited statement (``holders``),
    so that the cost follows the number of edits rather than the size of the module."""

    def __init__(self, edits: Collection[Edit], holders: Collection[cst.CSTNode]) -> None:
        super().__init__()
        self._statements = {e.target: e for e in edits if isinstance(e, ReplaceStatement)}
        self._nodes = {e.target: e for e in edits if isinstance(e, RewriteNode)}
        self._holders = holders

    def on_visit(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Module) or node in self._holders

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        edit = self._nodes.get(original_node)
        return updated if edit is None else edit.rewrite(updated)

    def lines(
        self,
        original: Sequence[cst.BaseSmallStatement],
        updated: Sequence[cst.BaseSmallStatement],
        trailing: cst.TrailingWhitespace,
    ) -> list[cst.SimpleStatementLine] | None:
        """One line per replacement statement; the untouched statements around them stay on
        shared lines. The first replacement line keeps the original line's comment."""
        if not any(statement in self._statements for statement in original):
            return None
        assert len(original) == len(updated)
        replacements = [self._statements.get(before) for before in original]
        return split_line(
            [
                (after, None if edit is None else edit.statements)
                for after, edit in zip(updated, replacements)
            ],
            trailing,
        )
