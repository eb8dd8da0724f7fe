"""The option schema shared by flake8 (``--trk-*``) and ``[tool.lint-rules]`` in pyproject.toml.

Every option is declared once in ``OPTIONS``; flake8 registration, pyproject parsing and the
CLI flags are all generated from it, so the three can never disagree.
"""

from __future__ import annotations

import dataclasses
import keyword
from dataclasses import dataclass
from typing import Any

DISPATCH_MODES = ("blocking", "fire_and_forget")


@dataclass(frozen=True)
class Settings:
    """What the rules need to know about the user's code base."""

    task_factories: tuple[str, ...] = ()
    loop_names: tuple[str, ...] = ("loop", "_loop", "event_loop", "*_loop")
    callback_registries: tuple[str, ...] = ()
    drain_calls: tuple[str, ...] = ()
    callback_bases: tuple[str, ...] = ()
    dispatch_attribute: str = "dispatch_mode"
    src: tuple[str, ...] = (".", "src")  # source roots of first-party modules, from the root


@dataclass(frozen=True)
class OptionSpec:
    key: str  # "trk-task-factories": the flake8 option and the pyproject key
    field: str  # the Settings attribute it fills
    is_list: bool
    metavar: str
    help: str

    @property
    def flag(self) -> str:
        return f"--{self.key}"

    @property
    def default(self) -> Any:
        return getattr(Settings(), self.field)


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "trk-task-factories",
        "task_factories",
        True,
        "QUALNAMES",
        "extra functions that create tasks, by qualified name (mypkg.spawn,other.start)",
    ),
    OptionSpec(
        "trk-loop-names",
        "loop_names",
        True,
        "PATTERNS",
        "receiver names assumed to be event loops in <name>.create_task() (fnmatch patterns; "
        "default: loop,_loop,event_loop,*_loop; an empty value turns the heuristic off)",
    ),
    OptionSpec(
        "trk-callback-registries",
        "callback_registries",
        True,
        "QUALNAMES",
        "module lists that register async callbacks, added to LiteLLM's (mylib.hooks,...)",
    ),
    OptionSpec(
        "trk-drain-calls",
        "drain_calls",
        True,
        "QUALNAMES",
        "awaitable calls that drain background callbacks, added to LiteLLM's (mylib.flush,...)",
    ),
    OptionSpec(
        "trk-callback-bases",
        "callback_bases",
        True,
        "QUALNAMES",
        "callback base classes that must declare a dispatch mode, added to LiteLLM's CustomLogger",
    ),
    OptionSpec(
        "trk-dispatch-attribute",
        "dispatch_attribute",
        False,
        "NAME",
        "class attribute that declares a callback's dispatch mode (default: dispatch_mode)",
    ),
    OptionSpec(
        "trk-src",
        "src",
        True,
        "DIRS",
        "source roots of the project's own modules, relative to the project root (the nearest "
        "directory with pyproject.toml, setup.cfg, tox.ini, .flake8 or .git), as in Ruff's src; "
        "imports of them are followed (default: .,src)",
    ),
)

OPTIONS_BY_KEY = {option.key: option for option in OPTIONS}


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the key."""


def split_list(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Comma- or newline-separated text (flake8 style) or a TOML list, as a tuple of items."""
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    return tuple(item.strip() for item in value if item.strip())


def settings_from_mapping(values: dict[str, Any], source: str) -> Settings:
    """Build Settings from ``{"trk-task-factories": [...], ...}``; unknown keys are errors."""
    fields: dict[str, Any] = {}
    for key, value in values.items():
        option = OPTIONS_BY_KEY.get(key.replace("_", "-"))
        if option is None:
            known = ", ".join(sorted(OPTIONS_BY_KEY))
            raise ConfigError(f"{source}: unknown option {key!r} (known: {known})")
        fields[option.field] = _coerce(option, value, source)
    return dataclasses.replace(Settings(), **fields)


def _coerce(option: OptionSpec, value: Any, source: str) -> Any:
    if option.is_list:
        if isinstance(value, str) or (
            isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)
        ):
            return split_list(value)
        raise ConfigError(f"{source}: {option.key} must be a list of strings, got {value!r}")
    problem = identifier_problem(option, value)
    if problem is not None:
        raise ConfigError(f"{source}: {problem}")
    return value


def identifier_problem(option: OptionSpec, value: Any) -> str | None:
    """Why ``value`` cannot be the name an identifier option names (a class attribute)."""
    if not isinstance(value, str) or not value.isidentifier():
        return f"{option.key} must be a Python identifier, got {value!r}"
    if keyword.iskeyword(value):  # `class = "blocking"` would not compile
        return f"{option.key} must be a Python identifier, not the keyword {value!r}"
    return None
