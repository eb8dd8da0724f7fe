"""Real code: ``lint-rules check`` and ``lint-rules fix --diff -j 2`` over the
whole standard library of the running interpreter and everything installed in the test
environment's site-packages (in CI: this package's test dependencies, and whatever else the
environment holds), and ``lint-rules fix -j 2`` in place over a copy of site-packages.

Every ``*.py`` and ``*.pyi`` file is swept, named explicitly (a directory walk would skip the
``build``/``dist``/... directories that installed packages do have), in batches run two at a
time. What must hold:

* no crash: no traceback, check exits 0 or 1 and fix 0 or 2 (2: files it reported, one line
  each, and refused to touch);
* every TRK000 has a cause, checked against the file itself: bytes that are not text in the
  file's encoding (decoding fails), code Python rejects (``compile()`` fails), or code that
  Python accepts and libcst rejects (a libcst limitation); an internal error is a bug and
  fails the test. The list is printed in the "reliability figures" section of the run;
* fix fails only on such files, and rewrites the others so that each changed file compiles,
  re-lints with no fixable finding, and a second run (``--check``) finds nothing to change.

tests/test_fix_stdlib.py does the in-place part for the standard library (with flake8 F).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import tokenize
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lint_rules.fix.apply import no_fix_reason
from lint_rules.rules import analyze

pytestmark = pytest.mark.slow  # sweeps over the standard library and site-packages

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SITE_PACKAGES = sorted({Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")})
NOT_STDLIB = {"site-packages", "dist-packages", "__pycache__"}
BATCH = 1500  # files per process
ERROR = "lint-rules: error: "
TRK000 = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+):\d+: TRK000 could not analyse this file: (?P<why>.*)$"
)


def python_files(root: Path, skip: set[str]) -> list[Path]:
    """Every Python file under ``root`` (symlinks not followed), sorted."""
    found = []
    stack = [root]
    while stack:
        directory = stack.pop()
        for entry in sorted(directory.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                if entry.name not in skip:
                    stack.append(entry)
            elif entry.suffix in (".py", ".pyi") and entry.is_file():
                found.append(entry)
    return sorted(found)


def lint_rules(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lint_rules", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=1800,
                          errors="backslashreplace")  # fmt: skip


def batches(files: Sequence[Path]) -> Iterator[list[str]]:
    for start in range(0, len(files), BATCH):
        yield [str(path) for path in files[start : start + BATCH]]


def in_parallel(arguments: Sequence[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda args: lint_rules(*args), arguments))


@dataclass
class Sweep:
    """What one command did over every file."""

    files: int
    statuses: Counter[int] = field(default_factory=Counter)
    stdout: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # stderr lines starting "lint-rules: error:"
    other_stderr: list[str] = field(default_factory=list)

    def add(self, run: subprocess.CompletedProcess[str]) -> None:
        self.statuses[run.returncode] += 1
        self.stdout.extend(run.stdout.splitlines())
        for line in run.stderr.splitlines():
            (self.errors if line.startswith(ERROR) else self.other_stderr).append(line)


def sweep(files: Sequence[Path], *command: str) -> Sweep:
    result = Sweep(len(files))
    for run in in_parallel([[*command, *batch] for batch in batches(files)]):
        result.add(run)
    return result


@pytest.fixture(scope="module")
def real_code() -> dict[str, list[Path]]:
    stdlib = python_files(STDLIB, NOT_STDLIB)
    installed = [path for root in SITE_PACKAGES for path in python_files(root, {"__pycache__"})]
    assert len(stdlib) > 1000, STDLIB
    assert installed, SITE_PACKAGES
    return {"stdlib": stdlib, "site-packages": installed}


@pytest.fixture(scope="module")
def checked(real_code: dict[str, list[Path]]) -> dict[str, Sweep]:
    return {name: sweep(files, "check") for name, files in real_code.items()}


# -- causes -------------------------------------------------------------------------------------


def cause_of(path: Path, reason: str) -> str:
    """The cause of a TRK000, checked against the file; fails on any other."""
    data = path.read_bytes()
    if reason.startswith("cannot decode it"):
        with pytest.raises((SyntaxError, UnicodeDecodeError)):
            compile(data, str(path), "exec", dont_inherit=True)
        return "bytes not valid in the file's encoding"
    if reason.startswith("Python cannot parse it"):
        with pytest.raises((SyntaxError, ValueError)):
            compile(data, str(path), "exec", dont_inherit=True)
        return "Python rejects it"
    if reason.startswith(("libcst cannot parse it", "libcst failed on it")):
        compile(data, str(path), "exec", dont_inherit=True)  # valid Python: libcst's limit
        return "libcst rejects what Python accepts"
    pytest.fail(f"{path}: TRK000 without a known cause: {reason}")


def test_check_never_crashes(checked: dict[str, Sweep], reliability_report: list[str]) -> None:
    for name, result in checked.items():
        assert not result.other_stderr, "\n".join(result.other_stderr[:20])
        assert set(result.statuses) <= {0, 1}, (result.statuses, result.errors[:20])
        reliability_report.append(
            f"sweep: lint-rules check over {result.files} files of {name}: exit codes "
            f"{dict(result.statuses)}, 0 crashes"
        )


def test_every_trk000_has_a_cause(checked: dict[str, Sweep], reliability_report: list[str]) -> None:
    for name, result in checked.items():
        failures = [m for m in map(TRK000.match, result.stdout) if m]
        causes = Counter()
        for failure in failures:
            cause = cause_of(Path(failure["path"]), failure["why"])
            causes[cause] += 1
            reliability_report.append(
                f"  {name} TRK000 {failure['path']}:{failure['line']}: {cause} ({failure['why']})"
            )
        summary = ", ".join(f"{n} {cause}" for cause, n in sorted(causes.items())) or "none"
        reliability_report.append(f"sweep: {len(failures)} TRK000 in {name}: {summary}")


def failed_files(result: Sweep) -> dict[str, str]:
    """path: error message, from ``lint-rules fix``'s error lines."""
    failed = {}
    for line in result.errors:
        path, _, message = line[len(ERROR) :].partition(": ")
        failed[path] = message
    return failed


