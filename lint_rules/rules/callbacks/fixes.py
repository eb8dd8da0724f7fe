"""TRK201/TRK202 rewrite (``lint-rules fix --drain``): await the drains at every exit of the
entry coroutine (``lint_rules.fix.exits``): ``asyncio.gather(*<set>, return_exceptions=True)``
for each tracking set, then each library drain, imported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from lint_rules.fix import exits
from lint_rules.fix.context import FixContext
from lint_rules.fix.edits import Edit, Fix, RewriteNode, Unfixable

RESULT_NAME = "_result"  # holds a computed return value while the drain runs


@dataclass
class _DrainEdit:
    """The one edit of an entry coroutine, and the awaits the findings on it add."""

    edit: RewriteNode
    gathers: list[str] = field(default_factory=list)
    drains: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Drain(Fix):
    """Drain ``sets`` (tracking set names; TRK202) and await ``awaits`` (``(module, path)``
    pairs: ``from module import HEAD`` then ``await HEAD.rest()``; TRK201) at every exit of
    the entry coroutine ``statement``. The findings on one coroutine share its edit; the
    tracking sets come first (their tasks may still fire library callbacks)."""

    requires = "drain"
    statement: cst.FunctionDef
    sets: tuple[str, ...] = ()
    awaits: tuple[tuple[str, str], ...] = ()

    def edit(self, context: FixContext) -> Edit:
        function = self.statement
        if exits.is_generator(function):
            raise Unfixable("the entry coroutine is a generator")
        if not exits.exit_count(function):
            raise Unfixable("the entry coroutine never returns")
        for module, path in self.awaits:
            if not module:
                raise Unfixable(f"the drain {path}() names no module to import it from")
        asyncio = context.import_name("asyncio")
        gathers = [f"{asyncio}.gather(*{name}, return_exceptions=True)" for name in self.sets]
        drains = []
        for module, path in self.awaits:
            head, dot, rest = path.partition(".")
            drains.append(f"{context.import_name(module, head)}{dot}{rest}()")
        shared = context.shared(("drain", function), lambda: _drain_edit(function, context))
        for known, new in ((shared.gathers, gathers), (shared.drains, drains)):
            known.extend(code for code in new if code not in known)
        return shared.edit


def _drain_edit(function: cst.FunctionDef, context: FixContext) -> _DrainEdit:
    result = context.fresh_name(function, RESULT_NAME) if exits.computes_return(function) else None
    config = context.module.config_for_parsing

    def rewrite(node: cst.FunctionDef) -> cst.FunctionDef:
        lines = [
            cst.parse_statement(f"await {code}\n", config)
            for code in [*shared.gathers, *shared.drains]
        ]
        statements: Sequence[cst.BaseSmallStatement] = [
            small
            for line in lines
            for small in line.body  # type: ignore[attr-defined]
        ]
        return exits.at_exits(node, statements, result)

    shared = _DrainEdit(RewriteNode(function, rewrite))
    return shared
