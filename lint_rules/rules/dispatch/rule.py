"""TRK3xx: callback classes must declare how their async hooks are dispatched.

LiteLLM has no way to say whether a ``CustomLogger`` hook must be awaited before the response
returns or may run in the background. This family asks every callback class with async hooks
to say so in a class attribute (``dispatch_mode = "blocking"`` or ``"fire_and_forget"``, name
configurable).

Which classes are callback classes is decided on the module's ``ast`` tree (``classes.py``);
libcst parses only the top-level statements holding the classes to report. A TRK301 report
carries the ``--declare-dispatch-mode`` rewrite (``fixes.py``); TRK302 has none (the
intended mode is unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import libcst as cst

from lint_rules.analysis.scopes import ScopedRule
from lint_rules.engine.index import ModuleIndex, Span
from lint_rules.engine.names import code_of
from lint_rules.engine.rule import RuleContext
from lint_rules.rules.dispatch import codes
from lint_rules.rules.dispatch.classes import CallbackClass, declarations, reported_classes
from lint_rules.rules.dispatch.fixes import DeclareDispatchMode
from lint_rules.settings import Settings


class DispatchRules(ScopedRule):
    INFOS = codes.INFOS

    TRIGGER = staticmethod(codes.trigger)

    @classmethod
    def regions(
        cls, index: ModuleIndex, settings: Settings, trigger_lines: Sequence[int]
    ) -> Iterable[Span | None]:
        return {
            _class_span(index, found, settings.dispatch_attribute)
            for found in reported_classes(index, settings).values()
        }

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self._reported = reported_classes(self.index, self.settings)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        found = self._reported.get((self.context.line_of(node.name), node.name.value))
        if found is None:
            return
        attribute = self.settings.dispatch_attribute
        if found.hooks and not found.declared:
            fix = DeclareDispatchMode(node, attribute)
            hooks = ", ".join(found.hooks)
            self.report(
                node.name, "TRK301", fix, name=node.name.value, hooks=hooks, attribute=attribute
            )
        own = list(_cst_declarations(node, attribute))
        for position in found.invalid:
            target, statement = own[position]
            self.report(target, "TRK302", declaration=code_of(statement))


def _class_span(index: ModuleIndex, found: CallbackClass, attribute: str) -> Span | None:
    """What libcst must parse to report on a class: for a top-level class, only its header
    up to its first statement and the declarations to report (a class cut after any of its
    statements is still valid Python, and LiteLLM's classes run to thousands of lines);
    otherwise the whole top-level statement holding it (a cut inside ``try:`` would not
    parse)."""
    cls = found.node
    top = index.top_level_span(cls.lineno)
    if top is None or cls not in index.tree.body:
        return top
    own = declarations(cls.body, attribute)
    ends = [cls.body[0].end_lineno, *(own[n].end_lineno for n in found.invalid)]
    return Span(top.start, min(top.end, max(end or top.end for end in ends)))


def _cst_declarations(
    node: cst.ClassDef, attribute: str
) -> Iterator[tuple[cst.Name, cst.BaseSmallStatement]]:
    """The class body's bindings of ``attribute``, in the order ``declarations()`` finds them."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]
    for line in body:
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            continue
        for statement in line.body:
            if isinstance(statement, cst.AnnAssign):
                if isinstance(statement.target, cst.Name) and statement.target.value == attribute:
                    yield statement.target, statement
            elif isinstance(statement, cst.Assign):
                target = next(
                    (
                        t.target
                        for t in statement.targets
                        if isinstance(t.target, cst.Name) and t.target.value == attribute
                    ),
                    None,
                )
                if target is not None:
                    yield target, statement
