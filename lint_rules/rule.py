"""What a rule is: its documentation (``RuleInfo``) and its visitor (``Rule``).

A rule is a small libcst ``BatchableCSTVisitor``. The engine parses, resolves metadata and runs
every enabled rule in one traversal; a rule only reads the tree and calls ``report()``. A report
may carry a ``Fix``: a description of a safe rewrite that the codemod applies later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from lint_rules.positions import Positions

if TYPE_CHECKING:
    from lint_rules.index import ModuleIndex, Span
    from lint_rules.settings import Settings
    from lint_rules.triggers import Trigger


@dataclass(frozen=True)
class RuleInfo:
    """Everything users read about one code: flake8 message, `explain`, README, SARIF."""

    code: str
    name: str  # kebab-case slug, e.g. "discarded-task"
    message: str  # one line: what is wrong and what to do; may hold {placeholders}
    summary: str  # one sentence for tables and SARIF shortDescription
    explanation: str  # the rationale, a few sentences
    bad: str  # an example that is reported
    good: str  # the same example, fixed
    autofix: str  # "" when `lint-rules fix` cannot rewrite it, else which shapes it rewrites

    def format(self, **values: Any) -> str:
        return self.message.format(**values)


@dataclass(frozen=True)
class Fix:
    """A rewrite the codemod may apply. ``kind`` names the transformation; nodes are the
    libcst nodes of the fully parsed module the report was made on."""

    kind: str
    statement: cst.CSTNode  # the small statement (Expr, Assign, ...) to rewrite
    call: cst.Call | None = None
    names: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    node: cst.CSTNode
    info: RuleInfo
    message: str
    fix: Fix | None = None


class Rule(cst.BatchableCSTVisitor):
    """Base class of every rule family.

    Subclasses set ``INFOS`` (the codes they may report) and ``TRIGGER`` (their family's
    cheap text test in ``lint_rules.triggers``: it must accept every file and line they could
    report on), and implement ``regions()``, the line spans they need parsed. The engine
    guarantees that a rule only ever sees spans it asked for (possibly merged with
    neighbouring ones).
    """

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
    ) -> Iterable[Span]:
        """By default: the outermost function (or top-level statement) around each trigger."""
        return (index.enclosing_span(line) for line in trigger_lines)

    def report(self, node: cst.CSTNode, code: str, fix: Fix | None = None, **values: Any) -> None:
        info = next(info for info in self.INFOS if info.code == code)
        self.reports.append(Report(node, info, info.format(**values), fix))


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
