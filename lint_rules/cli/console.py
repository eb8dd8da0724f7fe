"""What the commands print besides their results: one-line errors and warnings on stderr,
counts in words, and the progress line of long runs on a terminal."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from typing import TextIO

PROGRESS_MIN_FILES = 10  # fewer files than this finish before a progress line helps


def error(message: str) -> None:
    print(f"lint-rules: error: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"lint-rules: warning: {message}", file=sys.stderr)


def one_line(message: str) -> str:
    return " ".join(message.split())


def shown(path: str, *, quote_spaces: bool = False) -> str:
    """``path`` as one field of one output line. A name holding a control character (a
    newline, a tab) or bytes that are not UTF-8 is quoted the way git quotes file names: in
    double quotes, with C escapes and octal bytes, which ``git apply`` and ``patch`` read.
    ``quote_spaces``: a name with a space too (``patch`` ends an unquoted name there)."""
    if not _NEEDS_QUOTES.search(path) and not (quote_spaces and " " in path):
        return path
    return '"' + _QUOTED.sub(_escape, path) + '"'


_NEEDS_QUOTES = re.compile(r"[\x00-\x1f\x7f\udc80-\udcff]")
_QUOTED = re.compile(r'[\x00-\x1f\x7f"\\\udc80-\udcff]')
_C_ESCAPES = {"\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _C_ESCAPES or char in '"\\':
        return "\\" + _C_ESCAPES.get(char, char)
    byte = ord(char) - 0xDC00 if ord(char) >= 0xDC80 else ord(char)  # surrogateescape: the byte
    return f"\\{byte:03o}"


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``-j``)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def count(number: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


COLORS = ("auto", "always", "never")
_STYLES = {"bold": "1", "red": "1;31", "green": "32", "cyan": "36", "minus": "31"}


def add_output_arguments(group: argparse._ArgumentGroup) -> None:
    """``--quiet`` and ``--color``, shared by ``check`` and ``fix``."""
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only findings, diffs and errors: no summary, progress or warnings",
    )
    group.add_argument(
        "--color",
        choices=COLORS,
        default="auto",
        help="colour the text report and diffs: auto (on a terminal, unless the NO_COLOR "
        "environment variable is set; the default), always, never",
    )


def wants_color(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    no_color = os.environ.get("NO_COLOR", "") != ""  # no-color.org: set and not empty
    return is_terminal(stream) and not no_color and os.environ.get("TERM") != "dumb"


def paint(text: str, style: str, color: bool) -> str:
    """``text`` in an ANSI ``style`` (a key of ``_STYLES``) when ``color``, else as it is."""
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if color else text


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 80


class Progress:
    """``[12/300] path`` on one rewritten line of stderr, when it is a terminal and the run
    is long enough to need it."""

    def __init__(self, total: int, stream: TextIO, interval: float = 0.1) -> None:
        self.total = total
        self.stream = stream
        self.interval = interval
        self.enabled = total >= PROGRESS_MIN_FILES and is_terminal(stream)
        self._done = 0
        self._shown = False
        self._last = 0.0

    def advance(self, path: str) -> None:
        self._done += 1
        now = time.monotonic()
        if not self.enabled or (now - self._last < self.interval and self._done < self.total):
            return
        self._last = now
        text = f"[{self._done}/{self.total}] {path}"
        width = _terminal_width(self.stream)
        self.stream.write("\r\x1b[K" + text[: max(width - 1, 10)])
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
