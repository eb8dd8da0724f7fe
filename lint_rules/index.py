"""A cheap index of a module built from its ``ast`` tree (which flake8 has already built).

It answers the questions whose answer lies outside the span a rule has parsed with libcst:
module-level imports and bindings, the attributes a class binds to event loops, and which
lines belong to which function. Building it touches only module-level statements; class
bodies are walked lazily, on demand.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Union

from lint_rules.names import (
    LOOP_FACTORIES,
    LOOP_TYPES,
    annotation_parts,
    ast_dotted,
    import_bindings,
    resolve_parts,
)

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


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
    """Every statement that runs at module level: through if/try/with/for, not into defs."""
    for statement in body:
        yield statement
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in child_bodies(statement):
                yield from module_level_statements(inner)


def bound_names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from bound_names(target.value)


class ModuleIndex:
    def __init__(self, tree: ast.Module, lines: Sequence[str]) -> None:
        self.tree = tree
        self.lines = lines
        self.imports: dict[str, str] = {}
        self.star_imports: set[str] = set()
        # name -> every value assigned to it at module level (None: bound another way)
        self.bindings: dict[str, list[ast.expr | None]] = {}
        self.annotations: dict[str, list[ast.expr]] = {}
        for statement in module_level_statements(tree.body):
            self._record(statement)
        self._starts = [first_line(statement) for statement in tree.body]
        self._class_loops: dict[tuple[ast.ClassDef, str], bool] = {}

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

    def is_module_name(self, name: str) -> bool:
        return name in self.imports or name in self.bindings

    def ast_qualname(self, node: ast.expr, local_imports: dict[str, str]) -> str | None:
        parts = ast_dotted(node)
        if not parts:
            return None
        if parts[0] in local_imports:
            return resolve_parts(parts, local_imports[parts[0]])
        return self.module_qualname(parts)

    def _is_loop_value(self, value: ast.expr | None, local_imports: dict[str, str]) -> bool:
        return isinstance(value, ast.Call) and (
            self.ast_qualname(value.func, local_imports) in LOOP_FACTORIES
        )

    def _is_loop_annotation(self, annotation: ast.expr | None, imports: dict[str, str]) -> bool:
        for parts in annotation_parts(annotation):
            head = parts[0]
            bound = imports.get(head) or self.imports.get(head)
            if resolve_parts(parts, bound) in LOOP_TYPES:
                return True
        return False

    @cached_property
    def loop_names(self) -> frozenset[str]:
        """Module-level names bound to an event loop."""
        return frozenset(
            name
            for name, values in self.bindings.items()
            if any(self._is_loop_value(value, {}) for value in values)
            or any(self._is_loop_annotation(a, {}) for a in self.annotations.get(name, ()))
        )

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

    def top_level_span(self, line: int) -> Span | None:
        statements = self._top_level_statements(line)
        if not statements:
            return None
        return Span(
            min(first_line(s) for s in statements),
            max(s.end_lineno for s in statements),  # type: ignore[type-var]
        )

    def path_to(self, line: int) -> list[ast.stmt]:
        """The chain of statements, outermost first, that encloses ``line``."""
        statements = self._top_level_statements(line)
        if len(statements) != 1:
            return statements[:1]
        path = [statements[0]]
        while True:
            inner = next(
                (
                    statement
                    for body in child_bodies(path[-1])
                    for statement in body
                    if first_line(statement) <= line <= statement.end_lineno  # type: ignore[operator]
                ),
                None,
            )
            if inner is None:
                return path
            path.append(inner)

    def enclosing_span(self, line: int) -> Span | None:
        """The outermost function around ``line`` if its text can be parsed on its own,
        otherwise the top-level statement around it."""
        path = self.path_to(line)
        if not path:
            return None
        function = next(
            (s for s in path if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))), None
        )
        if function is None or function is path[0]:
            return self.top_level_span(line)
        start = first_line(function)
        text = self.lines[start - 1]
        indent = len(text) - len(text.lstrip(" \t"))
        if indent != function.col_offset or not text[indent:].startswith(("@", "def", "async")):
            return self.top_level_span(line)
        return Span(start, function.end_lineno, indent)  # type: ignore[arg-type]

    def enclosing_class(self, line: int) -> ast.ClassDef | None:
        classes = [s for s in self.path_to(line) if isinstance(s, ast.ClassDef)]
        return classes[-1] if classes else None

    # -- classes -----------------------------------------------------------------------

    def class_binds_loop(self, cls: ast.ClassDef, attribute: str) -> bool:
        """``cls`` binds ``attribute`` to an event loop: ``self.x = asyncio.get_running_loop()``
        in a method, ``self.x = loop`` from a parameter annotated ``AbstractEventLoop``, or a
        class-level annotation or assignment. A text search of the class's lines finds where it
        is assigned; only those statements and methods are looked at."""
        key = (cls, attribute)
        if key not in self._class_loops:
            assigned = re.compile(
                rf"\b{re.escape(attribute)}\s*(?::[^=\n]*)?=(?!=)|\b{re.escape(attribute)}\s*:"
            )
            start = first_line(cls)
            hits = [
                number
                for number, text in enumerate(self.lines[start - 1 : cls.end_lineno], start)
                if assigned.search(text)
            ]
            self._class_loops[key] = any(
                name == attribute
                for statement in cls.body
                if any(first_line(statement) <= hit <= statement.end_lineno for hit in hits)  # type: ignore[operator]
                for name in self._statement_loop_attributes(statement)
            )
        return self._class_loops[key]

    def _statement_loop_attributes(self, statement: ast.stmt) -> Iterator[str]:
        """The loop attributes a statement of a class body binds."""
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            if self._is_loop_annotation(statement.annotation, {}) or self._is_loop_value(
                statement.value, {}
            ):
                yield statement.target.id
        elif isinstance(statement, ast.Assign) and self._is_loop_value(statement.value, {}):
            for target in statement.targets:
                yield from bound_names(target)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from self._method_loop_attributes(statement)

    def _method_loop_attributes(self, method: FunctionNode) -> Iterator[str]:
        arguments = [*method.args.posonlyargs, *method.args.args]
        if not arguments:
            return
        self_name = arguments[0].arg
        nodes = list(ast.walk(method))
        imports: dict[str, str] = {}
        for node in nodes:
            if isinstance(node, ast.Import):
                imports.update(import_bindings(None, ((a.name, a.asname) for a in node.names)))
            elif isinstance(node, ast.ImportFrom):
                aliases = ((a.name, a.asname) for a in node.names)
                imports.update(import_bindings(node.module, aliases, node.level))
        local_loops = {
            argument.arg
            for argument in [*arguments, *method.args.kwonlyargs]
            if self._is_loop_annotation(argument.annotation, imports)
        }
        for node in nodes:
            if isinstance(node, ast.Assign) and self._is_loop_value(node.value, imports):
                for target in node.targets:
                    local_loops.update(bound_names(target))
        for node in nodes:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign) and (
                self._is_loop_value(node.value, imports)
                or (isinstance(node.value, ast.Name) and node.value.id in local_loops)
            ):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign) and (
                self._is_loop_annotation(node.annotation, imports)
                or self._is_loop_value(node.value, imports)
            ):
                targets = [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == self_name
                ):
                    yield target.attr
