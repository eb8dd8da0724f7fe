"""The project's task factories a module imports: ``from myapp.tasks import spawn`` makes a
discarded ``spawn(job())`` a TRK101 like a factory of the module itself.

The import statements are read from the text (this runs before anything is parsed, for files
that hold no task API call at all); an imported module is read only when its text names a task
API, and then summarised like the module's own functions (``summaries.py``).
"""

from __future__ import annotations

import functools
import re

from lint_rules.engine.project import MODULES, Project
from lint_rules.settings import Settings

_FROM = re.compile(
    r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)", re.MULTILINE
)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.MULTILINE)
_ALIAS = re.compile(r"([\w.]+)(?:[ \t]+as[ \t]+(\w+))?")


@functools.lru_cache(maxsize=8)
def imported_factory_words(
    source: str, path: str, project: Project, settings: Settings
) -> tuple[str, ...]:
    """The words a call of an imported task factory shows in this module: the local name of
    each factory imported by name (``spawn``, or ``go`` for ``import spawn as go``), and the
    factory's own name for project modules imported whole (``tasks.spawn(...)``)."""
    if "import" not in source:
        return ()
    words: set[str] = set()
    for module, names in _FROM.findall(source):
        for name, local in _ALIAS.findall(names.strip("()")):
            qualified = module + name if not module.strip(".") else f"{module}.{name}"
            found = project.resolve(qualified, path)
            if found is None:
                continue
            module_path, attribute = found
            if not attribute:  # a module of the project: `tasks.spawn(...)`
                words.update(module_factories(module_path, settings))
            elif attribute == name and _is_factory(module_path, name, settings, 0):
                words.add(local or name)
    for names in _IMPORT.findall(source):
        for name, _ in _ALIAS.findall(names):
            found = project.resolve(name, path)
            if found is not None and not found[1]:
                words.update(module_factories(found[0], settings))
    return tuple(sorted(words))


def _is_factory(module_path: str, name: str, settings: Settings, depth: int) -> bool:
    """``name`` of the module is a task factory it defines, or one it imports from another
    module of the project (a re-export in ``__init__.py``)."""
    if name in module_factories(module_path, settings):
        return True
    if depth > 3 or not MODULES.mentions(module_path, (name,)):
        return False
    index = MODULES.load(module_path, settings.src)
    if index is None or name not in index.imports or index.project is None:
        return False
    found = index.project.resolve(index.imports[name], module_path)
    if found is None or "." in found[1] or not found[1]:
        return False
    return _is_factory(found[0], found[1], settings, depth + 1)


def module_factories(module_path: str, settings: Settings) -> frozenset[str]:
    """The names of the task factories defined in a project module (read only if its text
    names a task API)."""
    if not MODULES.mentions(module_path, _task_words(settings)):
        return frozenset()
    index = MODULES.load(module_path, settings.src)
    if index is None:
        return frozenset()
    from lint_rules.rules.tasks.summaries import module_summaries  # libcst: only from here

    return module_summaries(index, settings).task_factories


def _task_words(settings: Settings) -> tuple[str, ...]:
    from lint_rules.rules.tasks.codes import trigger  # (codes.py builds its trigger on this)

    return trigger(settings).words
