"""Which files a run looks at: paths given on the command line, expanded like Ruff does.

Directories are walked without following symlinks (so link loops cannot trap us), skipping
the usual tool and environment directories and whatever ``.gitignore`` files exclude.
Explicitly named files are always taken.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    ".tox",
    ".nox",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
    "node_modules",
    "*.egg-info",
)


@dataclass(frozen=True)
class Missing:
    """A path given on the command line that does not exist."""

    path: Path


def discover(paths: Sequence[str], extra_excludes: Sequence[str] = ()) -> Iterator[Path | Missing]:
    """Python files under ``paths``, in a stable order; ``Missing`` for paths that do not
    exist (the caller reports them and goes on)."""
    excludes = pathspec.PathSpec.from_lines("gitwildmatch", [*DEFAULT_EXCLUDES, *extra_excludes])
    seen: set[Path] = set()
    for name in paths:
        root = Path(name)
        if root.is_dir():
            found: Iterator[Path] = _walk(root, excludes)
        elif root.exists() or root.is_symlink():
            found = iter([root])
        else:
            yield Missing(root)
            continue
        for path in found:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                yield path


def _walk(root: Path, excludes: pathspec.PathSpec) -> Iterator[Path]:
    gitignores: dict[Path, pathspec.PathSpec | None] = {}
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        base = Path(directory)
        gitignores[base] = _gitignore(base)
        # the .gitignore files of this directory and of the walked directories above it
        specs = [
            (owner, spec)
            for owner, spec in gitignores.items()
            if spec is not None and (owner == base or owner in base.parents)
        ]
        subdirectories[:] = sorted(
            d for d in subdirectories if not _ignored(base / d, True, excludes, specs)
        )
        for file_name in sorted(files):
            path = base / file_name
            if path.suffix in (".py", ".pyi") and not _ignored(path, False, excludes, specs):
                yield path


def _ignored(
    path: Path,
    is_dir: bool,
    excludes: pathspec.PathSpec,
    specs: list[tuple[Path, pathspec.PathSpec]],
) -> bool:
    suffix = "/" if is_dir else ""
    if excludes.match_file(path.name + suffix):
        return True
    return any(
        spec.match_file(path.relative_to(owner).as_posix() + suffix) for owner, spec in specs
    )


def _gitignore(directory: Path) -> pathspec.PathSpec | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return pathspec.PathSpec.from_lines("gitwildmatch", text.splitlines())
