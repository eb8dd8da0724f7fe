"""Bad input (issue 6, point 3): each gets a clear one-line message and the right exit code, and
the rest of the run is unaffected: every case here puts a good file with a finding next to
the bad one and asserts that it is still reported (``check``) or fixed (``fix``).

Where each item of the issue is asserted (here unless another module is named):

===============================================  ===============================================
non-UTF-8 bytes, no encoding cookie              check, fix, flake8 here; also test_cli.py
                                                 ``test_undecodable_files_are_a_trk000...``
                                                 and test_fix_modes.py ``test_bad_input_...``
non-UTF-8 bytes with a cookie: the declared      check, fix, flake8 here (latin-1 cookie: valid;
encoding, bytes invalid in it, an unknown codec  ascii cookie with UTF-8 bytes: invalid);
                                                 unknown codec and BOM + other cookie also in
                                                 test_cli.py / test_fix_modes.py
a UTF-8 BOM                                      check, fix, flake8 here; golden file
                                                 tests/fixtures/fix/utf8_bom.py
CRLF and mixed newlines (LF, CRLF, lone CR)      check, fix, flake8 here; CRLF golden file
                                                 tests/fixtures/fix/crlf.py
tabs, and tabs mixed inconsistently (TabError)   check, fix, flake8 here; golden file
                                                 tests/fixtures/fix/tabs.py
NUL bytes                                        check, fix, flake8 here
an empty file (and a BOM alone)                  check, fix, flake8 here
a 5 MB generated file                            check (a 5 MB literal and 5 MB of code), fix
                                                 (the literal: libcst needs minutes on 5 MB of
                                                 code, which the codemod would parse whole)
a file ``ast`` accepts and libcst rejects        check, fix, flake8 here (LibCST #1061, a
                                                 TypeError); flake8 also in test_flake8.py
a path that does not exist                       check, fix here; also test_cli.py, test_fix_modes
a directory loop made of symlinks, and a loop    check, fix, flake8 here; check also test_cli.py
of file symlinks (a.py -> b.py -> a.py)
a FIFO named ``*.py`` in a walked directory      check, fix here (skipped: reading it would hang)
an unreadable file (chmod 000)                   check, fix here, run without CAP_DAC_OVERRIDE
                                                 when the tests run as root; a dangling symlink
                                                 in test_cli.py
a read-only file for ``fix``                     here (reported, not changed, next file fixed);
                                                 also test_fix_modes.py
a file changed on disk between read and write    here (not overwritten, next file fixed); also
                                                 test_fix_modes.py
Python 2 syntax                                  check, fix, flake8 here; fix also test_fix_modes
===============================================  ===============================================
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lint_rules import fixer
from tests.cli_helpers import Run, executable, lint_rules, run_executable

GOOD = "import asyncio\n\n\ndef go():\n    asyncio.create_task(job())\n"
GOOD_FINDING = "good.py:5:5: TRK101 "
GOOD_FIXED = (
    "import asyncio\n\n_background_tasks = set()\n\n\ndef go():\n"
    "    _task = asyncio.create_task(job())\n"
    "    _background_tasks.add(_task)\n"
    "    _task.add_done_callback(_background_tasks.discard)\n"
)
ERROR = "lint-rules: error: "


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding the good file, and the current directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(GOOD)
    return tmp_path


def assert_good_file_reported(run: Run) -> None:
    assert [line for line in run.out.splitlines() if line.startswith(GOOD_FINDING)], run


def assert_good_file_fixed(project: Path, run: Run) -> None:
    assert "fixed good.py (1 finding)" in run.out.splitlines(), run
    assert (project / "good.py").read_text() == GOOD_FIXED


def errors(run: Run) -> list[str]:
    """The error lines of a run, each checked to be one line saying what is wrong."""
    lines = [line for line in run.err.splitlines() if line.startswith(ERROR)]
    assert "Traceback" not in run.err
    return lines


# -- symbolic links -------------------------------------------------------------------------


def make_link_loops(project: Path) -> None:
    (project / "a.py").symlink_to("b.py")
    (project / "b.py").symlink_to("a.py")
    (project / "pkg").mkdir()
    (project / "pkg" / "up").symlink_to("..", target_is_directory=True)
    (project / "pkg" / "here").symlink_to(".", target_is_directory=True)


def test_symlink_loops_are_reported_by_check_and_the_run_goes_on(project: Path, capsys) -> None:
    make_link_loops(project)
    for arguments in (["."], ["a.py", "good.py", "pkg/up/pkg/here"]):
        run = lint_rules(capsys, "check", *arguments)
        assert run.status == 2, run
        assert_good_file_reported(run)
        assert (
            sorted(errors(run))
            == [
                f"{ERROR}a.py: cannot read it (Too many levels of symbolic links); "
                "fix it or --exclude it",
                f"{ERROR}b.py: cannot read it (Too many levels of symbolic links); "
                "fix it or --exclude it",
            ][: 2 if arguments == ["."] else 1]
        )


def test_symlink_loops_are_reported_by_fix_and_the_run_goes_on(project: Path, capsys) -> None:
    make_link_loops(project)
    run = lint_rules(capsys, "fix", ".")
    assert run.status == 2, run
    assert_good_file_fixed(project, run)
    assert errors(run) == [
        f"{ERROR}a.py: cannot read it: Too many levels of symbolic links",
        f"{ERROR}b.py: cannot read it: Too many levels of symbolic links",
    ]
    assert os.readlink(project / "a.py") == "b.py"  # the links themselves are left alone


# -- special files ------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs exist on POSIX only")
@pytest.mark.parametrize("command", [["check"], ["fix"], ["fix", "--diff"]])
def test_a_fifo_in_a_walked_directory_is_skipped_not_read(
    project: Path, command: list[str]
) -> None:
    """Reading a FIFO blocks until a writer comes: the run would hang (as flake8 does)."""
    os.mkfifo(project / "pipe.py")
    lint = [sys.executable, "-m", "lint_rules", *command, "."]
    try:
        result = subprocess.run(lint, cwd=project, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`lint-rules {' '.join(command)}` hung on a FIFO")
    run = Run(result.returncode, result.stdout, result.stderr)
    assert errors(run) == [] and "pipe.py" not in run.out + run.err
    if command == ["check"]:
        assert run.status == 1
        assert_good_file_reported(run)
    elif command == ["fix"]:
        assert run.status == 0
        assert_good_file_fixed(project, run)
    else:
        assert run.status == 0 and run.out.startswith("--- good.py\n+++ good.py\n")
    assert stat.S_ISFIFO(os.stat(project / "pipe.py").st_mode)
