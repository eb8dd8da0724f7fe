"""``# noqa`` for the checker CLI, with flake8's semantics (under flake8, flake8 does this).

What flake8 (6 and 7) does, and so what this does:

* the comment is found by flake8's own regular expression, ``NOQA_INLINE_REGEXP`` in
  ``flake8/defaults.py`` (imported, not copied): ``# noqa``, ``# NOQA:TRK101``,
  ``# noqa: TRK101,TRK102`` ... searched anywhere in the text, case-insensitively;
* the text searched for a finding on line N is the whole logical line around N: every
  physical line from the token that starts it to its NEWLINE (``FileProcessor.
  _noqa_line_mapping`` in ``flake8/processor.py``), so a comment at the end of a multi-line
  call covers a finding on its first line; the physical line when the file cannot be tokenized;
* without codes it silences everything; with codes, a finding is silenced when its code is
  listed or starts with a listed code, ``# noqa: TRK1`` silencing TRK101 (``Violation.
  is_inline_ignored`` in ``flake8/violation.py``);
* a line that is only ``# flake8: noqa`` exempts the whole file (``NOQA_FILE``).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

from lint_rules.engine.info import Finding


def file_is_exempt(lines: Sequence[str]) -> bool:
    from flake8.defaults import NOQA_FILE  # imported once a file has findings: fast start-up

    return any(NOQA_FILE.match(line) for line in lines)


def unsuppressed(findings: Sequence[Finding], lines: Sequence[str]) -> list[Finding]:
    """The findings no ``# noqa`` comment silences; ``lines`` keep their line endings."""
    if not findings:
        return []
    if not _NOQA_WORD.search("".join(lines)):  # both comments hold the word: no tokenizing
        return list(findings)
    if file_is_exempt(lines):
        return []
    logical = _logical_lines(lines)
    # once per line and code: searching a long line once per finding on it was quadratic
    silenced: dict[tuple[int, str], bool] = {}
    for finding in findings:
        key = (finding.line, finding.code)
        if key not in silenced:
            text = logical.get(finding.line) or _line(lines, finding.line)
            silenced[key] = _silences(text, finding.code)
    return [finding for finding in findings if not silenced[finding.line, finding.code]]


_NOQA_WORD = re.compile("noqa", re.IGNORECASE)


def _silences(text: str, code: str) -> bool:
    from flake8.defaults import NOQA_INLINE_REGEXP

    match = NOQA_INLINE_REGEXP.search(text)
    if match is None:
        return False
    listed = match.group("codes")
    if listed is None:
        return True
    codes = tuple(code for code in re.split(r"[,\s]+", listed) if code)
    return code.startswith(codes)


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _logical_lines(lines: Sequence[str]) -> dict[int, str]:
    """Line number -> the text of the whole logical line it belongs to."""
    mapping: dict[int, str] = {}
    first, last = None, 0
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = token.start[0] if first is None else min(first, token.start[0])
            last = max(last, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[first - 1 : last])
                mapping.update(dict.fromkeys(range(first, last + 1), joined))
                first, last = None, 0
    except (tokenize.TokenError, SyntaxError):
        return {}  # as flake8 does: fall back to physical lines
    return mapping
