"""Configuration: one option schema for flake8's --trk-* options, the CLI's flags and
[tool.lint-rules]; pyproject.toml discovery; rule selection."""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
from pathlib import Path

import pytest

from lint_rules.cli import config
from lint_rules.cli.selection import Selection, checked_selectors
from lint_rules.rules import known_codes
from lint_rules.settings import OPTIONS, ConfigError, Settings
from tests.cli_helpers import executable, run_executable

# a value for every option that differs from its default, as TOML and as a flag
SAMPLES = {
    "trk-src": (["lib", "."], "lib,.", ("lib", ".")),
    "trk-task-factories": (["a.spawn", "b.start"], "a.spawn,b.start", ("a.spawn", "b.start")),
    "trk-loop-names": ([], "", ()),
    "trk-callback-registries": (["m.hooks"], "m.hooks", ("m.hooks",)),
    "trk-drain-calls": (["m.flush"], "m.flush", ("m.flush",)),
    "trk-callback-bases": (["m.Base"], "m.Base", ("m.Base",)),
    "trk-dispatch-attribute": ("mode", "mode", "mode"),
}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    return parser.parse_args(argv)


def toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    return f'"{value}"'


def test_samples_cover_every_option() -> None:
    assert sorted(SAMPLES) == sorted(option.key for option in OPTIONS)
    for option in OPTIONS:
        assert SAMPLES[option.key][2] != option.default


@pytest.mark.parametrize("option", OPTIONS, ids=lambda option: option.key)
def test_each_option_means_the_same_in_pyproject_and_as_a_flag(tmp_path: Path, option) -> None:
    toml, flag, parsed = SAMPLES[option.key]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.lint-rules]\n{option.key} = {toml_value(toml)}\n")
    from_file = config.load_config(pyproject, known_codes()).settings
    from_flag = config.from_arguments(
        parse("--isolated", f"{option.flag}={flag}"), [], known_codes()
    ).settings
    expected = dataclasses.replace(Settings(), **{option.field: parsed})
    assert from_file == from_flag == expected


def test_flake8_offers_the_same_options(tmp_path: Path) -> None:
    run = run_executable(executable("flake8"), "--help", cwd=tmp_path)
    flake8_flags = {word for word in run.out.split() if word.startswith("--trk-")}
    flake8_flags = {flag.split("=")[0].rstrip(",") for flag in flake8_flags}
    assert flake8_flags == {option.flag for option in OPTIONS}


def test_underscored_keys_are_accepted(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.lint-rules]\ntrk_task_factories = ["a.spawn"]\n')
    assert config.load_config(pyproject, known_codes()).settings.task_factories == ("a.spawn",)


def test_flags_override_the_file_option_by_option(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "[tool.lint-rules]\n"
        'trk-task-factories = ["a.spawn"]\ntrk-drain-calls = ["m.flush"]\n'
        'select = ["TRK1"]\nextend-select = ["TRK000"]\nexclude = ["gen/"]\n'
    )
    args = parse(
        "--config", str(pyproject), "--trk-task-factories=b.start", "--extend-select", "TRK106",
        "--exclude", "vendor/",
    )  # fmt: skip
    merged = config.from_arguments(args, [], known_codes())
    assert merged.settings.task_factories == ("b.start",)
    assert merged.settings.drain_calls == ("m.flush",)
    assert merged.select == ("TRK1",)
    assert merged.extend_select == ("TRK000", "TRK106")
    assert merged.exclude == ("gen/", "vendor/")
    assert merged.path == pyproject


def test_find_pyproject_walks_up_from_the_common_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.lint-rules]\nselect = ["TRK1"]\n')
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.other]\nx = 1\n")  # no table: skipped
    (tmp_path / "a" / "b" / "pyproject.toml").write_text('[tool.lint-rules]\nignore = ["TRK1"]\n')
    (tmp_path / "c").mkdir()
    nested = str(tmp_path / "a" / "b" / "x.py")
    assert config.find_pyproject([nested]) == tmp_path / "a" / "b" / "pyproject.toml"
    assert config.find_pyproject([str(tmp_path / "a")]) == tmp_path / "pyproject.toml"
    assert config.find_pyproject([nested, str(tmp_path / "c")]) == tmp_path / "pyproject.toml"


