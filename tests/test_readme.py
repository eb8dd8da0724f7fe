"""Every command README.md and docs/*.md show is run here, so that they cannot drift.

How to write commands in those files (the convention this test enforces):

* ```sh blocks are run: each line is one command (no continuation lines), run by bash (with
  pipefail) from the top of a fresh copy of this repository, in document order. Blank lines
  and lines starting with # are skipped; a trailing "# comment" is fine.
* ```console blocks are transcripts: each "$ command" line is run the same way, and the lines
  after it, up to the next "$ " line, must be exactly what it prints on stdout.
* A block whose info string has file=PATH (```python file=app.py, ```toml
  file=pyproject.toml) is written to PATH in the copy before the commands after it run; one
  with expect=PATH must equal the content of PATH at that point.
* A ```yaml file=.github/workflows/NAME.yml block is a GitHub Actions workflow: besides being
  written, its `run:` steps are run like ```sh lines (`uses:` steps are GitHub's business).
* Anything else (```python, ```toml, ```yaml, ```ini without file=, plain ```) is shown only.

Every command must exit 0, except that a checker (lint-rules check, lint-rules fix --check,
flake8) may exit 1 when it prints what it found. A Python traceback on stderr always fails.

The commands run in one virtualenv made for the test session and first on PATH: the
session starts by running the README's Installation commands there, from a copy of this
repository, so every document finds the package installed. The documents install from Git
with a placeholder URL, PACKAGE_URL (OWNER and COMMIT are the reader's to fill in); each
command has it replaced by the URL of a local git repository holding one commit of this
checkout (uncommitted changes included), so that pip fetches and builds the package from Git
as users' installs will, offline. The test environment's own executables (pre-commit, ...)
come next on PATH. Each document gets its own copy of the repository, made a git repository
so that `pre-commit install` works.

The quick-start command that runs the test suite cannot run inside the test suite: instead it
must be identical to the command in .ci/run, and no other command may run pytest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.markdown_blocks import Block, blocks, section

pytestmark = pytest.mark.slow  # every documented command, run for real

REPOSITORY = Path(__file__).resolve().parents[1]
README = REPOSITORY / "README.md"
DOCUMENTS = [README, *sorted((REPOSITORY / "docs").glob("*.md"))]
CHECKER = re.compile(r"\blint-rules check\b|\blint-rules fix\b.*--check\b|\bflake8\b")
PACKAGE_URL = "git+https://github.com/OWNER/flake8-task-tracking@COMMIT"


def ci_command() -> str:
    """The command .ci/run runs: its last line that is not a comment."""
    lines = (REPOSITORY / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")][-1].strip()


@dataclass(frozen=True)
class Command:
    text: str
    where: str
    stdout: list[str] | None = None  # exact expected output, for console transcripts


@dataclass(frozen=True)
class WriteFile:
    path: str
    text: str
    where: str


@dataclass(frozen=True)
class ExpectFile:
    path: str
    text: str
    where: str


def steps(document: Path) -> Iterator[Command | WriteFile | ExpectFile]:
    for block in blocks(document):
        if "file" in block.attributes:
            yield WriteFile(block.attributes["file"], block.text, block.where)
            if block.attributes["file"].startswith(".github/workflows/"):
                yield from _workflow_commands(block)
        elif "expect" in block.attributes:
            yield ExpectFile(block.attributes["expect"], block.text, block.where)
        elif block.language == "sh":
            for line in block.text.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    yield Command(line.strip(), block.where)
        elif block.language == "console":
            yield from _transcript(block)


def _workflow_commands(block: Block) -> Iterator[Command]:
    workflow = yaml.safe_load(block.text)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                if line.strip():
                    yield Command(line.strip(), block.where)


def _transcript(block: Block) -> Iterator[Command]:
    command: str | None = None
    output: list[str] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield Command(command, block.where, output)
            command, output = line[2:].strip(), []
        else:
            assert command is not None, f"{block.where}: console output before any '$ ' line"
            output.append(line.rstrip())
    if command is not None:
        yield Command(command, block.where, output)


def all_commands() -> list[Command]:
    return [step for document in DOCUMENTS for step in steps(document) if isinstance(step, Command)]


# the conventions themselves


def test_the_quick_start_test_command_is_the_ci_command() -> None:
    quick_start = [
        line.strip()
        for block in blocks(README)
        if block.language == "sh" and block.text in section(README, "Quick start")
        for line in block.text.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci_command() in quick_start, (
        f"README's Quick start must show the command .ci/run runs, verbatim: {ci_command()}"
    )


def test_only_the_ci_command_runs_the_test_suite() -> None:
    runners = [c for c in all_commands() if "pytest" in c.text and c.text != ci_command()]
    assert runners == [], "run the test suite only with the .ci/run command"


def test_documents_show_commands_to_run() -> None:
    """The convention is used: a block typo (```shell, ```bash) would silently run nothing."""
    for document in DOCUMENTS:
        for block in blocks(document):
            assert block.language not in ("shell", "bash", "shell-session", "zsh"), (
                f"{block.where}: use ```sh (run) or ```console (transcript), see {__name__}"
            )
    assert len(all_commands()) >= 10


# running them


@dataclass(frozen=True)
class Environment:
    variables: dict[str, str]
    package_url: str  # what PACKAGE_URL stands for here


@pytest.fixture(scope="session")
def command_environment(tmp_path_factory: pytest.TempPathFactory) -> Environment:
    root = tmp_path_factory.mktemp("readme-env")
    origin = repository_copy(root / "origin")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for command in (["add", "-A"], ["commit", "-q", "-m", "checkout"]):
        subprocess.run(git + command, cwd=origin, check=True, capture_output=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=origin, capture_output=True, text=True, check=True
    ).stdout.strip()
    # file://localhost/..., not file:///...: the pip that venv installs (23.x) rejects
    # "name @ git+file:///..." as a requirement
    package_url = f"git+file://localhost{origin.as_posix()}@{commit}"
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(
        VIRTUAL_ENV=str(venv),
        PATH=os.pathsep.join([str(bin_dir), os.path.dirname(sys.executable), env["PATH"]]),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PRE_COMMIT_HOME=str(root / "pre-commit-cache"),
    )
    environment = Environment(env, package_url)
    # install as the README says, so that every document starts from an installed package
    clone = repository_copy(root / "clone")
    installation = section(README, "Installation")
    for block in blocks(README):
        if block.language == "sh" and block.text in installation:
            for line in filter(str.strip, block.text.splitlines()):
                _run(Command(line.strip(), block.where), clone, environment)
    return environment


def repository_copy(destination: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPOSITORY / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    subprocess.run(["git", "init", "-q"], cwd=destination, check=True)
    return destination


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_command_in_the_document_works(
    document: Path, command_environment: Environment, tmp_path: Path
) -> None:
    copy = repository_copy(tmp_path / "repository")
    ran = 0
    for step in steps(document):
        if isinstance(step, WriteFile):
            target = copy / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
        elif isinstance(step, ExpectFile):
            actual = (copy / step.path).read_text(encoding="utf-8")
            assert actual == step.text, f"{step.where}: {step.path} is not what the text shows"
        elif step.text != ci_command():
            _run(step, copy, command_environment)
            ran += 1
    assert ran or document != README, "the README shows no command"


def _run(command: Command, cwd: Path, environment: Environment) -> None:
    text = command.text.replace(PACKAGE_URL, environment.package_url)
    completed = subprocess.run(
        ["bash", "-o", "pipefail", "-c", text],
        cwd=cwd,
        env=environment.variables,
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = (
        f"{command.where}: `{command.text}` exited {completed.returncode}\n"
        f"--- stdout\n{completed.stdout}--- stderr\n{completed.stderr}"
    )
    assert "Traceback (most recent call last)" not in completed.stderr, report
    found_something = (
        completed.returncode == 1 and CHECKER.search(command.text) and completed.stdout.strip()
    )
    assert completed.returncode == 0 or found_something, report
    if command.stdout is not None:
        actual = [line.rstrip() for line in completed.stdout.splitlines()]
        assert actual == command.stdout, report
