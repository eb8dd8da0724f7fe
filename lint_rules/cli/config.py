"""Configuration: ``[tool.lint-rules]`` in pyproject.toml, overridden by command-line flags.

The pyproject.toml used is the nearest one with a ``[tool.lint-rules]`` table, walking up
from the directory that holds the paths checked (``--config`` names one, ``--isolated``
uses none). Its keys are flake8's ``--trk-*`` options (one schema: ``settings.OPTIONS``)
plus the CLI's own ``select``, ``ignore``, ``extend-select`` and ``exclude``. Unknown keys and
bad values raise ``ConfigError`` with a message that names the key and says what to write.

The flags come from the same schema: ``add_arguments()`` adds them to a subcommand and
``from_arguments()`` merges them over the file, so ``check`` and ``fix`` read configuration
identically.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lint_rules.cli.files import DEFAULT_MAX_MIB
from lint_rules.cli.selection import DEFAULT_SELECT, Selection, checked_selectors
from lint_rules.settings import (
    OPTIONS,
    OPTIONS_BY_KEY,
    ConfigError,
    Settings,
    settings_from_mapping,
    split_list,
)

CLI_KEYS = ("select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude")
SELECTOR_KEYS = ("select", "ignore", "extend-select", "extend-ignore")
PER_FILE_IGNORES = "per-file-ignores"


@dataclass(frozen=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    select: tuple[str, ...] = ()  # empty: every code
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    # gitignore-style patterns added to files.DEFAULT_EXCLUDES, relative to root()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    # (gitignore-style pattern relative to root(), codes it ignores)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    path: Path | None = None  # the pyproject.toml it came from

    def root(self) -> Path:
        """The directory ``exclude`` patterns are relative to: pyproject.toml's, or the
        current directory without one."""
        return self.path.parent if self.path is not None else Path.cwd()

    def selection(self) -> Selection:
        select = (self.select or DEFAULT_SELECT) + self.extend_select
        return Selection(
            select=select,
            ignore=self.ignore + self.extend_ignore,
            per_file_ignores=self.per_file_ignores,
            base=str(self.root()),
        )

    def excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude


def find_pyproject(paths: Sequence[str]) -> Path | None:
    """The nearest pyproject.toml with a [tool.lint-rules] table, walking up from the
    directory that holds all of ``paths`` ("-", standard input, counts as the current one)."""
    starts = [os.path.abspath(p) for p in paths if p != "-"] or [os.getcwd()]
    try:
        start = Path(os.path.commonpath(starts))
    except ValueError:  # paths on different drives
        start = Path(starts[0])
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
    # imported here: a run without a pyproject.toml starts faster
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error}); fix the syntax") from error


def load_config(path: Path | None, known: Collection[str]) -> Config:
    """The configuration in ``path`` (defaults when None); selectors are checked against the
    ``known`` codes."""
    if path is None:
        return Config()
    table = _read(path).get("tool", {}).get("lint-rules", {})
    source = f"{path}: [tool.lint-rules]"
    if not isinstance(table, dict):
        raise ConfigError(f"{source} must be a table, e.g. `[tool.lint-rules]` on its own line")
    table = {key.replace("_", "-"): value for key, value in table.items()}  # both spellings
    _check_keys(table, source)
    lists: dict[str, Any] = {}
    if PER_FILE_IGNORES in table:
        value = table.pop(PER_FILE_IGNORES)
        lists["per_file_ignores"] = _per_file_ignores_table(value, source, known)
    for key in CLI_KEYS:
        if key in table:
            value = table.pop(key)
            if not isinstance(value, (str, list)) or (
                isinstance(value, list) and not all(isinstance(v, str) for v in value)
            ):
                raise ConfigError(
                    f'{source} {key} must be a list of strings, e.g. {key} = ["TRK1"]; '
                    f"got {value!r}"
                )
            items = split_list(value)
            if key in SELECTOR_KEYS:
                items = checked_selectors(items, f"{source} {key}", known)
            lists[key.replace("-", "_")] = items
    return Config(settings_from_mapping(table, source), path=path, **lists)


def _per_file_ignores_table(
    value: Any, source: str, known: Collection[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    where = f"{source} {PER_FILE_IGNORES}"
    if not isinstance(value, dict) or not all(
        isinstance(codes, (str, list)) and all(isinstance(c, str) for c in codes)
        for codes in value.values()
    ):
        raise ConfigError(
            f'{where} must be a table of patterns and codes, e.g. {{"tests/*" = ["TRK101"]}}; '
            f"got {value!r}"
        )
    return tuple(
        (pattern, checked_selectors(split_list(codes), f"{where} {pattern!r}", known))
        for pattern, codes in value.items()
    )


def _per_file_ignores_flag(
    text: str, known: Collection[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """flake8's syntax: ``PATTERN:CODES`` entries, separated by spaces (codes by commas)."""
    entries = []
    for entry in text.split():
        pattern, colon, codes = entry.rpartition(":")
        if not colon or not pattern or not codes:
            raise ConfigError(
                f"--per-file-ignores: {entry!r} is not PATTERN:CODES, e.g. 'tests/*:TRK101,TRK102'"
            )
        where = f"--per-file-ignores {pattern!r}"
        entries.append((pattern, checked_selectors(split_list(codes), where, known)))
    return tuple(entries)


