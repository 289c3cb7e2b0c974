"""The data folder as ketrev reads it: regular files inside the folder, and nothing else.

A data folder comes from people and may hold anything: a symbolic link that leaves it, a
FIFO that blocks a reader forever, a device such as ``/dev/zero`` that never ends, a
socket. Every file ketrev reads from a data folder goes through :func:`read_data_file`,
which refuses such an entry *before* opening it, with one line naming the file; and
:func:`data_files` lists what a build copies, refusing the same entries. Hidden entries
(names starting with ``.``) are never read. Nothing outside the folder is ever read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ketrev.errors import DataError, Problem

__all__ = ["MAX_FILE_BYTES", "data_files", "read_data_file", "refusal"]

#: The largest data file read (the whole evidence base is well under 1 MiB).
MAX_FILE_BYTES = 32 * 1024 * 1024

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def refusal(path: Path, root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str | None:
    """Why ``path`` may not be read as a data file of ``root`` (None when it may).

    Links are resolved first: a link whose target stays inside ``root`` is read as that
    target; one that leaves it is refused, as is anything but a regular file.
    """
    real = Path(os.path.realpath(path))
    if not _inside(real, Path(os.path.realpath(root))):
        return "a symbolic link to a file outside the data folder; copy the file into the folder instead"
    try:
        mode = os.lstat(real)
    except FileNotFoundError:
        return "file not found" if not os.path.islink(path) else "a broken symbolic link"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    for test, kind in _KINDS:
        if test(mode.st_mode):
            return f"is {kind}, not a regular file"
    if not stat.S_ISREG(mode.st_mode):
        return "not a regular file"
    if mode.st_size > max_bytes:
        return f"larger than {_size(max_bytes)}; a data file of ketrev is a small text file"
    return None


def read_data_file(path: Path, root: Path, shown: str, *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one data file of ``root``, or a :class:`DataError` naming ``shown``.

    The entry is checked (:func:`refusal`) before it is opened, and opened without
    following links and without blocking, so a FIFO or device swapped in meanwhile is
    refused too.
    """
    reason = refusal(path, root, max_bytes=max_bytes)
    if reason is not None:
        raise DataError([Problem(shown, None, "", reason)])
    try:
        fd = os.open(os.path.realpath(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise DataError([Problem(shown, None, "", f"cannot be read ({exc.strerror or exc})")]) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise DataError([Problem(shown, None, "", "not a regular file")])
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DataError([Problem(shown, None, "", f"larger than {_size(max_bytes)}")])
    return data


def data_files(root: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Every file of the data folder a build copies, by path relative to ``root``, and every entry refused.

    Hidden entries are skipped; a linked folder is refused if it leaves ``root`` and
    otherwise not walked twice (its files are listed where they really are).
    """
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    real_root = Path(os.path.realpath(root))
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            path = here / name
            if name.startswith(".") or not path.is_symlink():
                continue
            if not _inside(Path(os.path.realpath(path)), real_root):
                problems.append(Problem(str(path), None, "", "a symbolic link to a folder outside the data folder"))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = here / name
            reason = refusal(path, root)
            if reason is None:
                files[path.relative_to(root).as_posix()] = path
            else:
                problems.append(Problem(str(path), None, "", reason))
    return files, problems
