"""Rewrite files so that their asyncio tasks are kept alive (TRK101/TRK102; more on request).

Files are rewritten in place: atomically (a temporary file in the same directory, then a
rename), with their encoding, BOM, newline style and permissions kept; files that need no
change are never opened for writing. What cannot be rewritten safely stays as it is and is
counted in the closing summary on stderr. Files, selection and options are configured as for
`lint-rules check` ([tool.lint-rules] and the same flags); lines silenced by `# noqa` are
left alone.

Opt-in rewrites: --declare-dispatch-mode=MODE adds `dispatch_mode = "MODE"` to each callback
class without one (TRK301); --drain awaits the drain a short-lived entry coroutine lacks
(TRK201: the library's, imported; TRK202: asyncio.gather over the tracking set) before each
of its returns and at the end of its body.

exit status: 0 done, 1 --check found something to fix, 2 a file could not be read, decoded,
parsed or written (reported on stderr; the other files are still processed).

examples:
  lint-rules fix src/                   rewrite in place
  lint-rules fix --diff app.py          print a unified diff, write nothing
  lint-rules fix --check -j 4 .         exit 1 if anything would change
  lint-rules fix --select TRK101 src/   only the discarded-call statements
  lint-rules fix --drain --declare-dispatch-mode=blocking scripts/
                                        also drain entry coroutines, declare dispatch modes"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import difflib
import functools
import io
import multiprocessing
import os
import stat
import sys
import tempfile
import threading
import time
import tokenize
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import libcst as cst
from libcst.codemod import (
    CodemodContext,
    TransformExit,
    TransformFailure,
    TransformSuccess,
    transform_module,
)

from lint_rules import config
from lint_rules.codemod import (
    FIX_KINDS,
    SCRATCH_KEY,
    FixOutcome,
    TrackTasks,
    add_fix_options,
    no_fix_reason,
    selected,
)
from lint_rules.engine import ANALYSIS_FAILED, Finding, analyze, split_lines
from lint_rules.files import DecodeError, Missing, decode_source, discover
from lint_rules.selection import Selection
from lint_rules.settings import ConfigError, Settings

PROGRESS_MIN_FILES = 10  # fewer files than this finish before a progress line helps
# A whole-file libcst parse (only files with something to fix get one) takes ~8.5 kB per
# line: 340 MB for LiteLLM's 23,000-line proxy_server.py. Workers take turns to parse files
# above this size, so that two never hold such a tree at once.
BIG_FILE_CHARS = 200_000  # ~5,000 lines (a 70 MB tree)
# glibc keeps the memory of a freed tree in the process (~270 MB after proxy_server.py);
# malloc_trim() hands it back (~5 ms) before the worker gives up its turn. Other C
# libraries have no such call and go without.
_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" else None
_big_file_turn: Any = contextlib.nullcontext()  # a worker's lock, set by _start_worker
WORKER_DIED = (
    "result lost: a worker process died (killed, or out of memory?); the file is as it was "
    "or fully fixed, run again (with -j 1 to find the file that kills it)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files and directories to fix (default: the current directory)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    mode.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    parser.add_argument(
        "-j", "--jobs", type=_positive, default=1, metavar="N", help="files processed at once"
    )
    add_fix_options(parser)
    config.add_arguments(parser)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@dataclass(frozen=True)
class Job:
    """What every file of a run is fixed with (sent to worker processes)."""

    settings: Settings
    selection: Selection
    options: dict[str, Any]
    mode: str  # "write", "diff" or "check"


@dataclass(frozen=True)
class FileResult:
    path: str
    changed: bool = False
    fixed: int = 0
    left: tuple[tuple[str, str], ...] = ()  # (code, why) of each finding not fixed
    error: str | None = None
    diff: str = ""


def run(args: argparse.Namespace) -> int:
    paths = args.paths or ["."]
    try:
        configuration = config.from_arguments(args, paths)
    except ConfigError as error:
        _error(str(error))
        return 2
    mode = "diff" if args.diff else "check" if args.check else "write"
    job = Job(configuration.settings, configuration.selection(), _fix_options(args), mode)
    found = list(
        discover(
            paths,
            configuration.exclude,
            root=configuration.root(),
            force_exclude=args.force_exclude,
        )
    )
    missing = [item for item in found if isinstance(item, Missing)]
    files = [item for item in found if not isinstance(item, Missing)]
    for item in missing:
        _error(f"{item.path}: no such file or directory; check the path")
    if not found:
        print(
            f"lint-rules: warning: no Python files found in {' '.join(paths)}; "
            "check the paths and the excludes",
            file=sys.stderr,
        )
    progress = Progress(len(files), sys.stderr)
    summary = Summary(mode, failed=len(missing))
    for result in _results(files, job, args.jobs):
        progress.clear()
        _report(result, mode)
        summary.add(result)
        progress.advance(result.path)
    progress.clear()
    print(summary.line(), file=sys.stderr)
    if summary.failed:
        return 2
    return 1 if mode == "check" and summary.changed else 0


def _fix_options(args: argparse.Namespace) -> dict[str, Any]:
    """The flags that enable opt-in fix kinds (``FixKind.requires`` names them)."""
    return {
        kind.requires: getattr(args, kind.requires, None)
        for kind in FIX_KINDS.values()
        if kind.requires is not None
    }


def _results(paths: Sequence[Path], job: Job, jobs: int) -> Iterator[FileResult]:
    """One result per path, in the order of ``paths`` whatever ``jobs`` is."""
    work = functools.partial(fix_file, job=job)
    if jobs == 1 or len(paths) < 2:
        yield from map(work, paths)
        return
    done = 0
    workers = min(jobs, len(paths))
    turn = multiprocessing.Lock()
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(turn,)) as pool:
        try:
            for result in pool.map(work, paths, chunksize=max(1, len(paths) // (jobs * 16))):
                done += 1
                yield result
        except BrokenProcessPool:  # a worker was killed: what it had not finished is left
            for path in paths[done:]:
                yield FileResult(str(path), error=WORKER_DIED)


def _start_worker(big_file_turn: Any) -> None:
    global _big_file_turn
    _big_file_turn = big_file_turn


def _report(result: FileResult, mode: str) -> None:
    if result.error is not None:
        _error(f"{result.path}: {result.error}")
    elif result.changed and mode == "diff":
        sys.stdout.write(result.diff)
    elif result.changed:
        verb = "would fix" if mode == "check" else "fixed"
        print(f"{verb} {result.path} ({_count(result.fixed, 'finding')})")
    sys.stdout.flush()


def _error(message: str) -> None:
    print(f"lint-rules: error: {message}", file=sys.stderr)


# -- one file --------------------------------------------------------------------------------


class FileError(Exception):
    """A file that cannot be fixed; the message says why (one line)."""


def fix_file(path: Path, job: Job) -> FileResult:
    """Fix one file as ``job`` says. Never raises for bad input: errors become ``error``."""
    try:
        return _fix_file(path, job)
    except FileError as error:
        return FileResult(str(path), error=_one_line(str(error)))
    except Exception as error:  # a bug must not stop the run or touch the file
        message = f"internal error: {type(error).__name__}: {error}; file left alone, please report"
        return FileResult(str(path), error=_one_line(message))


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _fix_file(path: Path, job: Job) -> FileResult:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileError(f"cannot read it: {error.strerror or error}") from error
    encoding, text = _decode(data)
    findings = _findings(text, job)  # fast: the engine parses only the spans that matter
    for finding in findings:
        if finding.code == ANALYSIS_FAILED.code:
            raise FileError(f"{finding.line}:{finding.col + 1}: {finding.message}")
    if all(no_fix_reason(finding, job.options) for finding in findings):
        left = tuple((f.code, str(no_fix_reason(f, job.options))) for f in findings)
        return FileResult(str(path), left=left)
    with _whole_parse_turn(len(text)):
        outcome, new_text = _transform_any_depth(path, text, job)
        fixed = len(outcome.fixed)
        left = tuple((item.finding.code, item.reason) for item in outcome.left)
        del outcome  # the trees: freed before another worker may parse a big file
    if new_text == text:
        return FileResult(str(path), left=left)
    try:
        compile(new_text, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        raise FileError(
            f"internal error: the rewrite would not compile ({error}); file left "
            "alone, please report"
        ) from error
    if text.encode(encoding) != data:
        raise FileError(f"cannot write it back byte for byte in {encoding}; file left alone")
    if job.mode == "write":
        write_atomically(path, new_text.encode(encoding), data)
    diff = unified_diff(str(path), text, new_text) if job.mode == "diff" else ""
    return FileResult(str(path), True, fixed, left, diff=diff)


@contextlib.contextmanager
def _whole_parse_turn(chars: int) -> Iterator[None]:
    """Wait for this worker's turn to parse a big file whole; give the memory back after."""
    if chars <= BIG_FILE_CHARS:
        yield
        return
    with _big_file_turn:
        try:
            yield
        finally:
            if _MALLOC_TRIM is not None:
                _MALLOC_TRIM(0)


