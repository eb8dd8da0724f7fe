"""The virtual environments the benchmarks compare, built once under ``benchmarks/.cache/venvs``.

* ``flake8``: flake8 alone (the baseline);
* ``flake8-trk``: the same flake8 version plus this repository (``pip install <repo>``; it is
  reinstalled whenever the repository's sources change, so it always measures the worktree);
* ``flake8-async``: the same flake8 version plus flake8-async (the libcst-based peer);
* ``ruff``: Ruff (the speed anchor and the RUF006 findings).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus import CACHE

REPO = Path(__file__).resolve().parent.parent
VENVS = CACHE / "venvs"


@dataclass(frozen=True)
class Venv:
    name: str

    @property
    def path(self) -> Path:
        return VENVS / self.name

    def bin(self, name: str) -> str:
        return str(self.path / "bin" / name)

    @property
    def python(self) -> str:
        return self.bin("python")

    def version_of(self, distribution: str) -> str:
        code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
        result = subprocess.run(
            [self.python, "-c", code],
            capture_output=True,
            text=True,
        )
        return result.stdout.strip() or "?"


BASE = Venv("flake8")
TRK = Venv("flake8-trk")
ASYNC = Venv("flake8-async")
RUFF = Venv("ruff")


def _pip(target: Venv, *args: str) -> None:
    command = [target.python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"venvs: {' '.join(command)} failed:\n{result.stderr}")


def _create(target: Venv) -> bool:
    """Create ``target`` if missing; True when it was just created."""
    if (target.path / "bin" / "python").exists():
        return False
    print(f"venvs: creating {target.path}", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(target.path)
    return True


def source_digest() -> str:
    """A hash of everything `pip install <repo>` would install."""
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "lint_rules").rglob("*.py")]):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure(*, with_async: bool = True) -> dict[str, str]:
    """Build (or reuse) the venvs; return the versions of what they hold."""
    VENVS.mkdir(parents=True, exist_ok=True)
    marker = TRK.path / "installed-from"
    digest = source_digest()
    if _create(TRK) or not marker.is_file() or marker.read_text() != digest:
        print(f"venvs: installing {REPO} into {TRK.path}", file=sys.stderr)
        _pip(TRK, str(REPO))  # pip reinstalls a local directory every time
        marker.write_text(digest)
    flake8 = TRK.version_of("flake8")
    targets = [(BASE, [f"flake8=={flake8}"]), (RUFF, ["ruff"])]
    if with_async:
        targets.append((ASYNC, [f"flake8=={flake8}", "flake8-async"]))
    for target, requirements in targets:
        if _create(target) or target.version_of(requirements[0].split("==")[0]) == "?":
            _pip(target, *requirements)
        if target is not RUFF and target.version_of("flake8") != flake8:
            _pip(target, f"flake8=={flake8}")
    versions = {
        "flake8": flake8,
        "libcst": TRK.version_of("libcst"),
        "flake8-task-tracking": TRK.version_of("flake8-task-tracking"),
        "ruff": RUFF.version_of("ruff"),
        "python": sys.version.split()[0],
    }
    if with_async:
        versions["flake8-async"] = ASYNC.version_of("flake8-async")
    return versions


if __name__ == "__main__":
    for name, version in ensure().items():
        print(f"{name} {version}")


def probe(command: str, files: Iterable[Path | str], *args: str) -> Any:
    """Run ``probe.py COMMAND FILELIST ARGS`` with the engine of the flake8-trk venv and
    return its JSON output; exits with the engine's stderr when it crashes."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(map(str, files)))
    try:
        script = str(Path(__file__).resolve().parent / "probe.py")
        result = subprocess.run(
            [TRK.python, script, command, listing.name, *args], capture_output=True, text=True
        )
    finally:
        os.unlink(listing.name)
    if result.returncode != 0:
        raise SystemExit(f"probe.py {command} crashed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)
