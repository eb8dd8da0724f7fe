"""Runtime proof: in each autofixable shape the task is garbage-collected before the fix and
survives and completes after it.

Each script of tests/fixtures/runtime/ starts jobs that park on a future nothing else holds
(``_proof.py``), collects garbage, wakes the jobs that survived and prints
``finished/expected``. The scripts run as subprocesses, on copies: once as written, once
after ``python -m lint_rules fix`` rewrote them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each program runs in its own interpreter, before and after the fix

RUNTIME = Path(__file__).parent / "fixtures" / "runtime"
SCRIPTS = sorted(path.name for path in RUNTIME.glob("*.py") if not path.name.startswith("_"))


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(as written, fixed): two copies of the scripts."""
    root = tmp_path_factory.mktemp("runtime")
    original, fixed = root / "original", root / "fixed"
    shutil.copytree(RUNTIME, original)
    shutil.copytree(RUNTIME, fixed)
    command = [sys.executable, "-m", "lint_rules", "fix", str(fixed)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return original, fixed


def _finished(script: Path) -> tuple[int, int]:
    result = subprocess.run(
        [sys.executable, "-B", script.name],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    finished, expected = result.stdout.strip().split("/")
    return int(finished), int(expected)


def test_every_shape_has_a_script() -> None:
    assert len(SCRIPTS) >= 15


@pytest.mark.parametrize("name", SCRIPTS)
def test_task_is_collected_before_the_fix_and_completes_after_it(
    name: str, copies: tuple[Path, Path]
) -> None:
    original, fixed = copies
    assert (fixed / name).read_bytes() != (original / name).read_bytes(), "fix changed nothing"
    finished, expected = _finished(original / name)
    assert finished < expected, "the task survived without the fix: the script proves nothing"
    assert _finished(fixed / name) == (expected, expected)
