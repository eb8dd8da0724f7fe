"""The asyncio API the rules recognise, by qualified name (``asyncio.tasks.create_task`` is
canonicalised to ``asyncio.create_task`` first: ``lint_rules.engine.names.canonical``)."""

from __future__ import annotations

TASK_FACTORIES = frozenset({"asyncio.create_task", "asyncio.ensure_future", "asyncio.Task"})
LOOP_FACTORIES = frozenset(
    {
        "asyncio.get_running_loop",
        "asyncio.get_event_loop",
        "asyncio.new_event_loop",
        "uvloop.new_event_loop",
    }
)
LOOP_TYPES = frozenset({"asyncio.AbstractEventLoop", "asyncio.BaseEventLoop", "uvloop.Loop"})
TASKGROUP_TYPES = frozenset({"asyncio.TaskGroup"})
FUTURE_FACTORIES = frozenset({"asyncio.Future", "asyncio.wrap_future"})

# the calls TRK1xx judges, by the last part of their name (the trigger words)
TASK_API_NAMES = ("create_task", "ensure_future", "run_coroutine_threadsafe")
AWAITED_API_NAMES = ("gather", "shield")  # almost always awaited: `await x.gather(` is skipped

# methods that call a callback and throw its result away: callback argument position
CALLBACK_POSITIONS = {
    "add_done_callback": 0,
    "call_soon": 0,
    "call_soon_threadsafe": 0,
    "call_later": 1,
    "call_at": 1,
    "add_signal_handler": 1,
    "add_reader": 1,
    "add_writer": 1,
}
FUTURE_METHODS = frozenset({"create_future", "run_in_executor"})  # loop methods
LOOP_RUNNERS = frozenset({"run_forever", "run_until_complete"})  # loop methods that block
LONG_RUNNING_METHODS = frozenset({"serve_forever", "run_forever"})
# calls that read their arguments and let go of them
NON_KEEPING_BUILTINS = frozenset(
    {"print", "str", "repr", "id", "type", "isinstance", "hash", "format", "bool", "ascii", "len"}
)
NON_KEEPING_FUNCTIONS = frozenset(
    {"inspect.isawaitable", "inspect.iscoroutine", "asyncio.iscoroutine", "asyncio.isfuture"}
)
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
# a task's methods that neither keep it nor wait for it (result() and exception() only read a
# task that is done; on a concurrent future they block until it is)
READ_ONLY_TASK_METHODS = frozenset(
    {
        "add_done_callback",
        "remove_done_callback",
        "set_name",
        "get_name",
        "done",
        "cancelled",
        "get_coro",
        "get_loop",
        "get_stack",
        "print_stack",
        "result",
        "exception",
    }
)
# what awaits a set of tasks: gather(*tasks), wait(tasks), ...
SET_WAITERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.wait_for", "asyncio.shield"})
