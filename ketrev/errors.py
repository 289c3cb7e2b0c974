"""The small family of errors a user can cause, each printed as one line per problem."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DataError", "KetrevError", "Problem", "UsageError"]


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
