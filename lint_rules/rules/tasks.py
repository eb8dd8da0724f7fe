"""TRK1xx: asyncio tasks that nothing keeps alive.

The event loop keeps only a weak reference to a task; whatever creates one must keep it (await
it, store it, hand it on) or the garbage collector may destroy it mid-flight. This family finds
the task-creating calls (through import aliases, event-loop receivers and user factories) and
asks the escape analysis (``lint_rules.escape``) whether their result is kept.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence

import libcst as cst

from lint_rules import triggers
from lint_rules.escape import Verdict, Verdicts
from lint_rules.index import ModuleIndex, Span
from lint_rules.names import (
    FUTURE_FACTORIES,
    LOOP_FACTORIES,
    LOOP_TYPES,
    TASK_FACTORIES,
    TASKGROUP_TYPES,
    canonical,
)
from lint_rules.rule import Fix, RuleInfo
from lint_rules.scopes import Scope, ScopedRule, Scopes
from lint_rules.settings import Settings
from lint_rules.traversal import source_children

_KEEP_IT = "keep a reference (e.g. in a module-level set) or await it"

TRK101 = RuleInfo(
    code="TRK101",
    name="discarded-task",
    message="the task from {call}() is discarded and may be garbage-collected mid-run: " + _KEEP_IT,
    summary="A task-creating call whose result is thrown away on the spot.",
    explanation=(
        "The event loop holds only a weak reference to a running task. A task whose result\n"
        "nobody keeps can be garbage-collected while it is still pending: its work silently\n"
        "never finishes. This covers expression statements, comprehensions and conditional\n"
        "expressions used as statements, a method chained on the fresh task\n"
        "(create_task(c).add_done_callback(f)) and a task passed only to print/logging/str.\n"
        "ensure_future() given an existing future or task creates nothing: it is judged when\n"
        "given a call not known to return one, or a local name assigned only such calls and\n"
        "kept nowhere else (a name kept elsewhere is taken to hold a task already)."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def refresh_all(keys):\n"
        "    for key in keys:\n"
        "        asyncio.create_task(refresh(key))\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def refresh_all(keys):\n"
        "    for key in keys:\n"
        "        _task = asyncio.create_task(refresh(key))\n"
        "        _background_tasks.add(_task)\n"
        "        _task.add_done_callback(_background_tasks.discard)\n"
    ),
    autofix="expression statements and methods chained on the fresh task",
)
TRK102 = RuleInfo(
    code="TRK102",
    name="task-in-unkept-name",
    message="the task in '{name}' is never kept ({reason}): " + _KEEP_IT,
    summary="A task bound to a local name that never keeps it.",
    explanation=(
        "A local variable dies with its frame. A task bound to one is safe only if some use\n"
        "the binding reaches keeps it: awaiting, returning, storing on an attribute or a\n"
        "module-level container, passing it to a call, cancelling it. Unused names, '_', uses\n"
        "such as add_done_callback/print/logging, a rebinding before any keeping use, and a\n"
        "name rebound on every loop iteration (only the last task is kept) are reported.\n"
        "A name last bound in a function that then runs the event loop (run_forever,\n"
        "run_until_complete, asyncio.run) lives as long as the loop and is not reported."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def start(job):\n"
        "    task = asyncio.create_task(job.run())\n"
        "    task.add_done_callback(job.report)\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def start(job):\n"
        "    task = asyncio.create_task(job.run())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n"
        "    task.add_done_callback(job.report)\n"
    ),
    autofix="plain assignments (name = create_task(...)), annotated or chained",
)
TRK103 = RuleInfo(
    code="TRK103",
    name="task-in-local-container",
    message="the task is kept only in '{name}', a local container dropped with the function: "
    "await them (asyncio.gather(*{name})) or keep the container longer",
    summary="A task stored only in a container created in the function that never leaves it.",
    explanation=(
        "A set or list created inside a function is collected with the frame, and the tasks\n"
        "in it with it. Keeping tasks in a local set with a discard callback is the module-\n"
        "level pattern applied at the wrong scope. Await the container before returning, or\n"
        "move it to module or instance level."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def notify(users):\n"
        "    pending = set()\n"
        "    for user in users:\n"
        "        task = asyncio.create_task(user.notify())\n"
        "        pending.add(task)\n"
        "        task.add_done_callback(pending.discard)\n"
    ),
    good=(
        "import asyncio\n\n\n"
        "async def notify(users):\n"
        "    pending = set()\n"
        "    for user in users:\n"
        "        pending.add(asyncio.create_task(user.notify()))\n"
        "    await asyncio.gather(*pending)\n"
    ),
    autofix="",
)
TRK104 = RuleInfo(
    code="TRK104",
    name="task-in-loop-callback",
    message="the event loop discards what this {kind} returns, so its task is never kept: "
    "schedule a function that keeps the task",
    summary="A task created by a lambda or functools.partial that the event loop calls and "
    "whose return value it discards.",
    explanation=(
        "call_soon, call_later, call_at, add_signal_handler, add_reader, add_writer and\n"
        "signal.signal ignore what their callback returns. A lambda or functools.partial that\n"
        "creates a task there drops it at once; the task may be collected before it runs.\n"
        "Schedule a named function that stores the task in a tracking set instead."
    ),
    bad=(
        "import asyncio\n\n\n"
        "def schedule(loop, job):\n"
        "    loop.call_later(5, lambda: asyncio.create_task(job()))\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "def _start(job):\n"
        "    task = asyncio.create_task(job())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n\n\n"
        "def schedule(loop, job):\n"
        "    loop.call_later(5, _start, job)\n"
    ),
    autofix="",
)
TRK105 = RuleInfo(
    code="TRK105",
    name="discarded-threadsafe-future",
    message="the future from run_coroutine_threadsafe() is never kept, so its task may be "
    "garbage-collected: keep the future or call .result()",
    summary="The concurrent future returned by asyncio.run_coroutine_threadsafe() is thrown away.",
    explanation=(
        "run_coroutine_threadsafe() wraps the coroutine in a task on the target loop and\n"
        "returns a concurrent.futures.Future chained to it. The two reference only each other;\n"
        "if the caller drops the future, the pair can be collected before the task finishes."
    ),
    bad=(
        "import asyncio\n\n\n"
        "def submit(loop, coro):\n"
        "    asyncio.run_coroutine_threadsafe(coro, loop)\n"
    ),
    good=(
        "import asyncio\n\n\n"
        "def submit(loop, coro):\n"
        "    return asyncio.run_coroutine_threadsafe(coro, loop).result()\n"
    ),
    autofix="",
)
TRK106 = RuleInfo(
    code="TRK106",
    name="unawaited-gather",
    message="{call}() is neither awaited nor kept, so the tasks it wraps may be "
    "garbage-collected: await it",
    summary="asyncio.gather() or asyncio.shield() called and discarded without await.",
    explanation=(
        "gather() and shield() wrap their arguments in tasks and return a future that is the\n"
        "only strong link to them. Called as a statement without await, nothing waits for\n"
        "the result and nothing keeps the wrapped tasks alive."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def warm_up(cache, keys):\n"
        "    asyncio.gather(*(cache.load(key) for key in keys))\n"
    ),
    good=(
        "import asyncio\n\n\n"
        "async def warm_up(cache, keys):\n"
        "    await asyncio.gather(*(cache.load(key) for key in keys))\n"
    ),
    autofix="",
)

# loop methods that call a callback and throw its result away: callback argument position
_CALLBACK_POSITIONS = {
    "call_soon": 0,
    "call_soon_threadsafe": 0,
    "call_later": 1,
    "call_at": 1,
    "add_signal_handler": 1,
    "add_reader": 1,
    "add_writer": 1,
}
_NON_KEEPING_BUILTINS = frozenset(
    {"print", "str", "repr", "id", "type", "isinstance", "hash", "format", "bool", "ascii", "len"}
)
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
_FUTURE_METHODS = frozenset({"create_future", "run_in_executor"})  # loop methods
_LOOP_RUNNERS = frozenset({"run_forever", "run_until_complete"})  # loop methods that block
# functions that only inspect their argument
_NON_KEEPING_FUNCTIONS = frozenset(
    {"inspect.isawaitable", "inspect.iscoroutine", "asyncio.iscoroutine", "asyncio.isfuture"}
)
_FRESH_CONTAINERS = frozenset(
    {"collections.deque", "collections.defaultdict", "collections.OrderedDict"}
)


def _factory_names(settings: Settings) -> frozenset[str]:
    return TASK_FACTORIES | {canonical(name) for name in settings.task_factories}


def _code(node: cst.CSTNode) -> str:
    return " ".join(cst.Module([]).code_for_node(node).split())


class TaskRules(ScopedRule):
    INFOS = (TRK101, TRK102, TRK103, TRK104, TRK105, TRK106)
    TRIGGER = staticmethod(triggers.tasks)

    @classmethod
    def regions(
        cls, index: ModuleIndex, settings: Settings, trigger_lines: Sequence[int]
    ) -> Iterable[Span | None]:
        lines = set(trigger_lines)
        # `from asyncio import create_task as spawn`: lines that use the alias count too
        apis = _factory_names(settings) | {
            "asyncio.run_coroutine_threadsafe",
            "asyncio.gather",
            "asyncio.shield",
        }
        aliases = [
            local
            for local, qualified in index.imports.items()
            if canonical(qualified) in apis and local != qualified.rsplit(".", 1)[-1]
        ]
        if aliases:
            pattern = re.compile(rf"\b(?:{'|'.join(aliases)})\b")
            lines.update(n for n, text in enumerate(index.lines, 1) if pattern.search(text))
        return (index.enclosing_span(line) for line in sorted(lines))

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._verdicts: Verdicts | None = None  # made when the module is left
        self._judging: set[tuple[int, str]] = set()  # ensure_future(name) being judged
        factories = _factory_names(self.settings)
        self._factories = factories
        self._call_names = frozenset(
            {
                *triggers.TASK_API_NAMES,
                "Task",
                *triggers.AWAITED_API_NAMES,
                *(name.rsplit(".", 1)[-1] for name in factories),
            }
        )
        self._module_aliases = frozenset(self.index.imports)
        self._calls: list[tuple[cst.Call, Scopes]] = []
        self._registrations: list[tuple[cst.Call, Scopes]] = []

    # -- collecting --------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            name = func.attr.value
            if name in _CALLBACK_POSITIONS or name == "signal":
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

    def leave_Module(self, original_node: cst.Module) -> None:
        self._verdicts = verdicts = Verdicts(
            parent=self.context.parent,
            is_non_keeping_call=self._is_non_keeping_call,
            is_fresh_container_call=self._is_fresh_container_call,
        )
        callback_lambdas = self._check_loop_callbacks()
        for call, scopes in self._calls:
            kind = self._call_kind(call, scopes)
            if kind is None:
                continue
            scope = scopes[-1]
            verdict = verdicts.verdict(verdicts.flows(call, scope), scope, frozenset())
            if self._held_while_loop_runs(call, scope, verdict):
                continue
            if not verdict.kept:
                self._report_verdict(call, kind, verdict, callback_lambdas)

    # -- what a call is ----------------------------------------------------------------

    def _call_kind(self, call: cst.Call, scopes: Scopes) -> str | None:
        """ "task", "threadsafe" (run_coroutine_threadsafe), "gather" (gather/shield), or
        None for calls this family does not judge."""
        qualified = self.qualname(call.func, scopes)
        if qualified in self._factories:
            if qualified == "asyncio.ensure_future":
                # it returns a future it is given unchanged: judge only what surely makes a
                # new task
                argument = call.args[0].value if call.args else None
                if argument is None or not self._makes_new_task(argument, scopes):
                    return None
            return "task"
        if qualified == "asyncio.run_coroutine_threadsafe":
            return "threadsafe"
        if qualified in ("asyncio.gather", "asyncio.shield"):
            return "gather"
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "create_task":
            if self._is_event_loop(func.value, scopes):
                return "task"
        return None

    def _held_while_loop_runs(self, call: cst.Call, scope: Scope, verdict: Verdict) -> bool:
        """A name last bound to ``call`` in a frame that then runs the event loop: the frame,
        and the name in it, lives as long as the loop runs (``_f = ...; loop.run_forever()``)."""
        values = scope.values.get(verdict.name, ())
        return (
            verdict.via == "name"
            and not verdict.rebound
            and bool(values)
            and values[-1] is call
            and self._runs_loop_after(call, scope)
        )

    def _runs_loop_after(self, call: cst.Call, scope: Scope) -> bool:
        """The function holding ``call`` runs an event loop on a later line
        (``loop.run_forever()``, ``run_until_complete(...)``, ``asyncio.run(...)``)."""
        if not isinstance(scope.node, cst.FunctionDef):
            return False
        line = self.context.line_of(call)
        chain = self.chains[scope]
        pending = list(source_children(scope.node.body))
        while pending:
            node = pending.pop()
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                continue  # runs in another frame
            if isinstance(node, cst.Call) and self.context.line_of(node) > line:
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value in _LOOP_RUNNERS:
                    return True
                if self.qualname(func, chain) == "asyncio.run":
                    return True
            pending.extend(source_children(node))
        return False

    def _is_task_factory(self, node: cst.BaseExpression, scopes: Scopes) -> bool:
        """``node`` names a task factory (``asyncio.create_task``, ``loop.create_task``)."""
        if self.qualname(node, scopes) in self._factories:
            return True
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "create_task"
            and self._is_event_loop(node.value, scopes)
        )

    def _is_event_loop(self, node: cst.BaseExpression, scopes: Scopes) -> bool:
        if isinstance(node, cst.Call):
            return self.qualname(node.func, scopes) in LOOP_FACTORIES
        if isinstance(node, cst.Name):
            name = node.value
            scope = self.scope_of(name, scopes)
            if scope is not None:
                if self._is_task_group(name, scope):
                    return False
                if self._is_bound_to_loop(name, scope):
                    return True
            elif name in self.index.loop_names:
                return True
            return self._looks_like_loop(name)
        if isinstance(node, cst.Attribute):
            if self._looks_like_loop(node.attr.value):
                return True
            if isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
                # the call's position is cheap (see positions.py), the attribute's is not
                call = self.context.parent(self.context.parent(node))
                cls = self.index.enclosing_class(self.context.line_of(call))
                return cls is not None and self.index.class_binds_loop(cls, node.attr.value)
        return False

    def _looks_like_loop(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.settings.loop_names)

    def _is_bound_to_loop(self, name: str, scope: Scope) -> bool:
        chain = self.chains[scope]
        if any(
            isinstance(value, cst.Call) and self.qualname(value.func, chain) in LOOP_FACTORIES
            for value in scope.values.get(name, ())
        ):
            return True
        return any(
            qualified in LOOP_TYPES
            for annotation in scope.annotations.get(name, ())
            for qualified in self.annotation_qualnames(annotation, chain)
        )

    def _is_task_group(self, name: str, scope: Scope) -> bool:
        chain = self.chains[scope]
        manager = scope.context_managers.get(name)
        if isinstance(manager, cst.Call) and self.qualname(manager.func, chain) in TASKGROUP_TYPES:
            return True
        return any(
            qualified in TASKGROUP_TYPES
            for annotation in scope.annotations.get(name, ())
            for qualified in self.annotation_qualnames(annotation, chain)
        )

    def _makes_new_task(self, argument: cst.BaseExpression, scopes: Scopes) -> bool:
        """``ensure_future(argument)`` surely wraps a coroutine in a new task: ``argument``
        is a call not known to return a future, or a local name bound only to such calls
        whose other uses keep nothing (a name kept elsewhere is taken for a task already)."""
        if isinstance(argument, cst.Call):
            return not self._is_future(argument, scopes)
        if not isinstance(argument, cst.Name):
            return False
        scope = self.scope_of(argument.value, scopes)
        if scope is None or not scope.is_function or argument.value in scope.declared_outer:
            return False
        key = (id(scope), argument.value)
        if key in self._judging:
            return False  # `x = ensure_future(x)`: its value depends on itself
        self._judging.add(key)
        try:
            chain = self.chains[scope]
            values = scope.values.get(argument.value, [])
            if not values or not all(
                isinstance(value, cst.Call) and not self._is_future(value, chain)
                for value in values
            ):
                return False  # a parameter, a loop variable, a future: maybe a task already
        finally:
            self._judging.discard(key)
        verdicts = self._verdicts
        assert verdicts is not None, "judged only once the module is left"
        for use in verdicts.events(scope.node).get(argument.value, []):
            if use.is_binding or use.node is argument:
                continue
            if use.nested:
                return False
            if verdicts.verdict(verdicts.flows(use.node, scope), scope, frozenset()).kept:
                return False
        return True

    def _is_future(self, call: cst.Call, scopes: Scopes) -> bool:
        """``call`` returns a Future or Task (so ensure_future returns it as is)."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _FUTURE_METHODS:
            return True
        return (
            self.qualname(func, scopes) in FUTURE_FACTORIES
            or self._call_kind(call, scopes) == "task"
        )

    def _is_non_keeping_call(self, call: cst.Call, scope: Scope) -> bool:
        """print/str/repr/... and logging calls read their arguments and let go of them."""
        chain = self.chains[scope]
        func = call.func
        if isinstance(func, cst.Name) and func.value in _NON_KEEPING_BUILTINS:
            return self.is_builtin(func.value, chain)
        if self.qualname(func, chain) in _NON_KEEPING_FUNCTIONS:
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS:
            receiver = func.value
            if self.qualname(receiver, chain) == "logging":
                return True
            last = receiver.attr.value if isinstance(receiver, cst.Attribute) else None
            if isinstance(receiver, cst.Name):
                last = receiver.value
            return last is not None and "log" in last.lower()
        return False

    def _is_fresh_container_call(self, call: cst.Call, scope: Scope) -> bool:
        chain = self.chains[scope]
        func = call.func
        if isinstance(func, cst.Name) and func.value in ("set", "list", "dict"):
            return self.is_builtin(func.value, chain)
        return self.qualname(func, chain) in _FRESH_CONTAINERS

    # -- TRK104 ------------------------------------------------------------------------

    def _check_loop_callbacks(self) -> set[cst.Lambda]:
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
                and self.qualname(callback.func, scopes) == "functools.partial"
                and callback.args
                and self._is_task_factory(callback.args[0].value, scopes)
            ):
                self.report(callback, "TRK104", kind="functools.partial")
            elif self._is_task_factory(callback, scopes):
                self.report(callback, "TRK104", kind="task factory callback")
        return lambdas

    def _callback_argument(self, call: cst.Call, scopes: Scopes) -> cst.BaseExpression | None:
        func = call.func
        assert isinstance(func, cst.Attribute)
        if func.attr.value == "signal":
            if self.qualname(func, scopes) != "signal.signal":
                return None
            position = 1
        else:
            position = _CALLBACK_POSITIONS[func.attr.value]
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        return positional[position].value if len(positional) > position else None

    # -- reporting ---------------------------------------------------------------------

    def _report_verdict(
        self, call: cst.Call, kind: str, verdict: Verdict, callback_lambdas: set[cst.Lambda]
    ) -> None:
        name = _code(call.func)
        if kind == "threadsafe":
            if verdict.via in ("drop", "name", "container"):  # the future is never kept
                self.report(call, "TRK105")
        elif kind == "gather":
            if verdict.via == "drop" and verdict.how != "method":
                self.report(call, "TRK106", call=name)
        elif verdict.via == "drop":
            self.report(call, "TRK101", self._expression_fix(call), call=name)
        elif verdict.via == "name":
            fix = self._binding_fix(call)
            self.report(call, "TRK102", fix, name=verdict.name, reason=verdict.reason)
        elif verdict.via == "container":
            self.report(call, "TRK103", name=verdict.name)
        elif verdict.via == "lambda" and verdict.lambda_node in callback_lambdas:
            self.report(call, "TRK104", kind="lambda")

    def _parent(self, node: cst.CSTNode) -> cst.CSTNode:
        return self.context.parent(node)

    def _expression_fix(self, call: cst.Call) -> Fix | None:
        """``create_task(c)`` or ``create_task(c).method(...)`` as a whole statement."""
        statement = self._parent(call)
        if isinstance(statement, cst.Attribute):
            chained = self._parent(statement)
            if not (isinstance(chained, cst.Call) and chained.func is statement):
                return None
            statement = self._parent(chained)
        if isinstance(statement, cst.Expr):
            return Fix("track-expression", statement, call)
        return None

    def _binding_fix(self, call: cst.Call) -> Fix | None:
        """``name = create_task(c)`` (also annotated or chained ``a = b = ...``)."""
        statement = self._parent(call)
        if isinstance(statement, cst.Assign) and all(
            isinstance(target.target, cst.Name) for target in statement.targets
        ):
            name = statement.targets[0].target
        elif isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
            name = statement.target
        else:
            return None
        assert isinstance(name, cst.Name)
        return Fix("track-binding", statement, call, (name.value,))
