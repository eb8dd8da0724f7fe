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
import re
from collections.abc import Iterator, Sequence
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


# What calling or importing a node of the project may lead to: a registration it makes
# itself, or another node to follow (a module, or a function of one) with, when the
# registration is to be reported where this node makes the call, that call's place.
Node = tuple[str, str | None]  # (module path, function name; None: importing the module)
Step = Registered | tuple[Node, tuple[str, int] | None]


class ProjectCallbacks:
    """What the project's modules register, read on demand (one per process and settings).

    Each question is a walk of the graph of modules and functions that visits every node
    once (cycles in the project's imports end where they come back); what a walk settles
    is kept for the rest of the process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registries = frozenset(litellm.REGISTRIES)
        self.configured = frozenset(configured_names(settings.callback_registries))
        self.shapes = _registration_shapes(
            last_names([*litellm.REGISTRIES, *settings.callback_registries])
        )
        self._found: dict[Node, Registered | None] = {}

    def on_import(self, path: str) -> Registered | None:
        """The first registration importing the module at ``path`` makes (its own module-
        level statements, or a project module it imports in turn)."""
        return self._reach((path, None))

    def imported(self, qualified: str, importer: str, project: Project) -> Registered | None:
        """What importing ``qualified`` (a module, or a name in one) from ``importer``
        registers: the module's registrations on import."""
        found = project.resolve(qualified, importer)
        return self.on_import(found[0]) if found is not None else None

    def called(self, qualified: str, importer: str, project: Project) -> Registered | None:
        """What calling the project function ``qualified`` (as ``importer`` names it)
        registers."""
        target = _function_node(project, qualified, importer)
        return self._reach(target) if target is not None else None

    def function(self, path: str, name: str) -> Registered | None:
        """What calling ``name`` of the module at ``path`` registers (a name the module
        imports from another module of the project is followed: a re-export)."""
        return self._reach((path, name))

    def _reach(self, root: Node) -> Registered | None:
        """The first registration found from ``root``, depth first in statement order."""
        if root in self._found:
            return self._found[root]
        visited = {root}
        frames = [(root, self._steps(root))]
        calls: list[tuple[str, int] | None] = []  # the step from each frame to the next
        found = None
        while frames and found is None:
            step = next(frames[-1][1], None)
            if step is None:
                frames.pop()
                if calls:
                    calls.pop()
            elif isinstance(step, Registered):
                found = step
            else:
                target, call = step
                if target in self._found:
                    settled = self._found[target]
                    found = _reported_at(settled, call) if settled is not None else None
                elif target not in visited:
                    visited.add(target)
                    frames.append((target, self._steps(target)))
                    calls.append(call)
        if found is None:  # nothing that any node visited reaches registers
            self._found.update(dict.fromkeys(visited))
            return None
        for depth in range(len(frames) - 1, -1, -1):  # back up the path that found it
            self._found[frames[depth][0]] = found
            if depth:
                found = _reported_at(found, calls[depth - 1])
        return found

    def _steps(self, node: Node) -> Iterator[Step]:
        path, name = node
        index = self._load(path)
        project = Project.of(path, self.settings.src)
        if name is None:
            if index is not None:  # it may register: its statements, imports included
                yield from _ModuleRegistrations(self, index).on_import()
                return
            for qualified, _, _ in MODULES.imports_of(path):  # read from the text only
                found = project.resolve(qualified, path)
                if found is not None:
                    yield (found[0], None), None
            return
        if index is not None:
            yield from _ModuleRegistrations(self, index).function(name)
        for qualified, local, named in MODULES.imports_of(path):  # a re-export
            if named and (local or qualified.rsplit(".", 1)[-1]) == name:
                target = _function_node(project, qualified, path)
                if target is not None:
                    yield target, None

    def _load(self, path: str) -> ModuleIndex | None:
        """The module's tree, when its text shows a registration (else it registers nothing
        itself, and only the modules it imports are followed): most modules of a library
        that names its callbacks everywhere are never parsed."""
        if not MODULES.matches(path, self.shapes):
            return None
        return MODULES.load(path, self.settings.src)


