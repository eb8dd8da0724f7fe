"""Fixture projects: small package trees under tests/fixtures/projects/, each with the
project marker that makes it a project, whose files state their expected findings in
comments (as tests/fixtures/*.py do). Every file of a project is analysed as a file of it, so
that the rules follow its imports into the project's other modules; the span analysis must
agree with a full parse, and ``lint-rules check`` and flake8 over the tree must report exactly
the expected findings, the same for both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lint_rules.rules import analyze
from tests.expectations import expected_findings, fixture_settings

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
FILES = sorted(PROJECTS.rglob("*.py"))


def expectations(project: Path) -> list[tuple[str, int, str]]:
    return sorted(
        (path.relative_to(project).as_posix(), line, code)
        for path in project.rglob("*.py")
        for line, code, _ in expected_findings(path.read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PROJECTS).as_posix())
def test_each_file_gets_exactly_its_expected_findings(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    settings = fixture_settings(source)
    findings = analyze(source, settings, path=str(path))
    assert [(f.line, f.code) for f in findings] == [
        (line, code) for line, code, _ in expected_findings(source)
    ], "\n".join(f"{f.line}:{f.col + 1} {f.code} {f.message}" for f in findings)
    assert findings == analyze(source, settings, path=str(path), full=True)


def test_every_project_expects_something() -> None:
    projects = sorted(p for p in PROJECTS.iterdir() if p.is_dir())
    assert projects and all(expectations(project) for project in projects)


def _reported(output: str, project: Path) -> list[tuple[str, int, str]]:
    found = []
    for line in output.splitlines():
        path, number, _, rest = line.split(":", 3)
        found.append(
            (
                (project / path).resolve().relative_to(project).as_posix(),
                int(number),
                rest.split()[0],
            )
        )
    return sorted(found)


@pytest.mark.slow  # the real lint-rules and flake8, in subprocesses
@pytest.mark.parametrize(
    "project", sorted(p for p in PROJECTS.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_check_and_flake8_report_the_same_expected_findings(project: Path) -> None:
    check = subprocess.run(
        [sys.executable, "-m", "lint_rules", "check", "--isolated", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=TRK", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 1 and flake8.returncode == 1, check.stderr + flake8.stderr
    assert _reported(check.stdout, project) == expectations(project)
    # a file Python cannot parse is flake8's own E999, which --select=TRK leaves out
    expected = [item for item in expectations(project) if item[2] != "TRK000"]
    assert _reported(flake8.stdout, project) == expected
