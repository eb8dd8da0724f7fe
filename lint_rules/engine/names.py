"""Qualified names: import-aware resolution shared by the ``ast`` index and the libcst rules,
and small helpers to read a node (its dotted name, its code, a positional argument)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

import libcst as cst

# asyncio re-exports its submodules' names; `asyncio.tasks.create_task` is `asyncio.create_task`.
_ASYNCIO_SUBMODULES = (
    "tasks",
    "events",
    "base_events",
    "futures",
    "taskgroups",
    "runners",
)


def canonical(qualname: str) -> str:
    """``asyncio.tasks.create_task`` -> ``asyncio.create_task``."""
    parts = qualname.split(".")
    if len(parts) > 2 and parts[0] == "asyncio" and parts[1] in _ASYNCIO_SUBMODULES:
        return ".".join([parts[0], *parts[2:]])
    return qualname


def import_bindings(
    module: str | None, aliases: Iterable[tuple[str, str | None]], level: int = 0
) -> Iterable[tuple[str, str]]:
    """The (local name, qualified name) pairs an import statement binds.

    ``module`` is None for ``import a.b as c``; ``aliases`` are (dotted name, asname) pairs.
    Relative imports keep one leading dot per level (``from .locks import Event`` binds
    ``.locks.Event``, ``from .. import util`` ``..util``), so they never match an absolute API
    name and the project's modules can be found from them.
    """
    for name, asname in aliases:
        if module is None and level == 0:
            if asname:
                yield asname, name
            else:
                head = name.split(".")[0]
                yield head, head
        elif name != "*":
            dots = "." * level
            yield asname or name, f"{dots}{module}.{name}" if module else f"{dots}{name}"


def configured_names(names: Iterable[str]) -> Iterator[str]:
    """Qualified names as options give them (``module:OBJECT.attr`` or ``module.attr``)."""
    for name in names:
        yield canonical(name.replace(":", "."))


def resolve_parts(parts: list[str], bound: str | None) -> str | None:
    """Join the qualified name bound to ``parts[0]`` with the attribute path that follows."""
    if bound is None:
        return None
    return canonical(".".join([bound, *parts[1:]]))


def code_of(node: cst.CSTNode) -> str:
    """The code of ``node`` on one line, whitespace collapsed (for messages)."""
    return " ".join(cst.Module([]).code_for_node(node).split())


def positional(call: cst.Call, position: int) -> cst.BaseExpression | None:
    """The ``position``-th positional argument of ``call`` (None if it has no such one)."""
    arguments = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return arguments[position].value if len(arguments) > position else None


def cst_dotted(node: cst.BaseExpression) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return parts[::-1]


def ast_dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def annotation_parts(node: cst.BaseExpression | ast.expr | None) -> list[list[str]]:
    """The dotted names an annotation may denote: ``Optional[X]``, ``X | None`` and string
    annotations are looked through."""
    if node is None:
        return []
    if isinstance(node, (cst.SimpleString, ast.Constant)):
        text = node.evaluated_value if isinstance(node, cst.SimpleString) else node.value
        if not isinstance(text, str):
            return []
        try:  # a string annotation: "asyncio.AbstractEventLoop | None"
            return annotation_parts(ast.parse(text.strip(), mode="eval").body)
        except (SyntaxError, ValueError):
            return []
    if isinstance(node, cst.Subscript):
        return [
            parts
            for element in node.slice
            if isinstance(element.slice, cst.Index)
            for parts in annotation_parts(element.slice.value)
        ]
    if isinstance(node, ast.Subscript):
        inner = node.slice
        elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return [parts for element in elements for parts in annotation_parts(element)]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return annotation_parts(node.left) + annotation_parts(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return annotation_parts(node.left) + annotation_parts(node.right)
    parts = ast_dotted(node) if isinstance(node, ast.AST) else cst_dotted(node)
    return [parts] if parts else []
