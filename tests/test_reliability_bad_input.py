"""Bad input: each gets a clear one-line message and the right exit code, and
the rest of the run is unaffected: every case here puts a good file with a finding next to
the bad one and asserts that it is still reported (``check``) or fixed (``fix``).

Where each case is asserted (here unless another module is named):

===============================================  ===============================================
non-UTF-8 bytes, no encoding cookie              check, fix, flake8 here; also test_cli.py
                                                 ``test_undecodable_files_are_a_trk000...``
                                                 and test_fix_modes.py ``test_bad_input_...``
non-UTF-8 bytes with a cookie: the declared      check, fix, flake8 here (latin-1 cookie: valid;
encoding, bytes invalid in it, an unknown        ascii cookie with UTF-8 bytes: invalid;
codec, a UTF-16 cookie (Python refuses it)       utf-16 cookie: refused);
                                                 unknown codec and BOM + other cookie also in
                                                 test_cli.py / test_fix_modes.py
a UTF-8 BOM                                      check, fix, flake8 here; golden file
                                                 tests/fixtures/fix/utf8_bom.py
CRLF and mixed newlines (LF, CRLF, lone CR)      check, fix, flake8 here; CRLF golden file
                                                 tests/fixtures/fix/crlf.py
tabs, and tabs mixed inconsistently (TabError)   check, fix, flake8 here; golden file
                                                 tests/fixtures/fix/tabs.py
deep trees: 1000 elif branches, 1000             check, fix here; flake8 here for the strings
implicitly concatenated strings                  (pyflakes itself fails on the elif chain)
NUL bytes                                        check, fix, flake8 here
an empty file (and a BOM alone)                  check, fix, flake8 here
a 5 MB generated file                            check, fix, flake8 here: a 5 MB bytes literal,
                                                 as generated protobuf modules hold (5 MB of
                                                 statements would cost minutes of libcst parse
                                                 in the codemod, which parses files whole)
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
from dataclasses import dataclass
from pathlib import Path

import pytest

from lint_rules.cli import fix_file as fixer
from lint_rules.cli.selection import Selection
from lint_rules.settings import Settings
from tests.cli_helpers import Run, lint_rules

pytestmark = pytest.mark.slow  # subprocess end-to-end runs of check, fix and flake8

GOOD = "import asyncio\n\n\ndef go():\n    asyncio.create_task(job())\n"
GOOD_FINDING = "good.py:5:5: TRK101 "
GOOD_FIXED = (
    "import asyncio\nfrom typing import Any\n\n"
    '_background_tasks: "set[asyncio.Future[Any]]" = set()\n'
    "\n\ndef go():\n"
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
    """The error lines of a run (and there is no traceback)."""
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


def loop_error(name: str) -> str:
    return (
        f"{ERROR}{name}: cannot read it (Too many levels of symbolic links); fix it or --exclude it"
    )


def test_symlink_loops_are_reported_by_check_and_the_run_goes_on(project: Path, capsys) -> None:
    make_link_loops(project)
    walked = lint_rules(capsys, "check", ".")
    named = lint_rules(capsys, "check", "a.py", "good.py", "pkg/up/pkg/here")
    for run, looping in ((walked, ["a.py", "b.py"]), (named, ["a.py"])):
        assert run.status == 2, run
        assert_good_file_reported(run)
        assert sorted(errors(run)) == [loop_error(name) for name in looping]


def test_symlink_loops_do_not_stop_flake8(project: Path) -> None:
    make_link_loops(project)
    command = [sys.executable, "-m", "flake8", "--isolated", "--select=TRK", "."]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.startswith(f"./{GOOD_FINDING}")


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


# -- bad bytes and odd layouts: check, fix and flake8 -------------------------------------------

TASK_LINE = "    asyncio.create_task(job())"


@dataclass(frozen=True)
class Case:
    """A file's bytes and what each face must say about it. ``check``: the start of each line
    `lint-rules check` prints for it; ``fix_error``: the one error line of `lint-rules fix`
    (after the path), or None when it fixes (or leaves) the file; ``flake8``: the
    (line, column, code) flake8 reports, its own E999 included."""

    name: str
    data: bytes
    check: tuple[str, ...]
    fix_error: str | None
    flake8: tuple[tuple[int, int | None, str], ...]


TRK000 = "TRK000 could not analyse this file: "


def valid(name: str, data: bytes, *found: tuple[int, int, str]) -> Case:
    """Unusual but valid: every face reports ``found``, and fix rewrites it."""
    check = tuple(f"bad.py:{line}:{col}: {code} " for line, col, code in found)
    return Case(name, data, check, None, found)


def undecodable(name: str, data: bytes, where: str, byte: str, encoding: str) -> Case:
    """Bytes that are not text in the file's encoding. flake8 falls back to Latin-1 and goes
    on; the plugin reads the bytes again and reports what ``check`` reports."""
    reason = (
        f"cannot decode it: byte b'\\x{byte}' is not valid {encoding}; fix the bytes or "
        "declare the file's real encoding in a PEP 263 coding comment"
    )
    return refused(name, data, where, reason)


def refused(name: str, data: bytes, where: str, reason: str) -> Case:
    """A file Python refuses to decode: TRK000 from every face, at the same place."""
    line, column = (int(number) for number in where.split(":"))
    return Case(name, data, (f"bad.py:{where}: {TRK000}{reason}",), f"{where}: {reason}",
                ((line, column, "TRK000"),))  # fmt: skip


def unparsable(
    name: str, data: bytes, where: str, reason: str, flake8: tuple[int, int | None, str]
) -> Case:
    """What Python (flake8 says E999 itself, at a column that depends on the Python version)
    or libcst (TRK000) cannot parse."""
    check = f"bad.py:{where}: {TRK000}{reason}"
    return Case(name, data, (check,), f"{where}: {TRK000[7:]}{reason}", (flake8,))


LIBCST_TYPEERROR = (
    "libcst failed on it (TypeError: super(type, obj): obj must be an instance or subtype of "
    "type); a libcst bug"
)
PYTHON_2 = "Missing parentheses in call to 'print'. Did you mean print(...)?"
BIG_LITERAL = "b'" + "".join(f"\\x{i % 256:02x}" for i in range(1_250_000)) + "'"

CASES = [
    # Latin-1 bytes without a cookie (Python reads UTF-8), and with a cookie that says so
    undecodable("undecodable", b"import asyncio\nasyncio.create_task(x)  # caf\xe9\n", "2:30",
                "e9", "utf-8"),
    valid("latin1_cookie", b"# -*- coding: latin-1 -*-\nimport asyncio\n\n\ndef go():\n"
          b"    asyncio.create_task(job('caf\xe9'))\n", (6, 5, "TRK101")),
    # a cookie that the bytes break
    undecodable("ascii_cookie", b"# coding: ascii\nimport asyncio\nasyncio.create_task(x)  #"
                b" caf\xc3\xa9\n", "3:30", "c3", "ascii"),
    # Python refuses a coding comment for an encoding that changes ASCII bytes (UTF-16, UTF-32)
    refused("utf16_cookie", b"# coding: utf-16\n" + GOOD.encode(), "1:1", "cannot decode it: "
            "Python refuses the coding comment's utf-16, which does not keep ASCII bytes as they "
            "are; declare utf-8 (or another ASCII-compatible encoding)"),
    valid("bom", b"\xef\xbb\xbf" + GOOD.encode(), (5, 5, "TRK101")),
    # LF, CRLF and a lone CR (old Mac) in one file
    valid("mixed_newlines",
          f"import asyncio\r\n\n\ndef go():\r{TASK_LINE}\n{TASK_LINE}\r\n".encode(),
          (5, 5, "TRK101"), (6, 5, "TRK101")),
    valid("tabs", GOOD.replace("    ", "\t").encode(), (5, 2, "TRK101")),
    unparsable("inconsistent_tabs", b"import asyncio\nif 1:\n\tasyncio.create_task(x)\n"
               b"        asyncio.create_task(y)\n", "4:1",
               "Python cannot parse it (inconsistent use of tabs and spaces in indentation)",
               (4, None, "E999")),
    unparsable("nul_bytes", b"import asyncio\nasyncio.create_task(x)\x00\n", "1:1",
               "Python cannot parse it (source code string cannot contain null bytes)",
               (1, None, "E999")),
    valid("empty", b""),
    valid("bom_only", b"\xef\xbb\xbf"),
    # Python accepts it; libcst 1.x raises TypeError (LibCST #1061)
    unparsable("libcst_rejects", b"import asyncio\n\n\ndef go(x):\n    asyncio.ensure_future(x)\n"
               b"    return () if 0 else(lambda:())\n", "4:1", LIBCST_TYPEERROR, (4, 1, "TRK000")),
    unparsable("python2", b"import asyncio\nprint 'started'\nasyncio.ensure_future(job())\n", "2:1",
               f"Python cannot parse it ({PYTHON_2})", (2, None, "E999")),
    # deep trees: libcst recurses once per elif branch or implicitly concatenated string
    valid("long_elif_chain", ("import asyncio\n\n\ndef go(x):\n    if x == 0:\n        pass\n"
          + "".join(f"    elif x == {i}:\n        pass\n" for i in range(1, 1000))
          + f"{TASK_LINE}\n").encode(), (2005, 5, "TRK101")),
    valid("long_concatenation", ("import asyncio\n\n\ndef go():\n    text = (\n"
          + "        'line'\n" * 1000 + f"    )\n{TASK_LINE}\n").encode(), (1007, 5, "TRK101")),
    # 5 MB, as generated protobuf modules are: a huge bytes literal on one line
    valid("big_literal", f"import asyncio\n\nDESCRIPTOR = {BIG_LITERAL}\n\n\ndef go():\n"
          f"{TASK_LINE}\n".encode(), (7, 5, "TRK101")),
]  # fmt: skip
IDS = [case.name for case in CASES]
# what stops flake8 before any plugin matters
FLAKE8_ITSELF_FAILS = {"long_elif_chain": "pyflakes (flake8's F checks) raises RecursionError"}


def write_case(project: Path, case: Case) -> Path:
    path = project / "bad.py"
    path.write_bytes(case.data)
    return path


def test_the_big_case_is_5_mb() -> None:
    assert len(next(c for c in CASES if c.name == "big_literal").data) > 5_000_000


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_reports_bad_input_and_the_good_file(project: Path, capsys, case: Case) -> None:
    write_case(project, case)
    run = lint_rules(capsys, "check", "bad.py", "good.py")
    assert run.status == 1 and errors(run) == [] and run.err == ""
    lines = run.out.splitlines()
    assert lines[-1].startswith(GOOD_FINDING) and len(lines) == len(case.check) + 1, run
    for line, expected in zip(lines, case.check):
        assert line.startswith(expected), line
        assert expected.startswith(f"bad.py:{line.split(':')[1]}:")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fix_reports_bad_input_and_fixes_the_good_file(project: Path, capsys, case: Case) -> None:
    path = write_case(project, case)
    run = lint_rules(capsys, "fix", "bad.py", "good.py")
    assert_good_file_fixed(project, run)
    if case.fix_error is None:
        assert run.status == 0 and errors(run) == []
        assert_fixed_like_the_lf_utf8_version(path, case)
    else:
        assert run.status == 2
        assert errors(run) == [f"{ERROR}bad.py: {case.fix_error}"]
        assert path.read_bytes() == case.data
    assert sorted(p.name for p in project.iterdir()) == ["bad.py", "good.py"]  # no temp file


def assert_fixed_like_the_lf_utf8_version(path: Path, case: Case) -> None:
    """Fixed as the same file with plain LF newlines in UTF-8 would be, its own bytes kept:
    encoding, BOM, newline of every untouched line."""
    new = path.read_bytes()
    if not case.check:  # nothing to fix: not even opened for writing
        assert new == case.data
        return
    compile(new, str(path), "exec", dont_inherit=True)
    encoding = "latin-1" if b"latin-1" in case.data else "utf-8"
    bom = b"\xef\xbb\xbf" if case.data.startswith(b"\xef\xbb\xbf") else b""
    assert new.startswith(bom) and new.count(b"\xef\xbb\xbf") == len(bom) // 3
    plain = case.data[len(bom) :].decode(encoding)
    reference = path.with_name("reference.py")
    reference.write_text(_lf(plain).replace("latin-1", "utf-8"), encoding="utf-8")
    result = fixer.fix_file(reference, fixer.Job(Settings(), Selection(), {}, "write"))
    assert result.error is None and result.changed
    expected = reference.read_text(encoding="utf-8").replace("utf-8", "latin-1", 1)
    reference.unlink()
    assert _lf(new[len(bom) :].decode(encoding)) == (
        expected if encoding == "latin-1" else expected.replace("latin-1", "utf-8")
    )
    for line in plain.splitlines(keepends=True):  # every original line is still there
        if "create_task" not in line:
            assert line.encode(encoding) in new


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_flake8_reports_bad_input_and_the_good_file(tmp_path: Path) -> None:
    """One flake8 run over every case: flake8 reports what Python cannot parse itself (E999)
    and runs the plugin on the rest; the plugin never stops the run."""
    for case in CASES:
        if case.name not in FLAKE8_ITSELF_FAILS:
            (tmp_path / f"{case.name}.py").write_bytes(case.data)
    (tmp_path / "good.py").write_text(GOOD)
    command = [sys.executable, "-m", "flake8", "--isolated", "--select=TRK,E9"]
    command += ["--format=%(path)s|%(row)d|%(col)d|%(code)s", "."]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    reported: dict[str, list[tuple[int, int | None, str]]] = {}
    for line in result.stdout.splitlines():
        path, row, col, code = line.split("|")
        column = None if code == "E999" else int(col)
        reported.setdefault(Path(path).stem, []).append((int(row), column, code))
    assert reported.pop("good") == [(5, 5, "TRK101")]
    assert reported == {
        case.name: list(case.flake8)
        for case in CASES
        if case.flake8 and case.name not in FLAKE8_ITSELF_FAILS
    }


# -- paths that cannot be read or written ---------------------------------------------------------


def test_a_missing_path_is_reported_and_the_run_goes_on(project: Path, capsys) -> None:
    message = f"{ERROR}missing.py: no such file or directory; check the path"
    check = lint_rules(capsys, "check", "missing.py", "good.py")
    assert check.status == 2 and errors(check) == [message]
    assert_good_file_reported(check)
    fix = lint_rules(capsys, "fix", "missing.py", "good.py")
    assert fix.status == 2 and errors(fix) == [message]
    assert_good_file_fixed(project, fix)


def without_dac_override(directory: Path) -> list[str]:
    """A command prefix under which permission bits stop this process: none for a normal
    user; root ignores them (CAP_DAC_OVERRIDE), so for root, setpriv (util-linux) runs the
    command with that capability and CAP_DAC_READ_SEARCH dropped."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip(
            "running as root, where chmod 000 does not stop reads, and setpriv (util-linux), "
            "which would drop that privilege, is not installed"
        )
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    probe = directory / "probe"
    probe.write_text("secret")
    probe.chmod(0)
    read = subprocess.run([*prefix, "cat", str(probe)], capture_output=True, timeout=60)
    probe.unlink()
    if read.returncode == 0:
        pytest.skip("running as root, and setpriv could not drop CAP_DAC_OVERRIDE here")
    return prefix


