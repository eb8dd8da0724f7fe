"""The `lint-rules` command: `check`, `fix`, `explain RULE`, `rules`.

Each subcommand lives in its own module of this package (``check``, ``fix``, ``explain``,
``list_rules``) exposing ``add_arguments(parser)`` and ``run(args)``, its docstring giving
its help; this module only wires them together.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from lint_rules import __version__
from lint_rules.cli import check, explain, fix, list_rules

DESCRIPTION = """\
Find asyncio tasks that nothing keeps alive, async callbacks lost when asyncio.run() shuts
down, and callback classes that never declare their dispatch mode; rewrite code to track its
tasks.

examples:
  lint-rules check src/                 report findings (exit 1 if any)
  lint-rules check --format sarif src/  SARIF 2.1.0 for GitHub code scanning
  lint-rules explain TRK101             why a rule exists and how to fix it
  lint-rules explain TRK1               every TRK1xx rule (names work too: discarded-task)
  lint-rules rules                      every code, one line each
"""

SUBCOMMANDS = {
    "check": check,
    "fix": fix,
    "explain": explain,
    "rules": list_rules,
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the ``command`` to run, only that subcommand gets its arguments
    (the others' options are never parsed, and building them is start-up time)."""
    parser = argparse.ArgumentParser(
        prog="lint-rules",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    version = f"lint-rules {__version__} (flake8-task-tracking)"
    parser.add_argument("--version", action="version", version=version)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        summary, _, epilog = module.__doc__.strip().partition("\n\n")
        sub = subparsers.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command is None or name == command:
            module.add_arguments(sub)
        sub.add_argument("--version", action="version", version=version)
        sub.set_defaults(run=module.run, parser=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    # the top level takes no option with a value: the first other word names the command
    command = next((word for word in arguments if not word.startswith("-")), None)
    parser = build_parser(command if command in SUBCOMMANDS else None)
    args, unknown = parser.parse_known_args(arguments)
    if unknown:  # told with the subcommand's usage, not the top-level one
        getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    for stream in (sys.stdout, sys.stderr):  # a message never fails on a narrow terminal
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return int(args.run(args))
    except BrokenPipeError:  # `lint-rules check . | head`: the reader left, nothing to say
        # as the signal module's documentation advises: point stdout at devnull so that the
        # flush at exit does not fail a second time
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
