"""Registrations of async callbacks: LiteLLM's (its module lists by ``=``, ``+=``, ``append``,
``extend``, ``insert`` and ``setattr``; its callback manager; per-call ``callbacks=``) and the
registries named with ``--trk-callback-registries``; and whether what is registered is async:
an instance of a class of the module with a background hook, or an ``async def`` function."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from lint_rules.analysis.scopes import Names, Scopes
from lint_rules.engine.index import ModuleIndex
from lint_rules.engine.names import configured_names, import_bindings, positional
from lint_rules.rules import litellm
from lint_rules.rules.callbacks.graph import CallGraph, Item
from lint_rules.rules.callbacks.imports import project_callbacks
from lint_rules.settings import Settings


@dataclass(frozen=True)
class Registration:
    item: Item
    value: cst.BaseExpression | None  # what is registered (None: in another module)
    litellm: bool  # a LiteLLM registry (else one named with --trk-callback-registries)
    # a registration another module of the project makes when ``item`` (an import, a call)
    # runs: "12 of myapp/telemetry.py"; it registers an async callback
    where: str | None = None


def _imported_names(node: cst.CSTNode, names: Names, scopes: Scopes) -> Iterator[str]:
    """The qualified names an import statement makes Python import."""
    if isinstance(node, cst.Import):
        for alias in node.names:
            yield cst.helpers.get_full_name_for_node_or_raise(alias.name)
    elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        module = cst.helpers.get_full_name_for_node(node.module) if node.module else None
        aliases = ((a.name.value, None) for a in node.names if isinstance(a.name, cst.Name))
        for _, qualified in import_bindings(module, aliases, len(node.relative)):
            yield qualified


class Registrations:
    def __init__(self, graph: CallGraph, settings: Settings) -> None:
        self.graph = graph
        self.names = graph.names
        self.settings = settings
        self._registries = frozenset(litellm.REGISTRIES)
        self._configured = frozenset(configured_names(settings.callback_registries))

    def all(self) -> Iterator[Registration]:
        for item in self.graph.collected.assignments:
            yield from self._assignment_registrations(item)
        for item in self.graph.collected.calls:
            yield from self._call_registrations(item)

    def is_async_callback(self, registration: Registration) -> bool:
        if registration.value is None:
            return registration.where is not None
        return self._async_value(
            registration.value, registration.item.scopes, registration.litellm, 3
        )

    def in_project(self, index: ModuleIndex) -> Iterator[Registration]:
        """The registrations the project's other modules make when this module's imports
        and calls run (``lint_rules.rules.callbacks.imports``)."""
        if index.path is None or index.project is None:
            return
        callbacks = project_callbacks(self.settings)
        path, project = index.path, index.project
        for item in self.graph.collected.imports:
            for qualified in _imported_names(item.node, self.names, item.scopes):
                found = callbacks.imported(qualified, path, project)
                if found is not None:
                    yield Registration(item, None, found.litellm, found.describe(path))
                    break
        for item in self.graph.collected.calls:
            call = item.node
            assert isinstance(call, cst.Call)
            qualified = self.names.qualname(call.func, item.scopes)
            if qualified is None or self.graph.definitions(call.func, item.scopes):
                continue
            found = callbacks.called(qualified, path, project)
            if found is not None:
                yield Registration(item, None, found.litellm, found.describe(path))

    # -- where callbacks are registered ------------------------------------------------

    def _registry(self, node: cst.BaseExpression, scopes: Scopes) -> bool | None:
        """True for a LiteLLM registry, False for a configured one, None otherwise."""
        qualified = self.names.qualname(node, scopes)
        if qualified in self._registries:
            return True
        if qualified in self._configured:
            return False
        return None

    def _assignment_registrations(self, item: Item) -> Iterator[Registration]:
        node = item.node
        if isinstance(node, cst.Assign):
            for target in node.targets:
                # `callbacks = [...]` on a bare name rebinds the name, not LiteLLM's list
                if isinstance(target.target, cst.Attribute):
                    kind = self._registry(target.target, item.scopes)
                    if kind is not None:
                        yield Registration(item, node.value, kind)
        elif isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
            kind = self._registry(node.target, item.scopes)
            if kind is not None:
                yield Registration(item, node.value, kind)

    def _call_registrations(self, item: Item) -> Iterator[Registration]:
        call = item.node
        assert isinstance(call, cst.Call)
        func, scopes = call.func, item.scopes
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "extend", "insert"):
            kind = self._registry(func.value, scopes)
            value = positional(call, 1 if func.attr.value == "insert" else 0)
            if kind is not None and value is not None:
                yield Registration(item, value, kind)
            return
        qualified = self.names.qualname(func, scopes)
        if qualified and qualified.startswith(litellm.MANAGER) and "failure" not in qualified:
            value = positional(call, 0)
            if value is not None:
                yield Registration(item, value, True)
            return
        if (
            isinstance(func, cst.Name)
            and func.value == "setattr"
            and self.names.is_builtin("setattr", scopes)
        ):
            yield from self._setattr_registration(item, call)
            return
        if (qualified and qualified.startswith("litellm.")) or self._is_router_method(func, scopes):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value in litellm.PER_CALL_KEYWORDS:
                    yield Registration(item, arg.value, True)

    def _setattr_registration(self, item: Item, call: cst.Call) -> Iterator[Registration]:
        owner, attribute, value = (positional(call, n) for n in range(3))
        if owner is None or value is None or not isinstance(attribute, cst.SimpleString):
            return
        module = self.names.qualname(owner, item.scopes)
        name = attribute.evaluated_value
        if module is None or not isinstance(name, str):
            return
        qualified = f"{module}.{name}"
        if qualified in self._registries or qualified in self._configured:
            yield Registration(item, value, qualified in self._registries)

    def _is_router_method(self, func: cst.BaseExpression, scopes: Scopes) -> bool:
        if not isinstance(func, cst.Attribute):
            return False
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return self.names.qualname(receiver.func, scopes) in litellm.ROUTERS
        if isinstance(receiver, cst.Name):
            return any(
                isinstance(value, cst.Call)
                and self.names.qualname(value.func, scopes) in litellm.ROUTERS
                for value in self.graph.values(receiver.value, scopes)
            )
        return False

    # -- what is registered ------------------------------------------------------------

    def _async_value(
        self, node: cst.BaseExpression, scopes: Scopes, of_litellm: bool, depth: int
    ) -> bool:
        if depth < 0:
            return False
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return any(self._async_value(e.value, scopes, of_litellm, depth) for e in node.elements)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return any(
                self._async_value(operand, scopes, of_litellm, depth) for operand in _added(node)
            )
        if isinstance(node, cst.Call):
            return any(
                isinstance(d, cst.ClassDef) and self._has_async_hooks(d, of_litellm)
                for d in self.graph.definitions(node.func, scopes)
            )
        if isinstance(node, cst.Name):
            definitions = self.graph.definitions(node, scopes)
            if definitions:
                return any(
                    isinstance(d, cst.FunctionDef) and d.asynchronous is not None
                    for d in definitions
                )
            scope = self.graph.binding_scope(node.value, scopes)
            chain = self.names.chains.get(scope, scopes)
            return any(
                self._async_value(value, chain, of_litellm, depth - 1)
                for value in self.graph.values(node.value, scopes)
            )
        return False

    def _has_async_hooks(self, cls: cst.ClassDef, of_litellm: bool) -> bool:
        """``cls``, or a class it derives from that the module defines, has an async hook
        (walked with a stack, each class once: an inheritance chain may be long)."""
        visited = {cls}
        pending = [cls]
        while pending:
            current = pending.pop()
            for name, method in self.graph.collected.class_methods.get(current, {}).items():
                if method.asynchronous is None:
                    continue
                if name in litellm.BACKGROUND_HOOKS if of_litellm else not name.startswith("_"):
                    return True
            chain = self.graph.collected.def_chain[current]
            for base in current.bases:
                for parent in self.graph.definitions(base.value, chain):
                    if isinstance(parent, cst.ClassDef) and parent not in visited:
                        visited.add(parent)
                        pending.append(parent)
        return False


def _added(node: cst.BinaryOperation) -> list[cst.BaseExpression]:
    """The operands of ``a + b + c``, left to right (``+`` nests to the left)."""
    operands: list[cst.BaseExpression] = []
    current: cst.BaseExpression = node
    while isinstance(current, cst.BinaryOperation) and isinstance(current.operator, cst.Add):
        operands.append(current.right)
        current = current.left
    operands.append(current)
    return operands[::-1]
