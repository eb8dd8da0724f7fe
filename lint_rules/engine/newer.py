"""Code newer than the running Python: an ``ast`` tree for a file ``ast.parse`` rejects but
libcst parses (PEP 695 type parameters and ``type`` statements, PEP 701 f-strings on Python
< 3.12, ``match`` on 3.9, ...).

The tree is parsed from a copy of the source that keeps every line and every column:

* type parameter lists (``def first[T](...)``, ``class Box[T]:``) on one line are blanked
  with spaces: the ``def`` or ``class`` stays in the tree, whole; the type parameters are
  names only a type checker reads;
* every other top-level statement that ``ast`` still rejects (a ``type`` statement, a
  function holding a PEP 701 f-string, ...) is *masked*: replaced by one line that binds,
  to unknown values, every name the statement may bind, and reads every name it holds
  (``for a, b, in (a, b, c,): pass``), then blank lines. Whoever reads the tree (the index,
  the fixes choosing import names) then takes those names as bound in a way it cannot know;
  no span is cut inside a masked statement and no finding inside it is reported.

libcst still parses the original text: only the index is built from the copy.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from lint_rules.engine.index import Span

MAX_ROUNDS = 100  # top-level statements masked one parse at a time (after the known shapes)


@dataclass(frozen=True)
class NewerSyntax:
    """The tree of the masked copy and the line ranges masked out."""

    tree: ast.Module
    masked: tuple[Span, ...]

    def hides(self, line: int) -> bool:
        """``line`` lies in a masked statement."""
        return any(span.start <= line <= span.end for span in self.masked)

    def covers(self, span: Span) -> bool:
        """``span`` lies inside one masked statement."""
        return any(masked.contains(span) for masked in self.masked)


def parse_newer(source: str, lines: Sequence[str]) -> NewerSyntax | None:
    """The tree for ``source`` that ``ast.parse`` rejects, or None when libcst rejects it too
    (or masking does not make ``ast`` accept it)."""
    try:
        module = cst.parse_module(source)
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except Exception:  # ParserSyntaxError, RecursionError, or a libcst bug: not ours to fix
        return None
    text = list(lines)
    for node in _nodes(module):
        parameters = getattr(node, "type_parameters", None)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and parameters is not None:
            where = positions[parameters]
            if where.start.line == where.end.line:
                _blank(text, where)
    top = [(_range(statement, positions), statement) for statement in module.body]
    masked: set[int] = set()
    for number, (span, statement) in enumerate(top):
        if _has_type_alias(statement):
            _mask(text, span, statement)
            masked.add(number)
    for _ in range(MAX_ROUNDS):
        try:
            tree = ast.parse("".join(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            line = getattr(error, "lineno", None)
            number = next(
                (n for n, (span, _) in enumerate(top) if line and span.start <= line <= span.end),
                None,
            )
            if number is None or number in masked:
                return None
            _mask(text, *top[number])
            masked.add(number)
            continue
        return NewerSyntax(tree, tuple(top[number][0] for number in sorted(masked)))
    return None


def _nodes(module: cst.Module) -> Iterator[cst.CSTNode]:
    pending: list[cst.CSTNode] = [module]
    while pending:  # a stack: the input nests as deep as it likes
        node = pending.pop()
        yield node
        pending.extend(node.children)


def _range(statement: cst.CSTNode, positions: object) -> Span:
    """The lines of a top-level statement, its decorators included."""
    where: CodeRange = positions[statement]  # type: ignore[index]
    decorators = getattr(statement, "decorators", ())
    start = positions[decorators[0]].start.line if decorators else where.start.line  # type: ignore[index]
    return Span(start, where.end.line)


def _blank(text: list[str], where: CodeRange) -> None:
    """Spaces instead of the characters of ``where`` (on one line)."""
    number = where.start.line - 1
    line = text[number]
    first, last = where.start.column, where.end.column
    text[number] = line[:first] + " " * (last - first) + line[last:]


def _mask(text: list[str], span: Span, statement: cst.CSTNode) -> None:
    """Instead of the lines of ``span``: a line that binds what ``statement`` may bind and
    reads every name in it, then blank lines (each line keeps its newline)."""
    bound = sorted(set(_bound_names(statement)))
    read = sorted({node.value for node in _nodes(statement) if isinstance(node, cst.Name)})
    reads = f"({''.join(f'{name}, ' for name in read)})"
    stub = f"for {''.join(f'{name}, ' for name in bound)}in {reads}: pass" if bound else reads
    for number in range(span.start - 1, span.end):
        line = text[number]
        ending = line[len(line.rstrip("\r\n")) :]
        first = number == span.start - 1
        text[number] = (stub if first else "") + ending


def _has_type_alias(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.TypeAlias) for small in statement.body
    )


def _bound_names(statement: cst.CSTNode) -> Iterator[str]:
    """Every name the statement may bind, anywhere inside it (more than it binds at module
    level: a name wrongly taken as unknown costs a finding, one missed may make one up)."""
    for node in _nodes(statement):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.TypeAlias)):
            yield node.name.value
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            yield from (item.name.value for item in node.names)
        elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(
            node.names, cst.ImportStar
        ):
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(bound, cst.Attribute):
                    bound = bound.value
                if isinstance(bound, cst.Name):
                    yield bound.value
        elif isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign)):
            yield from _target_names(node.target)
        elif isinstance(node, (cst.For, cst.CompFor)):
            yield from _target_names(node.target)
        elif isinstance(node, (cst.AsName, cst.NamedExpr)):
            yield from _target_names(node.name if isinstance(node, cst.AsName) else node.target)
        elif isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
            yield node.name.value
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            yield node.rest.value


def _target_names(target: cst.CSTNode) -> Iterator[str]:
    for node in _nodes(target):
        if isinstance(node, cst.Name):
            yield node.value
