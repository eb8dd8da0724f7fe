"""`lint-rules fix` on LiteLLM 1.110.2: run it in place on a copy of the package, then check
that every file still compiles, that the package re-lints with no fixable finding, and that a
second run changes nothing. Prints the figures that benchmarks/README.md records.

    python benchmarks/fix_litellm.py [-j N] [--drain] [--declare-dispatch-mode=MODE] [--judged]

With ``--judged`` the same runs on every package of the judged corpus (``corpus.py``), and a
last table gives the share of TRK1xx findings fixed per package.

The opt-in options are passed on to `lint-rules fix`; "fixable" after the fix means fixable
with the options of the run (e.g. TRK301 is fixable only with --declare-dispatch-mode).

The wheel is downloaded once (`pip download --no-deps litellm==1.110.2`) into
benchmarks/.cache/ (gitignored) and unzipped there; the fix runs on a temporary copy.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
import zipfile
from collections import Counter
from pathlib import Path

from lint_rules.fix.apply import no_fix_reason
from lint_rules.rules import analyze
from lint_rules.settings import DISPATCH_MODES

VERSION = "1.110.2"
CACHE = Path(__file__).resolve().parent / ".cache"


def package() -> Path:
    """The unzipped ``litellm`` package directory, downloaded on first use."""
    unpacked = CACHE / f"litellm-{VERSION}"
    if not (unpacked / "litellm").is_dir():
        CACHE.mkdir(exist_ok=True)
        wheels = list(CACHE.glob(f"litellm-{VERSION}-*.whl"))
        if not wheels:
            pip = [sys.executable, "-m", "pip", "download", "--no-deps"]
            subprocess.run([*pip, f"litellm=={VERSION}", "-d", str(CACHE)], check=True)
            wheels = list(CACHE.glob(f"litellm-{VERSION}-*.whl"))
        with zipfile.ZipFile(wheels[0]) as wheel:
            wheel.extractall(unpacked)
    return unpacked / "litellm"


def read(path: Path) -> str:
    with tokenize.open(path) as stream:
        return stream.read()


def compiles(path: Path) -> bool:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def fix_copy(
    name: str, original: Path, args: argparse.Namespace
) -> tuple[bool, Counter[str], Counter[str]]:
    """Fix a copy of ``original`` (an import package directory) in place and check it;
    print the figures. Returns (all checks hold, fixes applied by code, left by code)."""
    options = {"drain": args.drain, "declare_dispatch_mode": args.declare_dispatch_mode}
    opt_ins = ["--drain"] * args.drain
    if args.declare_dispatch_mode:
        opt_ins.append(f"--declare-dispatch-mode={args.declare_dispatch_mode}")
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / original.name
        shutil.copytree(original, copy)
        command = [sys.executable, "-m", "lint_rules", "fix", "-j", str(args.jobs), *opt_ins]
        print(f"## {name}\n\n$", " ".join(command[2:]), f"<copy of {original.name}/>")
        started = time.perf_counter()
        first = subprocess.run([*command, str(copy)], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        print(first.stderr.strip(), f"(exit {first.returncode}, {elapsed:.0f} s)")

        files = sorted(copy.rglob("*.py"))

        def before(path: Path) -> Path:
            return original / path.relative_to(copy)

        changed = [p for p in files if p.read_bytes() != before(p).read_bytes()]
        compiled = [p for p in files if compiles(before(p))]
        broken = [p for p in compiled if not compiles(p)]
        fixed_by_code: Counter[str] = Counter()
        for path in changed:
            fixed_by_code.update(f.code for f in analyze(read(before(path)), full=True))
            fixed_by_code.subtract(f.code for f in analyze(read(path), full=True))
        relint = [f for p in files for f in analyze(read(p))]
        fixable = [f for f in relint if no_fix_reason(f, options) is None]
        check = [*command, "--check", str(copy)]
        second = subprocess.run(check, capture_output=True, text=True)

    left = Counter(f.code for f in relint)
    print(f"files: {len(files)}, changed: {len(changed)}")
    print(f"fixes applied by code: {dict(sorted((+fixed_by_code).items()))}")
    print(f"compile: {len(compiled)} files before, {len(compiled) - len(broken)} of them after")
    print(
        f"re-lint: {len(relint)} findings, {len(fixable)} fixable, by code:",
        dict(sorted(left.items())),
    )
    print(f"second run (--check): exit {second.returncode}, {second.stderr.strip()}\n")
    ok = not broken and not fixable and second.returncode == 0 and not second.stdout
    return ok and first.returncode == 0, +fixed_by_code, left


def _tasks_share(fixed: Counter[str], left: Counter[str], *, excluded: tuple[str, ...] = ()) -> str:
    """Fixed / all TRK1xx findings (fixed + left), leaving out the ``excluded`` codes."""

    def counts(counter: Counter[str]) -> int:
        return sum(
            n for code, n in counter.items() if code.startswith("TRK1") and code not in excluded
        )

    done, total = counts(fixed), counts(fixed) + counts(left)
    return f"{done}/{total} = {100 * done / total:.1f}%" if total else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--drain", action="store_true")
    parser.add_argument("--declare-dispatch-mode", choices=DISPATCH_MODES)
    parser.add_argument(
        "--judged", action="store_true", help="also every package of the judged corpus"
    )
    args = parser.parse_args()
    targets = [(f"litellm {VERSION}", package())]
    if args.judged:
        from corpus import JUDGED_PINS, prepare

        targets += [(p.label, p.root) for p in prepare(JUDGED_PINS)]
    all_ok, fixed, left = True, Counter[str](), Counter[str]()
    rows = []
    for name, root in targets:
        ok, fixed_here, left_here = fix_copy(name, root, args)
        all_ok &= ok
        fixed += fixed_here
        left += left_here
        rows.append((name, fixed_here, left_here, ok))
    print(
        "| package | TRK1xx fixed | TRK1xx left | fixed / all TRK1xx | without TRK103/106 "
        "| checks |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for name, fixed_here, left_here, ok in [*rows, ("**total**", fixed, left, all_ok)]:
        tasks_fixed = sum(n for c, n in fixed_here.items() if c.startswith("TRK1"))
        tasks_left = sum(n for c, n in left_here.items() if c.startswith("TRK1"))
        print(
            f"| {name} | {tasks_fixed} | {tasks_left} | {_tasks_share(fixed_here, left_here)} "
            f"| {_tasks_share(fixed_here, left_here, excluded=('TRK103', 'TRK106'))} "
            f"| {'hold' if ok else 'FAIL'} |"
        )
    print("left by code:", dict(sorted(left.items())))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