def _registration_shapes(registries: Sequence[str]) -> re.Pattern[bytes]:
    """What the text of a statement that registers shows (a superset of what
    ``_ModuleRegistrations`` reads from the tree): a registry appended, extended, inserted
    into, assigned or added to (``callbacks.append(``, ``callbacks = [``, ``callbacks +=``),
    the manager's ``add_litellm_*()``, or a ``setattr(`` whose arguments name a registry."""
    names = b"|".join(re.escape(name.encode()) for name in registries)
    manager = re.escape(litellm.MANAGER.rsplit(".", 1)[-1].encode())
    return re.compile(
        rb"\b(?:" + names + rb")\s*(?:\.\s*(?:append|extend|insert)\b|\+?=(?!=))"
        rb"|" + manager + rb"|\bsetattr\s*\([^)]*?\b(?:" + names + rb")\b"
    )


def _function_node(project: Project, qualified: str, importer: str) -> Node | None:
    """The project function ``qualified`` names (as ``importer`` imports it)."""
    found = project.resolve(qualified, importer)
    if found is None or not found[1] or "." in found[1]:
        return None
    return found


def _reported_at(found: Registered, call: tuple[str, int] | None) -> Registered:
    """A registration reached through a call is reported at the call."""
    return found if call is None else Registered(call[0], call[1], found.litellm)


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

    def on_import(self) -> Iterator[Step]:
        for statement in module_level_statements(self.index.tree.body):
            yield from self._statement(statement, {})

    def function(self, name: str) -> Iterator[Step]:
        function = self.functions.get(name)
        if function is None:
            return
        nodes = list(own_nodes(function))
        imports = function_imports(nodes)
        for node in nodes:
            yield from self._statement(node, imports)

    def _statement(self, node: ast.AST, imports: dict[str, str]) -> Iterator[Step]:
        """What ``node`` registers or leads to, when it runs."""
        if isinstance(node, (ast.Import, ast.ImportFrom)) and self.index.project is not None:
            for qualified in _imported_names(node):
                found = self.index.project.resolve(qualified, self.path)
                if found is not None:
                    yield (found[0], None), None
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield from self._call(node.value, imports)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    kind = self._registry(target, imports)
                    if kind is not None and self._is_async(node.value, kind):
                        yield Registered(self.path, node.lineno, kind)
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            kind = self._registry(node.target, imports)
            if kind is not None and self._is_async(node.value, kind):
                yield Registered(self.path, node.lineno, kind)

    def _call(self, call: ast.Call, imports: dict[str, str]) -> Iterator[Step]:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("append", "extend", "insert"):
            kind = self._registry(func.value, imports)
            position = 1 if func.attr == "insert" else 0
            value = call.args[position] if len(call.args) > position else None
            if kind is not None and value is not None and self._is_async(value, kind):
                yield Registered(self.path, call.lineno, kind)
            return
        qualified = self.index.ast_qualname(func, imports)
        if qualified and qualified.startswith(litellm.MANAGER) and "failure" not in qualified:
            if call.args and self._is_async(call.args[0], True):
                yield Registered(self.path, call.lineno, True)
            return
        if isinstance(func, ast.Name) and func.id == "setattr" and len(call.args) == 3:
            owner, attribute, value = call.args
            module = self.index.ast_qualname(owner, imports)
            if module is not None and isinstance(attribute, ast.Constant):
                name = f"{module}.{attribute.value}"
                kind = name in self.project.registries
                if (kind or name in self.project.configured) and self._is_async(value, kind):
                    yield Registered(self.path, call.lineno, kind)
            return
        here = (self.path, call.lineno)
        if isinstance(func, ast.Name) and func.id in self.functions:  # a function of the module
            yield (self.path, func.id), here
        elif qualified is not None and self.index.project is not None:  # one it imports
            target = _function_node(self.index.project, qualified, self.path)
            if target is not None:
                yield target, here

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
