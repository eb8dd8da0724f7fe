"""Running `lint-rules` in tests: in-process (fast) or as the installed executable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from lint_rules.cli import main
from lint_rules.rules import analyze, info_for


class Run(NamedTuple):
    status: int
    out: str
    err: str


def lint_rules(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """``lint-rules ARGS`` in this process (argparse usage errors become status 2)."""
    try:
        status = main(list(args))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return Run(status, captured.out, captured.err)


def executable(name: str) -> str:
    """An executable installed next to this interpreter (the test environment's own)."""
    found = shutil.which(name, path=os.path.dirname(sys.executable))
    assert found, f"{name} is not installed next to {sys.executable}: pip install -e '.[test]'"
    return found


def run_executable(
    *args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> Run:
    completed = subprocess.run(
        list(args), cwd=cwd, input=stdin, capture_output=True, env=env, timeout=600
    )
    return Run(
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


def example(code: str) -> str:
    """The catalog's reported example for ``code``."""
    return info_for(code).bad


def text_lines(path: str, source: str, **kwargs: object) -> list[str]:
    """What `lint-rules check` must print for ``source`` saved as ``path``: the engine's
    findings in flake8's layout (the engine itself is tested elsewhere)."""
    return [f"{path}:{f.line}:{f.col + 1}: {f.code} {f.message}" for f in analyze(source, **kwargs)]
