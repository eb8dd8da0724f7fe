"""How fast `lint-rules check` starts and how fast it gets through a big package.

    python3 benchmarks/cli_speed.py            # both measurements (about 3 minutes on 2 cores)
    python3 benchmarks/cli_speed.py --rounds 3 # fewer rounds, for iteration

* Start-up: `lint-rules check clean.py` on a one-line file that no rule triggers on, against
  `python -c "import argparse"` (the least a Python command line tool pays). Target: <= 3x.
* Throughput: `lint-rules check` over the installed LiteLLM package (every core, the
  default `-j`), against `ruff check --select RUF006` over the same files. Target: <= 4x.

The commands run interleaved (A B, B A, ...) so that the shared machine's noise hits both,
and every figure is a median of wall-clock times. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTUP_TARGET = 3.0
THROUGHPUT_TARGET = 4.0


def wall_time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def interleaved(commands: dict[str, list[str]], rounds: int, cwd: Path) -> dict[str, float]:
    """The median wall time of each command over ``rounds`` rounds, the order alternating."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            times[name].append(wall_time(commands[name], cwd))
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, medians: dict[str, float], target: float) -> bool:
    base, measured = medians.values()
    ratio = measured / base
    print(f"\n{title}")
    for name, seconds in medians.items():
        print(f"  {name:<48} {seconds * 1000:9.1f} ms")
    verdict = "PASS" if ratio <= target else "FAIL"
    print(f"  ratio {ratio:.2f}x (target <= {target:g}x): {verdict}")
    return ratio <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21, help="start-up rounds (default: 21)")
    parser.add_argument(
        "--package-rounds", type=int, default=5, help="throughput rounds (default: 5)"
    )
    args = parser.parse_args()
    lint_rules = shutil.which("lint-rules", path=os.path.dirname(sys.executable))
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    spec = importlib.util.find_spec("litellm")
    if lint_rules is None or ruff is None or spec is None or spec.origin is None:
        print("needs lint-rules, ruff and litellm installed next to this Python", file=sys.stderr)
        return 2
    package = Path(spec.origin).parent
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"Python {sys.version.split()[0]}, {cores} cores, {time.strftime('%Y-%m-%d')}")
    files = sum(1 for _ in package.rglob("*.py"))
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)
        (cwd / "clean.py").write_text("x = 1\n")
        startup = interleaved(
            {
                'python -c "import argparse"': [sys.executable, "-c", "import argparse"],
                "lint-rules check clean.py": [lint_rules, "check", "clean.py"],
            },
            args.rounds,
            cwd,
        )
        throughput = interleaved(
            {
                "ruff check --select RUF006 (LiteLLM)": [
                    ruff, "check", "--isolated", "--no-cache", "--select", "RUF006", str(package)
                ],
                f"lint-rules check (LiteLLM, -j {cores})": [
                    lint_rules, "check", "--isolated", str(package)
                ],
            },
            args.package_rounds,
            cwd,
        )  # fmt: skip
    passed = report(f"Start-up, median of {args.rounds}", startup, STARTUP_TARGET)
    title = f"Throughput over {package} ({files} files), median of {args.package_rounds}"
    passed &= report(title, throughput, THROUGHPUT_TARGET)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
