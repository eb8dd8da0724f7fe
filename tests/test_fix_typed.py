"""Typed code stays typed: tests/fixtures/fix_typed/ (functions, methods, classes, modules with
and without ``from __future__ import annotations``, asyncio under an alias, typing names
taken, a typed set of the module's own) passes ``mypy --strict`` and basedpyright (strict)
before and after ``lint-rules fix``, which fixes every finding in it. Both checkers run for
real, offline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two type checkers, twice

PACKAGE = Path(__file__).parent / "fixtures" / "fix_typed"


def _check(root: Path, *command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _type_check(root: Path) -> None:
    _check(root, "mypy", "--strict", "--cache-dir", str(root / ".mypy_cache"), "typedpkg")
    _check(root, "basedpyright", "typedpkg")


@pytest.fixture
def package(tmp_path: Path) -> Path:
    pytest.importorskip("mypy", reason="mypy is a test extra: pip install -e '.[test]'")
    pytest.importorskip("basedpyright", reason="basedpyright is a test extra")
    root = tmp_path / "fix_typed"
    shutil.copytree(PACKAGE, root)
    return root


def test_the_typed_package_type_checks_before_and_after_the_fix(package: Path) -> None:
    _type_check(package)
    before = {path.name: path.read_bytes() for path in package.glob("typedpkg/*.py")}
    fix = subprocess.run(
        [sys.executable, "-m", "lint_rules", "fix", "typedpkg"],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fix.returncode == 0, fix.stderr
    assert fix.stderr.rstrip().endswith("0 left, 0 failed"), fix.stderr
    changed = {
        path.name
        for path in package.glob("typedpkg/*.py")
        if path.read_bytes() != before[path.name]
    }
    assert changed == set(before) - {"__init__.py"}
    _type_check(package)
