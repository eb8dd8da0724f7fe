"""Check files and report findings (exit 0 clean, 1 findings, 2 usage or I/O error).

examples:
  lint-rules check src/
  lint-rules check --select TRK1 app.py"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lint_rules.engine import analyze


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH")


def run(args: argparse.Namespace) -> int:
    status = 0
    for name in args.paths:
        paths = sorted(Path(name).rglob("*.py")) if Path(name).is_dir() else [Path(name)]
        for path in paths:
            try:
                source = path.read_text(encoding="utf-8")
            except OSError as error:
                print(f"lint-rules: {path}: {error.strerror}", file=sys.stderr)
                status = 2
                continue
            for finding in analyze(source):
                print(f"{path}:{finding.line}:{finding.col + 1}: {finding.code} {finding.message}")
                status = max(status, 1)
    return status
