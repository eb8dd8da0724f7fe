"""The codemod: rewrite what the rules prove unsafe, and only that, into the keep-alive pattern.

A rule attaches a ``Fix`` to a finding (``lint_rules.rule.Fix``): a kind and nodes of the
parsed module. Each kind maps to one function in ``FIX_KINDS`` that turns a Fix into an edit:

* ``ReplaceStatement``: a small statement (``Expr``, ``Assign``, ...) becomes a list of small
  statements, one per line; a one-line suite (``if x: stmt``) becomes an indented block;
* ``RewriteNode``: any other node (a class, a function) is rewritten by a function that
  receives it with the edits inside it already made.

``apply_fixes`` makes the edits in one transformer pass, inserts the module-level tracking set
once if an edit asked for it, and adds the imports edits asked for (libcst's
``AddImportsVisitor``). Adding a fix kind is a function plus a ``FIX_KINDS`` entry;
``FixKind.requires`` names the option (``fix --<option>``) that must be given to enable it
(``add_fix_options`` declares those options for ``lint-rules fix`` and ``libcst.tool``).
Several findings may share one edit: ``make_edit`` then returns the same edit object.

``TrackTasks`` is the libcst codemod command (what ``lint-rules fix`` runs on each file)::

    python -m libcst.tool codemod -x lint_rules.codemod.TrackTasks --no-format src/
    python -m libcst.tool codemod -x lint_rules.codemod.TrackTasks --no-format \
        --drain --declare-dispatch-mode=blocking scripts/
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile
from libcst.codemod.visitors import AddImportsVisitor, ImportItem

from lint_rules import exits
from lint_rules.config import Config, find_pyproject, load_config
from lint_rules.engine import Finding, all_infos, analyze_module, split_lines
from lint_rules.noqa import unsuppressed
from lint_rules.rule import Fix
from lint_rules.selection import Selection, checked_selectors
from lint_rules.settings import DISPATCH_MODES, Settings, split_list

TRACKING_SET = "_background_tasks"
TASK_NAME = "_task"
RESULT_NAME = "_result"  # holds a computed return value while the drain runs
TRACKING_CODES = frozenset({"TRK101", "TRK102"})  # their fixes put tasks in the tracking set
SCRATCH_KEY = "lint_rules.fix"  # where TrackTasks leaves its FixOutcome in context.scratch


class Unfixable(Exception):
    """A fix that cannot be applied safely here; the message says why (the finding is left)."""


@dataclass(frozen=True)
class ReplaceStatement:
    """Replace the small statement ``target`` by ``statements``, each on its own line. The
    first line keeps the comments above the original line, the first of ``statements`` its
    same-line comment."""

    target: cst.BaseSmallStatement
    statements: tuple[cst.BaseSmallStatement, ...]


@dataclass(frozen=True)
class RewriteNode:
    """Replace ``target`` (any node but a small statement) by ``rewrite(updated)``, where
    ``updated`` is ``target`` with the edits inside it already made."""

    target: cst.CSTNode
    rewrite: Callable[[Any], cst.CSTNode]


Edit = Union[ReplaceStatement, RewriteNode]


@dataclass(frozen=True)
class FixKind:
    """How to apply one ``Fix.kind``. ``make_edit`` returns the edit of ``fix.statement`` (a
    statement: small, or compound such as a class or a function) or raises ``Unfixable``."""

    make_edit: Callable[[Fix, FixContext], Edit]
    requires: str | None = None  # an option that must be set (e.g. "drain"), else left


@dataclass(frozen=True)
class Left:
    """A finding the codemod did not fix, and why."""

    finding: Finding
    reason: str


@dataclass
class FixOutcome:
    module: cst.Module
    fixed: list[Finding] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)


# -- the fix kinds ---------------------------------------------------------------------------


def track_expression(fix: Fix, context: FixContext) -> Edit:
    """TRK101: ``create_task(c)`` (or ``create_task(c).method(...)``) as a statement becomes
    ``_task = create_task(c)`` + the tracking pair (+ ``_task.method(...)``)."""
    statement, call = fix.statement, fix.call
    assert isinstance(statement, cst.Expr) and call is not None
    task = context.fresh_name(statement, TASK_NAME)
    statements: list[cst.BaseSmallStatement] = [
        cst.Assign([cst.AssignTarget(cst.Name(task))], _standalone(call)),
        *_tracking_pair(task, context.tracking_set()),
    ]
    if statement.value is not call:  # a method chained on the fresh task: keep the call
        statements.append(statement.deep_replace(call, cst.Name(task)))
    if isinstance(context.scope_of(statement), cst.ClassDef):
        # a class attribute could shadow a base class's: leave the namespace as it was
        statements.append(cst.Del(cst.Name(task)))
    return ReplaceStatement(statement, tuple(statements))


def track_binding(fix: Fix, context: FixContext) -> Edit:
    """TRK102: ``name = create_task(c)`` gets the tracking pair right after it."""
    statement = fix.statement
    assert isinstance(statement, (cst.Assign, cst.AnnAssign)) and fix.names
    pair = _tracking_pair(fix.names[0], context.tracking_set())
    return ReplaceStatement(statement, (statement, *pair))


def declare_dispatch_mode(fix: Fix, context: FixContext) -> Edit:
    """TRK301: ``<attribute> = "<mode>"`` in the class body, after its docstring and before
    its first other statement."""
    cls = fix.statement
    assert isinstance(cls, cst.ClassDef) and fix.names
    attribute, mode = fix.names[0], context.options["declare_dispatch_mode"]
    if mode not in DISPATCH_MODES:
        raise Unfixable(f"--declare-dispatch-mode must be one of {', '.join(DISPATCH_MODES)}")
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    if any(
        isinstance(line, (cst.FunctionDef, cst.ClassDef)) and line.name.value == attribute
        for line in body
    ):
        raise Unfixable(f"the class defines {attribute} itself")
    value = cst.SimpleString(f'"{mode}"')
    declaration = cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(cst.Name(attribute))], value)]
    )
    return RewriteNode(cls, functools.partial(_declare, declaration=declaration))


def _declare(cls: cst.ClassDef, declaration: cst.SimpleStatementLine) -> cst.ClassDef:
    body = cls.body
    if isinstance(body, cst.SimpleStatementSuite):  # `class A(CustomLogger): ...`
        line = cst.SimpleStatementLine(body.body, trailing_whitespace=body.trailing_whitespace)
        return cls.with_changes(body=cst.IndentedBlock(body=[declaration, line]))
    assert isinstance(body, cst.IndentedBlock)
    lines = list(body.body)
    at = 1 if lines and _is_docstring(lines[0]) else 0
    if at:
        declaration = declaration.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    if at < len(lines) and isinstance(lines[at], (cst.FunctionDef, cst.ClassDef)):
        blank = lines[at].leading_lines[:1] and lines[at].leading_lines[0].comment is None
        if not blank:  # a blank line between the declaration and the first method
            lines[at] = lines[at].with_changes(
                leading_lines=[cst.EmptyLine(indent=False), *lines[at].leading_lines]
            )
    return cls.with_changes(body=body.with_changes(body=[*lines[:at], declaration, *lines[at:]]))


def drain(fix: Fix, context: FixContext) -> Edit:
    """TRK201/TRK202: await the drains at every exit of the entry coroutine (``exits``):
    ``asyncio.gather(*<set>, return_exceptions=True)`` for each tracking set in
    ``fix.names``, and each ``(module, path)`` of ``fix.extra["awaits"]``, imported."""
    function = fix.statement
    assert isinstance(function, cst.FunctionDef)
    if exits.is_generator(function):
        raise Unfixable("the entry coroutine is a generator")
    if not exits.exit_count(function):
        raise Unfixable("the entry coroutine never returns")
    calls: Sequence[tuple[str, str]] = fix.extra.get("awaits", ())
    for module, path in calls:
        if not module:
            raise Unfixable(f"the drain {path}() names no module to import it from")
    gathers = [
        f"{context.import_name('asyncio')}.gather(*{name}, return_exceptions=True)"
        for name in fix.names
    ]
    drains = []
    for module, path in calls:
        head, dot, rest = path.partition(".")
        drains.append(f"{context.import_name(module, head)}{dot}{rest}()")
    return context.drain_at_exits(function, gathers, drains)


FIX_KINDS: dict[str, FixKind] = {
    "track-expression": FixKind(track_expression),
    "track-binding": FixKind(track_binding),
    "declare-dispatch-mode": FixKind(declare_dispatch_mode, requires="declare_dispatch_mode"),
    "drain": FixKind(drain, requires="drain"),
}


def add_fix_options(parser: argparse.ArgumentParser) -> None:
    """The options that enable the opt-in fix kinds (``FixKind.requires``)."""
    parser.add_argument(
        "--declare-dispatch-mode",
        choices=DISPATCH_MODES,
        help="TRK301: declare this dispatch mode in each callback class that has none",
    )
    parser.add_argument(
        "--drain",
        action="store_true",
        help="TRK201/TRK202: await the drain at every exit of a short-lived entry coroutine",
    )


def _tracking_pair(task: str, tracking_set: str) -> list[cst.BaseSmallStatement]:
    return [
        cst.Expr(cst.parse_expression(f"{tracking_set}.add({task})")),
        cst.Expr(cst.parse_expression(f"{task}.add_done_callback({tracking_set}.discard)")),
    ]


def _standalone(expression: cst.BaseExpression) -> cst.BaseExpression:
    """``expression`` as it may stand on the right of ``=``: parenthesised if it came from
    inside brackets and spans lines outside its own ones (``(loop\\n .create_task(c)...)``)."""
    code = cst.Module([]).code_for_node(expression)
    if "\n" not in code and "\r" not in code:
        return expression
    try:
        ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return expression.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expression


# -- what fix kinds may ask ------------------------------------------------------------------


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
        # per entry coroutine: its edit, and the awaits (gathers, drains) it inserts
        self._drains: dict[cst.FunctionDef, tuple[RewriteNode, tuple[list[str], list[str]]]] = {}

    @property
    def inserts_tracking_set(self) -> str | None:
        """The tracking set's name if an edit needs it and the module does not have it."""
        if self._tracking_set is not None and self._tracking_set[1]:
            return self._tracking_set[0]
        return None

    def scope_of(self, statement: cst.CSTNode) -> cst.CSTNode:
        """The function, class or module whose body ``statement`` is in."""
        scopes = [node for node in self.paths[statement] if isinstance(node, _SCOPES)]
        return scopes[-1] if scopes else self.module

    def fresh_name(self, statement: cst.CSTNode, base: str) -> str:
        """A name no code of the function (class, module) around ``statement`` uses, nested
        scopes included, nor any function around that one: binding it there changes nothing
        else and shadows no name of an enclosing function. Stable for a given scope."""
        functions = [node for node in self.paths[statement] if isinstance(node, cst.FunctionDef)]
        code = self._code_of(functions[0] if functions else self.scope_of(statement))
        return next(name for name in _candidates(base) if not _uses(code, name))

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
        for local in _top_level_imports(self._ast(), wanted):
            if bindings.get(local) == {wanted}:
                return local
        natural = module if name is None else name
        loaded = {node.id for node in ast.walk(self._ast()) if isinstance(node, ast.Name)}
        kinds = bindings.get(natural)
        if kinds == {wanted} or (kinds is None and natural not in loaded):
            self.imports.append(ImportItem(module, name))
            return natural
        code = self._code_of(self.module)
        local = next(
            c for c in itertools.islice(_candidates(natural), 1, None) if not _uses(code, c)
        )
        self.imports.append(ImportItem(module, name, local))
        return local

    def _binding_kinds(self) -> dict[str, set[tuple[str, ...]]]:
        """For each name the module binds anywhere, how: ``("import", module)``,
        ``("from", module, name)`` or ``("other",)``."""
        if self._bindings is None:
            self._bindings = {}
            for node in ast.walk(self._ast()):
                for local, kind in _binding_kinds(node):
                    self._bindings.setdefault(local, set()).add(kind)
        return self._bindings

    def drain_at_exits(
        self, function: cst.FunctionDef, gathers: Sequence[str], drains: Sequence[str]
    ) -> RewriteNode:
        """The edit awaiting ``gathers`` and then ``drains`` (expressions) at every exit of
        ``function``. The findings on one coroutine share it, each adding its awaits once;
        the tracking sets come first (their tasks may still fire library callbacks)."""
        if function not in self._drains:
            result = (
                self.fresh_name(function, RESULT_NAME) if exits.computes_return(function) else None
            )
            pending: tuple[list[str], list[str]] = ([], [])
            config = self.module.config_for_parsing

            def rewrite(node: cst.FunctionDef) -> cst.FunctionDef:
                lines = [
                    cst.parse_statement(f"await {code}\n", config)
                    for code in [*pending[0], *pending[1]]
                ]
                statements = [small for line in lines for small in line.body]  # type: ignore[attr-defined]
                return exits.at_exits(node, statements, result)

            self._drains[function] = (RewriteNode(function, rewrite), pending)
        edit, pending = self._drains[function]
        for known, new in zip(pending, (gathers, drains)):
            known.extend(code for code in new if code not in known)
        return edit

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
        for name in _candidates(TRACKING_SET):
            if not _uses(code, name):
                if _rebinds_set(self._ast()):
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
        definition = next((i for i, line in enumerate(body) if _is_set_definition(line, name)), -1)
        if definition < 0:
            return False
        for target, path in self.paths.items():
            if not any(isinstance(node, cst.FunctionDef) for node in path):  # runs at import
                top = path[0] if path else target
                if definition >= next(i for i, line in enumerate(body) if line is top):
                    return False
        return sum(1 for node in ast.walk(self._ast()) if name in _bound_names(node)) == 1


