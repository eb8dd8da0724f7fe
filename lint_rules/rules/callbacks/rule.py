"""TRK2xx: short-lived event loops that close before background callbacks finish.

``asyncio.run(main())`` cancels every task still pending when ``main()`` returns. Libraries
such as LiteLLM run async callbacks (``CustomLogger.async_log_success_event``) as background
tasks, and code that tracks its own tasks in a module-level set has the same problem: in a
short-lived script the work is cancelled silently. This family finds

* TRK201: an async callback registered with a callback registry (LiteLLM's lists, its
  callback manager, per-call ``callbacks=``; more with ``--trk-callback-registries``) and a
  short-lived entry point whose coroutine never awaits a drain (``--trk-drain-calls``);
* TRK202: a module-level tracking set that receives tasks and a short-lived entry point
  whose coroutine never awaits the set.

A *short-lived entry point* is ``asyncio.run(c())``, ``asyncio.Runner().run(c())`` (or a
``with asyncio.Runner() as r`` runner), or ``loop.run_until_complete(c())`` followed by
``loop.close()``, where ``c`` is a coroutine function of the module. The analysis is
module-local and deliberately conservative:

* a registration counts when it runs before the entry point returns: at module level or in
  the function holding the entry call (before it, in source order), or in a function of the
  module reached from there or from the entry coroutine by calls (plain names, classes
  through ``__init__``, and methods of the module's classes by name); a registration in a
  function nothing reaches is library code and does not count;
* a task added to the set counts only in the entry coroutine and what it calls (a task
  needs a running loop, and an earlier run's tasks died with its loop);
* a drain counts anywhere in the entry coroutine or in what it calls, or in a later
  ``run``/``run_until_complete`` on the same runner or loop;
* an entry coroutine that reaches ``serve_forever()``/``run_forever()`` or a ``while True:``
  loop that nothing leaves (no ``break``/``return``) is a long-running server, not a
  short-lived script;
* only callbacks LiteLLM runs in the background count (``BACKGROUND_HOOKS``, plain
  ``async def`` functions); failure hooks and the failure lists are awaited inline;
* callbacks are dispatched by awaited calls: an entry coroutine that (with what it calls)
  awaits nothing cannot leave a callback running.

The modules of this package: ``graph.py`` (what happens where, and the call graph),
``entries.py`` (short-lived entry points), ``registrations.py``, ``sets.py`` (tracking sets),
``drains.py``; ``fixes.py`` holds the ``--drain`` rewrite attached to both codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import libcst as cst

from lint_rules.analysis.flow import may_leave
from lint_rules.analysis.scopes import ScopedRule
from lint_rules.engine.index import ModuleIndex, Span
from lint_rules.engine.info import NO_SAFE_REWRITE
from lint_rules.engine.names import positional
from lint_rules.engine.rule import RuleContext
from lint_rules.rules import litellm
from lint_rules.rules.callbacks import codes
from lint_rules.rules.callbacks.drains import Drains, split_drain
from lint_rules.rules.callbacks.entries import Entries, Entry
from lint_rules.rules.callbacks.fixes import Drain, drain_fix
from lint_rules.rules.callbacks.graph import CallGraph, Collected, Definition, Item
from lint_rules.rules.callbacks.imports import imports_registrations
from lint_rules.rules.callbacks.registrations import Registration, Registrations
from lint_rules.rules.callbacks.sets import tracking_sets
from lint_rules.settings import Settings


def describe_drains(awaits: Sequence[tuple[str, str]]) -> str:
    """``await a() then b() (from m1, m2)``: what TRK201 asks to add."""
    calls = " then ".join(f"{path}()" for _, path in awaits)
    modules = ", ".join(dict.fromkeys(module for module, _ in awaits))
    return f"await {calls} (from {modules})"


def _is_endless(loop: cst.While) -> bool:
    """``while True:`` (or ``while 1:``) that no ``break``, ``return`` or ``raise`` leaves."""
    test = loop.test
    if not (
        (isinstance(test, cst.Name) and test.value == "True")
        or (isinstance(test, cst.Integer) and test.value != "0")
    ):
        return False
    return not may_leave(loop.body, breaks=True)


class CallbackRules(ScopedRule):
    INFOS = codes.INFOS
    TRIGGER = staticmethod(codes.trigger)

    @classmethod
    def regions(
        cls, index: ModuleIndex, settings: Settings, trigger_lines: Sequence[int]
    ) -> Iterable[Span]:
        """The whole module (the analysis follows calls across it), but only if the text
        has an entry-point call on a coroutine function it defines and a registration or a
        tracking set: most files with ``run(`` have neither."""
        text = "".join(index.lines)
        if not codes.runs_own_coroutine(text):
            return []
        registries = [name.rsplit(".", 1)[-1] for name in settings.callback_registries]
        words = "|".join(["callback", r"\.\s*add\b", *map(re.escape, registries)])
        if not re.search(words, text) and not (
            index.path is not None
            and index.project is not None
            and imports_registrations(text, index.path, index.project, settings)
        ):
            return []
        return [Span(1, max(len(index.lines), 1))]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.collected = Collected()

    # -- collecting --------------------------------------------------------------------

    def _item(self, node: cst.CSTNode) -> Item:
        collected = self.collected
        collected.last_seq += 1
        scopes = self.snapshot()
        owner = next(
            (s.node for s in reversed(scopes) if isinstance(s.node, cst.FunctionDef)), None
        )
        return Item(node, scopes, collected.last_seq, owner)  # type: ignore[arg-type]

    def _define(self, node: Definition) -> None:
        collected = self.collected
        scope = self.scopes[-1]
        collected.defs.setdefault(scope, {}).setdefault(node.name.value, []).append(node)
        collected.def_chain[node] = self.snapshot()
        if isinstance(node, cst.FunctionDef) and isinstance(scope.node, cst.ClassDef):
            collected.class_methods.setdefault(scope.node, {})[node.name.value] = node
            if not node.name.value.startswith("__"):
                collected.methods.setdefault(node.name.value, []).append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._define(node)
        super().visit_FunctionDef(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._define(node)
        super().visit_ClassDef(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.collected.calls.append(self._item(node))

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        self.collected.assignments.append(self._item(node))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        super().visit_AugAssign(node)
        self.collected.assignments.append(self._item(node))

    def visit_Import(self, node: cst.Import) -> None:
        super().visit_Import(node)
        self.collected.imports.append(self._item(node))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        super().visit_ImportFrom(node)
        self.collected.imports.append(self._item(node))

    def visit_Await(self, node: cst.Await) -> None:
        self.collected.awaits.append(self._item(node))

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        self.collected.loops.append(self._item(node))

    def visit_While(self, node: cst.While) -> None:
        if _is_endless(node):
            self.collected.endless.add(self._item(node).owner)

    # -- the analysis, once every scope is known -----------------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        graph = CallGraph(self.collected, self.names)
        registrations = Registrations(graph, self.settings)
        registered = [*registrations.all(), *registrations.in_project(self.index)]
        sets = tracking_sets(graph, self.settings)
        if not registered and not sets:
            return
        drains = Drains(graph, self.settings, frozenset(sets))
        entries = Entries(graph)
        for entry in entries.all():
            drain_scope = graph.closure([entry.coroutine])
            if any(drains.is_long_running(function) for function in drain_scope):
                continue
            roots = {entry.coroutine}
            for item in self.collected.calls:
                if graph.runs_before(item, entry.item, frozenset()):
                    roots.update(graph.callees(item))
            reached = graph.closure(roots) - {entry.item.owner}
            later_runs = entries.later_runs(entry)

            counted = [r for r in registered if graph.runs_before(r.item, entry.item, reached)]
            async_callbacks = [r for r in counted if registrations.is_async_callback(r)]
            # callbacks are dispatched by awaited calls (acompletion, ...): a coroutine that
            # awaits nothing cannot leave one running
            awaits = any(graph.awaits_in.get(function) for function in drain_scope)
            drained = any(drains.drains_callbacks(function) for function in drain_scope) or any(
                drains.expression_drains(run, scopes, None) for run, scopes in later_runs
            )
            if async_callbacks and awaits and not drained:
                self._report_callbacks(entry, async_callbacks)

            # tasks need a running loop: only the entry coroutine (and what it calls) can add
            # them to this loop, and an earlier run's tasks died with its loop
            for name, adds in sorted(sets.items()):
                if not any(add.owner in drain_scope for add in adds):
                    continue
                if any(drains.awaits_set(function, name) for function in drain_scope) or any(
                    drains.expression_drains(run, scopes, name) for run, scopes in later_runs
                ):
                    continue
                self._report_set(entry, name)

    def _report_set(self, entry: Entry, name: str) -> None:
        fix = None if self._shadows(entry.coroutine, name) else self._drain(entry, sets=(name,))
        coroutine = entry.coroutine.name.value
        self.report(
            entry.call,
            "TRK202",
            fix,
            no_fix=NO_SAFE_REWRITE,
            entry=entry.text,
            name=name,
            coroutine=coroutine,
        )

    def _drain(
        self,
        entry: Entry,
        *,
        sets: tuple[str, ...] = (),
        awaits: tuple[tuple[str, str], ...] = (),
    ) -> Drain | None:
        argument = positional(entry.call, 0)
        assert argument is not None, "an entry point runs the coroutine it is given"
        parent = self.context.parent
        return drain_fix(entry.call, argument, entry.coroutine, parent, sets=sets, awaits=awaits)

    def _shadows(self, coroutine: cst.FunctionDef, name: str) -> bool:
        """In ``coroutine``, ``name`` is not the module-level set (a drain written there
        would await something else)."""
        chain = next((c for s, c in self.names.chains.items() if s.node is coroutine), None)
        return chain is not None and self.names.scope_of(name, chain) is not None

    def _report_callbacks(self, entry: Entry, registrations: list[Registration]) -> None:
        first = min(registrations, key=lambda r: r.item.seq)
        of_litellm = any(r.litellm for r in registrations)
        awaits = (
            litellm.DRAINS if of_litellm else tuple(map(split_drain, self.settings.drain_calls))
        )
        if awaits:
            drain = describe_drains(awaits)
            fix = self._drain(entry, awaits=awaits)
        else:
            drain = "await your library's drain (name it with --trk-drain-calls)"
            fix = None
        self.report(
            entry.call,
            "TRK201",
            fix,
            no_fix=NO_SAFE_REWRITE,
            entry=entry.text,
            coroutine=entry.coroutine.name.value,
            line=first.where or self.context.line_of(first.item.node),
            drain=drain,
        )
