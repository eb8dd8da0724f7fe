"""Which files `lint-rules check` reads: exclude patterns, explicit paths, --force-exclude."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lint_rules.cli.files import Missing, discover
from tests.cli_helpers import lint_rules
from tests.test_cli import DISCARDED, write


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in (
        "src/app.py",
        "tests/fixtures/bad.py",
        "tests/unit/fixtures/other.py",
        "tests/test_app.py",
        ".venv/lib/site.py",
    ):
        write(tmp_path, name, DISCARDED)
    return tmp_path


def reported(run) -> list[str]:
    return sorted({line.split(":")[0] for line in run.out.splitlines()})


def posix(*names: str) -> list[str]:
    return [os.path.join(*name.split("/")) for name in names]


def test_anchored_patterns_are_relative_to_the_pyproject_directory(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "pyproject.toml", '[tool.lint-rules]\nexclude = ["tests/fixtures/"]\n')
    run = lint_rules(capsys, "check", ".")
    assert reported(run) == posix("src/app.py", "tests/test_app.py", "tests/unit/fixtures/other.py")
    monkeypatch.chdir(project / "tests")  # the patterns stay anchored at pyproject.toml
    assert reported(lint_rules(capsys, "check", ".")) == posix(
        "test_app.py", "unit/fixtures/other.py"
    )


def test_unanchored_patterns_match_at_any_depth(project: Path, capsys) -> None:
    run = lint_rules(capsys, "check", "--exclude", "fixtures/", ".")
    assert reported(run) == posix("src/app.py", "tests/test_app.py")


def test_explicit_directories_inside_excluded_ones_are_walked(project: Path, capsys) -> None:
    write(project, ".gitignore", "tests/\n")
    (project / ".git").mkdir()
    assert reported(lint_rules(capsys, "check", ".")) == posix("src/app.py")
    run = lint_rules(capsys, "check", "--exclude", "tests/fixtures/", "tests/fixtures")
    assert reported(run) == posix("tests/fixtures/bad.py")
    assert reported(lint_rules(capsys, "check", ".venv")) == posix(".venv/lib/site.py")


def test_force_exclude_applies_excludes_to_explicit_paths(project: Path, capsys) -> None:
    explicit = ["src/app.py", "tests/fixtures/bad.py", ".venv/lib/site.py", "tests/fixtures"]
    args = ["check", "--exclude", "tests/fixtures/", *explicit]
    assert reported(lint_rules(capsys, *args)) == posix(
        ".venv/lib/site.py", "src/app.py", "tests/fixtures/bad.py"
    )
    assert reported(lint_rules(capsys, *args[:1], "--force-exclude", *args[1:])) == posix(
        "src/app.py"
    )


def test_force_exclude_of_every_file_is_a_clean_run(project: Path, capsys) -> None:
    run = lint_rules(capsys, "check", "--force-exclude", ".venv/lib/site.py")
    assert (run.status, run.out) == (0, "")


def test_discover_reports_missing_paths_in_order(project: Path) -> None:
    found = list(discover(["nope", "src", "gone.py"]))
    assert found == [Missing(Path("nope")), Path("src/app.py"), Missing(Path("gone.py"))]
