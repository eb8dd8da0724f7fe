"""Generated programs run the same before and after ``lint-rules fix`` (property test).

Each program places task shapes (a discarded call, a name never kept, a comprehension, an
argument, a walrus, a lambda the loop calls) in the constructs that once broke a rewrite: a
plain function, a function that prints its own ``locals()``, an ``async with`` lock around a
``return``, an ``enum.Enum`` body, and optionally a module-level ``set`` that is not the
builtin and an endless task. It runs in its own interpreter (cyclic garbage collection off,
so that the unfixed program does not lose tasks at random) before and after the fix, with
and without ``--drain``: the output and the exit status must be the same, within a time
limit. The budget is a tenth of the hypothesis profile's (tests/conftest.py): 10 examples in
``.ci/run``, 200 with ``--hypothesis-profile=long`` (about six minutes on two cores).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.test_fix_behaviour import TIME_LIMIT, run

pytestmark = pytest.mark.slow  # each example runs two programs and the fixer

# a statement (or statements) that makes a task from the coroutine {c}
SHAPES = (
    "asyncio.create_task({c})",
    "task = asyncio.ensure_future({c})",
    "[asyncio.create_task({c}) for _ in range(1)]",
    'print("made", type(asyncio.create_task({c})).__name__)',
    "(made := asyncio.create_task({c}))",
    "asyncio.get_running_loop().call_soon(lambda: asyncio.create_task({c}))",
)

# where the shape runs: a function of the module, called (or awaited) by main()
CONSTRUCTS = {
    "plain": ("def spawn_{n}():\n    {shape}\n", "    spawn_{n}()\n"),
    "locals": (
        "def spawn_{n}():\n    {shape}\n    print({n}, sorted(locals()))\n",
        "    spawn_{n}()\n",
    ),
    "lock": (
        "async def spawn_{n}(lock):\n    async with lock:\n        {shape}\n        return {n}\n",
        "    print(await spawn_{n}(lock))\n",
    ),
    "enum": (
        "def spawn_{n}():\n    class Colour(enum.Enum):\n        RED = 1\n        {shape}\n"
        "    print({n}, [member.name for member in Colour])\n",
        "    spawn_{n}()\n",
    ),
}

placements = st.tuples(st.sampled_from(SHAPES), st.sampled_from(sorted(CONSTRUCTS)))


def program(placed: list[tuple[str, str]], shadow_set: bool, endless: bool) -> str:
    lines = ["import asyncio\nimport enum\nimport gc\n\ngc.disable()\n"]
    if shadow_set:
        lines.append("set = list  # not the builtin\n")
    lines.append(
        "\n\nasync def job(n):\n    await asyncio.sleep(0)\n    print('job', n, 'done')\n"
        "\n\nasync def forever():\n    while True:\n        await asyncio.sleep(0.01)\n"
    )
    calls = ["\n\nasync def main():\n    lock = asyncio.Lock()\n"]
    for n, (shape, construct) in enumerate(placed):
        definition, call = CONSTRUCTS[construct]
        indent = "        " if construct in ("lock", "enum") else "    "
        body = shape.format(c=f"job({n})").replace("\n", "\n" + indent)
        lines.append("\n\n" + definition.format(n=n, shape=body))
        calls.append(call.format(n=n))
    if endless:
        calls.append("    asyncio.create_task(forever())\n")
    calls.append("    await asyncio.sleep(0.05)  # every finite task finishes\n    return 0\n")
    lines.extend(calls)
    lines.append("\n\nprint('exit', asyncio.run(main()))\n")
    return "".join(lines)


def test_the_generated_program_is_what_the_docstring_says() -> None:
    source = program([(SHAPES[1], "enum")], shadow_set=True, endless=True)
    compile(source, "generated.py", "exec")
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "generated.py"
        script.write_text(source)
        status, out, err = run(script)
    assert (status, err) == (0, "")
    assert {"0 ['RED', 'task']", "job 0 done", "exit 0"} <= set(out)


@settings(
    # the profile's budget, a tenth of it: each example costs three interpreters
    max_examples=max(5, settings.default.max_examples // 10),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    placed=st.lists(placements, min_size=1, max_size=4),
    shadow_set=st.booleans(),
    endless=st.booleans(),
    drain=st.booleans(),
)
def test_the_fixed_program_prints_and_exits_as_the_original(
    placed: list[tuple[str, str]], shadow_set: bool, endless: bool, drain: bool
) -> None:
    source = program(placed, shadow_set, endless)
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "generated.py"
        script.write_text(source)
        before = run(script)
        fix = [sys.executable, "-m", "lint_rules", "fix", "--isolated", script.name]
        if drain:
            fix[4:4] = ["--drain", "--drain-timeout", "0.2"]
        fixed = subprocess.run(
            fix, cwd=directory, capture_output=True, text=True, timeout=TIME_LIMIT
        )
        assert fixed.returncode == 0, fixed.stderr
        after_source = script.read_text()
        after = run(script)
    # (a class attribute keeps its task: `task = ...` in an Enum body is not a finding)
    event("fixed" if after_source != source else "nothing to fix")
    assert after == before, f"{source}\n---- fixed:\n{after_source}"
