"""Explain rules: why each exists, a reported example, its fix, and the autofix.

Name rules by code (TRK101, any case), by name as `lint-rules rules` lists them
(discarded-task), or by a code prefix (TRK1: every TRK1xx rule, in code order). Several
rules are explained in the order given, each once, separated by a blank line.

examples:
  lint-rules explain TRK102
  lint-rules explain discarded-task
  lint-rules explain TRK1               # every TRK1xx rule
  lint-rules explain TRK101 TRK2        # TRK101, then every TRK2xx rule
  lint-rules explain --all --markdown   # docs/rules.md"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lint_rules.engine.info import RuleInfo
from lint_rules.rules import all_infos


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "codes",
        nargs="*",
        metavar="RULE",
        help="a rule code (TRK101, any case), name (discarded-task) or code prefix (TRK1)",
    )
    parser.add_argument("--all", action="store_true", help="explain every rule")
    parser.add_argument("--markdown", action="store_true", help="print Markdown (docs/rules.md)")


def matching(argument: str, infos: Sequence[RuleInfo]) -> list[RuleInfo]:
    """The rules ``argument`` names, in code order: its code, its name, or every code it
    begins (case-insensitive); none if it names nothing."""
    wanted = argument.strip().upper()
    if not wanted:
        return []
    for info in infos:
        if wanted in (info.code, info.name.upper()):
            return [info]
    return [info for info in infos if info.code.startswith(wanted)]


def resolve(arguments: Sequence[str], infos: Sequence[RuleInfo]) -> list[RuleInfo]:
    """Every rule the arguments name, in the order given, each once (KeyError: the first
    argument that names nothing)."""
    chosen: dict[str, RuleInfo] = {}
    for argument in arguments:
        found = matching(argument, infos)
        if not found:
            raise KeyError(argument)
        for info in found:
            chosen.setdefault(info.code, info)
    return list(chosen.values())


def unknown(argument: str, infos: Sequence[RuleInfo]) -> str:
    """The one-line error for an argument that names no rule, with the closest rule."""
    what = "code" if any(char.isdigit() for char in argument) else "rule name"
    words = [info.code for info in infos] + [info.name for info in infos]
    by_lower = {word.lower(): word for word in words}
    import difflib  # only for a mistake: not on every start-up

    close = difflib.get_close_matches(argument.strip().lower(), by_lower, n=1)
    hint = f" (did you mean {by_lower[close[0]]}?)" if close else ""
    codes = ", ".join(info.code for info in infos)
    names = ", ".join(info.name for info in infos)
    return (
        f"lint-rules explain: error: unknown {what} {argument!r}{hint}; "
        f"known codes: {codes}; known names: {names}"
    )


def run(args: argparse.Namespace) -> int:
    from lint_rules.cli.docs import explain, explain_markdown  # imported late: faster start-up

    if args.all == bool(args.codes):
        print(
            "lint-rules explain: error: name rules (lint-rules explain TRK101, "
            "discarded-task or TRK1) or use --all",
            file=sys.stderr,
        )
        return 2
    catalog = all_infos()
    try:
        infos = catalog if args.all else resolve(args.codes, catalog)
    except KeyError as error:
        print(unknown(error.args[0], catalog), file=sys.stderr)
        return 2
    render = explain_markdown if args.markdown else explain
    print("\n".join(render(info) for info in infos), end="")
    return 0
