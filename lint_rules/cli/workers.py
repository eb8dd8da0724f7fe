"""Running ``lint-rules fix`` over many files: a process pool that keeps the output order,
turns for parsing big files whole, and a deep stack for what libcst's recursion needs.

A whole-file libcst parse (only files with something to fix get one) takes several kB per
line, so workers take turns to parse files above ``BIG_FILE_CHARS``: two never hold such a
tree at once. glibc keeps the memory of a freed tree in the process; ``malloc_trim()`` hands
it back before the worker gives up its turn (other C libraries have no such call and go
without). benchmarks/README.md has the measurements behind these numbers.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

BIG_FILE_CHARS = 200_000  # about 5,000 lines
_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" else None
_big_file_turn: Any = contextlib.nullcontext()  # a worker's lock, set by _start_worker

DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space; only the pages used are touched
DEEP_RECURSION_LIMIT = 100_000


def map_in_order(
    work: Callable[[T], R], items: Sequence[T], jobs: int, lost: Callable[[T], R]
) -> Iterator[R]:
    """``work(item)`` for each item, in the order of ``items`` whatever ``jobs`` is; when a
    worker process dies, ``lost(item)`` for each item it had not finished."""
    if jobs == 1 or len(items) < 2:
        yield from map(work, items)
        return
    done = 0
    workers = min(jobs, len(items))
    turn = multiprocessing.Lock()
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(turn,)) as pool:
        try:
            for result in pool.map(work, items, chunksize=max(1, len(items) // (jobs * 16))):
                done += 1
                yield result
        except BrokenProcessPool:  # a worker was killed: what it had not finished is lost
            for item in items[done:]:
                yield lost(item)


def _start_worker(big_file_turn: Any) -> None:
    global _big_file_turn
    _big_file_turn = big_file_turn


@contextlib.contextmanager
def whole_parse_turn(chars: int) -> Iterator[None]:
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


class NoDeepStack(Exception):
    """The system refused a thread with a deep stack."""


def with_deep_stack(call: Callable[[], R]) -> R:
    """``call()`` in a thread with a deep stack and a high recursion limit (libcst's recursive
    algorithms go one level deeper per ``elif`` branch or implicitly concatenated string)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the calling thread
            outcome.append(error)

    limit = sys.getrecursionlimit()
    try:
        stack = threading.stack_size(DEEP_STACK_BYTES)
    except (RuntimeError, ValueError) as error:
        raise NoDeepStack(str(error)) from error
    sys.setrecursionlimit(max(limit, DEEP_RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=run, name="lint-rules-deep", daemon=True)
        try:
            thread.start()
        except RuntimeError as error:
            raise NoDeepStack(str(error)) from error
        thread.join()
    finally:
        threading.stack_size(stack)
        sys.setrecursionlimit(limit)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    result: R = outcome[0]
    return result
