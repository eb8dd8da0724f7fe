"""The project's task factories a module imports: ``from myapp.tasks import spawn`` makes a
discarded ``spawn(job())`` a TRK101 like a factory of the module itself, in a module that the
task API words bring in (reading the imports of every file would cost too much).

The import statements are read from the text; an imported module is read only when its text
names a task-making call, and then summarised like the module's own functions
(``summaries.py``).
"""

from __future__ import annotations

import functools
import re

from lint_rules.engine.project import MODULES, Project, imported_names, read_bytes
from lint_rules.engine.triggers import last_names
from lint_rules.settings import Settings


@functools.lru_cache(maxsize=8)
def imported_factory_words(
    source: str, path: str, project: Project, settings: Settings
) -> tuple[str, ...]:
    """The words a call of an imported task factory shows in this module: the local name of
    each factory imported by name (``spawn``, or ``go`` for ``import spawn as go``), and the
    factory's own name for project modules imported whole (``tasks.spawn(...)``)."""
    words: set[str] = set()
    modules: dict[str, tuple[str, str] | None] = {}  # each `from` module resolved once
    for qualified, local, named in imported_names(source):
        module, _, name = qualified.rpartition(".")
        if named and module and module.strip("."):
            if module not in modules:
                modules[module] = project.resolve(module, path)
            found = modules[module]
            if found is None:
                continue  # not the project's
            if not found[1] and not found[0].endswith("__init__.py"):
                # a module, not a package: `name` is one of its attributes
                if _is_factory(found[0], name, settings, 0):
                    words.add(local or name)
                continue
        found = project.resolve(qualified, path)
        if found is None:
            continue
        module_path, attribute = found
        if not attribute:  # a module of the project: `tasks.spawn(...)`
            words.update(module_factories(module_path, settings))
        elif named and attribute == name and _is_factory(module_path, name, settings, 0):
            words.add(local or name)
    return tuple(sorted(words))


@functools.lru_cache(maxsize=65536)
def _is_factory(module_path: str, name: str, settings: Settings, depth: int) -> bool:
    """``name`` of the module is a task factory it defines, or one it imports from another
    module of the project (a re-export in ``__init__.py``)."""
    # a factory is a plain `def` that names a task API or another factory: a module without
    # one of that name is not parsed for it
    if (
        name in MODULES.findall(module_path, _PLAIN_DEFS)
        and name in _may_be_factories(module_path, settings)
        and name in module_factories(module_path, settings)
    ):
        return True
    found = _reexported(module_path, name, settings) if depth <= 3 else None
    if found is None or "." in found[1] or not found[1]:
        return False
    return _is_factory(found[0], found[1], settings, depth + 1)


def _reexported(module_path: str, name: str, settings: Settings) -> tuple[str, str] | None:
    """Where the name the module imports as ``name`` lives (read from the text: no parse),
    as ``Project.resolve`` gives it; None if the module imports no such name."""
    for qualified, local, named in MODULES.imports_of(module_path):
        if named and (local or qualified.rsplit(".", 1)[-1]) == name:
            return Project.of(module_path, settings.src).resolve(qualified, module_path)
    return None


@functools.lru_cache(maxsize=65536)
def module_factories(module_path: str, settings: Settings) -> frozenset[str]:
    """The names of the task factories defined in a project module (read only if its text
    names a task API)."""
    if not MODULES.mentions(module_path, _task_words(settings), names=True):
        return frozenset()
    index = MODULES.load(module_path, settings.src)
    if index is None:
        return frozenset()
    from lint_rules.rules.tasks.summaries import module_summaries  # libcst: only from here

    return module_summaries(index, settings).task_factories


@functools.lru_cache(maxsize=65536)
def may_make_tasks(module_path: str, attribute: str, settings: Settings, depth: int = 0) -> bool:
    """What ``attribute`` names in a project module may return a task: the module's text
    names a task API, or it imports the name from another module that may (a re-export).
    Read from the text: a module that does neither is not parsed to ask whether a call of
    it makes a task. (A function that only returns what a factory of a third module gives
    back is missed: the price of not parsing every module a file imports.)"""
    if MODULES.mentions(module_path, _task_words(settings), names=True):
        return True
    head, _, rest = attribute.partition(".")
    found = _reexported(module_path, head, settings) if head and depth <= 3 else None
    if found is None:
        return False
    inner = ".".join(part for part in (found[1], rest) if part)
    return may_make_tasks(found[0], inner, settings, depth + 1)


@functools.lru_cache(maxsize=65536)
def _may_be_factories(module_path: str, settings: Settings) -> frozenset[str]:
    """The names of the module's functions and methods that may be task factories, read from
    the text: each ``def`` whose lines name a task API, then each one whose lines name one
    of those, until no new one turns up. ``Summaries.task_factories`` follows the same
    mentions in the tree (its factories are among these), so a name left out need not be
    parsed for. A ``def`` ends before the next line indented no deeper that is not blank, a
    comment or a closing bracket; a layout that fools this only leaves names out."""
    from lint_rules.rules.tasks.codes import trigger  # (which imports this module)

    words = [word.encode() for word in trigger(settings).words]
    pending = _definitions(read_bytes(module_path))
    new = {name for name, text in pending.items() if any(word in text for word in words)}
    found: set[str] = set()
    while new:
        found |= new
        for name in new:
            del pending[name]
        named = re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in new) + rb")\b")
        new = {name for name, text in pending.items() if named.search(text)}
    return frozenset(found)


def _definitions(data: bytes) -> dict[str, bytes]:
    """Each name a ``def`` of the module's text binds, with the text of every ``def`` of that
    name (decorators included; a nested ``def`` is also part of the one around it)."""
    lines = data.split(b"\n")
    texts: dict[str, bytes] = {}
    open_definitions: list[tuple[int, str, int]] = []  # (indent, name, first line)
    decorated = None  # the first line of the decorators above the next line

    def close(end: int) -> None:
        _, name, start = open_definitions.pop()
        texts[name] = texts.get(name, b"") + b"\n".join(lines[start:end])

    for number, line in enumerate(lines):
        code = line.lstrip(b" \t")
        if not code or code[:1] in b"#)]}\r\f":
            continue
        indent = len(line) - len(code)
        while open_definitions and indent <= open_definitions[-1][0]:
            close(number)
        definition = _DEF.match(code)
        if definition is not None:
            name = definition.group(1).decode("utf-8", "replace")
            open_definitions.append((indent, name, number if decorated is None else decorated))
        decorated = (number if decorated is None else decorated) if code[:1] == b"@" else None
    while open_definitions:
        close(len(lines))
    return texts


_DEF = re.compile(rb"(?:async[ \t]+)?def[ \t]+(\w+)")

# the name of every plain (not async) `def` of a module, methods included
_PLAIN_DEFS = re.compile(rb"(?<![\w])(?<!async )def[ \t]+([^\s(\[:]+)[ \t]*[(\[]")


def _task_words(settings: Settings) -> tuple[str, ...]:
    """What a module that defines a task factory holds (``Task(`` for ``asyncio.Task(c)``)."""
    return ("create_task", "ensure_future", "Task(", *last_names(settings.task_factories))
