"""Where reported nodes are in the file.

libcst's PositionProvider generates the code of the whole parsed span to find any position,
which costs about two traversals. Rules mostly report calls, and the ``ast`` tree already holds
their positions: the k-th call whose callee is named ``x`` in the span, in source order, is
the k-th ``ast.Call`` named ``x`` there. Each such answer is checked against the source text;
anything else, or any doubt, falls back to PositionProvider.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

import libcst as cst

from lint_rules.index import ModuleIndex, Span, first_line


class Positions:
    def __init__(
        self, wrapper: cst.MetadataWrapper, index: ModuleIndex, text_first_line: int, span: Span
    ) -> None:
        self._wrapper = wrapper
        self._index = index
        self._text_first_line = text_first_line  # file line of the parsed text's first line
        self._span = span
        self._calls: list[cst.Call] = []  # in traversal (= source) order
        self._provider: Any | None = None
        self._ast_calls: dict[str, list[ast.Call]] | None = None

    def record(self, node: cst.CSTNode) -> None:
        """Called for every node during the traversal."""
        if type(node) is cst.Call:
            self._calls.append(node)

    def of(self, node: cst.CSTNode) -> tuple[int, int]:
        """(1-based line, 0-based column in characters) of ``node`` in the file."""
        if isinstance(node, cst.Call):
            position = self._from_ast(node)
            if position is not None:
                return position
        if self._provider is None:
            self._provider = self._wrapper.resolve(cst.metadata.PositionProvider)
        start = self._provider[node].start
        return start.line + self._text_first_line - 1, start.column

    def _from_ast(self, call: cst.Call) -> tuple[int, int] | None:
        name, leftmost = _callee_names(call.func)
        if name is None or leftmost is None:
            return None
        same_name = [c for c in self._calls if _callee_names(c.func)[0] == name]
        candidates = self._calls_in_ast().get(name, [])
        if len(same_name) != len(candidates):
            return None
        match = candidates[next(i for i, c in enumerate(same_name) if c is call)]
        line = self._index.lines[match.lineno - 1]
        column = len(line.encode("utf-8")[: match.col_offset].decode("utf-8", errors="replace"))
        if not line.startswith(leftmost, column):
            return None
        return match.lineno, column

    def _calls_in_ast(self) -> dict[str, list[ast.Call]]:
        if self._ast_calls is None:
            found: dict[str, list[ast.Call]] = {}
            for node in _walk_lines(self._index.tree, self._span.start, self._span.end):
                if isinstance(node, ast.Call):
                    name = _ast_callee_name(node.func)
                    if name is not None:
                        found.setdefault(name, []).append(node)
            for calls in found.values():
                calls.sort(key=_source_order)
            self._ast_calls = found
        return self._ast_calls


def _source_order(call: ast.Call) -> tuple[int, int, int, int]:
    """Start position; of two calls starting together (``f(a)(b)``) the outer one first."""
    return call.lineno, call.col_offset, -(call.end_lineno or 0), -(call.end_col_offset or 0)


def _walk_lines(node: ast.AST, start: int, end: int) -> Iterator[ast.AST]:
    """Every node inside lines start..end, skipping statements that lie outside them."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt) and (
            child.end_lineno < start or first_line(child) > end  # type: ignore[operator]
        ):
            continue
        if getattr(child, "lineno", start) >= start and getattr(child, "lineno", end) <= end:
            yield child
        yield from _walk_lines(child, start, end)


def _callee_names(func: cst.BaseExpression) -> tuple[str | None, str | None]:
    """The callee's last name (``create_task`` in ``loop.create_task``) and the leftmost name
    of the expression, which the source text at the call's position must start with."""
    name = func.value if isinstance(func, cst.Name) else None
    if isinstance(func, cst.Attribute):
        name = func.attr.value
    node: cst.BaseExpression = func
    while isinstance(node, (cst.Attribute, cst.Call, cst.Subscript)) and not node.lpar:
        node = node.func if isinstance(node, cst.Call) else node.value
    leftmost = node.value if isinstance(node, cst.Name) and not node.lpar else None
    return name, leftmost


def _ast_callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
