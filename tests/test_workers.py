"""``map_in_order`` under Ctrl-C: the parent stops between results, the workers skip what is
left, and the KeyboardInterrupt comes out of ``map_in_order`` once the pool has shut down."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from lint_rules.cli.workers import map_in_order

ITEMS = 400
INTERRUPT_AT = 5


def _mark(item: tuple[Path, int]) -> int:
    directory, number = item
    (directory / str(number)).touch()
    if number == INTERRUPT_AT:
        os.kill(os.getppid(), signal.SIGINT)  # Ctrl-C reaches the parent
    return number


def _lost(item: tuple[Path, int]) -> int:
    return -1


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    # a test run started in the background ignores SIGINT: give it Ctrl-C's usual meaning
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_skips_the_items_left_and_raises_after_the_pool_stops(
    tmp_path: Path, ctrl_c_raises: None
) -> None:
    items = [(tmp_path, number) for number in range(ITEMS)]
    results = []
    with pytest.raises(KeyboardInterrupt):
        for result in map_in_order(_mark, items, 2, _lost):
            results.append(result)
    assert results == list(range(len(results)))  # in order, nothing lost, none after the stop
    assert len(results) <= INTERRUPT_AT + 1
    marked = len(list(tmp_path.iterdir()))
    assert INTERRUPT_AT < marked < ITEMS // 2  # the workers skipped the rest
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
