"""Which classes of a module are callback classes, decided on its ``ast`` tree.

A class is one when a base resolves, through the imports of the module or of the functions
around the class, to a known callback base (LiteLLM's, ``lint_rules.rules.litellm``, plus
``--trk-callback-bases``), or is a class of the same module that is one. The whole module is
needed for that (a mixin of the same module may hold the declaration), and ``ast`` already
has it.
"""

from __future__ import annotations

import ast
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass

from lint_rules.engine.index import ModuleIndex, child_bodies
from lint_rules.engine.names import ast_dotted, import_bindings, resolve_parts
from lint_rules.rules import litellm
from lint_rules.settings import DISPATCH_MODES, Settings

ClassScope = tuple[ast.AST, ...]  # the defs around a class, outermost first


@dataclass(frozen=True)
class CallbackClass:
    """A class deriving (here or through a base of this module) from a callback base."""

    node: ast.ClassDef
    hooks: tuple[str, ...]  # the async hooks it defines itself
    declared: bool  # it or a base of this module declares a dispatch mode
    invalid: tuple[int, ...]  # positions (among its own declarations) of invalid values

    @property
    def reported(self) -> bool:
        return bool(self.invalid) or (bool(self.hooks) and not self.declared)


def _is_hook(name: str, of_litellm: bool, configured: bool) -> bool:
    if of_litellm and (name.startswith("async_") or name in litellm.UNPREFIXED_HOOKS):
        return True
    return configured and not name.startswith("_")


def declarations(body: Sequence[ast.stmt], attribute: str) -> list[ast.stmt]:
    """The statements directly in a class body that bind ``attribute``."""
    found: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.AnnAssign):
            if isinstance(statement.target, ast.Name) and statement.target.id == attribute:
                found.append(statement)
        elif isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == attribute for target in statement.targets
        ):
            found.append(statement)
    return found


def _is_valid(statement: ast.stmt) -> bool:
    value = statement.value  # type: ignore[attr-defined]
    return isinstance(value, ast.Constant) and value.value in DISPATCH_MODES


