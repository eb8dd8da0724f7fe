"""Rule documentation rendered from the one catalog (``lint_rules.rules.all_infos()``): what
`explain` and `rules` print, the README's rules table, docs/rules.md and the options table of
docs/configuration.md (tests keep the files identical to what these functions render)."""

from __future__ import annotations

import textwrap

from lint_rules.engine.info import RuleInfo
from lint_rules.rules import all_infos, analyze
from lint_rules.settings import OPTIONS

RULES_PAGE = "docs/rules.md"  # where `explain --all --markdown` goes; the table links there


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
