"""What a call is, for TRK1xx: does it make a task, on what receiver, and does a call that a
task is passed to keep it?

Calls are recognised through the names in scope (``lint_rules.analysis.scopes.Names``):
import aliases, event-loop receivers (``lint_rules.rules.tasks.loops``), task groups, user
factories (``--trk-task-factories``), futures that ``ensure_future()`` returns unchanged, and
the summaries of the module's own functions (``lint_rules.rules.tasks.summaries``): a helper
that returns a fresh task, a future or the loop, or never keeps what it is given.
"""

from __future__ import annotations

import ast
import enum
import fnmatch

import libcst as cst

from lint_rules.analysis.escape import Verdicts
from lint_rules.analysis.flow import own_nodes
from lint_rules.analysis.scopes import Names, Scope, Scopes
from lint_rules.engine.names import annotation_parts, canonical
from lint_rules.engine.rule import RuleContext
from lint_rules.rules.asyncio_api import (
    FUTURE_FACTORIES,
    FUTURE_METHODS,
    LOG_METHODS,
    LOOP_FACTORIES,
    LOOP_RUNNERS,
    LOOP_TYPES,
    NON_KEEPING_BUILTINS,
    NON_KEEPING_FUNCTIONS,
    TASK_FACTORIES,
    TASKGROUP_TYPES,
)
from lint_rules.rules.tasks.loops import module_loops
from lint_rules.rules.tasks.summaries import Callee, Returns, module_summaries
from lint_rules.settings import Settings

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
        self.summaries = module_summaries(context.index, self.settings)
        self.verdicts = Verdicts(
            parent=context.parent,
            drops_argument=self.drops_argument,
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
        if self.returns(call, scopes, tasks_only=True) is Returns.TASK:
            return CallKind.TASK  # a helper of the module that returns a fresh task
        if isinstance(func, cst.Attribute):
            if self._method_qualname(func, scopes) in self.factories:
                return CallKind.TASK  # `--trk-task-factories pkg.mod.Class.method`
        return None

    # -- the module's own functions ----------------------------------------------------

    def callees(self, call: cst.Call, scopes: Scopes, *, tasks_only: bool = False) -> list[Callee]:
        """The functions of the project ``call`` runs: a function of the module or one it
        imports from another module of the project, by its name; a method through
        ``self``/``cls`` or a receiver annotated or constructed as a class of the project.
        Empty when it cannot be told."""
        func, summaries = call.func, self.summaries
        if isinstance(func, cst.Name):
            if self.names.scope_of(func.value, scopes) is not None:
                return []  # a local name
            function = summaries.module_function(func.value)
            if function is not None:
                return [summaries.callee(function)]
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            receiver, method = func.value.value, func.attr.value
            if receiver in ("self", "cls"):
                cls = self.context.index.enclosing_class(self.context.line_of(call))
                found = summaries.method(cls, method) if cls is not None else None
                return [summaries.callee(found)] if found is not None else []
            name = self._receiver_class(receiver, scopes)
            if name is not None:
                cls = summaries.class_named(name)
                if cls is not None:
                    found = summaries.method(cls, method)
                    return [summaries.callee(found)] if found is not None else []
                qualified = self.names.qualname_of_parts([name], scopes)
                if qualified is None:
                    return []
                return summaries.first_party(f"{qualified}.{method}", tasks_only=tasks_only)
        qualified = self.names.qualname(func, scopes)
        if qualified is None:
            return []
        return summaries.first_party(qualified, tasks_only=tasks_only)

    def returns(self, call: cst.Call, scopes: Scopes, *, tasks_only: bool = False) -> Returns:
        """What ``call`` gives back, as far as the project's code tells; with
        ``tasks_only``, only whether that is a task (fewer other modules are read)."""
        callees = self.callees(call, scopes, tasks_only=tasks_only)
        return self.summaries.returns(callees) if callees else Returns.UNKNOWN

    def _receiver_class(self, name: str, scopes: Scopes) -> str | None:
        """The name of the class a receiver name holds (a class of the module, or one it
        imports): annotated with it, or bound only to calls of it."""
        scope = self.names.scope_of(name, scopes)
        if scope is None:
            values = self.context.index.bindings.get(name, [])
            annotations = self.context.index.annotations.get(name, [])
        else:
            values = scope.values.get(name, [])
            annotations = scope.annotations.get(name, [])
        classes = {
            parts[0]
            for annotation in annotations
            for parts in annotation_parts(annotation)
            if len(parts) == 1
        }
        for value in values:
            if value is None and classes:
                continue  # an annotated parameter
            func = getattr(value, "func", None)
            if isinstance(func, (cst.Name, ast.Name)):
                classes.add(func.value if isinstance(func, cst.Name) else func.id)
            else:
                return None  # bound to something else as well
        if len(classes) != 1:
            return None
        found = classes.pop()
        return found if self.names.scope_of(found, scopes) is None else None

    def _method_qualname(self, func: cst.Attribute, scopes: Scopes) -> str | None:
        """``pkg.mod.Class.method`` for ``x.method`` when ``x`` holds an imported class's
        instance (annotated with it or constructed from it)."""
        if not isinstance(func.value, cst.Name):
            return None
        scope = self.names.scope_of(func.value.value, scopes)
        annotations = scope.annotations.get(func.value.value, []) if scope is not None else []
        values = scope.values.get(func.value.value, []) if scope is not None else []
        chain = self.names.chain(scope) if scope is not None else scopes
        kinds = {
            qualified
            for annotation in annotations
            for qualified in self.names.annotation_qualnames(annotation, chain)
        }
        kinds |= {
            self.names.qualname(value.func, chain)
            for value in values
            if isinstance(value, cst.Call)
        }
        if len(kinds) != 1 or None in kinds:
            return None
        return f"{kinds.pop()}.{func.attr.value}"

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
            if self.names.qualname(node.func, scopes) in LOOP_FACTORIES:
                return True
            return self.returns(node, scopes) is Returns.LOOP
        if isinstance(node, cst.Name):
            name = node.value
            scope = self.names.scope_of(name, scopes)
            if scope is not None:
                if self._is_task_group(name, scope):
                    return False
                if self._is_bound_to_loop(name, scope):
                    return True
            elif name in module_loops(self.context.index, self.settings).names:
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
                return cls is not None and module_loops(index, self.settings).class_binds_loop(
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
        if self.names.qualname(func, scopes) in FUTURE_FACTORIES:
            return True
        if self.returns(call, scopes) in (Returns.FUTURE, Returns.TASK, Returns.LOOP):
            return True
        if isinstance(func, cst.Attribute) and not self.callees(call, scopes):
            # a method of an unknown receiver, but the module defines it only as plain
            # functions that return futures
            methods = [
                self.summaries.callee(m) for m in self.summaries.methods_named(func.attr.value)
            ]
            if methods and self.summaries.returns(methods) is Returns.FUTURE:
                return True
        return self.kind(call, scopes) is CallKind.TASK

    # -- calls a task is passed to -----------------------------------------------------

    def drops_argument(self, call: cst.Call, argument: cst.Arg, scope: Scope) -> bool:
        """``call`` reads ``argument`` and lets go of it: print/str/repr/..., logging,
        setattr on it, or a function of the module that never keeps that parameter."""
        if self._reads_arguments(call, argument, scope):
            return True
        if argument.star:
            return False
        callees = self.callees(call, self.names.chain(scope))
        if not callees:
            return False
        keyword = argument.keyword.value if argument.keyword is not None else None
        position = None
        if keyword is None:
            position = [a for a in call.args if a.keyword is None].index(argument)
            if any(a.star for a in call.args[: call.args.index(argument)]):
                return False  # `f(*rest, task)`: its position is not known
        return all(callee.summary.drops_argument(position, keyword) for callee in callees)

    def _reads_arguments(self, call: cst.Call, argument: cst.Arg, scope: Scope) -> bool:
        chain = self.names.chain(scope)
        func = call.func
        if isinstance(func, cst.Name) and func.value in NON_KEEPING_BUILTINS | {
            "getattr",
            "hasattr",
        }:
            return self.names.is_builtin(func.value, chain)
        if isinstance(func, cst.Name) and func.value == "setattr":
            # `setattr(task, "tag", x)` tags it; `setattr(obj, "a", task)` stores it
            first = call.args[0] if call.args else None
            return argument is first and self.names.is_builtin("setattr", chain)
        if self.names.qualname(func, chain) in NON_KEEPING_FUNCTIONS:
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS:
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
