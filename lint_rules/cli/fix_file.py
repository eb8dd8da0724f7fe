"""Fixing one file: read it, find what ``lint-rules check`` reports, run the codemod through
libcst's runner, check that the result compiles and round-trips, then write it atomically
(or diff it). Runs in worker processes, so everything it needs travels in a ``Job``."""

from __future__ import annotations

import dataclasses
import difflib
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.codemod import (
    CodemodContext,
    TransformExit,
    TransformFailure,
    TransformSuccess,
    transform_module,
)

from lint_rules import rules
from lint_rules.cli.atomic import FileError, write_atomically
from lint_rules.cli.console import one_line, shown
from lint_rules.cli.files import DEFAULT_MAX_MIB, read_file
from lint_rules.cli.selection import Selection, reported
from lint_rules.cli.workers import NoDeepStack, whole_parse_turn, with_deep_stack
from lint_rules.codemod import SCRATCH_KEY, TrackTasks
from lint_rules.engine.info import ANALYSIS_FAILED, Finding
from lint_rules.engine.source import DecodeError, decode_source, split_lines
from lint_rules.fix.apply import FixOutcome, no_fix_reason
from lint_rules.settings import Settings

WORKER_DIED = (
    "result lost: a worker process died (killed, or out of memory?); the file is as it was "
    "or fully fixed, run again (with -j 1 to find the file that kills it)"
)


@dataclass(frozen=True)
class Job:
    """What every file of a run is fixed with (sent to worker processes)."""

    settings: Settings
    selection: Selection
    options: dict[str, Any]
    mode: str  # "write", "diff" or "check"
    max_mib: int = DEFAULT_MAX_MIB  # larger files are not read


@dataclass(frozen=True)
class FileResult:
    path: str
    changed: bool = False
    fixed: int = 0
    left: tuple[tuple[str, str], ...] = ()  # (code, why) of each finding not fixed
    error: str | None = None
    diff: str = ""


def fix_file(path: Path, job: Job) -> FileResult:
    """Fix one file as ``job`` says. Never raises for bad input: errors become ``error``."""
    try:
        return _fix_file(path, job)
    except FileError as error:
        return FileResult(str(path), error=one_line(str(error)))
    except Exception as error:  # a bug must not stop the run or touch the file
        message = f"internal error: {type(error).__name__}: {error}; file left alone, please report"
        return FileResult(str(path), error=one_line(message))


def lost(path: Path) -> FileResult:
    """The result of a file whose worker process died."""
    return FileResult(str(path), error=WORKER_DIED)


def fix_source(name: str, data: bytes, job: Job) -> tuple[FileResult, bytes]:
    """Fix source that is not read from a file (standard input), reported as ``name``: the
    result, and the fixed bytes (``data`` itself when nothing changed or the fix failed)."""
    try:
        result, new = _fix_bytes(Path(name), data, job)
    except FileError as error:
        return FileResult(name, error=one_line(str(error))), data
    except Exception as error:  # a bug must not lose the user's text
        message = (
            f"internal error: {type(error).__name__}: {error}; source left alone, please report"
        )
        return FileResult(name, error=one_line(message)), data
    return result, data if new is None else new


def _fix_file(path: Path, job: Job) -> FileResult:
    try:
        data = read_file(path, job.max_mib)
    except OSError as error:
        raise FileError(f"cannot read it: {error.strerror or error}") from error
    result, new = _fix_bytes(path, data, job)
    if new is not None and job.mode == "write":
        write_atomically(path, new, data)
    return result


def _fix_bytes(path: Path, data: bytes, job: Job) -> tuple[FileResult, bytes | None]:
    """What fixing ``data`` (the bytes of ``path``) gives: the result and the new bytes (None
    when nothing changes). Writes nothing."""
    encoding, text = _decode(data)
    job = dataclasses.replace(job, selection=job.selection.for_path(str(path)))
    findings = _findings(text, job, str(path))  # fast: the engine parses only the spans that matter
    for finding in findings:
        if finding.code == ANALYSIS_FAILED.code:
            raise FileError(f"{finding.line}:{finding.col + 1}: {finding.message}")
    if all(no_fix_reason(finding, job.options) for finding in findings):
        left = tuple((f.code, str(no_fix_reason(f, job.options))) for f in findings)
        return FileResult(str(path), left=left), None
    with whole_parse_turn(len(text)):
        outcome, new_text = _transform_any_depth(path, text, job)
        fixed = len(outcome.fixed)
        left = tuple((item.finding.code, item.reason) for item in outcome.left)
        del outcome  # the trees: freed before another worker may parse a big file
    if new_text == text:
        return FileResult(str(path), left=left), None
    _verify(text, new_text, str(path))
    if text.encode(encoding) != data:
        raise FileError(f"cannot write it back byte for byte in {encoding}; file left alone")
    diff = unified_diff(str(path), text, new_text) if job.mode == "diff" else ""
    return FileResult(str(path), True, fixed, left, diff=diff), new_text.encode(encoding)


