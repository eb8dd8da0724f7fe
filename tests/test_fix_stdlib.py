"""The codemod over a copy of the running interpreter's whole standard library: every file it
changes still compiles, ``flake8 --select=F`` finds nothing new in it (no undefined or unused
names introduced), it re-lints with no fixable finding, and a second run changes nothing.
Files it cannot process must be files Python itself rejects."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tokenize
from collections import Counter
from pathlib import Path

import pytest

from lint_rules.fix.apply import no_fix_reason
from lint_rules.rules import analyze

pytestmark = pytest.mark.slow  # the codemod over the whole standard library

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SKIP = ("__pycache__", "site-packages", "dist-packages", "lib-dynload", "config-*", "*.pyc")


def lint_rules_fix(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lint_rules", "fix", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def pyflakes_messages(root: Path, names: list[str]) -> Counter[tuple[str, str]]:
    """(file, code + message) of every F finding, without positions (lines move)."""
    command = [sys.executable, "-m", "flake8", "--isolated", "--select=F"]
    command += ["--format=%(path)s|%(code)s %(text)s", *names]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    return Counter(tuple(line.split("|", 1)) for line in result.stdout.splitlines())


def test_fix_over_the_standard_library(tmp_path: Path) -> None:
    copy = tmp_path / "stdlib"
    shutil.copytree(STDLIB, copy, symlinks=True, ignore=shutil.ignore_patterns(*SKIP))
    first = lint_rules_fix("-j", "2", str(copy))

    errors = [line for line in first.stderr.splitlines() if line.startswith("lint-rules: error: ")]
    failed = [line[len("lint-rules: error: ") :].split(": ", 1)[0] for line in errors]
    for name in failed:  # only what Python itself rejects may fail
        original = STDLIB / Path(name).relative_to(copy)
        with pytest.raises((SyntaxError, ValueError)):
            compile(original.read_bytes(), str(original), "exec", dont_inherit=True)
    assert first.returncode == (2 if failed else 0), first.stderr

    changed = sorted(
        str(path.relative_to(copy))
        for path in copy.rglob("*.py")
        if path.read_bytes() != (STDLIB / path.relative_to(copy)).read_bytes()
    )
    assert len(changed) >= 5, first.stderr  # asyncio and its tests create tasks
    assert f"{len(changed)} changed" in first.stderr.splitlines()[-1]
    for name in changed:
        source = (copy / name).read_bytes()
        compile(source, name, "exec", dont_inherit=True)
        with tokenize.open(copy / name) as stream:
            text = stream.read()
        fixable = [f for f in analyze(text, full=True) if no_fix_reason(f, {}) is None]
        assert not fixable, name

    before = pyflakes_messages(STDLIB, changed)
    after = pyflakes_messages(copy, changed)
    assert after - before == Counter()

    second = lint_rules_fix("--check", *(str(copy / name) for name in changed))
    assert second.returncode == 0 and second.stdout == "", second.stderr
