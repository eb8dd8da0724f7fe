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
import functools
import multiprocessing
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

BIG_FILE_CHARS = 200_000  # about 5,000 lines
_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" else None
_big_file_turn: Any = contextlib.nullcontext()  # a worker's lock, set by _start_worker
_stop: Any = None  # map_in_order's stop flag, shared; set by _start_worker

DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space; only the pages used are touched
DEEP_RECURSION_LIMIT = 100_000


def map_in_order(
    work: Callable[[T], R], items: Sequence[T], jobs: int, lost: Callable[[T], R]
) -> Iterator[R]:
    """``work(item)`` for each item, in the order of ``items`` whatever ``jobs`` is; when a
    worker process dies, ``lost(item)`` for each item it had not finished.

    Ctrl-C stops the run between files: a KeyboardInterrupt raised inside the pool's own
    locking can leave a lock held and hang the shutdown (seen about once in 60 interrupted
    runs), so while the pool runs, SIGINT only sets ``stop``; workers ignore it, finish the
    file they are writing and skip the rest; then the KeyboardInterrupt is raised here.
    """
    if jobs == 1 or len(items) < 2:
        yield from map(work, items)
        return
    done = 0
    workers = min(jobs, len(items))
    turn = multiprocessing.Lock()
    stop = multiprocessing.RawValue("b", 0)  # a flag without a lock: a signal handler sets it
    chunks = max(1, len(items) // (jobs * 16))
    with (
        _sigint_sets(stop),
        ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(turn, stop)) as pool,
    ):
        try:
            for result in pool.map(
                functools.partial(_unless_stopped, work), items, chunksize=chunks
            ):
                if stop.value:
                    break
                done += 1
                yield cast(R, result)  # None only once stop is set
        except BrokenProcessPool:  # a worker was killed: what it had not finished is lost
            for item in items[done:]:
                yield lost(item)
    if stop.value:  # the pool has shut down: the items left were skipped, each in a moment
        raise KeyboardInterrupt


@contextlib.contextmanager
def _sigint_sets(stop: Any) -> Iterator[None]:
    """While inside, SIGINT sets ``stop`` (when Ctrl-C would raise KeyboardInterrupt here)."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda number, frame: setattr(stop, "value", 1))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_worker(big_file_turn: Any, stop: Any) -> None:
    global _big_file_turn, _stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the run (map_in_order)
    _big_file_turn = big_file_turn
    _stop = stop


def _unless_stopped(work: Callable[[T], R], item: T) -> R | None:
    return None if _stop.value else work(item)


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
