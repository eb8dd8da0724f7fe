"""Function summaries: what calling a function of the module gives back, and which of its
parameters it never keeps, read from the module's ``ast`` tree.

Real code routes tasks, loops and futures through small helpers. A helper that returns a fresh
task nothing else keeps is a task factory (``def spawn(c): return loop.create_task(c)``); one
that returns a future makes ``ensure_future(helper())`` create no task; one that returns the
running loop is an event loop (``current_loop().create_task(...)``); a parameter that the helper
only gives a done callback, logs or tags does not keep the task passed to it. Each summary is
computed the first time a call site asks for it, from the whole module's tree, so the span
analysis and a full parse see the same summaries. Whatever cannot be told is ``UNKNOWN`` and
"may keep": precision first.
"""

from __future__ import annotations

import ast
import bisect
import enum
import fnmatch
import functools
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lint_rules.engine.index import (
    FunctionNode,
    ModuleIndex,
    bound_names,
    first_line,
    function_imports,
    own_nodes,
)
from lint_rules.engine.names import ast_dotted, canonical
from lint_rules.rules.asyncio_api import (
    FUTURE_FACTORIES,
    FUTURE_METHODS,
    LOG_METHODS,
    LOOP_FACTORIES,
    NON_KEEPING_BUILTINS,
    NON_KEEPING_FUNCTIONS,
    READ_ONLY_TASK_METHODS,
    TASK_FACTORIES,
    TASKGROUP_TYPES,
)
from lint_rules.rules.tasks.codes import trigger
from lint_rules.rules.tasks.imports import may_make_tasks
from lint_rules.rules.tasks.loops import module_loops
from lint_rules.settings import Settings

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# code that can read a frame's locals behind the analysis' back
_FRAME_READERS = frozenset({"locals", "vars", "exec", "eval"})


class Returns(enum.Enum):
    """What calling a function gives back."""

    COROUTINE = "coroutine"  # an async def: ensure_future() of it makes a task
    TASK = "task"  # a fresh task that nothing else keeps: the function is a task factory
    FUTURE = "future"  # a future (or a task kept elsewhere): ensure_future() returns it as is
    LOOP = "loop"  # an event loop
    NOTHING = "nothing"  # None
    UNKNOWN = "unknown"


class Summary:
    """One function's summary; each part is computed the first time it is asked for."""

    def __init__(self, summaries: Summaries, function: FunctionNode) -> None:
        self._summarizer = _Summarizer(summaries, function)
        self._summaries = summaries
        self.function = function
        self.parameters = self._summarizer.positional  # positional, ``self``/``cls`` left out
        self.keywords = self._summarizer.keywords  # what a keyword argument may name

    @property
    def returns(self) -> Returns:
        return self._summaries.returns_of(self.function)

    @functools.cached_property
    def dropped(self) -> frozenset[str]:
        """The parameters it never keeps."""
        return self._summarizer.dropped()

    def drops_argument(self, position: int | None, keyword: str | None) -> bool:
        """The argument at ``position`` (or passed as ``keyword``) is never kept."""
        if keyword is not None:
            return keyword in self.keywords and keyword in self.dropped
        if position is None or position >= len(self.parameters):
            return False  # past the positional parameters: *args, or a TypeError
        return self.parameters[position] in self.dropped


@dataclass(frozen=True)
class Callee:
    """A function a call may run, with the summaries of the module that defines it (this
    module or another of the project)."""

    summaries: Summaries
    function: FunctionNode

    @property
    def summary(self) -> Summary:
        return self.summaries.of(self.function)

    @property
    def returns(self) -> Returns:
        return self.summaries.returns_of(self.function)


def module_summaries(index: ModuleIndex, settings: Settings) -> Summaries:
    """The module's summaries, derived once per module and settings."""
    return index.cached((Summaries, settings), lambda: Summaries(index, settings))


