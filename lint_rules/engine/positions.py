"""Where reported nodes are in the file.

libcst's PositionProvider generates the code of the whole parsed span to find any position,
which costs more than a traversal. Rules mostly report calls, and the ``ast`` tree already holds
their positions: the k-th call whose callee is named ``x`` in the span, in source order, is
the k-th ``ast.Call`` named ``x`` there. Each such answer is checked against the source text;
anything else, or any doubt, falls back to PositionProvider.
"""

from __future__ import annotations

import ast
import bisect
import re
from typing import Any

import libcst as cst

from lint_rules.engine.index import ModuleIndex, Span


class Positions:
    def __init__(
        self, wrapper: cst.MetadataWrapper, index: ModuleIndex, text_first_line: int, span: Span
    ) -> None:
        self._wrapper = wrapper
        self._index = index
        self._text_first_line = text_first_line  # file line of the parsed text's first line
        self._span = span
        # Filled in traversal (= source) order, so that a lookup costs O(1) and not a scan
        # of every call in the span: callee name -> how many calls so far, and each call's
        # rank among the calls of its name; the same for definitions.
        self._call_counts: dict[str, int] = {}
        self._call_ranks: dict[cst.Call, int] = {}
        self._definition_counts: dict[str, int] = {}
        self._definition_ranks: dict[cst.Name, int] = {}
        self._provider: Any | None = None
        self._encoded: dict[int, bytes | None] = {}  # line -> its UTF-8 bytes, None: ASCII
        self._in_span: dict[tuple[str, str], list[Any]] = {}  # (kind, name) -> ast nodes
        self._by_name: AstIndex | None = None  # built the first time a finding needs it

    def record(self, node: cst.CSTNode) -> None:
        """Called for every node during the traversal."""
        node_type = type(node)
        if node_type is cst.Call:
            name = _callee_names(node.func)[0]  # type: ignore[attr-defined]
            if name is not None:
                self._call_ranks[node] = _count(self._call_counts, name)  # type: ignore[index]
        elif node_type is cst.ClassDef or node_type is cst.FunctionDef:
            name_node = node.name  # type: ignore[attr-defined]
            self._definition_ranks[name_node] = _count(self._definition_counts, name_node.value)

    def of(self, node: cst.CSTNode) -> tuple[int, int]:
        """(1-based line, 0-based column in characters) of ``node`` in the file."""
        position = None
        if isinstance(node, cst.Call):
            position = self._from_ast(node)
        elif isinstance(node, cst.Name) and node in self._definition_ranks:
            position = self._definition_name(node)
        if position is not None:
            return position
        if self._provider is None:
            self._provider = self._wrapper.resolve(cst.metadata.PositionProvider)
        start = self._provider[node].start
        return start.line + self._text_first_line - 1, start.column

    def _from_ast(self, call: cst.Call) -> tuple[int, int] | None:
        name, leftmost = _callee_names(call.func)
        if name is None or leftmost is None or call not in self._call_ranks:
            return None
        candidates = self._ast_in_span("call", name)
        # before the traversal has seen every call of that name, ranks cannot be trusted
        if self._call_counts[name] != len(candidates):
            return None
        match = candidates[self._call_ranks[call]]
        line = self._index.lines[match.lineno - 1]
        column = self._column(match.lineno, match.col_offset)
        if not line.startswith(leftmost, column):
            return None
        return match.lineno, column

    def _column(self, line_number: int, utf8_offset: int) -> int:
        """The column in characters of an ast offset in UTF-8 bytes. Each line is encoded
        once (None: ASCII, offsets are columns): once per finding, a long line with many
        findings cost its length times theirs."""
        if line_number not in self._encoded:
            line = self._index.lines[line_number - 1]
            self._encoded[line_number] = None if line.isascii() else line.encode("utf-8")
        encoded = self._encoded[line_number]
        if encoded is None:
            return utf8_offset
        return len(encoded[:utf8_offset].decode("utf-8", errors="replace"))

    def _definition_name(self, name: cst.Name) -> tuple[int, int] | None:
        """The name of a ``def`` or ``class``: the k-th definition of that name in the span
        is the k-th in the ast; its name follows the keyword on the ast node's line."""
        candidates = self._ast_in_span("definition", name.value)
        if self._definition_counts[name.value] != len(candidates):
            return None
        match = candidates[self._definition_ranks[name]]
        line = self._index.lines[match.lineno - 1]
        keyword = re.compile(rf"\b(?:def|class)\s+({re.escape(name.value)})\b")
        found = keyword.search(line)
        return (match.lineno, found.start(1)) if found else None

    def _ast_in_span(self, kind: str, name: str) -> list[Any]:
        """The ast calls (or definitions) of ``name`` that start inside the span, in source
        order, found by bisection in the span's own index."""
        key = (kind, name)
        if key not in self._in_span:
            if self._by_name is None:
                self._by_name = _ast_index(self._index, self._span)
            lines, nodes = self._by_name[kind].get(name, ([], []))
            low = bisect.bisect_left(lines, self._span.start)
            high = bisect.bisect_right(lines, self._span.end)
            self._in_span[key] = nodes[low:high]
        return self._in_span[key]


def _count(counts: dict[str, int], name: str) -> int:
    """The rank of one more occurrence of ``name``, counted."""
    rank = counts.get(name, 0)
    counts[name] = rank + 1
    return rank


_AST_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# kind -> name -> (start lines, nodes), both in source order
AstIndex = dict[str, dict[str, tuple[list[int], list[Any]]]]


def _source_order(call: ast.Call) -> tuple[int, int, int, int]:
    """Start position; of two calls starting together (``f(a)(b)``) the outer one first."""
    return call.lineno, call.col_offset, -(call.end_lineno or 0), -(call.end_col_offset or 0)


def _ast_index(index: ModuleIndex, span: Span) -> AstIndex:
    """Every named call and every definition around the span by name, built once per span:
    the walk leaves out the statements and expressions that end before the span or start
    after it (walking the whole module for each file with a finding cost more than the rest
    of the positions)."""
    calls: dict[str, list[ast.Call]] = {}
    definitions: dict[str, list[ast.stmt]] = {}
    # a stack, not recursion: the input's depth is unbounded
    stack: list[ast.AST] = list(index.statements_overlapping(span))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            name = _ast_callee_name(node.func)
            if name is not None:
                calls.setdefault(name, []).append(node)
        elif isinstance(node, _AST_DEFINITIONS):
            definitions.setdefault(node.name, []).append(node)
        stack.extend(
            child
            for child in ast.iter_child_nodes(node)
            # (nodes without a position, such as `arguments`, are walked into)
            if getattr(child, "end_lineno", span.start) >= span.start
            and getattr(child, "lineno", span.end) <= span.end
        )
    index: AstIndex = {"call": {}, "definition": {}}
    for name, found_calls in calls.items():
        found_calls.sort(key=_source_order)
        index["call"][name] = ([c.lineno for c in found_calls], found_calls)
    for name, found_definitions in definitions.items():
        found_definitions.sort(key=lambda node: (node.lineno, node.col_offset))
        index["definition"][name] = ([d.lineno for d in found_definitions], found_definitions)
    return index


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
