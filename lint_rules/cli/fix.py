"""Rewrite files so that their asyncio tasks are kept alive (TRK101/102/104; more on request).

Files are rewritten in place: atomically (a temporary file in the same directory, then a
rename), with their encoding, BOM, newline style and permissions kept; files that need no
change are never opened for writing. What cannot be rewritten safely stays as it is and is
counted in the closing summary on stderr. Files, selection and options are configured as for
`lint-rules check` ([tool.lint-rules] and the same flags); lines silenced by `# noqa` are
left alone.

Opt-in rewrites: --declare-dispatch-mode=MODE adds `dispatch_mode = "MODE"` to each callback
class without one (TRK301); --drain runs a short-lived entry coroutine through a wrapper,
asyncio.run(main()) -> asyncio.run(_drained(main())), that waits after main() returns, up to
--drain-timeout seconds per wait, for the tasks left in the tracking set (TRK202) and for the
library's drain (TRK201), then lets asyncio.run cancel what still runs.

exit status: 0 done, 1 --check found something to fix, 2 a file could not be read, decoded,
parsed or written (reported on stderr; the other files are still processed).

examples:
  lint-rules fix src/                   rewrite in place
  lint-rules fix --diff app.py          print a unified diff, write nothing
  lint-rules fix --check -j 4 .         exit 1 if anything would change
  lint-rules fix --select TRK101 src/   only the discarded-call statements
  lint-rules fix - --stdin-filename app.py < app.py
                                        the fixed source on standard output (editors)
  lint-rules fix --drain --declare-dispatch-mode=blocking scripts/
                                        also drain entry coroutines, declare dispatch modes"""

from __future__ import annotations

import argparse
import functools
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lint_rules import rules
from lint_rules.cli import config
from lint_rules.cli.console import (
    Progress,
    add_output_arguments,
    count,
    error,
    paint,
    positive_int,
    shown,
    wants_color,
    warn,
)
from lint_rules.cli.files import STDIN, python_files
from lint_rules.settings import ConfigError

if TYPE_CHECKING:
    from lint_rules.cli.fix_file import FileResult, Job


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files and directories to fix (default: the current directory); - reads "
        "standard input and writes the fixed source to standard output",
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="with -: the name standard input is fixed as (messages, pyproject.toml, imports)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    mode.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    parser.add_argument(
        "-j", "--jobs", type=positive_int, default=1, metavar="N", help="files processed at once"
    )
    add_output_arguments(parser.add_argument_group("output"))
    rules.add_fix_options(parser)
    config.add_arguments(parser)


def fix_options(args: argparse.Namespace) -> dict[str, Any]:
    """The values of the opt-in rewrites' options (``Fix.requires`` names them)."""
    return {option.name: getattr(args, option.name, None) for option in rules.FIX_OPTIONS}


def run(args: argparse.Namespace) -> int:
    from lint_rules.cli.fix_file import Job, fix_file, lost  # imports libcst
    from lint_rules.cli.workers import map_in_order

    paths = args.paths or ["."]
    if STDIN in paths and len(paths) > 1:
        error("- (standard input) cannot be fixed with other paths; run it on its own")
        return 2
    stdin_name = args.stdin_filename or "stdin"
    try:
        configuration = config.from_arguments(
            args, [stdin_name if p == STDIN else p for p in paths], rules.known_codes()
        )
    except ConfigError as problem:
        error(str(problem))
        return 2
    mode = "diff" if args.diff else "check" if args.check else "write"
    job = Job(
        configuration.settings,
        configuration.selection(),
        fix_options(args),
        mode,
        args.max_file_size,
    )
    if paths == [STDIN]:
        return _fix_stdin(stdin_name, job, args)
    files, missing = python_files(paths, configuration, force_exclude=args.force_exclude)
    for problem in missing:
        error(problem)
    if not files and not missing and not args.quiet:
        warn(f"no Python files found in {' '.join(paths)}; check the paths and the excludes")
    progress = Progress(0 if args.quiet else len(files), sys.stderr)
    color = wants_color(args.color, sys.stdout)
    summary = Summary(mode, failed=len(missing))
    work = functools.partial(fix_file, job=job)
    for result in map_in_order(work, files, args.jobs, lost):
        progress.clear()
        _report(result, mode, quiet=args.quiet, color=color)
        summary.add(result)
        progress.advance(result.path)
    progress.clear()
    if not args.quiet:
        print(summary.line(), file=sys.stderr)
    if summary.failed:
        return 2
    return 1 if mode == "check" and summary.changed else 0


def _fix_stdin(name: str, job: Job, args: argparse.Namespace) -> int:
    """``fix -``: the fixed source (or, with --diff, the diff) on standard output; the source
    unchanged when nothing needs fixing or the fix fails (an editor's buffer is never lost)."""
    from lint_rules.cli.fix_file import fix_source

    result, new = fix_source(name, sys.stdin.buffer.read(), job)
    if result.error is not None:
        error(f"{shown(name)}: {result.error}")
    if job.mode == "diff":
        sys.stdout.write(
            painted_diff(result.diff) if wants_color(args.color, sys.stdout) else result.diff
        )
    elif job.mode == "write":
        sys.stdout.buffer.write(new)
    sys.stdout.flush()
    if result.error is not None:
        return 2
    return 1 if job.mode == "check" and result.changed else 0


def _report(result: FileResult, mode: str, *, quiet: bool = False, color: bool = False) -> None:
    if result.error is not None:
        error(f"{shown(result.path)}: {result.error}")
    elif result.changed and mode == "diff":
        sys.stdout.write(painted_diff(result.diff) if color else result.diff)
    elif result.changed and not quiet:
        verb = "would fix" if mode == "check" else "fixed"
        print(f"{verb} {shown(result.path)} ({count(result.fixed, 'finding')})")
    sys.stdout.flush()


def painted_diff(diff: str) -> str:
    """A unified diff in a terminal's colours: headers bold, hunks cyan, - red, + green."""
    lines = []
    for line in diff.splitlines(keepends=True):
        style = next((style for start, style in _DIFF_STYLES if line.startswith(start)), None)
        body = line.rstrip("\n")
        lines.append(paint(body, style, True) + line[len(body) :] if style else line)
    return "".join(lines)


# the first prefix that matches wins: a header before a removed or added line
_DIFF_STYLES = (("--- ", "bold"), ("+++ ", "bold"), ("@@", "cyan"), ("-", "minus"), ("+", "green"))


@dataclass
class Summary:
    mode: str
    scanned: int = 0
    changed: int = 0
    fixed: int = 0
    failed: int = 0
    left: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, result: FileResult) -> None:
        self.scanned += 1
        self.changed += result.changed
        self.fixed += result.fixed
        self.failed += result.error is not None
        self.left.update(result.left)

    def line(self) -> str:
        """``lint-rules fix: 12 files scanned, 3 changed, 5 findings fixed, 2 left (TRK103:
        2 no autofix for this code), 0 failed``."""
        would = self.mode != "write"
        left = "; ".join(f"{code}: {n} {why}" for (code, why), n in sorted(self.left.items()))
        return (
            f"lint-rules fix: {count(self.scanned, 'file')} scanned, "
            f"{self.changed} {'would change' if would else 'changed'}, "
            f"{count(self.fixed, 'finding')} {'fixable' if would else 'fixed'}, "
            f"{sum(self.left.values())} left{f' ({left})' if left else ''}, "
            f"{self.failed} failed"
        )
