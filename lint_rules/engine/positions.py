"""Where reported nodes are in the file.

libcst's PositionProvider generates the code of the whole parsed span to find any position,
which costs more than a traversal. Rules mostly report calls, and the ``ast`` tree already holds
their positions: the k-th call whose callee is named ``x`` in the span, in source order, is
the k-th ``ast.Call`` named ``x`` there. Each such answer is checked against the source text;
anything else, or any doubt, falls back to PositionProvider.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

import libcst as cst

from lint_rules.engine.index import ModuleIndex, Span, first_line


class Positions:
    def __init__(
        self, wrapper: cst.MetadataWrapper, index: ModuleIndex, text_first_line: int, span: Span
    ) -> None:
        self._wrapper = wrapper
        self._index = index
        self._text_first_line = text_first_line  # file line of the parsed text's first line
        self._span = span
        self._calls: list[cst.Call] = []  # in traversal (= source) order
        self._definitions: dict[cst.Name, cst.CSTNode] = {}  # a def's or class's name -> it
        self._provider: Any | None = None
        self._ast_calls: dict[str, list[ast.Call]] | None = None

    def record(self, node: cst.CSTNode) -> None:
        """Called for every node during the traversal."""
        node_type = type(node)
        if node_type is cst.Call:
            self._calls.append(node)
        elif node_type is cst.ClassDef or node_type is cst.FunctionDef:
            self._definitions[node.name] = node  # type: ignore[attr-defined]

    def of(self, node: cst.CSTNode) -> tuple[int, int]:
        """(1-based line, 0-based column in characters) of ``node`` in the file."""
        position = None
        if isinstance(node, cst.Call):
            position = self._from_ast(node)
        elif isinstance(node, cst.Name) and node in self._definitions:
            position = self._definition_name(node)
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

    def _definition_name(self, name: cst.Name) -> tuple[int, int] | None:
        """The name of a ``def`` or ``class``: the k-th definition of that name in the span
        is the k-th in the ast; its name follows the keyword on the ast node's line."""
        same_name = [d for d in self._definitions.values() if d.name.value == name.value]  # type: ignore[attr-defined]
        candidates = sorted(
            (
                node
                for node in _walk_lines(self._index.tree, self._span.start, self._span.end)
                if isinstance(node, _AST_DEFINITIONS) and node.name == name.value
            ),
            key=lambda node: (node.lineno, node.col_offset),
        )
        if len(same_name) != len(candidates):
            return None
        match = candidates[same_name.index(self._definitions[name])]
        line = self._index.lines[match.lineno - 1]
        keyword = re.compile(rf"\b(?:def|class)\s+({re.escape(name.value)})\b")
        found = keyword.search(line)
        return (match.lineno, found.start(1)) if found else None

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


_AST_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _source_order(call: ast.Call) -> tuple[int, int, int, int]:
    """Start position; of two calls starting together (``f(a)(b)``) the outer one first."""
    return call.lineno, call.col_offset, -(call.end_lineno or 0), -(call.end_col_offset or 0)


def _walk_lines(tree: ast.AST, start: int, end: int) -> Iterator[ast.AST]:
    """Every node inside lines start..end, skipping statements that lie outside them."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt) and (
            node.end_lineno < start or first_line(node) > end  # type: ignore[operator]
        ):
            continue
        if start <= getattr(node, "lineno", start) <= end:
            yield node
        stack.extend(ast.iter_child_nodes(node))


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