def lint_rules_process(prefix: list[str], project: Path, *arguments: str) -> Run:
    command = [*prefix, sys.executable, "-m", "lint_rules", *arguments]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300)
    return Run(result.returncode, result.stdout, result.stderr)


def test_an_unreadable_file_is_reported_and_the_run_goes_on(project: Path) -> None:
    prefix = without_dac_override(project)
    bad = project / "bad.py"
    bad.write_text(GOOD)
    bad.chmod(0)
    check = lint_rules_process(prefix, project, "check", ".")
    assert check.status == 2
    assert errors(check) == [
        f"{ERROR}bad.py: cannot read it (Permission denied); fix it or --exclude it"
    ]
    assert check.out.splitlines() == [
        line for line in check.out.splitlines() if line.startswith(GOOD_FINDING)
    ]
    fix = lint_rules_process(prefix, project, "fix", ".")
    assert fix.status == 2
    assert errors(fix) == [f"{ERROR}bad.py: cannot read it: Permission denied"]
    assert_good_file_fixed(project, fix)
    bad.chmod(0o644)
    assert bad.read_text() == GOOD


def test_a_file_in_a_read_only_directory_is_reported_and_not_changed(project: Path) -> None:
    """The temporary file of the atomic replace cannot be made next to it."""
    prefix = without_dac_override(project)
    locked = project / "locked"
    locked.mkdir()
    (locked / "bad.py").write_text(GOOD)
    locked.chmod(0o555)
    try:
        fix = lint_rules_process(prefix, project, "fix", ".")
    finally:
        locked.chmod(0o755)
    assert fix.status == 2
    bad = os.path.join("locked", "bad.py")
    assert errors(fix) == [f"{ERROR}{bad}: cannot write next to it: Permission denied"]
    assert_good_file_fixed(project, fix)
    assert (locked / "bad.py").read_text() == GOOD and os.listdir(locked) == ["bad.py"]


