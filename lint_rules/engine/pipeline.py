"""Text in, findings out: the one pipeline behind the flake8 plugin, the checker and the codemod.

The pipeline keeps libcst (much slower than ``ast``) off everything that cannot matter:

1. each enabled rule's ``TRIGGER`` (``lint_rules.engine.triggers``) looks for its words with
   plain substring searches, then runs its regular expression on the lines holding one; a
   file that no rule triggers on costs little more than reading it;
2. the ``ast`` tree (flake8's own, or one ``ast.parse``) is indexed cheaply
   (``lint_rules.engine.index``), and each triggered rule names the line spans it needs
   (usually the outermost function around a trigger);
3. only those spans are parsed with libcst, each once, and every rule that asked for a span
   visits it in one batched traversal (``lint_rules.engine.traversal``).

A file ``ast.parse`` rejects but libcst parses (syntax newer than the running Python) gets
its tree from a masked copy of the source (``lint_rules.engine.newer``): nothing is reported
inside the statements masked out, the spans are still cut from the original text.

The rules are an argument: the engine knows no rule. ``full=True`` parses the whole file
instead; the benchmarks use it as the oracle that the spans give the same findings.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Sequence
from contextlib import ExitStack

import libcst as cst

from lint_rules.engine.index import ModuleIndex, Span
from lint_rules.engine.info import ANALYSIS_FAILED, Finding, failure
from lint_rules.engine.newer import NewerSyntax, parse_newer
from lint_rules.engine.project import Project
from lint_rules.engine.rule import Rule, RuleContext
from lint_rules.engine.source import split_lines
from lint_rules.engine.traversal import traverse
from lint_rules.settings import Settings

Rules = Sequence[type[Rule]]
TOO_DEEP = (
    "too deeply nested for libcst (RecursionError: Python's recursion limit); split the "
    "nested expression or statement"
)


def rules_for(rules: Rules, codes: Collection[str] | None) -> list[type[Rule]]:
    """The rules that may report one of ``codes`` (None: all of them)."""
    if codes is None:
        return list(rules)
    return [rule for rule in rules if any(info.code in codes for info in rule.INFOS)]


def analyze(
    source: str,
    rules: Rules,
    settings: Settings = Settings(),
    *,
    tree: ast.Module | None = None,
    codes: Collection[str] | None = None,
    full: bool = False,
    path: str | None = None,
) -> list[Finding]:
    """All findings for ``source``, sorted. Never raises for bad input: problems become
    TRK000 findings. ``codes`` restricts the rules run (None: all); ``path``, the file the
    source comes from, lets rules read the project's other modules."""
    lines: list[str] = []
    triggered: dict[type[Rule], list[int]] = {}
    project = Project.of(path, settings.src) if path is not None else None
    for rule in rules_for(rules, codes):
        trigger = rule.TRIGGER(settings)
        if trigger.may_apply(source, path, project):
            lines = lines or split_lines(source)
            trigger_lines = trigger.lines(source, lines, path, project)
            if trigger_lines:
                triggered[rule] = trigger_lines
    if not triggered:
        return []
    newer: NewerSyntax | None = None
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            newer = parse_newer(source, lines) if isinstance(error, SyntaxError) else None
            if newer is None:
                line = getattr(error, "lineno", None) or 1
                column = max((getattr(error, "offset", None) or 1) - 1, 0)
                message = getattr(error, "msg", None) or str(error) or type(error).__name__
                reason = f"Python cannot parse it ({message})"
                return [failure(line, column, reason)]
            tree = newer.tree
    index = ModuleIndex(tree, lines, path, project)
    if full:
        requests = {Span(1, max(len(lines), 1)): list(triggered)}
    else:
        requests = _spans(index, triggered, settings, newer)
    findings: list[Finding] = []
    for span, span_rules in requests.items():
        findings.extend(_run_span(span, span_rules, lines, index, settings))
    if newer is not None:
        findings = [f for f in findings if not newer.hides(f.line)]
    if codes is not None:
        findings = [f for f in findings if f.code in codes or f.code == ANALYSIS_FAILED.code]
    return sorted(findings)


