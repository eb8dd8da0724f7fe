"""Run statements at every exit of a coroutine without changing what it returns.

Used by the codemod's ``--drain``: the drain goes before each ``return`` of the function
itself (nested functions and classes are left alone) and at the end of its body when control
can fall off it. A ``return`` whose value is a literal keeps it; any other value is computed
first into a fresh name, so that the drain cannot change it::

    return await fetch()        ->  _result = await fetch()
                                    await drain()
                                    return _result

Exceptions leave without the drain: draining while an error (or a Ctrl-C cancellation)
propagates would delay it, and a failing drain would replace it. Generators are never
rewritten (a ``return`` there does not end the work a caller iterates over).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from lint_rules.analysis.flow import own_nodes, suite_always_leaves
from lint_rules.fix.statements import LineSplitter, split_line


def is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Yield) for node in own_nodes(function.body))


def returns(function: cst.FunctionDef) -> list[cst.Return]:
    return [node for node in own_nodes(function.body) if isinstance(node, cst.Return)]


def computes_return(function: cst.FunctionDef) -> bool:
    """Some ``return`` has a value that is not a literal (it needs a name of its own)."""
    return any(r.value is not None and not _is_literal(r.value) for r in returns(function))


def exit_count(function: cst.FunctionDef) -> int:
    """How many places the statements would go: the returns, and the end of the body."""
    return len(returns(function)) + (not suite_always_leaves(function.body))


def at_exits(
    function: cst.FunctionDef,
    statements: Sequence[cst.BaseSmallStatement],
    result: str | None,
) -> cst.FunctionDef:
    """``function`` running ``statements`` before each of its returns and at the end of its
    body when control can reach it. ``result`` names the value of a computed ``return``
    (needed when ``computes_return(function)``)."""
    body = function.body.visit(_BeforeReturns(statements, result))
    if isinstance(body, cst.SimpleStatementSuite):  # `async def main(): await work()`
        line = cst.SimpleStatementLine(body.body, trailing_whitespace=body.trailing_whitespace)
        body = cst.IndentedBlock(body=[line])
    assert isinstance(body, cst.IndentedBlock)
    if not suite_always_leaves(body):
        body = body.with_changes(body=[*body.body, *_lines(statements)])
    return function.with_changes(body=body)


def _lines(statements: Sequence[cst.BaseSmallStatement]) -> list[cst.SimpleStatementLine]:
    return [cst.SimpleStatementLine([statement.deep_clone()]) for statement in statements]


def _is_literal(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
        value = value.expression
    if isinstance(value, cst.Name):
        return value.value in ("None", "True", "False")
    return isinstance(value, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString))


class _BeforeReturns(LineSplitter):
    """Splits each line holding a ``return`` into lines: what comes before it, the
    statements, the ``return``. A one-line suite (``if x: return``) becomes a block."""

    def __init__(self, statements: Sequence[cst.BaseSmallStatement], result: str | None) -> None:
        super().__init__()
        self.statements = statements
        self.result = result

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def lines(
        self,
        original: Sequence[cst.BaseSmallStatement],
        updated: Sequence[cst.BaseSmallStatement],
        trailing: cst.TrailingWhitespace,
    ) -> list[cst.SimpleStatementLine] | None:
        """The line's comment stays with the first ``return``."""
        if not any(isinstance(statement, cst.Return) for statement in updated):
            return None
        return split_line(
            [(s, self._before(s) if isinstance(s, cst.Return) else None) for s in updated],
            trailing,
            comment_on=-1,  # the return itself
        )

    def _before(self, statement: cst.Return) -> list[cst.BaseSmallStatement]:
        drain = [small.deep_clone() for small in self.statements]
        value = statement.value
        if value is None or _is_literal(value):
            return [*drain, statement]
        assert self.result is not None, "computes_return() said no name was needed"
        keep = cst.Assign([cst.AssignTarget(cst.Name(self.result))], value)
        return [keep, *drain, statement.with_changes(value=cst.Name(self.result))]
