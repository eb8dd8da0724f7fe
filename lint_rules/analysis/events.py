"""Name events: every binding and use of every name of a function, in evaluation order, with
the statements, loops and nested scopes around each; and whether a binding reaches a use.

The escape analysis (``lint_rules.analysis.escape``) follows a task through the names it is
bound to with these.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from lint_rules.analysis.flow import NESTED_SCOPES, always_leaves, own_nodes
from lint_rules.analysis.scopes import target_names
from lint_rules.engine.traversal import source_children

_SEQUENCE_OWNERS = (
    cst.Module,
    cst.IndentedBlock,
    cst.SimpleStatementLine,
    cst.SimpleStatementSuite,
)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_LOOPS = (cst.For, cst.While)


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


def collect(function: cst.CSTNode) -> dict[str, list[Event]]:
    """Every binding and use of every name in ``function``, in evaluation order."""
    collector = _EventCollector()
    body = getattr(function, "body", None)
    if body is not None:
        collector.walk(body, _Place())
    return collector.events


class Reach:
    """Which uses of one name the value of each of its events may still be there at.

    A value reaches a use that comes after it, that shares a loop with it, or that lies in a
    nested scope, unless a binding surely replaces it on the way: one whose kill point is
    statement i of a sequence, when the use lies in a later statement j of that sequence and
    the value does not come from statements i+1..j (from where it would skip the kill). A
    binding does not replace its own value, nor does an earlier target of its own statement
    (``a = a = task``).

    Only the deepest sequence on the use's chain with a kill point before the use decides:
    a value from inside that sequence, at or after its last kill point, skips every kill
    point further out (it comes from the very statement that holds the sequence), and any
    other value is replaced by that last kill. So for each use the candidates are the
    bindings in that sequence from its last kill point up to the use (every binding when
    there is none): linear in the events of ordinary code, where each use sees the few
    bindings since the last one."""

    def __init__(self, name_events: Sequence[Event]) -> None:
        self.uses = [event for event in name_events if not event.is_binding]
        self._by_node: dict[cst.Name, Event] = {}  # the first event of each node
        for event in name_events:
            self._by_node.setdefault(event.node, event)
        bindings = [event for event in name_events if event.is_binding and not event.nested]
        self._kills: dict[int, list[int]] = {}  # owner -> indices of the statements that kill
        self._killers: dict[tuple[int, int], list[Event]] = {}  # (owner, index) -> who
        inside: dict[int, list[tuple[int, Event]]] = {}  # owner -> (index, binding) in it
        for binding in bindings:
            for point in binding.kill_points:
                self._kills.setdefault(point.owner, []).append(point.index)
                self._killers.setdefault((point.owner, point.index), []).append(binding)
            for step in binding.chain:
                inside.setdefault(step.owner, []).append((step.index, binding))
        for indices in self._kills.values():
            indices.sort()
        self._reached: dict[int, list[Event]] = {binding.order: [] for binding in bindings}
        for entries in inside.values():
            entries.sort(key=lambda entry: (entry[0], entry[1].order))
        starts = {owner: [index for index, _ in entries] for owner, entries in inside.items()}
        for use in self.uses:
            last_kill = self._last_kill(use)
            if last_kill is None:
                candidates: Sequence[Event] = bindings
            else:
                step, kill = last_kill
                low = bisect.bisect_left(starts.get(step.owner, []), kill)
                high = bisect.bisect_right(starts.get(step.owner, []), step.index)
                candidates = [
                    binding
                    for index, binding in inside.get(step.owner, [])[low:high]
                    if index > kill or self._spared(binding, step.owner, kill)
                ]
            for binding in candidates:
                if _may_reach(binding, use):
                    self._reached[binding.order].append(use)

    def event_of(self, node: cst.Name) -> Event | None:
        return self._by_node.get(node)

    def uses_reached_by(self, source: Event) -> list[Event]:
        """The uses ``source``'s value may still be there at, in order. Bindings are
        answered from the table; another event (a walrus target in a comprehension is
        recorded as a use) is worked out use by use."""
        if source.order in self._reached:
            return self._reached[source.order]
        return [use for use in self.uses if self._reaches(source, use)]

    def _reaches(self, source: Event, use: Event) -> bool:
        last_kill = self._last_kill(use)
        if last_kill is not None:
            step, kill = last_kill
            index = next((s.index for s in source.chain if s.owner == step.owner), None)
            if index is None or not kill <= index <= step.index:
                return False
            if index == kill and not self._spared(source, step.owner, kill):
                return False
        return _may_reach(source, use)

    def _last_kill(self, use: Event) -> tuple[Step, int] | None:
        """The deepest step of ``use``'s chain whose sequence holds a kill point before it,
        and that kill point's index."""
        found = None
        for step in use.chain:
            indices = self._kills.get(step.owner, ())
            position = bisect.bisect_left(indices, step.index)
            if position:
                found = step, indices[position - 1]
        return found

    def _spared(self, source: Event, owner: int, index: int) -> bool:
        """``source`` comes from statement ``index`` of ``owner``, and no binding with a kill
        point there replaces its value."""
        return all(_spares(other, source) for other in self._killers[owner, index])


