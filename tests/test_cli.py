"""`lint-rules check`: exit codes, paths, stdin, selection, flags, decoding, errors."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path

import pytest

from lint_rules import __version__, rules
from lint_rules.cli import SUBCOMMANDS
from lint_rules.cli.console import wants_color
from tests.cli_helpers import example, executable, lint_rules, run_executable, text_lines

DISCARDED = example("TRK101")  # one TRK101 finding
UNKEPT = example("TRK102")  # one TRK102 finding
GATHER = example("TRK106")  # one TRK106 finding
CLEAN = "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(0)\n"
# TRK103: kept only in a local list, which the codemod does not rewrite
UNKEPT_IN_A_LIST = (
    "import asyncio\n\n\ndef spawn():\n    t = []\n    t.append(asyncio.create_task(job()))\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# exit codes and the text format


def test_clean_files_exit_0_and_print_nothing(project: Path, capsys) -> None:
    write(project, "clean.py", CLEAN)
    assert lint_rules(capsys, "check", "clean.py") == (0, "", "")


def test_findings_print_flake8_lines_and_exit_1(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "app.py")
    assert run.status == 1
    assert run.out.splitlines() == text_lines("app.py", DISCARDED)
    assert run.out.startswith("app.py:6:9: TRK101 the task from asyncio.create_task()")


def test_exit_zero_reports_but_exits_0(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "--exit-zero", "app.py")
    assert (run.status, run.out.splitlines()) == (0, text_lines("app.py", DISCARDED))


def test_default_path_is_the_current_directory(project: Path, capsys) -> None:
    write(project, "pkg/app.py", DISCARDED)
    run = lint_rules(capsys, "check")
    assert run.out.splitlines() == text_lines(os.path.join("pkg", "app.py"), DISCARDED)


def test_output_is_sorted_by_path_whatever_the_argument_order(project: Path, capsys) -> None:
    write(project, "a.py", UNKEPT)
    write(project, "b.py", DISCARDED)
    forward = lint_rules(capsys, "check", "a.py", "b.py")
    backward = lint_rules(capsys, "check", "b.py", "a.py")
    assert forward.out == backward.out
    assert forward.out.splitlines() == text_lines("a.py", UNKEPT) + text_lines("b.py", DISCARDED)


def test_a_file_named_twice_is_reported_once(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "app.py", ".", "./app.py")
    assert run.out.splitlines() == text_lines("app.py", DISCARDED)


def test_missing_path_is_one_stderr_line_the_run_goes_on_and_exits_2(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "nowhere.py", "app.py")
    assert run.status == 2
    assert run.out.splitlines() == text_lines("app.py", DISCARDED)
    assert run.err.splitlines() == [
        "lint-rules: error: nowhere.py: no such file or directory; check the path"
    ]


def test_unreadable_file_is_reported_and_the_run_goes_on(project: Path, capsys) -> None:
    write(project, "src/app.py", DISCARDED)
    (project / "src" / "gone.py").symlink_to(project / "deleted.py")  # dangling: unreadable
    run = lint_rules(capsys, "check", "src")
    assert run.status == 2
    assert run.out.splitlines() == text_lines(os.path.join("src", "app.py"), DISCARDED)
    [line] = run.err.splitlines()
    assert line.startswith(f"lint-rules: error: {os.path.join('src', 'gone.py')}: cannot read it")
    assert "--exclude" in line  # says what to do


def test_no_python_files_warns_and_exits_0(project: Path, capsys) -> None:
    write(project, "notes.txt", "asyncio.create_task(x())\n")
    run = lint_rules(capsys, "check", ".")
    assert (run.status, run.out) == (0, "")
    assert run.err.startswith("lint-rules: warning: no Python files found in .")


def test_findings_in_several_files_show_source_and_statistics(project: Path, capsys) -> None:
    write(project, "a.py", DISCARDED)
    write(project, "b.py", DISCARDED + GATHER.replace("import asyncio\n", ""))
    run = lint_rules(capsys, "check", "--show-source", "--statistics", "a.py", "b.py")
    lines = run.out.splitlines()
    assert lines[0].startswith("a.py:6:9: TRK101 ")
    assert lines[1:3] == ["        asyncio.create_task(refresh(key))", "        ^"]
    assert lines[-2:] == ["2     TRK101 discarded-task", "1     TRK106 unawaited-gather"]


def test_show_source_keeps_tabs_so_the_caret_lines_up(project: Path, capsys) -> None:
    write(project, "tabs.py", "import asyncio\n\n\nasync def f():\n\tasyncio.create_task(g())\n")
    run = lint_rules(capsys, "check", "--show-source", "tabs.py")
    assert run.out.splitlines()[1:] == ["\tasyncio.create_task(g())", "\t^"]


def test_statistics_go_to_stderr_with_machine_formats(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "--statistics", "--format", "json", "app.py")
    assert run.err == "1     TRK101 discarded-task\n"
    assert run.out.lstrip().startswith("[")


# directories


def test_directories_skip_default_excludes_and_gitignored_files(project: Path, capsys) -> None:
    for name in ("src/app.py", "src/generated/api.py", "src/secret.py", "src/stub.pyi"):
        write(project, name, DISCARDED)
    for excluded in (".venv", "venv", "build", "dist", ".git", ".tox", "__pycache__", "x.egg-info"):
        write(project, f"{excluded}/lib.py", DISCARDED)
    write(project, "src/readme.txt", DISCARDED)
    write(project, ".gitignore", "generated/\n/src/secret.py\n")
    run = lint_rules(capsys, "check", ".")
    reported = sorted({line.split(":")[0] for line in run.out.splitlines()})
    assert reported == [os.path.join("src", "app.py"), os.path.join("src", "stub.pyi")]


def test_gitignore_above_the_checked_directory_applies_up_to_the_repository_root(
    project: Path, capsys
) -> None:
    (project / ".git").mkdir()
    write(project, ".gitignore", "src/generated/\n")
    write(project, ".git/info/exclude", "scratch.py\n")
    write(project, "src/app.py", DISCARDED)
    write(project, "src/generated/api.py", DISCARDED)
    write(project, "src/scratch.py", DISCARDED)
    run = lint_rules(capsys, "check", "src")
    assert {line.split(":")[0] for line in run.out.splitlines()} == {os.path.join("src", "app.py")}


def test_deeper_gitignore_can_reinclude_a_file(project: Path, capsys) -> None:
    write(project, ".gitignore", "*.py\n")
    write(project, "src/.gitignore", "!keep.py\n")
    write(project, "src/keep.py", DISCARDED)
    write(project, "src/drop.py", DISCARDED)
    run = lint_rules(capsys, "check", ".")
    assert {line.split(":")[0] for line in run.out.splitlines()} == {os.path.join("src", "keep.py")}


def test_explicit_files_are_checked_even_when_excluded(project: Path, capsys) -> None:
    write(project, ".gitignore", "app.py\n")
    write(project, "app.py", DISCARDED)
    assert lint_rules(capsys, "check", "app.py").out.splitlines() == text_lines("app.py", DISCARDED)
    assert lint_rules(capsys, "check", ".").status == 0


def test_exclude_flag_adds_patterns(project: Path, capsys) -> None:
    write(project, "src/app.py", DISCARDED)
    write(project, "tests/fixtures/bad.py", DISCARDED)
    run = lint_rules(capsys, "check", "--exclude", "fixtures/,nothing", ".")
    assert run.out.splitlines() == text_lines(os.path.join("src", "app.py"), DISCARDED)


def test_symlinked_directory_loops_are_not_followed(project: Path, capsys) -> None:
    write(project, "src/app.py", DISCARDED)
    (project / "src" / "loop").symlink_to(project / "src", target_is_directory=True)
    run = lint_rules(capsys, "check", "src")
    assert run.out.splitlines() == text_lines(os.path.join("src", "app.py"), DISCARDED)


# standard input


@pytest.mark.slow  # a subprocess, end to end
def test_stdin_with_stdin_filename(project: Path) -> None:
    run = run_executable(
        executable("lint-rules"),
        "check",
        "-",
        "--stdin-filename",
        "pkg/app.py",
        cwd=project,
        stdin=DISCARDED.encode(),
    )
    assert (run.status, run.out.splitlines()) == (1, text_lines("pkg/app.py", DISCARDED))


@pytest.mark.slow  # a subprocess, end to end
def test_stdin_filename_alone_reads_stdin_and_plain_dash_is_called_stdin(project: Path) -> None:
    named = run_executable(
        executable("lint-rules"), "check", "--stdin-filename", "x.py", cwd=project,
        stdin=DISCARDED.encode(),
    )  # fmt: skip
    assert named.out.splitlines() == text_lines("x.py", DISCARDED)
    anonymous = run_executable(
        executable("lint-rules"), "check", "-", cwd=project, stdin=DISCARDED.encode()
    )
    assert anonymous.out.splitlines() == text_lines("stdin", DISCARDED)


@pytest.mark.slow  # a subprocess, end to end
def test_stdin_filename_locates_the_configuration(project: Path) -> None:
    write(project, "sub/pyproject.toml", '[tool.lint-rules]\nignore = ["TRK101"]\n')
    inside = run_executable(
        executable("lint-rules"), "check", "-", "--stdin-filename", "sub/app.py", cwd=project,
        stdin=DISCARDED.encode(),
    )  # fmt: skip
    assert (inside.status, inside.out) == (0, "")


# selection


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), ["TRK101", "TRK102", "TRK106"]),
        (("--select", "TRK1"), ["TRK101", "TRK102", "TRK106"]),
        (("--select", "TRK10"), ["TRK101", "TRK102", "TRK106"]),
        (("--select", "TRK101"), ["TRK101"]),
        (("--select", "trk101,TRK106"), ["TRK101", "TRK106"]),
        (("--ignore", "TRK10"), []),
        (("--ignore", "TRK102"), ["TRK101", "TRK106"]),
        (("--select", "TRK1", "--ignore", "TRK1"), []),  # a tie: ignore wins
        (("--select", "TRK101", "--ignore", "TRK1"), ["TRK101"]),  # more specific wins
        (("--select", "TRK102", "--extend-select", "TRK106"), ["TRK102", "TRK106"]),
    ],
)
def test_select_ignore_and_extend_select_match_prefixes(
    project: Path, capsys, flags: tuple[str, ...], expected: list[str]
) -> None:
    write(project, "a.py", DISCARDED)
    write(project, "b.py", UNKEPT)
    write(project, "c.py", GATHER)
    run = lint_rules(capsys, "check", *flags, ".")
    assert [line.split()[1] for line in run.out.splitlines()] == expected


def test_unknown_selector_is_a_usage_error_naming_the_flag(project: Path, capsys) -> None:
    write(project, "a.py", DISCARDED)
    run = lint_rules(capsys, "check", "--ignore", "E501", "a.py")
    assert (run.status, run.out) == (2, "")
    assert run.err.startswith("lint-rules: error: --ignore: 'E501' selects no rule")
    assert "lint-rules rules" in run.err


def test_analysis_failures_are_reported_when_selected(project: Path, capsys) -> None:
    write(project, "broken.py", "import asyncio\nasyncio.create_task(x(\n")
    failed = lint_rules(capsys, "check", "broken.py")  # the default, TRK, selects TRK000
    assert [line.split()[1] for line in failed.out.splitlines()] == ["TRK000"]
    both = lint_rules(capsys, "check", "--select", "TRK101,TRK000", "broken.py")
    assert [line.split()[1] for line in both.out.splitlines()] == ["TRK000"]
    for flag, codes in (("--select", "TRK101"), ("--ignore", "TRK000")):
        silent = lint_rules(capsys, "check", flag, codes, "broken.py")
        assert (silent.status, silent.out) == (0, "")


def test_per_file_ignores_flag_and_table_silence_the_files_they_match(
    project: Path, capsys
) -> None:
    write(
        project,
        "pyproject.toml",
        '[tool.lint-rules]\nper-file-ignores = {"tests/*" = ["TRK101"]}\n',
    )
    for name in ("tests/test_app.py", "src/app.py", "scripts/run.py"):
        write(project, name, DISCARDED)
    run = lint_rules(capsys, "check", "--per-file-ignores", "scripts/*:TRK1 nothing/*:TRK2", ".")
    assert [line.split(":")[0] for line in run.out.splitlines()] == ["src/app.py"]
    fixed = lint_rules(capsys, "fix", "--per-file-ignores", "src/*:TRK101", ".")
    assert fixed.status == 0 and "fixed scripts/run.py" in fixed.out and "src/app" not in fixed.out
    bad = lint_rules(capsys, "check", "--per-file-ignores", "tests/*", ".")
    assert bad.status == 2 and "is not PATTERN:CODES" in bad.err


# --trk-* flags and pyproject.toml

FACTORY_USER = "from myapp import tasks\n\n\nasync def f(job):\n    tasks.spawn(job())\n"


def test_trk_flags_are_the_settings_options(project: Path, capsys) -> None:
    write(project, "app.py", FACTORY_USER)
    assert lint_rules(capsys, "check", "app.py").status == 0
    run = lint_rules(capsys, "check", "--trk-task-factories", "myapp.tasks.spawn", "app.py")
    assert [line.split()[1] for line in run.out.splitlines()] == ["TRK101"]


def test_pyproject_is_found_walking_up_and_flags_override_it(project: Path, capsys) -> None:
    write(
        project,
        "pyproject.toml",
        '[tool.lint-rules]\ntrk-task-factories = ["myapp.tasks.spawn"]\nignore = ["TRK102"]\n',
    )
    write(project, "src/pkg/app.py", FACTORY_USER)
    write(project, "src/pkg/unkept.py", UNKEPT)
    run = lint_rules(capsys, "check", "src/pkg")
    assert [line.split()[1] for line in run.out.splitlines()] == ["TRK101"]
    overridden = lint_rules(
        capsys, "check", "--trk-task-factories", "other.spawn", "--ignore", "TRK101", "src/pkg"
    )
    assert [line.split()[1] for line in overridden.out.splitlines()] == ["TRK102"]


def test_isolated_and_config_choose_the_configuration(project: Path, capsys) -> None:
    write(project, "pyproject.toml", '[tool.lint-rules]\nignore = ["TRK101"]\n')
    write(project, "elsewhere/pyproject.toml", '[tool.lint-rules]\nignore = ["TRK1"]\n')
    write(project, "app.py", DISCARDED)
    assert lint_rules(capsys, "check", "app.py").status == 0
    assert lint_rules(capsys, "check", "--isolated", "app.py").status == 1
    assert lint_rules(capsys, "check", "--config", "elsewhere/pyproject.toml", "app.py").status == 0
    missing = lint_rules(capsys, "check", "--config", "nope.toml", "app.py")
    assert missing.status == 2 and "--config nope.toml: no such file" in missing.err


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('trk-task-factory = ["x"]', "'trk-task-factory'; did you mean 'trk-task-factories'?"),
        ("trk-dispatch-attribute = 3", "trk-dispatch-attribute must be a Python identifier"),
        ("trk-loop-names = [1, 2]", "trk-loop-names must be a list of strings"),
        ("select = 5", "select must be a list of strings"),
        ('ignore = ["W605"]', "ignore: 'W605' selects no rule"),
    ],
)  # fmt: skip
def test_bad_configuration_is_one_clear_error_naming_the_key(
    project: Path, capsys, table: str, named: str
) -> None:
    write(project, "pyproject.toml", f"[tool.lint-rules]\n{table}\n")
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "app.py")
    assert (run.status, run.out) == (2, "")
    [line] = run.err.splitlines()
    assert line.startswith("lint-rules: error: ") and named in line
    assert "pyproject.toml" in line


@pytest.mark.parametrize("value", ["not an identifier", "", "a.b", "class"])
def test_bad_flag_value_is_an_error_naming_the_flag(project: Path, capsys, value: str) -> None:
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "--trk-dispatch-attribute", value, "app.py")
    assert (run.status, run.out) == (2, "")
    [line] = run.err.splitlines()
    assert line.startswith("lint-rules: error: --trk-dispatch-attribute: ")
    assert "must be a Python identifier" in line and repr(value) in line


def test_invalid_toml_is_reported_not_skipped(project: Path, capsys) -> None:
    write(project, "pyproject.toml", "[tool.lint-rules\n")
    write(project, "app.py", DISCARDED)
    run = lint_rules(capsys, "check", "app.py")
    assert run.status == 2 and "not valid TOML" in run.err


# decoding


def test_pep263_cookie_and_bom_are_honoured(project: Path, capsys) -> None:
    latin = "# -*- coding: latin-1 -*-\n" + DISCARDED.replace("keys", "cl\u00e9s")
    write(project, "latin.py", latin.encode("latin-1"))
    write(project, "bom.py", b"\xef\xbb\xbf" + DISCARDED.encode())
    run = lint_rules(capsys, "check", "latin.py", "bom.py")
    assert [line.split()[1] for line in run.out.splitlines()] == ["TRK101", "TRK101"]
    assert run.out.splitlines()[1].startswith("latin.py:7:9: TRK101")


def test_crlf_files_get_the_same_positions(project: Path, capsys) -> None:
    write(project, "crlf.py", DISCARDED.replace("\n", "\r\n").encode())
    run = lint_rules(capsys, "check", "crlf.py")
    assert run.out.splitlines() == text_lines("crlf.py", DISCARDED)


@pytest.mark.parametrize(
    ("data", "position", "reason"),
    [
        (b"import asyncio\nx = 1\n\xff\xfe = 2\n", "3:1", "byte b'\\xff' is not valid utf-8"),
        (b"# coding: no-such-codec\nimport asyncio\n", "1:1", "no-such-codec"),
        (b"\xef\xbb\xbf# coding: latin-1\nimport asyncio\n", "1:1", "encoding problem"),
    ],
)
def test_undecodable_files_are_a_trk000_finding_and_the_run_goes_on(
    project: Path, capsys, data: bytes, position: str, reason: str
) -> None:
    write(project, "bad.py", data)
    write(project, "good.py", DISCARDED)
    run = lint_rules(capsys, "check", "bad.py", "good.py")
    assert run.status == 1
    first, *rest = run.out.splitlines()
    assert first.startswith(f"bad.py:{position}: TRK000 could not analyse this file: cannot decode")
    assert reason in first
    assert rest == text_lines("good.py", DISCARDED)


# the command itself


def test_version(project: Path) -> None:
    run = run_executable(executable("lint-rules"), "--version", cwd=project)
    assert (run.status, run.out.strip()) == (0, f"lint-rules {__version__} (flake8-task-tracking)")


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help_with_examples(project: Path, capsys, command: str) -> None:
    run = lint_rules(capsys, command, "--help")
    assert run.status == 0
    assert run.out.startswith(f"usage: lint-rules {command}")
    assert "\nexample" in run.out
    assert f"lint-rules {command} " in run.out.split("\nexample")[1]


def test_no_command_prints_help_and_exits_2(project: Path, capsys) -> None:
    run = lint_rules(capsys)
    assert run.status == 2 and "check" in run.err and "examples:" in run.err


def test_unknown_option_is_a_usage_error(project: Path, capsys) -> None:
    run = lint_rules(capsys, "check", "--formatt", "json")
    assert run.status == 2 and "unrecognized arguments" in run.err


@pytest.mark.slow  # a subprocess, end to end
def test_python_dash_m_is_the_same_command(project: Path) -> None:
    write(project, "app.py", DISCARDED)
    module = run_executable(sys.executable, "-m", "lint_rules", "check", "app.py", cwd=project)
    script = run_executable(executable("lint-rules"), "check", "app.py", cwd=project)
    assert module == script
    assert module.status == 1 and module.out.splitlines() == text_lines("app.py", DISCARDED)


@pytest.mark.slow  # a subprocess, end to end
def test_closed_stdout_pipe_is_not_a_traceback(project: Path) -> None:
    many = "import asyncio\n\n\nasync def f(job):\n" + "    asyncio.create_task(job())\n" * 300
    for index in range(2):  # 600 findings: far more output than a pipe buffers
        write(project, f"m{index}.py", many)
    run = run_executable(
        "bash", "-c", f"'{executable('lint-rules')}' check . | head -n 1", cwd=project
    )
    assert run.out.startswith("m0.py:5:5: TRK101")
    assert run.err == ""


def test_a_receiver_split_over_lines_reads_as_one_line_in_messages(project: Path, capsys) -> None:
    source = "import asyncio\n\n\nasync def go():\n    asyncio \\\n        .create_task(job())\n"
    write(project, "app.py", source + "    asyncio.get_running_loop(\n    ).create_task(job())\n")
    run = lint_rules(capsys, "check", "app.py")
    assert [line.split(" is discarded")[0] for line in run.out.splitlines()] == [
        "app.py:5:5: TRK101 the task from asyncio.create_task()",
        "app.py:7:5: TRK101 the task from asyncio.get_running_loop().create_task()",
    ]


def test_a_statement_continued_by_a_backslash_is_analysed_whole() -> None:
    source = "import asyncio\n\nasyncio.ensure_future(job()); \\\n    done = 1\nx = 2\n"
    findings = rules.analyze(source)
    assert [(f.line, f.col, f.code) for f in findings] == [(3, 0, "TRK101")]
    assert findings == rules.analyze(source, full=True)


@pytest.mark.parametrize(
    ("name", "shown"),
    [("a\nb.py", '"a\\nb.py"'), ("tab\t.py", '"tab\\t.py"'), ("sp ace.py", "sp ace.py"),
     ('q"\\.py', 'q"\\.py'), (os.fsdecode(b"caf\xff.py"), '"caf\\377.py"')],
)  # fmt: skip
def test_a_file_name_with_a_control_character_is_quoted_as_git_quotes_it(
    project: Path, capsys, name: str, shown: str
) -> None:
    write(project, name, DISCARDED)
    run = lint_rules(capsys, "check", ".")
    [line] = run.out.splitlines()
    assert line.startswith(f"{shown}:") and " TRK101 " in line


def test_jobs_do_not_change_the_output(project: Path, capsys) -> None:
    """Enough files for two workers (FILES_PER_WORKER each): the same bytes as one process."""
    from lint_rules.cli.check import FILES_PER_WORKER

    for number in range(2 * FILES_PER_WORKER + 3):
        text = [DISCARDED, UNKEPT, GATHER, CLEAN][number % 4]
        write(project, f"pkg/m{number:02}.py", text)
    write(
        project, "pkg/undecodable.py", b"x = '\xff'\nimport asyncio\nasyncio.ensure_future(j())\n"
    )
    runs = {jobs: lint_rules(capsys, "check", "-j", jobs, "pkg") for jobs in ("1", "2")}
    assert runs["1"] == runs["2"]
    assert runs["1"].status == 1 and len(runs["1"].out.splitlines()) == 1 + 3 * 5
    assert lint_rules(capsys, "check", "-j", "0", "pkg").status == 2


# output conveniences: --version, usage errors, --quiet, --output-file, --color, --fix


@pytest.mark.parametrize("subcommand", sorted(SUBCOMMANDS))
def test_every_subcommand_has_version_and_its_own_usage_on_errors(capsys, subcommand: str) -> None:
    version = lint_rules(capsys, subcommand, "--version")
    expected = f"lint-rules {__version__} (flake8-task-tracking)\n"
    assert (version.status, version.out) == (0, expected)
    bad = lint_rules(capsys, subcommand, "--no-such-flag")
    assert bad.status == 2 and bad.err.startswith(f"usage: lint-rules {subcommand} ")
    assert bad.err.splitlines()[-1] == (
        f"lint-rules {subcommand}: error: unrecognized arguments: --no-such-flag"
    )


def test_quiet_prints_findings_and_errors_only(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    (project / "empty").mkdir()
    assert "warning: no Python files found" in lint_rules(capsys, "check", "empty").err
    assert lint_rules(capsys, "check", "-q", "empty") == (0, "", "")
    assert lint_rules(capsys, "fix", "-q", "empty") == (0, "", "")
    check = lint_rules(capsys, "check", "--quiet", "app.py", "missing.py")
    assert check.status == 2 and len(check.out.splitlines()) == 1
    assert check.err.splitlines() == [
        "lint-rules: error: missing.py: no such file or directory; check the path"
    ]
    diff = lint_rules(capsys, "fix", "-q", "--diff", "app.py")
    assert diff.status == 0 and diff.out.startswith("--- app.py") and diff.err == ""
    fixed = lint_rules(capsys, "fix", "-q", "app.py")
    assert (fixed.status, fixed.out, fixed.err) == (0, "", "")
    assert "_background_tasks" in (project / "app.py").read_text()


def test_output_file_holds_the_report(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    plain = lint_rules(capsys, "check", "--statistics", "app.py")
    run = lint_rules(capsys, "check", "--statistics", "--output-file", "report.txt", "app.py")
    assert (run.status, run.out) == (1, "")
    assert (project / "report.txt").read_text(encoding="utf-8") == plain.out
    bad = lint_rules(capsys, "check", "-o", "no/such/dir/report.txt", "app.py")
    assert bad.status == 2 and "--output-file no/such/dir/report.txt: cannot write it" in bad.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("choice", "terminal", "no_color", "expected"),
    [("auto", True, "", True), ("auto", True, "1", False), ("auto", False, "", False),
     ("always", False, "1", True), ("never", True, "", False)],
)  # fmt: skip
def test_color_follows_the_flag_the_terminal_and_no_color(
    monkeypatch: pytest.MonkeyPatch, choice: str, terminal: bool, no_color: str, expected: bool
) -> None:
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setenv("TERM", "xterm")
    stream = _Terminal() if terminal else io.StringIO()
    assert wants_color(choice, stream) is expected


def test_color_always_paints_the_report_and_the_diff(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    plain = lint_rules(capsys, "check", "app.py").out
    painted = lint_rules(capsys, "check", "--color", "always", "app.py").out
    assert "\x1b[" in painted and re.sub(r"\x1b\[[0-9;]*m", "", painted) == plain
    diff = lint_rules(capsys, "fix", "--diff", "--color=always", "app.py").out
    assert "\x1b[32m+" in diff and "\x1b[36m@@" in diff
    assert lint_rules(capsys, "fix", "--diff", "--color=never", "app.py").out.count("\x1b") == 0


def test_check_fix_rewrites_then_reports_what_is_left(project: Path, capsys) -> None:
    write(project, "app.py", DISCARDED)
    write(project, "left.py", UNKEPT_IN_A_LIST)
    write(project, "broken.py", "import asyncio\nasyncio.create_task(x(\n")
    run = lint_rules(capsys, "check", "--fix", ".")
    assert run.status == 1
    assert [line.split()[1] for line in run.out.splitlines()] == ["TRK000", "TRK103"]
    assert run.err == "lint-rules check --fix: fixed 1 finding in 1 file\n"  # no fix errors
    assert "_background_tasks" in (project / "app.py").read_text()
    write(project, "broken.py", "")
    write(project, "left.py", CLEAN)
    again = lint_rules(capsys, "check", "--fix", ".")
    assert (again.status, again.out, again.err) == (0, "", "")
    stdin = lint_rules(capsys, "check", "--fix", "-")
    assert stdin.status == 2 and "use `lint-rules fix -`" in stdin.err
