"""What drains the work a short-lived entry point leaves running, and what never ends.

A drain counts anywhere in the entry coroutine or in what it calls, or in a later
``run``/``run_until_complete`` on the same runner or loop: a library's drain call (LiteLLM's,
a batch logger's ``flush_queue()``, ``--trk-drain-calls``), a gather/wait over a tracking
set, or ``for task in <set>: await task``. An entry coroutine that reaches
``serve_forever()``/``run_forever()`` or a ``while True:`` loop that nothing leaves is a
long-running server, not a short-lived script.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from lint_rules.analysis.flow import own_nodes
from lint_rules.analysis.scopes import Scopes
from lint_rules.rules import litellm
from lint_rules.rules.asyncio_api import LONG_RUNNING_METHODS, SET_WAITERS
from lint_rules.rules.callbacks.graph import CallGraph, Item
from lint_rules.settings import Settings


def split_drain(name: str) -> tuple[str, str]:
    """``mylib.worker:WORKER.flush`` or ``mylib.flush`` -> (module, attribute path)."""
    if ":" in name:
        module, _, path = name.partition(":")
        return module, path
    module, _, path = name.rpartition(".")
    return module, path


class Drains:
    def __init__(self, graph: CallGraph, settings: Settings, set_names: frozenset[str]) -> None:
        self.graph = graph
        self.names = graph.names
        self.set_names = set_names  # the module's tracking sets
        self._drains = frozenset(
            f"{module}.{path}"
            for module, path in (*litellm.DRAINS, *map(split_drain, settings.drain_calls))
        )

    def drains_callbacks(self, function: cst.FunctionDef) -> bool:
        return any(
            self._is_drain_call(call, scopes) or self._waits_on(call, scopes, self.set_names)
            for call, scopes in self._awaited_calls(function)
        ) or any(self.awaits_set(function, name) for name in self.set_names)

    def awaits_set(self, function: cst.FunctionDef, name: str) -> bool:
        names = frozenset({name})
        if any(
            self._waits_on(call, scopes, names) for call, scopes in self._awaited_calls(function)
        ):
            return True
        return any(
            self._loop_awaits(item, names)
            for item in self.graph.collected.loops
            if item.owner is function
        )

    def expression_drains(
        self, node: cst.BaseExpression, scopes: Scopes, set_name: str | None
    ) -> bool:
        """A later ``run(<node>)`` on the entry's runner or loop drains the callbacks
        (``set_name`` None) or the set: a drain call, a wait on the set, or a coroutine of
        the module that drains."""
        coroutine = self.graph.coroutine(node, scopes)
        if coroutine is not None:
            closure = self.graph.closure([coroutine])
            if set_name is None:
                return any(self.drains_callbacks(function) for function in closure)
            return any(self.awaits_set(function, set_name) for function in closure)
        names = self.set_names if set_name is None else frozenset({set_name})
        return any(
            isinstance(call, cst.Call)
            and (
                (set_name is None and self._is_drain_call(call, scopes))
                or self._waits_on(call, scopes, names)
            )
            for call in own_nodes(node)
        )

    def is_long_running(self, function: cst.FunctionDef) -> bool:
        """A server: ``serve_forever()``/``run_forever()``, or a ``while True:`` loop that
        nothing leaves (its tasks are meant to die with the process)."""
        return function in self.graph.collected.endless or any(
            isinstance(item.node, cst.Call)
            and isinstance(item.node.func, cst.Attribute)
            and item.node.func.attr.value in LONG_RUNNING_METHODS
            for item in self.graph.calls_in.get(function, ())
        )

    def _is_drain_call(self, call: cst.Call, scopes: Scopes) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == litellm.BATCH_DRAIN_METHOD:
            return True
        return self.names.qualname(func, scopes) in self._drains

    def _mentions(self, node: cst.CSTNode, names: frozenset[str], scopes: Scopes) -> bool:
        """A module-level name in ``names`` occurs in ``node``."""
        return any(
            isinstance(inner, cst.Name)
            and inner.value in names
            and self.names.scope_of(inner.value, scopes) is None
            for inner in own_nodes(node)
        )

    def _waits_on(self, call: cst.Call, scopes: Scopes, names: frozenset[str]) -> bool:
        """``call`` is gather/wait/... over one of the module-level sets ``names``."""
        return self.names.qualname(call.func, scopes) in SET_WAITERS and any(
            self._mentions(arg, names, scopes) for arg in call.args
        )

    def _awaited_calls(self, function: cst.FunctionDef) -> Iterator[tuple[cst.Call, Scopes]]:
        for item in self.graph.awaits_in.get(function, ()):
            for node in own_nodes(item.node):
                if isinstance(node, cst.Call):
                    yield node, item.scopes

    def _loop_awaits(self, item: Item, names: frozenset[str]) -> bool:
        """``for task in <set>: await task`` (or over list(<set>), ...)."""
        loop = item.node
        assert isinstance(loop, cst.For)
        if not isinstance(loop.target, cst.Name) or not self._mentions(
            loop.iter, names, item.scopes
        ):
            return False
        target = loop.target.value
        return any(
            isinstance(node, cst.Await)
            and isinstance(node.expression, cst.Name)
            and node.expression.value == target
            for node in own_nodes(loop.body)
        )
