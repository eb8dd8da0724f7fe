"""Async callbacks registered by the project's other modules: on import (a module-level
``litellm.callbacks.append(Billing())``, or an import of a module that does so), or by a
function of the project when it is called (``telemetry.install()``).

The script that runs ``asyncio.run(main())`` often only imports the module that registers
the callback; its loop then cancels the callback exactly as in a one-file script. These
summaries are read from each module's ``ast`` tree (``lint_rules.engine.project``), follow
the project's imports transitively (cycles end), and leave a module that cannot be read
unknown: it registers nothing.
"""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lint_rules.engine.index import (
    ModuleIndex,
    function_imports,
    module_level_statements,
    own_nodes,
)
from lint_rules.engine.names import configured_names, import_bindings
from lint_rules.engine.project import MODULES, Project, imported_names, project_root
from lint_rules.engine.triggers import last_names
from lint_rules.rules import litellm
from lint_rules.settings import Settings


@dataclass(frozen=True)
class Registered:
    """Where a registration happens: the module's path and the line."""

    path: str
    line: int
    litellm: bool  # a LiteLLM registry (else one named with --trk-callback-registries)

    def describe(self, importer: str) -> str:
        """``12 of myapp/telemetry.py``: the path relative to the importer's project root."""
        root = project_root(os.path.dirname(os.path.abspath(importer)))
        try:
            relative = Path(os.path.relpath(self.path, root)).as_posix()
        except ValueError:  # another drive
            relative = self.path
        return f"{self.line} of {relative}"


class ProjectCallbacks:
    """What the project's modules register, read on demand (one per process and settings)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registries = frozenset(litellm.REGISTRIES)
        self.configured = frozenset(configured_names(settings.callback_registries))
        # what a module that registers names: a registry, the manager, setattr
        self.words = (
            *last_names([*litellm.REGISTRIES, *settings.callback_registries]),
            litellm.MANAGER.rsplit(".", 1)[-1],
            "setattr",
        )
        self._found: dict[tuple[str, str | None], Registered | None] = {}
        # the (module, function) pairs being worked out, by depth; the lowest depth a cycle
        # led back to while working out the current one
        self._stack: dict[tuple[str, str | None], int] = {}
        self._lowest = sys.maxsize
        self._uncached: list[tuple[str, str | None]] = []  # nothing found, but cut short

    def _memoized(
        self, key: tuple[str, str | None], compute: Callable[[], Registered | None]
    ) -> Registered | None:
        """``compute()`` once per key. A cycle (a module importing itself through others)
        ends where it comes back, and a "nothing" found while such a cycle was cut short
        is not kept: it may hold once the module it came back to is done."""
        if key in self._found:
            return self._found[key]
        if key in self._stack:
            self._lowest = min(self._lowest, self._stack[key])
            return None
        depth = len(self._stack)
        self._stack[key] = depth
        outer, self._lowest = self._lowest, sys.maxsize
        trail = len(self._uncached)
        try:
            found = compute()
        finally:
            del self._stack[key]
        if found is not None:
            self._found[key] = found
        elif self._lowest >= depth:
            # nothing is found from here, nor from what it reached that came back to it
            for reached in [*self._uncached[trail:], key]:
                self._found[reached] = None
            del self._uncached[trail:]
        else:
            self._uncached.append(key)
        self._lowest = min(outer, self._lowest)
        return found

    # -- modules -----------------------------------------------------------------------

    def on_import(self, path: str) -> Registered | None:
        """The first registration importing the module at ``path`` makes (its own module-
        level statements, or a project module it imports in turn)."""

        def compute() -> Registered | None:
            index = self._load(path)
            if index is not None:  # it may register: its statements, imports included
                return _ModuleRegistrations(self, index).on_import()
            project = Project.of(path, self.settings.src)
            for qualified, _, _ in MODULES.imports_of(path):  # read from the text only
                found = self.imported(qualified, path, project)
                if found is not None:
                    return found
            return None

        return self._memoized((path, None), compute)

    def imported(self, qualified: str, importer: str, project: Project) -> Registered | None:
        """What importing ``qualified`` (a module, or a name in one) from ``importer``
        registers: the module's registrations on import."""
        found = project.resolve(qualified, importer)
        return self.on_import(found[0]) if found is not None else None

    def called(self, qualified: str, importer: str, project: Project) -> Registered | None:
        """What calling the project function ``qualified`` (as ``importer`` names it)
        registers."""
        found = project.resolve(qualified, importer)
        if found is None or not found[1] or "." in found[1]:
            return None
        return self.function(found[0], found[1])

    def function(self, path: str, name: str) -> Registered | None:
        """What calling ``name`` of the module at ``path`` registers (a name the module
        imports from another module of the project is followed: a re-export)."""

        def compute() -> Registered | None:
            index = self._load(path)
            found = _ModuleRegistrations(self, index).function(name) if index else None
            if found is not None:
                return found
            for qualified, local, named in MODULES.imports_of(path):  # a re-export
                if named and (local or qualified.rsplit(".", 1)[-1]) == name:
                    return self.called(qualified, path, Project.of(path, self.settings.src))
            return None

        return self._memoized((path, name), compute)

    def _load(self, path: str) -> ModuleIndex | None:
        """The module's tree, when its text names a registry (else it registers nothing
        itself, and only the modules it imports are followed)."""
        if not MODULES.mentions(path, self.words):
            return None
        return MODULES.load(path, self.settings.src)


_PROJECTS: dict[Settings, ProjectCallbacks] = {}


def project_callbacks(settings: Settings) -> ProjectCallbacks:
    if settings not in _PROJECTS:
        _PROJECTS[settings] = ProjectCallbacks(settings)
    return _PROJECTS[settings]


