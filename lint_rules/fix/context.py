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

from lint_rules.engine.newer import parse_newer
from lint_rules.engine.source import split_lines
from lint_rules.fix import helpers
from lint_rules.fix.names import (
    binding_kinds,
    bound_names,
    candidates,
    may_shadow_set,
    top_level_imports,
    uses,
)
from lint_rules.fix.statements import (
    header_end,
    is_inert,
    is_set_definition,
    set_annotation,
    statement_paths,
)
from lint_rules.settings import Settings

TRACKING_SET = "_background_tasks"
KEEPER = "_keep"
KEEPER_TYPE = "_TaskT"
DRAINER = "_drained"
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
        self._keeper: str | None = None
        self._module_names: set[str] = set()  # the fresh module-level names chosen so far
        # what goes after the module's header, in order: code made once every edit is known
        self._definitions: list[Callable[[], str]] = []
        self._fresh: dict[tuple[cst.CSTNode, str], str] = {}  # (scope, base) -> fresh name

    def definitions(self) -> str:
        """The module-level code the edits need, to insert after the module's header."""
        return "".join(make() for make in self._definitions)

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
            code = self.code_of(scope)
            self._fresh[scope, base] = next(n for n in candidates(base) if not uses(code, n))
        return self._fresh[scope, base]

    def tracking_set(self) -> str:
        """The module-level set that keeps tasks alive: the module's own if it has one that
        is safe to reuse, else a new one, typed (inserted after the imports) under a free
        name."""
        if self._tracking_set is None:
            self._tracking_set = self._choose_tracking_set()
            name, inserted = self._tracking_set
            if inserted:
                names = self._helper_names()
                self._definitions.append(lambda: helpers.tracking_set(name, names))
        return self._tracking_set[0]

    def keeper(self) -> str:
        """The module-level ``_keep(task)`` that puts ``task`` in the tracking set and returns
        it: what keeps a task where it is made, binding no name there (inserted once, after
        the tracking set)."""
        if self._keeper is None:
            tracking_set = self.tracking_set()
            name, type_var = self.module_name(KEEPER), self.module_name(KEEPER_TYPE)
            type_var_call = self.import_name("typing", "TypeVar")
            bound = self._reused_set_element() or helpers.element_type(self._helper_names())
            code = helpers.keeper(name, type_var, type_var_call, tracking_set, bound)
            self._definitions.append(lambda: code)
            self._keeper = name
        return self._keeper

    def define(self, make: Callable[[], str]) -> None:
        """Insert the module-level code ``make()`` returns (called once every edit is made)
        after the header and the definitions asked for before."""
        self._definitions.append(make)

    def module_name(self, base: str) -> str:
        """A fresh name for a module-level definition: no code of the module uses it."""
        code = self.code_of(self.module)
        name = next(
            c for c in candidates(base) if not uses(code, c) and c not in self._module_names
        )
        self._module_names.add(name)
        return name

    def builtin_set(self) -> str:
        """How the module reaches the builtin ``set``: ``set`` unless a star import or a
        module-level binding may shadow it, else through the ``builtins`` module."""
        if may_shadow_set(self._ast()):
            return f"{self.import_name('builtins')}.set"
        return "set"

    def _helper_names(self) -> helpers.Names:
        return helpers.Names(
            asyncio=self.import_name("asyncio"),
            any=self.import_name("typing", "Any"),
            set=self.builtin_set(),
        )

    def _reused_set_element(self) -> str | None:
        """What the module's own tracking set is annotated to hold, if it is reused."""
        assert self._tracking_set is not None
        name, inserted = self._tracking_set
        if inserted:
            return None
        line = next(line for line in self.module.body if is_set_definition(line, name))
        return set_annotation(line, self.module)

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
        code = self.code_of(self.module)
        local = next(c for c in itertools.islice(candidates(natural), 1, None) if not uses(code, c))
        self.imports.append(ImportItem(module, name, local))
        return local

    def qualified_name(self, node: cst.BaseExpression) -> str | None:
        """What the name or dotted name ``node`` means through the module's imports
        (``Enum`` after ``from enum import Enum``: ``enum.Enum``); a name the module never
        binds is itself (a builtin); None when the module binds it otherwise."""
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.insert(0, node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        kinds = self._binding_kinds().get(node.value)
        if kinds is None:
            return ".".join([node.value, *parts])
        if len(kinds) != 1:
            return None
        (kind,) = kinds
        if kind[0] == "import":
            return ".".join([kind[1], *parts])
        if kind[0] == "from":
            return ".".join([f"{kind[1]}.{kind[2]}", *parts])
        return None

    def bound_only_by_definition(self, name: str) -> bool:
        """``name`` is bound once in the whole module, not by an import."""
        if self._binding_kinds().get(name) != {("other",)}:
            return False
        return sum(1 for node in ast.walk(self._ast()) if name in bound_names(node)) == 1

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

    def code_of(self, node: cst.CSTNode) -> str:
        """The code of ``node`` (the module itself or one of its nodes), generated once: a
        fix per finding that generated it again made fixing quadratic."""
        if node not in self._code:
            is_module = node is self.module
            self._code[node] = self.module.code if is_module else self.module.code_for_node(node)
        return self._code[node]

    def _ast(self) -> ast.Module:
        if self._tree is None:
            code = self.code_of(self.module)
            try:
                self._tree = ast.parse(code)
            except SyntaxError:  # newer than this Python: the tree of a masked copy
                newer = parse_newer(code, split_lines(code))
                if newer is None:
                    raise
                self._tree = newer.tree
        return self._tree

    def _choose_tracking_set(self) -> tuple[str, bool]:
        code = self.code_of(self.module)
        for name in candidates(TRACKING_SET):
            if name in self._module_names:
                continue
            if not uses(code, name):
                self._module_names.add(name)
                return name, True
            if self._reusable(name):
                return name, False
        raise AssertionError("unreachable: the candidates never run out")

    def _reusable(self, name: str) -> bool:
        """``name`` is bound once in the whole module (never deleted, never declared global
        elsewhere), by a top-level ``name = set()`` (``set`` the builtin) that only inert
        statements (imports, constants, plain function definitions) precede: it is bound
        before any code of the module can run, so before every use a fix adds."""
        body = list(self.module.body)
        definition = next((i for i, line in enumerate(body) if is_set_definition(line, name)), -1)
        if definition < 0 or may_shadow_set(self._ast()):
            return False
        header = header_end(body)
        if not all(is_inert(line) for line in body[header:definition]):
            return False
        return sum(1 for node in ast.walk(self._ast()) if name in bound_names(node)) == 1