_SCOPES = (cst.FunctionDef, cst.ClassDef)
_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# nodes whose ``name`` is a binding (MatchAs and MatchStar exist from Python 3.10)
_AST_NAMED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.ExceptHandler,
    *(getattr(ast, kind) for kind in ("MatchAs", "MatchStar") if hasattr(ast, kind)),
)
# what holds statements: suites, statements, and the clauses of compound statements
_STATEMENT_HOLDERS = (
    cst.BaseSuite,
    cst.BaseStatement,
    cst.Else,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
    cst.MatchCase,
)


def statement_paths(
    module: cst.Module, targets: Collection[cst.CSTNode]
) -> dict[cst.CSTNode, tuple[cst.CSTNode, ...]]:
    """For each statement of ``targets``: the nodes that hold it, from the top-level
    statement down. Walks statements only, never into expressions (which hold none)."""
    paths: dict[cst.CSTNode, tuple[cst.CSTNode, ...]] = {}
    pending: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(module, ())]
    while pending:
        node, path = pending.pop()
        for child in node.children:
            if child in targets:
                paths[child] = path
            if isinstance(child, _STATEMENT_HOLDERS):
                pending.append((child, (*path, child)))
    return paths


def _candidates(base: str) -> Iterator[str]:
    yield base
    for number in itertools.count(1):
        yield f"{base}_{number}"


