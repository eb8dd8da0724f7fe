"""Source text as Python reads it: bytes decoded as the file declares (PEP 263), lines split
where Python's tokenizer splits them. Shared by ``check``, ``fix`` and the flake8 plugin."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(source: str) -> list[str]:
    """Lines as Python's tokenizer counts them (\\n, \\r\\n or \\r), endings kept."""
    return _LINE.findall(source)


def physical_line(lines: Sequence[str], number: int) -> str:
    """Line ``number`` (1-based) without its ending; "" outside the file."""
    return lines[number - 1].rstrip("\r\n") if 0 < number <= len(lines) else ""


class DecodeError(ValueError):
    """Bytes that are not text in the encoding the file declares (PEP 263)."""

    def __init__(self, reason: str, line: int = 1, column: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def decode_source(data: bytes) -> str:
    """Source text as Python reads it: a UTF-8 BOM or a PEP 263 coding comment picks the
    encoding (UTF-8 otherwise). Newlines are left as they are. Raises ``DecodeError`` with the
    position of the first bad byte, or of a coding comment Python refuses."""
    try:
        encoding, read = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # unknown codec, or a BOM that contradicts the cookie
        raise DecodeError(f"{error}; declare an encoding Python knows (PEP 263)") from error
    if encoding != "utf-8-sig" and "#\n".encode(encoding) != b"#\n":  # UTF-16, UTF-32
        raise DecodeError(
            f"Python refuses the coding comment's {encoding}, which does not keep ASCII bytes "
            "as they are; declare utf-8 (or another ASCII-compatible encoding)",
            len(read),
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1)
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        raise DecodeError(
            f"byte {data[error.start : error.start + 1]!r} is not valid {name}; fix the bytes "
            "or declare the file's real encoding in a PEP 263 coding comment",
            line,
            column,
        ) from error
