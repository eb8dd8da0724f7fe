"""Which files a run looks at.

Paths given on the command line are expanded like Ruff does: directories are walked without
following symlinks (so link loops cannot trap us), skipping the usual tool and environment
directories and whatever ``.gitignore`` files exclude — those inside the walked tree and those
above it up to the repository root, plus ``.git/info/exclude``, and FIFOs, sockets and
devices (reading one could block the run forever). Explicitly named files are always taken
(pre-commit names every file it wants checked). A symlink met in a walk whose target lies
outside the directory walked is skipped, as Black does: ``fix`` never writes outside the
paths it is given unless a link is named explicitly.

Reading a file named explicitly that is not a regular file (a FIFO, a device behind a
symlink), or one larger than ``--max-file-size``, is a one-line error, not a hang.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lint_rules.cli.console import shown

if TYPE_CHECKING:
    import pathspec

    from lint_rules.cli.config import Config

    # (directory the patterns are relative to, the patterns), by rising precedence
    _Ignores = tuple[tuple[Path, pathspec.PathSpec], ...]

STDIN = "-"  # the path that names standard input

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

PYTHON_SUFFIXES = (".py", ".pyi")
DEFAULT_MAX_MIB = 32  # LiteLLM's largest module is under 1 MiB


def read_file(path: Path, max_mib: int = DEFAULT_MAX_MIB) -> bytes:
    """The bytes of a regular file of at most ``max_mib`` MiB. Raises ``OSError`` (with a
    ``strerror`` that says what to do) for anything else: a FIFO is opened without waiting
    for a writer and refused, a device is never read."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file, but a FIFO, socket or device")
        if info.st_size > max_mib * 1024 * 1024:
            raise OSError(
                errno.EFBIG, f"larger than {max_mib} MiB; raise --max-file-size to read it"
            )
        return stream.read()


@dataclass(frozen=True)
class Missing:
    """A path given on the command line that does not exist."""

    path: Path


def gitignore_spec(lines: Iterable[str]) -> pathspec.PathSpec:
    """gitignore-style patterns, compiled (pathspec is imported only once some are needed:
    a file named alone starts faster)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


@functools.cache
def _excludes(base: Path, extra: tuple[str, ...]) -> tuple[pathspec.PathSpec, _Patterns]:
    """The default excludes and the user's, built once (a file named alone needs neither)."""
    return gitignore_spec(DEFAULT_EXCLUDES), _Patterns(base, gitignore_spec(extra))


def discover(
    paths: Sequence[str],
    extra_excludes: Sequence[str] = (),
    *,
    root: Path | None = None,
    force_exclude: bool = False,
) -> Iterator[Path | Missing]:
    """Python files under ``paths``, in a stable order; ``Missing`` for paths that do not
    exist (the caller reports them and goes on).

    ``extra_excludes`` are gitignore-style patterns added to the defaults, relative to
    ``root`` (the project root: the current directory by default), so ``tests/fixtures/``
    is anchored there and ``fixtures/`` matches at any depth. Paths named explicitly are
    taken even when a pattern excludes them, unless ``force_exclude`` (for pre-commit, which
    names every file itself)."""
    base = Path(os.path.abspath(root if root is not None else "."))
    seen: set[Path] = set()
    for name in paths:
        given = Path(name)
        absolute = Path(os.path.abspath(given))
        if not (given.exists() or given.is_symlink()):
            yield Missing(given)
            continue
        if force_exclude or given.is_dir():
            defaults, extras = _excludes(base, tuple(extra_excludes))
        if force_exclude and (
            extras.match(absolute, given.is_dir())
            or defaults.match_file(_relative_or_name(absolute, base))
        ):
            continue
        if given.is_dir():
            # a directory named explicitly is walked even if a pattern excludes it
            ignores = tuple(
                (owner, spec)
                for owner, spec in _ignores_above(absolute)
                if force_exclude
                or owner == absolute
                or not spec.match_file(_below(absolute, owner) + "/")
            )
            walk_extras = extras if force_exclude or not extras.match(absolute, True) else None
            found: Iterator[Path] = _walk(given, defaults, walk_extras, ignores)
        else:
            found = iter([given])
        for path in found:
            # realpath, unlike Path.resolve, does not raise on a symlink loop: the loop is
            # yielded, and reading it gives the one-line error the caller reports
            key = Path(os.path.realpath(path))
            if key not in seen:
                seen.add(key)
                yield path


