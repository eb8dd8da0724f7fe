"""Fuzzing: generated code never makes the checker raise, and the codemod's
output always compiles, re-lints with no fixable finding and is a fixed point; a file with
nothing to fix is never changed.

Inputs: modules composed from the task and callback shapes the rules know
(``tests/strategies.py``), modules whose tasks are all kept, arbitrary valid Python from
``hypothesmith`` alone, and hypothesmith code with task code after it. The checker is run
as every face runs it: ``engine.analyze`` on spans and with ``full=True`` (they must agree),
with flake8's ``ast`` tree, and through the flake8 plugin class; the codemod through
``lint-rules fix``'s own ``fix_file`` on a real file.

The budget follows the hypothesis profile (tests/conftest.py): the quick default in
``.ci/run``, ``--hypothesis-profile=long`` for twenty times more. The number of examples run
is printed in the "reliability figures" section at the end of the pytest run.
"""

from __future__ import annotations

import ast
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from lint_rules.cli.fix_file import Job, fix_file
from lint_rules.cli.selection import Selection
from lint_rules.engine.info import ANALYSIS_FAILED, Finding
from lint_rules.fix.apply import no_fix_reason
from lint_rules.flake8_plugin import Plugin
from lint_rules.rules import analyze
from lint_rules.settings import Settings
from tests.strategies import async_modules, compiles, kept_modules, spliced_modules

pytestmark = pytest.mark.slow  # fuzzing

JOB = Job(Settings(), Selection(), {}, "write")
EXAMPLES: Counter[str] = Counter()  # examples run, by test


def budget(share: float) -> settings:
    """``share`` times the profile's example count (hypothesmith's generator is slow, the
    composed modules are cheap)."""
    return settings(max_examples=max(5, round(settings.default.max_examples * share)))


@pytest.fixture(scope="module", autouse=True)
def count_examples(reliability_report: list[str]) -> Iterator[None]:
    yield
    if EXAMPLES:
        each = ", ".join(f"{name} {count}" for name, count in sorted(EXAMPLES.items()))
        reliability_report.append(f"fuzz: {sum(EXAMPLES.values())} examples run ({each})")


def fixable(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if no_fix_reason(finding, {}) is None]


def check_everywhere(source: str) -> list[Finding]:
    """The findings of every face of the checker, which must all agree."""
    spans = analyze(source)
    assert analyze(source, full=True) == spans
    assert analyze(source, tree=ast.parse(source)) == spans  # flake8 hands over its tree
    plugin = Plugin(ast.parse(source), source.splitlines(keepends=True))
    reported = [(line, col, message.split(" ", 1)[0]) for line, col, message, _ in plugin.run()]
    assert reported == [(f.line, f.col, f.code) for f in spans]
    return spans


def fix_text(source: str, directory: Path) -> tuple[str, int]:
    """``lint-rules fix`` on ``source`` saved as a file: the new text and the findings fixed.
    The run must not fail (an error would mean a crash or a rewrite that does not compile)."""
    path = directory / "fuzzed.py"
    path.write_bytes(source.encode("utf-8"))
    result = fix_file(path, JOB)
    assert result.error is None, result.error
    text = path.read_bytes().decode("utf-8")
    assert result.changed == (text != source)
    return text, result.fixed


def assert_codemod_properties(source: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        before = analyze(source)
        fixed, count = fix_text(source, Path(directory))
        if not fixable(before):
            assert fixed == source, "a file with nothing to fix was changed"
            event("nothing to fix")
            return
        event("fixed" if count else "fixable findings, all refused")
        assert compiles(fixed)
        after = check_everywhere(fixed)
        assert not [f for f in after if f.code == ANALYSIS_FAILED.code]
        assert fixable(after) == [], "the output still has findings the codemod could fix"
        # what the codemod cannot fix stays reported: it removes only what it fixed (and may
        # add TRK202: a tracking set that asyncio.run() does not drain, the next step)
        assert len(before) - count == len([f for f in after if f.code != "TRK202"])
        again, count_again = fix_text(fixed, Path(directory))
        assert (again, count_again) == (fixed, 0), "fixing the output changed it again"


# -- the checker never raises; all its faces agree -------------------------------------------


@budget(2.0)
@given(async_modules())
def test_checker_on_task_shapes(source: str) -> None:
    EXAMPLES["checker on task shapes"] += 1
    findings = check_everywhere(source)
    assert not [f for f in findings if f.code == ANALYSIS_FAILED.code], findings
    event(f"{len(findings)} findings" if len(findings) < 3 else "3+ findings")


@budget(0.3)
@given(hypothesmith.from_grammar().filter(compiles))
def test_checker_on_arbitrary_python(source: str) -> None:
    EXAMPLES["checker on hypothesmith code"] += 1
    check_everywhere(source)


@budget(0.3)
@given(spliced_modules())
def test_checker_on_arbitrary_python_with_tasks(source: str) -> None:
    EXAMPLES["checker on hypothesmith code + task shapes"] += 1
    check_everywhere(source)


@budget(1.0)
@given(st.text(alphabet=st.sampled_from(list("asyncio.create_task(x)\n\t :=#'\"\\")), max_size=80))
def test_checker_on_broken_text(source: str) -> None:
    """Mostly invalid Python made of the trigger's own characters: TRK000 at worst."""
    EXAMPLES["checker on broken text"] += 1
    findings = analyze(source)
    assert analyze(source, full=True) == findings or any(
        f.code == ANALYSIS_FAILED.code for f in findings
    )


# -- the codemod: compiles, re-lints clean, fixed point, leaves clean files alone -------------


# what the fuzzer found, kept as examples that always run
NESTED_SHADOW = (  # the fresh name shadowed the enclosing function's _task, hiding its TRK103
    "import asyncio\n\n\ndef spawn():\n    pending = []\n    _task = asyncio.create_task(job())\n"
    "    pending.append(_task)\n\n    def inner():\n        asyncio.create_task(job())\n"
)

# `task = task = create_task(c)`: the first target was taken for a rebinding of the second,
# so the fixed code was reported again and fixed twice
SAME_NAME_TWICE = "import asyncio\n\n\ndef spawn():\n    task = task = asyncio.create_task(job())\n"


@budget(1.5)
@given(async_modules())
@example(NESTED_SHADOW)
@example(SAME_NAME_TWICE)
def test_codemod_on_task_shapes(source: str) -> None:
    EXAMPLES["codemod on task shapes"] += 1
    assert_codemod_properties(source)


@budget(0.8)
@given(kept_modules())
def test_codemod_leaves_kept_tasks_alone(source: str) -> None:
    EXAMPLES["codemod on kept tasks"] += 1
    assert_codemod_properties(source)


@budget(0.3)
@given(spliced_modules())
def test_codemod_on_arbitrary_python_with_tasks(source: str) -> None:
    EXAMPLES["codemod on hypothesmith code + task shapes"] += 1
    assert_codemod_properties(source)
