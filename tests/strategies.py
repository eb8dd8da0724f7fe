"""Hypothesis strategies for the fuzz tests (tests/test_reliability_fuzz.py).

``async_modules()`` composes whole modules from the shapes docs/rules.md describes: task-creating
calls (``create_task``, ``ensure_future``, ``asyncio.Task``, ``loop.create_task`` on every kind of
receiver, import aliases), the ways their result is dropped or kept (statements, bindings,
walrus, tuple and chained assignments, local sets, module-level sets, awaits, returns,
``global``, attributes), lambdas and ``functools.partial`` given to ``call_soon`` and friends,
``gather``/``shield``/``run_coroutine_threadsafe``, ``TaskGroup`` blocks; inside functions,
async functions, nested functions, methods of classes that keep ``self.loop``, class bodies
and module-level code; in blocks, one-line suites and ``;``-joined lines, with comments,
blank lines, several indentation styles and line endings, and the names the codemod would
like to use (``_task``, ``_background_tasks``) sometimes already taken. A third of the modules
also hold LiteLLM callback classes (with and without a dispatch-mode declaration, valid or
not), a registration, an entry coroutine that drains or not, and its entry point.

``kept_modules()`` uses only shapes that keep their task, ``spliced_modules()`` appends such
code to a module from ``hypothesmith`` (arbitrary valid Python around it). Every module they
give compiles (the strategies are built to; a final filter guards it).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

from hypothesis import strategies as st

# -- what the code is made of ------------------------------------------------------------------

COROUTINES = ("job()", "job(1)", "fetch(url, timeout=3)", "asyncio.sleep(0)", "coro", "self_()")
LOCAL_NAMES = ("task", "t", "_task", "worker", "pending_task", "result")
COMMENTS = ("# fire and forget", "# noqa: E501", "# TODO: keep it", "#", "# type: ignore")
FACTORIES = (
    "asyncio.create_task",
    "asyncio.ensure_future",
    "asyncio.Task",
    "asyncio.tasks.create_task",
    "aio.create_task",
    "aio.ensure_future",
    "spawn",
    "ensure_future",
    "loop.create_task",
    "event_loop.create_task",
    "self_loop.create_task",
    "running.create_task",
    "asyncio.get_running_loop().create_task",
    "asyncio.get_event_loop().create_task",
)
HEADER_IMPORTS = (
    "import asyncio as aio",
    "from asyncio import create_task as spawn",
    "from asyncio import ensure_future",
    "import functools",
    "import logging",
    "from typing import Any",
)
LOOP_CALLBACKS = ("call_soon", "call_soon_threadsafe", "call_later", "call_at", "add_reader")


@dataclass(frozen=True)
class Where:
    """What the statement being drawn is inside of (what is legal there)."""

    function: bool = False  # return is legal
    is_async: bool = False  # await, async with, async for are legal
    method: bool = False  # self and self.loop exist
    depth: int = 0  # nesting of compound statements
    kept_only: bool = False  # draw only shapes that keep their task


# A statement is a list of (extra indentation, text) lines; a compound statement's body lines
# carry one more level than its header.
Lines = list[tuple[int, str]]


# -- expressions ---------------------------------------------------------------------------------


@st.composite
def task_call(draw: st.DrawFn, where: Where) -> str:
    """One task-creating call."""
    factories = list(FACTORIES)
    if where.method:
        factories += ["self.loop.create_task", "self._loop.create_task"]
    factory = draw(st.sampled_from(factories))
    argument = draw(st.sampled_from(COROUTINES))
    extra = draw(st.sampled_from(["", "", "", ', name="worker"']))
    if factory.endswith("ensure_future") or factory == "asyncio.Task":
        extra = ""  # ensure_future takes loop=, not name=; keep the call plausible
    if draw(st.integers(0, 9)) == 0:  # arguments on their own line
        return f"{factory}(\n    {argument}{extra},\n)"
    return f"{factory}({argument}{extra})"


def _fresh(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(LOCAL_NAMES))


# -- simple statements -----------------------------------------------------------------------------


@st.composite
def dropping_statement(draw: st.DrawFn, where: Where) -> Lines:
    """Shapes that drop the task (or may): what the rules report and the codemod rewrites."""
    call = draw(task_call(where))
    name = _fresh(draw)
    other = draw(st.sampled_from([n for n in LOCAL_NAMES if n != name]))
    shapes = [
        [call],
        [f"({call})"],
        [f"{call}.add_done_callback(print)"],
        [f'{call}.set_name("w")'],
        [f"print({call})"],
        [f'logging.info("started %s", {call})'],
        [f"[{call} for _i in range(3)]"],
        [f"{call} if flag else None"],
        [f"flag and {call}"],
        [f"{name} = {call}"],
        [f"{name}: asyncio.Task[Any] = {call}"],
        [f"{name} = {other} = {call}"],
        [f"{name} = {name} = {call}"],
        [f"{name}, {other}_b = {call}, None"],
        [f"({name} := {call})"],
        [f"{name} = {call}", f"{name}.add_done_callback(print)"],
        [f"{name} = {call}", f"{name} = {call.replace('job()', 'job(2)')}"],
        [f"{name} = {call}", f"del {name}"],
        ["pending = set()", f"pending.add({call})"],
        ["pending = []", f"{name} = {call}", f"pending.append({name})"],
        [f"loop.{draw(st.sampled_from(LOOP_CALLBACKS))}(lambda: {call})"],
        [f"loop.call_later(1, lambda: {call})"],
        ["loop.call_soon(functools.partial(asyncio.create_task, job()))"],
        ["asyncio.gather(job(), job())"],
        [f"asyncio.shield({call})"],
        ["asyncio.run_coroutine_threadsafe(job(), loop)"],
        ["future = asyncio.run_coroutine_threadsafe(job(), loop)"],
    ]
    return [(0, line) for line in draw(st.sampled_from(shapes))]


@st.composite
def keeping_statement(draw: st.DrawFn, where: Where) -> Lines:
    """Shapes that keep their task."""
    call = draw(task_call(where))
    name = _fresh(draw)
    number = draw(st.integers(1, 99))
    shapes = [
        [f"kept_tasks.append({call})"],
        [f"_background_tasks.add({call})"],
        [f"{name} = {call}", f"kept_tasks.append({name})"],
        [f"{name} = {call}", f"{name}.cancel()"],
        [f"{name} = {call}", f"consume({name})"],
        [f"registry[{number}] = {call}"],
        [f"global_{number} = {call}"] if not where.function else [f"consume({call})"],
        [f"global kept_{number}", f"kept_{number} = {call}"],
        ["asyncio.run_coroutine_threadsafe(job(), loop).result()"],
    ]
    if where.function:
        shapes += [[f"return {call}"], [f"{name} = {call}", f"return {name}"]]
    if where.is_async:
        shapes += [
            [f"await {call}"],
            [f"{name} = {call}", f"await {name}"],
            [f"await asyncio.gather({call}, job())"],
            ["pending = set()", f"pending.add({call})", "await asyncio.gather(*pending)"],
            [f"await asyncio.wait_for({call}, 1)"],
        ]
    if where.method:
        shapes += [[f"self.tasks.add({call})"], [f"self.task = {call}"]]
    return [(0, line) for line in draw(st.sampled_from(shapes))]


@st.composite
def filler_statement(draw: st.DrawFn, where: Where) -> Lines:
    """Ordinary code around the tasks."""
    shapes = [
        ["pass"],
        ["flag = not flag"],
        ['print("working")'],
        ["items = [job, job]"],
        ["_task = None"],
        ["_background_tasks_1 = 0"],
        ["running = asyncio.get_running_loop()"],
        ["loop = asyncio.new_event_loop()"],
        ["self_loop = get_loop()"],
    ]
    if where.is_async:
        shapes += [["await asyncio.sleep(0)"]]
    if where.function:
        shapes += [["return"], ["return None"]]
    return [(0, line) for line in draw(st.sampled_from(shapes))]


@st.composite
def simple_statement(draw: st.DrawFn, where: Where) -> Lines:
    kinds = [keeping_statement(where), filler_statement(where)]
    if not where.kept_only:
        kinds += [dropping_statement(where)] * 3
    lines = draw(st.one_of(kinds))
    comment = draw(st.sampled_from(["", "", "", *COMMENTS]))
    if comment and "\n" not in lines[-1][1]:
        lines[-1] = (lines[-1][0], f"{lines[-1][1]}  {comment}")
    if draw(st.integers(0, 7)) == 0:
        lines.insert(0, (0, draw(st.sampled_from(COMMENTS))))
    return lines


@st.composite
def one_line_body(draw: st.DrawFn, where: Where) -> str:
    """Simple statements joined by ``;``, for a one-line suite: no multi-line ones."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 2))):
        lines = draw(simple_statement(where))
        texts = [text for _, text in lines if not text.startswith("#")]
        if any("\n" in text or "#" in text for text in texts):
            texts = ["pass"]
        parts.extend(texts)
    return "; ".join(parts)


