"""``lint-rules fix`` as users run it: in place, --diff, --check, -j, --select/--ignore,
pyproject settings, bad input, concurrent edits, permissions, progress and summary."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lint_rules.cli import fix_file as fixer
from lint_rules.cli import main
from lint_rules.cli.console import Progress
from lint_rules.cli.selection import Selection
from lint_rules.cli.workers import BIG_FILE_CHARS

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
STATEMENT = "import asyncio\n\n\ndef spawn():\n    asyncio.create_task(job())\n"
BINDING = "import asyncio\n\n\ndef spawn():\n    task = asyncio.create_task(job())\n"
CLEAN = "import asyncio\n\n\nasync def wait():\n    await asyncio.sleep(1)\n"
# TRK103 (kept only in a local list): no autofix
LEFT = "import asyncio\n\n\ndef spawn():\n    t = []\n    t.append(asyncio.create_task(job()))\n"


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main(["fix", *arguments])
    out, err = capsys.readouterr()
    return status, out, err


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int, int]]:
    """content, mtime_ns, inode and mode of every file."""
    result = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            info = path.stat()
            result[str(path.relative_to(root))] = (
                path.read_bytes(),
                info.st_mtime_ns,
                info.st_ino,
                info.st_mode,
            )
    return result


def test_in_place_rewrites_what_needs_it_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path, {"a.py": STATEMENT, "b.py": CLEAN, "c.py": LEFT, "d.py": BINDING})
    before = snapshot(root)
    status, out, err = run(capsys, str(root))
    after = snapshot(root)
    assert status == 0
    assert out.splitlines() == [
        f"fixed {root / 'a.py'} (1 finding)",
        f"fixed {root / 'd.py'} (1 finding)",
    ]
    assert err.splitlines()[-1] == (
        "lint-rules fix: 4 files scanned, 2 changed, 2 findings fixed, "
        "1 left (TRK103: 1 no autofix for this code), 0 failed"
    )
    assert after["b.py"] == before["b.py"] and after["c.py"] == before["c.py"]  # not even opened
    assert "_background_tasks.add(_task)" in after["a.py"][0].decode()
    assert "_background_tasks.add(task)" in after["d.py"][0].decode()
    assert sorted(p.name for p in root.iterdir()) == ["a.py", "b.py", "c.py", "d.py"]  # no temp


def test_permissions_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tree(tmp_path, {"a.py": STATEMENT}) / "a.py"
    path.chmod(0o640)
    assert run(capsys, str(path))[0] == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert "_background_tasks" in path.read_text()


def test_diff_prints_a_patch_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(
        tmp_path, {"a.py": STATEMENT, "b.py": CLEAN, "crlf.py": (FIXTURES / "crlf.py").read_bytes()}
    )
    before = snapshot(root)
    status, out, err = run(capsys, "--diff", str(root))
    assert status == 0 and snapshot(root) == before
    assert out.startswith(f"--- {root / 'a.py'}\n+++ {root / 'a.py'}\n@@ ")
    assert "+    _task = asyncio.create_task(job())\n" in out
    assert "b.py" not in out
    assert "1 would change" not in err and "2 would change" in err
    if shutil.which("patch") is None:
        pytest.skip("the patch program is not installed; the diff was checked as text only")
    patched = subprocess.run(
        ["patch", "-p0", "--binary", "-s"], input=out.encode(), cwd="/", capture_output=True
    )
    assert patched.returncode == 0, patched.stderr
    assert (root / "a.py").read_text() == _fixed(STATEMENT, tmp_path)
    assert (root / "crlf.py").read_bytes() == (FIXTURES / "crlf.fixed.py").read_bytes()


NEWLINES = {
    "cr_only": b"import asyncio\r\r\rasync def go():\r    asyncio.create_task(job())\r"
    b"    return 1\r",
    "mixed": b"import asyncio\n\r\nasync def go():\r    asyncio.create_task(job())\r\n"
    b"    x = 1\n    return x\r",
}


@pytest.fixture(params=[["patch", "-p0", "--binary", "-s"], ["git", "apply", "-"]], ids=str)
def apply_diff(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], None]:
    """Apply a diff in ``tmp_path`` (the current directory) with patch, then with git apply."""
    tool = request.param
    if shutil.which(tool[0]) is None:
        pytest.skip(f"{tool[0]} is not installed: cannot apply the diff")
    monkeypatch.chdir(tmp_path)

    def apply(diff: str) -> None:
        applied = subprocess.run(tool, input=diff.encode(), cwd=tmp_path, capture_output=True)
        assert applied.returncode == 0, applied.stderr

    return apply


@pytest.mark.parametrize("name", sorted(NEWLINES))
def test_diff_of_cr_and_mixed_newlines_applies_as_fix_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], apply_diff: Callable[[str], None], name: str
) -> None:
    """patch and git apply split lines at \\n only: a lone CR stays inside its line."""
    data = NEWLINES[name]
    tree(tmp_path, {"x.py": data, "written/x.py": data})
    status, out, _ = run(capsys, "--diff", "x.py")
    assert status == 0 and (tmp_path / "x.py").read_bytes() == data
    apply_diff(out)
    assert run(capsys, "written/x.py")[0] == 0
    written = (tmp_path / "written" / "x.py").read_bytes()
    assert written.endswith(b"\r") and b"_background_tasks.add(_task)" in written
    assert (tmp_path / "x.py").read_bytes() == written


@pytest.mark.parametrize("name", ["a\nb.py", "sp ace.py", "tab\t.py"])
def test_diff_of_an_odd_file_name_applies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], apply_diff: Callable[[str], None], name: str
) -> None:
    """Names with a control character or a space are quoted in the headers, as git does."""
    tree(tmp_path, {name: STATEMENT})
    status, out, _ = run(capsys, "--diff", name)
    assert status == 0 and out.startswith('--- "')
    apply_diff(out)
    assert (tmp_path / name).read_text() == _fixed(STATEMENT, tmp_path)


def _fixed(source: str, tmp_path: Path) -> str:
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.py").write_text(source)
    fixer.fix_file(other / "x.py", fixer.Job(fixer.Settings(), Selection(), {}, "write"))
    return (other / "x.py").read_text()


def test_check_exits_1_when_something_would_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path, {"a.py": STATEMENT, "b.py": CLEAN})
    before = snapshot(root)
    status, out, err = run(capsys, "--check", str(root))
    assert status == 1 and snapshot(root) == before
    assert out == f"would fix {root / 'a.py'} (1 finding)\n"
    assert "1 would change, 1 finding fixable" in err
    assert run(capsys, "--check", str(root / "b.py"))[0] == 0


@pytest.mark.slow  # a subprocess, end to end
def test_parallel_runs_give_the_same_files_and_output_in_the_same_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {f"pkg/m{i:02}.py": [STATEMENT, CLEAN, BINDING, LEFT][i % 4] for i in range(16)}
    serial, parallel = tree(tmp_path / "serial", files), tree(tmp_path / "parallel", files)
    one = run(capsys, "-j", "1", str(serial))
    two = run(capsys, "-j", "2", str(parallel))
    assert one[0] == two[0] == 0
    assert one[1].replace(str(serial), "ROOT") == two[1].replace(str(parallel), "ROOT")
    assert one[2] == two[2]
    assert [v[0] for v in snapshot(serial).values()] == [v[0] for v in snapshot(parallel).values()]


@pytest.mark.slow  # a subprocess, end to end
def test_big_files_are_fixed_by_two_workers_as_by_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Files above ``BIG_FILE_CHARS`` go through the workers' shared turn (the lock that bounds
    memory) and come out as a single process fixes them. That the turns exclude each other is
    shown by the peak memory in benchmarks/results-litellm-fix.md, not here."""
    line = f"VALUE = '{'x' * 90}'\n"  # long lines: above the size in few lines, parsed fast
    padding = line * (BIG_FILE_CHARS // len(line))
    files = {f"pkg/big{i}.py": STATEMENT + padding for i in range(2)} | {"pkg/small.py": STATEMENT}
    assert all(len(text) > BIG_FILE_CHARS for name, text in files.items() if "big" in name)
    serial, parallel = tree(tmp_path / "serial", files), tree(tmp_path / "parallel", files)
    one = run(capsys, "-j", "1", str(serial))
    two = run(capsys, "-j", "2", str(parallel))
    assert one[0] == two[0] == 0
    assert one[1].replace(str(serial), "ROOT") == two[1].replace(str(parallel), "ROOT")
    fixed = snapshot(parallel)
    assert [v[0] for v in snapshot(serial).values()] == [v[0] for v in fixed.values()]
    assert all(fixed[name][0].decode() != text for name, text in files.items())


@pytest.mark.parametrize(
    ("arguments", "fixed_names"),
    [
        (["--select", "TRK102"], {"task"}),
        (["--ignore", "TRK102"], {"_task"}),
        (["--select", "TRK1", "--ignore", "TRK101"], {"task"}),
        ([], {"_task", "task"}),
    ],
)
def test_select_and_ignore_choose_the_codes_fixed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    fixed_names: set[str],
) -> None:
    path = tree(tmp_path, {"a.py": STATEMENT + "    task = asyncio.create_task(job())\n"}) / "a.py"
    assert run(capsys, *arguments, str(path))[0] == 0
    text = path.read_text()
    assert {name for name in ("_task", "task") if f".add({name})" in text} == fixed_names


