"""Which names a module binds, and how, read from its ``ast`` tree: what the fixes need to
choose names that shadow nothing and to reuse what the module already imports."""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator

_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# nodes whose ``name`` is a binding (MatchAs and MatchStar exist from Python 3.10)
_AST_NAMED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.ExceptHandler,
    *(getattr(ast, kind) for kind in ("MatchAs", "MatchStar") if hasattr(ast, kind)),
)


def candidates(base: str) -> Iterator[str]:
    """``base``, ``base_1``, ``base_2``, ...: the names tried for a fresh name."""
    yield base
    for number in itertools.count(1):
        yield f"{base}_{number}"


def uses(code: str, name: str) -> bool:
    """``name`` occurs as a word in ``code`` (strings and comments included: conservative)."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", code) is not None


def bound_names(node: ast.AST) -> tuple[str, ...]:
    """The names ``node`` binds, deletes, or declares global or nonlocal."""
    if isinstance(node, ast.Name):
        return (node.id,) if isinstance(node.ctx, (ast.Store, ast.Del)) else ()
    if isinstance(node, ast.arg):
        return (node.arg,)
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0],)
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return tuple(node.names)
    if isinstance(node, _AST_NAMED):
        return (node.name,) if node.name else ()
    rest = getattr(node, "rest", None)  # MatchMapping
    return (rest,) if isinstance(rest, str) else ()


def binding_kinds(node: ast.AST) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name, how ``node`` binds it) for each name ``node`` binds (see ``bound_names``)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            module = alias.name if alias.asname else alias.name.split(".")[0]
            yield alias.asname or module, ("import", module)
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            module = "." * node.level + (node.module or "")
            yield alias.asname or alias.name, ("from", module, alias.name)
    elif not isinstance(node, ast.alias):
        for name in bound_names(node):
            yield name, ("other",)


def top_level_imports(tree: ast.Module, wanted: tuple[str, ...]) -> Iterator[str]:
    """The names top-level import statements bind to ``wanted`` (see ``binding_kinds``)."""
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for local, kind in binding_kinds(statement):
                if kind == wanted:
                    yield local


def may_shadow_set(tree: ast.Module) -> bool:
    """``set`` may not be the builtin at module level: the module binds it there, a function
    declares it global, or a star import may bring in a ``set`` of its own."""
    pending: list[tuple[ast.AST, bool]] = [(tree, True)]
    while pending:
        node, module_level = pending.pop()
        if isinstance(node, ast.Global) and "set" in node.names:
            return True
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return True
        if module_level and not isinstance(node, ast.Nonlocal) and "set" in bound_names(node):
            return True
        inner = module_level and not isinstance(node, _AST_SCOPES)
        pending.extend((child, inner) for child in ast.iter_child_nodes(node))
    return False