def test_a_read_only_file_is_reported_not_changed_and_the_run_goes_on(
    project: Path, capsys
) -> None:
    bad = project / "bad.py"
    bad.write_text(GOOD)
    bad.chmod(0o444)
    before = bad.stat()
    run = lint_rules(capsys, "fix", "bad.py", "good.py")
    assert run.status == 2
    assert errors(run) == [
        f"{ERROR}bad.py: read-only file: not changed (make it writable to fix it)"
    ]
    assert_good_file_fixed(project, run)
    after = bad.stat()
    assert bad.read_text() == GOOD
    assert (after.st_mode, after.st_mtime_ns, after.st_ino) == (
        before.st_mode,
        before.st_mtime_ns,
        before.st_ino,
    )


@pytest.mark.parametrize("meanwhile", ["edited", "deleted"])
def test_a_file_changed_between_read_and_write_is_not_overwritten(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    bad = project / "bad.py"
    bad.write_text(GOOD)
    transform = fixer._transform

    def change_bad_meanwhile(path: Path, *arguments: object) -> object:
        outcome = transform(path, *arguments)  # type: ignore[arg-type]
        if path.name == "bad.py":  # the user saves the file while the fixer works on it
            if meanwhile == "edited":
                bad.write_text(GOOD + "# edited meanwhile\n")
            else:
                bad.unlink()
        return outcome

    monkeypatch.setattr(fixer, "_transform", change_bad_meanwhile)
    run = lint_rules(capsys, "fix", "bad.py", "good.py")
    assert run.status == 2
    if meanwhile == "edited":
        expected = "changed on disk while being fixed: not overwritten, run again"
        assert bad.read_text() == GOOD + "# edited meanwhile\n"
    else:
        expected = "cannot write it: No such file or directory"
        assert not bad.exists()
    assert errors(run) == [f"{ERROR}bad.py: {expected}"]
    assert_good_file_fixed(project, run)
    left = {"good.py", "bad.py"} if meanwhile == "edited" else {"good.py"}
    assert {p.name for p in project.iterdir()} == left  # and no temporary file