def _may_reach(binding: Event, use: Event) -> bool:
    """Where ``use`` is allows ``binding`` to reach it, kills aside."""
    forward = use.order > binding.order
    return forward or use.nested or bool(set(map(id, binding.loops)) & set(map(id, use.loops)))


def _spares(other: Event, binding: Event) -> bool:
    """``other`` does not replace the value of ``binding``: it is ``binding`` itself, or an
    earlier target of the same statement (``a = a = task``)."""
    return other is binding or (
        other.kill_points == binding.kill_points and other.order < binding.order
    )


def lost_in_loop(binding: Event, keeping: Sequence[Event]) -> bool:
    """Bound unconditionally in a loop body that runs more than once, and kept only by
    uses after the loop: every task but the last is dropped."""
    if not binding.loops:
        return False
    loop = binding.loops[-1]
    body = loop.body  # type: ignore[attr-defined]
    if not any(point.owner == id(body) for point in binding.kill_points):
        return False
    if any(any(outer is loop for outer in use.loops) for use in keeping):
        return False  # kept inside the loop (tested first: cheaper than reading the body)
    # the loop body always leaves the loop: it never runs twice
    return not any(always_leaves(statement, breaks=True) for statement in getattr(body, "body", ()))


def _comprehension_targets(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    comp_for = getattr(node, "for_in", None)
    while comp_for is not None:
        names.update(n.value for n in target_names(comp_for.target))
        comp_for = comp_for.inner_for_in
    return names


def own_locals(scope: cst.CSTNode) -> frozenset[str]:
    """The names that mean a nested function's or lambda's own variables inside it: its
    parameters and, for a function, what its body binds (unless declared nonlocal or
    global). A class body's names are left out: code in it may still read the outer ones."""
    if isinstance(scope, cst.ClassDef):
        return frozenset()
    params = scope.params  # type: ignore[attr-defined]
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    names = {param.name.value for param in every}
    declared: set[str] = set()
    for node in own_nodes(scope.body):  # type: ignore[attr-defined]
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            declared.update(item.name.value for item in node.names)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            names.add(node.name.value)
        for target in _binding_targets(node):
            names.update(name.value for name in target_names(target))
    return frozenset(names - declared)


def _binding_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        return [target.target for target in node.targets]
    if isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor)):
        return [node.target]
    if isinstance(node, cst.WithItem) and node.asname is not None:
        return [node.asname.name]
    if isinstance(node, cst.ExceptHandler) and node.name is not None:
        return [node.name.name]
    if isinstance(node, cst.ImportAlias):
        return [node.asname.name if node.asname is not None else node.name]
    return []


@dataclass(frozen=True)
class _Place:
    """Where the walk is: the statements around it, the loop bodies it is in, whether a
    nested function, lambda or class lies between it and the function analysed, and the
    names those nested scopes make their own (which are not the function's variables)."""

    chain: tuple[Step, ...] = ()
    loops: tuple[cst.CSTNode, ...] = ()
    nested: bool = False
    shadowed: frozenset[str] = frozenset()

    def at(self, step: Step) -> _Place:
        return _Place((*self.chain, step), self.loops, self.nested, self.shadowed)

    def looping(self, loop: cst.CSTNode) -> _Place:
        return _Place(self.chain, (*self.loops, loop), self.nested, self.shadowed)

    def in_nested_scope(self, scope: cst.CSTNode) -> _Place:
        return _Place(self.chain, self.loops, True, self.shadowed | own_locals(scope))


