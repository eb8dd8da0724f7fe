"""TRK101/TRK102 rewrites: keep the task in the module's tracking set, the pattern the asyncio
documentation gives::

    _task = asyncio.create_task(refresh(key))
    _background_tasks.add(_task)
    _task.add_done_callback(_background_tasks.discard)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from lint_rules.fix.context import FixContext
from lint_rules.fix.edits import Edit, Fix, ReplaceStatement
from lint_rules.fix.statements import standalone

TASK_NAME = "_task"
ParentOf = Callable[[cst.CSTNode], cst.CSTNode]


def tracking_pair(task: str, tracking_set: str) -> list[cst.BaseSmallStatement]:
    """``<set>.add(<task>)`` and ``<task>.add_done_callback(<set>.discard)``."""
    return [
        cst.Expr(cst.parse_expression(f"{tracking_set}.add({task})")),
        cst.Expr(cst.parse_expression(f"{task}.add_done_callback({tracking_set}.discard)")),
    ]


@dataclass(frozen=True)
class TrackExpression(Fix):
    """TRK101: ``create_task(c)`` (or ``create_task(c).method(...)``) as a statement becomes
    ``_task = create_task(c)`` + the tracking pair (+ ``_task.method(...)``)."""

    statement: cst.Expr
    call: cst.Call

    def edit(self, context: FixContext) -> Edit:
        statement, call = self.statement, self.call
        task = context.fresh_name(statement, TASK_NAME)
        statements: list[cst.BaseSmallStatement] = [
            cst.Assign([cst.AssignTarget(cst.Name(task))], standalone(call)),
            *tracking_pair(task, context.tracking_set()),
        ]
        if statement.value is not call:  # a method chained on the fresh task: keep the call
            statements.append(statement.deep_replace(call, cst.Name(task)))
        if isinstance(context.scope_of(statement), cst.ClassDef):
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


def expression_fix(call: cst.Call, parent: ParentOf) -> TrackExpression | None:
    """``create_task(c)`` or ``create_task(c).method(...)`` as a whole statement."""
    statement = parent(call)
    if isinstance(statement, cst.Attribute):
        chained = parent(statement)
        if not (isinstance(chained, cst.Call) and chained.func is statement):
            return None
        statement = parent(chained)
    if isinstance(statement, cst.Expr):
        return TrackExpression(statement, call)
    return None


def binding_fix(call: cst.Call, parent: ParentOf) -> TrackBinding | None:
    """``name = create_task(c)`` (also annotated or chained ``a = b = ...``)."""
    statement = parent(call)
    if isinstance(statement, cst.Assign) and all(
        isinstance(target.target, cst.Name) for target in statement.targets
    ):
        name = statement.targets[0].target
    elif isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
        name = statement.target
    else:
        return None
    assert isinstance(name, cst.Name)
    return TrackBinding(statement, name.value)
