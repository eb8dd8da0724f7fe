"""Fixture files state their expected findings in comments on the offending line:

    asyncio.create_task(job())  # TRK101
    loop.call_soon(lambda: asyncio.create_task(job()))  # TRK104:28

``# TRKnnn`` expects that code on the line; ``# TRKnnn:C`` also pins the 1-based column
(as flake8 prints it). Several codes may share a line.
"""

from __future__ import annotations

import io
import re
import tokenize

EXPECTATION = re.compile(r"\b(TRK\d{3})(?::(\d+))?\b")


def expected_findings(source: str) -> list[tuple[int, str, int | None]]:
    """(line, code, column or None) for every expectation comment, sorted."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            for match in EXPECTATION.finditer(token.string):
                column = int(match.group(2)) if match.group(2) else None
                found.append((token.start[0], match.group(1), column))
    return sorted(found, key=lambda item: (item[0], item[1]))
