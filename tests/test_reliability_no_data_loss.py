"""No data loss in ``lint-rules fix``.

* Interrupted runs: a few hundred files, each with a fixable finding, fixed by ``lint-rules
  fix -j 1`` and ``-j 2`` and killed (SIGKILL to the whole process group, as a CI timeout or
  the OOM killer does; SIGINT as Ctrl-C does) after some files were fixed, three times at
  different points; after each kill every file is byte for byte either the original or the
  fully fixed version, never truncated or partial. The only other files a kill may leave
  are the temporary files of writes cut short, named ``.NAME.py.XXXXXXXX.lint-rules-fix``:
  never ``*.py``, so no later run reads them (asserted with ``lint-rules check``); Ctrl-C
  leaves none. A last run completes the job.
* Atomic replace: when writing the temporary file, syncing it or renaming it over the
  original fails (a full disk, an I/O error), the original is untouched, no temporary file is
  left, the error is one line and the next file is still fixed.
* Untouched files keep their bytes, mode, owner, inode and mtime (clean files, files with
  only unfixable findings, files that fail, and every file under ``--diff`` and ``--check``);
  changed files keep their mode and owner (given to another user first when the tests run
  as root). test_fix_modes.py checks the same for a smaller
  mix, and the read-only and changed-on-disk cases.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lint_rules.cli import atomic
from lint_rules.cli import fix_file as fixer
from lint_rules.cli.fix_file import WORKER_DIED
from lint_rules.cli.selection import Selection
from lint_rules.codemod import TrackTasks
from lint_rules.settings import Settings
from tests.cli_helpers import lint_rules

pytestmark = pytest.mark.slow  # runs killed by signals, over hundreds of files

FILES = 400
TEMPORARY = re.compile(r"\.m\d{3}\.py\.[^/]+\.lint-rules-fix")


def module(number: int) -> str:
    return (
        f'"""Module {number}."""\n\nimport asyncio\n\n\nasync def handler_{number}(request):\n'
        f"    asyncio.create_task(log(request, {number}))\n    return {number}\n"
    )


@pytest.fixture(scope="module")
def originals_and_fixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes]]:
    """name: (original bytes, fully fixed bytes), the fixed ones made by fixing a copy."""
    directory = tmp_path_factory.mktemp("expected")
    job = fixer.Job(Settings(), Selection(), {}, "write")
    versions = {}
    for number in range(FILES):
        path = directory / f"m{number:03}.py"
        path.write_text(module(number))
        original = path.read_bytes()
        assert fixer.fix_file(path, job).changed
        versions[path.name] = (original, path.read_bytes())
    return versions


def _default_sigint() -> None:
    # a test run started in the background (`.ci/run &`, nohup) ignores SIGINT, and children
    # inherit that: give the run Ctrl-C back, as in a terminal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_fix(directory: Path, jobs: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lint_rules", "fix", "-j", str(jobs), str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the workers get the signal too
        preexec_fn=_default_sigint,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each "fixed" line as it happens
    )


def interrupt_after(process: subprocess.Popen[str], fixed: int, signal_number: int) -> int:
    """Send the signal to the run's process group once it has reported ``fixed`` more files;
    the number of files it reported fixed."""
    assert process.stdout is not None
    reported = 0
    while reported < fixed and process.stdout.readline():
        reported += 1
    os.killpg(process.pid, signal_number)
    try:
        out, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the run did not stop within 2 minutes of signal {signal_number}")
    assert process.returncode == -signal_number, "the run ended before it was interrupted"
    return reported + len(out.splitlines())


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGINT], ids=["KILL", "INT"])
def test_an_interrupted_run_leaves_every_file_original_or_fixed(
    tmp_path: Path,
    originals_and_fixed: dict[str, tuple[bytes, bytes]],
    jobs: int,
    signal_number: int,
    reliability_report: list[str],
) -> None:
    for name, (original, _) in originals_and_fixed.items():
        (tmp_path / name).write_bytes(original)
    changed_before = 0
    for kill_after in (5, 40, 90):  # fixed files reported by each run before its kill
        process = start_fix(tmp_path, jobs)
        interrupt_after(process, kill_after, signal_number)
        changed = assert_each_file_original_or_fixed(tmp_path, originals_and_fixed)
        assert changed_before < changed < FILES
        changed_before = changed
        leftovers = [p.name for p in tmp_path.iterdir() if p.name not in originals_and_fixed]
        assert all(TEMPORARY.fullmatch(name) for name in leftovers), leftovers
        if signal_number == signal.SIGINT:
            assert leftovers == []  # Ctrl-C: the temporary file of the write cut short is removed
    check = lint_rules_check(tmp_path)  # leftovers are never taken for sources
    assert check.returncode == 1 and check.stdout.count(" TRK101 ") == FILES - changed_before
    process = start_fix(tmp_path, jobs)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert assert_each_file_original_or_fixed(tmp_path, originals_and_fixed) == FILES
    reliability_report.append(
        f"no data loss: -j {jobs}, {signal.Signals(signal_number).name} three times during a "
        f"run over {FILES} files: every file original or fully fixed"
    )


def assert_each_file_original_or_fixed(
    directory: Path, versions: dict[str, tuple[bytes, bytes]]
) -> int:
    """How many files are fixed; fails on any file that is neither version."""
    changed = 0
    for name, (original, fixed) in versions.items():
        now = (directory / name).read_bytes()
        assert now in (original, fixed), f"{name} is neither the original nor the fixed version"
        changed += now == fixed
    return changed


def lint_rules_check(directory: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lint_rules", "check", str(directory)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


# -- atomic replace under failure ------------------------------------------------------------

GOOD = "import asyncio\n\n\ndef go():\n    asyncio.create_task(job())\n"


class FailingStream:
    """A file object that writes half of what it is given, then fails (a disk filling up)."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream

    def __enter__(self) -> FailingStream:
        return self

    def __exit__(self, *exception: object) -> None:
        self.stream.close()

    def write(self, data: bytes) -> int:
        self.stream.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def fail_the_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: FailingStream(real(*a, **k)))