# -- compound statements ------------------------------------------------------------------------


def _nest(body: Lines) -> Lines:
    return [(level + 1, text) for level, text in body]


@st.composite
def block(draw: st.DrawFn, where: Where, min_size: int = 1) -> Lines:
    """The statements of a suite."""
    lines: Lines = []
    for _ in range(draw(st.integers(min_size, 3))):
        if draw(st.booleans()) and lines:
            lines.append((0, ""))
        lines.extend(draw(statement(where)))
    return lines


@st.composite
def compound_statement(draw: st.DrawFn, where: Where) -> Lines:
    inner = replace(where, depth=where.depth + 1)
    kind = draw(
        st.sampled_from(
            ["if", "if-else", "for", "while", "try", "with", "one-line", "def", "lambda-def"]
            + (["async-with", "async-for", "taskgroup"] if where.is_async else [])
            + (["match"] if sys.version_info >= (3, 10) else [])
        )
    )
    body = draw(block(inner))
    if kind == "if":
        return [(0, "if flag:"), *_nest(body)]
    if kind == "if-else":
        return [(0, "if flag:"), *_nest(body), (0, "else:"), *_nest(draw(block(inner)))]
    if kind == "for":
        return [(0, "for _i in items:"), *_nest(body)]
    if kind == "while":
        return [(0, "while flag:"), *_nest(body)]
    if kind == "try":
        handler = draw(block(inner))
        lines = [(0, "try:"), *_nest(body), (0, "except Exception:"), *_nest(handler)]
        if draw(st.booleans()):
            lines += [(0, "finally:"), *_nest(draw(block(inner)))]
        return lines
    if kind == "with":
        return [(0, "with context() as handle:"), *_nest(body)]
    if kind == "async-with":
        return [(0, "async with lock:"), *_nest(body)]
    if kind == "async-for":
        return [(0, "async for _i in stream():"), *_nest(body)]
    if kind == "taskgroup":
        return [
            (0, "async with asyncio.TaskGroup() as tg:"),
            (1, "tg.create_task(job())"),
            *_nest(body),
        ]
    if kind == "match":
        return [
            (0, "match flag:"),
            (1, "case 1:"),
            *_nest(_nest(body)),
            (1, "case _:"),
            (2, "pass"),
        ]
    if kind == "one-line":
        header = draw(st.sampled_from(["if flag", "for _i in items", "while flag", "else"]))
        suite = draw(one_line_body(inner))
        if header == "else":
            return [(0, "if flag:"), (1, "pass"), (0, f"else: {suite}")]
        return [(0, f"{header}: {suite}")]
    if kind == "lambda-def":
        call = draw(task_call(where))
        return [(0, f"start = lambda: {call}")]
    return draw(function_definition(inner, is_async=draw(st.booleans())))


