"""What a fix may ask while it builds its edit: fresh names, the module's tracking set, imports.

One ``FixContext`` serves every fix of one module. It knows no rule.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import libcst as cst
from libcst.codemod.visitors import ImportItem

from lint_rules.fix.edits import Unfixable
from lint_rules.fix.names import (
    binding_kinds,
    bound_names,
    candidates,
    rebinds_set,
    top_level_imports,
    uses,
)
from lint_rules.fix.statements import is_set_definition, statement_paths
from lint_rules.settings import Settings

TRACKING_SET = "_background_tasks"
T = TypeVar("T")


class FixContext:
    """Fresh names and the module's tracking set, for the fix kinds of one module.

    Cheap on large modules: the statements to fix are found by walking statements only, a
    name counts as used when it occurs as a word in the code of its scope (strings and
    comments included: conservative), and ``ast`` is consulted only to create or reuse the
    tracking set."""

    def __init__(
        self,
        module: cst.Module,
        targets: Collection[cst.CSTNode],
        settings: Settings,
        options: Mapping[str, Any],
    ) -> None:
        self.module = module
        self.settings = settings
        self.options = options
        self.paths = statement_paths(module, targets)
        self._code: dict[cst.CSTNode, str] = {}
        self._tree: ast.Module | None = None
        self._tracking_set: tuple[str, bool] | None = None  # (name, must be inserted)
        self._bindings: dict[str, set[tuple[str, ...]]] | None = None
        self._imported: dict[tuple[str, str | None], str] = {}
        self.imports: list[ImportItem] = []  # what edits need imported (AddImportsVisitor)
        self._shared: dict[Any, Any] = {}
        self._fresh: dict[tuple[cst.CSTNode, str], str] = {}  # (scope, base) -> fresh name

    @property
    def inserts_tracking_set(self) -> str | None:
        """The tracking set's name if an edit needs it and the module does not have it."""
        if self._tracking_set is not None and self._tracking_set[1]:
            return self._tracking_set[0]
        return None

    def scope_of(self, statement: cst.CSTNode) -> cst.CSTNode:
        """The function, class or module whose body ``statement`` is in."""
        scopes = [
            node
            for node in self.paths[statement]
            if isinstance(node, (cst.FunctionDef, cst.ClassDef))
        ]
        return scopes[-1] if scopes else self.module

    def fresh_name(self, statement: cst.CSTNode, base: str) -> str:
        """A name no code of the function (class, module) around ``statement`` uses, nested
        scopes included, nor any function around that one: binding it there changes nothing
        else and shadows no name of an enclosing function. Stable for a given scope."""
        functions = [node for node in self.paths[statement] if isinstance(node, cst.FunctionDef)]
        scope = functions[0] if functions else self.scope_of(statement)
        # once per scope: searching its code per finding made N findings cost N x its size
        if (scope, base) not in self._fresh:
            code = self._code_of(scope)
            self._fresh[scope, base] = next(n for n in candidates(base) if not uses(code, n))
        return self._fresh[scope, base]

    def tracking_set(self) -> str:
        """The module-level set that keeps tasks alive: the module's own if it has one that
        is safe to reuse, else a new one (inserted after the imports) under a free name."""
        if self._tracking_set is None:
            self._tracking_set = self._choose_tracking_set()
        return self._tracking_set[0]

    def import_name(self, module: str, name: str | None = None) -> str:
        """The name through which the module reaches ``module`` (``import module``; a module
        without dots) or ``name`` in it (``from module import name``): a top-level import
        the module already has, else a new import under the natural name when every
        binding of that name in the module is that same import, else under a fresh name."""
        key = (module, name)
        if key not in self._imported:
            self._imported[key] = self._import(module, name)
        return self._imported[key]

    def _import(self, module: str, name: str | None) -> str:
        wanted = ("import", module) if name is None else ("from", module, name)
        bindings = self._binding_kinds()
        for local in top_level_imports(self._ast(), wanted):
            if bindings.get(local) == {wanted}:
                return local
        natural = module if name is None else name
        loaded = {node.id for node in ast.walk(self._ast()) if isinstance(node, ast.Name)}
        kinds = bindings.get(natural)
        if kinds == {wanted} or (kinds is None and natural not in loaded):
            self.imports.append(ImportItem(module, name))
            return natural
        code = self._code_of(self.module)
        local = next(c for c in itertools.islice(candidates(natural), 1, None) if not uses(code, c))
        self.imports.append(ImportItem(module, name, local))
        return local

    def _binding_kinds(self) -> dict[str, set[tuple[str, ...]]]:
        """For each name the module binds anywhere, how: ``("import", module)``,
        ``("from", module, name)`` or ``("other",)``."""
        if self._bindings is None:
            self._bindings = {}
            for node in ast.walk(self._ast()):
                for local, kind in binding_kinds(node):
                    self._bindings.setdefault(local, set()).add(kind)
        return self._bindings

    def shared(self, key: Any, make: Callable[[], T]) -> T:
        """What ``make()`` returns, made once per ``key`` for the module: the edit that the
        fixes of several findings share (they then add to it)."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]  # type: ignore[no-any-return]

    def know_code(self, node: cst.CSTNode, code: str) -> None:
        self._code[node] = code

    def _code_of(self, node: cst.CSTNode) -> str:
        if node not in self._code:
            is_module = node is self.module
            self._code[node] = self.module.code if is_module else self.module.code_for_node(node)
        return self._code[node]

    def _ast(self) -> ast.Module:
        if self._tree is None:
            self._tree = ast.parse(self._code_of(self.module))
        return self._tree

    def _choose_tracking_set(self) -> tuple[str, bool]:
        code = self._code_of(self.module)
        for name in candidates(TRACKING_SET):
            if not uses(code, name):
                if rebinds_set(self._ast()):
                    raise Unfixable("the module rebinds set(), so no tracking set can be made")
                return name, True
            if self._reusable(name):
                return name, False
        raise AssertionError("unreachable: the candidates never run out")

    def _reusable(self, name: str) -> bool:
        """``name`` is bound once in the whole module (never deleted, never declared global
        elsewhere), by a top-level ``name = set()`` that runs before every statement to fix
        that runs at import time."""
        body = list(self.module.body)
        definition = next((i for i, line in enumerate(body) if is_set_definition(line, name)), -1)
        if definition < 0:
            return False
        for target, path in self.paths.items():
            if not any(isinstance(node, cst.FunctionDef) for node in path):  # runs at import
                top = path[0] if path else target
                if definition >= next(i for i, line in enumerate(body) if line is top):
                    return False
        return sum(1 for node in ast.walk(self._ast()) if name in bound_names(node)) == 1
