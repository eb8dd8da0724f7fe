"""The one read-only traversal that every rule of a span shares.

libcst's ``CSTNode.visit()`` rebuilds every node it passes through (a dataclass construction
with validation) even for a visitor that changes nothing, which costs several times a plain
walk of the tree. Rules here never change the tree, so the engine walks it itself and calls
the same ``visit_<Type>`` / ``leave_<Type>`` methods that a libcst ``BatchableCSTVisitor``
declares, in the same source order: the order of each node type's fields is read from
libcst's own ``_visit_and_replace_children``. Whitespace and punctuation nodes, which no rule
looks at, are not visited. ``tests/test_traversal.py`` checks the order
against libcst's ``children`` on real code.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator, Sequence

import libcst as cst

NodeCallback = Callable[[cst.CSTNode], None]

# node types that carry only whitespace, comments or punctuation
_NOT_VISITED = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.ImportStar,
    cst.Asynchronous,
)
_VISIT_CALL = re.compile(r"visit_\w+\(\s*self,\s*\"(\w+)\"")


@functools.cache
def _source_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of ``node_type`` in the order libcst visits them (= source order)."""
    source = inspect.getsource(node_type._visit_and_replace_children)
    return tuple(dict.fromkeys(_VISIT_CALL.findall(source)))


@functools.cache
def _is_visited(value_type: type) -> bool:
    # The MRO, not issubclass(): libcst's node classes are ABCs, and issubclass() against one
    # caches a weak reference per pair of classes, which every later garbage collection of the
    # flake8 process walks again.
    mro = value_type.__mro__
    return cst.CSTNode in mro and not any(base in mro for base in _NOT_VISITED)


def source_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The children of ``node`` that rules may care about, in source order."""
    for name in _source_fields(type(node)):
        value = getattr(node, name)
        value_type = type(value)
        if value_type is list or value_type is tuple:
            for item in value:
                if _is_visited(type(item)):
                    yield item
        elif _is_visited(value_type):
            yield value


@functools.cache
def _callback_names(visitor_type: type[cst.BatchableCSTVisitor]) -> tuple[str, ...]:
    """The visit_/leave_ methods a visitor class really defines (libcst marks its empty
    stubs with ``_is_no_op``)."""
    names = []
    for name, function in inspect.getmembers(visitor_type, inspect.isfunction):
        if name.startswith(("visit_", "leave_")) and not getattr(function, "_is_no_op", False):
            if "_" in name.partition("_")[2]:  # visit_Call_func: libcst's attribute visitors
                raise TypeError(
                    f"{visitor_type.__name__}.{name}: attribute visitors are not "
                    "supported by the engine's traversal"
                )
            names.append(name)
    return tuple(names)


def traverse(
    module: cst.Module,
    visitors: Sequence[cst.BatchableCSTVisitor],
    enter: NodeCallback,
    leave: NodeCallback,
) -> None:
    """Visit ``module`` once, calling every visitor's callbacks for each node, plus ``enter``
    before and ``leave`` after each node's own callbacks."""
    visits: dict[str, list[NodeCallback]] = {}
    leaves: dict[str, list[NodeCallback]] = {}
    for visitor in visitors:
        for name in _callback_names(type(visitor)):
            kind, _, type_name = name.partition("_")
            table = visits if kind == "visit" else leaves
            table.setdefault(type_name, []).append(getattr(visitor, name))

    # an explicit stack: deeply nested code (a long implicit string concatenation is a
    # chain of nested nodes) must not hit Python's recursion limit
    stack: list[tuple[cst.CSTNode, bool]] = [(module, False)]
    while stack:
        node, leaving = stack.pop()
        type_name = type(node).__name__
        if leaving:
            for callback in leaves.get(type_name, ()):
                callback(node)
            leave(node)
            continue
        enter(node)
        for callback in visits.get(type_name, ()):
            callback(node)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(source_children(node))))
