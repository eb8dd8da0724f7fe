"""The rules describe real behaviour: a task that a TRK1xx shape leaves unreferenced is
destroyed by the garbage collector while it is still pending, and the same task kept in a
module-level set survives and completes.

Each script runs in its own interpreter. Its task waits on a future that only a weak registry
can reach, the way a pending request waits on a reply; the script then runs `gc.collect()`,
answers whatever future is still alive, and prints whether the task completed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from lint_rules.rules import analyze

pytestmark = pytest.mark.slow  # each program runs in its own interpreter

HARNESS = """\
import asyncio
import functools
import gc
import weakref

_background_tasks = set()
replies = weakref.WeakValueDictionary()
completed = []


async def work(name):
    reply = asyncio.get_running_loop().create_future()
    replies[name] = reply
    await reply
    completed.append(name)


{start}


async def main():
    await start()
    await asyncio.sleep(0.01)  # the task starts and waits for its reply
    gc.collect()
    reply = replies.get("job")
    if reply is not None:
        reply.set_result(None)
    await asyncio.sleep(0.01)
    print("completed" if completed else "lost")


asyncio.run(main())
"""

# (code, the start() that loses its task, the start() that keeps it)
SHAPES = {
    "statement": (
        "TRK101",
        """
        async def start():
            asyncio.create_task(work("job"))
        """,
        """
        async def start():
            task = asyncio.create_task(work("job"))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
        """,
    ),
    "chained-method": (
        "TRK101",
        """
        async def start():
            asyncio.ensure_future(work("job")).add_done_callback(print)
        """,
        """
        async def start():
            task = asyncio.ensure_future(work("job"))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
        """,
    ),
    "unused-name": (
        "TRK102",
        """
        async def start():
            task = asyncio.get_running_loop().create_task(work("job"))
            task.add_done_callback(lambda _: None)
        """,
        """
        async def start():
            task = asyncio.get_running_loop().create_task(work("job"))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
        """,
    ),
    "local-container": (
        "TRK103",
        """
        async def start():
            pending = set()
            task = asyncio.create_task(work("job"))
            pending.add(task)
            task.add_done_callback(pending.discard)
        """,
        """
        async def start():
            task = asyncio.create_task(work("job"))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
        """,
    ),
    "loop-callback": (
        "TRK104",
        """
        async def start():
            asyncio.get_running_loop().call_soon(lambda: asyncio.create_task(work("job")))
            await asyncio.sleep(0)
        """,
        """
        def keep(coro):
            task = asyncio.create_task(coro)
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)


        async def start():
            asyncio.get_running_loop().call_soon(keep, work("job"))
            await asyncio.sleep(0)
        """,
    ),
    "partial-callback": (
        "TRK104",
        """
        async def start():
            loop = asyncio.get_running_loop()
            loop.call_soon(functools.partial(asyncio.ensure_future, work("job")))
            await asyncio.sleep(0)
        """,
        """
        async def start():
            task = asyncio.ensure_future(work("job"))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
        """,
    ),
    "threadsafe-future": (
        "TRK105",
        """
        async def start():
            future = asyncio.run_coroutine_threadsafe(work("job"), asyncio.get_running_loop())
            future.add_done_callback(print)
            await asyncio.sleep(0)
        """,
        """
        async def start():
            future = asyncio.run_coroutine_threadsafe(work("job"), asyncio.get_running_loop())
            _background_tasks.add(future)
            future.add_done_callback(_background_tasks.discard)
            await asyncio.sleep(0)
        """,
    ),
}


def _script(start: str) -> str:
    return HARNESS.format(start=textwrap.dedent(start).strip())


def _run(source: str, tmp_path) -> str:
    path = tmp_path / "script.py"
    path.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


@pytest.mark.parametrize("shape", SHAPES)
def test_flagged_shape_loses_its_task_to_the_garbage_collector(shape: str, tmp_path) -> None:
    code, lost, _ = SHAPES[shape]
    source = _script(lost)
    assert code in {finding.code for finding in analyze(source)}
    assert _run(source, tmp_path) == "lost"


@pytest.mark.parametrize("shape", SHAPES)
def test_task_kept_in_a_module_level_set_survives_and_completes(shape: str, tmp_path) -> None:
    _, _, kept = SHAPES[shape]
    source = _script(kept)
    assert [f for f in analyze(source) if f.code.startswith("TRK1")] == []
    assert _run(source, tmp_path) == "completed"
