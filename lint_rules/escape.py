"""Escape analysis: does a reference to a task reach something that outlives the function?

``flows()`` answers, for one expression, where its value goes next (awaited, stored on an
attribute, bound to a local name, put in a local container, discarded, ...). ``Verdicts``
follows local names and local containers through the function: a name keeps its task only
if some use that the binding reaches keeps it. Everything unknown counts as keeping: the
analysis flags only what it can prove is dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Callable

import libcst as cst

from lint_rules.scopes import Scope, target_names
from lint_rules.traversal import source_children

# methods that put their argument into the receiving container
CONTAINER_INSERTS = frozenset(
    {"add", "append", "appendleft", "insert", "extend", "extendleft", "update", "setdefault"}
)
CONTAINER_REMOVALS = frozenset({"discard", "remove", "clear"})
FRESH_CONTAINER_CALLS = frozenset(
    {
        "set",
        "list",
        "dict",
        "collections.deque",
        "collections.defaultdict",
        "collections.OrderedDict",
    }
)
_SEQUENCE_OWNERS = (
    cst.Module,
    cst.IndentedBlock,
    cst.SimpleStatementLine,
    cst.SimpleStatementSuite,
)
_NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_LOOPS = (cst.For, cst.While)


class Kind(enum.Enum):
    KEEP = "keep"  # reaches something that outlives the frame (or we cannot tell)
    DROP = "drop"  # discarded, or used in a way that does not keep it
    BIND = "bind"  # bound to a local name: follow the name
    CONTAINER = "container"  # put in a local container: follow the container
    LAMBDA = "lambda"  # returned from a lambda: depends on who calls the lambda
    NEVER_RUNS = "never-runs"  # inside a generator expression nobody iterates


@dataclass(frozen=True)
class Flow:
    kind: Kind
    how: str = ""  # for DROP: "statement", "method" or "use"
    name: str = ""  # for BIND / CONTAINER
    node: cst.CSTNode | None = None  # BIND: the target Name; LAMBDA: the lambda


KEEP = Flow(Kind.KEEP)


@dataclass(frozen=True)
class Verdict:
    kept: bool
    via: str = "drop"  # "drop", "name", "container", "lambda", "never-runs"
    name: str = ""
    reason: str = ""
    how: str = ""  # for via="drop": the DROP flow's how
    lambda_node: cst.Lambda | None = None
    rebound: bool = False  # for via="name": lost by a rebinding, not by the frame ending


KEPT = Verdict(True)


@dataclass(frozen=True)
class Step:
    """One level of statement nesting: statement ``index`` of the sequence ``owner``."""

    owner: int  # id() of the Module / IndentedBlock / SimpleStatement{Line,Suite}
    index: int
    is_line: bool  # the owner is a SimpleStatementLine (one physical line of statements)


@dataclass(frozen=True)
class Event:
    order: int
    node: cst.Name
    is_binding: bool
    chain: tuple[Step, ...]
    loops: tuple[cst.CSTNode, ...]  # enclosing for/while bodies, outermost first
    nested: bool  # inside a nested function, lambda or class
    kill_points: tuple[Step, ...] = ()  # where this binding surely replaces the old value


@dataclass
class Verdicts:
    """Follows tasks through one region. ``parent`` maps a node to its parent;
    ``is_non_keeping_call`` tells print/logging/str/... calls apart."""

    parent: Callable[[cst.CSTNode], cst.CSTNode]
    is_non_keeping_call: Callable[[cst.Call, Scope], bool]
    is_fresh_container_call: Callable[[cst.Call, Scope], bool]
    _events: dict[int, dict[str, list[Event]]] = field(default_factory=dict)
    _containers: dict[tuple[int, str], bool] = field(default_factory=dict)

    # -- where a value goes next -------------------------------------------------------

    def flows(self, node: cst.BaseExpression, scope: Scope, holder: str = "task") -> list[Flow]:
        """Where the value of ``node`` goes. ``holder`` is "task" when ``node`` is a task and
        "container" when it is a container of tasks (their methods differ)."""
        parent = self.parent(node)
        if isinstance(parent, cst.Expr):
            return [Flow(Kind.DROP, "statement")]
        if isinstance(parent, (cst.Await, cst.Return, cst.Yield, cst.From)):
            return [KEEP]
        if isinstance(parent, cst.Assign):
            return [f for t in parent.targets for f in self.target_flows(t.target, scope)]
        if isinstance(parent, cst.AnnAssign):
            return self.target_flows(parent.target, scope) if node is parent.value else [KEEP]
        if isinstance(parent, cst.AugAssign) and node is parent.value:
            return [self.container_flow(parent.target, scope)]
        if isinstance(parent, cst.NamedExpr) and node is parent.value:
            return [*self.target_flows(parent.target, scope), *self.flows(parent, scope, holder)]
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            if isinstance(call, cst.Call):
                return self.argument_flows(call, scope)
            return [KEEP]
        if isinstance(parent, cst.Attribute) and node is parent.value:
            return self.attribute_flows(parent, scope, holder)
        if isinstance(parent, (cst.Element, cst.StarredElement, cst.DictElement)):
            return self.element_flows(self.parent(parent), parent, scope)
        if isinstance(parent, _COMPREHENSIONS) and node is not getattr(parent, "for_in", None):
            outer = [_as_container(f) for f in self.flows(parent, scope, "container")]
            if isinstance(parent, cst.GeneratorExp):
                return [Flow(Kind.NEVER_RUNS) if f.kind is Kind.DROP else f for f in outer]
            return outer
        if isinstance(parent, cst.IfExp):
            return self.flows(parent, scope, holder) if node is not parent.test else _USE
        if isinstance(parent, cst.BooleanOperation):
            return self.flows(parent, scope, holder)
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.UnaryOperation)):
            return _USE
        if isinstance(parent, (cst.If, cst.While, cst.Assert)) and node is parent.test:
            return _USE
        if isinstance(parent, (cst.FormattedStringExpression, cst.Del)):
            return _USE
        if isinstance(parent, cst.Index):
            return self.key_flows(parent, scope)
        if isinstance(parent, cst.Subscript) and node is parent.value:
            if holder == "task" or self.is_store_target(parent):
                return _USE
            return [KEEP]  # an item taken out of a container goes on somewhere
        if isinstance(parent, cst.Lambda) and node is parent.body:
            return [Flow(Kind.LAMBDA, node=parent)]
        return [KEEP]

    def target_flows(self, target: cst.BaseExpression, scope: Scope) -> list[Flow]:
        if isinstance(target, cst.Name):
            if scope.is_function and target.value not in scope.declared_outer:
                return [Flow(Kind.BIND, name=target.value, node=target)]
            return [KEEP]  # module and class level names live on
        if isinstance(target, cst.Subscript):
            return [self.container_flow(target.value, scope)]
        return [KEEP]

    def container_flow(self, node: cst.BaseExpression, scope: Scope) -> Flow:
        if isinstance(node, cst.Name) and scope.is_function and scope.binds(node.value):
            if node.value not in scope.declared_outer:
                return Flow(Kind.CONTAINER, name=node.value)
        return KEEP

    def argument_flows(self, call: cst.Call, scope: Scope) -> list[Flow]:
        if self.is_non_keeping_call(call, scope):
            return _USE
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            if func.attr.value in CONTAINER_INSERTS:
                return [self.container_flow(func.value, scope)]
            if func.attr.value in CONTAINER_REMOVALS:
                return _USE
        return [KEEP]

    def attribute_flows(self, attribute: cst.Attribute, scope: Scope, holder: str) -> list[Flow]:
        method = attribute.attr.value
        called = self._is_called(attribute)
        if holder == "task":
            # a future's own methods do not keep it, except those that end it or wait for it
            if called and method in ("cancel", "result", "exception"):
                return [KEEP]
            return [Flow(Kind.DROP, "method")]
        if method in CONTAINER_INSERTS | CONTAINER_REMOVALS:
            if called:
                return _USE
            # `task.add_done_callback(tasks.discard)`: the bound method stays with the task
            argument = self.parent(attribute)
            call = self.parent(argument) if isinstance(argument, cst.Arg) else None
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
                if call.func.attr.value == "add_done_callback":
                    return _USE
        return [KEEP]

    def element_flows(self, literal: cst.CSTNode, element: cst.CSTNode, scope: Scope) -> list[Flow]:
        if not isinstance(literal, cst.BaseExpression):
            return [KEEP]
        unpacked = self._unpacked_target(literal, element)
        if unpacked is not None:
            target, starred = unpacked
            if starred:  # `first, *rest = a, b, c` puts b and c in the list `rest`
                return [self.container_flow(target, scope)]
            return self.target_flows(target, scope)
        return [_as_container(f) for f in self.flows(literal, scope, "container")]

    def key_flows(self, index: cst.Index, scope: Scope) -> list[Flow]:
        """``running[task] = info`` keys a container by the task."""
        subscript = self.parent(self.parent(index))
        if isinstance(subscript, cst.Subscript) and self.is_store_target(subscript):
            return [self.container_flow(subscript.value, scope)]
        return _USE

    def is_store_target(self, node: cst.CSTNode) -> bool:
        parent = self.parent(node)
        return (
            isinstance(parent, cst.AssignTarget)
            or (isinstance(parent, (cst.AnnAssign, cst.AugAssign)) and parent.target is node)
            or isinstance(parent, cst.Del)
        )

    def _is_called(self, attribute: cst.Attribute) -> bool:
        call = self.parent(attribute)
        return isinstance(call, cst.Call) and call.func is attribute

    def _unpacked_target(
        self, literal: cst.BaseExpression, element: cst.CSTNode
    ) -> tuple[cst.BaseExpression, bool] | None:
        """For ``a, b = x, y``: the target that receives ``element`` and whether it is the
        starred one (None if the assignment is not of that shape)."""
        assign = self.parent(literal)
        if not (
            isinstance(assign, cst.Assign)
            and assign.value is literal
            and len(assign.targets) == 1
            and isinstance(literal, (cst.Tuple, cst.List))
            and isinstance(assign.targets[0].target, (cst.Tuple, cst.List))
            and not any(isinstance(e, cst.StarredElement) for e in literal.elements)
        ):
            return None
        targets = list(assign.targets[0].target.elements)
        position = next(i for i, e in enumerate(literal.elements) if e is element)
        starred = [i for i, t in enumerate(targets) if isinstance(t, cst.StarredElement)]
        if not starred:
            if len(targets) != len(literal.elements):
                return None
            return targets[position].value, False
        star = starred[0]
        after = len(targets) - star - 1
        if position < star:
            return targets[position].value, False
        if position >= len(literal.elements) - after:
            return targets[position - len(literal.elements)].value, False
        return targets[star].value, True

    # -- verdicts ----------------------------------------------------------------------

    def verdict(self, flows: Sequence[Flow], scope: Scope, seen: frozenset[int]) -> Verdict:
        """Is a value with these flows kept? Unknown counts as kept."""
        if any(flow.kind is Kind.KEEP for flow in flows):
            return KEPT
        if flows and all(flow.kind is Kind.NEVER_RUNS for flow in flows):
            return Verdict(False, "never-runs")
        results: list[Verdict] = []
        for flow in flows:
            if flow.kind is Kind.BIND:
                results.append(self.binding_verdict(flow, scope, seen))
            elif flow.kind is Kind.CONTAINER:
                kept = self.container_kept(flow.name, scope, seen)
                results.append(KEPT if kept else Verdict(False, "container", flow.name))
            elif flow.kind is Kind.LAMBDA:
                results.append(Verdict(False, "lambda", lambda_node=flow.node))  # type: ignore[arg-type]
            elif flow.kind is Kind.DROP:
                results.append(Verdict(False, "drop", how=flow.how))
        if any(result.kept for result in results):
            return KEPT
        for via in ("container", "name", "lambda", "drop"):
            for result in results:
                if result.via == via:
                    return result
        return KEPT

    def binding_verdict(self, flow: Flow, scope: Scope, seen: frozenset[int]) -> Verdict:
        if id(flow.node) in seen:
            return KEPT
        seen = seen | {id(flow.node)}
        events = self.events(scope.node).get(flow.name, [])
        binding = next((e for e in events if e.node is flow.node), None)
        if binding is None:
            return KEPT
        uses = [e for e in events if not e.is_binding]
        reached = [u for u in uses if self._reaches(binding, u, events)]
        keeping: list[Event] = []
        dropped: list[Verdict] = []
        for use in reached:
            if use.nested:  # a closure holds the name: we cannot follow it
                return KEPT
            result = self.verdict(self.flows(use.node, scope), scope, seen)
            if result.via == "lambda":
                result = KEPT  # a lambda returning the task: we cannot tell who calls it
            (keeping.append(use) if result.kept else dropped.append(result))
        if keeping:
            if self._lost_in_loop(binding, keeping):
                reason = "it is rebound on every loop iteration and only the last task is kept"
                return Verdict(False, "name", flow.name, reason, rebound=True)
            return KEPT
        container = next((d for d in dropped if d.via == "container"), None)
        if container is not None:
            return container
        if flow.name == "_":
            reason = "'_' is a throwaway name"
        elif not uses:
            reason = "it is never used"
        elif not reached:
            reason = "it is rebound before any use keeps it"
            return Verdict(False, "name", flow.name, reason, rebound=True)
        else:
            reason = "it is only used in ways that do not keep it"
        return Verdict(False, "name", flow.name, reason)

    def container_kept(self, name: str, scope: Scope, seen: frozenset[int]) -> bool:
        key = (id(scope.node), name)
        if key in self._containers:
            return self._containers[key]
        self._containers[key] = True  # assume kept while we look (cycles)
        kept = not self._is_fresh_container(name, scope) or any(
            use.nested or self._container_use_keeps(use, scope, seen)
            for use in self.events(scope.node).get(name, [])
            if not use.is_binding
        )
        self._containers[key] = kept
        return kept

    def _container_use_keeps(self, use: Event, scope: Scope, seen: frozenset[int]) -> bool:
        flows = self.flows(use.node, scope, "container")
        if any(flow.kind in (Kind.KEEP, Kind.BIND, Kind.LAMBDA) for flow in flows):
            return True
        return any(
            self.container_kept(flow.name, scope, seen)
            for flow in flows
            if flow.kind is Kind.CONTAINER and flow.name != use.node.value
        )

    def _is_fresh_container(self, name: str, scope: Scope) -> bool:
        values = scope.values.get(name, [])
        return bool(values) and all(
            isinstance(
                value,
                (cst.List, cst.Set, cst.Dict, cst.Tuple, cst.StarredElement, *_COMPREHENSIONS),
            )
            or (isinstance(value, cst.Call) and self.is_fresh_container_call(value, scope))
            for value in values
        )

    # -- control flow ------------------------------------------------------------------

    def _reaches(self, binding: Event, use: Event, events: Sequence[Event]) -> bool:
        forward = use.order > binding.order
        around_loop = bool(set(map(id, binding.loops)) & set(map(id, use.loops)))
        if not (forward or around_loop or use.nested):
            return False
        return not any(
            self._kills(other, binding, use)
            for other in events
            if other.is_binding
            and other is not binding
            and not other.nested
            and not _earlier_in_same_statement(other, binding)
        )

    @staticmethod
    def _kills(other: Event, binding: Event, use: Event) -> bool:
        """``other`` surely rebinds the name on every path from ``binding`` to ``use``: it is
        statement i of a sequence, ``use`` lies in a later statement j of that sequence, and
        ``binding`` does not lie in statements i+1..j (from where it would skip it)."""
        for point in other.kill_points:
            later = next(
                (s for s in use.chain if s.owner == point.owner and s.index > point.index), None
            )
            if later is None:
                continue
            if not any(
                s.owner == point.owner and point.index < s.index <= later.index
                for s in binding.chain
            ):
                return True
        return False

    def _lost_in_loop(self, binding: Event, keeping: Sequence[Event]) -> bool:
        """Bound unconditionally in a loop body that runs more than once, and kept only by
        uses after the loop: every task but the last is dropped."""
        if not binding.loops:
            return False
        loop = binding.loops[-1]
        body = loop.body  # type: ignore[attr-defined]
        if not any(point.owner == id(body) for point in binding.kill_points):
            return False
        if any(_exits(statement) for statement in getattr(body, "body", ())):
            return False  # the loop body always leaves the loop: it never runs twice
        return all(all(outer is not loop for outer in use.loops) for use in keeping)

    # -- name events -------------------------------------------------------------------

    def events(self, function: cst.CSTNode) -> dict[str, list[Event]]:
        """Every binding and use of every name in ``function``, in evaluation order."""
        if id(function) not in self._events:
            collector = _EventCollector()
            body = getattr(function, "body", None)
            if body is not None:
                collector.walk(body, _Place())
            self._events[id(function)] = collector.events
        return self._events[id(function)]


_USE = [Flow(Kind.DROP, "use")]


def _as_container(flow: Flow) -> Flow:
    """What happens to a literal happens to the container of its elements."""
    if flow.kind is Kind.BIND:
        return Flow(Kind.CONTAINER, name=flow.name)
    if flow.kind is Kind.LAMBDA:
        return KEEP
    return flow


_EXITS = (cst.Break, cst.Return, cst.Raise)


def _exits(statement: cst.CSTNode) -> bool:
    """An unconditional break/return/raise among a loop body's statements."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(small, _EXITS) for small in statement.body)
    return isinstance(statement, _EXITS)


