"""Files that are not plain files, and the metadata a fix must keep: FIFOs and devices named
explicitly, files over the size limit, hard links, setuid/setgid bits on another user's
file, extended attributes, and symlinks out of a walked tree. Each case sits next to a good
file, which must still be checked or fixed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.cli_helpers import lint_rules

TASK = "import asyncio\n\n\nasync def go():\n    asyncio.create_task(go())\n"


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.py"
    path.write_text(TASK)
    return path


def _fixed(path: Path) -> bool:
    return "_background_tasks" in path.read_text()


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_fifo_named_explicitly_is_an_error_not_a_hang(
    command: str, tmp_path: Path, good: Path, capsys
) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)  # nothing ever writes to it: reading it would block forever
    run = lint_rules(capsys, command, "--isolated", str(fifo), str(good))
    assert run.status == 2
    assert f"{fifo}: cannot read it" in run.err and "not a regular file" in run.err
    assert (command == "check") == ("good.py:5:5: TRK101" in run.out)
    assert (command == "fix") == _fixed(good)


def test_a_device_behind_a_symlink_is_never_read(tmp_path: Path, good: Path, capsys) -> None:
    link = tmp_path / "zero.py"
    link.symlink_to("/dev/zero")  # endless: reading it would exhaust memory
    run = lint_rules(capsys, "check", "--isolated", str(link), str(good))
    assert run.status == 2 and "zero.py: cannot read it" in run.err
    assert "good.py:5:5: TRK101" in run.out


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_file_over_the_size_limit_is_reported_not_read(
    command: str, tmp_path: Path, good: Path, capsys
) -> None:
    big = tmp_path / "big.py"
    big.write_text(TASK + "# padding\n" * 120_000)  # 1.2 MB
    before = big.read_bytes()
    run = lint_rules(capsys, command, "--isolated", "--max-file-size", "1", str(big), str(good))
    assert run.status == 2
    assert "big.py: cannot read it" in run.err and "raise --max-file-size" in run.err
    assert big.read_bytes() == before
    assert (command == "fix") == _fixed(good)


def test_max_file_size_must_be_positive(good: Path, capsys) -> None:
    run = lint_rules(capsys, "check", "--max-file-size", "0", str(good))
    assert run.status == 2 and "not a positive whole number of MiB" in run.err


def test_a_file_with_several_hard_links_is_left_unchanged(
    tmp_path: Path, good: Path, capsys
) -> None:
    linked = tmp_path / "linked.py"
    linked.write_text(TASK)
    other_name = tmp_path / "other_name.py"
    os.link(linked, other_name)
    run = lint_rules(capsys, "fix", "--isolated", str(linked), str(good))
    assert run.status == 2 and "has 2 hard links: not changed" in run.err
    assert linked.read_text() == other_name.read_text() == TASK
    assert _fixed(good)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
@pytest.mark.parametrize("mode", [0o4755, 0o2775])
def test_setuid_and_setgid_bits_survive_on_another_users_file(
    mode: int, good: Path, capsys
) -> None:
    os.chown(good, 65534, 65534)  # nobody: chown clears setuid/setgid, so it must go first
    os.chmod(good, mode)
    assert lint_rules(capsys, "fix", "--isolated", str(good)).status == 0
    info = good.stat()
    assert _fixed(good)
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (mode, 65534, 65534)


def test_extended_attributes_survive(good: Path, capsys) -> None:
    try:
        os.setxattr(good, "user.reviewed", b"yes")
    except OSError as error:  # tmpfs before Linux 6.6, some overlay setups
        pytest.skip(f"this file system has no user extended attributes: {error.strerror}")
    assert lint_rules(capsys, "fix", "--isolated", str(good)).status == 0
    assert _fixed(good)
    assert os.getxattr(good, "user.reviewed") == b"yes"


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_symlink_out_of_the_walked_tree_is_skipped(command: str, tmp_path: Path, capsys) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    (outside / "target.py").write_text(TASK)
    (tree / "link.py").symlink_to(outside / "target.py")
    (tree / "own.py").write_text(TASK)
    (tree / "inner.py").symlink_to(tree / "own.py")  # inside the tree: the same file once
    run = lint_rules(capsys, command, "--isolated", str(tree))
    assert run.status == (1 if command == "check" else 0)
    assert "link.py" not in run.out + run.err
    assert (outside / "target.py").read_text() == TASK
    assert (command == "fix") == _fixed(tree / "own.py")
    # named explicitly, a link is followed: the user asked for that file
    run = lint_rules(capsys, command, "--isolated", str(tree / "link.py"))
    assert run.status == (1 if command == "check" else 0)
    assert (command == "check") == ("link.py:5:5: TRK101" in run.out)
    assert (command == "fix") == _fixed(outside / "target.py")
