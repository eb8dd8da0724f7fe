"""Rule documentation rendered from the one catalog (``engine.all_infos()``): the `explain`
and `rules` subcommands and the README's rules table."""

from __future__ import annotations

import argparse
import sys
import textwrap
from types import SimpleNamespace

from lint_rules.engine import all_infos
from lint_rules.rule import RuleInfo


def info_for(code: str) -> RuleInfo:
    for info in all_infos():
        if info.code == code.upper():
            return info
    raise KeyError(code)


def explain(info: RuleInfo) -> str:
    autofix = f"yes: `lint-rules fix` rewrites {info.autofix}" if info.autofix else "no"
    return "\n".join(
        [
            f"{info.code} ({info.name}): {info.summary}",
            "",
            info.explanation,
            "",
            f"Message: {info.code} {info.message}",
            f"Autofix: {autofix}",
            "",
            "Reported:",
            textwrap.indent(info.bad, "    ").rstrip(),
            "",
            "Fixed:",
            textwrap.indent(info.good, "    ").rstrip(),
            "",
        ]
    )


def rules_table() -> str:
    """The Markdown table in the README (a test keeps the two identical)."""
    rows = ["| code | name | what it reports | autofix |", "|---|---|---|---|"]
    for info in all_infos():
        rows.append(
            f"| {info.code} | {info.name} | {info.summary} | {'yes' if info.autofix else 'no'} |"
        )
    return "\n".join(rows) + "\n"


def _add_explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", metavar="CODE", help="a rule code, e.g. TRK101")


def _run_explain(args: argparse.Namespace) -> int:
    try:
        print(explain(info_for(args.code)))
    except KeyError:
        codes = ", ".join(info.code for info in all_infos())
        print(f"lint-rules: unknown code {args.code!r}; known codes: {codes}", file=sys.stderr)
        return 2
    return 0


def _add_rules_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print the README's table")


def _run_rules(args: argparse.Namespace) -> int:
    if args.markdown:
        print(rules_table(), end="")
        return 0
    for info in all_infos():
        autofix = "fix" if info.autofix else "   "
        print(f"{info.code}  {autofix}  {info.name:<28} {info.summary}")
    return 0


explain_command = SimpleNamespace(
    __doc__="""Explain a rule: why it exists, a reported example and its fix.

example:
  lint-rules explain TRK102""",
    add_arguments=_add_explain_arguments,
    run=_run_explain,
)
rules_command = SimpleNamespace(
    __doc__="""List every rule code with a one-line summary.

examples:
  lint-rules rules
  lint-rules rules --markdown   # the table in the README""",
    add_arguments=_add_rules_arguments,
    run=_run_rules,
)