def _uses(code: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", code) is not None


def _bound_names(node: ast.AST) -> tuple[str, ...]:
    """The names ``node`` binds, deletes, or declares global or nonlocal."""
    if isinstance(node, ast.Name):
        return (node.id,) if isinstance(node.ctx, (ast.Store, ast.Del)) else ()
    if isinstance(node, ast.arg):
        return (node.arg,)
    if isinstance(node, ast.alias):
        return (node.asname or node.name.split(".")[0],)
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return tuple(node.names)
    if isinstance(node, _AST_NAMED):
        return (node.name,) if node.name else ()
    rest = getattr(node, "rest", None)  # MatchMapping
    return (rest,) if isinstance(rest, str) else ()


def _binding_kinds(node: ast.AST) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(name, how ``node`` binds it) for each name ``node`` binds (see ``_bound_names``)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            module = alias.name if alias.asname else alias.name.split(".")[0]
            yield alias.asname or module, ("import", module)
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            module = "." * node.level + (node.module or "")
            yield alias.asname or alias.name, ("from", module, alias.name)
    elif not isinstance(node, ast.alias):
        for name in _bound_names(node):
            yield name, ("other",)


def _top_level_imports(tree: ast.Module, wanted: tuple[str, ...]) -> Iterator[str]:
    """The names top-level import statements bind to ``wanted`` (see ``_binding_kinds``)."""
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for local, kind in _binding_kinds(statement):
                if kind == wanted:
                    yield local


def _rebinds_set(tree: ast.Module) -> bool:
    """``set`` may not be the builtin at module level: the module binds it there, or a
    function declares it global."""
    pending: list[tuple[ast.AST, bool]] = [(tree, True)]
    while pending:
        node, module_level = pending.pop()
        if isinstance(node, ast.Global) and "set" in node.names:
            return True
        if module_level and not isinstance(node, ast.Nonlocal) and "set" in _bound_names(node):
            return True
        inner = module_level and not isinstance(node, _AST_SCOPES)
        pending.extend((child, inner) for child in ast.iter_child_nodes(node))
    return False


def _is_set_definition(line: cst.BaseStatement, name: str) -> bool:
    """``name = set()`` or ``name: <annotation> = set()`` alone on a line."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return False
    statement = line.body[0]
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0].target, statement.value
    elif isinstance(statement, cst.AnnAssign):
        target, value = statement.target, statement.value
    else:
        return False
    return (
        isinstance(target, cst.Name)
        and target.value == name
        and isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "set"
        and not value.args
    )


# -- applying the edits ----------------------------------------------------------------------


def apply_fixes(
    module: cst.Module,
    findings: Sequence[Finding],
    settings: Settings = Settings(),
    options: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
) -> FixOutcome:
    """Apply every fix of ``findings`` (whose nodes belong to ``module``) that is safe; the
    others are left, with the reason. ``source``, ``module.code`` if the caller has it, saves
    generating it again."""
    options = options or {}
    outcome = FixOutcome(module)
    fixes = [(finding, finding.fix) for finding in findings if finding.fix is not None]
    context = FixContext(module, {fix.statement for _, fix in fixes}, settings, options)
    if source is not None:
        context.know_code(module, source)
    edits: dict[cst.CSTNode, Edit] = {}
    for finding in findings:
        reason = no_fix_reason(finding, options)
        if reason is None:
            assert finding.fix is not None
            kind = FIX_KINDS[finding.fix.kind]
            try:
                edit = kind.make_edit(finding.fix, context)
            except Unfixable as refusal:
                reason = str(refusal)
            else:
                assert edit.target is finding.fix.statement, "an edit rewrites its statement"
                if edits.get(edit.target, edit) is not edit:
                    reason = "another fix rewrites the same statement"
                else:
                    edits[edit.target] = edit
                    outcome.fixed.append(finding)
                    continue
        outcome.left.append(Left(finding, reason))
    if not edits:
        return outcome
    holders = {node for target in edits for node in context.paths[target]}
    fixed = module.visit(_Applier(edits.values(), holders))
    assert isinstance(fixed, cst.Module)
    tracking_set = context.inserts_tracking_set
    if tracking_set is not None:
        fixed = _insert_tracking_set(fixed, tracking_set)
    if context.imports:
        fixed = AddImportsVisitor(CodemodContext(), context.imports).transform_module(fixed)
    outcome.module = fixed
    return outcome


def no_fix_reason(finding: Finding, options: Mapping[str, Any]) -> str | None:
    """Why ``finding`` will not be fixed before trying (None: its fix will be tried)."""
    fix = finding.fix
    if fix is None:
        autofix = next((i.autofix for i in all_infos() if i.code == finding.code), "")
        return "no safe rewrite for this shape" if autofix else "no autofix for this code"
    kind = FIX_KINDS.get(fix.kind)
    if kind is None:
        return f"no fixer for fix kind {fix.kind!r}"
    if kind.requires is not None and not options.get(kind.requires):
        return f"needs fix --{kind.requires.replace('_', '-')}"
    return None


class _Applier(cst.CSTTransformer):
    """Makes the edits; visits only the nodes that hold an edited statement (``holders``),
    so that the cost follows the number of edits rather than the size of the module."""

    def __init__(self, edits: Collection[Edit], holders: Collection[cst.CSTNode]) -> None:
        super().__init__()
        self._statements = {e.target: e for e in edits if isinstance(e, ReplaceStatement)}
        self._nodes = {e.target: e for e in edits if isinstance(e, RewriteNode)}
        self._holders = holders

    def on_visit(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Module) or node in self._holders

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        edit = self._nodes.get(original_node)
        return updated if edit is None else edit.rewrite(updated)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Any:
        lines = self._lines(original_node.body, updated_node.body, updated_node.trailing_whitespace)
        if lines is None:
            return updated_node
        lines[0] = lines[0].with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel(lines)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> Any:
        """``if x: stmt`` becomes an indented block when a statement of it grows."""
        lines = self._lines(original_node.body, updated_node.body, updated_node.trailing_whitespace)
        if lines is None:
            return updated_node
        return cst.IndentedBlock(body=lines)

    def _lines(
        self,
        original: Sequence[cst.BaseSmallStatement],
        updated: Sequence[cst.BaseSmallStatement],
        trailing: cst.TrailingWhitespace,
    ) -> list[cst.SimpleStatementLine] | None:
        """One line per replacement statement; the untouched statements around them stay on
        shared lines. The first replacement line keeps the original line's comment."""
        if not any(statement in self._statements for statement in original):
            return None
        assert len(original) == len(updated)
        replacements = [self._statements.get(before) for before in original]
        return exits.split_line(
            [
                (after, None if edit is None else edit.statements)
                for after, edit in zip(updated, replacements)
            ],
            trailing,
        )


def _insert_tracking_set(module: cst.Module, name: str) -> cst.Module:
    """``name = set()`` after the docstring, the ``__future__`` imports and the import block."""
    index = _header_end(module.body)
    line = cst.SimpleStatementLine(
        body=[cst.Assign([cst.AssignTarget(cst.Name(name))], cst.parse_expression("set()"))],
        leading_lines=[cst.EmptyLine()] if index else [],
    )
    after = list(module.body[index:])
    if after and not after[0].leading_lines:  # keep the next statement off the new line
        blank_lines = 2 if isinstance(after[0], (cst.FunctionDef, cst.ClassDef)) else 1
        after[0] = after[0].with_changes(leading_lines=[cst.EmptyLine()] * blank_lines)
    return module.with_changes(body=[*module.body[:index], line, *after])


def _header_end(body: Sequence[cst.BaseStatement]) -> int:
    """Index of the first statement after the docstring and the leading import block (imports,
    ``try: import x`` / ``except ImportError: x = None``, ``if TYPE_CHECKING: import y``)."""
    index = 1 if body and _is_docstring(body[0]) else 0
    end = index
    for position in range(index, len(body)):
        if not _is_import_block(body[position]):
            break
        end = position + 1
    return end


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_import_block(statement: cst.BaseStatement) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        return all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body)
    if not isinstance(statement, (cst.If, cst.Try)):
        return False
    smalls = list(_small_statements(statement))
    has_import = any(isinstance(small, (cst.Import, cst.ImportFrom)) for small in smalls)
    return has_import and all(_is_import_block_part(small) for small in smalls)


