"""``[tool.lint-rules]`` in pyproject.toml: found by walking up from the paths checked.

The keys are flake8's (``trk-task-factories``, ...) plus the CLI's own selection keys
(``select``, ``ignore``, ``extend-select``, ``exclude``). Unknown keys and bad values raise
``ConfigError`` with a message that names the key.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

from lint_rules.settings import ConfigError, Settings, settings_from_mapping, split_list

CLI_KEYS = ("select", "ignore", "extend-select", "exclude")


@dataclass(frozen=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    path: Path | None = None  # the pyproject.toml it came from


def find_pyproject(paths: Sequence[str]) -> Path | None:
    """The nearest pyproject.toml with a [tool.lint-rules] table, above the first path."""
    start = Path(paths[0] if paths else ".").resolve()
    for directory in [start, *start.parents]:
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _has_table(candidate):
            return candidate
    return None


def _has_table(path: Path) -> bool:
    try:
        return "lint-rules" in _read(path).get("tool", {})
    except ConfigError:
        return True  # report the broken file rather than skip it silently


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read it as TOML: {error}") from error


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    table = dict(_read(path).get("tool", {}).get("lint-rules", {}))
    source = f"{path} [tool.lint-rules]"
    selection: dict[str, tuple[str, ...]] = {}
    for key in CLI_KEYS:
        if key in table:
            value = table.pop(key)
            if not isinstance(value, (str, list)) or (
                isinstance(value, list) and not all(isinstance(v, str) for v in value)
            ):
                raise ConfigError(f"{source}: {key} must be a list of strings, got {value!r}")
            selection[key.replace("-", "_")] = split_list(value)
    return Config(settings_from_mapping(table, source), path=path, **selection)