def _spans(
    index: ModuleIndex,
    triggered: dict[type[Rule], list[int]],
    settings: Settings,
    newer: NewerSyntax | None = None,
) -> dict[Span, list[type[Rule]]]:
    """Merge the spans every rule asks for; a span nested in another is parsed as part of it.
    A span inside a masked statement (the ``pass`` that stands for it) is not parsed: nothing
    inside is reported."""
    asked: list[tuple[Span, type[Rule]]] = []
    for rule, trigger_lines in triggered.items():
        asked.extend(
            (span, rule)
            for span in set(rule.regions(index, settings, trigger_lines))
            if span is not None and (newer is None or not newer.covers(span))
        )
    merged: dict[Span, list[type[Rule]]] = {}
    current: Span | None = None
    for span, rule in sorted(asked, key=lambda item: (item[0].start, -item[0].end)):
        if current is not None and span.start <= current.end:
            if not current.contains(span):  # overlapping top-level spans: join them
                joined = Span(current.start, max(current.end, span.end))
                merged[joined] = merged.pop(current)
                current = joined
        else:
            current = span
            merged[current] = []
        if rule not in merged[current]:
            merged[current].append(rule)
    return merged


def _run_span(
    span: Span,
    rules: Sequence[type[Rule]],
    lines: Sequence[str],
    index: ModuleIndex,
    settings: Settings,
) -> list[Finding]:
    text = "".join(lines[span.start - 1 : span.end])
    first_line = span.start
    if span.indent:
        text, first_line = "if 1:\n" + text, span.start - 1
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        if span.indent:  # unusual layout around an indented function: parse its statement
            top = index.top_level_span(span.start)
            if top is not None:
                return _run_span(top, rules, lines, index, settings)
        reason = f"libcst cannot parse it ({error.message})"
        return [failure(error.raw_line + first_line - 1, error.raw_column, reason)]
    except RecursionError:
        return [failure(span.start, 0, TOO_DEEP)]
    except Exception as error:  # libcst raises more than ParserSyntaxError on odd input
        reason = f"libcst failed on it ({type(error).__name__}: {error}); a libcst bug"
        return [failure(span.start, 0, reason)]
    return _visit(module, first_line, span, rules, index, settings)


def _visit(
    module: cst.Module,
    first_line: int,
    span: Span,
    rules: Sequence[type[Rule]],
    index: ModuleIndex,
    settings: Settings,
) -> list[Finding]:
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    context = RuleContext(settings, index, wrapper, first_line, span)
    visitors = [rule(context) for rule in rules]
    try:
        with ExitStack() as metadata:  # rules that declare METADATA_DEPENDENCIES get them
            for visitor in visitors:
                metadata.enter_context(visitor.resolve(wrapper))
            traverse(module, visitors, context.enter, context.leave)
        return [
            Finding(
                *context.position_of(report.node),
                report.info.code,
                report.message,
                report.fix,
                report.no_fix,
            )
            for visitor in visitors
            for report in visitor.reports
        ]
    except RecursionError:  # libcst's own recursion (generating code, ...): ours has none
        return [failure(first_line, 0, TOO_DEEP)]
    except Exception as error:  # a rule bug must never stop a flake8 run
        names = ",".join(rule.__name__ for rule in rules)
        reason = f"internal error in {names}: {type(error).__name__}: {error}; please report it"
        return [failure(first_line, 0, reason)]


def analyze_module(
    module: cst.Module,
    rules: Rules,
    settings: Settings = Settings(),
    *,
    codes: Collection[str] | None = None,
    source: str | None = None,
    path: str | None = None,
) -> list[Finding]:
    """Findings for an already parsed module, their fixes pointing at nodes of ``module``
    itself (the codemod's entry point). ``source`` is ``module.code`` if the caller has it."""
    source = module.code if source is None else source
    lines = split_lines(source)
    project = Project.of(path, settings.src) if path is not None else None
    triggered = [
        rule
        for rule in rules_for(rules, codes)
        if (trigger := rule.TRIGGER(settings)).may_apply(source, path, project)
        and trigger.lines(source, lines, path, project)
    ]
    if not triggered:
        return []
    newer: NewerSyntax | None = None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        newer = parse_newer(source, lines) if isinstance(error, SyntaxError) else None
        if newer is None:
            return []  # nothing we can safely rewrite
        tree = newer.tree
    index = ModuleIndex(tree, lines, path, project)
    findings = _visit(module, 1, Span(1, max(len(lines), 1)), triggered, index, settings)
    return sorted(
        f
        for f in findings
        if (codes is None or f.code in codes) and (newer is None or not newer.hides(f.line))
    )
