"""Code newer than the running Python (PEP 695 type parameters and ``type`` statements, PEP 701
f-strings, ...) that libcst parses is analysed and fixed, not reported as TRK000; nothing is
reported inside a statement the engine had to mask; what libcst rejects too stays TRK000."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import libcst as cst
import pytest

from lint_rules.rules import analyze
from tests.cli_helpers import lint_rules

PEP_695 = """\
import asyncio

type Alias = list[int]


async def job():
    await asyncio.sleep(0)


def first[T](xs: list[T]) -> T:
    asyncio.create_task(job())
    return xs[0]


class Box[T]:
    def put(self, item: T) -> None:
        asyncio.create_task(job())


def plain():
    asyncio.create_task(job())
"""
PEP_701 = """\
import asyncio


def masked(d):
    asyncio.create_task(job())
    return f"{d["key"]}"


def plain():
    asyncio.create_task(job())
"""
newer_than_python = pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="ast parses this syntax on this Python"
)


def _rejected_by_ast(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return True
    return False


def codes(source: str) -> list[tuple[int, str]]:
    return [(finding.line, finding.code) for finding in analyze(source)]


def test_type_parameters_and_type_statements_are_analysed() -> None:
    assert codes(PEP_695) == [(11, "TRK101"), (17, "TRK101"), (21, "TRK101")]
    assert analyze(PEP_695) == analyze(PEP_695, full=True)


@newer_than_python
def test_the_samples_are_newer_than_this_python() -> None:
    assert _rejected_by_ast(PEP_695) and _rejected_by_ast(PEP_701)


def test_nothing_is_reported_inside_a_masked_statement() -> None:
    inside = [] if _rejected_by_ast(PEP_701) else [(5, "TRK101")]
    assert codes(PEP_701) == [*inside, (10, "TRK101")]
    assert analyze(PEP_701) == analyze(PEP_701, full=True)


@newer_than_python
def test_a_masked_statement_binds_its_names_to_unknown_values() -> None:
    """``spawn`` is rebound by a statement ``ast`` cannot parse: the call may not be a task
    factory's, so it is not reported (the ``def`` alone would make it one)."""
    source = (
        "import asyncio\n\n\ndef spawn(coro):\n    return asyncio.create_task(coro)\n\n\n"
        'if True:\n    spawn = lambda coro: f"{coro["x"]}"\n\n\n'
        "def main():\n    spawn(job())\n"
    )
    without_rebinding = source.replace('f"{coro["x"]}"', "coro")
    without_rebinding = without_rebinding.replace("if True:\n    spawn =", "if True:\n    other =")
    assert codes(without_rebinding) == [(13, "TRK101")]  # the rule would find it otherwise
    assert codes(source) == []


def test_what_libcst_rejects_too_is_still_trk000() -> None:
    source = "import asyncio\n\ntype X[T = \n\n\ndef f():\n    asyncio.create_task(job())\n"
    assert [finding.code for finding in analyze(source)] == ["TRK000"]
    assert "Python cannot parse it" in analyze(source)[0].message


def test_fix_rewrites_newer_syntax_and_the_result_parses(tmp_path: Path, capsys) -> None:
    path = tmp_path / "module.py"
    path.write_text(PEP_695)
    run = lint_rules(capsys, "fix", str(path))
    assert run.status == 0, run
    fixed = path.read_text()
    assert fixed != PEP_695
    assert "def first[T](xs: list[T]) -> T:" in fixed and "type Alias = list[int]" in fixed
    cst.parse_module(fixed)
    assert lint_rules(capsys, "check", str(path)).status == 0
