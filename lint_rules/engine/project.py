"""The project a checked file belongs to: its first-party modules, found from its imports.

The project root is the nearest directory above the file that holds ``pyproject.toml``,
``setup.cfg``, ``tox.ini``, ``.flake8`` or ``.git`` (the file's own directory
without one); its source roots are the ``src`` setting's directories under it (by default the
root itself and ``src/``, as in Ruff). ``import x.y``, ``from x import y`` and relative imports
resolve to files under those roots, packages with or without ``__init__.py``; anything else
(the standard library, third-party packages) is never read.

A module is read and parsed (``ast`` only) the first time a rule asks for it, and kept for the
rest of the process, keyed by its path, size and modification time; one that cannot be read,
decoded or parsed is simply unknown: it never stops a run and never produces a finding.
"""

from __future__ import annotations

import ast
import functools
import io
import os
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lint_rules.engine.source import split_lines

if TYPE_CHECKING:
    from lint_rules.engine.index import ModuleIndex

# (not setup.py: a package may well have a module of that name)
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8", ".git")


@functools.lru_cache(maxsize=1024)
def project_root(directory: str) -> str:
    """The nearest directory at or above ``directory`` holding a project marker."""
    current = directory
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in PROJECT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return directory
        current = parent


@dataclass(frozen=True)
class Project:
    """The source roots a file's absolute imports are looked up under."""

    roots: tuple[str, ...]

    @classmethod
    def of(cls, path: str, src: Sequence[str]) -> Project:
        root = project_root(os.path.dirname(os.path.abspath(path)))
        roots = dict.fromkeys(os.path.normpath(os.path.join(root, s)) for s in src)
        return cls(tuple(r for r in roots if os.path.isdir(r)))

    def resolve(self, qualified: str, importer: str | None) -> tuple[str, str] | None:
        """Where a qualified name as an import binds it lives (``pkg.mod.spawn``,
        ``.mod.spawn`` from ``importer``): (the module's file, the attribute path in it, ""
        for the module itself), or None outside the project."""
        dots = len(qualified) - len(qualified.lstrip("."))
        parts = qualified[dots:].split(".") if qualified[dots:] else []
        if dots:
            if importer is None:
                return None
            base = os.path.dirname(os.path.abspath(importer))
            for _ in range(dots - 1):
                base = os.path.dirname(base)
            bases = [base]
        else:
            bases = list(self.roots)
        for base in bases:
            for cut in range(len(parts), 0, -1):
                module = _module_file(os.path.join(base, *parts[:cut]))
                if module is not None:
                    return module, ".".join(parts[cut:])
            package = os.path.join(base, "__init__.py")
            if dots and os.path.isfile(package):  # `from . import x`: x in __init__.py
                return package, ".".join(parts)
        return None


@functools.lru_cache(maxsize=16384)
def _module_file(stem: str) -> str | None:
    """``stem.py``, or ``stem/__init__.py`` for a package (a directory without one is a
    namespace package: nothing to read)."""
    if os.path.isfile(stem + ".py"):
        return stem + ".py"
    package = os.path.join(stem, "__init__.py")
    return package if os.path.isfile(package) else None


class Modules:
    """Every first-party module read in this process, by path (see the module docstring)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int], ModuleIndex | None]] = {}
        self._mentions: dict[tuple[str, tuple[str, ...]], tuple[tuple[int, int] | None, bool]] = {}
        self.reads = 0  # files read and parsed: what the benchmarks report

    def mentions(self, path: str, words: Sequence[str]) -> bool:
        """The module's text holds one of ``words`` (a cheap test before parsing it)."""
        stamp = _stamp(path)
        key = (path, tuple(words))
        cached = self._mentions.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except OSError:
            data = b""
        found = stamp is not None and any(word.encode() in data for word in words)
        self._mentions[key] = (stamp, found)
        return found

    def load(self, path: str, src: Sequence[str]) -> ModuleIndex | None:
        from lint_rules.engine.index import ModuleIndex

        stamp = _stamp(path)
        if stamp is None:
            return None
        cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        self.reads += 1
        index = None
        try:
            with open(path, "rb") as stream:
                data = stream.read()
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
            tree = ast.parse(text)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            pass
        else:
            index = ModuleIndex(tree, split_lines(text), path, Project.of(path, src))
        self._cache[path] = (stamp, index)
        return index


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


MODULES = Modules()
