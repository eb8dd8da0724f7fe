"""The module-level code the fixes insert after a module's header (each piece starts with
the blank lines that set it off from the one before): the tracking set, typed;
``_keep(task)``, which keeps a task where it is made; ``_drained(main)``, which runs an entry
coroutine and then waits, for a bounded time, for what it left running.

Each is built as text from the names the module reaches things by (``asyncio`` may be
imported under another name, ``set`` may not be the builtin, ``Any`` may be taken) and typed
so that ``mypy --strict`` and pyright accept it. Annotations that subscript ``set`` or
``asyncio.Future`` are strings: never evaluated, so valid on every Python from 3.8 on, with
or without ``from __future__ import annotations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class Names:
    """How the module reaches what the inserted code uses."""

    asyncio: str  # the asyncio module
    any: str  # typing.Any
    set: str  # the builtin set: "set", or "builtins.set" when the module may shadow it


def tracking_set(name: str, names: Names) -> str:
    return f'{name}: "{names.set}[{names.asyncio}.Future[{names.any}]]" = {names.set}()\n'


def element_type(names: Names) -> str:
    """What the inserted tracking set holds: every task and future the fixes add to it."""
    return f"{names.asyncio}.Future[{names.any}]"


def keeper(name: str, type_var: str, type_var_call: str, tracking_set: str, bound: str) -> str:
    """``name(task)``: puts ``task`` in ``tracking_set`` until it is done, and returns it (its
    type unchanged: ``type_var``, bound to what the set holds)."""
    return (
        "\n"
        f'{type_var} = {type_var_call}("{type_var}", bound="{bound}")\n'
        "\n\n"
        f"def {name}(task: {type_var}) -> {type_var}:\n"
        f'    """Keep ``task`` alive until it is done: the event loop holds only a weak\n'
        f'    reference to it (inserted by lint-rules fix)."""\n'
        f"    {tracking_set}.add(task)\n"
        f"    task.add_done_callback({tracking_set}.discard)\n"
        "    return task\n"
    )


def drainer(
    name: str,
    names: Names,
    awaitable: str,
    sets: Sequence[str],
    drains: Sequence[str],
    timeout: float,
) -> str:
    """``name(main)``: awaits ``main``, then waits up to ``timeout`` seconds for the tasks
    left in each of ``sets``, then up to ``timeout`` seconds for each library drain call of
    ``drains``; what is still running after that is left to the caller (``asyncio.run``
    cancels it). Exceptions from ``main`` propagate without waiting."""
    lines = [
        "\n",
        f'async def {name}(main: "{awaitable}[{names.any}]") -> {names.any}:',
        f'    """Await ``main``, then wait up to {timeout} seconds for each drain of what it left',
        '    running; asyncio.run cancels what still runs after that (lint-rules fix --drain)."""',
        "    result = await main",
    ]
    for tracking in sets:
        lines += [
            f"    if {tracking}:",
            f"        await {names.asyncio}.wait({{*{tracking}}}, timeout={timeout})",
        ]
    for drain in drains:
        lines += [
            "    try:",
            f"        await {names.asyncio}.wait_for({drain}, timeout={timeout})",
            f"    except {names.asyncio}.TimeoutError:",
            "        pass",
        ]
    lines.append("    return result")
    return "\n".join(lines) + "\n"


def parse_lines(code: str, module: cst.Module) -> list[cst.BaseStatement]:
    """``code``'s statements, parsed with ``module``'s indentation and newlines."""
    config = module.config_for_parsing
    parsed = cst.parse_module(code.replace("    ", config.default_indent), config)
    return list(parsed.body)
