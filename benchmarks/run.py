"""Measure flake8-task-tracking against flake8 alone, flake8-async and Ruff, side by side.

    python3 benchmarks/run.py            # the full run (25-35 minutes on 2 cores)
    python3 benchmarks/run.py --quick    # a few minutes, for iteration

Everything runs in one process, variants interleaved (A B, then B A, ...) so that machine
noise hits both sides. Times are wall-clock and CPU (user+sys of the measured process and
its children, from ``wait4``; CPU is the steadier one on a shared machine), and every figure
is a median. Each package is linted as two file lists, its *trigger-dense* files (mentioning
create_task, ensure_future, CustomLogger or asyncio.run) and the rest; the whole package is
their sum. Before any timing, the engine's span analysis is checked against a full parse of
every file of the corpus: any difference fails the run.

Writes ``benchmarks/results.md`` (``--quick``: ``benchmarks/.cache/results-quick.md``).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import corpus
import venvs
from corpus import CACHE, Package

HERE = Path(__file__).resolve().parent
NOOP_CODEMOD = "libcst.codemod.commands.noop.NOOPCommand"
EXPECTED_RETURN_CODES = (0, 1)  # flake8, ruff and lint-rules exit 1 when they report something

TARGETS = {  # (package, measure) -> the highest ratio accepted
    ("litellm", "whole"): 1.10,
    ("litellm", "dense"): 1.50,
    ("homeassistant", "whole"): 1.03,
}
FIX_TARGET = 0.5  # lint-rules fix --diff -j2 / libcst.tool no-op codemod, LiteLLM
FIX_MEMORY_TARGET_MB = 500
SMALL_TARGET_LINES = 120_000
FINDING_MARKERS = {"flake8": ": TRK", "trk": ": TRK", "ruff": "RUF006"}


# -- measuring one command -------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    max_rss_mb: float  # the largest single process (the kernel's ru_maxrss)
    tree_rss_mb: float  # the largest sum over the process tree, sampled every 20 ms
    output: str


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


def _tree_rss_kb(pid: int) -> int:
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * (os.sysconf("SC_PAGESIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
        pending.extend(_children(current))
    return total


# The kernel's ru_maxrss of a child started from this (large) process counts the pages it
# shared with us before exec; /usr/bin/time, a small process, starts the command instead.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measure(command: Sequence[str], *, cwd: Path | None = None) -> Sample:
    """Run ``command`` once; fail loudly on an unexpected exit status."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
    ):
        if GNU_TIME:
            command = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name, *command]
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        peak_tree = 0
        done = threading.Event()

        def sample_tree() -> None:
            nonlocal peak_tree
            while not done.wait(0.02):
                peak_tree = max(peak_tree, _tree_rss_kb(process.pid))

        sampler = threading.Thread(target=sample_tree, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
        max_rss_kb = int(rss.read().split()[-1]) if GNU_TIME else usage.ru_maxrss
    if process.returncode not in EXPECTED_RETURN_CODES:
        raise SystemExit(
            f"run: {' '.join(command[:6])} ... exited {process.returncode}:\n{errors[-3000:]}"
        )
    return Sample(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=max_rss_kb / 1024,
        tree_rss_mb=max(peak_tree, max_rss_kb) / 1024,
        output=output,
    )


@dataclass
class Series:
    """Repeated samples of one variant on one target."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def max_rss_mb(self) -> float:
        return max(s.max_rss_mb for s in self.samples)

    @property
    def tree_rss_mb(self) -> float:
        return max(s.tree_rss_mb for s in self.samples)

    @property
    def output(self) -> str:
        return self.samples[-1].output


class Interleaver:
    """Runs variants alternately; the order flips on every round (A B, B A, A B, ...)."""

    def __init__(self) -> None:
        self._flip = False

    def run(self, variants: dict[str, Callable[[], Sample]], repeats: int) -> dict[str, Series]:
        series = {name: Series() for name in variants}
        names = list(variants)
        for _ in range(repeats):
            order = names[::-1] if self._flip else names
            self._flip = not self._flip
            for name in order:
                series[name].samples.append(variants[name]())
        return series


# -- commands ---------------------------------------------------------------------------


def flake8(venv: venvs.Venv, files: Sequence[Path]) -> list[str]:
    return [venv.bin("flake8"), "--isolated", "-j1", *map(str, files)]


def ruff(files: Sequence[Path]) -> list[str]:
    return [
        venvs.RUFF.bin("ruff"),
        "check",
        "--isolated",
        "--no-cache",
        "--select",
        "RUF006",
        "--output-format",
        "concise",
        *map(str, files),
    ]


def count(output: str, marker: str) -> int:
    return sum(1 for line in output.splitlines() if marker in line)


# -- the run ----------------------------------------------------------------------------


@dataclass
class Options:
    packages: list[Package]
    repeats: int
    whole_repeats: int
    async_lines: int
    async_repeats: int
    whole: bool
    check: bool
    fix_package: str


def repeats_for(files: Sequence[Path], minimum: int) -> int:
    """Small file lists run more often (up to 7 times, about 120,000 lines of flake8 work per
    variant): a few seconds of work is too noisy for a median of two."""
    return max(minimum, min(7, SMALL_TARGET_LINES // max(corpus.count_lines(files), 1)))


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def check_equivalence(packages: Sequence[Package]) -> list[str]:
    report = venvs.probe("equivalence", (p for package in packages for p in package.files))
    lines = [
        f"Span analysis vs full parse (`analyze(src) == analyze(src, full=True)`): "
        f"{report['files']} files, {report['findings']} findings, "
        f"{len(report['mismatches'])} files differ."
    ]
    if report["mismatches"]:
        print("\n" + "!" * 78, file=sys.stderr)
        print("SPAN ANALYSIS DIFFERS FROM A FULL PARSE:", file=sys.stderr)
        for mismatch in report["mismatches"]:
            print(f"  {mismatch['path']}", file=sys.stderr)
            for row in mismatch["only_spans"]:
                print(f"    only spans: {row}", file=sys.stderr)
            for row in mismatch["only_full"]:
                print(f"    only full:  {row}", file=sys.stderr)
        print("!" * 78, file=sys.stderr)
        raise SystemExit(1)
    factories = venvs.probe("factories", (p for package in packages for p in package.files))
    lines.append(
        f"Task factories that the text test would not parse a module for: "
        f"{len(factories['missed'])} of the {factories['modules']} modules "
        f"({factories['with_factories']} define factories)."
    )
    if factories["missed"]:
        print("THE TEXT TEST FOR TASK FACTORIES MISSES SOME:", file=sys.stderr)
        for missed in factories["missed"]:
            print(f"  {missed['path']}: {', '.join(missed['missed'])}", file=sys.stderr)
        raise SystemExit(1)
    return lines


def async_sample(package: Package, max_lines: int) -> list[Path]:
    """A seeded random sample of the trigger-dense files, about ``max_lines`` long."""
    files = list(package.dense_files)
    random.Random(5).shuffle(files)
    chosen, lines = [], 0
    for path in files:
        if max_lines and lines >= max_lines:
            break
        chosen.append(path)
        lines += corpus.count_lines([path])
    return sorted(chosen)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(options: Options) -> str:
    out: list[str] = []
    interleave = Interleaver()
    packages = options.packages

    log("startup cost (flake8 on one tiny file)")
    with tempfile.TemporaryDirectory() as scratch:
        tiny = Path(scratch) / "tiny.py"
        tiny.write_text("x = 1\n")
        startup = interleave.run(
            {
                "flake8": lambda: measure(flake8(venvs.BASE, [tiny])),
                "trk": lambda: measure(flake8(venvs.TRK, [tiny])),
            },
            max(options.repeats, 5),
        )

    # flake8 with / without the plugin, and ruff, per package: dense files, then the rest
    rows = []
    round_ratios = []
    targets_met = []
    for package in packages:
        dense = package.dense_files
        dense_set = set(dense)
        rest = [path for path in package.files if path not in dense_set]
        parts = {"dense": (dense, repeats_for(dense, options.repeats))}
        if options.whole:
            parts["rest"] = (rest, repeats_for(rest, options.whole_repeats))
        measured: dict[str, dict[str, Series]] = {}
        for part, (files, repeats) in parts.items():
            if not files:
                continue
            log(f"{package.label} {part}: {len(files)} files, flake8 vs flake8+TRK vs ruff")
            measured[part] = interleave.run(
                {
                    "flake8": lambda files=files: measure(flake8(venvs.BASE, files)),
                    "trk": lambda files=files: measure(flake8(venvs.TRK, files)),
                    "ruff": lambda files=files: measure(ruff(files)),
                },
                repeats,
            )
            _check_same_base_output(package, part, measured[part])
        for measure_name in ("dense", "whole"):
            if measure_name == "whole" and not options.whole:
                continue
            used = ["dense", "rest"] if measure_name == "whole" else ["dense"]
            used = [part for part in used if part in measured]
            if not used:
                continue
            total = {
                variant: {
                    "wall": sum(measured[p][variant].wall for p in used),
                    "cpu": sum(measured[p][variant].cpu for p in used),
                    "findings": sum(
                        count(measured[p][variant].output, FINDING_MARKERS[variant]) for p in used
                    ),
                }
                for variant in ("flake8", "trk", "ruff")
            }
            files = dense if measure_name == "dense" else package.files
            lines = package.dense_lines if measure_name == "dense" else package.lines
            wall_ratio = ratio(total["trk"]["wall"], total["flake8"]["wall"])
            cpu_ratio = ratio(total["trk"]["cpu"], total["flake8"]["cpu"])
            target = TARGETS.get((package.name, measure_name))
            if target is not None:
                targets_met.append(
                    (
                        f"flake8 + TRK / flake8, {package.label} {measure_name}",
                        f"≤ {target:.2f}",
                        wall_ratio,
                        cpu_ratio,
                        cpu_ratio <= target,
                    )
                )
            round_ratios.append(
                f"{package.label} {measure_name}: "
                + ", ".join(fmt(value) for value in _round_ratios([measured[p] for p in used]))
            )
            runs = "+".join(str(len(measured[p]["flake8"].samples)) for p in used)
            rows.append(
                f"| {package.label} | {measure_name} | {len(files)} | {lines} | {runs} "
                f"| {fmt(total['flake8']['wall'])} / {fmt(total['flake8']['cpu'])} "
                f"| {fmt(total['trk']['wall'])} / {fmt(total['trk']['cpu'])} "
                f"| **{fmt(wall_ratio)}** / **{fmt(cpu_ratio)}** "
                f"| {'≤ ' + fmt(target) if target else ''} "
                f"| {fmt(total['ruff']['wall'])} "
                f"| {fmt(ratio(total['ruff']['wall'], total['flake8']['wall']), 3)} "
                f"| {total['trk']['findings']} | {total['ruff']['findings']} |"
            )
    out += [
        "## flake8 with the plugin vs without, and Ruff",
        "",
        f"`flake8 --isolated -j1` in two venvs (same flake8), and `ruff check --isolated "
        f"--no-cache --select RUF006`, over the same file lists. *whole* = dense + rest "
        f"(two invocations). Medians of the interleaved runs counted in *runs* (at least "
        f"{options.repeats} for dense files and {options.whole_repeats} for the rest; small "
        f"file lists more often). Times in seconds, wall / CPU.",
        "",
        "| package | part | files | lines | runs | flake8 s | flake8+TRK s | ratio wall / CPU "
        "| target | ruff s (wall) | ruff / flake8 | TRK findings | RUF006 findings |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        *rows,
        "",
        f"Startup (flake8 on a one-line file, median of {len(startup['flake8'].samples)}): "
        f"flake8 {fmt(startup['flake8'].wall)} s, flake8+TRK {fmt(startup['trk'].wall)} s "
        f"(+{fmt(startup['trk'].wall - startup['flake8'].wall)} s: importing the plugin).",
        "",
        "The spread: flake8+TRK / flake8 CPU ratio of each round (the two variants' runs of "
        "round *i* are adjacent in time, so they share the machine's load of the moment):",
        "",
        *(f"* {line}" for line in round_ratios),
        "",
    ]

    # the peer: flake8-async, on a seeded sample of dense files (it is ~20x slower)
    if options.async_repeats:
        rows = []
        for package in packages:
            sample = async_sample(package, options.async_lines)
            if not sample:
                continue
            lines = corpus.count_lines(sample)
            log(f"{package.label}: flake8-async on {len(sample)} files, {lines} lines")
            series = interleave.run(
                {
                    "flake8": lambda sample=sample: measure(flake8(venvs.BASE, sample)),
                    "trk": lambda sample=sample: measure(flake8(venvs.TRK, sample)),
                    "async": lambda sample=sample: measure(flake8(venvs.ASYNC, sample)),
                    "ruff": lambda sample=sample: measure(ruff(sample)),
                },
                options.async_repeats,
            )
            base = series["flake8"]
            rows.append(
                f"| {package.label} | {len(sample)} | {lines} | {fmt(base.wall)} / {fmt(base.cpu)} "
                f"| **{fmt(ratio(series['trk'].wall, base.wall))}** / "
                f"{fmt(ratio(series['trk'].cpu, base.cpu))} "
                f"| **{fmt(ratio(series['async'].wall, base.wall))}** / "
                f"{fmt(ratio(series['async'].cpu, base.cpu))} "
                f"| {fmt(ratio(series['ruff'].wall, base.wall), 3)} "
                f"| {count(series['trk'].output, ': TRK')} "
                f"| {count(series['async'].output, ': ASYNC')} |"
            )
        out += [
            "## The peer: flake8-async",
            "",
            f"A seeded random sample of each package's trigger-dense files (about "
            f"{options.async_lines} lines; flake8-async is too slow for more in a routine run), "
            f"median of {options.async_repeats} interleaved runs. Ratios to flake8 alone, "
            "wall / CPU.",
            "",
            "| package | files | lines | flake8 s | +TRK | +flake8-async | ruff RUF006 "
            "| TRK findings | ASYNC findings |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]

    # the checker CLI: wall time and peak memory per package
    if options.check:
        rows = []
        for package in packages:
            log(f"{package.label}: lint-rules check")
            series = interleave.run(
                {"check": lambda package=package: measure(_check_command(package))},
                options.whole_repeats,
            )["check"]
            rows.append(
                f"| {package.label} | {package.lines} | {fmt(series.wall)} | {fmt(series.cpu)} "
                f"| {int(package.lines / series.wall)} | {fmt(series.max_rss_mb, 0)} "
                f"| {count(series.output, ': TRK')} |"
            )
        out += [
            "## `lint-rules check`",
            "",
            f"`lint-rules check --isolated <package dir>` (single process), median of "
            f"{options.whole_repeats}.",
            "",
            "| package | lines | wall s | CPU s | lines/s | peak RSS MB | findings |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]

    # the codemod vs libcst's own codemod runner doing nothing
    fix_package = next((p for p in packages if p.name == options.fix_package), None)
    if fix_package is not None:
        log(f"{fix_package.label}: lint-rules fix --diff -j2 vs libcst.tool no-op codemod")
        root = str(fix_package.root)
        variants = {
            "noop": lambda: measure(
                [
                    venvs.TRK.python,
                    "-m",
                    "libcst.tool",
                    "codemod",
                    "-x",
                    "-j2",
                    "--no-format",
                    "--hide-progress",
                    "--unified-diff=3",
                    NOOP_CODEMOD,
                    root,
                ]
            ),
            "fix": lambda: measure([venvs.TRK.bin("lint-rules"), "fix", "--diff", "-j2", root]),
        }
        series = interleave.run(variants, options.whole_repeats)
        noop = series["noop"]
        out += [
            f"## `lint-rules fix --diff -j2` vs a no-op libcst codemod, {fix_package.label}",
            "",
            f"`python -m libcst.tool codemod -x -j2 --no-format --hide-progress "
            f"--unified-diff=3 {NOOP_CODEMOD} <package dir>` against "
            "`lint-rules fix --diff -j2 <package dir>`. Peak memory: the largest single "
            "process / the whole process tree (sampled every 20 ms).",
            "",
            "| command | wall s | CPU s | peak RSS MB (process / tree) |",
            "|---|---:|---:|---:|",
            f"| libcst.tool no-op codemod | {fmt(noop.wall)} | {fmt(noop.cpu)} "
            f"| {fmt(noop.max_rss_mb, 0)} / {fmt(noop.tree_rss_mb, 0)} |",
        ]
        fix = series["fix"]
        fix_ratio = ratio(fix.wall, noop.wall)
        out.append(
            f"| lint-rules fix --diff -j2 | {fmt(fix.wall)} | {fmt(fix.cpu)} "
            f"| {fmt(fix.max_rss_mb, 0)} / {fmt(fix.tree_rss_mb, 0)} |"
        )
        targets_met.append(
            (
                f"lint-rules fix --diff -j2 / no-op codemod, {fix_package.label}",
                f"≤ {FIX_TARGET}",
                fix_ratio,
                ratio(fix.cpu, noop.cpu),
                ratio(fix.cpu, noop.cpu) <= FIX_TARGET,
            )
        )
        targets_met.append(
            (
                f"peak memory of lint-rules fix -j2, {fix_package.label} (tree, MB)",
                f"≤ {FIX_MEMORY_TARGET_MB}",
                fix.tree_rss_mb,
                fix.max_rss_mb,
                fix.tree_rss_mb <= FIX_MEMORY_TARGET_MB,
            )
        )
        out.append("")

    summary = [
        "## Targets",
        "",
        "| measure | target | measured (wall / CPU) | met (on CPU time) |",
        "|---|---|---|---|",
    ]
    for name, target, wall_value, cpu_value, met in targets_met:
        verdict = "not measured" if met is None else ("yes" if met else "**NO**")
        summary.append(f"| {name} | {target} | {fmt(wall_value)} / {fmt(cpu_value)} | {verdict} |")
    return "\n".join([*summary, "", *out])


def _round_ratios(parts: Sequence[dict[str, Series]]) -> list[float]:
    """flake8+TRK / flake8 CPU per round, summed over ``parts``; as many rounds as all have."""
    rounds = min(len(part["flake8"].samples) for part in parts)
    return [
        ratio(
            sum(part["trk"].samples[i].cpu for part in parts),
            sum(part["flake8"].samples[i].cpu for part in parts),
        )
        for i in range(rounds)
    ]


def _check_command(package: Package) -> list[str]:
    return [venvs.TRK.bin("lint-rules"), "check", "--isolated", str(package.root)]


def _check_same_base_output(package: Package, part: str, measured: dict[str, Series]) -> None:
    """The plugin must add TRK lines and change nothing else flake8 reports."""
    base = sorted(measured["flake8"].output.splitlines())
    with_plugin = sorted(
        line for line in measured["trk"].output.splitlines() if ": TRK" not in line
    )
    if base != with_plugin:
        log(f"WARNING: {package.label} {part}: flake8 output differs beyond TRK lines")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few minutes: see --help")
    parser.add_argument("--packages", default="", help="comma-separated (default: all pins)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of the dense subsets")
    parser.add_argument("--whole-repeats", type=int, default=1, help="runs of the rest")
    parser.add_argument("--async-lines", type=int, default=6000, help="flake8-async sample")
    parser.add_argument("--async-repeats", type=int, default=1, help="0 skips flake8-async")
    parser.add_argument("--no-whole", action="store_true", help="dense subsets only")
    parser.add_argument("--no-check", action="store_true", help="skip `lint-rules check`")
    parser.add_argument("--no-equivalence", action="store_true", help="skip the oracle check")
    parser.add_argument("--fix-package", default="litellm", help="'' skips the codemod timing")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    names = [name for name in args.packages.split(",") if name]
    if args.quick:
        names = names or ["litellm", "aiohttp", "discord.py"]
        args.repeats, args.whole_repeats = 1, 1
        args.async_lines, args.no_whole, args.no_check = 2000, True, True
        args.fix_package = ""
    output = args.output or (CACHE / "results-quick.md" if args.quick else HERE / "results.md")
    command = " ".join(["python3 benchmarks/run.py", *(argv or sys.argv[1:])])

    packages = corpus.prepare(names=names)
    versions = venvs.ensure(with_async=args.async_repeats > 0)
    started = time.time()
    load = os.getloadavg()
    sections = []
    if not args.no_equivalence:
        log("equivalence: span analysis vs full parse over the corpus")
        sections = check_equivalence(packages)
        log(sections[0])
    options = Options(
        packages=packages,
        repeats=args.repeats,
        whole_repeats=args.whole_repeats,
        async_lines=args.async_lines,
        async_repeats=args.async_repeats,
        whole=not args.no_whole,
        check=not args.no_check,
        fix_package=args.fix_package,
    )
    body = run(options)
    minutes = (time.time() - started) / 60
    header = [
        "# Benchmark results",
        "",
        f"Command: `{command}` ({minutes:.0f} min). Written by `benchmarks/run.py`; do not edit.",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{versions['python']}; load average at start {load[0]:.2f}, at end "
        f"{os.getloadavg()[0]:.2f}. "
        + ", ".join(f"{name} {version}" for name, version in versions.items() if name != "python")
        + ".",
        "",
        corpus.describe(packages),
        "",
        *sections,
        "",
    ]
    text = "\n".join([*header, body])
    output.write_text(text)
    print(text)
    log(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
