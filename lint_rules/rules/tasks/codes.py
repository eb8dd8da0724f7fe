"""TRK1xx: what the family reports (its codes, in the words users read) and what wakes it.

Importable without libcst (``lint_rules.engine.info``).
"""

from __future__ import annotations

import functools
import re

from lint_rules.engine.info import Family, RuleInfo
from lint_rules.engine.triggers import Trigger, last_names
from lint_rules.rules.asyncio_api import AWAITED_API_NAMES, TASK_API_NAMES
from lint_rules.rules.tasks.imports import imported_factory_words
from lint_rules.settings import Settings

_KEEP_IT = "keep a reference (e.g. in a module-level set) or await it"

TRK101 = RuleInfo(
    code="TRK101",
    name="discarded-task",
    message="the task from {call}() is discarded and may be garbage-collected mid-run: " + _KEEP_IT,
    summary="A task-creating call whose result is thrown away on the spot.",
    explanation=(
        "The event loop holds only a weak reference to a running task. A task whose result\n"
        "nobody keeps can be garbage-collected while it is still pending: its work silently\n"
        "never finishes. This covers expression statements, comprehensions and conditional\n"
        "expressions used as statements, a method chained on the fresh task\n"
        "(create_task(c).add_done_callback(f)) and a task passed only to print/logging/str or\n"
        "to a function of the module that never keeps that parameter (it only adds a done\n"
        "callback, logs or tags it). A function or method of the module that returns a fresh\n"
        "task nothing else keeps is a task factory, and so is one returning its result; one\n"
        "returning the event loop is a loop; the same holds for the functions and classes\n"
        "it imports from the project's other modules. ensure_future() given an existing\n"
        "future or task creates nothing: it is judged when given a call not known to return\n"
        "one (a plain function of the project returning a future returns one), or a local\n"
        "name assigned only such calls and kept nowhere else (a name kept elsewhere is taken\n"
        "to hold a task)."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def refresh_all(keys):\n"
        "    for key in keys:\n"
        "        asyncio.create_task(refresh(key))\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def refresh_all(keys):\n"
        "    for key in keys:\n"
        "        _task = asyncio.create_task(refresh(key))\n"
        "        _background_tasks.add(_task)\n"
        "        _task.add_done_callback(_background_tasks.discard)\n"
    ),
    autofix=(
        "expression statements, methods chained on the fresh task, and tasks made inside an"
        " expression (comprehension, argument, conditional, walrus), kept by a `_keep()` helper"
    ),
)
TRK102 = RuleInfo(
    code="TRK102",
    name="task-in-unkept-name",
    message="the task in '{name}' is never kept ({reason}): " + _KEEP_IT,
    summary="A task bound to a local name that never keeps it.",
    explanation=(
        "A local variable dies with its frame. A task bound to one is safe only if some use\n"
        "the binding reaches keeps it: awaiting, returning, storing on an attribute or a\n"
        "module-level container, passing it (or a bound method of it, task.cancel) to a call,\n"
        "cancelling it, polling it in `while not task.done()`. Unused names, '_', uses such as\n"
        "add_done_callback/result()/print/logging/setattr tags, a lambda or function whose own\n"
        "parameter has the same name, a rebinding before any keeping use, and a name rebound\n"
        "on every loop iteration (only the last task is kept) are reported. A name last bound\n"
        "in a function that then runs the event loop (run_forever, run_until_complete,\n"
        "asyncio.run) lives as long as the loop and is not reported."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def start(job):\n"
        "    task = asyncio.create_task(job.run())\n"
        "    task.add_done_callback(job.report)\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def start(job):\n"
        "    task = asyncio.create_task(job.run())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n"
        "    task.add_done_callback(job.report)\n"
    ),
    autofix="plain assignments (name = create_task(...)), annotated or chained",
)
TRK103 = RuleInfo(
    code="TRK103",
    name="task-in-local-container",
    message="the task is kept only in '{name}', a local container dropped with the function: "
    "await them (asyncio.gather(*{name})) or keep the container longer",
    summary="A task stored only in a container created in the function that never leaves it.",
    explanation=(
        "A set or list created inside a function is collected with the frame, and the tasks\n"
        "in it with it. Keeping tasks in a local set with a discard callback is the module-\n"
        "level pattern applied at the wrong scope. Await the container before returning, or\n"
        "move it to module or instance level."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def notify(users):\n"
        "    pending = set()\n"
        "    for user in users:\n"
        "        task = asyncio.create_task(user.notify())\n"
        "        pending.add(task)\n"
        "        task.add_done_callback(pending.discard)\n"
    ),
    good=(
        "import asyncio\n\n\n"
        "async def notify(users):\n"
        "    pending = set()\n"
        "    for user in users:\n"
        "        pending.add(asyncio.create_task(user.notify()))\n"
        "    await asyncio.gather(*pending)\n"
    ),
    autofix="",
)
TRK104 = RuleInfo(
    code="TRK104",
    name="task-in-loop-callback",
    message="the event loop discards what this {kind} returns, so its task is never kept: "
    "schedule a function that keeps the task",
    summary="A task created by a lambda or functools.partial that the event loop calls and "
    "whose return value it discards.",
    explanation=(
        "call_soon, call_later, call_at, add_signal_handler, add_reader, add_writer,\n"
        "signal.signal and a future's add_done_callback ignore what their callback returns.\n"
        "A lambda or functools.partial that creates a task there drops it at once; the task\n"
        "may be collected before it runs. Schedule a named function that stores the task in a\n"
        "tracking set instead."
    ),
    bad=(
        "import asyncio\n\n\n"
        "def schedule(loop, job):\n"
        "    loop.call_later(5, lambda: asyncio.create_task(job()))\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "def _start(job):\n"
        "    task = asyncio.create_task(job())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n\n\n"
        "def schedule(loop, job):\n"
        "    loop.call_later(5, _start, job)\n"
    ),
    autofix="lambdas, whose task is kept by a `_keep()` helper where the lambda makes it",
)
TRK105 = RuleInfo(
    code="TRK105",
    name="discarded-threadsafe-future",
    message="the future from run_coroutine_threadsafe() is never kept, so its task may be "
    "garbage-collected: keep the future or call .result()",
    summary="The concurrent future returned by asyncio.run_coroutine_threadsafe() is thrown away.",
    explanation=(
        "run_coroutine_threadsafe() wraps the coroutine in a task on the target loop and\n"
        "returns a concurrent.futures.Future chained to it. The two reference only each other;\n"
        "if the caller drops the future, the pair can be collected before the task finishes."
    ),
    bad=(
        "import asyncio\n\n\n"
        "def submit(loop, coro):\n"
        "    asyncio.run_coroutine_threadsafe(coro, loop)\n"
    ),
    good=(
        "import asyncio\n\n\n"
        "def submit(loop, coro):\n"
        "    return asyncio.run_coroutine_threadsafe(coro, loop).result()\n"
    ),
    autofix="",
)
TRK106 = RuleInfo(
    code="TRK106",
    name="unawaited-gather",
    message="{call}() is neither awaited nor kept, so the tasks it wraps may be "
    "garbage-collected: await it",
    summary="asyncio.gather() or asyncio.shield() called and discarded without await.",
    explanation=(
        "gather() and shield() wrap their arguments in tasks and return a future that is the\n"
        "only strong link to them. Called as a statement without await, nothing waits for\n"
        "the result and nothing keeps the wrapped tasks alive."
    ),
    bad=(
        "import asyncio\n\n\n"
        "async def warm_up(cache, keys):\n"
        "    asyncio.gather(*(cache.load(key) for key in keys))\n"
    ),
    good=(
        "import asyncio\n\n\n"
        "async def warm_up(cache, keys):\n"
        "    await asyncio.gather(*(cache.load(key) for key in keys))\n"
    ),
    autofix="",
)

INFOS = (TRK101, TRK102, TRK103, TRK104, TRK105, TRK106)


@functools.lru_cache(maxsize=16)
def trigger(settings: Settings) -> Trigger:
    """A task API call, or a user factory."""
    names = [*TASK_API_NAMES, *last_names(settings.task_factories)]
    awaited = "|".join(AWAITED_API_NAMES)
    pattern = (
        rf"\b(?:{'|'.join(map(re.escape, names))})\b"
        # `asyncio.Task` in an annotation (`Task[None]`, `Task | None`) is no task
        r"|\bTask\s*[(,)]"
        rf"|(?<!await )(?<!await asyncio\.)\b(?:{awaited})\b"
    )
    return Trigger(
        (*names, "Task", *AWAITED_API_NAMES),
        pattern,
        # calls of the project's task factories this module imports
        project_words=functools.partial(imported_factory_words, settings=settings),
    )


FAMILY = Family(INFOS, trigger, "lint_rules.rules.tasks.rule:TaskRules")
