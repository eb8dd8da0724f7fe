"""What a rule is: a small libcst visitor that reads the tree and reports.

A rule family subclasses ``Rule``: it sets ``INFOS`` (the codes it may report) and
``TRIGGER`` (its cheap text test, ``lint_rules.engine.triggers``), may narrow ``regions()``
(the line spans it needs parsed), and calls ``report()``. The engine parses, runs every
enabled rule in one traversal and turns reports into findings; a rule never changes the tree.
A report may carry a ``Fix`` (``lint_rules.fix.edits``), built in the rule's own module,
which the codemod applies later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from lint_rules.engine.info import NO_AUTOFIX, RuleInfo
from lint_rules.engine.positions import Positions

if TYPE_CHECKING:
    from lint_rules.engine.index import ModuleIndex, Span
    from lint_rules.engine.triggers import Trigger
    from lint_rules.fix.edits import Fix
    from lint_rules.settings import Settings


@dataclass(frozen=True)
class Report:
    node: cst.CSTNode
    info: RuleInfo
    message: str
    fix: Fix | None = None
    no_fix: str = NO_AUTOFIX  # why there is no fix, when ``fix`` is None


class Rule(cst.BatchableCSTVisitor):
    """Base class of every rule family. The engine guarantees that a rule only ever sees the
    spans it asked for (possibly merged with neighbouring ones)."""

    INFOS: ClassVar[Sequence[RuleInfo]] = ()
    TRIGGER: ClassVar[Callable[[Settings], Trigger]]

    def __init__(self, context: RuleContext) -> None:
        super().__init__()
        self.context = context
        self.settings = context.settings
        self.index = context.index
        self.reports: list[Report] = []

    @classmethod
    def regions(
        cls, index: ModuleIndex, settings: Settings, trigger_lines: Sequence[int]
    ) -> Iterable[Span | None]:
        """By default: the outermost function (or top-level statement) around each trigger."""
        return (index.enclosing_span(line) for line in trigger_lines)

    def report(
        self,
        node: cst.CSTNode,
        code: str,
        fix: Fix | None = None,
        *,
        no_fix: str = NO_AUTOFIX,
        **values: Any,
    ) -> None:
        """Report ``code`` at ``node``, its message filled with ``values``; ``fix`` rewrites it,
        or ``no_fix`` says why nothing can."""
        info = next(info for info in self.INFOS if info.code == code)
        self.reports.append(Report(node, info, info.format(**values), fix, no_fix))


class RuleContext:
    """What a rule may ask about the world outside the node it is looking at."""

    def __init__(
        self,
        settings: Settings,
        index: ModuleIndex,
        wrapper: cst.MetadataWrapper,
        text_first_line: int,
        span: Span,
    ) -> None:
        self.settings = settings
        self.index = index
        self._positions = Positions(wrapper, index, text_first_line, span)
        # filled during the one traversal (cheaper than ParentNodeProvider's own traversal)
        self._parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self._path: list[cst.CSTNode] = []

    def enter(self, node: cst.CSTNode) -> None:
        if self._path:
            self._parents[node] = self._path[-1]
        self._path.append(node)
        self._positions.record(node)

    def leave(self, node: cst.CSTNode) -> None:
        self._path.pop()

    def parent(self, node: cst.CSTNode) -> cst.CSTNode:
        """The parent of a node already visited (every node, once the traversal is over)."""
        return self._parents[node]

    def position_of(self, node: cst.CSTNode) -> tuple[int, int]:
        """(1-based line, 0-based column) of ``node`` in the file."""
        return self._positions.of(node)

    def line_of(self, node: cst.CSTNode) -> int:
        return self.position_of(node)[0]