@st.composite
def function_definition(draw: st.DrawFn, where: Where, is_async: bool) -> Lines:
    inner = replace(where, function=True, is_async=is_async)
    name = draw(st.sampled_from(["spawn", "main", "handler", "_run", "refresh"]))
    parameters = draw(st.sampled_from(["", "loop", "loop: asyncio.AbstractEventLoop", "*args"]))
    if where.method:
        parameters = "self" + (f", {parameters}" if parameters else "")
    header = f"{'async ' if is_async else ''}def {name}({parameters}):"
    lines: Lines = [(0, header)]
    if draw(st.integers(0, 4)) == 0:
        lines.append((1, '"""Docstring."""'))
    return lines + _nest(draw(block(inner)))


@st.composite
def class_definition(draw: st.DrawFn, where: Where) -> Lines:
    """A class that keeps an event loop on ``self``, with methods and class-body code."""
    method = replace(where, method=True, depth=where.depth + 1)
    loop_source = draw(
        st.sampled_from(["loop", "asyncio.get_running_loop()", "asyncio.new_event_loop()"])
    )
    lines: Lines = [
        (0, f"class Service{draw(st.sampled_from(['', '(Base)', '(object)']))}:"),
        (1, "def __init__(self, loop):"),
        (2, f"self.loop = {loop_source}"),
        (2, "self.tasks = set()"),
    ]
    if draw(st.booleans()):
        body = draw(block(replace(where, depth=where.depth + 1), min_size=1))
        lines += [(1, ""), *_nest(body)]
    for _ in range(draw(st.integers(1, 2))):
        lines += [(1, ""), *_nest(draw(function_definition(method, draw(st.booleans()))))]
    return lines