class Summaries:
    def __init__(self, index: ModuleIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.factories = TASK_FACTORIES | {canonical(name) for name in settings.task_factories}
        self.functions: dict[str, list[FunctionNode]] = {}  # module level, by name
        self.classes: dict[str, list[ast.ClassDef]] = {}  # module level, by name
        self.methods: dict[ast.ClassDef, dict[str, FunctionNode]] = {}
        self.by_method_name: dict[str, list[FunctionNode]] = {}
        self.class_of: dict[FunctionNode, ast.ClassDef] = {}
        for statement in index.tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(statement.name, []).append(statement)
            elif isinstance(statement, ast.ClassDef):
                self._record_class(statement)
        self._summaries: dict[FunctionNode, Summary] = {}
        self._returns: dict[FunctionNode, Returns] = {}
        self._pending: set[FunctionNode] = set()

    def _record_class(self, cls: ast.ClassDef) -> None:
        self.classes.setdefault(cls.name, []).append(cls)
        methods = self.methods.setdefault(cls, {})
        for statement in cls.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[statement.name] = statement
                self.by_method_name.setdefault(statement.name, []).append(statement)
                self.class_of[statement] = cls

    # -- finding what a call runs --------------------------------------------------------

    def module_function(self, name: str) -> FunctionNode | None:
        """The module-level function ``name`` when the module binds the name to that one
        ``def`` and nothing else."""
        functions = self.functions.get(name, [])
        if len(functions) != 1 or len(self.index.bindings.get(name, ())) != 1:
            return None
        return functions[0]

    def method(
        self, cls: ast.ClassDef, name: str, seen: frozenset[str] = frozenset()
    ) -> FunctionNode | None:
        """``name`` of ``cls`` or of one of its bases defined in the module (by name)."""
        found = self.methods.get(cls, {}).get(name)
        if found is not None:
            return found
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id not in seen:
                for parent in self.classes.get(base.id, []):
                    inherited = self.method(parent, name, seen | {cls.name})
                    if inherited is not None:
                        return inherited
        return None

    def class_named(self, name: str) -> ast.ClassDef | None:
        classes = self.classes.get(name, [])
        return classes[0] if len(classes) == 1 else None

    def methods_named(self, name: str) -> list[FunctionNode]:
        return self.by_method_name.get(name, [])

    # -- summaries -----------------------------------------------------------------------

    def of(self, function: FunctionNode) -> Summary:
        """The summary of a function of the module."""
        if function not in self._summaries:
            self._summaries[function] = Summary(self, function)
        return self._summaries[function]

    def returns_of(self, function: FunctionNode) -> Returns:
        """What calling ``function`` gives back (``UNKNOWN`` while it is being worked out:
        recursion ends there)."""
        if function in self._returns:
            return self._returns[function]
        if function in self._pending:
            return Returns.UNKNOWN
        self._pending.add(function)
        try:
            returns = self.of(function)._summarizer.returns()
        finally:
            self._pending.discard(function)
        self._returns[function] = returns
        return returns

    def callee(self, function: FunctionNode) -> Callee:
        return Callee(self, function)

    def first_party(
        self, qualified: str, depth: int = 0, *, tasks_only: bool = False
    ) -> list[Callee]:
        """The function (or the method, for a class's qualified name followed by a method)
        another module of the project defines under ``qualified``, as this module's imports
        name it; a name that module imports in turn (a re-export) is followed too. With
        ``tasks_only`` (the question is only whether the call makes a task), a module whose
        text cannot make one is not read."""
        if tasks_only and self.index.project is not None:
            target = self.index.project.resolve(qualified, self.index.path)
            if target is None or not may_make_tasks(*target, self.settings):
                return []
        found = self.index.first_party(qualified, self.settings.src)
        if found is None:
            return []
        module, attribute = found
        other = module_summaries(module, self.settings)
        parts = attribute.split(".") if attribute else []
        if parts and parts[0] in module.imports and parts[0] not in other.functions:
            if depth > 3:
                return []
            reexported = ".".join([module.imports[parts[0]], *parts[1:]])
            return other.first_party(reexported, depth + 1)
        if len(parts) == 1:
            function = other.module_function(parts[0])
            return [other.callee(function)] if function is not None else []
        if len(parts) == 2:
            cls = other.class_named(parts[0])
            method = other.method(cls, parts[1]) if cls is not None else None
            return [other.callee(method)] if method is not None else []
        return []

    @staticmethod
    def returns(callees: Sequence[Callee]) -> Returns:
        """What a call gives back when it may run any of ``callees`` (all must agree)."""
        kinds = {callee.returns for callee in callees}
        return kinds.pop() if len(kinds) == 1 else Returns.UNKNOWN

    @functools.cached_property
    def task_factories(self) -> frozenset[str]:
        """The names of the module's functions and methods that return a fresh task, as call
        sites show them: the functions whose lines hold a task API call are summarised, then
        those whose lines call one of the factories found, until no new one turns up."""
        # module-level functions and methods never overlap: the one that starts last before
        # a line is the only one that may hold it (an async def returns a coroutine)
        definitions = sorted(
            (first_line(d), d.end_lineno or d.lineno, d)
            for d in self._definitions()
            if isinstance(d, ast.FunctionDef)
        )
        starts = [start for start, _, _ in definitions]
        found: set[str] = set()
        checked: set[FunctionNode] = set()
        words = trigger(self.settings).words
        while words:
            candidates = set()
            for number in self._lines_mentioning(words):
                position = bisect.bisect_right(starts, number) - 1
                if position >= 0 and number <= definitions[position][1]:
                    candidates.add(definitions[position][2])
            candidates -= checked
            checked |= candidates
            new = {f.name for f in candidates if self.returns_of(f) is Returns.TASK} - found
            found |= new
            words = tuple(new)
        return frozenset(found)

    def _lines_mentioning(self, words: Sequence[str]) -> set[int]:
        """The lines holding one of ``words`` as a word (plain substring searches first)."""
        source = self.source
        found = set()
        for word in words:
            offset = source.find(word)
            while offset != -1:
                end = offset + len(word)
                before = source[offset - 1] if offset else " "
                after = source[end] if end < len(source) else " "
                if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                    found.add(bisect.bisect_right(self._line_starts, offset))
                offset = source.find(word, end)
        return found

    @functools.cached_property
    def source(self) -> str:
        return "".join(self.index.lines)

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        """The offset in ``source`` at which each line starts."""
        return list(itertools.accumulate((len(line) for line in self.index.lines), initial=0))

    def _definitions(self) -> Iterator[FunctionNode]:
        for functions in self.functions.values():
            yield from functions
        yield from self.class_of

    def looks_like_loop(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.settings.loop_names)


def _is_static(function: FunctionNode) -> bool:
    return any(
        isinstance(decorator, ast.Name) and decorator.id == "staticmethod"
        for decorator in function.decorator_list
    )


def _decorated(function: FunctionNode) -> bool:
    """A decorator other than staticmethod/classmethod may change what the call does."""
    return any(
        not (isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod"))
        for d in function.decorator_list
    )


class _Summarizer:
    """Computes one function's summary."""

    def __init__(self, summaries: Summaries, function: FunctionNode) -> None:
        self.summaries = summaries
        self.index = summaries.index
        self.function = function
        self.cls = summaries.class_of.get(function)
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        self.receiver = None
        if self.cls is not None and positional and not _is_static(function):
            self.receiver = positional[0].arg
            positional = positional[1:]
        self.positional = tuple(argument.arg for argument in positional)
        self.keywords = frozenset(
            argument.arg for argument in [*arguments.args, *arguments.kwonlyargs]
        )

    @functools.cached_property
    def nodes(self) -> list[ast.AST]:
        return list(own_nodes(self.function))

    @functools.cached_property
    def imports(self) -> dict[str, str]:
        """What the function's own import statements bind."""
        return function_imports(self.nodes)

    @functools.cached_property
    def assigned(self) -> dict[str, list[ast.expr | None]]:
        """Each name the function binds, with the values bound (None: bound another way)."""
        assigned: dict[str, list[ast.expr | None]] = {}
        for node in self.nodes:
            for name, value in _bindings(node):
                assigned.setdefault(name, []).append(value)
        return assigned

    @functools.cached_property
    def parents(self) -> dict[ast.AST, ast.AST]:
        return {child: node for node in self.nodes for child in ast.iter_child_nodes(node)}

    @functools.cached_property
    def opaque(self) -> bool:
        """A decorator may change what the call does, or the frame may be read behind the
        analysis' back (``locals()``, ``exec``, ...)."""
        return _decorated(self.function) or self._reads_frames()

    def dropped(self) -> frozenset[str]:
        if self.opaque:
            return frozenset()
        parameters = (*self.positional, *(a.arg for a in self.function.args.kwonlyargs))
        return frozenset(
            name for name in parameters if name not in self.assigned and self._never_kept(name)
        )

    def _reads_frames(self) -> bool:
        return any(
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FRAME_READERS
            for node in self.nodes
        )

    # -- what it returns -----------------------------------------------------------------

    def returns(self) -> Returns:
        function = self.function
        if _decorated(function):
            return Returns.UNKNOWN
        if any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in self.nodes):
            return Returns.UNKNOWN  # a generator
        if isinstance(function, ast.AsyncFunctionDef):
            return Returns.COROUTINE
        values = [node.value for node in self.nodes if isinstance(node, ast.Return)]
        kinds = {Returns.NOTHING if value is None else self._kind(value) for value in values}
        if not kinds:
            return Returns.NOTHING
        return kinds.pop() if len(kinds) == 1 else Returns.UNKNOWN

    def _kind(self, value: ast.expr) -> Returns:
        if isinstance(value, ast.Constant) and value.value is None:
            return Returns.NOTHING
        if isinstance(value, ast.Call):
            return self._call_kind(value)
        if isinstance(value, ast.Name) and value.id in self.assigned:
            bound = self.assigned[value.id]
            kinds = {self._kind(v) if v is not None else Returns.UNKNOWN for v in bound}
            kind = kinds.pop() if len(kinds) == 1 else Returns.UNKNOWN
            if kind is Returns.TASK and not self._never_kept(value.id, returned=True):
                return Returns.FUTURE  # a task kept here as well: returned, it is no new one
            return kind
        return Returns.UNKNOWN

    def _call_kind(self, call: ast.Call) -> Returns:
        func = call.func
        qualified = self.index.ast_qualname(func, self.imports)
        if qualified in LOOP_FACTORIES:
            return Returns.LOOP
        if qualified in FUTURE_FACTORIES:
            return Returns.FUTURE
        if isinstance(func, ast.Attribute) and func.attr in FUTURE_METHODS:
            return Returns.FUTURE
        if qualified in self.summaries.factories:
            if qualified == "asyncio.ensure_future":
                argument = call.args[0] if call.args else None
                if not isinstance(argument, ast.Call):
                    return Returns.UNKNOWN  # maybe a future already
                if self._call_kind(argument) in (Returns.FUTURE, Returns.TASK):
                    return Returns.FUTURE
            return Returns.TASK
        if isinstance(func, ast.Attribute) and func.attr == "create_task":
            return Returns.TASK if self._is_loop(func.value) else Returns.UNKNOWN
        callees = self._callees(func)
        return self.summaries.returns(callees) if callees else Returns.UNKNOWN

    def _callees(self, func: ast.expr) -> list[Callee]:
        summaries = self.summaries
        if isinstance(func, ast.Name) and func.id not in self.assigned:
            if func.id in self.positional or func.id in self.keywords:
                return []
            function = summaries.module_function(func.id)
            if function is not None:
                return [summaries.callee(function)]
        if not isinstance(func, ast.Attribute) or not (
            isinstance(func.value, ast.Name) and func.value.id == self.receiver
        ):
            # a function imported from another module of the project
            parts = ast_dotted(func)
            if not parts:
                return []
            bound = self.imports.get(parts[0]) or (
                self.index.imports.get(parts[0]) if parts[0] not in self.assigned else None
            )
            return summaries.first_party(".".join([bound, *parts[1:]])) if bound else []
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == self.receiver
            and self.cls is not None
        ):
            method = summaries.method(self.cls, func.attr)
            return [summaries.callee(method)] if method is not None else []
        return []

    def _is_loop(self, receiver: ast.expr) -> bool:
        if isinstance(receiver, ast.Call):
            return self._call_kind(receiver) is Returns.LOOP
        if isinstance(receiver, ast.Name):
            name = receiver.id
            if name in self.assigned:
                values = self.assigned[name]
                if any(self._is_task_group(v) for v in values if v is not None):
                    return False
                if values and all(
                    isinstance(v, ast.Call) and self._call_kind(v) is Returns.LOOP for v in values
                ):
                    return True
            elif name in module_loops(self.index, self.summaries.settings).names:
                return True
            return self.summaries.looks_like_loop(name)
        if isinstance(receiver, ast.Attribute):
            if self.summaries.looks_like_loop(receiver.attr):
                return True
            if (
                isinstance(receiver.value, ast.Name)
                and receiver.value.id == self.receiver
                and self.cls is not None
            ):
                loops = module_loops(self.index, self.summaries.settings)
                return loops.class_binds_loop(self.cls, receiver.attr)
        return False

    def _is_task_group(self, value: ast.expr) -> bool:
        return isinstance(value, ast.Call) and (
            self.index.ast_qualname(value.func, self.imports) in TASKGROUP_TYPES
        )

    # -- which parameters it keeps -------------------------------------------------------

    def _never_kept(self, name: str, *, returned: bool = False) -> bool:
        """Every use of ``name`` in the function lets go of its value (with ``returned``,
        returning it is allowed too): no use in a nested scope, none stored, awaited,
        passed on to a call that may keep it."""
        if any(
            isinstance(node, ast.Name) and node.id == name
            for scope in ast.walk(self.function)
            if isinstance(scope, (*_SCOPES, *_COMPREHENSIONS)) and scope is not self.function
            for node in ast.walk(scope)
        ):
            return False  # a closure or a comprehension may hold it
        for node in self.nodes:
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
                parent = self.parents.get(node)
                if returned and isinstance(parent, ast.Return):
                    continue
                if not self._lets_go(node, parent):
                    return False
        return True

    def _lets_go(self, node: ast.Name, parent: ast.AST | None) -> bool:
        """This use of a task reads it and keeps nothing."""
        if isinstance(parent, ast.Attribute):
            above = self.parents.get(parent)
            if isinstance(above, ast.Call) and above.func is parent:
                return parent.attr in READ_ONLY_TASK_METHODS
            return isinstance(parent.ctx, (ast.Store, ast.Del))  # `task.tag = x`
        if isinstance(parent, ast.Call) and node in parent.args:
            return self._reads_arguments(parent, parent.args.index(node))
        if isinstance(parent, (ast.Compare, ast.UnaryOp, ast.FormattedValue, ast.Delete)):
            return True
        if isinstance(parent, (ast.If, ast.While, ast.Assert, ast.IfExp)):
            return parent.test is node
        if isinstance(parent, ast.BoolOp):
            return isinstance(self.parents.get(parent), (ast.If, ast.While, ast.Assert))
        return False

    def _reads_arguments(self, call: ast.Call, position: int) -> bool:
        """print/str/repr/..., logging, and setattr/getattr/hasattr on the task."""
        func = call.func
        if isinstance(func, ast.Name) and func.id not in self.assigned:
            builtin = not self.index.is_module_name(func.id)
            if func.id in NON_KEEPING_BUILTINS or func.id in ("getattr", "hasattr"):
                return builtin
            if func.id == "setattr":
                return builtin and position == 0  # `setattr(x, "a", task)` stores it
        if self.index.ast_qualname(func, self.imports) in NON_KEEPING_FUNCTIONS:
            return True
        if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
            receiver = func.value
            last = receiver.attr if isinstance(receiver, ast.Attribute) else None
            if isinstance(receiver, ast.Name):
                last = receiver.id
            return last is not None and "log" in last.lower()
        return False


def _bindings(node: ast.AST) -> Iterator[tuple[str, ast.expr | None]]:
    """(name, value or None) for each name ``node`` binds in the function's frame."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            for name in bound_names(target):
                yield name, node.value if isinstance(target, ast.Name) else None
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        target = node.target
        if isinstance(target, ast.Name):
            value = node.value if not isinstance(node, ast.AugAssign) else None
            yield target.id, value
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        for name in bound_names(node.target):
            yield name, None
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        for name in bound_names(node.optional_vars):
            yield name, None
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name, None
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            yield (alias.asname or alias.name.split(".")[0]), None
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        for name in node.names:
            yield name, None
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name, None
