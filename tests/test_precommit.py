"""The pre-commit hooks and the flake8 route, run for real: the `pre-commit` and `flake8`
executables in temporary git repositories.

`pre-commit try-repo` installs this repository into a fresh environment (from PyPI: the
dependencies need the network) at its HEAD plus the uncommitted changes of tracked files;
new files must be committed (or at least `git add`ed) before they take part.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from lint_rules.rules import analyze
from lint_rules.settings import Settings
from tests.cli_helpers import Run, executable, run_executable
from tests.markdown_blocks import blocks
from tests.test_cli import DISCARDED, FACTORY_USER

pytestmark = pytest.mark.slow  # the real pre-commit, installing hooks in fresh environments

REPOSITORY = Path(__file__).resolve().parents[1]
HOOKS = {
    hook["id"]: hook for hook in yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text())
}
DISTRIBUTION = "flake8-task-tracking"
# the package is not on PyPI: recipes install it from its Git repository, pinned to a commit
GIT_REQUIREMENT = f"{DISTRIBUTION} @ git+https://github.com/OWNER/{DISTRIBUTION}@COMMIT"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def git_repository(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "start"]):
        subprocess.run(git + command, cwd=root, check=True, capture_output=True)
    return root


def pre_commit(*args: str, cwd: Path, home: Path) -> Run:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    return run_executable(executable("pre-commit"), *args, cwd=cwd, env=env)


def try_repo(hook_id: str, cwd: Path, home: Path) -> Run:
    inside = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=REPOSITORY, capture_output=True
    )
    assert inside.returncode == 0, f"{REPOSITORY} must be a git checkout for pre-commit try-repo"
    return pre_commit(
        "try-repo", str(REPOSITORY), hook_id, "--all-files", "--color=never", cwd=cwd, home=home
    )


def test_hooks_are_the_checker_and_the_fixer() -> None:
    assert sorted(HOOKS) == ["lint-rules-check", "lint-rules-fix"]
    assert HOOKS["lint-rules-check"]["entry"].startswith("lint-rules check")
    assert HOOKS["lint-rules-fix"]["entry"].startswith("lint-rules fix")
    for hook in HOOKS.values():
        assert hook["language"] == "python" and "python" in hook["types_or"]


def test_checker_hook_fails_with_the_finding(tmp_path: Path, pre_commit_home: Path) -> None:
    project = git_repository(tmp_path / "project", {"app.py": DISCARDED, "ok.py": "x = 1\n"})
    run = try_repo("lint-rules-check", project, pre_commit_home)
    [finding] = analyze(DISCARDED)
    assert run.status == 1, run.out + run.err
    assert f"app.py:{finding.line}:{finding.col + 1}: TRK101 {finding.message}" in run.out
    assert "Failed" in run.out and "ok.py" not in run.out.split("Failed")[1]


def test_fixer_hook_rewrites_the_file(tmp_path: Path, pre_commit_home: Path) -> None:
    project = git_repository(tmp_path / "project", {"app.py": DISCARDED})
    run = try_repo("lint-rules-fix", project, pre_commit_home)
    fixed = (project / "app.py").read_text(encoding="utf-8")
    assert run.status == 1, run.out + run.err  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in run.out
    assert fixed != DISCARDED
    assert "_background_tasks.add(" in fixed
    assert [f.code for f in analyze(fixed)] == []


@pytest.mark.parametrize("config_file", [".flake8", "setup.cfg", "tox.ini"])
def test_flake8_reports_trk_codes_with_options_from_its_config(
    tmp_path: Path, config_file: str
) -> None:
    (tmp_path / "app.py").write_text(FACTORY_USER, encoding="utf-8")
    flake8 = executable("flake8")
    unconfigured = run_executable(flake8, "--select=TRK", "app.py", cwd=tmp_path)
    assert (unconfigured.status, unconfigured.out) == (0, "")
    (tmp_path / config_file).write_text(
        "[flake8]\nselect = TRK\ntrk-task-factories =\n    other.start,\n    myapp.tasks.spawn\n",
        encoding="utf-8",
    )
    configured = run_executable(flake8, "app.py", cwd=tmp_path)
    [finding] = analyze(FACTORY_USER, _factories("myapp.tasks.spawn"))
    assert configured.status == 1
    assert configured.out.splitlines() == [
        f"app.py:{finding.line}:{finding.col + 1}: TRK101 {finding.message}"
    ]


def _factories(*names: str) -> Settings:
    return Settings(task_factories=names)


def test_flake8_hook_with_this_package_as_additional_dependency(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    """The README's flake8 route, with a local hook standing in for the flake8 repository
    (no network to GitHub here) and this checkout for the published package."""
    config = {
        "repos": [
            {
                "repo": "local",
                "hooks": [
                    {
                        "id": "flake8",
                        "name": "flake8",
                        "entry": "flake8",
                        "language": "python",
                        "types": ["python"],
                        "additional_dependencies": ["flake8>=6", str(REPOSITORY)],
                    }
                ],
            }
        ]
    }
    project = git_repository(
        tmp_path / "project",
        {
            "app.py": FACTORY_USER,
            ".flake8": "[flake8]\nselect = TRK\ntrk-task-factories = myapp.tasks.spawn\n",
            ".pre-commit-config.yaml": yaml.safe_dump(config),
        },
    )
    run = pre_commit("run", "--all-files", "--color=never", cwd=project, home=pre_commit_home)
    [finding] = analyze(FACTORY_USER, _factories("myapp.tasks.spawn"))
    assert run.status == 1, run.out + run.err
    assert f"app.py:{finding.line}:{finding.col + 1}: TRK101 {finding.message}" in run.out


# what the documentation tells users to write


def shown_configurations() -> list:
    documents = [REPOSITORY / "README.md", REPOSITORY / "docs" / "pre-commit.md"]
    found = []
    for document in documents:
        for block in blocks(document):
            if block.language == "yaml" and block.text.startswith("repos:"):
                found.append(pytest.param(yaml.safe_load(block.text), id=block.where))
    return found


def test_documents_show_both_routes() -> None:
    repositories = [
        repo["repo"] for param in shown_configurations() for repo in param.values[0]["repos"]
    ]
    assert any(url.endswith(f"/{DISTRIBUTION}") for url in repositories)
    assert any(url.endswith("/PyCQA/flake8") for url in repositories)


@pytest.mark.parametrize("config", shown_configurations())
def test_shown_configurations_use_real_hooks_and_a_commit_pin(config: dict) -> None:
    """No tag exists yet, so every recipe pins a commit (the COMMIT placeholder)."""
    for repo in config["repos"]:
        if repo["repo"].endswith(f"/{DISTRIBUTION}"):
            assert repo["rev"] == "COMMIT"
            assert {hook["id"] for hook in repo["hooks"]} <= set(HOOKS)
            ids = [hook["id"] for hook in repo["hooks"]]
            assert ids.index("lint-rules-fix") < ids.index("lint-rules-check")
        elif repo["repo"].endswith("/PyCQA/flake8"):
            [hook] = repo["hooks"]
            assert GIT_REQUIREMENT in hook["additional_dependencies"]
