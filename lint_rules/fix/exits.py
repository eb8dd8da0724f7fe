"""What ``--drain`` asks of an entry coroutine before wrapping its entry point: whether it
is a generator (a ``return`` there does not end the work a caller iterates over) and whether
it ever returns normally (a drain after a coroutine that never returns would never run)."""

from __future__ import annotations

import libcst as cst

from lint_rules.analysis.flow import own_nodes, suite_always_leaves


def is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Yield) for node in own_nodes(function.body))


def exit_count(function: cst.FunctionDef) -> int:
    """How many places control leaves the function normally: its own ``return``
    statements (not those of nested functions), and the end of the body when control can
    reach it."""
    returns = [node for node in own_nodes(function.body) if isinstance(node, cst.Return)]
    return len(returns) + (not suite_always_leaves(function.body))