def assert_fix_failures_have_causes(result: Sweep, name: str, report: list[str]) -> None:
    assert not [line for line in result.other_stderr if not line.startswith("lint-rules fix: ")]
    assert set(result.statuses) <= {0, 2}, result.statuses
    for path, message in failed_files(result).items():
        reason = re.sub(r"^\d+:\d+: (could not analyse this file: )?", "", message)
        if reason.startswith("libcst cannot parse it: "):  # the full parse the codemod needs
            reason = "libcst cannot parse it"
        report.append(f"  {name} fix failed {path}: {cause_of(Path(path), reason)} ({message})")


def test_fix_diff_never_crashes(
    real_code: dict[str, list[Path]], reliability_report: list[str]
) -> None:
    for name, files in real_code.items():
        result = sweep(files, "fix", "--diff", "-j", "2")
        assert_fix_failures_have_causes(result, name, reliability_report)
        diffs = sum(1 for line in result.stdout if line.startswith("+++ "))
        reliability_report.append(
            f"sweep: lint-rules fix --diff -j 2 over {result.files} files of {name}: "
            f"{diffs} would change, {len(failed_files(result))} refused, 0 crashes"
        )


# -- fix in place over a copy of site-packages ----------------------------------------------------


def read_text(path: Path) -> str:
    with tokenize.open(path) as stream:
        return stream.read()


def test_fix_in_place_over_a_copy_of_site_packages(
    real_code: dict[str, list[Path]], tmp_path: Path, reliability_report: list[str]
) -> None:
    originals = {}
    for root in SITE_PACKAGES:
        for path in real_code["site-packages"]:
            if root in path.parents:
                copy = tmp_path / str(len(originals)) / path.relative_to(root)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, copy)
                originals[copy] = path
    copies = sorted(originals)
    result = sweep(copies, "fix", "-j", "2")
    assert_fix_failures_have_causes(result, "site-packages copy", reliability_report)
    changed = [copy for copy in copies if copy.read_bytes() != originals[copy].read_bytes()]
    assert len(changed) == sum(1 for line in result.stdout if line.startswith("fixed "))
    for copy in changed:
        compile(copy.read_bytes(), str(copy), "exec", dont_inherit=True)
        # as lint-rules check sees it: the fuzz tests show the spans agree with a full parse
        fixable = [f for f in analyze(read_text(copy)) if not no_fix_reason(f, {})]
        assert not fixable, (originals[copy], fixable)
    if changed:
        again = sweep(changed, "fix", "--check", "-j", "2")
        assert set(again.statuses) == {0} and not again.stdout, again.stdout[:20]
    reliability_report.append(
        f"sweep: lint-rules fix -j 2 in place over a copy of site-packages ({len(copies)} "
        f"files): {len(changed)} changed, all compile, re-lint clean, second run changes nothing"
    )
