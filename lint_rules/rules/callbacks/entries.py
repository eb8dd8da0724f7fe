"""Short-lived entry points: ``asyncio.run(c())``, ``asyncio.Runner().run(c())`` (or a
``with asyncio.Runner() as r`` runner), and ``loop.run_until_complete(c())`` followed by
``loop.close()``, where ``c`` is a coroutine function of the module."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from lint_rules.analysis.scopes import Scopes
from lint_rules.engine.names import positional
from lint_rules.rules.callbacks.graph import CallGraph, Item


class Runs(enum.Enum):
    """What runs the entry coroutine."""

    RUN = "run"  # asyncio.run()
    RUNNER = "runner"  # asyncio.Runner().run()
    LOOP = "loop"  # loop.run_until_complete()


@dataclass(frozen=True)
class Entry:
    call: cst.Call
    item: Item
    coroutine: cst.FunctionDef
    runs: Runs
    text: str  # how the message names it
    receiver: tuple[int, str] | None  # the runner or loop it runs on, if named


class Entries:
    def __init__(self, graph: CallGraph) -> None:
        self.graph = graph
        self.names = graph.names

    def all(self) -> Iterator[Entry]:
        """Every short-lived entry point; on a named runner or loop, only the last run of a
        coroutine before the loop closes (the earlier runs' tasks live on until then)."""
        candidates = [
            entry for item in self.graph.collected.calls if (entry := self._entry(item)) is not None
        ]
        for entry in candidates:
            if entry.receiver is None:
                yield entry
                continue
            close = self._closing_seq(entry)
            if close is None:
                continue
            if not any(
                other.receiver == entry.receiver
                and other.item.owner is entry.item.owner
                and entry.item.seq < other.item.seq < close
                for other in candidates
            ):
                yield entry

    def later_runs(self, entry: Entry) -> list[tuple[cst.BaseExpression, Scopes]]:
        """What later runs on the same runner or loop, before it closes, run."""
        if entry.receiver is None:
            return []
        close = self._closing_seq(entry) or entry.item.seq
        method = "run" if entry.runs is Runs.RUNNER else "run_until_complete"
        found = []
        for item in self._receiver_calls(entry, method):
            argument = positional(item.node, 0)  # type: ignore[arg-type]
            if item.seq < close and argument is not None:
                found.append((argument, item.scopes))
        return found

    def _entry(self, item: Item) -> Entry | None:
        call = item.node
        assert isinstance(call, cst.Call)
        func, scopes = call.func, item.scopes
        coroutine = self.graph.coroutine(positional(call, 0), scopes)
        if coroutine is None:
            return None
        if self.names.qualname(func, scopes) == "asyncio.run":
            return Entry(call, item, coroutine, Runs.RUN, "asyncio.run()", None)
        if not isinstance(func, cst.Attribute):
            return None
        receiver = func.value
        if func.attr.value == "run":
            if isinstance(receiver, cst.Call) and self._is_runner(receiver, scopes):
                return Entry(call, item, coroutine, Runs.RUNNER, "asyncio.Runner().run()", None)
            if isinstance(receiver, cst.Name) and self._is_runner_name(receiver.value, scopes):
                key = self._receiver_key(receiver.value, scopes)
                return Entry(call, item, coroutine, Runs.RUNNER, f"{receiver.value}.run()", key)
        elif func.attr.value == "run_until_complete" and isinstance(receiver, cst.Name):
            key = self._receiver_key(receiver.value, scopes)
            text = f"{receiver.value}.run_until_complete() followed by {receiver.value}.close()"
            return Entry(call, item, coroutine, Runs.LOOP, text, key)
        return None

    def _receiver_key(self, name: str, scopes: Scopes) -> tuple[int, str]:
        return id(self.graph.binding_scope(name, scopes)), name

    def _is_runner(self, node: cst.BaseExpression, scopes: Scopes) -> bool:
        return (
            isinstance(node, cst.Call)
            and self.names.qualname(node.func, scopes) == "asyncio.Runner"
        )

    def _is_runner_name(self, name: str, scopes: Scopes) -> bool:
        scope = self.graph.binding_scope(name, scopes)
        chain = self.names.chains.get(scope, scopes)
        manager = scope.context_managers.get(name)
        if manager is not None and self._is_runner(manager, chain):
            return True
        return any(self._is_runner(value, chain) for value in self.graph.values(name, scopes))

    def _receiver_calls(self, entry: Entry, method: str) -> Iterator[Item]:
        """Calls of ``<receiver>.<method>(...)`` on the entry's runner or loop, after the
        entry call, in the same function."""
        for item in self.graph.calls_in.get(entry.item.owner, ()):
            call = item.node
            assert isinstance(call, cst.Call)
            func = call.func
            if (
                item.seq > entry.item.seq
                and isinstance(func, cst.Attribute)
                and func.attr.value == method
                and isinstance(func.value, cst.Name)
                and self._receiver_key(func.value.value, item.scopes) == entry.receiver
            ):
                yield item

    def _closing_seq(self, entry: Entry) -> int | None:
        """Where the entry's loop is closed: ``close()``; a runner used as a context manager
        (or never closed) lives to the end of the module at most."""
        close = min((item.seq for item in self._receiver_calls(entry, "close")), default=None)
        if close is None and entry.runs is Runs.RUNNER:
            return self.graph.collected.last_seq + 1
        return close