def fail_the_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(atomic.os, "fsync", fsync)


def fail_the_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(atomic.os, "replace", replace)


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (fail_the_write, "No space left on device"),
        (fail_the_sync, "Input/output error"),
        (fail_the_rename, "Invalid cross-device link"),
    ],
    ids=["write", "fsync", "rename"],
)
def test_a_failed_write_leaves_the_original_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, failure, reason: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "b.py").write_text(GOOD)
    before = (tmp_path / "a.py").stat()
    calls = {"count": 0}
    write = fixer.write_atomically

    def fail_for_a(path: Path, new: bytes, original: bytes) -> None:
        calls["count"] += 1
        if path.name != "a.py":
            return write(path, new, original)
        with monkeypatch.context() as patch:
            failure(patch)
            return write(path, new, original)

    monkeypatch.setattr(fixer, "write_atomically", fail_for_a)
    run = lint_rules(capsys, "fix", "a.py", "b.py")
    assert run.status == 2 and calls["count"] == 2
    assert run.err.splitlines()[0] == f"lint-rules: error: a.py: cannot write it: {reason}"
    assert (tmp_path / "a.py").read_text() == GOOD
    after = (tmp_path / "a.py").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert "_background_tasks" in (tmp_path / "b.py").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]


# -- what is not changed -----------------------------------------------------------------------

UNTOUCHED = {
    "clean.py": ("import asyncio\n\n\nasync def f():\n    await asyncio.sleep(0)\n", 0o600),
    "unfixable.py": (
        "import asyncio\n\n\ndef f(xs):\n    pending = set()\n"
        "    pending.add(asyncio.create_task(j(xs)))\n",
        0o755,
    ),
    "undecodable.py": (b"import asyncio\nasyncio.create_task(x)  # caf\xe9\n", 0o640),
    "python2.py": ("import asyncio\nprint 'x'\nasyncio.create_task(x)\n", 0o664),
    "silenced.py": (GOOD.replace("job())\n", "job())  # noqa: TRK101\n"), 0o644),
}
CHANGED = {"fixed.py": (GOOD, 0o640), "script.py": ("#!/usr/bin/env python3\n" + GOOD, 0o750)}


