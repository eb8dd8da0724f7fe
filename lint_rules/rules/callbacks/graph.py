"""The module as TRK2xx sees it: what happens where (calls, assignments, awaits, loops, in
source order), what each name is defined as, and which function calls which.

The call graph is module-local and by name: plain names, classes through ``__init__``, and
methods of the module's classes by their name (``x.flush()`` may be any class's ``flush``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Optional, Union

import libcst as cst

from lint_rules.analysis.scopes import Names, Scope, Scopes

Owner = Optional[cst.FunctionDef]  # the function a node runs in; None: module level
Definition = Union[cst.FunctionDef, cst.ClassDef]


@dataclass(frozen=True)
class Item:
    """Something that happens at one place: a call, a registration, a task added to a set."""

    node: cst.CSTNode
    scopes: Scopes
    seq: int  # visit order = source order
    owner: Owner


@dataclass
class Collected:
    """What the traversal records, in source order."""

    calls: list[Item] = field(default_factory=list)
    assignments: list[Item] = field(default_factory=list)  # `=` and `+=`
    awaits: list[Item] = field(default_factory=list)
    loops: list[Item] = field(default_factory=list)  # `for` loops
    imports: list[Item] = field(default_factory=list)  # import statements
    endless: set[Owner] = field(default_factory=set)  # with a `while True:` never left
    defs: dict[Scope, dict[str, list[Definition]]] = field(default_factory=dict)
    def_chain: dict[Definition, Scopes] = field(default_factory=dict)  # scopes a def is in
    methods: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)  # by name
    class_methods: dict[cst.ClassDef, dict[str, cst.FunctionDef]] = field(default_factory=dict)
    last_seq: int = 0


class CallGraph:
    """Definitions, values and calls of the module, once its traversal is over."""

    def __init__(self, collected: Collected, names: Names) -> None:
        self.collected = collected
        self.names = names
        self.edges: dict[Owner, set[cst.FunctionDef]] = {}
        self.calls_in: dict[Owner, list[Item]] = {}
        for item in collected.calls:
            self.edges.setdefault(item.owner, set()).update(self.callees(item))
            self.calls_in.setdefault(item.owner, []).append(item)
        self.awaits_in: dict[Owner, list[Item]] = {}
        for item in collected.awaits:
            self.awaits_in.setdefault(item.owner, []).append(item)

    # -- names -------------------------------------------------------------------------

    def binding_scope(self, name: str, scopes: Scopes) -> Scope:
        return self.names.scope_of(name, scopes) or scopes[0]

    def definitions(self, node: cst.BaseExpression, scopes: Scopes) -> list[Definition]:
        if not isinstance(node, cst.Name):
            return []
        scope = self.binding_scope(node.value, scopes)
        return self.collected.defs.get(scope, {}).get(node.value, [])

    def values(self, name: str, scopes: Scopes) -> list[cst.BaseExpression]:
        scope = self.binding_scope(name, scopes)
        return [value for value in scope.values.get(name, ()) if value is not None]

    def coroutine(self, node: cst.BaseExpression | None, scopes: Scopes) -> cst.FunctionDef | None:
        """The coroutine function of this module that ``node`` (``c(...)``) calls."""
        if not isinstance(node, cst.Call):
            return None
        for definition in self.definitions(node.func, scopes):
            if isinstance(definition, cst.FunctionDef) and definition.asynchronous is not None:
                return definition
        return None

    # -- calls -------------------------------------------------------------------------

    def callees(self, item: Item) -> Iterator[cst.FunctionDef]:
        call = item.node
        assert isinstance(call, cst.Call)
        for definition in self.definitions(call.func, item.scopes):
            if isinstance(definition, cst.FunctionDef):
                yield definition
            else:
                init = self.collected.class_methods.get(definition, {}).get("__init__")
                if init is not None:
                    yield init
        func = call.func
        if isinstance(func, cst.Attribute) and self.names.qualname(func, item.scopes) is None:
            yield from self.collected.methods.get(func.attr.value, ())

    def closure(self, roots: Iterable[cst.FunctionDef]) -> set[cst.FunctionDef]:
        """``roots`` and every function of the module they reach by calls."""
        reached = set(roots)
        pending = list(reached)
        while pending:
            function = pending.pop()
            for callee in self.edges.get(function, ()):
                if callee not in reached:
                    reached.add(callee)
                    pending.append(callee)
        return reached

    def runs_before(self, item: Item, call: Item, reached: Collection[cst.FunctionDef]) -> bool:
        """``item`` runs before the entry ``call`` returns: it is in a reached function, or
        before the call at module level or in the function that holds the call."""
        owner = call.owner
        if item.owner is owner:
            return item.seq < call.seq
        if item.owner is not None:
            return item.owner in reached
        return True  # module level, and the entry call is inside a function