def _verify(text: str, new_text: str, path: str) -> None:
    """The rewrite compiles; or, when the original does not compile under this Python (syntax
    newer than it, which libcst parsed), the rewrite parses with libcst."""
    try:
        compile(new_text, path, "exec", dont_inherit=True)
        return
    except (SyntaxError, ValueError) as error:
        failed: Exception = error
    try:
        compile(text, path, "exec", dont_inherit=True)
    except SyntaxError:  # newer syntax: the best check this Python has is libcst's parser
        try:
            cst.parse_module(new_text)
            return
        except Exception as error:
            failed = error
    except ValueError:
        pass
    raise FileError(
        f"internal error: the rewrite would not compile ({failed}); file left alone, please report"
    ) from failed


def _decode(data: bytes) -> tuple[str, str]:
    """The encoding (PEP 263 cookie or BOM, else UTF-8) and the text, as Python reads it."""
    try:
        text = decode_source(data)
    except DecodeError as error:
        where = f"{error.line}:{error.column + 1}"
        raise FileError(f"{where}: cannot decode it: {error.reason}") from error
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0], text


def _findings(text: str, job: Job, path: str) -> list[Finding]:
    """What ``lint-rules check`` reports on ``text``: selected and not silenced by noqa;
    and a TRK000 unless it is ignored (``--select TRK101`` alone must not let a file that
    could not be analysed pass as fixed)."""
    codes = job.selection.codes(rules.known_codes())
    findings = rules.analyze(text, job.settings, codes=codes, path=path)
    failed = [
        f for f in findings if f.code == ANALYSIS_FAILED.code and not job.selection.ignored(f.code)
    ]
    return failed or reported(findings, split_lines(text), job.selection)


class _TooDeep(Exception):
    """libcst ran out of Python's recursion limit."""


def _transform_any_depth(path: Path, text: str, job: Job) -> tuple[FixOutcome, str]:
    """``_transform``, run again in a thread with a deep stack when libcst's recursion passes
    Python's default limit (a few hundred ``elif`` branches in one statement)."""
    try:
        return _transform(path, text, job)
    except _TooDeep:
        pass
    try:
        return with_deep_stack(lambda: _transform(path, text, job))
    except NoDeepStack as error:
        raise FileError(f"too deeply nested for libcst and no deep stack ({error})") from error
    except _TooDeep as error:
        raise FileError(
            "too deeply nested for libcst even with a deep stack; file left alone"
        ) from error


def _transform(path: Path, text: str, job: Job) -> tuple[FixOutcome, str]:
    """Run the codemod command on ``text`` through libcst's runner: what it did, and the
    new text (``text`` itself when it skipped the file)."""
    scratch: dict[str, Any] = {}
    context = CodemodContext(filename=str(path), scratch=scratch)
    command = TrackTasks(
        context, settings=job.settings, selection=job.selection, options=job.options
    )
    result = transform_module(command, text)
    if isinstance(result, TransformExit):  # libcst's runner caught a Ctrl-C: stop the run
        raise KeyboardInterrupt
    if isinstance(result, TransformFailure):
        error = result.error
        if isinstance(error, cst.ParserSyntaxError):
            where = f"{error.raw_line}:{error.raw_column + 1}"
            raise FileError(f"{where}: libcst cannot parse it: {error.message}")
        if isinstance(error, RecursionError):
            raise _TooDeep from error
        raise FileError(f"internal error: {type(error).__name__}: {error}; please report it")
    outcome = scratch[SCRATCH_KEY]
    assert isinstance(outcome, FixOutcome)
    if not isinstance(result, TransformSuccess):
        return outcome, text
    code = result.code
    if text.endswith("\r") and not code.endswith(("\r", "\n")):
        code += "\r"  # libcst drops a file's last newline when it is a lone CR
    return outcome, code


def unified_diff(name: str, old: str, new: str) -> str:
    """A unified diff that ``patch -p0`` and ``git apply`` apply. Lines are split at \\n only,
    as those tools split them: a CR of a CRLF or a lone CR stays inside its line, so a file
    with only CR newlines is one line, changed whole."""
    name = shown(name, quote_spaces=True)
    lines = difflib.unified_diff(_LF_LINE.findall(old), _LF_LINE.findall(new), name, name)
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


_LF_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
