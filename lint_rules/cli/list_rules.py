"""List every rule code with a one-line summary ("fix": `lint-rules fix` rewrites it).

examples:
  lint-rules rules
  lint-rules rules --markdown   # the table in the README"""

from __future__ import annotations

import argparse

from lint_rules.rules import all_infos


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print the README's table")


def run(args: argparse.Namespace) -> int:
    from lint_rules.cli.docs import rules_table  # imported late: faster start-up

    if args.markdown:
        print(rules_table(), end="")
        return 0
    for info in all_infos():
        autofix = "fix" if info.autofix else "   "
        print(f"{info.code}  {autofix}  {info.name:<28} {info.summary}")
    return 0