def test_pyproject_settings_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.lint-rules]\n"
                'ignore = ["TRK102"]\n'
                'exclude = ["generated"]\n'
                'trk-task-factories = ["mypkg.spawn"]\n'
            ),
            "src/a.py": (
                "import mypkg\n\n\ndef go():\n    mypkg.spawn(job())\n    t = mypkg.spawn(job())\n"
            ),
            "src/generated/b.py": STATEMENT,
        },
    )
    status, _, err = run(capsys, str(root / "src"))
    assert status == 0, err
    text = (root / "src" / "a.py").read_text()
    assert "_task = mypkg.spawn(job())" in text and ".add(t)" not in text
    assert (root / "src" / "generated" / "b.py").read_text() == STATEMENT


def test_a_broken_pyproject_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path, {"pyproject.toml": "[tool.lint-rules]\nselect = 3\n", "a.py": STATEMENT})
    status, _, err = run(capsys, str(root / "a.py"))
    assert status == 2 and "select must be a list of strings" in err
    assert (root / "a.py").read_text() == STATEMENT


def test_bad_input_is_reported_in_one_line_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(
        tmp_path,
        {
            "a_undecodable.py": b"import asyncio\nasyncio.create_task(x)  # caf\xe9\n",
            "b_bad_cookie.py": b"# -*- coding: no-such-codec -*-\nasyncio.create_task(x)\n",
            "c_python2.py": "import asyncio\nprint 'x'\nasyncio.create_task(x)\n",
            "d_good.py": STATEMENT,
        },
    )
    before = snapshot(root)
    status, out, err = run(capsys, str(root), str(root / "missing.py"))
    assert status == 2
    messages = err.splitlines()
    error = "lint-rules: error:"
    assert (
        messages[0] == f"{error} {root / 'missing.py'}: no such file or directory; check the path"
    )
    assert messages[1].startswith(f"{error} {root / 'a_undecodable.py'}: 2:30: cannot decode it: ")
    assert messages[2].startswith(f"{error} {root / 'b_bad_cookie.py'}: 1:1: cannot decode it: ")
    assert messages[3].startswith(f"{error} {root / 'c_python2.py'}: 2:")
    assert messages[4].endswith(", 4 failed")
    assert len(messages) == 5
    after = snapshot(root)
    assert {name: after[name] for name in after if name != "d_good.py"} == {
        name: before[name] for name in before if name != "d_good.py"
    }
    assert out == f"fixed {root / 'd_good.py'} (1 finding)\n"


