"""Where the plugin's time goes: the engine run as flake8 runs it (``analyze(source,
tree=tree)`` with the ``ast`` tree already built), phase by phase.

    benchmarks/.cache/venvs/flake8-trk/bin/python benchmarks/profile_plugin.py   # every package
    benchmarks/.cache/venvs/flake8-trk/bin/python benchmarks/profile_plugin.py litellm --dense
    benchmarks/.cache/venvs/flake8-trk/bin/python benchmarks/profile_plugin.py --cprofile litellm

Run it with a Python where ``lint_rules`` is importable (``run.py``'s ``flake8-trk`` venv holds
the worktree's code). Each phase is timed by wrapping the function that does it; a phase's
time excludes the wrapped phases nested in it; times are CPU seconds of this process. A last
table sums up every package: lines parsed with libcst against all lines. ``--cprofile`` also
writes the 40 most expensive functions (by own time) to ``.cache/profile-<package>.txt``.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import functools
import io
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import libcst as cst
import libcst.metadata.wrapper as wrapper_module
from corpus import CACHE, Package, prepare
from libcst.metadata import MetadataWrapper, PositionProvider
from probe import read_source

from lint_rules import rules
from lint_rules.engine import pipeline
from lint_rules.engine.project import MODULES
from lint_rules.engine.rule import RuleContext
from lint_rules.engine.source import split_lines
from lint_rules.engine.triggers import Trigger
from lint_rules.rules.tasks.rule import TaskRules
from lint_rules.settings import Settings

# CPU time of this process: steadier than wall time on a shared machine
clock_now = time.process_time


class PhaseClock:
    """Exclusive time per phase: a wrapped call's time minus the wrapped calls inside it."""

    def __init__(self) -> None:
        self.exclusive: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[Any]] = []  # [label, start, time spent in nested phases]
        self._originals: list[tuple[Any, str, Any]] = []

    def patch(self, owner: Any, attribute: str, replacement: Any) -> None:
        self._originals.append((owner, attribute, owner.__dict__[attribute]))
        setattr(owner, attribute, replacement)

    def restore(self) -> None:
        for owner, attribute, original in reversed(self._originals):
            setattr(owner, attribute, original)
        self._originals.clear()

    def wrap(self, owner: Any, attribute: str, label: str | Callable[..., str]) -> None:
        original = getattr(owner, attribute)
        clock = self

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            name = label(*args, **kwargs) if callable(label) else label
            if clock._stack and "{parent}" in name:
                name = name.format(parent=clock._stack[-1][0])
            frame = [name, clock_now(), 0.0]
            clock._stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                clock._stack.pop()
                elapsed = clock_now() - frame[1]
                clock.exclusive[name] += elapsed - frame[2]
                clock.calls[name] += 1
                if clock._stack:
                    clock._stack[-1][2] += elapsed

        self.patch(owner, attribute, timed)


def _metadata_label(wrapper: MetadataWrapper, providers: Any) -> str:
    if PositionProvider in providers:
        return "metadata: positions (PositionProvider)"
    return "metadata: " + ", ".join(sorted(p.__name__ for p in providers))


# what to time: (module or class, attribute, label)
PHASES: tuple[tuple[Any, str, Any], ...] = (
    (pipeline, "analyze", "analyze itself (split_lines, sorting)"),
    (Trigger, "may_apply", "pre-filter: substring search"),
    (Trigger, "lines", "pre-filter: trigger lines"),
    (pipeline, "ModuleIndex", "ast index (ModuleIndex)"),
    (pipeline, "_spans", "span selection (_spans, regions)"),
    (cst, "parse_module", "libcst parse"),
    (pipeline, "_visit", "pipeline._visit (visitor setup, findings)"),
    (MetadataWrapper, "resolve_many", _metadata_label),
    (cst.BatchableCSTVisitor, "get_visitors", "get_visitors introspection"),
    (wrapper_module, "visit_batched", "libcst traversal inside {parent}"),
    (pipeline, "traverse", "traversal (engine's own, incl. rule visit_* callbacks)"),
    (TaskRules, "leave_Module", "escape analysis (TaskRules.leave_Module)"),
    (RuleContext, "position_of", "positions (position_of)"),
)


def instrument(clock: PhaseClock, spans: list[tuple[int, int]], stats: dict[str, int]) -> None:
    for owner, attribute, label in PHASES:
        clock.wrap(owner, attribute, label)
    original_run_span = pipeline._run_span
    original_leave = TaskRules.leave_Module

    def leave_module(self: TaskRules, node: cst.Module) -> None:
        before = len(self.reports)
        original_leave(self, node)
        stats["spans without a candidate call"] += not self._calls
        stats["spans with a finding"] += len(self.reports) > before

    clock.patch(TaskRules, "leave_Module", leave_module)

    def run_span(span: Any, *args: Any, **kwargs: Any) -> Any:
        spans.append((span.start, span.end))
        return original_run_span(span, *args, **kwargs)

    clock.patch(pipeline, "_run_span", run_span)


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _triggers(source: str, settings: Settings) -> bool:
    """TRK1xx's pre-filter on its own."""
    trigger = TaskRules.TRIGGER(settings)
    return trigger.may_apply(source) and bool(trigger.lines(source, split_lines(source)))