Walk = tuple[cst.CSTNode, _Place]  # a node to walk, and where it is


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
        """Record the events below ``node``. Each ``_visit`` yields the (node, place) pairs
        to walk next, in order; a stack of them replaces recursion, so that deep code (a
        long ``elif`` chain, a long ``a or b or ...``) cannot reach Python's recursion limit."""
        pending: list[Iterator[Walk]] = [self._visit(node, place)]
        while pending:
            child = next(pending[-1], None)
            if child is None:
                pending.pop()
            else:
                pending.append(self._visit(*child))

    def _visit(self, node: cst.CSTNode, place: _Place) -> Iterator[Walk]:
        if isinstance(node, cst.Name):
            if node.value not in place.shadowed:
                self._record(node, False, place)
        elif isinstance(node, _SEQUENCE_OWNERS):
            is_line = isinstance(node, cst.SimpleStatementLine)
            for index, statement in enumerate(node.body):
                yield statement, place.at(Step(id(node), index, is_line))
        elif isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            yield from self._walk_assignment(node, place)
        elif isinstance(node, cst.NamedExpr):
            yield node.value, place
            yield from self._walk_target(node.target, place)
        elif isinstance(node, _LOOPS):
            if isinstance(node, cst.For):
                yield node.iter, place
                yield from self._walk_target(node.target, place.looping(node))
            else:
                yield node.test, place.looping(node)
            yield node.body, place.looping(node)
            if node.orelse is not None:
                yield node.orelse, place
        elif isinstance(node, cst.WithItem):
            yield node.item, place
            if node.asname is not None:
                yield from self._walk_target(node.asname.name, place)
        elif isinstance(node, cst.ExceptHandler):
            if node.type is not None:
                yield node.type, place
            if node.name is not None:
                yield from self._walk_target(node.name.name, place)
            yield node.body, place
        elif isinstance(node, NESTED_SCOPES):
            own_name = getattr(node, "name", None)
            inner = place.in_nested_scope(node)
            for child in source_children(node):
                if child is not own_name:
                    yield child, inner
        elif isinstance(node, _COMPREHENSIONS):
            yield from self._walk_comprehension(node, place)
        elif isinstance(node, cst.Attribute):
            yield node.value, place  # `.attr` is not a variable
        elif isinstance(node, (cst.Arg, cst.Param)) and getattr(node, "keyword", None):
            yield node.value, place  # `f(name=...)`: not a variable
        elif not isinstance(node, (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal)):
            for child in source_children(node):
                yield child, place

    def _walk_assignment(
        self, node: cst.Assign | cst.AnnAssign | cst.AugAssign, place: _Place
    ) -> Iterator[Walk]:
        if node.value is not None:
            yield node.value, place
        if isinstance(node, cst.AugAssign):
            yield node.target, place  # `x += y` reads x first
        if isinstance(node, cst.AnnAssign) and node.value is None:
            return  # `x: int` binds nothing
        chain = place.chain
        # the statement surely rebinds its names where it stands, and so does its line
        kill_points = chain[-2:] if len(chain) > 1 and chain[-1].is_line else chain[-1:]
        targets = node.targets if isinstance(node, cst.Assign) else [node]
        for target in targets:
            yield from self._walk_target(target.target, place, kill_points)

    def _walk_target(
        self, target: cst.BaseExpression, place: _Place, kill_points: tuple[Step, ...] = ()
    ) -> Iterator[Walk]:
        if isinstance(target, cst.Name):
            if not place.nested:  # a nested scope's assignment binds its own variable
                self._record(target, True, place, kill_points)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                yield from self._walk_target(element.value, place, kill_points)
        elif isinstance(target, cst.StarredElement):
            yield from self._walk_target(target.value, place, kill_points)
        else:  # attribute or subscript targets read their parts
            yield target, place

    def _walk_comprehension(self, node: cst.CSTNode, place: _Place) -> Iterator[Walk]:
        local = _comprehension_targets(node)
        outer_iter = node.for_in.iter  # type: ignore[attr-defined]
        yield outer_iter, place
        for name in _names(node, outer_iter):
            if name.value not in local:
                self._record(name, False, place)


def _names(node: cst.CSTNode, skip: cst.CSTNode) -> Iterator[cst.Name]:
    """The variables read inside ``node`` (attribute names and keywords are not), in source
    order."""
    pending = [node]
    while pending:
        current = pending.pop()
        if current is skip:
            continue
        if isinstance(current, cst.Name):
            yield current
        elif isinstance(current, (cst.Attribute, cst.Arg)):
            pending.append(current.value)
        else:
            pending.extend(reversed(list(source_children(current))))
