"""Scope tracking for rules: which names a function binds, to what, and what they import.

A light replacement for libcst's ScopeProvider/QualifiedNameProvider (which cost more
than the parse): rules that need names subclass ``ScopedRule``, which records every scope as the
traversal passes it, and ask its ``names`` (``Names.qualname()``, ``Names.scope_of()``).
Module-level names come from the ``ast`` index, so a rule sees the same module whether the
engine parsed the whole file or one function of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Union

import libcst as cst

from lint_rules.engine.index import ModuleIndex
from lint_rules.engine.names import annotation_parts, cst_dotted, import_bindings, resolve_parts
from lint_rules.engine.rule import Rule, RuleContext

ScopeNode = Union[cst.Module, cst.ClassDef, cst.FunctionDef, cst.Lambda]


@dataclass(eq=False)
class Scope:
    node: ScopeNode
    imports: dict[str, str] = field(default_factory=dict)
    # every binding of a name in this scope: the assigned value, the StarredElement of a
    # `*rest` target, or None (parameter, loop target, ...)
    values: dict[str, list[cst.CSTNode | None]] = field(default_factory=dict)
    annotations: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # names bound by `with X() as name`: name -> the context expression
    context_managers: dict[str, cst.BaseExpression] = field(default_factory=dict)
    declared_outer: set[str] = field(default_factory=set)  # global / nonlocal

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, cst.FunctionDef)

    def binds(self, name: str) -> bool:
        return name in self.values or name in self.imports

    def bind(self, name: str, value: cst.CSTNode | None = None) -> None:
        self.values.setdefault(name, []).append(value)


Scopes = tuple[Scope, ...]


def target_names(target: cst.BaseExpression) -> Iterator[cst.Name]:
    """The names an assignment target binds (through tuples, lists and stars)."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


class Names:
    """Resolves names as Python would look them up, from the scopes a traversal recorded
    (``chains``: each scope with the scopes around it, outermost first)."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.chains: dict[Scope, Scopes] = {}

    def chain(self, scope: Scope) -> Scopes:
        return self.chains[scope]

    def scope_of(self, name: str, scopes: Sequence[Scope]) -> Scope | None:
        """The innermost function or class scope that binds ``name`` as Python would look it
        up from the last scope of ``scopes``; None for module-level and builtin names."""
        for depth, scope in enumerate(reversed(scopes)):
            if isinstance(scope.node, cst.Module):
                return None
            if isinstance(scope.node, cst.ClassDef) and depth > 0:
                continue  # class bodies are not enclosing scopes for their methods
            if name in scope.declared_outer:
                continue
            if scope.binds(name):
                return scope
        return None

    def qualname(self, node: cst.BaseExpression, scopes: Sequence[Scope]) -> str | None:
        """``aio.create_task`` -> ``asyncio.create_task`` after ``import asyncio as aio``."""
        parts = cst_dotted(node)
        if not parts:
            return None
        return self.qualname_of_parts(parts, scopes)

    def qualname_of_parts(self, parts: list[str], scopes: Sequence[Scope]) -> str | None:
        scope = self.scope_of(parts[0], scopes)
        if scope is None:
            return self.index.module_qualname(parts)
        return resolve_parts(parts, scope.imports.get(parts[0]))

    def is_builtin(self, name: str, scopes: Sequence[Scope]) -> bool:
        return self.scope_of(name, scopes) is None and not self.index.is_module_name(name)

    def annotation_qualnames(
        self, annotation: cst.BaseExpression, scopes: Sequence[Scope]
    ) -> Iterator[str]:
        for parts in annotation_parts(annotation):
            qualified = self.qualname_of_parts(parts, scopes)
            if qualified:
                yield qualified


class ScopedRule(Rule):
    """A rule that knows, at every node, the chain of scopes around it (``snapshot()``)."""

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.scopes: list[Scope] = []
        self.names = Names(self.index)

    def snapshot(self) -> Scopes:
        return tuple(self.scopes)

    # -- bookkeeping -------------------------------------------------------------------

    def _push(self, node: ScopeNode) -> None:
        scope = Scope(node)
        self.scopes.append(scope)
        self.names.chains[scope] = tuple(self.scopes)

    def visit_Module(self, node: cst.Module) -> None:
        self._push(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes[-1].bind(node.name.value)
        self._push(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes[-1].bind(node.name.value)
        self._push(node)
        self._bind_params(node.params)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push(node)
        self._bind_params(node.params)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.scopes.pop()

    def _bind_params(self, params: cst.Parameters) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
        for param in every:
            self.scopes[-1].bind(param.name.value)
            if param.annotation is not None:
                annotations = self.scopes[-1].annotations.setdefault(param.name.value, [])
                annotations.append(param.annotation.annotation)

    def visit_Import(self, node: cst.Import) -> None:
        aliases = (
            (cst.helpers.get_full_name_for_node_or_raise(a.name), _asname(a)) for a in node.names
        )
        self.scopes[-1].imports.update(import_bindings(None, aliases))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = cst.helpers.get_full_name_for_node(node.module) if node.module else None
        aliases = ((a.name.value, _asname(a)) for a in node.names if isinstance(a.name, cst.Name))
        self.scopes[-1].imports.update(import_bindings(module, aliases, len(node.relative)))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            name = node.target.value
            self.scopes[-1].annotations.setdefault(name, []).append(node.annotation.annotation)
            self.scopes[-1].bind(name, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind_target(node.target, None)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_target(node.target, None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.asname.name, cst.Name):
            self.scopes[-1].context_managers[node.asname.name.value] = node.item
        if node.asname is not None:
            self._bind_target(node.asname.name, None)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name, None)

    def visit_Global(self, node: cst.Global) -> None:
        self.scopes[-1].declared_outer.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.scopes[-1].declared_outer.update(item.name.value for item in node.names)

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.scopes[-1].bind(target.value, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                if isinstance(element, cst.StarredElement) and isinstance(element.value, cst.Name):
                    # `first, *rest = ...` always makes `rest` a new list
                    self.scopes[-1].bind(element.value.value, element)
                else:
                    self._bind_target(element.value, None)


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None
