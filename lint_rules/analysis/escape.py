"""Escape analysis: does a reference to a task reach something that outlives the function?

``flows()`` answers, for one expression, where its value goes next (awaited, stored on an
attribute, bound to a local name, put in a local container, discarded, ...). ``Verdicts``
follows local names and local containers through the function: a name keeps its task only
if some use that the binding reaches keeps it. Everything unknown counts as keeping: the
analysis flags only what it can prove is dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, Literal

import libcst as cst

from lint_rules.analysis import events
from lint_rules.analysis.events import Event
from lint_rules.analysis.scopes import Scope

# methods that put their argument into the receiving container
CONTAINER_INSERTS = frozenset(
    {"add", "append", "appendleft", "insert", "extend", "extendleft", "update", "setdefault"}
)
CONTAINER_REMOVALS = frozenset({"discard", "remove", "clear"})
# names followed through one another (`t2 = t1`, a list put in a list, ...): beyond this
# many, the analysis cannot tell (and does not recurse deeper)
MOST_FOLLOWED = 50
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


# what the value followed is: an asyncio task, a concurrent future (whose result() blocks
# until it is done), or a container of tasks
Holder = Literal["task", "future", "container"]


class Kind(enum.Enum):
    KEEP = "keep"  # reaches something that outlives the frame (or we cannot tell)
    DROP = "drop"  # discarded, or used in a way that does not keep it (how: ``Drop``)
    BIND = "bind"  # bound to a local name: follow the name
    CONTAINER = "container"  # put in a local container: follow the container
    LAMBDA = "lambda"  # returned from a lambda: depends on who calls the lambda
    NEVER_RUNS = "never-runs"  # inside a generator expression nobody iterates


class Drop(enum.Enum):
    """How a value is dropped on the spot."""

    STATEMENT = "statement"  # an expression statement
    METHOD = "method"  # a method of the task is called on it, and the task dropped
    USE = "use"  # read (compared, printed, logged, ...) and let go


class Loss(enum.Enum):
    """How a task that is not kept is lost: what a verdict reports."""

    DISCARDED = "discarded"  # dropped on the spot
    NAME = "name"  # bound to a local name that never keeps it
    CONTAINER = "container"  # kept only in a local container
    LAMBDA = "lambda"  # returned by a lambda, whose caller may drop it
    NEVER_RUNS = "never-runs"  # inside a generator expression nobody iterates


@dataclass(frozen=True)
class Flow:
    kind: Kind
    how: Drop | None = None  # for DROP
    name: str = ""  # for BIND / CONTAINER
    node: cst.CSTNode | None = None  # BIND: the target Name; LAMBDA: the lambda


KEEP = Flow(Kind.KEEP)


@dataclass(frozen=True)
class Verdict:
    kept: bool
    loss: Loss | None = None  # how a value that is not kept is lost
    name: str = ""
    reason: str = ""
    how: Drop | None = None  # for Loss.DISCARDED: how it was dropped
    lambda_node: cst.Lambda | None = None
    rebound: bool = False  # for Loss.NAME: lost by a rebinding, not by the frame ending


KEPT = Verdict(True)


@dataclass
class Verdicts:
    """Follows tasks through one region. ``parent`` maps a node to its parent;
    ``drops_argument`` tells the calls that read an argument and let go of it
    (print/logging/str/..., helpers that never keep it) apart."""

    parent: Callable[[cst.CSTNode], cst.CSTNode]
    drops_argument: Callable[[cst.Call, cst.Arg, Scope], bool]
    is_fresh_container_call: Callable[[cst.Call, Scope], bool]
    _events: dict[int, dict[str, list[Event]]] = field(default_factory=dict)
    _containers: dict[tuple[int, str], bool] = field(default_factory=dict)
    _reached: dict[tuple[int, str], events.Reach] = field(default_factory=dict)
    _operands: dict[cst.CSTNode, cst.BaseExpression] = field(default_factory=dict)
    _open_containers: int = 0  # containers being followed through one another

    # -- where a value goes next -------------------------------------------------------

    def flows(self, node: cst.BaseExpression, scope: Scope, holder: Holder = "task") -> list[Flow]:
        """Where the value of ``node`` goes; ``holder`` says what it is (their methods
        differ)."""
        node = self._whole_operand(node)
        parent = self.parent(node)
        if isinstance(parent, cst.Expr):
            return [Flow(Kind.DROP, Drop.STATEMENT)]
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
                return self.argument_flows(call, parent, scope)
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
        if isinstance(parent, cst.IfExp):  # its test: what is not is climbed above
            return _USE
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.UnaryOperation)):
            return _USE
        if isinstance(parent, (cst.If, cst.While, cst.Assert)) and node is parent.test:
            return _USE
        if isinstance(parent, (cst.FormattedStringExpression, cst.Del)):
            return _USE
        if isinstance(parent, cst.Index):
            return self.key_flows(parent, scope)
        if isinstance(parent, cst.Subscript) and node is parent.value:
            if holder != "container" or self.is_store_target(parent):
                return _USE
            return [KEEP]  # an item taken out of a container goes on somewhere
        if isinstance(parent, cst.Lambda) and node is parent.body:
            return [Flow(Kind.LAMBDA, node=parent)]
        return [KEEP]

    def _whole_operand(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """The outermost ``a or b`` / ``a if c else b`` whose value may be ``node``'s (the
        value goes where that expression's goes); ``node`` itself if none. Climbed without
        recursion, and remembered: such chains may be long."""
        climbed = []
        while node not in self._operands:
            parent = self.parent(node)
            if not isinstance(parent, cst.BooleanOperation) and not (
                isinstance(parent, cst.IfExp) and node is not parent.test
            ):
                self._operands[node] = node
                break
            climbed.append(node)
            node = parent
        top = self._operands[node]
        for inner in climbed:
            self._operands[inner] = top
        return top

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

    def argument_flows(self, call: cst.Call, argument: cst.Arg, scope: Scope) -> list[Flow]:
        if self.drops_argument(call, argument, scope):
            return _USE
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            if func.attr.value in CONTAINER_INSERTS:
                return [self.container_flow(func.value, scope)]
            if func.attr.value in CONTAINER_REMOVALS:
                return _USE
        return [KEEP]

    def attribute_flows(self, attribute: cst.Attribute, scope: Scope, holder: Holder) -> list[Flow]:
        method = attribute.attr.value
        called = self._is_called(attribute)
        if holder != "container":
            if not called:
                if self.is_store_target(attribute):
                    return _USE  # `task.tag = t` tags the task
                # a bound method (`loop.call_later(5, task.cancel)`) holds its task
                return self.flows(attribute, scope, holder)
            # its own methods do not keep it, except those that end it or wait for it
            if method == "cancel" or (holder == "future" and method in ("result", "exception")):
                return [KEEP]
            if method == "done" and self._polled(attribute):
                return [KEEP]  # `while not task.done(): ...` holds it until it is done
            return [Flow(Kind.DROP, Drop.METHOD)]
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

    def _polled(self, method: cst.Attribute) -> bool:
        """``task.done()`` is (part of) the test of a ``while`` loop."""
        node: cst.CSTNode = self.parent(method)  # the call
        while True:
            parent = self.parent(node)
            if isinstance(parent, cst.While):
                return node is parent.test
            if not isinstance(parent, (cst.UnaryOperation, cst.BooleanOperation)):
                return False
            node = parent

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

    def verdict(
        self, flows: Sequence[Flow], scope: Scope, seen: frozenset[int], holder: Holder = "task"
    ) -> Verdict:
        """Is a value (a ``holder``) with these flows kept? Unknown counts as kept."""
        if any(flow.kind is Kind.KEEP for flow in flows):
            return KEPT
        if flows and all(flow.kind is Kind.NEVER_RUNS for flow in flows):
            return Verdict(False, Loss.NEVER_RUNS)
        results: list[Verdict] = []
        for flow in flows:
            if flow.kind is Kind.BIND:
                results.append(self.binding_verdict(flow, scope, seen, holder))
            elif flow.kind is Kind.CONTAINER:
                kept = self.container_kept(flow.name, scope, seen)
                results.append(KEPT if kept else Verdict(False, Loss.CONTAINER, flow.name))
            elif flow.kind is Kind.LAMBDA:
                results.append(Verdict(False, Loss.LAMBDA, lambda_node=flow.node))  # type: ignore[arg-type]
            elif flow.kind is Kind.DROP:
                results.append(Verdict(False, Loss.DISCARDED, how=flow.how))
        if any(result.kept for result in results):
            return KEPT
        for loss in (Loss.CONTAINER, Loss.NAME, Loss.LAMBDA, Loss.DISCARDED):
            for result in results:
                if result.loss is loss:
                    return result
        return KEPT

    def binding_verdict(
        self, flow: Flow, scope: Scope, seen: frozenset[int], holder: Holder = "task"
    ) -> Verdict:
        if id(flow.node) in seen or len(seen) >= MOST_FOLLOWED:
            return KEPT
        seen = seen | {id(flow.node)}
        reach = self._reach(scope.node, flow.name)
        binding = reach.event_of(flow.node)  # type: ignore[arg-type]
        if binding is None:
            return KEPT
        reached = reach.uses_reached_by(binding)
        keeping: list[Event] = []
        dropped: list[Verdict] = []
        for use in reached:
            if use.nested:  # a closure holds the name: we cannot follow it
                return KEPT
            result = self.verdict(self.flows(use.node, scope, holder), scope, seen, holder)
            if result.loss is Loss.LAMBDA:
                result = KEPT  # a lambda returning the task: we cannot tell who calls it
            (keeping.append(use) if result.kept else dropped.append(result))
        if keeping:
            if events.lost_in_loop(binding, keeping):
                reason = "it is rebound on every loop iteration and only the last task is kept"
                return Verdict(False, Loss.NAME, flow.name, reason, rebound=True)
            return KEPT
        container = next((d for d in dropped if d.loss is Loss.CONTAINER), None)
        if container is not None:
            return container
        if flow.name == "_":
            reason = "'_' is a throwaway name"
        elif not reach.uses:
            reason = "it is never used"
        elif not reached:
            reason = "it is rebound before any use keeps it"
            return Verdict(False, Loss.NAME, flow.name, reason, rebound=True)
        else:
            reason = "it is only used in ways that do not keep it"
        return Verdict(False, Loss.NAME, flow.name, reason)

    def container_kept(self, name: str, scope: Scope, seen: frozenset[int]) -> bool:
        key = (id(scope.node), name)
        if key in self._containers:
            return self._containers[key]
        if self._open_containers >= MOST_FOLLOWED:
            return True
        self._containers[key] = True  # assume kept while we look (cycles)
        self._open_containers += 1
        try:
            kept = not self._is_fresh_container(name, scope) or any(
                use.nested or self._container_use_keeps(use, scope, seen)
                for use in self.events(scope.node).get(name, [])
                if not use.is_binding
            )
        finally:
            self._open_containers -= 1
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

    def events(self, function: cst.CSTNode) -> dict[str, list[Event]]:
        """Every binding and use of every name in ``function`` (collected once)."""
        if id(function) not in self._events:
            self._events[id(function)] = events.collect(function)
        return self._events[id(function)]

    def _reach(self, function: cst.CSTNode, name: str) -> events.Reach:
        """What each event of ``name`` in ``function`` reaches (worked out once)."""
        key = (id(function), name)
        if key not in self._reached:
            self._reached[key] = events.Reach(self.events(function).get(name, []))
        return self._reached[key]


_USE = [Flow(Kind.DROP, Drop.USE)]


def _as_container(flow: Flow) -> Flow:
    """What happens to a literal happens to the container of its elements."""
    if flow.kind is Kind.BIND:
        return Flow(Kind.CONTAINER, name=flow.name)
    if flow.kind is Kind.LAMBDA:
        return KEEP
    return flow
