"""TRK101/TRK102/TRK104 rewrites: keep the task in the module's tracking set.

A task made by a statement of its own gets the pattern the asyncio documentation gives::

    _task = asyncio.create_task(refresh(key))
    _background_tasks.add(_task)
    _task.add_done_callback(_background_tasks.discard)

A task made inside an expression (a comprehension, a conditional expression, an argument, a
walrus, a tuple, a lambda given to ``call_soon``), or where binding a fresh name could change
what the program sees (a function that reads ``locals()``, a class body run by a metaclass),
is kept where it is made, binding nothing: ``_keep(asyncio.create_task(refresh(key)))``,
where ``_keep`` is the typed helper inserted once beside the tracking set.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import libcst as cst

from lint_rules.fix.context import FixContext
from lint_rules.fix.edits import Edit, Fix, ReplaceStatement, RewriteNode, Unfixable
from lint_rules.fix.names import uses
from lint_rules.fix.statements import standalone

TASK_NAME = "_task"
ParentOf = Callable[[cst.CSTNode], cst.CSTNode]

# names through which code may read a frame's local names: a fresh name would show there
INTROSPECTION = ("locals", "vars", "dir", "exec", "eval", "_getframe", "currentframe", "f_locals")
# at module level, the module's namespace too
MODULE_INTROSPECTION = (*INTROSPECTION, "globals", "__dict__")
# classes whose metaclass runs the class body in a plain dict (their namespace is looked up
# as usual), but turns some of its names into something else (members, fields)
PLAIN_LOOKUP_BASES = frozenset(
    f"{module}.{name}"
    for module, names in (
        ("enum", ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum")),
        ("typing", ("NamedTuple", "TypedDict", "Generic", "Protocol")),
        ("typing_extensions", ("NamedTuple", "TypedDict", "Generic", "Protocol")),
    )
    for name in names
)
UNKNOWN_CLASS = (
    "the class body may not be an ordinary namespace (a base or metaclass the codemod does "
    "not know)"
)


def tracking_pair(task: str, tracking_set: str) -> list[cst.BaseSmallStatement]:
    """``<set>.add(<task>)`` and ``<task>.add_done_callback(<set>.discard)``."""
    return [
        cst.Expr(cst.parse_expression(f"{tracking_set}.add({task})")),
        cst.Expr(cst.parse_expression(f"{task}.add_done_callback({tracking_set}.discard)")),
    ]


@dataclass(frozen=True)
class TrackExpression(Fix):
    """TRK101: ``create_task(c)`` (or ``create_task(c).method(...)``) as a statement becomes
    ``_task = create_task(c)`` + the tracking pair (+ ``_task.method(...)``); where a fresh
    name is not safe to bind, ``_keep(create_task(c))`` (``.method(...)``)."""

    statement: cst.Expr
    call: cst.Call

    def edit(self, context: FixContext) -> Edit:
        statement, call = self.statement, self.call
        scope = context.scope_of(statement)
        if not _may_bind(context, scope):
            return keep_in_place(context, statement, call)
        task = context.fresh_name(statement, TASK_NAME)
        statements: list[cst.BaseSmallStatement] = [
            cst.Assign([cst.AssignTarget(cst.Name(task))], standalone(call)),
            *tracking_pair(task, context.tracking_set()),
        ]
        if statement.value is not call:  # a method chained on the fresh task: keep the call
            statements.append(statement.deep_replace(call, cst.Name(task)))
        if isinstance(scope, cst.ClassDef):
            # a class attribute could shadow a base class's: leave the namespace as it was
            statements.append(cst.Del(cst.Name(task)))
        return ReplaceStatement(statement, tuple(statements))


@dataclass(frozen=True)
class TrackBinding(Fix):
    """TRK102: ``name = create_task(c)`` gets the tracking pair right after it."""

    statement: cst.Assign | cst.AnnAssign
    name: str

    def edit(self, context: FixContext) -> Edit:
        pair = tracking_pair(self.name, context.tracking_set())
        return ReplaceStatement(self.statement, (self.statement, *pair))


@dataclass(frozen=True)
class KeepInPlace(Fix):
    """A task made inside the expression of ``statement``: ``call`` becomes
    ``_keep(call)``. The findings in one statement share its edit."""

    statement: cst.BaseSmallStatement | cst.BaseCompoundStatement
    call: cst.Call

    def edit(self, context: FixContext) -> Edit:
        if isinstance(context.scope_of(self.statement), cst.ClassDef):
            _class_lookups_are_plain(context, context.scope_of(self.statement))
        return keep_in_place(context, self.statement, self.call)


@dataclass
class _Wrapped:
    edit: RewriteNode
    calls: set[cst.Call] = field(default_factory=set)


def keep_in_place(
    context: FixContext,
    statement: cst.BaseSmallStatement | cst.BaseCompoundStatement,
    call: cst.Call,
) -> Edit:
    """The edit of ``statement`` that wraps ``call`` (and the calls other findings in it
    add) in the module's ``_keep()``."""
    keeper = context.keeper()

    def make() -> _Wrapped:
        def rewrite(node: cst.CSTNode) -> cst.CSTNode:
            return node.visit(_WrapCalls(wrapped.calls, keeper))

        wrapped = _Wrapped(RewriteNode(statement, rewrite))
        return wrapped

    shared = context.shared(("keep", statement), make)
    shared.calls.add(call)
    return shared.edit


