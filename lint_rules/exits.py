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

from collections.abc import Iterator, Sequence

import libcst as cst

_NESTED = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def own_nodes(function: cst.FunctionDef) -> Iterator[cst.CSTNode]:
    """The nodes of ``function``'s body, not entering nested functions, classes or lambdas."""
    pending: list[cst.CSTNode] = [function.body]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(child for child in node.children if not isinstance(child, _NESTED))


def is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Yield) for node in own_nodes(function))


def returns(function: cst.FunctionDef) -> list[cst.Return]:
    return [node for node in own_nodes(function) if isinstance(node, cst.Return)]


def computes_return(function: cst.FunctionDef) -> bool:
    """Some ``return`` has a value that is not a literal (it needs a name of its own)."""
    return any(r.value is not None and not _is_literal(r.value) for r in returns(function))


def exit_count(function: cst.FunctionDef) -> int:
    """How many places the statements would go: the returns, and the end of the body."""
    return len(returns(function)) + (not _suite_exits(function.body))


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
    if not _suite_exits(body):
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


def _suite_exits(suite: cst.BaseSuite) -> bool:
    """Control never reaches the end of ``suite``: some statement of it always leaves."""
    return any(_exits(statement) for statement in suite.body)


def _exits(statement: cst.CSTNode) -> bool:
    """``statement`` always returns or raises (a conservative answer: False when unsure, which
    at worst adds an unreachable drain at the end of the body)."""
    if isinstance(statement, (cst.Return, cst.Raise)):
        return True
    if isinstance(statement, cst.SimpleStatementLine):
        return any(_exits(small) for small in statement.body)
    if isinstance(statement, (cst.With, cst.Else, cst.Finally)):
        return _suite_exits(statement.body)
    if isinstance(statement, cst.If):
        return (
            _suite_exits(statement.body)
            and statement.orelse is not None
            and _exits(statement.orelse)
        )
    if isinstance(statement, (cst.Try, cst.TryStar)):
        if statement.finalbody is not None and _exits(statement.finalbody):
            return True
        body = _suite_exits(statement.body) or (
            statement.orelse is not None and _exits(statement.orelse)
        )
        return body and all(_suite_exits(handler.body) for handler in statement.handlers)
    return False


def split_line(
    statements: Sequence[tuple[cst.BaseSmallStatement, Sequence[cst.BaseSmallStatement] | None]],
    trailing: cst.TrailingWhitespace,
    comment_on: int = 0,
) -> list[cst.SimpleStatementLine]:
    """The lines for one line of ``a; b; c`` where some statements are replaced: each
    ``(statement, replacement)`` pair with a replacement puts each replacing statement on its
    own line; the statements without one stay on shared lines. The line's comment goes to
    the replacing line at index ``comment_on`` of the first replacement (where the original
    statement is: first for the codemod's additions after it, last for drains before it)."""
    groups: list[list[cst.BaseSmallStatement]] = []
    current: list[cst.BaseSmallStatement] = []
    commented: int | None = None
    for statement, replacement in statements:
        if replacement is None:
            current.append(statement)
            continue
        if current:
            groups.append(current)
            current = []
        if commented is None:
            commented = len(groups) + comment_on % max(len(replacement), 1)
        groups.extend([small] for small in replacement)
    if current:
        groups.append(current)
    return [
        cst.SimpleStatementLine(
            body=[*group[:-1], group[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
            trailing_whitespace=trailing if index == commented else cst.TrailingWhitespace(),
        )
        for index, group in enumerate(groups)
    ]


class _BeforeReturns(cst.CSTTransformer):
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

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        lines = self._split(updated_node.body, updated_node.trailing_whitespace)
        if lines is None:
            return updated_node
        lines[0] = lines[0].with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel(lines)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.BaseSuite:
        lines = self._split(updated_node.body, updated_node.trailing_whitespace)
        return updated_node if lines is None else cst.IndentedBlock(body=lines)

    def _split(
        self, body: Sequence[cst.BaseSmallStatement], trailing: cst.TrailingWhitespace
    ) -> list[cst.SimpleStatementLine] | None:
        """The lines replacing a line with ``body``; the line's comment stays with the
        first ``return``."""
        if not any(isinstance(statement, cst.Return) for statement in body):
            return None
        return split_line(
            [(s, self._before(s) if isinstance(s, cst.Return) else None) for s in body],
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
