"""The judged corpus: every TRK finding on real async packages, checked against a ledger.

    python3 benchmarks/judge.py                   # rerun; exit 1 if anything needs a human
    python3 benchmarks/judge.py pyatv kopf        # some packages only
    python3 benchmarks/judge.py --write-stub      # append unjudged findings with verdict '?'
    python3 benchmarks/judge.py --draw-sample 110 # append a fresh seeded sample of unreported
                                                  # task-creating calls with verdict '?'

The corpus is ``corpus.JUDGED_PINS`` (each wheel's import package). TRK comes from
``lint-rules check --isolated --format json --exit-zero`` in the ``flake8-trk`` venv (this
worktree installed), RUF006 from Ruff in the ``ruff`` venv (``compare_ruff.ruff_findings``);
findings match on file and line. The ledgers are ``benchmarks/judged/findings.csv`` (one row
per TRK finding, keyed by package, path, line and code) and ``benchmarks/judged/unreported.csv``
(a seeded sample of task-creating calls TRK does not report). The exit status is 1 when a
finding is not judged yet, when a finding judged TP is no longer reported, or when a RUF006
finding inside a function is not reported by TRK; 0 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import corpus
import venvs
from compare_ruff import ruff_findings, scope_at
from corpus import Package

LEDGERS = Path(__file__).resolve().parent / "judged"
FINDINGS = LEDGERS / "findings.csv"
UNREPORTED = LEDGERS / "unreported.csv"
FINDING_FIELDS = ("package", "path", "line", "column", "code", "verdict", "reason")
UNREPORTED_FIELDS = ("package", "path", "line", "call", "draw", "verdict", "reason")
SEED = 12  # the issue number: the same corpus draws the same sample
TASK_CALLS = frozenset({"create_task", "ensure_future", "run_coroutine_threadsafe"})
UNAWAITED_CALLS = frozenset({"gather", "shield"})


@dataclass(frozen=True)
class Finding:
    package: str
    path: str  # relative to the unpacked corpus root of the package
    line: int
    column: int
    code: str
    message: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.package, self.path, self.line, self.code)


def trk_findings(package: Package) -> list[Finding]:
    """Every TRK finding on the package, from the CLI of the flake8-trk venv."""
    root = package.root.parent
    command = [venvs.TRK.bin("lint-rules"), "check", "--isolated", "--format", "json"]
    command += ["--exit-zero", *map(str, package.files)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    if result.returncode != 0:
        raise SystemExit(f"judge: lint-rules failed on {package.label}:\n{result.stderr[-3000:]}")
    return [
        Finding(
            package.name,
            Path(row["path"]).resolve().relative_to(root).as_posix(),
            row["line"],
            row["column"],
            row["code"],
            row["message"],
        )
        for row in json.loads(result.stdout)
    ]


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def task_calls(tree: ast.AST) -> Iterator[ast.Call]:
    """Task-creating call sites: create_task, ensure_future, run_coroutine_threadsafe and
    Task (any receiver), gather and shield not directly awaited."""
    awaited = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Await)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _callee(node)
            if name in TASK_CALLS or name == "Task":
                yield node
            elif name in UNAWAITED_CALLS and id(node) not in awaited:
                yield node


def unreported_calls(package: Package, reported: set[tuple[str, int]]) -> list[dict]:
    """The task-creating call sites of the package on a line TRK reports nothing on."""
    root = package.root.parent
    rows = []
    for path in package.files:
        source = corpus.read_text(path)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        relative = path.relative_to(root).as_posix()
        for call in task_calls(tree):
            if (relative, call.lineno) not in reported:
                text = " ".join((ast.get_source_segment(source, call) or "").split())
                row = {"package": package.name, "path": relative, "line": call.lineno}
                rows.append(dict(row, call=text[:120]))
    return rows


def read_ledger(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [dict(row, line=int(row["line"])) for row in csv.DictReader(handle)]


def write_ledger(path: Path, fields: Sequence[str], rows: list[dict]) -> None:
    rows = sorted(rows, key=lambda r: (r["package"], r["path"], int(r["line"]), r.get("code", "")))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fields, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _key(row: dict) -> tuple[str, str, int, str]:
    return (row["package"], row["path"], int(row["line"]), row["code"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="distribution names (default: all)")
    parser.add_argument("--write-stub", action="store_true", help="ledger rows for the unjudged")
    parser.add_argument("--draw-sample", type=int, metavar="N", help="sample N unreported calls")
    args = parser.parse_args(argv)
    packages = corpus.prepare(corpus.JUDGED_PINS, names=args.packages)
    versions = venvs.ensure(with_async=False)
    print(
        f"TRK (flake8-task-tracking {versions['flake8-task-tracking']}, libcst "
        f"{versions['libcst']}) vs RUF006 (ruff {versions['ruff']}); match on file + line\n"
    )
    ledger = {_key(row): row for row in read_ledger(FINDINGS)}
    sample = read_ledger(UNREPORTED)
    header = (
        "| package | TRK | RUF006 | both | only TRK | only Ruff | judged | TP | FP "
        "| precision | TPs lost | unjudged | unreported judged | dangling |"
    )
    print(header + "\n|---|" + "---:|" * (header.count("|") - 2))
    totals = [0] * 11
    total_dangling = 0
    unjudged: list[Finding] = []
    lost: list[dict] = []
    ruff_missed: list[str] = []
    caught: list[str] = []
    candidates: list[dict] = []
    for package in packages:
        root = package.root.parent
        trk = trk_findings(package)
        ruff = [
            dict(f, path=Path(f["path"]).resolve().relative_to(root).as_posix())
            for f in ruff_findings(package.files)
        ]
        trk_lines = {(f.path, f.line) for f in trk}
        ruff_lines = {(f["path"], f["line"]) for f in ruff}
        verdicts = [ledger[f.key]["verdict"] for f in trk if f.key in ledger]
        tp, fp = verdicts.count("TP"), verdicts.count("FP")
        new = [f for f in trk if ledger.get(f.key, {}).get("verdict") not in ("TP", "FP")]
        reported = {f.key for f in trk}
        gone = [
            row
            for key, row in ledger.items()
            if key[0] == package.name and row["verdict"] == "TP" and key not in reported
        ]
        trees: dict[str, ast.Module] = {}
        for finding in ruff:
            if (finding["path"], finding["line"]) in trk_lines:
                continue
            path = finding["path"]
            if path not in trees:
                trees[path] = ast.parse(corpus.read_text(root / path))
            if scope_at(trees[path], finding["line"]) == "function":
                ruff_missed.append(f"{package.name} {path}:{finding['line']}: {finding['message']}")
        drawn = [row for row in sample if row["package"] == package.name]
        caught += [
            f"{r['package']} {r['path']}:{r['line']}: judged {r['verdict']}: {r['reason']}"
            for r in drawn
            if (r["path"], r["line"]) in trk_lines
        ]
        row = [
            len(trk),
            len(ruff),
            len(trk_lines & ruff_lines),
            len(trk_lines - ruff_lines),
            len(ruff_lines - trk_lines),
            tp + fp,
            tp,
            fp,
            len(gone),
            len(new),
            len(drawn),
        ]
        dangling = sum(r["verdict"] == "dangling" for r in drawn)
        totals = [a + b for a, b in zip(totals, row)]
        total_dangling += dangling
        print(_table_row(package.label, row, dangling), flush=True)
        unjudged += new
        lost += gone
        if args.draw_sample:
            candidates += unreported_calls(package, {(f.path, f.line) for f in trk})
    print(_table_row("**total**", totals, total_dangling))

    if unjudged:
        print(f"\n{len(unjudged)} findings not judged yet (add them to {FINDINGS.name}):")
        for f in unjudged:
            print(f"  {f.package} {f.path}:{f.line}:{f.column}: {f.code} {f.message}")
    if lost:
        print(f"\n{len(lost)} judged TPs no longer reported:")
        for row in lost:
            print(f"  {row['package']} {row['path']}:{row['line']}: {row['code']} {row['reason']}")
    if ruff_missed:
        print(f"\n{len(ruff_missed)} RUF006 findings inside a function that TRK does not report:")
        print("\n".join(f"  {line}" for line in ruff_missed))
    if caught:
        print(f"\n{len(caught)} calls of {UNREPORTED.name} that TRK now reports:")
        print("\n".join(f"  {line}" for line in caught))
    if args.write_stub and unjudged:
        rows = list(ledger.values()) + [
            {**f.__dict__, "verdict": "?", "reason": f.message} for f in unjudged
        ]
        write_ledger(FINDINGS, FINDING_FIELDS, rows)
        print(f"\nappended {len(unjudged)} rows with verdict '?' to {FINDINGS}")
    if args.draw_sample:
        seen = {(r["package"], r["path"], r["line"]) for r in sample}
        fresh = [r for r in candidates if (r["package"], r["path"], r["line"]) not in seen]
        drawn = random.Random(SEED).sample(fresh, min(args.draw_sample, len(fresh)))
        print(f"\n{len(fresh)} unreported task-creating calls; drew {len(drawn)} (seed {SEED})")
        draw = max((int(r["draw"]) for r in sample), default=0) + 1
        rows = sample + [dict(r, draw=draw, verdict="?", reason="") for r in drawn]
        write_ledger(UNREPORTED, UNREPORTED_FIELDS, rows)
    return 1 if unjudged or lost or ruff_missed else 0


def _table_row(label: str, row: Sequence[int], dangling: int) -> str:
    trk, ruff, both, only_trk, only_ruff, judged, tp, fp, gone, new, drawn = row
    precision = f"{tp / judged:.0%}" if judged else "-"
    return (
        f"| {label} | {trk} | {ruff} | {both} | {only_trk} | {only_ruff} | {judged} | {tp} "
        f"| {fp} | {precision} | {gone} | {new} | {drawn} | {dangling} |"
    )


if __name__ == "__main__":
    sys.exit(main())
