"""What a call is, for TRK1xx: does it make a task, on what receiver, and does a call that a
task is passed to keep it?

Calls are recognised through the names in scope (``lint_rules.analysis.scopes.Names``):
import aliases, event-loop receivers (``lint_rules.rules.tasks.loops``), task groups, user
factories (``--trk-task-factories``), futures that ``ensure_future()`` returns unchanged.
"""

from __future__ import annotations

import enum
import fnmatch

import libcst as cst

from lint_rules.analysis.escape import Verdicts
from lint_rules.analysis.flow import own_nodes
from lint_rules.analysis.scopes import Names, Scope, Scopes
from lint_rules.engine.names import canonical
from lint_rules.engine.rule import RuleContext
from lint_rules.rules.asyncio_api import (
    FUTURE_FACTORIES,
    FUTURE_METHODS,
    LOOP_FACTORIES,
    LOOP_RUNNERS,
    LOOP_TYPES,
    TASK_FACTORIES,
    TASKGROUP_TYPES,
)
from lint_rules.rules.tasks.loops import module_loops
from lint_rules.settings import Settings

_NON_KEEPING_BUILTINS = frozenset(
    {"print", "str", "repr", "id", "type", "isinstance", "hash", "format", "bool", "ascii", "len"}
)
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
# functions that only inspect their argument
_NON_KEEPING_FUNCTIONS = frozenset(
    {"inspect.isawaitable", "inspect.iscoroutine", "asyncio.iscoroutine", "asyncio.isfuture"}
)
_FRESH_CONTAINERS = frozenset(
    {"collections.deque", "collections.defaultdict", "collections.OrderedDict"}
)


class CallKind(enum.Enum):
    """The calls this family judges."""

    TASK = "task"  # create_task, Task(), ensure_future of a coroutine, <loop>.create_task
    THREADSAFE = "threadsafe"  # run_coroutine_threadsafe: its future is the task's only link
    GATHER = "gather"  # gather / shield: their future is the wrapped tasks' only link


def factory_names(settings: Settings) -> frozenset[str]:
    """The qualified names of the functions that make tasks (asyncio's and the user's)."""
    return TASK_FACTORIES | {canonical(name) for name in settings.task_factories}