@st.composite
def statement(draw: st.DrawFn, where: Where) -> Lines:
    if where.depth >= 2 or draw(st.integers(0, 2)) > 0:
        return draw(simple_statement(where))
    return draw(compound_statement(where))


# -- modules -----------------------------------------------------------------------------------


@st.composite
def module_header(draw: st.DrawFn) -> list[str]:
    lines: list[str] = []
    if draw(st.booleans()):
        lines.append('"""A module."""')
    if draw(st.booleans()):
        lines.append("from __future__ import annotations")
    lines.append("import asyncio")
    lines.extend(draw(st.lists(st.sampled_from(HEADER_IMPORTS), unique=True, max_size=6)))
    taken = draw(
        st.sampled_from(
            ["", "", "_background_tasks = set()", "_background_tasks = []", "_task = 1"]
        )
    )
    if taken:
        lines += ["", taken]
    lines += ["kept_tasks = []", "registry = {}"]
    return lines


def render(header: list[str], body: Lines, indent: str, newline: str) -> str:
    """The module's text: ``indent`` per level, ``newline`` at every line end (continuation
    lines of a multi-line call get one more level)."""
    out = [*header, ""]
    for level, text in body:
        first, *rest = text.split("\n")
        out.append(indent * level + first if first else "")
        out.extend(indent * (level + (0 if part.startswith(")") else 1)) + part.strip()
                   for part in rest)  # fmt: skip
    return newline.join(out) + newline


# -- LiteLLM callbacks (TRK2xx, TRK3xx) ------------------------------------------------------

CALLBACK_IMPORTS = [
    "import litellm",
    "from litellm.integrations.custom_logger import CustomLogger",
    "from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER",
    "from typing import ClassVar",
]
HOOK_PARAMETERS = "(self, kwargs, response_obj, start_time, end_time)"


@st.composite
def callback_class(draw: st.DrawFn, where: Where, number: int) -> Lines:
    """A CustomLogger subclass: an async hook, a dispatch-mode declaration or none."""
    base = "CustomLogger" if number == 0 else draw(st.sampled_from(["CustomLogger", "Audit0"]))
    declaration = draw(st.sampled_from([
        "", 'dispatch_mode = "blocking"', 'dispatch_mode = "fire_and_forget"',
        'dispatch_mode: ClassVar[str] = "blocking"', 'dispatch_mode = "sometimes"',
        "dispatch_mode = MODE",
    ]))  # fmt: skip
    hook = replace(where, function=True, is_async=True, method=True, depth=where.depth + 2)
    lines: Lines = [(0, f"class Audit{number}({base}):")]
    if declaration:
        lines.append((1, declaration))
    lines += [(1, f"async def async_log_success_event{HOOK_PARAMETERS}:"), *_nest(_nest(
        draw(block(hook))))]  # fmt: skip
    if draw(st.booleans()):
        lines += [(1, f"def log_success_event{HOOK_PARAMETERS}:"), (2, "pass")]
    return lines


