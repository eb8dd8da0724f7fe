"""Linear time: ``lint-rules check`` and ``lint-rules fix`` on inputs that double in size.

Each shape of generated source is checked (and fixed, where that is cheap enough) at four
sizes, n to 8n, in this process: the check is what ``lint-rules check`` does for one file
(``rules.analyze``, then the selection and ``# noqa``), the fix is ``fix_file`` in ``--check``
mode (analysis, codemod, compile; nothing written). The repeats are interleaved (n, 2n, 4n,
8n, then again), each figure is the median CPU time of this process, and each doubling must
cost at most 2.3 times the size before it. The garbage collector is off during each run
(``--gc`` leaves it on): its full passes come in steps that alone push single doublings of a
linear check past 2.3. Exit status 1 when a ratio is above that, or when a fixed form gets
any finding (TRK000 among them).

    python3 benchmarks/scaling.py               # 5 repeats, about 2 min on 2 cores
    python3 benchmarks/scaling.py --repeats 3 --gc
"""

from __future__ import annotations

import argparse
import datetime
import gc
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lint_rules import rules
from lint_rules.cli.fix_file import Job, fix_file
from lint_rules.cli.selection import Selection, reported
from lint_rules.engine.info import ANALYSIS_FAILED, Finding
from lint_rules.engine.source import decode_source, split_lines
from lint_rules.settings import Settings

TARGET = 2.3  # per doubling: 2 for linear, with room for a noisy machine
SELECTION = Selection()
SETTINGS = Settings()
HEAD = "import asyncio\n\n\n"
TASK = "asyncio.create_task(work())"
# what the codemod makes of one discarded task (checked against it in ``fixed_form_holds``)
FIXED_HEAD = (
    'import asyncio\nfrom typing import Any\n\n_background_tasks: "set[asyncio.Future[Any]]" '
    "= set()\n\n\n"
)
FIXED_TASK = (
    "_task = asyncio.create_task(work())\n{0}_background_tasks.add(_task)\n"
    "{0}_task.add_done_callback(_background_tasks.discard)\n"
)


def many_functions(n: int) -> str:
    return HEAD + "".join(f"async def f{i}():\n    {TASK}\n\n\n" for i in range(n))


def one_function(n: int, fixed: bool = False) -> str:
    task = FIXED_TASK.format("    ") if fixed else TASK + "\n"
    return (FIXED_HEAD if fixed else HEAD) + "async def f():\n" + f"    {task}" * n


def one_function_fixed(n: int) -> str:
    return one_function(n, fixed=True)


def long_list(n: int) -> str:
    items = ", ".join(str(i) for i in range(n))
    return HEAD + f"async def f():\n    x = [{items}]\n    {TASK}\n    return x\n"


def long_concatenation(n: int) -> str:
    # n is kept under ~3,000: beyond that CPython itself cannot compile the chain
    parts = " + ".join(f'"s{i}"' for i in range(n))
    return HEAD + f"async def f():\n    x = {parts}\n    {TASK}\n    return x\n"


def elif_chain(n: int, fixed: bool = False) -> str:
    task = FIXED_TASK.format("        ") if fixed else TASK + "\n"
    branches = "".join(f"    elif x == {i}:\n        {task}" for i in range(1, n))
    head = FIXED_HEAD if fixed else HEAD
    return head + f"async def f(x):\n    if x == 0:\n        {task}" + branches


def elif_chain_fixed(n: int) -> str:
    return elif_chain(n, fixed=True)


def check(source: str) -> list[Finding]:
    """What ``lint-rules check`` reports on one file's text (as ``cli/check.py`` does)."""
    source = decode_source(source.encode())
    codes = SELECTION.codes(rules.known_codes())
    findings = rules.analyze(source, SETTINGS, codes=codes)
    return reported(findings, split_lines(source), SELECTION)


def fixer(directory: Path, source: str, mode: str) -> Callable[[], str]:
    """``lint-rules fix`` on one file holding ``source``: a call that returns the new text."""
    path = directory / f"m{len(source)}.py"
    path.write_text(source)
    job = Job(SETTINGS, SELECTION, {}, mode)

    def run() -> str:
        result = fix_file(path, job)
        if result.error is not None or not result.changed:
            raise SystemExit(f"fix failed on {path.name}: {result.error or 'nothing changed'}")
        return path.read_text()

    return run


@dataclass(frozen=True)
class Series:
    label: str
    make: Callable[[int], str]
    sizes: tuple[int, ...]
    fix: bool = False  # time the fix instead of the check
    findings: int | None = None  # expected TRK101 count at size n; None: n
    # a cost that is not ours: shown, and not counted in the exit status
    known: str | None = None


