"""Writing a fixed file back without ever leaving a truncated or half-written one."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class FileError(Exception):
    """A file that cannot be fixed; the message says why (one line)."""


def write_atomically(path: Path, new: bytes, original: bytes) -> None:
    """Replace the file's content by ``new`` through a temporary file in the same directory
    and a rename: readers see the old file or the new one, never a truncated one. Owner
    (where allowed), then mode (setuid and setgid bits included: ``chown`` clears them) and
    extended attributes (ACLs among them, where the file system has them) are kept; a
    symlink keeps pointing at its fixed target. Refuses a file with several hard links (a
    rename would leave the other names with the old content) and one that no longer holds
    ``original``."""
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except OSError as error:
        raise FileError(f"cannot write it: {error.strerror}") from error
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise FileError("read-only file: not changed (make it writable to fix it)")
    if info.st_nlink > 1:
        raise FileError(
            f"has {info.st_nlink} hard links: not changed, since replacing it would leave the "
            "other names with the old content (fix a copy, or break the links first)"
        )
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".lint-rules-fix", dir=target.parent
        )
    except OSError as error:
        raise FileError(f"cannot write next to it: {error.strerror}") from error
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(new)
            stream.flush()
            os.fsync(stream.fileno())
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):  # only root may give files away
                os.chown(temporary, info.st_uid, info.st_gid)
        os.chmod(temporary, stat.S_IMODE(info.st_mode))  # after chown, which clears setuid
        _copy_extended_attributes(target, temporary)
        if target.read_bytes() != original:
            raise FileError("changed on disk while being fixed: not overwritten, run again")
        os.replace(temporary, target)
    except OSError as error:
        raise FileError(f"cannot write it: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _copy_extended_attributes(source: Path, destination: str) -> None:
    """Every extended attribute the process may read and set (``user.*``; ACLs and the
    like as root); none where the platform or the file system has no such thing."""
    if not hasattr(os, "listxattr"):  # not Linux
        return
    try:
        names = os.listxattr(source)
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            os.setxattr(destination, name, os.getxattr(source, name))