REGISTRATIONS = (
    "litellm.callbacks = [handler]",
    "litellm.callbacks.append(handler)",
    "litellm.callbacks += [handler]",
    "litellm.success_callback.append(async_hook)",
    "litellm.logging_callback_manager.add_litellm_callback(handler)",
    'setattr(litellm, "callbacks", [handler])',
)
DRAINS = (
    "",
    "await GLOBAL_LOGGING_WORKER.flush()",
    "await asyncio.gather(*_background_tasks)",
    "await handler.flush_queue()",
)
ENTRY_POINTS = (
    ["asyncio.run(main())"],
    ["asyncio.Runner().run(main())"],
    ["loop = asyncio.new_event_loop()", "loop.run_until_complete(main())", "loop.close()"],
)


@st.composite
def callback_part(draw: st.DrawFn, where: Where) -> Lines:
    """Callback classes, a registration, an entry coroutine that may drain, its entry point."""
    lines: Lines = []
    for number in range(draw(st.integers(1, 2))):
        lines += [(0, ""), *draw(callback_class(where, number))]
    lines += [
        (0, ""),
        (0, "async def async_hook(*args):"),
        (1, "pass"),
        (0, ""),
        (0, "handler = Audit0()"),
        (0, draw(st.sampled_from(REGISTRATIONS))),
        (0, ""),
        (0, "async def main():"),
        (1, 'await litellm.acompletion(model="m", messages=[])'),
    ]
    if draw(st.booleans()):
        lines.append((1, 'await litellm.acompletion(model="m", messages=[], callbacks=[handler])'))
    drain = draw(st.sampled_from(DRAINS))
    if drain:
        lines.append((1, drain))
    lines.append((0, ""))
    entry = draw(st.sampled_from(ENTRY_POINTS))
    if draw(st.booleans()):
        return [*lines, (0, 'if __name__ == "__main__":'), *((1, line) for line in entry)]
    return [*lines, *((0, line) for line in entry)]


@st.composite
def _modules(draw: st.DrawFn, kept_only: bool) -> str:
    header = draw(module_header())
    top = Where(kept_only=kept_only)
    body: Lines = []
    if draw(st.integers(0, 2)) == 0:
        header += CALLBACK_IMPORTS
        body += draw(callback_part(top))
    for _ in range(draw(st.integers(1, 3))):
        body.append((0, ""))
        choice = draw(st.sampled_from(["function", "async", "class", "module"]))
        if choice == "class":
            body += draw(class_definition(top))
        elif choice == "module":
            body += draw(block(top))
        else:
            body += draw(function_definition(top, is_async=choice == "async"))
    if draw(st.booleans()):
        body += [(0, ""), (0, 'if __name__ == "__main__":'), (1, "asyncio.run(main())")]
    indent = draw(st.sampled_from(["    ", "    ", "  ", "\t"]))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return render(header, body, indent, newline)


def compiles(source: str) -> bool:
    try:
        compile(source, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def async_modules() -> st.SearchStrategy[str]:
    """Modules made of every task shape the rules know, dropped and kept."""
    return _modules(kept_only=False).filter(compiles)


def kept_modules() -> st.SearchStrategy[str]:
    """Modules whose tasks are all kept: no finding, so the codemod must leave them alone."""
    return _modules(kept_only=True).filter(compiles)


def spliced_modules() -> st.SearchStrategy[str]:
    """Arbitrary valid Python from hypothesmith, with task code after it."""
    import hypothesmith

    python = hypothesmith.from_grammar().filter(compiles)
    tail = _modules(kept_only=False)
    return st.builds(lambda head, rest: head.rstrip("\\\n") + "\n" + rest, python, tail).filter(
        compiles
    )
