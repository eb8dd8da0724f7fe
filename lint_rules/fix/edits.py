"""What a rule's fix is: a typed object, built in the rule's own module, that turns into an edit.

A rule attaches a ``Fix`` to a report. The codemod later asks it for its ``Edit`` with a
``FixContext`` (``lint_rules.fix.context``: fresh names, the module's tracking set, imports)
and applies the edits (``lint_rules.fix.apply``). The machinery here knows no rule: a new fix
shape is a new ``Fix`` subclass next to the rule that reports it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Union

import libcst as cst

if TYPE_CHECKING:
    from lint_rules.fix.context import FixContext


class Unfixable(Exception):
    """A fix that cannot be applied safely here; the message says why (the finding is left)."""


@dataclass(frozen=True)
class ReplaceStatement:
    """Replace the small statement ``target`` by ``statements``, each on its own line. The
    first line keeps the comments above the original line, the first of ``statements`` its
    same-line comment."""

    target: cst.BaseSmallStatement
    statements: tuple[cst.BaseSmallStatement, ...]


@dataclass(frozen=True)
class RewriteNode:
    """Replace ``target`` (any node but a small statement) by ``rewrite(updated)``, where
    ``updated`` is ``target`` with the edits inside it already made."""

    target: cst.CSTNode
    rewrite: Callable[[Any], cst.CSTNode]


Edit = Union[ReplaceStatement, RewriteNode]


@dataclass(frozen=True)
class Fix(abc.ABC):
    """A safe rewrite of ``statement``, a node of the fully parsed module the report was made
    on: a small statement (``Expr``, ``Assign``, ...) or a compound one (a class, a function).

    ``requires`` names the fix option (``lint-rules fix --<option>``) without which the fix
    is left unapplied. Several findings may share one edit: ``edit()`` then returns the same
    edit object for each (``FixContext.shared``)."""

    requires: ClassVar[str | None] = None
    statement: cst.CSTNode

    @abc.abstractmethod
    def edit(self, context: FixContext) -> Edit:
        """The edit of ``statement``; raises ``Unfixable`` when it cannot be made safely."""