def test_find_pyproject_from_stdin_starts_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lint-rules]\n")
    monkeypatch.chdir(tmp_path)
    assert config.find_pyproject(["-"]) == tmp_path / "pyproject.toml"


def test_no_configuration_means_defaults() -> None:
    assert config.load_config(None, known_codes()) == config.Config()
    assert config.Config().selection() == Selection(select=("TRK",), ignore=(), base=os.getcwd())


def test_a_non_table_is_an_error(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool]\nlint-rules = "TRK"\n')
    with pytest.raises(ConfigError, match=r"\[tool.lint-rules\] must be a table"):
        config.load_config(pyproject, known_codes())


# selection


def test_selectors_must_select_something() -> None:
    assert checked_selectors(["trk1", " TRK106 ", ""], "--select", known_codes()) == (
        "TRK1",
        "TRK106",
    )
    with pytest.raises(ConfigError, match="--select: 'TRK9' selects no rule"):
        checked_selectors(["TRK9"], "--select", known_codes())


def test_selection_prefers_the_more_specific_selector() -> None:
    selection = Selection(select=("TRK1", "TRK106"), ignore=("TRK10",))
    enabled = [code for code in known_codes() if selection.enabled(code)]
    assert enabled == ["TRK106"]  # TRK000 only when selected, as any code
    assert selection.codes(known_codes()) == frozenset({"TRK106"})
    assert Selection(select=("TRK106", "TRK000")).enabled("TRK000")


def test_selecting_everything_runs_every_rule() -> None:
    assert Selection().codes(known_codes()) is None
    assert Selection(ignore=("TRK000",)).codes(known_codes()) is None
    assert not Selection(ignore=("TRK000",)).enabled("TRK000")


# per-file-ignores, extend-ignore, extend-exclude


def test_per_file_ignores_add_ignores_for_the_files_a_pattern_matches(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.lint-rules]\nextend-ignore = ["TRK106"]\nextend-exclude = ["gen/"]\n'
        '[tool.lint-rules.per-file-ignores]\n"tests/*" = ["TRK101"]\n"conftest.py" = ["TRK1"]\n'
    )
    loaded = config.load_config(pyproject, known_codes())
    assert loaded.excludes() == ("gen/",)
    selection = loaded.selection()
    assert not selection.enabled("TRK106") and selection.enabled("TRK101")
    in_tests = selection.for_path(str(tmp_path / "tests" / "test_app.py"))
    assert not in_tests.enabled("TRK101") and in_tests.enabled("TRK102")
    assert selection.for_path(str(tmp_path / "src" / "app.py")).enabled("TRK101")
    nested = selection.for_path(str(tmp_path / "src" / "conftest.py"))  # a name: any depth
    assert not nested.enabled("TRK102") and nested.enabled("TRK201")


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('per-file-ignores = ["tests/*"]', "must be a table of patterns and codes"),
        ('per-file-ignores = {"tests/*" = ["TRK9"]}', "'TRK9' selects no rule"),
        ('extend-ignore = ["W1"]', "extend-ignore: 'W1' selects no rule"),
    ],
)
def test_bad_per_file_ignores_are_errors_naming_the_key(
    tmp_path: Path, table: str, named: str
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.lint-rules]\n{table}\n")
    with pytest.raises(ConfigError, match=re.escape(named)):
        config.load_config(pyproject, known_codes())


def test_cli_keys_may_be_spelled_with_underscores(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.lint-rules]\nextend_select = ["TRK1"]\nper_file_ignores = {"t/*" = ["TRK2"]}\n'
        'trk_loop_names = ["lp"]\n'
    )
    loaded = config.load_config(pyproject, known_codes())
    assert loaded.extend_select == ("TRK1",)
    assert loaded.per_file_ignores == (("t/*", ("TRK2",)),)
    assert loaded.settings.loop_names == ("lp",)
