"""TRK1xx: asyncio tasks that nothing keeps alive.

The event loop keeps only a weak reference to a task; whatever creates one must keep it (await
it, store it, hand it on) or the garbage collector may destroy it mid-flight. This family finds
the task-creating calls (``calls.py``: through import aliases, event-loop receivers and user
factories) and asks the escape analysis (``lint_rules.analysis.escape``) whether their result
is kept; the rewrites it attaches are in ``fixes.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import libcst as cst

from lint_rules.analysis.escape import Drop, Loss, Verdict
from lint_rules.analysis.scopes import Scope, ScopedRule, Scopes
from lint_rules.engine.index import ModuleIndex, Span
from lint_rules.engine.info import NO_SAFE_REWRITE
from lint_rules.engine.names import canonical, code_of, positional
from lint_rules.engine.rule import RuleContext
from lint_rules.rules.asyncio_api import AWAITED_API_NAMES, CALLBACK_POSITIONS, TASK_API_NAMES
from lint_rules.rules.tasks import codes
from lint_rules.rules.tasks.calls import CallKind, TaskCalls, factory_names
from lint_rules.rules.tasks.fixes import binding_fix, expression_fix, keep_fix
from lint_rules.rules.tasks.imports import imported_factory_words
from lint_rules.rules.tasks.summaries import module_summaries
from lint_rules.settings import Settings


def _is_done_callback(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_done_callback"


class TaskRules(ScopedRule):
    INFOS = codes.INFOS
    TRIGGER = staticmethod(codes.trigger)

    @classmethod
    def regions(
        cls, index: ModuleIndex, settings: Settings, trigger_lines: Sequence[int]
    ) -> Iterable[Span | None]:
        lines = set(trigger_lines)
        # `from asyncio import create_task as spawn`: lines that use the alias count too,
        # and so do the lines that call the module's own task factories
        apis = factory_names(settings) | {
            "asyncio.run_coroutine_threadsafe",
            "asyncio.gather",
            "asyncio.shield",
        }
        aliases = [
            local
            for local, qualified in index.imports.items()
            if canonical(qualified) in apis and local != qualified.rsplit(".", 1)[-1]
        ]
        names = [*aliases, *sorted(module_summaries(index, settings).task_factories)]
        if names:
            pattern = re.compile(rf"\b(?:{'|'.join(names)})\b")
            lines.update(n for n, text in enumerate(index.lines, 1) if pattern.search(text))
        return (index.enclosing_span(line) for line in sorted(lines))

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._call_names = frozenset(
            {
                *TASK_API_NAMES,
                "Task",
                *AWAITED_API_NAMES,
                *(name.rsplit(".", 1)[-1] for name in factory_names(self.settings)),
                *module_summaries(self.index, self.settings).task_factories,
                *self._imported_factory_words(),
            }
        )
        self._module_aliases = frozenset(self.index.imports)
        self._calls: list[tuple[cst.Call, Scopes]] = []
        self._registrations: list[tuple[cst.Call, Scopes]] = []

    def _imported_factory_words(self) -> tuple[str, ...]:
        index = self.index
        if index.path is None or index.project is None:
            return ()
        project, path, settings = index.project, index.path, self.settings
        # once per module, not per span: joining and hashing a large file's text is not free
        return index.cached(
            (imported_factory_words, settings),
            lambda: imported_factory_words("".join(index.lines), path, project, settings),
        )

    # -- collecting --------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in CALLBACK_POSITIONS or name == "signal":
                self._registrations.append((node, self.snapshot()))
        elif isinstance(func, cst.Name):
            name = func.value
        else:
            return
        if name in self._call_names or (
            isinstance(func, cst.Name)
            and (name in self._module_aliases or any(name in s.imports for s in self.scopes))
        ):
            self._calls.append((node, self.snapshot()))

    # -- judging, once every scope is known ----------------------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        calls = TaskCalls(self.names, self.context)
        verdicts = calls.verdicts
        callback_lambdas = self._check_loop_callbacks(calls)
        for call, scopes in self._calls:
            kind = calls.kind(call, scopes)
            if kind is None:
                continue
            scope = scopes[-1]
            holder = "future" if kind is CallKind.THREADSAFE else "task"
            flows = verdicts.flows(call, scope, holder)
            verdict = verdicts.verdict(flows, scope, frozenset(), holder)
            if self._held_while_loop_runs(call, scope, verdict, calls):
                continue
            if not verdict.kept:
                self._report(call, kind, verdict, callback_lambdas)

    def _held_while_loop_runs(
        self, call: cst.Call, scope: Scope, verdict: Verdict, calls: TaskCalls
    ) -> bool:
        """A name last bound to ``call`` in a frame that then runs the event loop: the frame,
        and the name in it, lives as long as the loop runs (``_f = ...; loop.run_forever()``)."""
        values = scope.values.get(verdict.name, ())
        return (
            verdict.loss is Loss.NAME
            and not verdict.rebound
            and bool(values)
            and values[-1] is call
            and calls.runs_loop_after(call, scope)
        )

    # -- TRK104 ------------------------------------------------------------------------

    def _check_loop_callbacks(self, calls: TaskCalls) -> set[cst.Lambda]:
        """Report partials and bare factories given to callback APIs; return the lambdas
        given to them (their tasks are judged with the other calls)."""
        lambdas: set[cst.Lambda] = set()
        for call, scopes in self._registrations:
            callback = self._callback_argument(call, scopes)
            if callback is None:
                continue
            if isinstance(callback, cst.Lambda):
                lambdas.add(callback)
            elif (
                isinstance(callback, cst.Call)
                and self.names.qualname(callback.func, scopes) == "functools.partial"
                and callback.args
                and calls.is_task_factory(callback.args[0].value, scopes)
            ):
                self.report(callback, "TRK104", no_fix=NO_SAFE_REWRITE, kind="functools.partial")
            elif calls.is_task_factory(callback, scopes) and not _is_done_callback(call):
                # (a done callback is called with the future: ensure_future() gives it back)
                self.report(
                    callback, "TRK104", no_fix=NO_SAFE_REWRITE, kind="task factory callback"
                )
        return lambdas

    def _callback_argument(self, call: cst.Call, scopes: Scopes) -> cst.BaseExpression | None:
        func = call.func
        assert isinstance(func, cst.Attribute)
        if func.attr.value == "signal":
            if self.names.qualname(func, scopes) != "signal.signal":
                return None
            return positional(call, 1)
        return positional(call, CALLBACK_POSITIONS[func.attr.value])

    # -- reporting ---------------------------------------------------------------------

    def _report(
        self, call: cst.Call, kind: CallKind, verdict: Verdict, callback_lambdas: set[cst.Lambda]
    ) -> None:
        name = code_of(call.func)
        loss = verdict.loss
        parent = self.context.parent
        if kind is CallKind.THREADSAFE:
            if loss in (Loss.DISCARDED, Loss.NAME, Loss.CONTAINER):  # the future is never kept
                self.report(call, "TRK105")
        elif kind is CallKind.GATHER:
            if loss is Loss.DISCARDED and verdict.how is not Drop.METHOD:
                self.report(call, "TRK106", call=name)
        elif loss is Loss.DISCARDED:
            fix = expression_fix(call, parent)
            self.report(call, "TRK101", fix, no_fix=NO_SAFE_REWRITE, call=name)
        elif loss is Loss.NAME:
            fix = binding_fix(call, parent)
            self.report(
                call,
                "TRK102",
                fix,
                no_fix=NO_SAFE_REWRITE,
                name=verdict.name,
                reason=verdict.reason,
            )
        elif loss is Loss.CONTAINER:
            self.report(call, "TRK103", name=verdict.name)
        elif loss is Loss.LAMBDA and verdict.lambda_node in callback_lambdas:
            fix = keep_fix(call, parent)
            self.report(call, "TRK104", fix, no_fix=NO_SAFE_REWRITE, kind="lambda")
