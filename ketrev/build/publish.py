"""Publishing that never leaves a half-written tree: locks, atomic swaps, recovery, keyed trees.

A tree (a notebook's results, the built HTML, a release) is written beside its target
under a hidden name, then swapped in by one rename exchange (or, where the file system
cannot exchange, two renames that the next run recovers from). The key of what a tree
was built from is written *inside* it, so a tree and its key are always published
together. Hidden names start with a dot: they never collide with a release folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ketrev.errors import KetrevError

__all__ = ["KEY_FILE", "BuildLock", "checkpoint", "new_path", "preparing", "read_key", "read_record", "recover",
           "swap_in", "write_atomic", "write_key"]

#: The file inside a published tree naming what it was built from.
KEY_FILE = ".ketrev-build.json"


def checkpoint(point: str) -> None:
    """A named point of a build; fault-injection tests replace this function to fail there."""


def _sibling(target: Path, tag: str) -> Path:
    return target.with_name(f".{target.name}.{tag}")


def new_path(target: Path) -> Path:
    """Where a tree for ``target`` is prepared before it is swapped in."""
    return _sibling(target, "new")


def _old_path(target: Path) -> Path:
    return _sibling(target, "old")


_libc = ctypes.CDLL(None, use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where unsupported."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_in(new: Path, target: Path) -> None:
    """Make ``new`` the tree at ``target`` and remove the tree it replaces.

    Readers see the old tree or the new one, never a mixture: one rename exchange, or
    (without it) a rename of the old tree aside then of the new one into place — a crash
    between the two is undone by :func:`recover`.
    """
    if not target.exists():
        new.rename(target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)  # now holds the replaced tree
        return
    old = _old_path(target)
    if old.exists():
        shutil.rmtree(old)
    target.rename(old)
    checkpoint("old tree set aside")
    new.rename(target)
    shutil.rmtree(old)


def recover(target: Path) -> None:
    """Undo what an interrupted publish of ``target`` left: restore a tree set aside, drop the rest."""
    old, new = _old_path(target), new_path(target)
    if old.exists():
        if target.exists():
            shutil.rmtree(old)
        else:
            old.rename(target)
    if new.exists():
        shutil.rmtree(new)


def write_key(tree: Path, key: str, **info: Any) -> None:
    """Record inside ``tree`` the key of what it was built from (plus descriptive fields)."""
    write_atomic(tree / KEY_FILE, json.dumps({"key": key, **info}, indent=1, sort_keys=True) + "\n")


def read_record(tree: Path) -> dict[str, Any]:
    """What :func:`write_key` recorded inside ``tree``; empty when absent or unreadable (a cache miss,
    never an error)."""
    try:
        record = json.loads((tree / KEY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def read_key(tree: Path) -> str | None:
    """The key recorded inside ``tree``; None when absent or unreadable."""
    key = read_record(tree).get("key")
    return None if key is None else str(key)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write a file so that readers see the old content or the new, never a part (text as UTF-8)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(content.encode() if isinstance(content, str) else content)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class BuildLock:
    """An exclusive lock on a folder for the length of a ``with`` block.

    A second holder waits, saying so once; the lock dies with its process (``flock``), so a
    killed build never leaves it held.
    """

    def __init__(self, folder: Path, report: Callable[[str], None] = print, *, wait: bool = True, name: str = ".lock"):
        self.path = folder / name
        self.report = report
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            if not self.wait:
                os.close(fd)
                raise KetrevError(f"{self.path.parent}: another build (pid {holder}) is running; "
                                  "try again when it ends") from None
            self.report(f"  waiting   for another build of {self.path.parent.name} (pid {holder}) to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@contextlib.contextmanager
def preparing(target: Path) -> Iterator[Path]:
    """A fresh hidden folder beside ``target`` to build a tree in; removed unless swapped in."""
    path = new_path(target)
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    finally:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