def _earlier_in_same_statement(other: Event, binding: Event) -> bool:
    """``a = a = task``: the first target is bound before the second, not after it."""
    return other.kill_points == binding.kill_points and other.order < binding.order


def _comprehension_targets(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    comp_for = getattr(node, "for_in", None)
    while comp_for is not None:
        names.update(n.value for n in target_names(comp_for.target))
        comp_for = comp_for.inner_for_in
    return names


@dataclass(frozen=True)
class _Place:
    """Where the walk is: the statements around it, the loop bodies it is in, and whether a
    nested function, lambda or class lies between it and the function analysed."""

    chain: tuple[Step, ...] = ()
    loops: tuple[cst.CSTNode, ...] = ()
    nested: bool = False

    def at(self, step: Step) -> _Place:
        return _Place((*self.chain, step), self.loops, self.nested)

    def looping(self, loop: cst.CSTNode) -> _Place:
        return _Place(self.chain, (*self.loops, loop), self.nested)

    def in_nested_scope(self) -> _Place:
        return _Place(self.chain, self.loops, True)


class _EventCollector:
    """Walks a function body in evaluation order, recording each Name as a binding or a use
    with the statements, loops and nested scopes around it."""

    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = {}
        self._order = 0

    def _record(
        self, name: cst.Name, binding: bool, place: _Place, kill_points: tuple[Step, ...] = ()
    ) -> None:
        self._order += 1
        event = Event(
            self._order, name, binding, place.chain, place.loops, place.nested, kill_points
        )
        self.events.setdefault(name.value, []).append(event)

    def walk(self, node: cst.CSTNode, place: _Place) -> None:
        if isinstance(node, cst.Name):
            self._record(node, False, place)
        elif isinstance(node, _SEQUENCE_OWNERS):
            is_line = isinstance(node, cst.SimpleStatementLine)
            for index, statement in enumerate(node.body):
                self.walk(statement, place.at(Step(id(node), index, is_line)))
        elif isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            self._walk_assignment(node, place)
        elif isinstance(node, cst.NamedExpr):
            self.walk(node.value, place)
            self._walk_target(node.target, place)
        elif isinstance(node, _LOOPS):
            if isinstance(node, cst.For):
                self.walk(node.iter, place)
                self._walk_target(node.target, place.looping(node))
            else:
                self.walk(node.test, place.looping(node))
            self.walk(node.body, place.looping(node))
            if node.orelse is not None:
                self.walk(node.orelse, place)
        elif isinstance(node, cst.WithItem):
            self.walk(node.item, place)
            if node.asname is not None:
                self._walk_target(node.asname.name, place)
        elif isinstance(node, cst.ExceptHandler):
            if node.type is not None:
                self.walk(node.type, place)
            if node.name is not None:
                self._walk_target(node.name.name, place)
            self.walk(node.body, place)
        elif isinstance(node, _NESTED_SCOPES):
            own_name = getattr(node, "name", None)
            for child in source_children(node):
                if child is not own_name:
                    self.walk(child, place.in_nested_scope())
        elif isinstance(node, _COMPREHENSIONS):
            self._walk_comprehension(node, place)
        elif isinstance(node, cst.Attribute):
            self.walk(node.value, place)  # `.attr` is not a variable
        elif isinstance(node, (cst.Arg, cst.Param)) and getattr(node, "keyword", None):
            self.walk(node.value, place)  # `f(name=...)`: not a variable
        elif not isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
            for child in source_children(node):
                self.walk(child, place)

    def _walk_assignment(
        self, node: cst.Assign | cst.AnnAssign | cst.AugAssign, place: _Place
    ) -> None:
        if node.value is not None:
            self.walk(node.value, place)
        if isinstance(node, cst.AugAssign):
            self.walk(node.target, place)  # `x += y` reads x first
        if isinstance(node, cst.AnnAssign) and node.value is None:
            return  # `x: int` binds nothing
        chain = place.chain
        # the statement surely rebinds its names where it stands, and so does its line
        kill_points = chain[-2:] if len(chain) > 1 and chain[-1].is_line else chain[-1:]
        targets = node.targets if isinstance(node, cst.Assign) else [node]
        for target in targets:
            self._walk_target(target.target, place, kill_points)

    def _walk_target(
        self, target: cst.BaseExpression, place: _Place, kill_points: tuple[Step, ...] = ()
    ) -> None:
        if isinstance(target, cst.Name):
            if not place.nested:  # a nested scope's assignment binds its own variable
                self._record(target, True, place, kill_points)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._walk_target(element.value, place, kill_points)
        elif isinstance(target, cst.StarredElement):
            self._walk_target(target.value, place, kill_points)
        else:  # attribute or subscript targets read their parts
            self.walk(target, place)

    def _walk_comprehension(self, node: cst.CSTNode, place: _Place) -> None:
        local = _comprehension_targets(node)
        outer_iter = node.for_in.iter  # type: ignore[attr-defined]
        self.walk(outer_iter, place)
        for name in _names(node, outer_iter):
            if name.value not in local:
                self._record(name, False, place)


def _names(node: cst.CSTNode, skip: cst.CSTNode) -> Iterator[cst.Name]:
    """The variables read inside ``node`` (attribute names and keywords are not)."""
    if node is skip:
        return
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, cst.Attribute):
        yield from _names(node.value, skip)
    elif isinstance(node, cst.Arg):
        yield from _names(node.value, skip)
    else:
        for child in source_children(node):
            yield from _names(child, skip)