LIBCST_CHAIN = "libcst's parser itself is quadratic on a long + chain (libcst.parse_module alone)"


SERIES = (
    Series("many functions, check", many_functions, (250, 500, 1000, 2000)),
    Series("many functions, fix", many_functions, (25, 50, 100, 200), fix=True),
    Series("one function, many tasks, check", one_function, (500, 1000, 2000, 4000)),
    Series("one function, many tasks, fix", one_function, (25, 50, 100, 200), fix=True),
    Series(
        "one function, fixed form, check", one_function_fixed, (250, 500, 1000, 2000), findings=0
    ),
    Series("long list on one line, check", long_list, (2500, 5000, 10000, 20000), findings=1),
    Series("long list on one line, fix", long_list, (625, 1250, 2500, 5000), fix=True),
    Series(
        "long + chain, check",
        long_concatenation,
        (250, 500, 1000, 2000),
        findings=1,
        known=LIBCST_CHAIN,
    ),
    Series(
        "long + chain, fix", long_concatenation, (125, 250, 500, 1000), fix=True, known=LIBCST_CHAIN
    ),
    Series("elif chain, check", elif_chain, (250, 500, 1000, 2000)),
    Series("elif chain, fixed form, check", elif_chain_fixed, (250, 500, 1000, 2000), findings=0),
    Series("elif chain, fix", elif_chain, (20, 40, 80, 160), fix=True),
)


def fixed_form_holds(directory: Path) -> bool:
    """The fixed forms timed above are what the codemod writes (compared at a small size)."""
    ok = True
    for make, fixed in ((one_function, one_function_fixed), (elif_chain, elif_chain_fixed)):
        written = fixer(directory, make(7), "write")()
        if written != fixed(7):
            print(f"FAIL: the codemod's output of {make.__name__}(7) is not {fixed.__name__}(7)")
            ok = False
    return ok


def wrong_findings(series: Series, size: int, findings: list[Finding]) -> str | None:
    """Why the findings are not what the shape must give (each run must do the real work)."""
    failed = [f for f in findings if f.code == ANALYSIS_FAILED.code]
    if failed:
        return f"{ANALYSIS_FAILED.code} at {size}: {failed[0].message}"
    expected = size if series.findings is None else series.findings
    if len(findings) != expected:
        return f"{len(findings)} findings at {size}, expected {expected}"
    return None


def measure(series: Series, repeats: int, directory: Path, collector: bool) -> bool:
    """Time one series and print its table; whether every doubling met the target."""
    runs: list[Callable[[], object]] = []
    for size in series.sizes:
        source = series.make(size)
        if series.fix:
            runs.append(fixer(directory, source, "check"))
        else:
            problem = wrong_findings(series, size, check(source))
            if problem:
                print(f"FAIL  {series.label}: {problem}")
                return False
            runs.append(lambda source=source: check(source))
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for run, samples in zip(runs, times):
            gc.collect()  # garbage of the run before is not this run's cost
            if not collector:
                gc.disable()
            start = time.process_time()
            run()
            samples.append(time.process_time() - start)
            gc.enable()
    print(f"\n{series.label}")
    ok, previous = True, None
    for size, samples in zip(series.sizes, times):
        median = statistics.median(samples)
        ratio = "" if previous is None else f"{median / previous:5.2f}x"
        if previous is not None and median / previous > TARGET:
            ok = False
            ratio += "  over"
        print(f"  {size:>6}  {median:8.3f} s  {ratio}")
        previous = median
    if series.known is not None:
        print(f"  {'PASS' if ok else 'KNOWN'}  {series.label}: {series.known}")
        return True
    print(f"  {'PASS' if ok else 'FAIL'}  {series.label}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per size (default 5)")
    parser.add_argument(
        "--gc",
        action="store_true",
        help="leave the garbage collector on during each run (default: off, collected between)",
    )
    args = parser.parse_args()
    print(
        "lint-rules check / fix on generated sources doubled in size; median CPU seconds of "
        f"{args.repeats} interleaved repeats, garbage collector {'on' if args.gc else 'off'}; "
        f"target <= {TARGET}x per doubling\n"
        f"Python {platform.python_version()}, {datetime.date.today().isoformat()}"
    )
    results = []
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        results.append(fixed_form_holds(directory))
        for series in SERIES:
            results.append(measure(series, args.repeats, directory, args.gc))
    failed = results.count(False)
    print(f"\n{'PASS' if not failed else f'FAIL: {failed} of {len(results)}'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
