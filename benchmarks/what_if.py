"""What each proposed optimisation would save, measured on prototypes patched into the engine
at run time (nothing under ``lint_rules/`` is changed). Every prototype must report exactly
the findings of the unpatched engine, file by file, or the script stops.

    .cache/venvs/flake8-trk/bin/python benchmarks/what_if.py litellm --dense
    .cache/venvs/flake8-trk/bin/python benchmarks/what_if.py homeassistant

The prototypes are applied cumulatively, in the order of ``STEPS``; times are CPU seconds of
``engine.analyze(source, tree=tree)`` over the files (the ``ast`` tree is built outside the
clock, as flake8 builds it). Prototypes the engine has since adopted (substring pre-filter,
parents and positions from one own traversal) are gone from here; see git history.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from corpus import prepare
from probe import read_source

from lint_rules import engine
from lint_rules.index import first_line
from lint_rules.rules import tasks
from lint_rules.rules.tasks import TaskRules
from lint_rules.settings import Settings


def _task_names(index: Any, settings: Settings) -> frozenset[str]:
    """Every name under which TRK1xx could see a task API in this module."""
    aliases = {
        local for local, qualified in index.imports.items() if local != qualified.rsplit(".", 1)[-1]
    }
    return frozenset(
        {
            *tasks._API_NAMES,
            "Task",
            *tasks._AWAITED_API_NAMES,
            *aliases,
            *(name.rsplit(".", 1)[-1] for name in settings.task_factories),
        }
    )


_ANNOTATION_FIELDS = frozenset({"annotation", "returns"})


def _references(
    node: ast.AST, names: frozenset[str], lines: range, parent: ast.AST | None = None
) -> Iterator[tuple[ast.expr, ast.AST | None]]:
    """Each Name or Attribute named in ``names`` on ``lines``, outside annotations, with its
    parent node."""
    if isinstance(node, ast.Name) and node.id in names and node.lineno in lines:
        yield node, parent
    elif isinstance(node, ast.Attribute) and node.attr in names and node.lineno in lines:
        yield node, parent
    for field, value in ast.iter_fields(node):
        if field in _ANNOTATION_FIELDS:
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                yield from _references(child, names, lines, node)


def _span_statements(index: Any, span: Any) -> list[ast.stmt]:
    exact = [
        node
        for node in index.path_to(span.start)
        if first_line(node) == span.start and node.end_lineno == span.end
    ]
    return exact[-1:] or [
        node
        for node in index.tree.body
        if node.lineno <= span.end and span.start <= (node.end_lineno or node.lineno)
    ]


def _parents(nodes: Sequence[ast.AST]) -> dict[ast.AST, ast.AST]:
    found = {}
    for root in nodes:
        for node in ast.walk(root):
            for child in ast.iter_child_nodes(node):
                found[child] = node
    return found


def _kept_on_the_spot(reference: ast.expr, parents: dict[ast.AST, ast.AST]) -> bool:
    """``reference`` is the callee of a call whose result is awaited, returned, yielded or
    stored on an attribute right where it is made."""
    call = parents.get(reference)
    if not isinstance(call, ast.Call) or call.func is not reference:
        return False
    holder = parents.get(call)
    if isinstance(holder, (ast.Await, ast.Return, ast.Yield, ast.YieldFrom)):
        return True
    if isinstance(holder, ast.Assign) and holder.value is call:
        return all(isinstance(target, ast.Attribute) for target in holder.targets)
    if isinstance(holder, ast.AnnAssign) and holder.value is call:
        return isinstance(holder.target, ast.Attribute)
    return False


def _filter_regions(keep: Callable[[Any, Any, frozenset[str]], bool]) -> None:
    original = TaskRules.regions.__func__  # type: ignore[attr-defined]

    def regions(cls: type, index: Any, settings: Settings, trigger_lines: Any) -> Any:
        names = _task_names(index, settings)
        for span in original(cls, index, settings, trigger_lines):
            if span is not None and keep(index, span, names):
                yield span

    TaskRules.regions = classmethod(regions)  # type: ignore[method-assign, assignment]


def ast_confirmed_spans() -> None:
    """Parse a span only if its ``ast`` names a task API outside annotations (a word match in
    a comment, a docstring or a string is not enough)."""

    def keep(index: Any, span: Any, names: frozenset[str]) -> bool:
        lines = range(span.start, span.end + 1)
        statements = _span_statements(index, span)
        return any(True for node in statements for _ in _references(node, names, lines))

    _filter_regions(keep)


def skip_spans_kept_on_the_spot() -> None:
    """Do not parse a span whose every task API reference is a call awaited, returned,
    yielded or stored on an attribute where it is made: TRK1xx cannot report there."""

    def keep(index: Any, span: Any, names: frozenset[str]) -> bool:
        lines = range(span.start, span.end + 1)
        statements = _span_statements(index, span)
        references = [r for node in statements for r, _ in _references(node, names, lines)]
        if not references:
            return False
        parents = _parents(statements)
        return not all(_kept_on_the_spot(reference, parents) for reference in references)

    _filter_regions(keep)


STEPS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("only spans whose ast names a task API", ast_confirmed_spans),
    ("and not every such call kept on the spot", skip_spans_kept_on_the_spot),
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
