"""Rule documentation rendered from the one catalog (``engine.all_infos()``): the `explain`
and `rules` subcommands, the README's rules table and docs/rules.md (tests keep both files
identical to what these commands print)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from types import SimpleNamespace

from lint_rules.engine import all_infos, analyze
from lint_rules.rule import RuleInfo
from lint_rules.settings import OPTIONS

RULES_PAGE = "docs/rules.md"  # where `explain --all --markdown` goes; the table links there


def info_for(code: str) -> RuleInfo:
    for info in all_infos():
        if info.code == code.strip().upper():
            return info
    raise KeyError(code)


def _autofix(info: RuleInfo) -> str:
    return f"yes, `lint-rules fix` rewrites {info.autofix}" if info.autofix else "no"


def explain(info: RuleInfo) -> str:
    """Plain text for a terminal."""
    return "\n".join(
        [
            f"{info.code} ({info.name}): {info.summary}",
            "",
            info.explanation,
            "",
            f"Message: {info.code} {info.message}",
            f"Autofix: {_autofix(info).replace('`', '')}",
            "",
            "Reported:",
            textwrap.indent(info.bad, "    ").rstrip(),
            "",
            "Fixed:",
            textwrap.indent(info.good, "    ").rstrip(),
            "",
        ]
    )


def explain_markdown(info: RuleInfo) -> str:
    """One section of docs/rules.md."""
    return "\n".join(
        [
            f"## {info.code} {info.name}",
            "",
            info.summary,
            "",
            " ".join(info.explanation.split()),
            "",
            f"Message: `{info.code} {info.message}`",
            "",
            f"Autofix: {_autofix(info)}.",
            "",
            "Reported:",
            "",
            "```python",
            info.bad.rstrip("\n"),
            "```",
            "",
            "Fixed:",
            "",
            "```python",
            info.good.rstrip("\n"),
            "```",
            "",
        ]
    )


def anchor(info: RuleInfo) -> str:
    """The anchor GitHub gives the heading ``## TRK101 discarded-task``."""
    return f"{info.code}-{info.name}".lower()


def rules_table() -> str:
    """The Markdown table in the README (a test keeps the two identical). The example is the
    line of the rule's reported example that it reports, found by running the rule on it."""
    rows = ["| code | message | example | autofix |", "|---|---|---|---|"]
    for info in all_infos():
        code = f"[{info.code}]({RULES_PAGE}#{anchor(info)})"
        autofix = "yes" if info.autofix else "no"
        rows.append(f"| {code} | {_cell(info.message)} | {_example_line(info)} | {autofix} |")
    return "\n".join(rows) + "\n"


def _example_line(info: RuleInfo) -> str:
    lines = info.bad.splitlines()
    reported = [f.line for f in analyze(info.bad) if f.code == info.code]
    return f"`{_cell(lines[reported[0] - 1].strip())}`" if reported else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a bare | would end the cell


def options_table() -> str:
    """The table of analysis options in docs/configuration.md, from ``settings.OPTIONS``."""
    rows = [
        "| `[tool.lint-rules]` key, flake8 and CLI option | value | default | what it sets |",
        "|---|---|---|---|",
    ]
    for option in OPTIONS:
        kind = "list of strings" if option.is_list else "string"
        default = option.default
        if isinstance(default, tuple):
            default = ", ".join(f"`{item}`" for item in default) or "(none)"
        else:
            default = f"`{default}`"
        meaning = option.help.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
        rows.append(f"| `{option.key}`, `{option.flag}` | {kind} | {default} | {meaning} |")
    return "\n".join(rows) + "\n"


def _add_explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("codes", nargs="*", metavar="CODE", help="rule codes, e.g. TRK101")
    parser.add_argument("--all", action="store_true", help="explain every rule")
    parser.add_argument("--markdown", action="store_true", help="print Markdown (docs/rules.md)")


def _run_explain(args: argparse.Namespace) -> int:
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
    __doc__="""Explain rules: why each exists, a reported example, its fix, and the autofix.

examples:
  lint-rules explain TRK102
  lint-rules explain TRK101 TRK103
  lint-rules explain --all --markdown   # docs/rules.md""",
    add_arguments=_add_explain_arguments,
    run=_run_explain,
)
rules_command = SimpleNamespace(
    __doc__="""List every rule code with a one-line summary ("fix": `lint-rules fix` rewrites it).

examples:
  lint-rules rules
  lint-rules rules --markdown   # the table in the README""",
    add_arguments=_add_rules_arguments,
    run=_run_rules,
)
