"""TRK2xx: what the family reports (its codes, in the words users read) and what wakes it.

Importable without libcst (``lint_rules.engine.info``).
"""

from __future__ import annotations

import functools
import re

from lint_rules.engine.info import Family, FixOption, RuleInfo
from lint_rules.engine.project import Project
from lint_rules.engine.triggers import Trigger, last_names
from lint_rules.settings import Settings

TRK201 = RuleInfo(
    code="TRK201",
    name="undrained-callbacks",
    message="{entry} ends the loop when {coroutine}() returns, cancelling the async callback "
    "registered on line {line} if it is still running: {drain} before it returns",
    summary="An async callback is registered and a short-lived asyncio.run() entry point "
    "returns without draining the callbacks running in the background.",
    explanation=(
        "LiteLLM runs async success/stream callbacks as background tasks. asyncio.run()\n"
        "cancels every task still pending when the entry coroutine returns, so in a short\n"
        "script the callback is cancelled or never runs, silently (LiteLLM issue #8842).\n"
        "Await the library's drain before the coroutine returns: for LiteLLM 1.110.2,\n"
        "litellm.responses.streaming_iterator.drain_logging_tasks() and then\n"
        "litellm.litellm_core_utils.logging_worker.GLOBAL_LOGGING_WORKER.flush() (a batch\n"
        "logger also needs its flush_queue()). Registrations: litellm.callbacks and the other\n"
        "callback lists (=, +=, append, extend, insert, setattr), the logging callback\n"
        "manager, per-call callbacks=/success_callback=, and --trk-callback-registries\n"
        "(with their drains in --trk-drain-calls, as module.function or\n"
        "module:OBJECT.method). Registered: instances of classes of the module overriding a\n"
        "hook LiteLLM runs in the background (async_log_success_event,\n"
        "async_log_stream_event, ...), and async def functions; failure hooks and lists are\n"
        "awaited inline and do not count. A registration inside a function counts only if\n"
        "that function runs before the entry point (it is reached from module level, from\n"
        "the function holding the entry call, or from the entry coroutine). So does one a\n"
        "module of the project makes when the script imports it (directly or through the\n"
        "modules it imports), or a function of the project the script calls before the\n"
        "entry point returns: the message names that module and line. Long-running\n"
        "servers and library code without a short-lived entry point are never reported."
    ),
    bad=(
        "import asyncio\n\n"
        "import litellm\n"
        "from litellm.integrations.custom_logger import CustomLogger\n\n\n"
        "class Billing(CustomLogger):\n"
        '    dispatch_mode = "fire_and_forget"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await charge(kwargs)\n\n\n"
        "litellm.callbacks.append(Billing())\n\n\n"
        "async def main():\n"
        '    await litellm.acompletion(model="gpt-4o-mini", messages=[])\n\n\n'
        "asyncio.run(main())\n"
    ),
    good=(
        "import asyncio\n\n"
        "import litellm\n"
        "from litellm.integrations.custom_logger import CustomLogger\n"
        "from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER\n"
        "from litellm.responses.streaming_iterator import drain_logging_tasks\n\n\n"
        "class Billing(CustomLogger):\n"
        '    dispatch_mode = "fire_and_forget"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await charge(kwargs)\n\n\n"
        "litellm.callbacks.append(Billing())\n\n\n"
        "async def main():\n"
        '    await litellm.acompletion(model="gpt-4o-mini", messages=[])\n'
        "    await drain_logging_tasks()\n"
        "    await GLOBAL_LOGGING_WORKER.flush()\n\n\n"
        "asyncio.run(main())\n"
    ),
    autofix="the entry coroutine, with `--drain` (LiteLLM's drains or --trk-drain-calls)",
)
TRK202 = RuleInfo(
    code="TRK202",
    name="undrained-tracking-set",
    message="{entry} cancels the tasks left in '{name}' when {coroutine}() returns: await "
    "asyncio.gather(*{name}, return_exceptions=True) before it returns",
    summary="A module-level set keeps fire-and-forget tasks alive, but a short-lived "
    "asyncio.run() entry point returns without awaiting it.",
    explanation=(
        "A module-level tracking set (tasks.add(t); t.add_done_callback(tasks.discard))\n"
        "keeps background tasks from being garbage-collected, but it does not keep the event\n"
        "loop running: asyncio.run() cancels whatever is still in the set when the entry\n"
        "coroutine returns. In a short-lived script, await the set before returning. Only\n"
        "sets that receive tasks in the entry coroutine, or in what it calls, count."
    ),
    bad=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def main():\n"
        "    task = asyncio.create_task(send_report())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n\n\n"
        "asyncio.run(main())\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def main():\n"
        "    task = asyncio.create_task(send_report())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n"
        "    await asyncio.gather(*_background_tasks, return_exceptions=True)\n\n\n"
        "asyncio.run(main())\n"
    ),
    autofix="the entry coroutine, with `--drain`",
)

INFOS = (TRK201, TRK202)


@functools.lru_cache(maxsize=16)
def trigger(settings: Settings) -> Trigger:
    """An entry-point call (``run(``, ``run_until_complete(``, an alias ``run as go``), in a
    file that registers callbacks or adds to a set. No leading ``\\b`` in the pattern, so
    that ``re`` can skip ahead to the literal."""
    registries = last_names(settings.callback_registries)
    return Trigger(
        ("run(", "run_until_complete", "run as"),
        r"run(?:_until_complete)?\s*\(|run\s+as\b",
        requires=("callback", ".add", *registries),
        # or a project module it imports registers them
        project_requires=functools.partial(_imports_registrations, settings=settings),
    )


_CALLED = r"\s*\((?:\s|#[^\n]*)*(\w+)\s*\("  # `(c(`, capturing c


def runs_own_coroutine(text: str) -> bool:
    """The text has an entry-point call (``run(c(``, ``run_until_complete(c(``, through an
    alias ``run as go``) on a coroutine function ``c`` it defines: most files with ``run(``
    have none."""
    aliases = re.findall(r"run\s+as\s+(\w+)", text)
    runners = "|".join(["run", *map(re.escape, aliases)])
    called = set(re.findall(rf"(?:{runners})(?:_until_complete)?{_CALLED}", text))
    return any(re.search(rf"async\s+def\s+{name}\b", text) for name in called)


def _imports_registrations(source: str, path: str, project: Project, *, settings: Settings) -> bool:
    if not runs_own_coroutine(source):
        return False
    from lint_rules.rules.callbacks.imports import imports_registrations  # reads the project

    return imports_registrations(source, path, project, settings)


def _seconds(text: str) -> float:
    """A drain timeout: a positive, finite number of seconds."""
    import argparse
    import math

    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (seconds > 0 and math.isfinite(seconds)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return seconds


DRAIN = FixOption(
    "drain",
    "TRK201/TRK202: run a short-lived entry coroutine through a wrapper that then waits, "
    "for a bounded time, for the tasks and library callbacks it left running",
)
DRAIN_TIMEOUT = FixOption(
    "drain_timeout",
    "with --drain: seconds each wait of the inserted drain may last (default: 5.0)",
    value=_seconds,
)
FAMILY = Family(
    INFOS, trigger, "lint_rules.rules.callbacks.rule:CallbackRules", (DRAIN, DRAIN_TIMEOUT)
)