def profile(package: Package, dense: bool, cprofile: bool) -> list[str]:
    """Profile one package; print the phase table; return its summary row."""
    files = package.dense_files if dense else package.files
    label = f"{package.label} {'dense' if dense else 'whole'}"
    sources = [read_source(str(path)) for path in files]
    total_lines = sum(source.count("\n") for source in sources)
    settings = Settings()
    reads: dict[Path, int] = {}  # first-party modules each file made the engine read, cold

    # each tree is built outside the clock, as flake8 builds it, and dropped after use:
    # holding every tree would make the garbage collector dominate the profile
    def analyze_all() -> tuple[float, float, int]:
        engine_seconds = ast_seconds = 0.0
        findings = 0
        for path, source in zip(files, sources):
            start = clock_now()
            tree = parse(source)
            ast_seconds += clock_now() - start
            start = clock_now()
            before = MODULES.reads
            findings += len(rules.analyze(source, settings, tree=tree, path=str(path)))
            engine_seconds += clock_now() - start
            reads[path] = max(reads.get(path, 0), MODULES.reads - before)
        return engine_seconds, ast_seconds, findings

    start = clock_now()
    triggered = [s for s in sources if _triggers(s, settings)]
    regex_seconds = clock_now() - start
    plain_seconds, ast_seconds, findings = analyze_all()

    if cprofile:
        profiler = cProfile.Profile()
        for path, source in zip(files, sources):
            tree = parse(source)
            profiler.enable()
            rules.analyze(source, settings, tree=tree, path=str(path))
            profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(40)
        suffix = "-dense" if dense else ""
        destination = CACHE / f"profile-{package.name}{suffix}.txt"
        destination.write_text(text.getvalue())

    clock, spans, stats = PhaseClock(), [], defaultdict(int)
    instrument(clock, spans, stats)
    try:
        instrumented_seconds, _, _ = analyze_all()
    finally:
        clock.restore()
    parsed_lines = sum(end - start + 1 for start, end in spans)
    triggered_lines = sum(s.count("\n") for s in triggered)

    print(f"## {label}: {len(files)} files, {total_lines} lines, {findings} findings\n")
    print(
        f"ast.parse of every file (flake8 pays it anyway): {ast_seconds:.2f} s; "
        f"analyze with the tree given: {plain_seconds:.2f} s "
        f"({plain_seconds / ast_seconds:.2f}x ast.parse); instrumented: "
        f"{instrumented_seconds:.2f} s. CPU seconds."
    )
    print(
        f"Pre-filter alone (substring search, then the trigger regex): "
        f"{regex_seconds:.3f} s; {len(triggered)} of {len(files)} files triggered "
        f"({triggered_lines} lines).\n"
        f"libcst parsed {len(spans)} spans, {parsed_lines} lines: "
        f"{100 * parsed_lines / max(total_lines, 1):.1f}% of all lines, "
        f"{100 * parsed_lines / max(triggered_lines, 1):.1f}% of the triggered files' lines; "
        + ", ".join(f"{name}: {value}" for name, value in sorted(stats.items()))
        + ".\n"
    )
    read_counts = sorted(reads.values())
    print(
        f"Other first-party modules read (a module is read once per process): "
        f"{sum(read_counts)} for {len(files)} files, {sum(read_counts) / len(files):.2f} per file, "
        f"at most {read_counts[-1] if read_counts else 0} for one file.\n"
    )
    print("| phase (exclusive CPU time) | seconds | share | calls |")
    print("|---|---:|---:|---:|")
    for name, seconds in sorted(clock.exclusive.items(), key=lambda item: -item[1]):
        share = 100 * seconds / instrumented_seconds
        print(f"| {name} | {seconds:.3f} | {share:.1f}% | {clock.calls[name]} |")
    if cprofile:
        print(f"\ncProfile top 40 (own time) written to {destination}")
    print(flush=True)
    return [
        label,
        str(len(files)),
        str(total_lines),
        f"{len(triggered)} ({triggered_lines})",
        str(len(spans)),
        f"{parsed_lines} ({100 * parsed_lines / max(total_lines, 1):.1f}%)",
        f"{ast_seconds:.2f}",
        f"{plain_seconds:.2f}",
        f"{plain_seconds / ast_seconds:.2f}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="pinned distribution names (default: all)")
    parser.add_argument("--dense", action="store_true", help="only the trigger-dense files")
    parser.add_argument("--cprofile", action="store_true", help="also write a cProfile top 40")
    args = parser.parse_args(argv)
    rows = [profile(p, args.dense, args.cprofile) for p in prepare(names=args.packages)]
    print("## Summary (CPU seconds)\n")
    print(
        "| package | files | lines | triggered files (lines) | spans | lines parsed with libcst "
        "| ast.parse s | plugin s | plugin / ast.parse |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
