"""Determinism: the same input gives byte-identical output, findings in the
same order, whatever the run's parallelism, the order the paths are given in, and Python's
hash seed (which changes the iteration order of sets and of dicts built from them).

The input is a tree with many findings of every kind: the checker's fixture files, the
codemod's golden cases (CRLF, BOM, Latin-1, tabs, ...), the standard library's asyncio
package, files that fail (TRK000), and several findings on one line.

* ``lint-rules check`` in every format (text, json, sarif, github), with --statistics and
  --show-source, under three hash seeds; with the paths given in reverse order;
* ``lint-rules fix --diff`` with ``-j 1`` and ``-j 2`` under three hash seeds (the diff and the
  summary line), and ``fix`` in place with ``-j 1`` and ``-j 2``: the same bytes on disk
  (tests/test_fix_modes.py checks the same on a small tree).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lint_rules.cli.output import FORMATS

pytestmark = pytest.mark.slow  # whole runs under several hash seeds and job counts

TESTS = Path(__file__).parent
HASH_SEEDS = ("0", "1", "4242")
SAME_LINE = (
    "import asyncio\n\n\ndef f(loop, items):\n"
    "    asyncio.create_task(a()); asyncio.ensure_future(b()); loop.create_task(c())\n"
    "    x = asyncio.create_task(d()); [asyncio.create_task(e(i)) for i in items]\n"
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("determinism")
    shutil.copytree(TESTS / "fixtures", root / "fixtures")
    shutil.copytree(Path(asyncio.__file__).parent, root / "asyncio",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    (root / "same_line.py").write_text(SAME_LINE)
    (root / "python2.py").write_text("import asyncio\nprint 'x'\nasyncio.create_task(x)\n")
    (root / "undecodable.py").write_bytes(b"import asyncio\nasyncio.create_task(x)  # \xff\n")
    return root


def lint_rules(cwd: Path, seed: str, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    command = [sys.executable, "-m", "lint_rules", *arguments]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, timeout=600)


def test_the_tree_has_many_findings_of_every_kind(tree: Path) -> None:
    run = lint_rules(tree, "0", "check", "--statistics", ".")
    assert run.returncode == 1
    counts = {line.split()[1]: int(line.split()[0]) for line in run.stdout.decode().splitlines()
              if line[:1].isdigit()}  # fmt: skip
    assert {"TRK000", "TRK101", "TRK102", "TRK103", "TRK104", "TRK105", "TRK106"} <= set(counts)
    assert sum(counts.values()) >= 100


@pytest.mark.parametrize("output_format", FORMATS)
def test_check_output_is_the_same_under_every_hash_seed(tree: Path, output_format: str) -> None:
    arguments = ["check", "--format", output_format, "--statistics", "--show-source", "."]
    runs = [lint_rules(tree, seed, *arguments) for seed in HASH_SEEDS]
    assert runs[0].returncode == 1 and runs[0].stdout
    for run in runs[1:]:
        assert (run.returncode, run.stdout, run.stderr) == (
            runs[0].returncode, runs[0].stdout, runs[0].stderr,
        )  # fmt: skip


def test_check_output_does_not_depend_on_the_order_of_the_paths(tree: Path) -> None:
    paths = sorted(str(path.relative_to(tree)) for path in tree.rglob("*.py"))
    forward = lint_rules(tree, "0", "check", *paths)
    backward = lint_rules(tree, "1", "check", *reversed(paths))
    walked = lint_rules(tree, "4242", "check", ".")
    assert forward.stdout == backward.stdout == walked.stdout
    assert forward.stdout.count(b"\n") >= 100


def test_fix_diff_is_the_same_with_one_or_two_jobs_and_every_hash_seed(tree: Path) -> None:
    runs = {
        (jobs, seed): lint_rules(tree, seed, "fix", "--diff", "-j", jobs, ".")
        for jobs in ("1", "2")
        for seed in HASH_SEEDS
    }
    first = runs["1", "0"]
    assert first.returncode == 2 and first.stdout.count(b"\n+++ ") >= 10  # TRK000 files fail
    for run in runs.values():
        assert (run.returncode, run.stdout, run.stderr) == (
            first.returncode, first.stdout, first.stderr,
        )  # fmt: skip


def test_fix_in_place_writes_the_same_bytes_with_one_or_two_jobs(
    tree: Path, tmp_path: Path
) -> None:
    results = {}
    for jobs, seed in (("1", "0"), ("2", "1")):
        copy = tmp_path / f"j{jobs}"
        shutil.copytree(tree, copy)
        run = lint_rules(copy, seed, "fix", "-j", jobs, ".")
        assert run.returncode == 2
        results[jobs] = (
            run.stdout,
            run.stderr,
            {str(p.relative_to(copy)): p.read_bytes() for p in sorted(copy.rglob("*.py"))},
        )
    assert results["1"] == results["2"]
    assert sum(1 for name, data in results["1"][2].items()
               if data != (tree / name).read_bytes()) >= 10  # fmt: skip