def _check_keys(table: dict[str, Any], source: str) -> None:
    keys = [*CLI_KEYS, PER_FILE_IGNORES, *OPTIONS_BY_KEY]
    for key in table:  # spelled with hyphens by now
        if key in keys:
            continue
        import difflib  # only for a mistake: not on every start-up

        guesses = difflib.get_close_matches(key, keys, n=1) or difflib.get_close_matches(
            f"trk-{key}", keys, n=1
        )
        hint = f"did you mean {guesses[0]!r}? " if guesses else ""
        raise ConfigError(
            f"{source}: unknown key {key!r}; {hint}known keys: {', '.join(keys)} "
            "(`lint-rules check --help` describes them)"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The configuration flags shared by `check` and `fix`."""
    files = parser.add_argument_group("configuration")
    files.add_argument(
        "--config",
        metavar="FILE",
        help="read [tool.lint-rules] from this pyproject.toml instead of searching for one",
    )
    files.add_argument(
        "--isolated", action="store_true", help="ignore pyproject.toml: defaults and flags only"
    )
    files.add_argument(
        "--exclude",
        metavar="PATTERNS",
        help="comma-separated gitignore-style patterns to skip, added to the defaults "
        "(.git, .venv, build, ...), to .gitignore and to `exclude` in pyproject.toml",
    )
    files.add_argument(
        "--extend-exclude",
        metavar="PATTERNS",
        help="the same as --exclude (for Ruff users: exclude never replaces the defaults here)",
    )
    files.add_argument(
        "--force-exclude",
        action="store_true",
        help="skip excluded files even when they are named explicitly (pre-commit names them)",
    )
    files.add_argument(
        "--max-file-size",
        metavar="MIB",
        type=_size_in_mib,
        default=DEFAULT_MAX_MIB,
        help=f"skip, with an error, files larger than this many MiB (default: {DEFAULT_MAX_MIB})",
    )
    selection = parser.add_argument_group(
        "rule selection", "codes or prefixes of codes, comma-separated (TRK1 = TRK101-TRK106)"
    )
    selection.add_argument("--select", metavar="CODES", help="report only these (default: TRK)")
    selection.add_argument("--ignore", metavar="CODES", help="do not report these")
    selection.add_argument(
        "--extend-select", metavar="CODES", help="report these on top of the selected ones"
    )
    selection.add_argument(
        "--extend-ignore", metavar="CODES", help="ignore these on top of the ignored ones"
    )
    selection.add_argument(
        "--per-file-ignores",
        metavar="PATTERN:CODES",
        action="append",
        help="ignore codes in the files a gitignore-style pattern matches, flake8's syntax: "
        "'tests/*:TRK101,TRK102 scripts/*:TRK2' (added to per-file-ignores in pyproject.toml)",
    )
    options = parser.add_argument_group(
        "analysis options",
        "the same options as flake8's --trk-*; also `trk-...` keys in [tool.lint-rules]",
    )
    for option in OPTIONS:
        options.add_argument(option.flag, metavar=option.metavar, help=option.help)


def _size_in_mib(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number of MiB")
    return value


def from_arguments(
    args: argparse.Namespace, paths: Sequence[str], known: Collection[str]
) -> Config:
    """pyproject.toml's configuration with the flags in ``args`` applied over it; selectors
    are checked against the ``known`` codes."""
    if args.isolated:
        config = Config()
    elif args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ConfigError(f"--config {args.config}: no such file; name a pyproject.toml")
        config = load_config(path, known)
    else:
        config = load_config(find_pyproject(paths), known)
    overrides: dict[str, Any] = {}
    for key in SELECTOR_KEYS:
        value = getattr(args, key.replace("-", "_"))
        if value is not None:
            overrides[key.replace("-", "_")] = checked_selectors(
                split_list(value), f"--{key}", known
            )
    for key in ("extend_select", "extend_ignore"):  # extend pyproject.toml's; the others replace
        if key in overrides:
            overrides[key] = getattr(config, key) + overrides[key]
    if args.exclude:
        overrides["exclude"] = config.exclude + split_list(args.exclude)
    if args.extend_exclude:
        overrides["extend_exclude"] = config.extend_exclude + split_list(args.extend_exclude)
    for flag in args.per_file_ignores or ():
        overrides["per_file_ignores"] = overrides.get(
            "per_file_ignores", config.per_file_ignores
        ) + _per_file_ignores_flag(flag, known)
    settings = config.settings
    for option in OPTIONS:
        value = getattr(args, option.key.replace("-", "_"))
        if value is not None:
            parsed = settings_from_mapping({option.key: value}, option.flag)
            settings = dataclasses.replace(
                settings, **{option.field: getattr(parsed, option.field)}
            )
    return dataclasses.replace(config, settings=settings, **overrides)