def _small_statements(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The small statements of a compound statement, or the compound statements it holds that
    are neither ``if``/``try`` blocks nor their clauses (which disqualify it)."""
    for child in node.children:
        if isinstance(child, cst.BaseSmallStatement):
            yield child
        elif isinstance(child, cst.BaseCompoundStatement) and not isinstance(
            child, (cst.If, cst.Try)
        ):
            yield child
        else:
            yield from _small_statements(child)


def _is_import_block_part(node: cst.CSTNode) -> bool:
    """What an import block may hold besides imports: ``pass``, ``raise``, a docstring and
    ``name = <constant or dotted name>`` fallbacks."""
    if isinstance(node, (cst.Import, cst.ImportFrom, cst.Pass, cst.Raise)):
        return True
    if isinstance(node, cst.Expr):
        return isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString))
    if isinstance(node, (cst.Assign, cst.AnnAssign)):
        return node.value is None or isinstance(
            node.value, (cst.Name, cst.Attribute, cst.BaseNumber, cst.BaseString)
        )
    return False


# -- the libcst codemod command --------------------------------------------------------------


class TrackTasks(CodemodCommand):
    """Keep asyncio tasks alive: rewrite the TRK101/TRK102 findings into a module-level
    tracking set (``tasks.add(t); t.add_done_callback(tasks.discard)``); on request, declare
    dispatch modes (TRK301) and drain short-lived entry coroutines (TRK201/TRK202)."""

    DESCRIPTION = (
        "Keep fire-and-forget asyncio tasks alive with a module-level tracking set "
        "(flake8-task-tracking TRK101/TRK102; TRK301 with --declare-dispatch-mode, "
        "TRK201/TRK202 with --drain). Settings come from [tool.lint-rules]."
    )

    def __init__(
        self,
        context: CodemodContext,
        select: str | None = None,
        ignore: str | None = None,
        declare_dispatch_mode: str | None = None,
        drain: bool = False,
        *,
        settings: Settings | None = None,
        selection: Selection | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(context)
        if settings is None or selection is None:  # run by libcst.tool: read pyproject.toml
            configuration = _config_for(context.filename)
            overrides = {
                key: checked_selectors(split_list(value), f"--{key}")
                for key, value in (("select", select), ("ignore", ignore))
                if value is not None
            }
            configuration = dataclasses.replace(configuration, **overrides)
            settings = configuration.settings if settings is None else settings
            selection = configuration.selection() if selection is None else selection
        self.settings = settings
        self.selection = selection
        if options is None:
            options = {"declare_dispatch_mode": declare_dispatch_mode, "drain": drain}
        self.options = options

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--select", help="codes or prefixes to fix (default: all)")
        arg_parser.add_argument("--ignore", help="codes or prefixes to leave alone")
        add_fix_options(arg_parser)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        # No metadata to resolve, and apply_fixes adds its own imports: skip the base class's
        # MetadataWrapper, which deep-copies the module (a large share of the run time on big
        # files).
        return self.transform_module_impl(tree)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        outcome = self._fix(tree, self.selection.codes())
        if self._may_need_drain(outcome):
            # a task just put in the tracking set makes the entry coroutine undrained
            # (TRK202): drain it in the same run, so that a second run changes nothing
            again = self._fix(outcome.module, {"TRK202"})
            outcome = FixOutcome(
                again.module, outcome.fixed + again.fixed, outcome.left + again.left
            )
        self.context.scratch[SCRATCH_KEY] = outcome
        for left in outcome.left:
            finding = left.finding
            self.warn(f"line {finding.line}: {finding.code} left: {left.reason}")
        if not outcome.fixed:
            raise SkipFile("nothing to fix")
        return outcome.module

    def _fix(self, tree: cst.Module, codes: Collection[str] | None) -> FixOutcome:
        findings = analyze_module(tree, self.settings, codes=codes)
        source = tree.code
        findings = selected(findings, source, self.selection)
        return apply_fixes(tree, findings, self.settings, self.options, source=source)

    def _may_need_drain(self, outcome: FixOutcome) -> bool:
        return (
            bool(self.options.get("drain"))
            and self.selection.enabled("TRK202")
            and any(finding.code in TRACKING_CODES for finding in outcome.fixed)
        )


def selected(findings: Sequence[Finding], source: str, selection: Selection) -> list[Finding]:
    """The findings ``lint-rules check`` would report: selected, and not silenced by a
    ``# noqa`` comment (the codemod leaves silenced lines alone, as Ruff does)."""
    chosen = [finding for finding in findings if selection.enabled(finding.code)]
    return unsuppressed(chosen, split_lines(source)) if chosen else []


@functools.cache
def _config_at(pyproject: Path | None) -> Config:
    return load_config(pyproject)


def _config_for(filename: str | None) -> Config:
    return _config_at(find_pyproject([filename] if filename else []))
