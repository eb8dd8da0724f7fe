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
import gc
import io
import os
import re
import tokenize
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lint_rules.engine.source import split_lines

if TYPE_CHECKING:
    from lint_rules.engine.index import ModuleIndex

# (not setup.py: a package may well have a module of that name)
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8", ".git")


_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.M)
_ALIAS = re.compile(r"([\w.*]+)(?:[ \t]+as[ \t]+(\w+))?")


def imported_names(source: str) -> list[tuple[str, str | None, bool]]:
    """What the import statements of ``source`` import, read from the text (no parse):
    (qualified name as an import binds it, the local name given with ``as``, whether the
    statement is ``from ... import``), for ``from m import a as b`` ("m.a", "b", True) and for
    ``import a.b`` ("a.b", None, False). Good enough to follow a project's imports; the
    rules read what they report on from the module's tree."""
    if "import" not in source:
        return []
    found: list[tuple[str, str | None, bool]] = []
    for module, names in _FROM.findall(source):
        for name, local in _ALIAS.findall(names.strip("()")):
            if name != "*":
                qualified = module + name if not module.strip(".") else f"{module}.{name}"
                found.append((qualified, local or None, True))
    for names in _IMPORT.findall(source):
        for name, local in _ALIAS.findall(names):
            found.append((name, local or None, False))
    return found


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
        relative = qualified.startswith(".")
        if relative and importer is None:
            return None
        directory = os.path.dirname(os.path.abspath(importer)) if relative and importer else ""
        return _resolve(self.roots, qualified, directory)


@functools.lru_cache(maxsize=65536)
def _resolve(roots: tuple[str, ...], qualified: str, directory: str) -> tuple[str, str] | None:
    """``Project.resolve``: ``directory`` is the importer's, for a relative name."""
    dots = len(qualified) - len(qualified.lstrip("."))
    parts = qualified[dots:].split(".") if qualified[dots:] else []
    if dots:
        base = directory
        for _ in range(dots - 1):
            base = os.path.dirname(base)
        bases = [base]
    else:
        bases = list(roots)
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
        # the trees of the modules read last (trees kept for long slow the garbage collector
        # down for the rest of the run: what the rules derive from them is kept instead)
        self._cache: OrderedDict[str, tuple[tuple[int, int], ModuleIndex | None]] = OrderedDict()
        self._matches: dict[tuple[str, re.Pattern[bytes]], tuple[tuple[int, int] | None, bool]] = {}
        self._findall: dict[
            tuple[str, re.Pattern[bytes]], tuple[tuple[int, int] | None, frozenset[str]]
        ] = {}
        self._imports: dict[
            str, tuple[tuple[int, int] | None, list[tuple[str, str | None, bool]]]
        ] = {}
        self.reads = 0  # files read and parsed: what the benchmarks report

    def mentions(self, path: str, words: Sequence[str], *, names: bool = False) -> bool:
        """The module's text holds one of ``words`` (with ``names``, not as the end of a
        longer name: ``create_task``, not ``async_create_task``): a cheap test before parsing
        the module."""
        return self.matches(path, _words_pattern(tuple(words), names))

    def matches(self, path: str, pattern: re.Pattern[bytes]) -> bool:
        """``pattern`` matches somewhere in the module's text (read once per stamp)."""
        stamp = _stamp(path)
        key = (path, pattern)
        cached = self._matches.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found = stamp is not None and pattern.search(read_bytes(path)) is not None
        self._matches[key] = (stamp, found)
        return found

    def findall(self, path: str, pattern: re.Pattern[bytes]) -> frozenset[str]:
        """The first group of every match of ``pattern`` in the module's text (read once
        per stamp): one scan answers every later question about the names it finds."""
        stamp = _stamp(path)
        key = (path, pattern)
        cached = self._findall.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        data = read_bytes(path) if stamp is not None else b""
        found = frozenset(m.decode("utf-8", "replace") for m in pattern.findall(data))
        self._findall[key] = (stamp, found)
        return found

    def imports_of(self, path: str) -> list[tuple[str, str | None, bool]]:
        """``imported_names`` of the module's text (read once per stamp)."""
        stamp = _stamp(path)
        cached = self._imports.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                names = imported_names(stream.read())
        except OSError:
            names = []
        self._imports[path] = (stamp, names)
        return names

    def load(self, path: str, src: Sequence[str]) -> ModuleIndex | None:
        from lint_rules.engine.index import ModuleIndex

        stamp = _stamp(path)
        if stamp is None:
            return None
        cached = self._cache.get(path)
        if cached is not None and cached[0] == stamp:
            self._cache.move_to_end(path)
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
            # A kept tree of a large module is hundreds of thousands of objects that every
            # later full collection would walk again (with LiteLLM's modules, a fifth of
            # flake8's time): moved to the permanent generation, they are not, and reference
            # counting still frees them when the cache lets them go (a tree has no cycle).
            # Garbage in cycles is collected first: frozen, it would never be.
            gc.collect()
            gc.freeze()
        self._cache[path] = (stamp, index)
        if len(self._cache) > KEPT_TREES:
            self._cache.popitem(last=False)
        return index


@functools.lru_cache(maxsize=64)
def _words_pattern(words: tuple[str, ...], names: bool) -> re.Pattern[bytes]:
    alternatives = b"|".join(re.escape(w.encode()) for w in words)
    return re.compile((rb"(?<![\w])(?:" if names else b"(?:") + alternatives + b")")


def read_bytes(path: str) -> bytes:
    """The file's bytes (empty if it cannot be read)."""
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError:
        return b""


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


KEPT_TREES = 128
MODULES = Modules()
