"""Check files and report findings (exit status: 0 clean, 1 findings, 2 usage or I/O error).

examples:
  lint-rules check                               the current directory
  lint-rules check src/ tests/                   directories are searched for *.py, *.pyi
  lint-rules check --select TRK1 --ignore TRK103 app.py
  lint-rules check --format github .             annotations in a GitHub Actions log
  lint-rules check --format sarif --exit-zero . > lint-rules.sarif
  lint-rules check --statistics --exit-zero .    how many of each code
  lint-rules check -j 1 .                        one process (default: one per core)
  lint-rules check - --stdin-filename app.py < app.py
  lint-rules check --trk-task-factories myapp.spawn src/

Directories are walked without following symlinks, skipping .git, .venv, build, dist, ...
and whatever .gitignore excludes; files named explicitly are always checked. Configuration
comes from [tool.lint-rules] in the nearest pyproject.toml above the paths; flags override
it. `# noqa` and `# noqa: TRK101` comments silence findings as they do under flake8."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from lint_rules import rules
from lint_rules.cli import config, output
from lint_rules.cli.console import (
    add_output_arguments,
    available_cores,
    count,
    error,
    positive_int,
    shown,
    wants_color,
    warn,
)
from lint_rules.cli.files import STDIN, python_files, read_file
from lint_rules.cli.selection import Selection, reported
from lint_rules.engine.info import ANALYSIS_FAILED, failure
from lint_rules.engine.source import DecodeError, decode_source, physical_line, split_lines
from lint_rules.settings import ConfigError, Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files and directories to check (default: the current directory); "
        "- reads standard input",
    )
    report = parser.add_argument_group("output")
    report.add_argument(
        "--format",
        "--output-format",
        dest="format",
        choices=output.FORMATS,
        default="text",
        help="text: path:line:col: CODE message, as flake8 prints it (default); json: a list "
        "of findings; sarif: SARIF 2.1.0 for code scanning; github: workflow annotations",
    )
    report.add_argument(
        "--show-source", action="store_true", help="print each offending line under its finding"
    )
    report.add_argument(
        "--statistics",
        action="store_true",
        help="count the findings of each code (after the text output; on stderr otherwise)",
    )
    report.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even if there are findings"
    )
    report.add_argument(
        "-o",
        "--output-file",
        metavar="FILE",
        help="write the report (and --statistics) to FILE instead of standard output",
    )
    add_output_arguments(report)
    parser.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="the name to report standard input under (and to find pyproject.toml from)",
    )
    parser.add_argument(
        "--disable-noqa", action="store_true", help="report findings that # noqa silences"
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="first rewrite what `lint-rules fix` rewrites safely, then report what is left "
        "(one pre-commit hook for both)",
    )
    cores = available_cores()
    parser.add_argument(
        "-j",
        "--jobs",
        type=positive_int,
        default=cores,
        metavar="N",
        help=f"files checked at once, in worker processes (default: all cores, {cores} here); "
        "the output is the same whatever N is",
    )
    config.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    paths = args.paths or ([STDIN] if args.stdin_filename else ["."])
    stdin_name = args.stdin_filename or "stdin"
    try:
        configuration = config.from_arguments(
            args,
            [stdin_name if p == STDIN and args.stdin_filename else p for p in paths],
            rules.known_codes(),
        )
    except ConfigError as problem:
        error(str(problem))
        return 2
    checker = _Checker(configuration.settings, configuration.selection(), args.disable_noqa)
    results: list[output.Result] = []
    files, problems = python_files(
        [p for p in paths if p != STDIN], configuration, force_exclude=args.force_exclude
    )
    for problem in problems:
        error(problem)
    if args.fix and STDIN in paths:
        error("--fix rewrites files, not standard input; use `lint-rules fix -`")
        return 2
    try:
        report = _report_to(args.output_file)
    except OSError as opening:
        error(f"--output-file {args.output_file}: cannot write it ({opening.strerror})")
        return 2
    checked = 0
    if STDIN in paths:
        checked += 1
        results.extend(checker.check(stdin_name, sys.stdin.buffer.read()))
    by_file: dict[Path, list[output.Result]] = {}
    work = functools.partial(_check_file, checker, args.max_file_size)
    for path, (found, problem) in zip(files, _map_files(work, files, args.jobs, _lost)):
        if problem is not None:
            problems.append(problem)
            error(problem)
        else:
            checked += 1
            by_file[path] = found
    if args.fix:
        # only files with something to report are fixed, and only those it changed are
        # checked again: most files are read and analysed once
        fixable = [path for path, found in by_file.items() if _has_rule_findings(found)]
        changed = _fix(fixable, configuration, args, problems)
        for path, (found, problem) in zip(changed, _map_files(work, changed, args.jobs, _lost)):
            by_file[path] = found
            if problem is not None:
                problems.append(problem)
                error(problem)
    for found in by_file.values():
        results.extend(found)
    if not checked and not problems and not args.quiet:
        warn(f"no Python files found in {' '.join(paths)}; check the paths and the excludes")
    results.sort(key=output.Result.sort_key)
    with report as out:
        output.write(
            args.format,
            results,
            out,
            show_source=args.show_source,
            problems=problems,
            color=wants_color(args.color, out),
        )
        if args.statistics:
            output.write_statistics(results, out if args.format == "text" else sys.stderr)
    if problems:
        return 2
    return 1 if results and not args.exit_zero else 0


def _report_to(output_file: str | None) -> contextlib.AbstractContextManager[TextIO]:
    """Standard output, or ``output_file`` opened for writing (OSError if it cannot be: said
    before any file is checked)."""
    if output_file is None:
        return contextlib.nullcontext(sys.stdout)
    return open(output_file, "w", encoding="utf-8", errors="backslashreplace")


FILES_PER_WORKER = 8  # starting a worker process costs about as much as checking this many

_Checked = tuple[list[output.Result], "str | None"]  # a file's results, or why it was not read
T = TypeVar("T")


def _map_files(
    work: Callable[[Path], T], files: Sequence[Path], jobs: int, lost: Callable[[Path], T]
) -> Iterator[T]:
    """``work(path)`` for each file, in the order of ``files``: in worker processes when
    there are enough files for more than one."""
    workers = min(jobs, len(files) // FILES_PER_WORKER)
    if workers < 2:
        yield from map(work, files)
        return
    from lint_rules.cli.workers import map_in_order  # a multiprocessing pool: imported late

    yield from map_in_order(work, files, workers, lost)


def _has_rule_findings(found: Sequence[output.Result]) -> bool:
    return any(result.finding.code != ANALYSIS_FAILED.code for result in found)


def _fix(
    files: Sequence[Path],
    configuration: config.Config,
    args: argparse.Namespace,
    problems: list[str],
) -> list[Path]:
    """``lint-rules fix`` over ``files`` with its default rewrites (none of the opt-in ones):
    the files it changed; the one-line error of each it could not fix goes to ``problems``."""
    from lint_rules.cli.fix_file import Job, fix_file, lost  # imports libcst

    job = Job(configuration.settings, configuration.selection(), {}, "write", args.max_file_size)
    changed, fixed = [], 0
    work = functools.partial(fix_file, job=job)
    for path, result in zip(files, _map_files(work, files, args.jobs, lost)):
        if result.error is not None:
            problems.append(f"{shown(result.path)}: {result.error}")
            error(problems[-1])
        elif result.changed:
            changed.append(path)
            fixed += result.fixed
    if not args.quiet and fixed:
        print(
            f"lint-rules check --fix: fixed {count(fixed, 'finding')} in "
            f"{count(len(changed), 'file')}",
            file=sys.stderr,
        )
    return changed


def _check_file(checker: _Checker, max_mib: int, path: Path) -> _Checked:
    try:
        data = read_file(path, max_mib)
    except OSError as reading:
        reason = f"cannot read it ({reading.strerror}); fix it or --exclude it"
        return [], f"{shown(str(path))}: {reason}"
    return checker.check(str(path), data), None


def _lost(path: Path) -> _Checked:
    return [], f"{shown(str(path))}: not checked: a worker process died; run again with -j 1"


class _Checker:
    def __init__(self, settings: Settings, selection: Selection, disable_noqa: bool) -> None:
        self.settings = settings
        self.selection = selection
        self.codes = selection.codes(rules.known_codes())
        self.disable_noqa = disable_noqa

    def check(self, name: str, data: bytes) -> list[output.Result]:
        selection = self.selection.for_path(name)
        try:
            source = decode_source(data)
        except DecodeError as bad:
            findings = [failure(bad.line, bad.column, f"cannot decode it: {bad.reason}")]
            return [output.Result(name, f) for f in reported(findings, [], selection)]
        try:
            path = name if os.path.isfile(name) else None  # stdin may name a file or not
            findings = rules.analyze(source, self.settings, codes=self.codes, path=path)
        except Exception as bug:  # the engine promises not to raise; never let one file stop us
            reason = f"internal error: {type(bug).__name__}: {bug}; please report it"
            findings = [failure(1, 0, reason)]
        lines = split_lines(source) if findings else []
        findings = reported(findings, lines, selection, noqa=not self.disable_noqa)
        # one copy of each line: a copy per finding made a long line's memory quadratic
        texts = {line: physical_line(lines, line) for line in {f.line for f in findings}}
        return [output.Result(name, finding, texts[finding.line]) for finding in findings]
