"""TRK301 rewrite (``lint-rules fix --declare-dispatch-mode=MODE``): ``<attribute> = "<mode>"``
in the class body, after its docstring and before its first other statement."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import libcst as cst

from lint_rules.fix.context import FixContext
from lint_rules.fix.edits import Edit, Fix, RewriteNode, Unfixable
from lint_rules.fix.statements import is_docstring
from lint_rules.settings import DISPATCH_MODES


@dataclass(frozen=True)
class DeclareDispatchMode(Fix):
    requires = "declare_dispatch_mode"
    statement: cst.ClassDef
    attribute: str

    def edit(self, context: FixContext) -> Edit:
        cls, attribute = self.statement, self.attribute
        mode = context.options["declare_dispatch_mode"]
        if mode not in DISPATCH_MODES:
            raise Unfixable(f"--declare-dispatch-mode must be one of {', '.join(DISPATCH_MODES)}")
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        if any(
            isinstance(line, (cst.FunctionDef, cst.ClassDef)) and line.name.value == attribute
            for line in body
        ):
            raise Unfixable(f"the class defines {attribute} itself")
        value = cst.SimpleString(f'"{mode}"')
        declaration = cst.SimpleStatementLine(
            [cst.Assign([cst.AssignTarget(cst.Name(attribute))], value)]
        )
        return RewriteNode(cls, functools.partial(_declare, declaration=declaration))


def _declare(cls: cst.ClassDef, declaration: cst.SimpleStatementLine) -> cst.ClassDef:
    body = cls.body
    if isinstance(body, cst.SimpleStatementSuite):  # `class A(CustomLogger): ...`
        line = cst.SimpleStatementLine(body.body, trailing_whitespace=body.trailing_whitespace)
        body = cst.IndentedBlock(body=[line])
    assert isinstance(body, cst.IndentedBlock)
    lines = _docstring_alone(list(body.body))
    at = 1 if lines and is_docstring(lines[0]) else 0
    if at:
        declaration = declaration.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    if at < len(lines) and isinstance(lines[at], (cst.FunctionDef, cst.ClassDef)):
        blank = lines[at].leading_lines[:1] and lines[at].leading_lines[0].comment is None
        if not blank:  # a blank line between the declaration and the first method
            lines[at] = lines[at].with_changes(
                leading_lines=[cst.EmptyLine(indent=False), *lines[at].leading_lines]
            )
    return cls.with_changes(body=body.with_changes(body=[*lines[:at], declaration, *lines[at:]]))


def _docstring_alone(lines: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """A docstring sharing its line with other statements (``"doc"; x = 1``) gets a line of
    its own, so that the declaration after it leaves it the docstring."""
    head = lines[0] if lines else None
    if not (
        isinstance(head, cst.SimpleStatementLine)
        and len(head.body) > 1
        and is_docstring(head.with_changes(body=head.body[:1]))
    ):
        return lines
    docstring = head.with_changes(
        body=[head.body[0].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
        trailing_whitespace=cst.TrailingWhitespace(),
    )
    return [docstring, head.with_changes(body=head.body[1:], leading_lines=[]), *lines[1:]]
