"""``lint-rules fix`` never changes what a program does beyond keeping its tasks alive (and,
with ``--drain``, letting them finish): each runnable golden case runs before and after the
fix (``<case>.py`` and ``<case>.fixed.py`` of tests/fixtures/fix/) with the same output and
exit status, within a time limit. A case whose drained tasks now finish declares the lines
they add.

Hostile shapes, each of which a rewrite once broke: class bodies run by a metaclass,
functions reading their own locals, a tracking set bound after the code that uses it,
``set`` shadowed, docstrings sharing a line, drains inside ``async with``, endless tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_fix_fixtures import FIXTURES, MODULES, golden

pytestmark = pytest.mark.slow  # each program runs in its own interpreter, twice

TIME_LIMIT = 20  # seconds: a fix that makes a program hang fails here
# case -> lines the fixed program adds (tasks that now finish); others print the same
RUNNABLE: dict[str, tuple[str, ...]] = {
    "class_namespaces": (),
    "locals_introspection": (),
    "set_bound_late": (),
    "set_star_import": (),
    "set_shadowed": (),
    "docstring_same_line": (),
    "dispatch_docstring": (),
    "drain_lock": (),
    "drain_timeout": ("reported",),
    "drain_endless": (),
}
NEEDS = {"drain_timeout": (3, 11)}  # asyncio.timeout()


def run(script: Path) -> tuple[int, list[str], str]:
    environment = {**os.environ, "PYTHONPATH": str(MODULES), "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-B", script.name],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        env=environment,
    )
    return result.returncode, result.stdout.splitlines(), result.stderr


def test_every_runnable_case_exists() -> None:
    missing = [name for name in RUNNABLE if not (FIXTURES / f"{name}.py").exists()]
    assert not missing


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_the_fixed_program_runs_as_the_original(name: str) -> None:
    version = NEEDS.get(name)
    if version and sys.version_info < version:
        pytest.skip(f"{name} needs Python {'.'.join(map(str, version))}")
    case = FIXTURES / f"{name}.py"
    assert golden(case).read_bytes() != case.read_bytes(), "the fix changed nothing"
    status, output, errors = run(case)
    assert status == 0, errors
    fixed_status, fixed_output, fixed_errors = run(golden(case))
    assert fixed_status == status, fixed_errors
    added = RUNNABLE[name]
    assert [line for line in fixed_output if line not in added] == output
    assert all(line in fixed_output and line not in output for line in added)
