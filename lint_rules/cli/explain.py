"""Explain rules: why each exists, a reported example, its fix, and the autofix.

examples:
  lint-rules explain TRK102
  lint-rules explain TRK101 TRK103
  lint-rules explain --all --markdown   # docs/rules.md"""

from __future__ import annotations

import argparse
import sys

from lint_rules.cli.docs import explain, explain_markdown
from lint_rules.rules import all_infos, info_for


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("codes", nargs="*", metavar="CODE", help="rule codes, e.g. TRK101")
    parser.add_argument("--all", action="store_true", help="explain every rule")
    parser.add_argument("--markdown", action="store_true", help="print Markdown (docs/rules.md)")


def run(args: argparse.Namespace) -> int:
    if args.all == bool(args.codes):
        print(
            "lint-rules explain: error: name rule codes (lint-rules explain TRK101) or use --all",
            file=sys.stderr,
        )
        return 2
    try:
        infos = all_infos() if args.all else [info_for(code) for code in args.codes]
    except KeyError as error:
        codes = ", ".join(info.code for info in all_infos())
        print(
            f"lint-rules explain: error: unknown code {error.args[0]!r}; known codes: {codes}",
            file=sys.stderr,
        )
        return 2
    render = explain_markdown if args.markdown else explain
    print("\n".join(render(info) for info in infos), end="")
    return 0
