"""TRK2xx/TRK3xx over the LiteLLM package itself: how many of LiteLLM's own ``CustomLogger``
subclasses the TRK3xx class recognition finds, and that TRK2xx stays silent on library code.

Two steps, because the ground truth needs LiteLLM importable with its optional dependencies
while the check only reads source files:

    # 1. ground truth, in an environment with litellm==1.110.2 and the extras it imports:
    python benchmarks/litellm_callback_rules.py truth > truth.json
    # 2. the rules on the unpacked wheel (pip download --no-deps litellm==1.110.2; unzip):
    python benchmarks/litellm_callback_rules.py check DIR/litellm truth.json [--oracle]

``truth`` imports every module of the installed package and walks
``CustomLogger.__subclasses__()`` recursively (an independent oracle: the interpreter's own
view of inheritance across modules). ``name-truth DIR`` is a second, import-free oracle for
cross-checking: a package-wide closure by base *name* (ignoring imports), starting from
``CustomLogger``. ``check`` runs ``all_callback_classes()`` (what TRK301/302
consider) on every file, compares by (module, qualified name), counts the TRK2xx/TRK3xx
findings, and checks on every triggered file that span analysis equals a full parse.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

CODES = ("TRK201", "TRK202", "TRK301", "TRK302")


def truth() -> int:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm
    from litellm.integrations.custom_logger import CustomLogger

    root = Path(litellm.__file__).parent
    failed = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            importlib.import_module(name)
        except BaseException as error:  # optional dependencies, import-time side effects
            failed[name] = f"{type(error).__name__}: {error}"[:200]
    seen: set[type] = set()
    pending = [CustomLogger]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass not in seen:
                seen.add(subclass)
                pending.append(subclass)
    ours = [cls for cls in seen if cls.__module__.startswith("litellm")]
    json.dump(
        {
            "version": litellm.__dict__.get("__version__") or _version(),
            "classes": sorted([cls.__module__, cls.__qualname__] for cls in ours),
            "direct": sorted(
                [cls.__module__, cls.__qualname__] for cls in ours if CustomLogger in cls.__bases__
            ),
            "import_failures": failed,
        },
        sys.stdout,
        indent=1,
    )
    return 0


def name_truth(package: Path) -> int:
    classes = []  # (module, qualified name, last names of the bases)
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_bytes())
        for node, qualname in _qualnames(tree).items():
            bases = []
            for base in node.bases:
                while isinstance(base, ast.Subscript):
                    base = base.value
                if isinstance(base, (ast.Name, ast.Attribute)):
                    bases.append(base.id if isinstance(base, ast.Name) else base.attr)
            classes.append((module, qualname, bases))
    names, found = {"CustomLogger"}, set()
    while True:
        new = {
            (module, qualname)
            for module, qualname, bases in classes
            if (module, qualname) not in found and names.intersection(bases)
        }
        if not new:
            break
        found |= new
        names |= {qualname.rsplit(".", 1)[-1] for _, qualname in new}
    direct = {(m, q) for m, q, bases in classes if "CustomLogger" in bases}
    json.dump(
        {
            "version": package.name,
            "classes": sorted(map(list, found)),
            "direct": sorted(map(list, direct)),
            "import_failures": {},
        },
        sys.stdout,
        indent=1,
    )
    return 0


def _version() -> str:
    from importlib.metadata import version

    return version("litellm")


def _qualnames(tree: ast.Module) -> dict[ast.ClassDef, str]:
    """Every class of a module with its ``__qualname__``."""
    names: dict[ast.ClassDef, str] = {}

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                names[node] = prefix + node.name
                walk(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                walk(node.body, f"{prefix}{node.name}.<locals>.")
            else:
                for field in ("body", "orelse", "finalbody"):
                    walk(getattr(node, field, None) or [], prefix)
                for handler in getattr(node, "handlers", ()):
                    walk(handler.body, prefix)

    walk(tree.body, "")
    return names


def check(package: Path, truth_file: Path, oracle: bool) -> int:
    from lint_rules.engine.index import ModuleIndex
    from lint_rules.engine.source import split_lines
    from lint_rules.rules import analyze
    from lint_rules.rules.dispatch.classes import all_callback_classes
    from lint_rules.settings import Settings

    expected = json.loads(truth_file.read_text())
    transitive = {tuple(item) for item in expected["classes"]}
    direct = {tuple(item) for item in expected["direct"]}
    settings = Settings()
    found: set[tuple[str, str]] = set()
    findings: Counter[str] = Counter()
    mismatches = []
    files = 0
    analysis_time = parse_time = 0.0
    for path in sorted(package.rglob("*.py")):
        files += 1
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        source = path.read_text(encoding="utf-8")
        started = time.perf_counter()
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        parse_time += time.perf_counter() - started
        names = _qualnames(tree)
        index = ModuleIndex(tree, split_lines(source))
        found.update((module, names[c.node]) for c in all_callback_classes(index, settings))
        started = time.perf_counter()
        spans = analyze(source, settings, tree=tree, codes=CODES)
        analysis_time += time.perf_counter() - started
        findings.update(f.code for f in spans)
        if oracle and spans != analyze(source, settings, tree=tree, codes=CODES, full=True):
            mismatches.append(module)

    print(f"LiteLLM {expected['version']}: {files} files; TRK2xx+TRK3xx analysis took", end="")
    print(f" {analysis_time:.1f} s given the ast trees (as under flake8); ast.parse of the", end="")
    print(f" same files took {parse_time:.1f} s: ratio {analysis_time / parse_time:.2f}")
    print(f"ground truth: {len(transitive)} CustomLogger subclasses, {len(direct)} direct")
    print(f"  (modules the ground truth could not import: {len(expected['import_failures'])})")
    print(f"recognised: {len(found & transitive)} of {len(transitive)}", end="")
    print(f" (direct: {len(found & direct)} of {len(direct)})")
    print(f"missed: {sorted(transitive - found)}")
    print(f"recognised but not subclasses at runtime: {sorted(found - transitive)}")
    print("findings: " + ", ".join(f"{code} {findings[code]}" for code in CODES))
    if oracle:
        print(f"span analysis != full parse: {mismatches or 'none'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("truth", help="print the ground truth as JSON (needs litellm)")
    by_name = commands.add_parser("name-truth", help="the same by base names, without imports")
    by_name.add_argument("package", type=Path, help="the unpacked litellm/ directory")
    checking = commands.add_parser("check", help="run the rules on the unpacked package")
    checking.add_argument("package", type=Path, help="the unpacked litellm/ directory")
    checking.add_argument("truth", type=Path, help="the JSON printed by `truth`")
    checking.add_argument("--oracle", action="store_true", help="compare with full parses")
    args = parser.parse_args()
    if args.command == "truth":
        return truth()
    if args.command == "name-truth":
        return name_truth(args.package)
    return check(args.package, args.truth, args.oracle)


if __name__ == "__main__":
    sys.exit(main())