def metadata(path: Path) -> tuple[bytes, int, int, int, int, int]:
    info = path.lstat()
    return (path.read_bytes(), info.st_mode, info.st_uid, info.st_gid, info.st_ino,
            info.st_mtime_ns)  # fmt: skip


def test_untouched_files_keep_bytes_mode_owner_inode_and_mtime(tmp_path: Path, capsys) -> None:
    for name, (content, mode) in {**UNTOUCHED, **CHANGED}.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        path.chmod(mode)
    (tmp_path / "link.py").symlink_to("clean.py")
    if os.geteuid() == 0:  # root may give files away: the owner must survive the rewrite
        os.chown(tmp_path / "fixed.py", 4321, 4321)
    before = {path.name: metadata(path) for path in tmp_path.iterdir()}

    for mode in ("--diff", "--check"):
        lint_rules(capsys, "fix", mode, str(tmp_path))
        assert {path.name: metadata(path) for path in tmp_path.iterdir()} == before

    run = lint_rules(capsys, "fix", str(tmp_path))
    assert run.status == 2  # the two files that cannot be decoded or parsed
    after = {path.name: metadata(path) for path in tmp_path.iterdir()}
    assert {name: after[name] for name in [*UNTOUCHED, "link.py"]} == {
        name: before[name] for name in [*UNTOUCHED, "link.py"]
    }
    for name, (_, mode) in CHANGED.items():
        new, new_mode, uid, gid, *_ = after[name]
        assert new != before[name][0] and b"_background_tasks.add(_task)" in new
        assert stat.S_IMODE(new_mode) == mode and (uid, gid) == before[name][2:4]


# -- a worker process dies -----------------------------------------------------------------------

# lint-rules with a fault: the worker that takes m007.py is killed, as the OOM killer does
DYING_WORKER = """
import os, signal, sys
from lint_rules.cli import fix_file as fixer
from lint_rules.codemod import TrackTasks
from lint_rules.cli.fix_file import WORKER_DIED
from lint_rules.cli import main
fix_file = fixer._fix_file
def dying(path, job):
    if path.name == "m007.py":
        os.kill(os.getpid(), signal.SIGKILL)
    return fix_file(path, job)
fixer._fix_file = dying
sys.exit(main(sys.argv[1:]))
"""


def test_a_dying_worker_is_reported_and_the_run_ends_cleanly(
    tmp_path: Path, originals_and_fixed: dict[str, tuple[bytes, bytes]]
) -> None:
    if multiprocessing.get_start_method() != "fork":
        pytest.skip(
            "the fault is injected by patching the parent, which only forked workers inherit"
        )
    names = sorted(originals_and_fixed)[:40]
    for name in names:
        (tmp_path / name).write_bytes(originals_and_fixed[name][0])
    command = [sys.executable, "-c", DYING_WORKER, "fix", "-j", "2", str(tmp_path)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("lint-rules: error: ")]
    assert errors and all(line.endswith(WORKER_DIED) for line in errors)
    assert any(f"{tmp_path / 'm007.py'}: " in line for line in errors)
    summary = run.stderr.splitlines()[-1]
    assert summary.startswith("lint-rules fix: 40 files scanned, ") and summary.endswith(
        f", {len(errors)} failed"
    )
    versions = {name: originals_and_fixed[name] for name in names}
    # a file reported fixed is fixed; one whose result was lost may be either
    assert assert_each_file_original_or_fixed(tmp_path, versions) >= 40 - len(errors)


def test_ctrl_c_during_the_rewrite_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """libcst's runner turns a KeyboardInterrupt into a TransformExit result: the run must
    stop there, not take it for "nothing to change" and go on to the next file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "b.py").write_text(GOOD)
    rewrites = []

    def interrupted(command: TrackTasks, tree: object) -> object:
        rewrites.append(command.context.filename)
        raise KeyboardInterrupt  # Ctrl-C while libcst works on the file

    monkeypatch.setattr(TrackTasks, "transform_module_impl", interrupted)
    with pytest.raises(KeyboardInterrupt):
        lint_rules(capsys, "fix", "a.py", "b.py")
    assert rewrites == ["a.py"]
    assert (tmp_path / "a.py").read_text() == GOOD and (tmp_path / "b.py").read_text() == GOOD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]