def _decode(data: bytes) -> tuple[str, str]:
    """The encoding (PEP 263 cookie or BOM, else UTF-8) and the text, as Python reads it."""
    try:
        text = decode_source(data)
    except DecodeError as error:
        where = f"{error.line}:{error.column + 1}"
        raise FileError(f"{where}: cannot decode it: {error.reason}") from error
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0], text


def _findings(text: str, job: Job) -> list[Finding]:
    """What ``lint-rules check`` reports on ``text``: selected and not silenced by noqa."""
    findings = analyze(text, job.settings, codes=job.selection.codes())
    return selected(findings, text, job.selection)


class _TooDeep(Exception):
    """libcst ran out of Python's recursion limit."""


DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space; only the pages used are touched
DEEP_RECURSION_LIMIT = 100_000


def _transform_any_depth(path: Path, text: str, job: Job) -> tuple[FixOutcome, str]:
    """``_transform``, run again in a thread with a deep stack when libcst's recursive
    algorithms, one level deeper per ``elif`` branch or implicitly concatenated string, pass
    Python's default recursion limit (a few hundred of them in one statement)."""
    try:
        return _transform(path, text, job)
    except _TooDeep:
        pass
    outcome: list[Any] = []

    def transform() -> None:
        try:
            outcome.append(_transform(path, text, job))
        except BaseException as error:  # handed to the calling thread
            outcome.append(error)

    limit = sys.getrecursionlimit()
    try:
        stack = threading.stack_size(DEEP_STACK_BYTES)
        sys.setrecursionlimit(max(limit, DEEP_RECURSION_LIMIT))
        try:
            thread = threading.Thread(target=transform, name="lint-rules-deep", daemon=True)
            thread.start()
            thread.join()
        finally:
            threading.stack_size(stack)
            sys.setrecursionlimit(limit)
    except (RuntimeError, ValueError) as error:  # the system refused the thread or its stack
        raise FileError(f"too deeply nested for libcst and no deep stack ({error})") from error
    if isinstance(outcome[0], _TooDeep):
        raise FileError("too deeply nested for libcst even with a deep stack; file left alone")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


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
    return outcome, result.code if isinstance(result, TransformSuccess) else text


