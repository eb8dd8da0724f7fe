"""Tracking sets: module-level sets that receive tasks (``tasks.add(task)`` of a task, or a set
whose ``discard`` is some task's done callback), with the places that add to them."""

from __future__ import annotations

import libcst as cst

from lint_rules.analysis.scopes import Scopes
from lint_rules.engine.names import canonical, positional
from lint_rules.rules.asyncio_api import TASK_FACTORIES
from lint_rules.rules.callbacks.graph import CallGraph, Item
from lint_rules.settings import Settings


def tracking_sets(graph: CallGraph, settings: Settings) -> dict[str, list[Item]]:
    """Module-level sets that receive tasks, with the places that add them."""
    factories = TASK_FACTORIES | {canonical(name) for name in settings.task_factories}
    calls = graph.collected.calls
    discarded = {name for item in calls if (name := _discard_callback(item)) is not None}
    sets: dict[str, list[Item]] = {}
    for item in calls:
        call = item.node
        assert isinstance(call, cst.Call)
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == "add"
            and isinstance(func.value, cst.Name)
            and _is_module_set(graph, func.value, item.scopes)
        ):
            continue
        name = func.value.value
        added = positional(call, 0)
        if name in discarded or (
            added is not None and _is_task(graph, added, item.scopes, factories)
        ):
            sets.setdefault(name, []).append(item)
    return sets


def _discard_callback(item: Item) -> str | None:
    """``<task>.add_done_callback(<set>.discard)``: the set's name."""
    call = item.node
    assert isinstance(call, cst.Call)
    func = call.func
    argument = positional(call, 0)
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "add_done_callback"
        and isinstance(argument, cst.Attribute)
        and argument.attr.value == "discard"
        and isinstance(argument.value, cst.Name)
    ):
        return argument.value.value
    return None


def _is_module_set(graph: CallGraph, node: cst.Name, scopes: Scopes) -> bool:
    if graph.names.scope_of(node.value, scopes) is not None:
        return False
    return any(
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "set"
        and not value.args
        for value in scopes[0].values.get(node.value, ())
    )


def _is_task(
    graph: CallGraph, node: cst.BaseExpression, scopes: Scopes, factories: frozenset[str]
) -> bool:
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("create_task", "ensure_future"):
            return True
        return graph.names.qualname(func, scopes) in factories
    if isinstance(node, cst.Name):
        return any(
            isinstance(value, cst.Call) and _is_task(graph, value, scopes, factories)
            for value in graph.values(node.value, scopes)
        )
    return False
