"""TRK1xx against Ruff's RUF006, package by package: found by both, only by Ruff, only by TRK.

    python3 benchmarks/compare_ruff.py                  # every pinned package
    python3 benchmarks/compare_ruff.py litellm          # one package
    python3 benchmarks/compare_ruff.py --sample 30      # size of the only-TRK review sample

Findings match on file and line. TRK1xx comes from ``lint_rules.engine.analyze(src,
codes=TRK101..TRK106)`` in the ``flake8-trk`` venv (the worktree's code); Ruff from
``ruff check --isolated --no-cache --select RUF006 --output-format json`` over the same files.
The lists go to ``benchmarks/.cache/compare-ruff/``: ``<package>.json`` (every finding),
``<package>-only-ruff.txt`` (each with its source line and whether it sits at module or
class level, which TRK1xx deliberately does not flag) and ``<package>-only-trk-sample.txt``
(a seeded random sample of only-TRK findings with the code around them, for review).
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import corpus
import venvs
from corpus import CACHE, Package

OUT = CACHE / "compare-ruff"
TRK1XX = ("TRK101", "TRK102", "TRK103", "TRK104", "TRK105", "TRK106")
SEED = 2  # fixed: the sample is the same on every run


def trk_findings(files: Sequence[Path]) -> list[dict]:
    return venvs.probe("findings", files, "--codes", ",".join(TRK1XX))


def ruff_findings(files: Sequence[Path]) -> list[dict]:
    command = [
        venvs.RUFF.bin("ruff"),
        "check",
        "--isolated",
        "--no-cache",
        "--select",
        "RUF006",
        "--output-format",
        "json",
        *map(str, files),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"compare_ruff: ruff failed:\n{result.stderr[-3000:]}")
    return [
        {
            "path": row["filename"],
            "line": row["location"]["row"],
            "col": row["location"]["column"] - 1,
            "code": row["code"],
            "message": row["message"],
        }
        for row in json.loads(result.stdout)
    ]


def scope_at(tree: ast.Module, line: int) -> str:
    """'function', 'class' or 'module': where the statement on ``line`` runs."""
    kind = "module"
    body: list[ast.stmt] = tree.body
    while True:
        inner = next(
            (s for s in body if s.lineno <= line <= (s.end_lineno or s.lineno)),
            None,
        )
        if inner is None:
            return kind
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return "function"
        if isinstance(inner, ast.ClassDef):
            kind = "class"
        body = [
            statement
            for name in ("body", "orelse", "finalbody", "handlers", "cases")
            for statement in getattr(inner, name, [])
            if isinstance(statement, ast.stmt)
        ] + [
            statement
            for block in getattr(inner, "handlers", []) + getattr(inner, "cases", [])
            for statement in block.body
        ]


def _lines(path: str) -> list[str]:
    return corpus.read_text(Path(path)).splitlines()


def _enclosing_text(path: str, line: int, limit: int = 60) -> str:
    """The innermost function around ``line`` (at most ``limit`` lines), numbered."""
    source = corpus.read_text(Path(path))
    lines = source.splitlines()
    start, end = max(line - 10, 1), min(line + 10, len(lines))
    try:
        tree = ast.parse(source)
        functions = [
            node
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ]
        if functions:
            inner = max(functions, key=lambda node: node.lineno)
            start, end = inner.lineno, inner.end_lineno or inner.lineno
            if end - start > limit:
                start, end = max(start, line - limit // 2), min(end, line + limit // 2)
    except SyntaxError:
        pass
    return "\n".join(
        f"{'>>' if n == line else '  '} {n:5d} {lines[n - 1]}" for n in range(start, end + 1)
    )


def compare(package: Package, sample_size: int) -> dict:
    trk = trk_findings(package.files)
    ruff = ruff_findings(package.files)
    trk_keys = {(f["path"], f["line"]) for f in trk}
    ruff_keys = {(f["path"], f["line"]) for f in ruff}
    only_ruff = [f for f in ruff if (f["path"], f["line"]) not in trk_keys]
    only_trk = [f for f in trk if (f["path"], f["line"]) not in ruff_keys]
    result = {
        "package": package.label,
        "trk": trk,
        "ruff": ruff,
        "both": sorted(trk_keys & ruff_keys),
        "only_ruff": only_ruff,
        "only_trk": only_trk,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{package.name}.json").write_text(json.dumps(result, indent=1))
    root = package.root.parent

    trees: dict[str, ast.Module] = {}
    report = []
    for finding in only_ruff:
        path = finding["path"]
        if path not in trees:
            trees[path] = ast.parse(corpus.read_text(Path(path)))
        finding["scope"] = scope_at(trees[path], finding["line"])
        text = _lines(path)[finding["line"] - 1].strip()
        report.append(
            f"{Path(path).relative_to(root)}:{finding['line']}  [{finding['scope']} level]  {text}"
        )
    (OUT / f"{package.name}-only-ruff.txt").write_text("\n".join(report) + "\n")

    sample = random.Random(SEED).sample(only_trk, min(sample_size, len(only_trk)))
    sample.sort(key=lambda f: (f["path"], f["line"]))
    blocks = [
        f"### {Path(f['path']).relative_to(root)}:{f['line']}  {f['code']} {f['message']}\n"
        f"{_enclosing_text(f['path'], f['line'])}\n"
        for f in sample
    ]
    (OUT / f"{package.name}-only-trk-sample.txt").write_text("\n".join(blocks))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="distribution names (default: all pins)")
    parser.add_argument("--sample", type=int, default=30, help="only-TRK findings to sample")
    args = parser.parse_args(argv)
    packages = corpus.prepare(names=args.packages)
    versions = venvs.ensure(with_async=False)
    print(
        f"TRK1xx (flake8-task-tracking {versions['flake8-task-tracking']}, libcst "
        f"{versions['libcst']}) vs RUF006 (ruff {versions['ruff']}); match on file + line\n"
    )
    print("| package | TRK1xx | RUF006 | both | only Ruff | only TRK | only-TRK codes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for package in packages:
        result = compare(package, args.sample)
        codes = Counter(f["code"] for f in result["only_trk"])
        only_ruff_scopes = Counter(f["scope"] for f in result["only_ruff"])
        print(
            f"| {package.label} | {len(result['trk'])} | {len(result['ruff'])} "
            f"| {len(result['both'])} | {len(result['only_ruff'])}"
            + (f" ({dict(only_ruff_scopes)})" if only_ruff_scopes else "")
            + f" | {len(result['only_trk'])} "
            f"| {', '.join(f'{c} {n}' for c, n in sorted(codes.items()))} |",
            flush=True,
        )
    print(f"\nlists written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
