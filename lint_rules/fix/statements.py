"""Statements as the fixes rewrite them: where a statement sits, how one line of statements
splits into several, where a module's header (docstring, imports) ends, and what may stand on
the right of ``=``."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Sequence

import libcst as cst

# what holds statements: suites, statements, and the clauses of compound statements
_STATEMENT_HOLDERS = (
    cst.BaseSuite,
    cst.BaseStatement,
    cst.Else,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
    cst.MatchCase,
)


def statement_paths(
    module: cst.Module, targets: Collection[cst.CSTNode]
) -> dict[cst.CSTNode, tuple[cst.CSTNode, ...]]:
    """For each statement of ``targets``: the nodes that hold it, from the top-level
    statement down. Walks statements only, never into expressions (which hold none)."""
    paths: dict[cst.CSTNode, tuple[cst.CSTNode, ...]] = {}
    pending: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(module, ())]
    while pending:
        node, path = pending.pop()
        for child in node.children:
            if child in targets:
                paths[child] = path
            if isinstance(child, _STATEMENT_HOLDERS):
                pending.append((child, (*path, child)))
    return paths


def split_line(
    statements: Sequence[tuple[cst.BaseSmallStatement, Sequence[cst.BaseSmallStatement] | None]],
    trailing: cst.TrailingWhitespace,
    comment_on: int = 0,
) -> list[cst.SimpleStatementLine]:
    """The lines for one line of ``a; b; c`` where some statements are replaced: each
    ``(statement, replacement)`` pair with a replacement puts each replacing statement on its
    own line; the statements without one stay on shared lines. The line's comment goes to
    the replacing line at index ``comment_on`` of the first replacement (where the original
    statement is: first for the codemod's additions after it, last for drains before it)."""
    groups: list[list[cst.BaseSmallStatement]] = []
    current: list[cst.BaseSmallStatement] = []
    commented: int | None = None
    for statement, replacement in statements:
        if replacement is None:
            current.append(statement)
            continue
        if current:
            groups.append(current)
            current = []
        if commented is None:
            commented = len(groups) + comment_on % max(len(replacement), 1)
        groups.extend([small] for small in replacement)
    if current:
        groups.append(current)
    return [
        cst.SimpleStatementLine(
            body=[*group[:-1], group[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
            trailing_whitespace=trailing if index == commented else cst.TrailingWhitespace(),
        )
        for index, group in enumerate(groups)
    ]


class LineSplitter(cst.CSTTransformer):
    """A transformer that replaces small statements by several: ``lines()`` says what one line
    of small statements becomes; a one-line suite (``if x: stmt``) then becomes a block."""

    def lines(
        self,
        original: Sequence[cst.BaseSmallStatement],
        updated: Sequence[cst.BaseSmallStatement],
        trailing: cst.TrailingWhitespace,
    ) -> list[cst.SimpleStatementLine] | None:
        """The lines replacing a line of ``original`` statements (``updated``: as the edits
        inside them left them); None to leave the line as it is."""
        raise NotImplementedError

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        trailing = updated_node.trailing_whitespace
        lines = self.lines(original_node.body, updated_node.body, trailing)
        if lines is None:
            return updated_node
        lines[0] = lines[0].with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel(lines)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.BaseSuite:
        trailing = updated_node.trailing_whitespace
        lines = self.lines(original_node.body, updated_node.body, trailing)
        return updated_node if lines is None else cst.IndentedBlock(body=lines)


def standalone(expression: cst.BaseExpression) -> cst.BaseExpression:
    """``expression`` as it may stand on the right of ``=``: parenthesised if it came from
    inside brackets and spans lines outside its own ones (``(loop\\n .create_task(c)...)``)."""
    code = cst.Module([]).code_for_node(expression)
    if "\n" not in code and "\r" not in code:
        return expression
    try:
        ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return expression.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expression


def insert_after_header(module: cst.Module, lines: Sequence[cst.BaseStatement]) -> cst.Module:
    """``lines`` after the docstring, the ``__future__`` imports and the leading import
    block, set off by blank lines. A docstring sharing its line with other statements
    (``'Doc.'; import x``) gets a line of its own first, so that it stays the docstring."""
    module = _docstring_alone(module)
    index = header_end(module.body)
    first, *rest = lines
    blank = [cst.EmptyLine()] * (2 if _is_definition(first) else 1)
    lines = [first.with_changes(leading_lines=blank if index else []), *rest]
    after = list(module.body[index:])
    if after and all(line.comment is None for line in after[0].leading_lines):
        # keep the next statement off the new lines (two blank lines around a definition)
        wanted = 2 if _is_definition(after[0]) or _is_definition(lines[-1]) else 1
        if len(after[0].leading_lines) < wanted:
            after[0] = after[0].with_changes(leading_lines=[cst.EmptyLine()] * wanted)
    return module.with_changes(body=[*module.body[:index], *lines, *after])


def _is_definition(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, (cst.FunctionDef, cst.ClassDef))


def _docstring_alone(module: cst.Module) -> cst.Module:
    body = list(module.body)
    head = body[0] if body else None
    if not (
        isinstance(head, cst.SimpleStatementLine)
        and len(head.body) > 1
        and is_docstring(head.with_changes(body=head.body[:1]))
    ):
        return module
    docstring = head.with_changes(
        body=[head.body[0].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
        trailing_whitespace=cst.TrailingWhitespace(),
    )
    rest = head.with_changes(body=head.body[1:], leading_lines=[])
    return module.with_changes(body=[docstring, rest, *body[1:]])


def header_end(body: Sequence[cst.BaseStatement]) -> int:
    """Index of the first statement after the docstring and the leading import block (imports,
    ``try: import x`` / ``except ImportError: x = None``, ``if TYPE_CHECKING: import y``)."""
    index = 1 if body and is_docstring(body[0]) else 0
    end = index
    for position in range(index, len(body)):
        if not _is_import_block(body[position]):
            break
        end = position + 1
    return end


def is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_import_block(statement: cst.BaseStatement) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        return all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body)
    if not isinstance(statement, (cst.If, cst.Try)):
        return False
    smalls = list(_small_statements(statement))
    has_import = any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in smalls)
    return has_import and all(_is_import_block_part(small) for small in smalls)


def _small_statements(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The small statements of a compound statement, or the compound statements it holds that
    are neither ``if``/``try`` blocks nor their clauses (which disqualify it)."""
    for child in node.children:
        if isinstance(child, cst.BaseSmallStatement):
            yield child
        elif isinstance(child, cst.BaseCompoundStatement) and not isinstance(
            child, (cst.If, cst.Try)
        ):
            yield child
        else:
            yield from _small_statements(child)


def _is_import_block_part(node: cst.CSTNode) -> bool:
    """What an import block may hold besides imports: ``pass``, ``raise``, a docstring and
    ``name = <constant or dotted name>`` fallbacks."""
    if isinstance(node, (cst.Import, cst.ImportFrom, cst.Pass, cst.Raise)):
        return True
    if isinstance(node, cst.Expr):
        return isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString))
    if isinstance(node, (cst.Assign, cst.AnnAssign)):
        return node.value is None or isinstance(
            node.value, (cst.Name, cst.Attribute, cst.BaseNumber, cst.BaseString)
        )
    return False


def is_set_definition(line: cst.BaseStatement, name: str) -> bool:
    """``name = set()`` or ``name: <annotation> = set()`` alone on a line (``set`` may be
    reached through a module: ``builtins.set()``)."""
    target_value = _single_binding(line)
    if target_value is None:
        return False
    target, value = target_value
    return (
        isinstance(target, cst.Name)
        and target.value == name
        and isinstance(value, cst.Call)
        and not value.args
        and (
            (isinstance(value.func, cst.Name) and value.func.value == "set")
            or (
                isinstance(value.func, cst.Attribute)
                and isinstance(value.func.value, cst.Name)
                and value.func.attr.value == "set"
            )
        )
    )


def set_annotation(line: cst.BaseStatement, module: cst.Module) -> str | None:
    """What the set definition ``line`` annotates its set to hold: ``X`` of ``set[X]``,
    ``Set[X]`` or a string of either; None if it says nothing usable."""
    statement = line.body[0] if isinstance(line, cst.SimpleStatementLine) else None
    if not isinstance(statement, cst.AnnAssign):
        return None
    annotation = statement.annotation.annotation
    if isinstance(annotation, cst.SimpleString):
        try:
            annotation = cst.parse_expression(annotation.evaluated_value)  # type: ignore[arg-type]
        except (cst.ParserSyntaxError, TypeError):
            return None
    if not (isinstance(annotation, cst.Subscript) and len(annotation.slice) == 1):
        return None
    element = annotation.slice[0].slice
    if not isinstance(element, cst.Index):
        return None
    code = module.code_for_node(element.value)
    return None if '"' in code or "\n" in code else code


def _single_binding(line: cst.BaseStatement) -> tuple[cst.BaseExpression, cst.CSTNode] | None:
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    statement = line.body[0]
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        return statement.targets[0].target, statement.value
    if isinstance(statement, cst.AnnAssign):
        return statement.target, statement.value  # type: ignore[return-value]
    return None


def is_inert(statement: cst.BaseStatement) -> bool:
    """Running ``statement`` at module level runs no code of the module: imports, a
    docstring, names bound to constants or names or ``set()``, and function definitions
    without decorators whose defaults and annotations call nothing."""
    if isinstance(statement, cst.FunctionDef):
        return not statement.decorators and not _calls(statement.params, statement.returns)
    if not isinstance(statement, cst.SimpleStatementLine):
        return _is_import_block(statement)
    return all(
        isinstance(small, (cst.Import, cst.ImportFrom, cst.Pass))
        or (isinstance(small, cst.Expr) and isinstance(small.value, cst.BaseString))
        or (isinstance(small, (cst.Assign, cst.AnnAssign)) and not _calls(small))
        or _is_set_call(small)
        for small in statement.body
    )


def _is_set_call(small: cst.BaseSmallStatement) -> bool:
    value = getattr(small, "value", None)
    return (
        isinstance(small, (cst.Assign, cst.AnnAssign))
        and isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "set"
        and not value.args
    )


def _calls(*nodes: cst.CSTNode | None) -> bool:
    """Some node of ``nodes`` runs code of the module: a call, an await, a yield, a
    comprehension or a walrus (operators on constants and names are taken not to)."""
    pending = [node for node in nodes if node is not None]
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.Call, cst.Await, cst.Yield, cst.BaseComp, cst.NamedExpr)):
            return True
        pending.extend(node.children)
    return False