def python_files(
    paths: Sequence[str], config: Config, *, force_exclude: bool = False
) -> tuple[list[Path], list[str]]:
    """The Python files under ``paths`` (the configuration's excludes applied), and a
    one-line problem for each path that does not exist."""
    found = discover(paths, config.excludes(), root=config.root(), force_exclude=force_exclude)
    files: list[Path] = []
    problems: list[str] = []
    for item in found:
        if isinstance(item, Missing):
            problems.append(f"{shown(str(item.path))}: no such file or directory; check the path")
        else:
            files.append(item)
    return files, problems


@dataclass(frozen=True)
class _Patterns:
    """The user's exclude patterns and the directory they are relative to."""

    base: Path
    spec: pathspec.PathSpec

    def match(self, absolute: Path, is_dir: bool) -> bool:
        relative = _relative_or_name(absolute, self.base)
        return self.spec.match_file(relative + ("/" if is_dir else ""))


def _relative_or_name(absolute: Path, base: Path) -> str:
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:  # outside the project: only its name can match
        return absolute.name


def _below(absolute: Path, owner: Path) -> str:
    return absolute.relative_to(owner).as_posix()


def _walk(
    root: Path,
    defaults: pathspec.PathSpec,
    extras: _Patterns | None,
    ignores_above: _Ignores,
) -> Iterator[Path]:
    # ignore files are matched against absolute paths, so that those above ``root`` apply
    # whatever form (relative, with "..") the path was given in
    absolute_root = Path(os.path.abspath(root))
    inherited: dict[Path, _Ignores] = {root: ignores_above}
    real_root = os.path.realpath(root)
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        base = Path(directory)
        absolute = absolute_root / base.relative_to(root)
        own = _gitignore(absolute / ".gitignore")
        ignores = inherited.pop(base) + (((absolute, own),) if own is not None else ())
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not _excluded(absolute / name, True, defaults, extras, ignores)
        )
        for name in subdirectories:
            inherited[base / name] = ignores
        for file_name in sorted(files):
            if (
                Path(file_name).suffix in PYTHON_SUFFIXES
                and not _excluded(absolute / file_name, False, defaults, extras, ignores)
                and not _is_special(base / file_name)
                and not _links_outside(base / file_name, real_root)
            ):
                yield base / file_name


def _links_outside(path: Path, real_root: str) -> bool:
    """A symlink whose target exists and is not under the (real) directory being walked
    (a dangling link or a loop is kept: reading it reports why)."""
    if not path.is_symlink() or not path.exists():
        return False
    target = os.path.realpath(path)
    try:
        return os.path.commonpath([target, real_root]) != real_root
    except ValueError:  # another drive
        return True


def _is_special(path: Path) -> bool:
    """A FIFO, socket or device: reading one may block forever, and it holds no source (git
    skips them too). Links that cannot be followed are not special: reading them reports
    why."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _ignores_above(root: Path) -> _Ignores:
    """The ignore files that apply to the absolute directory ``root`` from above it, up to the
    root of the git repository it is in (none outside a repository: git would not apply
    them), plus that repository's ``.git/info/exclude``."""
    found: list[tuple[Path, pathspec.PathSpec]] = []  # nearest first
    for directory in [root, *root.parents]:
        spec = _gitignore(directory / ".gitignore") if directory != root else None
        if spec is not None:
            found.append((directory, spec))
        if (directory / ".git").exists():
            info = _gitignore(directory / ".git" / "info" / "exclude")
            if info is not None:
                found.append((directory, info))  # git gives it the lowest precedence
            return tuple(reversed(found))  # ordered by rising precedence, like the walk
    return ()


def _excluded(
    path: Path,
    is_dir: bool,
    defaults: pathspec.PathSpec,
    extras: _Patterns | None,
    ignores: _Ignores,
) -> bool:
    suffix = "/" if is_dir else ""
    return (
        defaults.match_file(path.name + suffix)
        or (extras is not None and extras.match(path, is_dir))
        or _ignored(path, suffix, ignores)
    )


def _ignored(path: Path, suffix: str, ignores: _Ignores) -> bool:
    """Whether an ignore file excludes the absolute ``path``: as in git, the deepest file
    with a matching pattern decides (so "!keep.py" in a subdirectory re-includes what a
    parent's "*.py" excluded)."""
    for owner, spec in reversed(ignores):
        decision = spec.check_file(_below(path, owner) + suffix).include
        if decision is not None:
            return decision
    return False


def _gitignore(path: Path) -> pathspec.PathSpec | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return gitignore_spec(text.splitlines())
