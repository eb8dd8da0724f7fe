"""The project holds itself to what it asks of others: Ruff-clean, Ruff-formatted, and no
finding of its own plugin outside the deliberately bad fixtures and examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # ruff and flake8 over the whole project

REPOSITORY = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=REPOSITORY, capture_output=True, text=True
    )


def test_ruff_check_and_format_pass() -> None:
    check = run("ruff", "check", "--no-cache", ".")
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = run("ruff", "format", "--no-cache", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_own_plugin_finds_nothing_in_the_project() -> None:
    result = run("flake8", "--select=TRK", "--exclude=tests/fixtures,.venv", "lint_rules", "tests")
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr
