"""Linear time: ``lint-rules check`` and ``fix`` on 4 times the input cost less than 8 times
the time.

Linear growth gives about 4 times, quadratic about 16, so the bound fails on quadratic
behaviour and leaves room for a noisy machine. The shapes are the codemod's own output for
many tasks in one function (400 of them once took 30 s) and many small functions; a fixed
1,000-branch ``elif`` chain must not give TRK000 (a RecursionError once did). The fix of many
tasks in one function once wrote out the function's code again for each task.
The shapes are ``benchmarks/scaling.py``'s, which times more of them.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.scaling import check, elif_chain, many_functions, one_function
from lint_rules.cli.fix_file import FileResult, Job, fix_file
from lint_rules.cli.selection import Selection
from lint_rules.engine.info import ANALYSIS_FAILED
from lint_rules.settings import Settings

pytestmark = pytest.mark.slow  # times the check on sources of up to 170 KB


def median_times(*sources: str, repeats: int = 3) -> list[float]:
    """The median CPU time of checking each source, the runs interleaved."""
    return median_run_times(*(lambda source=source: check(source) for source in sources))


def median_run_times(*runs: Callable[[], object], repeats: int = 3) -> list[float]:
    """The median CPU time of each run, the runs interleaved."""
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for run, times in zip(runs, samples):
            gc.collect()
            gc.disable()  # the collector's full passes come in steps, not in proportion
            try:
                start = time.process_time()
                run()
                times.append(time.process_time() - start)
            finally:
                gc.enable()
    return [statistics.median(times) for times in samples]


@pytest.mark.parametrize("make", [one_function, elif_chain])
def test_the_fixed_forms_are_the_codemods_output(
    tmp_path: Path, make: Callable[[int, bool], str]
) -> None:
    path = tmp_path / "m.py"
    path.write_text(make(7, False))
    result = fix_file(path, Job(Settings(), Selection(), {}, "write"))
    assert result.error is None and result.fixed == 7
    assert path.read_text() == make(7, True)


@pytest.mark.parametrize(
    ("make", "n"),
    [(lambda n: one_function(n, fixed=True), 500), (many_functions, 500)],
    ids=["one function, fixed form", "many functions"],
)
def test_four_times_the_input_takes_less_than_eight_times_the_time(
    make: Callable[[int], str], n: int
) -> None:
    small, large = make(n), make(4 * n)
    check(small)  # imports and caches: not part of either figure
    small_time, large_time = median_times(small, large)
    ratio = large_time / small_time
    assert ratio < 8, f"{n} -> {4 * n}: {ratio:.1f} times the time (linear: about 4)"


def test_a_fixed_thousand_branch_elif_chain_gives_no_trk000() -> None:
    findings = check(elif_chain(1000, fixed=True))
    assert not [f for f in findings if f.code == ANALYSIS_FAILED.code]
    assert findings == []


def test_fixing_four_times_the_tasks_in_one_function_takes_less_than_eight_times_the_time(
    tmp_path: Path,
) -> None:
    job = Job(Settings(), Selection(), {}, "check")  # the whole fix, nothing written
    runs = []
    for n in (150, 600):
        path = tmp_path / f"m{n}.py"
        path.write_text(one_function(n, fixed=False))
        runs.append(lambda path=path, n=n: _fixed_all(fix_file(path, job), n))
    runs[0]()  # imports and caches: not part of either figure
    small_time, large_time = median_run_times(*runs)
    ratio = large_time / small_time
    assert ratio < 8, f"150 -> 600 tasks: {ratio:.1f} times the time (linear: about 4)"


def _fixed_all(result: FileResult, n: int) -> None:
    assert result.error is None and result.fixed == n