class _ModuleClasses:
    """Every class of a module, where it is defined, and what its bases resolve to."""

    def __init__(self, index: ModuleIndex, settings: Settings) -> None:
        self.index = index
        self.attribute = settings.dispatch_attribute
        self.litellm_bases = frozenset(litellm.CALLBACK_BASES)
        self.configured_bases = frozenset(settings.callback_bases)
        self.scope_of: dict[ast.ClassDef, ClassScope] = {}
        # every scope (module: None; a def) -> class name -> the classes bound to it there
        self.classes: dict[ast.AST | None, dict[str, list[ast.ClassDef]]] = {}
        self.local_imports: dict[ast.AST, dict[str, str]] = {}
        self._collect(index.tree.body, ())
        self._kinds: dict[ast.ClassDef, tuple[bool, bool]] = {}
        self._declares: dict[ast.ClassDef, bool] = {}

    def _collect(self, body: Sequence[ast.stmt], scope: ClassScope) -> None:
        """Record every class, and the imports of every def, below ``body`` (with a stack:
        an ``elif`` chain nests one level per branch)."""
        pending = [(iter(body), scope)]
        while pending:
            statements, scope = pending[-1]
            statement = next(statements, None)
            if statement is None:
                pending.pop()
                continue
            owner = scope[-1] if scope else None
            if isinstance(statement, ast.ClassDef):
                self.scope_of[statement] = scope
                self.classes.setdefault(owner, {}).setdefault(statement.name, []).append(statement)
                pending.append((iter(statement.body), (*scope, statement)))
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                pending.append((iter(statement.body), (*scope, statement)))
            else:
                if owner is not None and isinstance(statement, (ast.Import, ast.ImportFrom)):
                    self._record_import(owner, statement)
                inner = [(iter(b), scope) for b in child_bodies(statement)]
                pending.extend(reversed(inner))

    def _record_import(self, owner: ast.AST, statement: ast.Import | ast.ImportFrom) -> None:
        imports = self.local_imports.setdefault(owner, {})
        aliases = [(alias.name, alias.asname) for alias in statement.names]
        if isinstance(statement, ast.Import):
            imports.update(import_bindings(None, aliases))
        else:
            imports.update(import_bindings(statement.module, aliases, statement.level))

    # -- resolution --------------------------------------------------------------------

    def resolve_base(
        self, base: ast.expr, scope: ClassScope
    ) -> tuple[list[ast.ClassDef], str | None]:
        """The classes of this module a base expression names, or its qualified name."""
        while isinstance(base, ast.Subscript):  # Generic[T]-style bases
            base = base.value
        parts = ast_dotted(base)
        if not parts:
            return [], None
        head = parts[0]
        for depth in range(len(scope), -1, -1):
            owner = scope[depth - 1] if depth else None
            if depth and depth < len(scope) and isinstance(owner, ast.ClassDef):
                continue  # an enclosing class body is not visible from a nested one
            if len(parts) == 1 and head in self.classes.get(owner, {}):
                return self.classes[owner][head], None
            imports = self.local_imports.get(owner, {}) if owner is not None else {}
            if head in imports:
                return [], resolve_parts(parts, imports[head])
        return [], self.index.module_qualname(parts)

    def _matches(self, qualified: str | None, known: frozenset[str]) -> bool:
        if qualified is None:
            return False
        if qualified in known:
            return True
        # a relative import inside LiteLLM itself: `from .custom_logger import CustomLogger`
        relative = qualified.lstrip(".")
        return (
            relative != qualified
            and "." in relative
            and any(name.endswith("." + relative) for name in known)
        )

    def kind(self, cls: ast.ClassDef) -> tuple[bool, bool]:
        """(derives from a LiteLLM base, derives from a configured base): through ``cls``
        itself or any class of this module it derives from."""
        if cls not in self._kinds:
            of_litellm = configured = False
            for ancestor in self._ancestry(cls, self._kinds):
                if ancestor is not cls and ancestor in self._kinds:
                    inherited = self._kinds[ancestor]
                else:
                    qualified = [
                        self.resolve_base(base, self.scope_of[ancestor])[1]
                        for base in ancestor.bases
                    ]
                    inherited = (
                        any(self._matches(name, self.litellm_bases) for name in qualified),
                        any(self._matches(name, self.configured_bases) for name in qualified),
                    )
                of_litellm |= inherited[0]
                configured |= inherited[1]
            self._kinds[cls] = (of_litellm, configured)
        return self._kinds[cls]

    def declares(self, cls: ast.ClassDef) -> bool:
        """``cls`` or a class of this module it derives from declares a dispatch mode."""
        if cls not in self._declares:
            self._declares[cls] = any(
                self._declares[ancestor]
                if ancestor is not cls and ancestor in self._declares
                else bool(declarations(ancestor.body, self.attribute))
                for ancestor in self._ancestry(cls, self._declares)
            )
        return self._declares[cls]

    def _ancestry(
        self, cls: ast.ClassDef, answered: Container[ast.ClassDef]
    ) -> Iterator[ast.ClassDef]:
        """``cls`` and every class of this module it derives from, directly or not, each
        once (cycles included); the bases of a class in ``answered`` are not followed (the
        caller has its answer). A stack, not recursion: an inheritance chain may be long."""
        visited = {cls}
        pending = [cls]
        while pending:
            current = pending.pop()
            yield current
            if current is not cls and current in answered:
                continue
            for base in current.bases:
                for parent in self.resolve_base(base, self.scope_of[current])[0]:
                    if parent not in visited:
                        visited.add(parent)
                        pending.append(parent)

    def callback_classes(self) -> Iterator[CallbackClass]:
        for cls in self.scope_of:
            of_litellm, configured = self.kind(cls)
            if not (of_litellm or configured):
                continue
            hooks = tuple(
                statement.name
                for statement in cls.body
                if isinstance(statement, ast.AsyncFunctionDef)
                and _is_hook(statement.name, of_litellm, configured)
            )
            own = declarations(cls.body, self.attribute)
            invalid = tuple(n for n, statement in enumerate(own) if not _is_valid(statement))
            yield CallbackClass(cls, hooks, self.declares(cls), invalid)


def reported_classes(
    index: ModuleIndex, settings: Settings
) -> dict[tuple[int, str], CallbackClass]:
    """The callback classes of the module that get a TRK301 or TRK302, by (line, name),
    derived once per module (``regions()`` asks first, then the visitor)."""

    def compute() -> dict[tuple[int, str], CallbackClass]:
        return {
            (found.node.lineno, found.node.name): found
            for found in all_callback_classes(index, settings)
            if found.reported
        }

    return index.cached(("dispatch", settings), compute)


def all_callback_classes(index: ModuleIndex, settings: Settings) -> list[CallbackClass]:
    """Every class of the module this family recognises as a callback class (benchmarks
    compare this with LiteLLM's own ``CustomLogger.__subclasses__()``)."""
    return list(_ModuleClasses(index, settings).callback_classes())
