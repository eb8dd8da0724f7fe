"""Fixture files state their expected findings in comments on the offending line:

    asyncio.create_task(job())  # TRK101
    loop.call_soon(lambda: asyncio.create_task(job()))  # TRK104:28

A comment that starts with codes states expectations: ``# TRKnnn`` expects that code on the
line, ``# TRKnnn:C`` also pins the 1-based column (as flake8 prints it); several codes may
share a line (``# TRK103 TRK103``); text after the codes is free. Codes elsewhere in a comment
(``# -- TRK101: ...``) are prose.

A fixture that needs non-default settings states them in header comments, one option per
line, as ``[tool.lint-rules]`` would (lists comma-separated):

    # setting: trk-callback-registries = mylib.hooks.registered
"""

from __future__ import annotations

import io
import re
import tokenize

from lint_rules.settings import Settings, settings_from_mapping

EXPECTATIONS = re.compile(r"#\s*((?:TRK\d{3}(?::\d+)?[\s,]*)+)")
EXPECTATION = re.compile(r"(TRK\d{3})(?::(\d+))?")
SETTING = re.compile(r"^# setting: ([\w-]+) = (.*)$", re.MULTILINE)


def expected_findings(source: str) -> list[tuple[int, str, int | None]]:
    """(line, code, column or None) for every expectation comment, sorted."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        codes = EXPECTATIONS.match(token.string) if token.type == tokenize.COMMENT else None
        if codes:
            for match in EXPECTATION.finditer(codes.group(1)):
                column = int(match.group(2)) if match.group(2) else None
                found.append((token.start[0], match.group(1), column))
    return sorted(found, key=lambda item: (item[0], item[1]))


def fixture_settings(source: str) -> Settings:
    """The settings a fixture's ``# setting:`` header comments ask for (default: none)."""
    return settings_from_mapping(dict(SETTING.findall(source)), "fixture header")