def test_a_file_changed_on_disk_during_the_fix_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tree(tmp_path, {"a.py": STATEMENT}) / "a.py"
    transform = fixer._transform

    def edit_meanwhile(*arguments: object) -> object:
        outcome = transform(*arguments)  # type: ignore[arg-type]
        path.write_text(STATEMENT + "# edited meanwhile\n")
        return outcome

    monkeypatch.setattr(fixer, "_transform", edit_meanwhile)
    status, _, err = run(capsys, str(path))
    assert status == 2
    assert f"{path}: changed on disk while being fixed: not overwritten" in err
    assert path.read_text() == STATEMENT + "# edited meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_a_read_only_file_is_reported_and_not_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tree(tmp_path, {"a.py": STATEMENT}) / "a.py"
    path.chmod(0o444)
    status, _, err = run(capsys, str(path))
    assert status == 2 and "read-only file: not changed" in err
    assert path.read_text() == STATEMENT and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_symlink_given_by_name_has_its_target_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tree(tmp_path, {"real/a.py": STATEMENT}) / "real" / "a.py"
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert run(capsys, str(link))[0] == 0
    assert link.is_symlink() and "_background_tasks" in target.read_text()


@pytest.mark.slow  # a subprocess, end to end
def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    path = tree(tmp_path, {"a.py": STATEMENT}) / "a.py"
    command = [sys.executable, "-m", "lint_rules", "fix", "--check", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout == f"would fix {path} (1 finding)\n"


# -- progress ------------------------------------------------------------------------------


class FakeTerminal:
    def __init__(self, is_terminal: bool) -> None:
        self.text = ""
        self.is_terminal = is_terminal

    def isatty(self) -> bool:
        return self.is_terminal

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError("not a real terminal")


@pytest.mark.parametrize(
    ("is_terminal", "files", "shown"), [(True, 12, True), (False, 12, False), (True, 3, False)]
)
def test_progress_shows_only_on_a_terminal_for_enough_files(
    is_terminal: bool, files: int, shown: bool
) -> None:
    stream = FakeTerminal(is_terminal)
    progress = Progress(files, stream, interval=0)  # type: ignore[arg-type]
    for number in range(files):
        progress.advance(f"m{number}.py")
    progress.clear()
    assert (f"[{files}/{files}] m{files - 1}.py" in stream.text) == shown
    assert stream.text.endswith("\r\x1b[K") or not shown


@pytest.mark.slow  # a subprocess, end to end
def test_progress_reaches_a_real_terminal(tmp_path: Path) -> None:
    pty = pytest.importorskip("pty", reason="pseudo-terminals exist on POSIX only")
    root = tree(tmp_path, {f"m{i:02}.py": CLEAN for i in range(12)})
    controller, terminal = pty.openpty()
    command = [sys.executable, "-m", "lint_rules", "fix", "--check", str(root)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal) as process:
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=120)
    os.close(controller)
    text = output.decode()
    assert "[12/12] " in text
    assert text.rstrip().endswith(
        "12 files scanned, 0 would change, 0 findings fixable, 0 left, 0 failed"
    )