def write_atomically(path: Path, new: bytes, original: bytes) -> None:
    """Replace the file's content by ``new`` through a temporary file in the same directory
    and a rename: readers see the old file or the new one, never a truncated one. Mode and
    (where allowed) owner are kept; a symlink keeps pointing at its fixed target. Refuses if
    the file no longer holds ``original``."""
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except OSError as error:
        raise FileError(f"cannot write it: {error.strerror}") from error
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise FileError("read-only file: not changed (make it writable to fix it)")
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".lint-rules-fix", dir=target.parent
        )
    except OSError as error:
        raise FileError(f"cannot write next to it: {error.strerror}") from error
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(new)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):  # only root may give files away
                os.chown(temporary, info.st_uid, info.st_gid)
        if target.read_bytes() != original:
            raise FileError("changed on disk while being fixed: not overwritten, run again")
        os.replace(temporary, target)
    except OSError as error:
        raise FileError(f"cannot write it: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def unified_diff(name: str, old: str, new: str) -> str:
    """A unified diff that ``patch -p0`` applies (lines split as Python counts them)."""
    lines = difflib.unified_diff(split_lines(old), split_lines(new), name, name)
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


# -- reporting -------------------------------------------------------------------------------


@dataclass
class Summary:
    mode: str
    scanned: int = 0
    changed: int = 0
    fixed: int = 0
    failed: int = 0
    left: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, result: FileResult) -> None:
        self.scanned += 1
        self.changed += result.changed
        self.fixed += result.fixed
        self.failed += result.error is not None
        self.left.update(result.left)

    def line(self) -> str:
        """``lint-rules fix: 12 files scanned, 3 changed, 5 findings fixed, 2 left (TRK103:
        2 no autofix for this code), 0 failed``."""
        would = self.mode != "write"
        left = "; ".join(f"{code}: {n} {why}" for (code, why), n in sorted(self.left.items()))
        return (
            f"lint-rules fix: {_count(self.scanned, 'file')} scanned, "
            f"{self.changed} {'would change' if would else 'changed'}, "
            f"{_count(self.fixed, 'finding')} {'fixable' if would else 'fixed'}, "
            f"{sum(self.left.values())} left{f' ({left})' if left else ''}, "
            f"{self.failed} failed"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class Progress:
    """``[12/300] path`` on one rewritten line of stderr, when it is a terminal and the run
    is long enough to need it."""

    def __init__(self, total: int, stream: TextIO, interval: float = 0.1) -> None:
        self.total = total
        self.stream = stream
        self.interval = interval
        self.enabled = total >= PROGRESS_MIN_FILES and _is_terminal(stream)
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


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 80
