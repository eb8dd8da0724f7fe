"""Report formats of `lint-rules check`: text (flake8's), json, sarif (2.1.0) and github.

Columns are printed 1-based everywhere, as flake8 prints them (the engine counts from 0).
Everything here takes the complete, sorted list of results, so output is deterministic.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from lint_rules import __version__
from lint_rules.cli.console import paint, shown
from lint_rules.engine.info import ANALYSIS_FAILED, Finding, RuleInfo
from lint_rules.rules import all_infos

FORMATS = ("text", "json", "sarif", "github")
TOOL_NAME = "flake8-task-tracking"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


@dataclass(frozen=True)
class Result:
    """One finding in one file."""

    path: str  # as shown to the user: the path as given or found, or --stdin-filename
    finding: Finding
    source_line: str = ""  # the physical line, without its line ending

    @property
    def column(self) -> int:
        return self.finding.col + 1

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.finding.line, self.finding.col, self.finding.code)


def level(code: str) -> str:
    """SARIF level and GitHub annotation kind: a file we could not analyse is a warning
    (nothing in it was checked); every rule finding is an error."""
    return "warning" if code == ANALYSIS_FAILED.code else "error"


def write(
    format_name: str,
    results: Sequence[Result],
    out: TextIO,
    *,
    show_source: bool = False,
    problems: Sequence[str] = (),
    color: bool = False,
) -> None:
    """Write ``results`` in ``format_name``; ``problems`` (paths that could not be read)
    are recorded in SARIF's invocation, the other formats leave them to stderr. ``color``:
    ANSI colours in the text format."""
    if format_name == "text":
        write_text(results, out, show_source=show_source, color=color)
    elif format_name == "json":
        write_json(results, out)
    elif format_name == "sarif":
        write_sarif(results, out, problems=problems)
    elif format_name == "github":
        write_github(results, out)
    else:
        raise ValueError(f"unknown format {format_name!r}; choose one of {', '.join(FORMATS)}")


def write_text(
    results: Sequence[Result], out: TextIO, *, show_source: bool = False, color: bool = False
) -> None:
    for result in results:
        finding = result.finding
        code = paint(finding.code, "red", color)
        out.write(f"{_location(result, color)}: {code} {finding.message}\n")
        if show_source and result.source_line:
            # keep tabs so the caret lines up under the column in a terminal
            indent = "".join(c if c == "\t" else " " for c in result.source_line[: finding.col])
            out.write(f"{result.source_line}\n{indent}^\n")


def _location(result: Result, color: bool = False) -> str:
    return f"{paint(shown(result.path), 'bold', color)}:{result.finding.line}:{result.column}"


def write_statistics(results: Sequence[Result], out: TextIO) -> None:
    """flake8's --statistics layout: count, code, then the rule's name."""
    names = {info.code: info.name for info in all_infos()}
    counts = Counter(result.finding.code for result in results)
    for code in sorted(counts):
        out.write(f"{counts[code]:<5} {code} {names.get(code, '')}\n")


def write_json(results: Sequence[Result], out: TextIO) -> None:
    names = {info.code: info.name for info in all_infos()}
    records = [
        {
            "path": result.path,
            "line": result.finding.line,
            "column": result.column,
            "code": result.finding.code,
            "name": names.get(result.finding.code, ""),
            "message": result.finding.message,
            "fix_available": result.finding.fix is not None,
        }
        for result in results
    ]
    import json  # imported when asked for: a text report starts faster

    json.dump(records, out, indent=2)
    out.write("\n")


def write_github(results: Sequence[Result], out: TextIO) -> None:
    """GitHub Actions workflow commands: one ``::error`` annotation per finding."""
    names = {info.code: info.name for info in all_infos()}
    for result in results:
        finding = result.finding
        properties = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in (
                ("title", f"{finding.code} {names.get(finding.code, '')}".strip()),
                ("file", Path(result.path).as_posix()),
                ("line", finding.line),
                ("col", result.column),
            )
        )
        text = f"{_location(result)}: {finding.code} {finding.message}"
        out.write(f"::{level(finding.code)} {properties}::{_escape_data(text)}\n")


# Workflow-command escaping as GitHub's runner undoes it (actions/toolkit,
# packages/core/src/command.ts: escapeData, escapeProperty); "%" must go first.
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write_sarif(results: Sequence[Result], out: TextIO, *, problems: Sequence[str] = ()) -> None:
    import json

    json.dump(sarif_log(results, problems), out, indent=2)
    out.write("\n")


def sarif_log(results: Sequence[Result], problems: Sequence[str] = ()) -> dict[str, Any]:
    """A SARIF 2.1.0 log: every rule's metadata, one result per finding, and the paths that
    could not be read as tool execution notifications."""
    infos = all_infos()
    index = {info.code: position for position, info in enumerate(infos)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [sarif_rule(info) for info in infos],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not problems,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": problem}} for problem in problems
                ],
            }
        ],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_sarif_result(result, index) for result in results],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def sarif_rule(info: RuleInfo) -> dict[str, Any]:
    explanation = " ".join(info.explanation.split())
    autofix = f"`lint-rules fix` rewrites {info.autofix}." if info.autofix else "No autofix."
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": explanation},
        "help": {
            "text": (
                f"{explanation}\n\nReported:\n{info.bad}\nFixed:\n{info.good}\n"
                f"{autofix.replace('`', '')} Details: lint-rules explain {info.code}"
            ),
            "markdown": (
                f"{explanation}\n\nReported:\n\n```python\n{info.bad}```\n\n"
                f"Fixed:\n\n```python\n{info.good}```\n\n{autofix} "
                f"Details: `lint-rules explain {info.code}`"
            ),
        },
        "defaultConfiguration": {"level": level(info.code)},
    }


def _sarif_result(result: Result, index: dict[str, int]) -> dict[str, Any]:
    finding = result.finding
    record: dict[str, Any] = {
        "ruleId": finding.code,
        "level": level(finding.code),
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(result.path),
                    "region": {"startLine": finding.line, "startColumn": result.column},
                }
            }
        ],
    }
    if finding.code in index:
        record["ruleIndex"] = index[finding.code]
    return record


def _artifact_location(path: str) -> dict[str, str]:
    """Relative to the current directory (GitHub code scanning wants repository-relative
    paths) unless the file lies outside it."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # another drive
        relative = absolute
    if os.path.isabs(relative) or relative.split(os.sep)[0] == os.pardir:
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(Path(relative).as_posix()), "uriBaseId": "%SRCROOT%"}