def test_a_file_libcst_cannot_parse_is_reported_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python and the span analysis accept it, the full libcst parse does not (LibCST has
    such bugs: #530, #914, #1288)."""
    import libcst as cst
    import libcst.codemod._runner as runner

    def reject(code: str, config: object = None) -> cst.Module:
        raise cst.ParserSyntaxError("bad token", lines=[code], raw_line=1, raw_column=4)

    monkeypatch.setattr(runner, "parse_module", reject)
    root = tree(tmp_path, {"a.py": STATEMENT, "b.py": CLEAN})
    before = snapshot(root)
    status, out, err = run(capsys, str(root))
    assert status == 2 and out == "" and snapshot(root) == before
    assert (
        err.splitlines()[0]
        == f"lint-rules: error: {root / 'a.py'}: 1:5: libcst cannot parse it: bad token"
    )


def test_lines_silenced_by_noqa_are_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    silenced = "    asyncio.create_task(job())  # noqa: TRK101\n"
    path = tree(tmp_path, {"a.py": STATEMENT + silenced}) / "a.py"
    status, _, err = run(capsys, str(path))
    assert status == 0 and "1 finding fixed, 0 left" in err
    assert path.read_text().endswith(
        "_task.add_done_callback(_background_tasks.discard)\n" + silenced
    )
    exempt = tree(tmp_path, {"b.py": "# flake8: noqa\n" + STATEMENT}) / "b.py"
    assert run(capsys, "--check", str(exempt))[0] == 0


def test_force_exclude_skips_excluded_files_named_explicitly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path, {"pyproject.toml": '[tool.lint-rules]\nexclude = ["gen/"]\n'})
    path = tree(root, {"gen/a.py": STATEMENT}) / "gen" / "a.py"
    assert run(capsys, "--check", "--force-exclude", str(path))[0] == 0
    assert run(capsys, "--check", str(path))[0] == 1


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_fix_dash_writes_the_fixed_source_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _stdin(monkeypatch, STATEMENT.encode())
    status, out, err = run(capsys, "-", "--stdin-filename", "app.py")
    assert (status, err) == (0, "") and out == _fixed(STATEMENT, tmp_path)
    assert not (tmp_path / "app.py").exists()  # the name is only a name
    _stdin(monkeypatch, CLEAN.encode())
    assert run(capsys, "-") == (0, CLEAN, "")
    _stdin(monkeypatch, STATEMENT.encode())
    status, out, _ = run(capsys, "--diff", "-", "--stdin-filename", "app.py")
    assert status == 0 and out.startswith("--- app.py\n+++ app.py\n@@ ")
    _stdin(monkeypatch, STATEMENT.encode())
    assert run(capsys, "--check", "-") == (1, "", "")


def test_fix_dash_gives_back_the_source_unchanged_when_it_cannot_fix_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = "import asyncio\nasyncio.create_task(x(\n"
    _stdin(monkeypatch, broken.encode())
    status, out, err = run(capsys, "-", "--stdin-filename", "app.py")
    assert (status, out) == (2, broken)
    assert err.startswith("lint-rules: error: app.py: 2:") and "cannot parse it" in err
    status, _, err = run(capsys, "-", "other.py")
    assert status == 2 and "cannot be fixed with other paths" in err


def test_a_file_that_cannot_be_analysed_fails_fix_unless_trk000_is_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tree(tmp_path, {"broken.py": "import asyncio\nasyncio.create_task(x(\n"}) / "broken.py"
    status, _, err = run(capsys, "--select", "TRK101", str(path))
    assert status == 2 and "could not analyse this file" in err
    assert run(capsys, "--ignore", "TRK000", str(path))[0] == 0
