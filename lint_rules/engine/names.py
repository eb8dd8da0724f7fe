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
    """The code of ``node`` on one line, whitespace collapsed (for messages): a receiver split
    over lines reads ``asyncio.create_task``, not ``asyncio \\ .create_task``."""
    code = cst.Module([]).code_for_node(node)
    if "\n" in code or "\r" in code:
        code = cst.Module([]).code_for_node(node.visit(_OneLine()))
    return " ".join(code.split())


class _OneLine(cst.CSTTransformer):
    """Drop the whitespace of line breaks: in brackets, around dots, after a backslash."""

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.SimpleWhitespace:
        return cst.SimpleWhitespace("")

    def leave_SimpleWhitespace(
        self, original_node: cst.SimpleWhitespace, updated_node: cst.SimpleWhitespace
    ) -> cst.SimpleWhitespace:
        return cst.SimpleWhitespace(" ") if "\\" in updated_node.value else updated_node

    def leave_Dot(self, original_node: cst.Dot, updated_node: cst.Dot) -> cst.Dot:
        return updated_node.with_changes(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        )


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
    annotations are looked through (with a stack: ``A | B | ...`` may be long)."""
    found: list[list[str]] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        if isinstance(current, (cst.SimpleString, ast.Constant)):
            text = (
                current.evaluated_value if isinstance(current, cst.SimpleString) else current.value
            )
            if isinstance(text, str):
                try:  # a string annotation: "asyncio.AbstractEventLoop | None"
                    pending.append(ast.parse(text.strip(), mode="eval").body)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    pass
        elif isinstance(current, cst.Subscript):
            pending.extend(
                element.slice.value
                for element in reversed(current.slice)
                if isinstance(element.slice, cst.Index)
            )
        elif isinstance(current, ast.Subscript):
            inner = current.slice
            pending.extend(reversed(inner.elts if isinstance(inner, ast.Tuple) else [inner]))
        elif isinstance(current, cst.BinaryOperation) and isinstance(current.operator, cst.BitOr):
            pending.extend((current.right, current.left))
        elif isinstance(current, ast.BinOp) and isinstance(current.op, ast.BitOr):
            pending.extend((current.right, current.left))
        else:
            parts = ast_dotted(current) if isinstance(current, ast.AST) else cst_dotted(current)
            if parts:
                found.append(parts)
    return found
