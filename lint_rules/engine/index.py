"""A cheap index of a module built from its ``ast`` tree (which flake8 has already built).

It answers the questions whose answer lies outside the span a rule has parsed with libcst:
module-level imports and bindings, and which lines belong to which statement and function.
Building it touches only module-level statements; rule families derive more from the tree
on demand, and keep it with ``cached()``.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Callable, TypeVar, Union

from lint_rules.engine.names import ast_dotted, import_bindings, resolve_parts
from lint_rules.engine.project import MODULES, Project

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Span:
    """Lines ``start``..``end`` (1-based, inclusive). ``indent`` > 0 marks an indented
    function: it is parsed inside a synthetic ``if 1:`` so that its columns stay true."""

    start: int
    end: int
    indent: int = 0

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end


def first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno, *(d.lineno for d in decorators)]) if decorators else node.lineno


def child_bodies(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside a compound statement."""
    for name in ("body", "orelse", "finalbody"):
        body = getattr(node, name, None)
        if isinstance(body, list):
            yield body
    for handler in getattr(node, "handlers", ()):
        yield handler.body
    for case in getattr(node, "cases", ()):
        yield case.body


def module_level_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement that runs at module level, in source order: through if/try/with/for,
    not into defs (with a stack: an ``elif`` chain nests one level per branch)."""
    pending = [iter(body)]
    while pending:
        statement = next(pending[-1], None)
        if statement is None:
            pending.pop()
            continue
        yield statement
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            pending.extend(iter(inner) for inner in reversed(list(child_bodies(statement))))


_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``function``'s body that run in its frame (nested scopes not entered)."""
    pending = list(getattr(function, "body", []))
    while pending:
        node = pending.pop()
        yield node
        pending.extend(
            child for child in ast.iter_child_nodes(node) if not isinstance(child, _AST_SCOPES)
        )


