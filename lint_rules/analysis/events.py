"""Name events: every binding and use of every name of a function, in evaluation order, with
the statements, loops and nested scopes around each; and whether a binding reaches a use.

The escape analysis (``lint_rules.analysis.escape``) follows a task through the names it is
bound to with these.
"""

from __future__ import annotations

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


def reaches(binding: Event, use: Event, events: Sequence[Event]) -> bool:
    """The value ``binding`` gives the name may still be there at ``use``."""
    forward = use.order > binding.order
    around_loop = bool(set(map(id, binding.loops)) & set(map(id, use.loops)))
    if not (forward or around_loop or use.nested):
        return False
    return not any(
        _kills(other, binding, use)
        for other in events
        if other.is_binding
        and other is not binding
        and not other.nested
        and not _earlier_in_same_statement(other, binding)
    )


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
            s.owner == point.owner and point.index < s.index <= later.index for s in binding.chain
        ):
            return True
    return False


def lost_in_loop(binding: Event, keeping: Sequence[Event]) -> bool:
    """Bound unconditionally in a loop body that runs more than once, and kept only by
    uses after the loop: every task but the last is dropped."""
    if not binding.loops:
        return False
    loop = binding.loops[-1]
    body = loop.body  # type: ignore[attr-defined]
    if not any(point.owner == id(body) for point in binding.kill_points):
        return False
    if any(always_leaves(statement, breaks=True) for statement in getattr(body, "body", ())):
        return False  # the loop body always leaves the loop: it never runs twice
    return all(all(outer is not loop for outer in use.loops) for use in keeping)


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
            if node.value not in place.shadowed:
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
        elif isinstance(node, NESTED_SCOPES):
            own_name = getattr(node, "name", None)
            inner = place.in_nested_scope(node)
            for child in source_children(node):
                if child is not own_name:
                    self.walk(child, inner)
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
