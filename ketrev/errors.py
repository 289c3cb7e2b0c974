"""The small family of errors a user can cause, each printed as one line per problem."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

__all__ = ["BuildError", "DataError", "KetrevError", "Problem", "UsageError", "os_reason"]


@dataclass(frozen=True, order=True)
class Problem:
    """One breach of the data contract, located as precisely as it can be.

    ``row`` is the line number in the file (the header is line 1); ``column`` the
    column name. Either may be empty for file-level problems.
    """

    file: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(str(self.row))
        if self.column:
            where.append(self.column)
        return f"{':'.join(where)}: {self.message}"


class KetrevError(Exception):
    """Base class of the errors ketrev reports to its user without a traceback."""

    exit_code = 1


class UsageError(KetrevError):
    """The command was asked for something that does not exist or cannot be done."""

    exit_code = 2


class BuildError(KetrevError):
    """A notebook or the book build failed; the previous build is left as it was."""


class DataError(KetrevError):
    """The input files break the data contract; ``problems`` lists every breach."""

    exit_code = 1

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.row or 0, p.column, p.message))
        n = len(self.problems)
        self.summary = f"{n} problem{'s' if n != 1 else ''} found"
        super().__init__(self.summary)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def os_reason(exc: OSError) -> str:
    """``path: reason`` of an operating-system error, its cause kept (``No space left on device``),
    also for the error list :func:`shutil.copytree` raises.

    Examples
    --------
    >>> os_reason(OSError(28, "No space left on device", "site/dev"))
    'site/dev: No space left on device'
    >>> os_reason(shutil.Error([("a", "b/a", "[Errno 28] No space left on device")]))
    'b/a: [Errno 28] No space left on device'
    """
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        _, target, why = exc.args[0][0]
        return f"{target}: {why}"
    why = exc.strerror or (os.strerror(exc.errno) if exc.errno else "") or str(exc) or type(exc).__name__
    return f"{exc.filename}: {why}" if exc.filename else why
