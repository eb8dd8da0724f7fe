"""TRK3xx: callback classes must declare how their async hooks are dispatched.

LiteLLM has no way to say whether a ``CustomLogger`` hook must be awaited before the response
returns or may run in the background. This family asks every callback class with async hooks
to say so in a class attribute (``dispatch_mode = "blocking"`` or ``"fire_and_forget"``, name
configurable).

Which classes are callback classes is decided on the module's ``ast`` tree (the engine's
``ModuleIndex``): a class is one when a base resolves, through the imports of the module or
of the functions around the class, to a known callback base (``CALLBACK_BASES`` plus
``--trk-callback-bases``), or is a class of the same module that is one. The whole module is
needed for that (a mixin of the same module may hold the declaration), but ``ast`` already
has it; libcst parses only the top-level statements holding the classes to report.

Fix contract (applied by the codemod's ``--declare-dispatch-mode``): a TRK301 report carries
``Fix("declare-dispatch-mode", statement=<the cst.ClassDef>, names=(<attribute>,))``; the
codemod adds ``<attribute> = "<mode>"`` to that class body, after its docstring and before
its first method. TRK302 has no fix (the intended mode is unknown).
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from lint_rules import triggers
from lint_rules.index import ModuleIndex, Span, child_bodies
from lint_rules.names import ast_dotted, import_bindings, resolve_parts
from lint_rules.rule import Fix, RuleInfo
from lint_rules.scopes import ScopedRule
from lint_rules.settings import DISPATCH_MODES, Settings

# CustomLogger's async hooks are all named async_*, except these three.
LITELLM_UNPREFIXED_HOOKS = frozenset(
    {"log_model_group_rate_limit_error", "log_success_fallback_event", "log_failure_fallback_event"}
)

_MODES = " or ".join(f'"{mode}"' for mode in DISPATCH_MODES)

TRK301 = RuleInfo(
    code="TRK301",
    name="undeclared-dispatch-mode",
    message="callback class '{name}' has async hooks ({hooks}) but no dispatch mode: add "
    '{attribute} = "blocking" (awaited inline) or "fire_and_forget" (background, drained)',
    summary="A callback class (LiteLLM CustomLogger subclass) with async hooks that does not "
    "declare its dispatch mode.",
    explanation=(
        "LiteLLM runs some async hooks (async_log_success_event, async_log_stream_event, ...)\n"
        "as background tasks and awaits others inline, and nothing in a CustomLogger says which\n"
        "behaviour its author relies on. An audit or billing hook that must complete before the\n"
        "response returns, scheduled in the background, is silently lost when a short-lived\n"
        "script's event loop closes. Declare the intent as a class attribute, 'blocking' or\n"
        "'fire_and_forget', so that reviewers, tests and dispatch code can enforce it.\n"
        "Recognised: subclasses of litellm.CustomLogger (any import form) and of LiteLLM's\n"
        "intermediate bases (CustomBatchLogger, CustomGuardrail, CustomPromptManagement, ...),\n"
        "bases named with --trk-callback-bases, and classes of the same module deriving from\n"
        "them. A declaration in a base class of the same module counts; a base from another\n"
        "module is assumed not to declare."
    ),
    bad=(
        "from litellm.integrations.custom_logger import CustomLogger\n\n\n"
        "class AuditLogger(CustomLogger):\n"
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await audit_store.write(kwargs)\n"
    ),
    good=(
        "from litellm.integrations.custom_logger import CustomLogger\n\n\n"
        "class AuditLogger(CustomLogger):\n"
        '    dispatch_mode = "blocking"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await audit_store.write(kwargs)\n"
    ),
    autofix="the class, with `--declare-dispatch-mode=blocking|fire_and_forget`",
)
TRK302 = RuleInfo(
    code="TRK302",
    name="invalid-dispatch-mode",
    message="'{declaration}' does not declare a dispatch mode: assign the string literal " + _MODES,
    summary="A callback class declares its dispatch mode with a value that is not "
    '"blocking" or "fire_and_forget".',
    explanation=(
        "The declaration is read by tools, not by Python: it must be one of the two string\n"
        'literals "blocking" or "fire_and_forget", written in the class body (an annotation\n'
        "such as ClassVar[str] is fine). Computed values, constants from elsewhere, other\n"
        "strings and an annotation without a value are reported."
    ),
    bad=(
        "import litellm\n\n\n"
        "class UsageAnalytics(litellm.CustomLogger):\n"
        '    dispatch_mode = "background"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await metrics.count(kwargs)\n"
    ),
    good=(
        "import litellm\n\n\n"
        "class UsageAnalytics(litellm.CustomLogger):\n"
        '    dispatch_mode = "fire_and_forget"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await metrics.count(kwargs)\n"
    ),
    autofix="",
)


# -- the module-wide view (ast) ------------------------------------------------------------

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


def _is_hook(name: str, litellm: bool, configured: bool) -> bool:
    if litellm and (name.startswith("async_") or name in LITELLM_UNPREFIXED_HOOKS):
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
        self.litellm_bases = frozenset(triggers.CALLBACK_BASES)
        self.configured_bases = frozenset(settings.callback_bases)
        self.scope_of: dict[ast.ClassDef, ClassScope] = {}
        # every scope (module: None; a def) -> class name -> the classes bound to it there
        self.classes: dict[ast.AST | None, dict[str, list[ast.ClassDef]]] = {}
        self.local_imports: dict[ast.AST, dict[str, str]] = {}
        self._collect(index.tree.body, ())
        self._kinds: dict[ast.ClassDef, tuple[bool, bool]] = {}

    def _collect(self, body: Sequence[ast.stmt], scope: ClassScope) -> None:
        owner = scope[-1] if scope else None
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                self.scope_of[statement] = scope
                self.classes.setdefault(owner, {}).setdefault(statement.name, []).append(statement)
                self._collect(statement.body, (*scope, statement))
            elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._collect(statement.body, (*scope, statement))
            else:
                if owner is not None and isinstance(statement, (ast.Import, ast.ImportFrom)):
                    self._record_import(owner, statement)
                for inner in child_bodies(statement):
                    self._collect(inner, scope)

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

    def kind(
        self, cls: ast.ClassDef, seen: frozenset[ast.ClassDef] = frozenset()
    ) -> tuple[bool, bool]:
        """(derives from a LiteLLM base, derives from a configured base)."""
        if cls in self._kinds:
            return self._kinds[cls]
        litellm = configured = False
        for base in cls.bases:
            same_module, qualified = self.resolve_base(base, self.scope_of[cls])
            litellm |= self._matches(qualified, self.litellm_bases)
            configured |= self._matches(qualified, self.configured_bases)
            for parent in same_module:
                if parent is not cls and parent not in seen:
                    inherited = self.kind(parent, seen | {cls})
                    litellm |= inherited[0]
                    configured |= inherited[1]
        if not seen:  # results inside a cycle depend on the entry point: cache only roots
            self._kinds[cls] = (litellm, configured)
        return litellm, configured

    def declares(self, cls: ast.ClassDef, seen: frozenset[ast.ClassDef] = frozenset()) -> bool:
        if declarations(cls.body, self.attribute):
            return True
        return any(
            self.declares(parent, seen | {cls})
            for base in cls.bases
            for parent in self.resolve_base(base, self.scope_of[cls])[0]
            if parent is not cls and parent not in seen
        )

    def callback_classes(self) -> Iterator[CallbackClass]:
        for cls in self.scope_of:
            litellm, configured = self.kind(cls)
            if not (litellm or configured):
                continue
            hooks = tuple(
                statement.name
                for statement in cls.body
                if isinstance(statement, ast.AsyncFunctionDef)
                and _is_hook(statement.name, litellm, configured)
            )
            own = declarations(cls.body, self.attribute)
            invalid = tuple(n for n, statement in enumerate(own) if not _is_valid(statement))
            yield CallbackClass(cls, hooks, self.declares(cls), invalid)


_CACHE: weakref.WeakKeyDictionary[
    ModuleIndex, tuple[Settings, dict[tuple[int, str], CallbackClass]]
]
_CACHE = weakref.WeakKeyDictionary()


def reported_classes(
    index: ModuleIndex, settings: Settings
) -> dict[tuple[int, str], CallbackClass]:
    """The callback classes of the module that get a TRK301 or TRK302, by (line, name)."""
    cached = _CACHE.get(index)
    if cached is not None and cached[0] == settings:
        return cached[1]
    found = {
        (found.node.lineno, found.node.name): found
        for found in all_callback_classes(index, settings)
        if found.reported
    }
    _CACHE[index] = (settings, found)
    return found


def all_callback_classes(index: ModuleIndex, settings: Settings) -> list[CallbackClass]:
    """Every class of the module this family recognises as a callback class (benchmarks
    compare this with LiteLLM's own ``CustomLogger.__subclasses__()``)."""
    return list(_ModuleClasses(index, settings).callback_classes())


# -- the rule (libcst) ---------------------------------------------------------------------


class DispatchRules(ScopedRule):
    INFOS = (TRK301, TRK302)

    TRIGGER = staticmethod(triggers.dispatch)

    @classmethod
    def regions(
        cls, index: ModuleIndex, settings: Settings, trigger_lines: Sequence[int]
    ) -> Iterable[Span | None]:
        return {
            _class_span(index, found, settings.dispatch_attribute)
            for found in reported_classes(index, settings).values()
        }

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._reported = reported_classes(self.index, self.settings)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        found = self._reported.get((self.context.line_of(node.name), node.name.value))
        if found is None:
            return
        attribute = self.settings.dispatch_attribute
        if found.hooks and not found.declared:
            fix = Fix("declare-dispatch-mode", node, names=(attribute,))
            hooks = ", ".join(found.hooks)
            self.report(
                node.name, "TRK301", fix, name=node.name.value, hooks=hooks, attribute=attribute
            )
        own = list(_cst_declarations(node, attribute))
        for position in found.invalid:
            target, statement = own[position]
            self.report(target, "TRK302", declaration=_code(statement))


def _class_span(index: ModuleIndex, found: CallbackClass, attribute: str) -> Span | None:
    """What libcst must parse to report on a class: for a top-level class, only its header
    up to its first statement and the declarations to report (a class cut after any of its
    statements is still valid Python, and LiteLLM's classes run to thousands of lines);
    otherwise the whole top-level statement holding it (a cut inside ``try:`` would not
    parse)."""
    cls = found.node
    top = index.top_level_span(cls.lineno)
    if top is None or cls not in index.tree.body:
        return top
    own = declarations(cls.body, attribute)
    ends = [cls.body[0].end_lineno, *(own[n].end_lineno for n in found.invalid)]
    return Span(top.start, min(top.end, max(end or top.end for end in ends)))


def _cst_declarations(
    node: cst.ClassDef, attribute: str
) -> Iterator[tuple[cst.Name, cst.BaseSmallStatement]]:
    """The class body's bindings of ``attribute``, in the order ``declarations()`` finds them."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]
    for line in body:
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            continue
        for statement in line.body:
            if isinstance(statement, cst.AnnAssign):
                if isinstance(statement.target, cst.Name) and statement.target.value == attribute:
                    yield statement.target, statement
            elif isinstance(statement, cst.Assign):
                target = next(
                    (
                        t.target
                        for t in statement.targets
                        if isinstance(t.target, cst.Name) and t.target.value == attribute
                    ),
                    None,
                )
                if target is not None:
                    yield target, statement


def _code(node: cst.CSTNode) -> str:
    return " ".join(cst.Module([]).code_for_node(node).split())