class _WrapCalls(cst.CSTTransformer):
    def __init__(self, calls: Collection[cst.Call], keeper: str) -> None:
        super().__init__()
        self.calls = calls
        self.keeper = keeper

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if original_node not in self.calls:
            return updated_node
        # the parentheses around the call stay outside: `(_keep(create_task(c)))`
        inner = updated_node.with_changes(lpar=[], rpar=[])
        return cst.Call(
            cst.Name(self.keeper),
            [cst.Arg(inner)],
            lpar=updated_node.lpar,
            rpar=updated_node.rpar,
        )


def _may_bind(context: FixContext, scope: cst.CSTNode) -> bool:
    """A fresh name bound in ``scope`` (and deleted again in a class) changes nothing
    else the program sees. Raises ``Unfixable`` for a class body the codemod cannot read."""
    # once per scope, not once per finding: a scope of many tasks made fixing quadratic
    if not context.shared((_may_bind, scope), lambda: _no_introspection(context, scope)):
        return False
    if isinstance(scope, cst.ClassDef):
        return _class_lookups_are_plain(context, scope)
    return True


def _no_introspection(context: FixContext, scope: cst.CSTNode) -> bool:
    """No name of ``scope``'s code reads its namespace as a whole (``locals()``, ...)."""
    names = MODULE_INTROSPECTION if isinstance(scope, cst.Module) else INTROSPECTION
    code = context.code_of(scope)
    return not any(uses(code, name) for name in names)


def _class_lookups_are_plain(context: FixContext, cls: cst.ClassDef) -> bool:
    """True: ``cls`` is an ordinary class (type is its metaclass); False: its metaclass is
    one whose namespace is a plain dict but gives names a meaning (enum members, fields);
    raises ``Unfixable`` for any other class."""
    kind = _class_kind(context, cls, set())
    if kind is None:
        raise Unfixable(UNKNOWN_CLASS)
    return kind


def _class_kind(context: FixContext, cls: cst.ClassDef, seen: set[str]) -> bool | None:
    """True ordinary, False plain lookups only, None unknown."""
    if cls.keywords:  # metaclass=..., or keywords for __init_subclass__
        return None
    ordinary = True
    for base in cls.bases:
        if base.star or base.keyword is not None:
            return None
        value = base.value
        if isinstance(value, cst.Subscript):  # Generic[T], Protocol[T]
            value = value.value
        qualified = context.qualified_name(value)
        if qualified in ("builtins.object", "object"):
            continue
        if qualified in PLAIN_LOOKUP_BASES:
            ordinary = False
            continue
        local = _module_class(context, value)
        if local is None or local.name.value in seen:
            return None
        kind = _class_kind(context, local, {*seen, local.name.value})
        if kind is None:
            return None
        ordinary = ordinary and kind
    return ordinary


def _module_class(context: FixContext, node: cst.BaseExpression) -> cst.ClassDef | None:
    """The top-level class of the module ``node`` names, if that name is bound only there."""
    if not isinstance(node, cst.Name):
        return None
    if not context.bound_only_by_definition(node.value):
        return None
    return next(
        (
            line
            for line in context.module.body
            if isinstance(line, cst.ClassDef) and line.name.value == node.value
        ),
        None,
    )


def expression_fix(call: cst.Call, parent: ParentOf) -> Fix | None:
    """``create_task(c)`` or ``create_task(c).method(...)`` as a whole statement; else the
    task kept where it is made, inside the expression of a small statement."""
    statement = parent(call)
    if isinstance(statement, cst.Attribute):
        chained = parent(statement)
        if isinstance(chained, cst.Call) and chained.func is statement:
            if isinstance(parent(chained), cst.Expr):
                return TrackExpression(parent(chained), call)  # type: ignore[arg-type]
    if isinstance(statement, cst.Expr):
        return TrackExpression(statement, call)
    return keep_fix(call, parent)


def keep_fix(call: cst.Call, parent: ParentOf) -> KeepInPlace | None:
    """``call`` in the expression of a statement (in a comprehension, a conditional, an
    argument, a walrus, a tuple, a lambda; in the test of an ``if``): wrapped where it is.
    None in what a ``def`` or ``class`` line evaluates (left reported)."""
    node: cst.CSTNode = call
    while True:
        node = parent(node)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Decorator, cst.Param)):
            return None
        if isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            return KeepInPlace(node, call)


def binding_fix(call: cst.Call, parent: ParentOf) -> Fix | None:
    """``name = create_task(c)`` (also annotated or chained ``a = b = ...``); else (a walrus,
    a tuple unpacking) the task kept where it is made."""
    statement = parent(call)
    if isinstance(statement, cst.Assign) and all(
        isinstance(target.target, cst.Name) for target in statement.targets
    ):
        name = statement.targets[0].target
    elif isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
        name = statement.target
    else:
        return keep_fix(call, parent)
    assert isinstance(name, cst.Name)
    return TrackBinding(statement, name.value)