def function_imports(nodes: Iterable[ast.AST]) -> dict[str, str]:
    """What the import statements among ``nodes`` (a function's own) bind."""
    imports: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            imports.update(import_bindings(None, ((a.name, a.asname) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            aliases = ((a.name, a.asname) for a in node.names)
            imports.update(import_bindings(node.module, aliases, node.level))
    return imports


def bound_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from bound_names(target.value)


_DEFINITIONS_KEY = "index: definitions by first line"
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _definition_chains(
    statements: Sequence[ast.stmt],
) -> tuple[list[int], list[tuple[ast.stmt, ...]]]:
    """Every ``def`` and ``class`` among the statements, sorted by first line (decorators
    included), each with the chain of definitions from the outermost one down to it."""
    found: list[tuple[int, tuple[ast.stmt, ...]]] = []
    pending: list[tuple[ast.stmt, tuple[ast.stmt, ...]]] = [(s, ()) for s in statements]
    while pending:  # a stack: statements nest as deep as the input does
        statement, around = pending.pop()
        if isinstance(statement, _DEFINITIONS):
            around = (*around, statement)
            found.append((first_line(statement), around))
        for body in child_bodies(statement):
            pending.extend((inner, around) for inner in body)
    found.sort(key=lambda item: item[0])
    return [start for start, _ in found], [chain for _, chain in found]


class ModuleIndex:
    """``path`` and ``project`` are known when the module is a file of a project: then
    ``first_party()`` finds what its imports bind in the project's other modules."""

    def __init__(
        self,
        tree: ast.Module,
        lines: Sequence[str],
        path: str | None = None,
        project: Project | None = None,
    ) -> None:
        self.tree = tree
        self.lines = lines
        self.path = path
        self.project = project
        self.imports: dict[str, str] = {}
        self.star_imports: set[str] = set()
        # name -> every value assigned to it at module level (None: bound another way)
        self.bindings: dict[str, list[ast.expr | None]] = {}
        self.annotations: dict[str, list[ast.expr]] = {}
        for statement in module_level_statements(tree.body):
            self._record(statement)
        self._starts = [first_line(statement) for statement in tree.body]
        self._cache: dict[Any, Any] = {}

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """What ``compute()`` returns, computed once per module and ``key``: what a rule
        family derives from the whole module (in ``regions()``, then in its visitors) is
        derived once."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]  # type: ignore[no-any-return]

    def _record(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Import):
            for local, qualified in import_bindings(
                None, ((alias.name, alias.asname) for alias in statement.names)
            ):
                self.imports[local] = qualified
        elif isinstance(statement, ast.ImportFrom):
            aliases = [(alias.name, alias.asname) for alias in statement.names]
            if aliases == [("*", None)] and statement.module and not statement.level:
                self.star_imports.add(statement.module)
            for local, qualified in import_bindings(statement.module, aliases, statement.level):
                self.imports[local] = qualified
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                for name in bound_names(target):
                    self.bindings.setdefault(name, []).append(statement.value)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
            self.annotations.setdefault(name, []).append(statement.annotation)
            self.bindings.setdefault(name, []).append(statement.value)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.bindings.setdefault(statement.name, []).append(None)
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            for name in bound_names(statement.target):
                self.bindings.setdefault(name, []).append(None)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                if item.optional_vars is not None:
                    for name in bound_names(item.optional_vars):
                        self.bindings.setdefault(name, []).append(None)

    # -- names -------------------------------------------------------------------------

    def module_qualname(self, parts: list[str]) -> str | None:
        """The qualified name of a dotted name used where only module-level names are seen."""
        head = parts[0]
        if head in self.imports:
            return resolve_parts(parts, self.imports[head])
        if head in self.bindings:
            return None
        for module in self.star_imports:
            if module == "asyncio" or module.startswith("asyncio."):
                return resolve_parts(parts, f"{module}.{head}")
        return None

    def first_party(self, qualified: str, src: Sequence[str]) -> tuple[ModuleIndex, str] | None:
        """The project module a qualified name (as this module's imports bind it) lives
        in, and the attribute path in it; None when it is not the project's (or cannot be
        read or parsed)."""
        if self.project is None:
            return None
        found = self.project.resolve(qualified, self.path)
        if found is None:
            return None
        module = MODULES.load(found[0], src)
        return (module, found[1]) if module is not None else None

    def is_module_name(self, name: str) -> bool:
        return name in self.imports or name in self.bindings

    def ast_qualname(self, node: ast.expr, local_imports: dict[str, str]) -> str | None:
        parts = ast_dotted(node)
        if not parts:
            return None
        if parts[0] in local_imports:
            return resolve_parts(parts, local_imports[parts[0]])
        return self.module_qualname(parts)

    # -- spans -------------------------------------------------------------------------

    def _top_level_statements(self, line: int) -> list[ast.stmt]:
        """The top-level statements whose lines include ``line`` (several share a line when
        separated by semicolons)."""
        body = self.tree.body
        position = bisect.bisect_right(self._starts, line)
        found = []
        while position > 0 and body[position - 1].end_lineno >= line:  # type: ignore[operator]
            position -= 1
            found.append(body[position])
        return found[::-1]

    def statements_overlapping(self, span: Span) -> list[ast.stmt]:
        """The top-level statements that share a line with ``span``, found by bisection
        (scanning the module's statements for every span is quadratic in them)."""
        body = self.tree.body
        high = bisect.bisect_right(self._starts, span.end)
        low = high
        while low > 0 and body[low - 1].end_lineno >= span.start:  # type: ignore[operator]
            low -= 1
        return body[low:high]

    def top_level_span(self, line: int) -> Span | None:
        """The top-level statements around ``line``, with those that share a logical line
        with them through a backslash (``x = 1; \\`` then the next line): libcst cannot parse
        a piece of a logical line."""
        statements = self._top_level_statements(line)
        if not statements:
            return None
        start = min(first_line(s) for s in statements)
        end: int = max(s.end_lineno for s in statements)  # type: ignore[type-var,assignment]
        while start > 1 and self._continued(start - 1):
            before = self._top_level_statements(start - 1)
            if not before:
                break
            start = min(start, *(first_line(s) for s in before))
        while end < len(self.lines) and self._continued(end):
            after = self._top_level_statements(end + 1)
            if not after:
                break
            end = max(end, *(s.end_lineno for s in after))  # type: ignore[type-var]
        return Span(start, end)

    def _continued(self, line: int) -> bool:
        """Line ``line`` ends with a backslash (a comment's own backslash too: joining one
        more whole statement to the span is harmless)."""
        return self.lines[line - 1].rstrip("\r\n").endswith("\\")

    def definitions_around(self, line: int) -> tuple[ast.stmt, ...]:
        """The ``def`` and ``class`` statements that enclose ``line``, outermost first.

        Found by bisection in an index of the definitions in the top-level statement around
        ``line``, built once per statement: walking the statements down to ``line`` per
        lookup cost the depth of the input each time (a long ``elif`` chain nests one level
        per branch), and indexing the whole module cost its size for every file."""
        statements = tuple(self._top_level_statements(line))
        starts, chains = self.cached(
            (_DEFINITIONS_KEY, statements), lambda: _definition_chains(statements)
        )
        position = bisect.bisect_right(starts, line) - 1
        if position < 0:
            return ()
        # definitions nest or are disjoint: the innermost one around ``line`` is the last
        # one starting at or before it, or one of the definitions around that one
        chain = chains[position]
        inside = len(chain)
        while inside and chain[inside - 1].end_lineno < line:  # type: ignore[operator]
            inside -= 1
        return chain[:inside]

    def enclosing_span(self, line: int) -> Span | None:
        """The outermost function around ``line`` if its text can be parsed on its own,
        otherwise the top-level statement around it."""
        statements = self._top_level_statements(line)
        if not statements:
            return None
        function = next(
            (
                s
                for s in self.definitions_around(line)
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
            ),
            None,
        )
        if function is None or function is statements[0]:
            return self.top_level_span(line)
        start = first_line(function)
        text = self.lines[start - 1]
        indent = len(text) - len(text.lstrip(" \t"))
        if indent != function.col_offset or not text[indent:].startswith(("@", "def", "async")):
            return self.top_level_span(line)
        return Span(start, function.end_lineno, indent)  # type: ignore[arg-type]

    def enclosing_class(self, line: int) -> ast.ClassDef | None:
        classes = [s for s in self.definitions_around(line) if isinstance(s, ast.ClassDef)]
        return classes[-1] if classes else None
