"""Ctrl-C into many ``lint-rules fix -j 2`` runs: how many do not stop in time.

Each run fixes a fresh directory of 400 small files, each with one discarded task, and gets
SIGINT (sent to its whole process group, as a terminal does) after a random number of fixed
files. A run must exit by SIGINT within ``--timeout`` seconds and leave no temporary file.
Prints one line per failed run and a total; exit status 1 when any run failed.

    python3 benchmarks/interrupt_stress.py --runs 60
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = 400


def module(number: int) -> str:
    return (
        f'"""Module {number}."""\n\nimport asyncio\n\n\nasync def handler_{number}(request):\n'
        f"    asyncio.create_task(log(request, {number}))\n    return {number}\n"
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background shell may have ignored it


def one_run(directory: Path, interrupt_after: int, timeout: float) -> str | None:
    """What went wrong with one interrupted run, or None."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    for number in range(FILES):
        (directory / f"m{number:03}.py").write_text(module(number))
    process = subprocess.Popen(
        [sys.executable, "-m", "lint_rules", "fix", "-j", "2", str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        preexec_fn=_default_sigint,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    reported = 0
    while reported < interrupt_after and process.stdout.readline():
        reported += 1
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return f"did not stop within {timeout:g} s"
    leftovers = sorted(p.name for p in directory.iterdir() if not p.name.endswith(".py"))
    if leftovers:
        return f"left {leftovers}"
    if process.returncode != -signal.SIGINT:
        return f"exit status {process.returncode}, not -SIGINT"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to stop")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            after = rng.randint(1, 120)
            problem = one_run(Path(scratch) / "tree", after, args.timeout)
            if problem:
                failed += 1
                print(f"run {run}: SIGINT after {after} fixed files: {problem}", flush=True)
    print(f"{failed} of {args.runs} interrupted runs failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