class TaskCalls:
    """Recognises the calls of one module, once its traversal has recorded every scope."""

    def __init__(self, names: Names, context: RuleContext) -> None:
        self.names = names
        self.context = context
        self.settings = context.settings
        self.factories = factory_names(self.settings)
        self.verdicts = Verdicts(
            parent=context.parent,
            is_non_keeping_call=self.is_non_keeping_call,
            is_fresh_container_call=self.is_fresh_container_call,
        )
        self._judging: set[tuple[int, str]] = set()  # ensure_future(name) being judged

    def kind(self, call: cst.Call, scopes: Scopes) -> CallKind | None:
        """What ``call`` is, or None for calls this family does not judge."""
        qualified = self.names.qualname(call.func, scopes)
        if qualified in self.factories:
            if qualified == "asyncio.ensure_future":
                # it returns a future it is given unchanged: judge only what surely makes a
                # new task
                argument = call.args[0].value if call.args else None
                if argument is None or not self._makes_new_task(argument, scopes):
                    return None
            return CallKind.TASK
        if qualified == "asyncio.run_coroutine_threadsafe":
            return CallKind.THREADSAFE
        if qualified in ("asyncio.gather", "asyncio.shield"):
            return CallKind.GATHER
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "create_task":
            if self.is_event_loop(func.value, scopes):
                return CallKind.TASK
        return None

    def is_task_factory(self, node: cst.BaseExpression, scopes: Scopes) -> bool:
        """``node`` names a task factory (``asyncio.create_task``, ``loop.create_task``)."""
        if self.names.qualname(node, scopes) in self.factories:
            return True
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "create_task"
            and self.is_event_loop(node.value, scopes)
        )

    # -- event loops -------------------------------------------------------------------

    def is_event_loop(self, node: cst.BaseExpression, scopes: Scopes) -> bool:
        if isinstance(node, cst.Call):
            return self.names.qualname(node.func, scopes) in LOOP_FACTORIES
        if isinstance(node, cst.Name):
            name = node.value
            scope = self.names.scope_of(name, scopes)
            if scope is not None:
                if self._is_task_group(name, scope):
                    return False
                if self._is_bound_to_loop(name, scope):
                    return True
            elif name in module_loops(self.context.index).names:
                return True
            return self._looks_like_loop(name)
        if isinstance(node, cst.Attribute):
            if self._looks_like_loop(node.attr.value):
                return True
            if isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
                # the call's position is cheap (see positions.py), the attribute's is not
                call = self.context.parent(self.context.parent(node))
                index = self.context.index
                cls = index.enclosing_class(self.context.line_of(call))
                return cls is not None and module_loops(index).class_binds_loop(
                    cls, node.attr.value
                )
        return False

    def runs_loop_after(self, call: cst.Call, scope: Scope) -> bool:
        """The function holding ``call`` runs an event loop on a later line
        (``loop.run_forever()``, ``run_until_complete(...)``, ``asyncio.run(...)``)."""
        if not isinstance(scope.node, cst.FunctionDef):
            return False
        line = self.context.line_of(call)
        chain = self.names.chain(scope)
        for node in own_nodes(scope.node.body):
            if isinstance(node, cst.Call) and self.context.line_of(node) > line:
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value in LOOP_RUNNERS:
                    return True
                if self.names.qualname(func, chain) == "asyncio.run":
                    return True
        return False

    def _looks_like_loop(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.settings.loop_names)

    def _is_bound_to_loop(self, name: str, scope: Scope) -> bool:
        chain = self.names.chain(scope)
        if any(
            isinstance(value, cst.Call) and self.names.qualname(value.func, chain) in LOOP_FACTORIES
            for value in scope.values.get(name, ())
        ):
            return True
        return any(
            qualified in LOOP_TYPES
            for annotation in scope.annotations.get(name, ())
            for qualified in self.names.annotation_qualnames(annotation, chain)
        )

    def _is_task_group(self, name: str, scope: Scope) -> bool:
        chain = self.names.chain(scope)
        manager = scope.context_managers.get(name)
        if isinstance(manager, cst.Call):
            if self.names.qualname(manager.func, chain) in TASKGROUP_TYPES:
                return True
        return any(
            qualified in TASKGROUP_TYPES
            for annotation in scope.annotations.get(name, ())
            for qualified in self.names.annotation_qualnames(annotation, chain)
        )

    # -- futures -----------------------------------------------------------------------

    def _makes_new_task(self, argument: cst.BaseExpression, scopes: Scopes) -> bool:
        """``ensure_future(argument)`` surely wraps a coroutine in a new task: ``argument``
        is a call not known to return a future, or a local name bound only to such calls
        whose other uses keep nothing (a name kept elsewhere is taken for a task already)."""
        if isinstance(argument, cst.Call):
            return not self._is_future(argument, scopes)
        if not isinstance(argument, cst.Name):
            return False
        scope = self.names.scope_of(argument.value, scopes)
        if scope is None or not scope.is_function or argument.value in scope.declared_outer:
            return False
        key = (id(scope), argument.value)
        if key in self._judging:
            return False  # `x = ensure_future(x)`: its value depends on itself
        self._judging.add(key)
        try:
            chain = self.names.chain(scope)
            values = scope.values.get(argument.value, [])
            if not values or not all(
                isinstance(value, cst.Call) and not self._is_future(value, chain)
                for value in values
            ):
                return False  # a parameter, a loop variable, a future: maybe a task already
        finally:
            self._judging.discard(key)
        verdicts = self.verdicts
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
        if isinstance(func, cst.Attribute) and func.attr.value in FUTURE_METHODS:
            return True
        return (
            self.names.qualname(func, scopes) in FUTURE_FACTORIES
            or self.kind(call, scopes) is CallKind.TASK
        )

    # -- calls a task is passed to -----------------------------------------------------

    def is_non_keeping_call(self, call: cst.Call, scope: Scope) -> bool:
        """print/str/repr/... and logging calls read their arguments and let go of them."""
        chain = self.names.chain(scope)
        func = call.func
        if isinstance(func, cst.Name) and func.value in _NON_KEEPING_BUILTINS:
            return self.names.is_builtin(func.value, chain)
        if self.names.qualname(func, chain) in _NON_KEEPING_FUNCTIONS:
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in _LOG_METHODS:
            receiver = func.value
            if self.names.qualname(receiver, chain) == "logging":
                return True
            last = receiver.attr.value if isinstance(receiver, cst.Attribute) else None
            if isinstance(receiver, cst.Name):
                last = receiver.value
            return last is not None and "log" in last.lower()
        return False

    def is_fresh_container_call(self, call: cst.Call, scope: Scope) -> bool:
        chain = self.names.chain(scope)
        func = call.func
        if isinstance(func, cst.Name) and func.value in ("set", "list", "dict"):
            return self.names.is_builtin(func.value, chain)
        return self.names.qualname(func, chain) in _FRESH_CONTAINERS
