"""The one engine behind the flake8 plugin, the checker CLI and the codemod.

Source text in, findings out. The pipeline keeps libcst (about ten times slower than ``ast``)
off everything that cannot matter:

1. each enabled rule's ``TRIGGER`` (``lint_rules.triggers``) looks for its words with plain
   substring searches, then runs its regular expression on the lines holding one; a file
   that no rule triggers on costs little more than reading it;
2. the ``ast`` tree (flake8's own, or one ``ast.parse``) is indexed cheaply, and each
   triggered rule names the line spans it needs (usually the outermost function around a
   trigger);
3. only those spans are parsed with libcst, each once, and every rule that asked for a span
   visits it in one batched traversal.

``full=True`` parses the whole file instead; the codemod needs that, and the benchmarks use it
as the oracle that the spans give the same findings.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field

import libcst as cst

from lint_rules.index import ModuleIndex, Span
from lint_rules.rule import Fix, Rule, RuleContext, RuleInfo
from lint_rules.rules import RULES
from lint_rules.settings import Settings
from lint_rules.traversal import traverse
from lint_rules.triggers import Trigger

ANALYSIS_FAILED = RuleInfo(
    code="TRK000",
    name="analysis-failed",
    message="could not analyse this file: {reason}",
    summary="The file could not be parsed or analysed; nothing in it was checked.",
    explanation=(
        "flake8-task-tracking parses with libcst, which rejects a few files that Python's own\n"
        "parser accepts, and a bug in a rule must never stop a run. In both cases the file\n"
        "gets this one finding at the failing position and the rest of the run goes on.\n"
        "Fix the syntax if the file is really invalid; otherwise report the message upstream."
    ),
    bad="import asyncio\n\nprint 'started'  # Python 2 syntax\nasyncio.ensure_future(job())\n",
    good="import asyncio\n\nprint('started')\nstarted = asyncio.ensure_future(job())\n",
    autofix="",
)

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True, order=True)
class Finding:
    line: int  # 1-based
    col: int  # 0-based, as libcst counts; flake8 adds 1
    code: str
    message: str
    fix: Fix | None = field(default=None, compare=False, repr=False)


def split_lines(source: str) -> list[str]:
    """Lines as Python's tokenizer counts them (\\n, \\r\\n or \\r), endings kept."""
    return _LINE.findall(source)


def rules_for(codes: Collection[str] | None) -> list[type[Rule]]:
    if codes is None:
        return list(RULES)
    return [rule for rule in RULES if any(info.code in codes for info in rule.INFOS)]


def analyze(
    source: str,
    settings: Settings = Settings(),
    *,
    tree: ast.Module | None = None,
    codes: Collection[str] | None = None,
    full: bool = False,
) -> list[Finding]:
    """All findings for ``source``, sorted. Never raises for bad input: problems become
    TRK000 findings. ``codes`` restricts the rules run (None: all)."""
    lines: list[str] = []
    triggered: dict[type[Rule], list[int]] = {}
    for rule in rules_for(codes):
        if _may_trigger(rule, settings, source):
            lines = lines or split_lines(source)
            trigger_lines = _trigger_lines(rule.TRIGGER(settings), source, lines)
            if trigger_lines:
                triggered[rule] = trigger_lines
    if not triggered:
        return []
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            line = getattr(error, "lineno", None) or 1
            column = max((getattr(error, "offset", None) or 1) - 1, 0)
            reason = f"Python cannot parse it ({getattr(error, 'msg', error)})"
            return [_failure(line, column, reason)]
    index = ModuleIndex(tree, lines)
    if full:
        requests = {Span(1, max(len(lines), 1)): list(triggered)}
    else:
        requests = _spans(index, triggered, settings)
    findings: list[Finding] = []
    for span, rules in requests.items():
        findings.extend(_run_span(span, rules, lines, index, settings))
    if codes is not None:
        findings = [f for f in findings if f.code in codes or f.code == ANALYSIS_FAILED.code]
    return sorted(findings)


def _may_trigger(rule: type[Rule], settings: Settings, source: str) -> bool:
    """The cheap part of the pre-filter: plain substring searches for the trigger words."""
    return rule.TRIGGER(settings).may_apply(source)


def _trigger_lines(trigger: Trigger, source: str, lines: Sequence[str]) -> list[int]:
    """The lines the trigger matches: its regular expression runs only on the lines that hold
    one of its words."""
    candidates = set()
    for word in trigger.words:
        offset = source.find(word)
        while offset != -1:
            candidates.add(offset)
            offset = source.find(word, offset + len(word))
    if not candidates:
        return []
    line_numbers = set()
    line, line_end = 0, 0
    for offset in sorted(candidates):  # one pass over the line lengths, in step
        while offset >= line_end:
            line_end += len(lines[line])
            line += 1
        line_numbers.add(line)
    return sorted(n for n in line_numbers if trigger.pattern.search(lines[n - 1]))


def _spans(
    index: ModuleIndex, triggered: dict[type[Rule], list[int]], settings: Settings
) -> dict[Span, list[type[Rule]]]:
    """Merge the spans every rule asks for; a span nested in another is parsed as part of it."""
    asked: list[tuple[Span, type[Rule]]] = []
    for rule, trigger_lines in triggered.items():
        asked.extend(
            (span, rule)
            for span in set(rule.regions(index, settings, trigger_lines))
            if span is not None
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
        return [_failure(error.raw_line + first_line - 1, error.raw_column, reason)]
    except Exception as error:  # libcst raises more than ParserSyntaxError on odd input
        reason = f"libcst failed on it ({type(error).__name__}: {error}); a libcst bug"
        return [_failure(span.start, 0, reason)]
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
            Finding(*context.position_of(report.node), report.info.code, report.message, report.fix)
            for visitor in visitors
            for report in visitor.reports
        ]
    except Exception as error:  # a rule bug must never stop a flake8 run
        names = ",".join(rule.__name__ for rule in rules)
        reason = f"internal error in {names}: {type(error).__name__}: {error}; please report it"
        return [_failure(first_line, 0, reason)]


def analyze_module(
    module: cst.Module,
    settings: Settings = Settings(),
    *,
    codes: Collection[str] | None = None,
) -> list[Finding]:
    """Findings for an already parsed module, their fixes pointing at nodes of ``module``
    itself (the codemod's entry point)."""
    source = module.code
    triggered = [rule for rule in rules_for(codes) if _may_trigger(rule, settings, source)]
    lines = split_lines(source)
    triggered = [
        rule for rule in triggered if _trigger_lines(rule.TRIGGER(settings), source, lines)
    ]
    if not triggered:
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # libcst accepted what Python rejects: nothing we can safely rewrite
    index = ModuleIndex(tree, lines)
    findings = _visit(module, 1, Span(1, max(len(lines), 1)), triggered, index, settings)
    return sorted(f for f in findings if codes is None or f.code in codes)


def _failure(line: int, column: int, reason: str) -> Finding:
    return Finding(line, column, ANALYSIS_FAILED.code, ANALYSIS_FAILED.format(reason=reason))


def all_infos() -> list[RuleInfo]:
    """Every code this package can report, in code order."""
    return [ANALYSIS_FAILED, *sorted((i for r in RULES for i in r.INFOS), key=lambda i: i.code)]
