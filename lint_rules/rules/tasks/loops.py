"""Which names and attributes of a module hold an event loop, read from its ``ast`` tree.

``<loop>.create_task()`` makes a task only on an event loop: a module-level name bound to
``asyncio.get_running_loop()`` (or annotated ``AbstractEventLoop``), or an attribute a class
binds to one (``self.loop = asyncio.get_running_loop()`` in a method, ``self.loop = loop``
from an annotated parameter, a class-level annotation or assignment).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from lint_rules.engine.index import (
    FunctionNode,
    ModuleIndex,
    bound_names,
    first_line,
    function_imports,
)
from lint_rules.engine.names import annotation_parts, resolve_parts
from lint_rules.rules.asyncio_api import LOOP_FACTORIES, LOOP_TYPES
from lint_rules.settings import Settings


def module_loops(index: ModuleIndex, settings: Settings) -> ModuleLoops:
    """The module's loops, derived once per module and settings."""
    return index.cached((ModuleLoops, settings), lambda: ModuleLoops(index, settings))


class ModuleLoops:
    def __init__(self, index: ModuleIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._class_loops: dict[tuple[ast.ClassDef, str], bool] = {}

    def _is_loop_value(self, value: ast.expr | None, local_imports: dict[str, str]) -> bool:
        """A call of a loop factory, or of a function of the module that returns the loop."""
        if not isinstance(value, ast.Call):
            return False
        if self.index.ast_qualname(value.func, local_imports) in LOOP_FACTORIES:
            return True
        if isinstance(value.func, ast.Name) and value.func.id not in local_imports:
            # imported here: the summaries ask this module which receivers are loops
            from lint_rules.rules.tasks.summaries import Returns, module_summaries

            summaries = module_summaries(self.index, self.settings)
            helper = summaries.module_function(value.func.id)
            return helper is not None and summaries.of(helper).returns is Returns.LOOP
        return False

    def _is_loop_annotation(self, annotation: ast.expr | None, imports: dict[str, str]) -> bool:
        for parts in annotation_parts(annotation):
            head = parts[0]
            bound = imports.get(head) or self.index.imports.get(head)
            if resolve_parts(parts, bound) in LOOP_TYPES:
                return True
        return False

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """Module-level names bound to an event loop."""
        return frozenset(
            name
            for name, values in self.index.bindings.items()
            if any(self._is_loop_value(value, {}) for value in values)
            or any(self._is_loop_annotation(a, {}) for a in self.index.annotations.get(name, ()))
        )

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
                for number, text in enumerate(self.index.lines[start - 1 : cls.end_lineno], start)
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
        imports = function_imports(nodes)
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
