"""Runs inside the ``flake8-trk`` venv and calls the engine directly (what it measures is the
installed snapshot of the worktree).

    python probe.py equivalence FILELIST   # span analysis == full parse, file by file (JSON)
    python probe.py findings FILELIST --codes TRK101,TRK102   # findings as JSON
    python probe.py factories FILELIST   # the text test for task factories misses none (JSON)

FILELIST holds one path a line. Files are read the way flake8 reads them (PEP 263 encoding,
falling back to latin-1), each as a file of its project (the imports of the project are followed).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tokenize
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path

from lint_rules.rules import analyze


def read_source(path: str) -> str:
    data = Path(path).read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return data.decode("latin-1")


def _compare(path: str) -> dict:
    source = read_source(path)
    spans = analyze(source, path=path)  # as a file of its project: imports are followed
    full = analyze(source, full=True, path=path)
    result: dict = {"path": path, "findings": len(spans), "equal": spans == full}
    if spans != full:
        result["only_spans"] = [_row(f) for f in spans if f not in full]
        result["only_full"] = [_row(f) for f in full if f not in spans]
    return result


def _row(finding) -> list:  # type: ignore[no-untyped-def]
    return [finding.line, finding.col, finding.code, finding.message]


def equivalence(paths: Sequence[str], jobs: int) -> dict:
    with Pool(jobs) as pool:
        results = list(pool.imap_unordered(_compare, paths, chunksize=8))
    mismatches = sorted((r for r in results if not r["equal"]), key=lambda r: r["path"])
    return {
        "files": len(results),
        "findings": sum(r["findings"] for r in results),
        "mismatches": mismatches,
    }


def _findings(job: tuple[str, frozenset[str] | None]) -> list[dict]:
    path, codes = job
    return [
        {"path": path, "line": f.line, "col": f.col, "code": f.code, "message": f.message}
        for f in analyze(read_source(path), codes=codes, path=path)
    ]


def findings(paths: Sequence[str], codes: frozenset[str] | None, jobs: int) -> list[dict]:
    with Pool(jobs) as pool:
        chunks = pool.imap(_findings, [(path, codes) for path in paths], chunksize=8)
        return [row for chunk in chunks for row in chunk]


def _factories(path: str) -> dict:
    """The module's task factories as its summaries find them from the whole tree, and those
    the text test (``_may_be_factories``) would not parse the module for."""
    import ast

    from lint_rules.engine.index import ModuleIndex
    from lint_rules.engine.project import Project
    from lint_rules.engine.source import split_lines
    from lint_rules.rules.tasks.imports import _may_be_factories
    from lint_rules.rules.tasks.summaries import Summaries
    from lint_rules.settings import Settings

    source, settings = read_source(path), Settings()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {"path": path, "factories": [], "missed": []}
    index = ModuleIndex(tree, split_lines(source), path, Project.of(path, settings.src))
    found = Summaries(index, settings).task_factories
    missed = found - _may_be_factories(path, settings)
    return {"path": path, "factories": sorted(found), "missed": sorted(missed)}


def factories(paths: Sequence[str], jobs: int) -> dict:
    with Pool(jobs) as pool:
        results = list(pool.imap_unordered(_factories, paths, chunksize=8))
    return {
        "modules": len(results),
        "with_factories": sum(bool(r["factories"]) for r in results),
        "missed": sorted((r for r in results if r["missed"]), key=lambda r: r["path"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("equivalence", "findings", "factories"))
    parser.add_argument("filelist", type=Path)
    parser.add_argument("--codes", default="", help="comma-separated codes (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    paths = [line for line in args.filelist.read_text().splitlines() if line]
    if args.mode == "equivalence":
        output = equivalence(paths, args.jobs)
    elif args.mode == "factories":
        output = factories(paths, args.jobs)
    else:
        codes = frozenset(args.codes.split(",")) if args.codes else None
        output = findings(paths, codes, args.jobs)
    json.dump(output, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
