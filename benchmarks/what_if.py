"""What each proposed optimisation would save, measured on prototypes patched into the engine
at run time (nothing under ``lint_rules/`` is changed). Every prototype must report exactly
the findings of the unpatched engine, file by file, or the script stops.

    .cache/venvs/flake8-trk/bin/python benchmarks/what_if.py litellm --dense
    .cache/venvs/flake8-trk/bin/python benchmarks/what_if.py homeassistant

The prototypes are applied cumulatively, in the order of ``STEPS``; times are CPU seconds of
``engine.analyze(source, tree=tree)`` over the files (the ``ast`` tree is built outside the
clock, as flake8 builds it). They target the engine as of the foundation commit; when the
engine changes they may no longer apply, and the script says so.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import libcst as cst
from corpus import prepare
from libcst.metadata import MetadataWrapper, ParentNodeProvider
from probe import read_source

from lint_rules import engine
from lint_rules.index import first_line
from lint_rules.rule import RuleContext
from lint_rules.rules import tasks
from lint_rules.rules.tasks import TaskRules
from lint_rules.settings import Settings

_WORDS = (*tasks._API_NAMES, *tasks._AWAITED_API_NAMES)


class FastTrigger:
    """The TRK1xx trigger without per-position look-behinds: a plain alternation of literals
    finds candidates, Python checks the word boundary and the ``await`` exclusion."""

    def __init__(self, words: Sequence[str], awaited: Sequence[str]) -> None:
        self.words = tuple(words)
        self.awaited = frozenset(awaited)
        self.pattern = re.compile(rf"(?:{'|'.join(map(re.escape, self.words))})\b")

    def finditer(self, source: str) -> Iterator[re.Match[str]]:
        for match in self.pattern.finditer(source):
            start = match.start()
            if start and (source[start - 1].isalnum() or source[start - 1] == "_"):
                continue  # not at a word boundary
            if match.group() in self.awaited and (
                source.endswith("await ", 0, start) or source.endswith("await asyncio.", 0, start)
            ):
                continue
            yield match

    def search(self, source: str) -> re.Match[str] | None:
        if not any(word in source for word in self.words):
            return None
        return next(self.finditer(source), None)


def fast_prefilter() -> None:
    def trigger(cls: type, settings: Settings) -> FastTrigger:
        factories = [name.rsplit(".", 1)[-1] for name in settings.task_factories]
        return FastTrigger([*_WORDS, *factories], tasks._AWAITED_API_NAMES)

    TaskRules.trigger = classmethod(trigger)  # type: ignore[method-assign, assignment]


def cached_get_visitors() -> None:
    """libcst's get_visitors() runs inspect.getmembers() over ~1,500 attributes per visitor
    and span; which methods a class defines never changes."""
    original = cst.BatchableCSTVisitor.get_visitors
    names_by_class: dict[type, tuple[str, ...]] = {}

    def get_visitors(self: cst.BatchableCSTVisitor) -> dict[str, Callable[..., Any]]:
        names = names_by_class.get(type(self))
        if names is None:
            names = names_by_class[type(self)] = tuple(original(self))
        return {name: getattr(self, name) for name in names}

    cst.BatchableCSTVisitor.get_visitors = get_visitors  # type: ignore[method-assign]


def parents_from_traversal() -> None:
    """Record each node's parent in the rules' own traversal (visit_batched's before_visit /
    after_leave hooks) instead of a separate ParentNodeProvider pass."""
    original_visit = MetadataWrapper.visit_batched
    original_get = TaskRules.get_metadata
    TaskRules.METADATA_DEPENDENCIES = ()
    TaskRules._INHERITED_METADATA_DEPENDENCIES_CACHE = frozenset()  # libcst caches it

    def visit_batched(
        self: MetadataWrapper, visitors: Any, before_visit: Any = None, after_leave: Any = None
    ) -> Any:
        visitors = list(visitors)
        parents: dict[cst.CSTNode, cst.CSTNode] = {}
        stack: list[cst.CSTNode] = []

        def before(node: cst.CSTNode) -> None:
            if stack:
                parents[node] = stack[-1]
            stack.append(node)

        def after(node: cst.CSTNode) -> None:
            stack.pop()

        calls: list[cst.Call] = []  # every Call in pre-order, i.e. in source order
        for visitor in visitors:
            visitor._parents = parents
            visitor.context._calls = calls

        def before_with_calls(node: cst.CSTNode) -> None:
            before(node)
            if type(node) is cst.Call:
                calls.append(node)

        return original_visit(self, visitors, before_with_calls, after)

    def get_metadata(self: TaskRules, key: Any, node: cst.CSTNode, *default: Any) -> Any:
        if key is ParentNodeProvider:
            return self._parents[node]
        return original_get(self, key, node, *default)

    MetadataWrapper.visit_batched = visit_batched  # type: ignore[method-assign]
    TaskRules.get_metadata = get_metadata  # type: ignore[method-assign]


_ANNOTATION_FIELDS = frozenset({"annotation", "returns"})


def _references(
    node: ast.AST, names: frozenset[str], awaited: frozenset[str], lines: range
) -> bool:
    """``node`` mentions one of ``names`` as a Name or attribute on ``lines``, outside
    annotations and outside ``await <x>.gather(...)``."""
    if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
        func = node.value.func
        last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if last in awaited:
            node = ast.Tuple(elts=[*node.value.args, *(k.value for k in node.value.keywords)])
    if isinstance(node, ast.Name) and node.id in names and node.lineno in lines:
        return True
    if isinstance(node, ast.Attribute) and node.attr in names and node.lineno in lines:
        return True
    return any(
        _references(child, names, awaited, lines)
        for field, value in ast.iter_fields(node)
        if field not in _ANNOTATION_FIELDS
        for child in (value if isinstance(value, list) else [value])
        if isinstance(child, ast.AST)
    )


def ast_confirmed_spans() -> None:
    """Parse a span only if its ``ast`` mentions a task API outside annotations and awaited
    gathers (a word match in a comment, a string or ``-> asyncio.Task`` is not enough)."""
    original = TaskRules.regions.__func__  # type: ignore[attr-defined]

    def regions(cls: type, index: Any, settings: Settings, trigger_lines: Any) -> Any:
        aliases = {
            local
            for local, qualified in index.imports.items()
            if local != qualified.rsplit(".", 1)[-1]
        }
        names = frozenset(
            {*_WORDS, *aliases, *(n.rsplit(".", 1)[-1] for n in settings.task_factories)}
        )
        awaited = frozenset(tasks._AWAITED_API_NAMES)
        for span in original(cls, index, settings, trigger_lines):
            if span is None:
                continue
            statements = [
                node
                for node in index.path_to(span.start)
                if first_line(node) == span.start and node.end_lineno == span.end
            ][-1:] or [
                node
                for node in index.tree.body
                if node.lineno <= span.end and span.start <= (node.end_lineno or node.lineno)
            ]
            lines = range(span.start, span.end + 1)
            if any(_references(node, names, awaited, lines) for node in statements):
                yield span

    TaskRules.regions = classmethod(regions)  # type: ignore[method-assign, assignment]


def positions_from_ast() -> None:
    """A reported Call's position from the ``ast`` instead of libcst's PositionProvider (a
    codegen pass over the whole span): the k-th Call of the span in source order is the k-th
    ``ast.Call`` from the span's first line on. Anything that does not line up falls back."""
    original = RuleContext.position_of

    def ast_calls(index: Any) -> tuple[list[tuple[int, int]], list[ast.Call]]:
        cached = index.__dict__.get("_ast_calls")
        if cached is None:
            found = [node for node in ast.walk(index.tree) if isinstance(node, ast.Call)]
            found.sort(key=lambda node: (node.lineno, node.col_offset))  # stable: outer first
            cached = index._ast_calls = ([(n.lineno, n.col_offset) for n in found], found)
        return cached

    def position_of(self: RuleContext, node: cst.CSTNode) -> tuple[int, int]:
        calls = getattr(self, "_calls", None)
        if calls is None or type(node) is not cst.Call:
            return original(self, node)
        order = self.__dict__.get("_call_order")
        if order is None:
            order = self._call_order = {id(call): k for k, call in enumerate(calls)}
        keys, nodes = ast_calls(self.index)
        at = bisect.bisect_left(keys, (self._first_line, 0)) + order[id(node)]
        if at >= len(nodes) or _last_name(nodes[at].func) != _cst_last_name(node.func):
            return original(self, node)
        line, byte_column = keys[at]
        text = self.index.lines[line - 1].encode("utf-8")[:byte_column]
        return line, len(text.decode("utf-8", errors="replace"))

    RuleContext.position_of = position_of  # type: ignore[method-assign]


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _cst_last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else None


STEPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("literal pre-filter and trigger lines", fast_prefilter),
    ("get_visitors cached per class", cached_get_visitors),
    ("parents from the traversal, no ParentNodeProvider", parents_from_traversal),
    ("only spans whose ast mentions a task API", ast_confirmed_spans),
    ("positions of reported calls from the ast", positions_from_ast),
)


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def run(sources: Sequence[str]) -> tuple[float, list[list[engine.Finding]]]:
    """CPU time of the engine over ``sources``; each ``ast`` tree is built outside the clock
    and dropped after use (holding them all would make the garbage collector dominate)."""
    settings = Settings()
    seconds, results = 0.0, []
    for source in sources:
        tree = parse(source)
        start = time.process_time()
        results.append(engine.analyze(source, settings, tree=tree))
        seconds += time.process_time() - start
    return seconds, results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package")
    parser.add_argument("--dense", action="store_true")
    args = parser.parse_args(argv)
    package = prepare(names=[args.package])[0]
    files = package.dense_files if args.dense else package.files
    sources = [read_source(str(path)) for path in files]
    baseline, expected = run(sources)
    print(f"## {package.label} {'dense' if args.dense else 'whole'}: {len(files)} files\n")
    print("| engine | CPU s | vs unpatched | findings identical |")
    print("|---|---:|---:|---|")
    print(f"| unpatched | {baseline:.2f} | 1.00 | yes |")
    applied = []
    for name, apply in STEPS:
        apply()
        applied.append(name)
        seconds, results = run(sources)
        same = results == expected
        verdict = "yes" if same else "NO"
        print(f"| + {name} | {seconds:.2f} | {seconds / baseline:.2f} | {verdict} |")
        if not same:
            for path, got, want in zip(files, results, expected):
                if got != want:
                    print(f"  {path}: {set(got) ^ set(want)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