class _ModuleRegistrations:
    """The registrations one module's code makes, read from its ``ast`` tree."""

    def __init__(self, project: ProjectCallbacks, index: ModuleIndex) -> None:
        self.project = project
        self.index = index
        self.path = index.path or ""
        self.functions = {
            s.name: s
            for s in index.tree.body
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        self.classes = {s.name: s for s in index.tree.body if isinstance(s, ast.ClassDef)}

    def on_import(self) -> Registered | None:
        for statement in module_level_statements(self.index.tree.body):
            found = self._statement(statement, {})
            if found is not None:
                return found
        return None

    def function(self, name: str) -> Registered | None:
        function = self.functions.get(name)
        if function is None:
            return None
        nodes = list(own_nodes(function))
        imports = function_imports(nodes)
        for node in nodes:
            found = self._statement(node, imports)
            if found is not None:
                return found
        return None

    def _statement(self, node: ast.AST, imports: dict[str, str]) -> Registered | None:
        """A registration ``node`` makes, when it runs."""
        if isinstance(node, (ast.Import, ast.ImportFrom)) and self.index.project is not None:
            for qualified in _imported_names(node):
                found = self.project.imported(qualified, self.path, self.index.project)
                if found is not None:
                    return found
            return None
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            return self._call(node.value, imports)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    kind = self._registry(target, imports)
                    if kind is not None and self._is_async(node.value, kind):
                        return Registered(self.path, node.lineno, kind)
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            kind = self._registry(node.target, imports)
            if kind is not None and self._is_async(node.value, kind):
                return Registered(self.path, node.lineno, kind)
        return None

    def _call(self, call: ast.Call, imports: dict[str, str]) -> Registered | None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("append", "extend", "insert"):
            kind = self._registry(func.value, imports)
            position = 1 if func.attr == "insert" else 0
            value = call.args[position] if len(call.args) > position else None
            if kind is not None and value is not None and self._is_async(value, kind):
                return Registered(self.path, call.lineno, kind)
            return None
        qualified = self.index.ast_qualname(func, imports)
        if qualified and qualified.startswith(litellm.MANAGER) and "failure" not in qualified:
            if call.args and self._is_async(call.args[0], True):
                return Registered(self.path, call.lineno, True)
            return None
        if isinstance(func, ast.Name) and func.id == "setattr" and len(call.args) == 3:
            owner, attribute, value = call.args
            module = self.index.ast_qualname(owner, imports)
            if module is not None and isinstance(attribute, ast.Constant):
                name = f"{module}.{attribute.value}"
                kind = name in self.project.registries
                if (kind or name in self.project.configured) and self._is_async(value, kind):
                    return Registered(self.path, call.lineno, kind)
            return None
        if isinstance(func, ast.Name) and func.id in self.functions:  # a function of the module
            found = self.project.function(self.path, func.id)
            return Registered(found.path, call.lineno, found.litellm) if found else None
        if qualified is not None and self.index.project is not None:  # one it imports
            found = self.project.called(qualified, self.path, self.index.project)
            return Registered(self.path, call.lineno, found.litellm) if found else None
        return None

    def _registry(self, node: ast.expr, imports: dict[str, str]) -> bool | None:
        qualified = self.index.ast_qualname(node, imports)
        if qualified in self.project.registries:
            return True
        if qualified in self.project.configured:
            return False
        return None

    def _is_async(self, value: ast.expr, of_litellm: bool, depth: int = 2) -> bool:
        """An async callback: an instance of a class of the module with a hook run in the
        background, an async def of the module, or a list of them."""
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return any(self._is_async(e, of_litellm, depth) for e in value.elts)
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            return self._is_async(value.left, of_litellm, depth) or self._is_async(
                value.right, of_litellm, depth
            )
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            cls = self.classes.get(value.func.id)
            return cls is not None and self._has_async_hooks(cls, of_litellm, frozenset())
        if isinstance(value, ast.Name):
            function = self.functions.get(value.id)
            if function is not None:
                return isinstance(function, ast.AsyncFunctionDef)
            return depth > 0 and any(
                bound is not None and self._is_async(bound, of_litellm, depth - 1)
                for bound in self.index.bindings.get(value.id, ())
            )
        return False

    def _has_async_hooks(self, cls: ast.ClassDef, of_litellm: bool, seen: frozenset[str]) -> bool:
        """As the rule judges a class of the checked module (``registrations.py``)."""
        for statement in cls.body:
            if isinstance(statement, ast.AsyncFunctionDef):
                name = statement.name
                if name in litellm.BACKGROUND_HOOKS if of_litellm else not name.startswith("_"):
                    return True
        return any(
            isinstance(base, ast.Name)
            and base.id in self.classes
            and base.id not in seen
            and self._has_async_hooks(self.classes[base.id], of_litellm, seen | {cls.name})
            for base in cls.bases
        )


def _imported_names(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The qualified names an import statement makes Python import."""
    aliases = [(alias.name, alias.asname) for alias in node.names]
    if isinstance(node, ast.Import):
        yield from (name for name, _ in aliases)
    else:
        for _, qualified in import_bindings(node.module, aliases, node.level):
            yield qualified


# -- the trigger: does a file with an entry point import registrations? -------------------


def imports_registrations(source: str, path: str, project: Project, settings: Settings) -> bool:
    """The module imports a project module that registers async callbacks on import, or a
    project function that registers them when called (read from the import lines)."""
    callbacks = project_callbacks(settings)
    for qualified, _, named in imported_names(source):
        found = project.resolve(qualified, path)
        if found is None:
            continue
        if callbacks.on_import(found[0]) is not None:
            return True
        if named and found[1] and callbacks.function(found[0], found[1]) is not None:
            return True
    return False
