"""The data contract (``contract.yml``) and the checks of one table against it.

Reading is strict: a file must be UTF-8 (a byte-order mark and CRLF line endings are
accepted), well-formed CSV with a header row. Checks are vectorised and collect every
problem instead of stopping at the first.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ketrev.errors import DataError, Problem
from ketrev.files import read_data_file

__all__ = ["Column", "Table", "check_table", "contract", "parse_csv", "read_csv", "to_typed"]


@dataclass(frozen=True)
class Column:
    """One column of the contract; see ``contract.yml`` for the meaning of each key."""

    name: str
    description: str = ""
    required: bool = False
    values: tuple[str, ...] | None = None
    vocab: str | None = None
    pattern: str | None = None
    type: str = "text"
    min: float | None = None
    max: float | None = None
    unique: bool = False
    multiline: bool = False


@dataclass(frozen=True)
class Table:
    """One table of the contract: its file under the data folder and its columns."""

    name: str
    file: str
    description: str
    columns: dict[str, Column] = field(default_factory=dict)


@cache
def contract() -> dict[str, Table]:
    """Return the data contract, table name → :class:`Table`, in the contract's order."""
    text = resources.files("ketrev").joinpath("contract.yml").read_text(encoding="utf-8")
    tables = {}
    for name, spec in yaml.safe_load(text)["tables"].items():
        columns = {}
        for col, rules in spec["columns"].items():
            rules = dict(rules)
            if "values" in rules:
                rules["values"] = tuple(str(v) for v in rules["values"])
            if rules.get("max") == "this_year":
                rules["max"] = date.today().year
            columns[col] = Column(name=col, **rules)
        tables[name] = Table(name, spec["file"], spec["description"], columns)
    return tables


def read_csv(path: Path, shown: str, root: Path | None = None) -> pd.DataFrame:
    """Read a CSV file as text cells, indexed by the line number of each record.

    Parameters
    ----------
    path
        The file to read.
    shown
        How the file is named in messages (e.g. ``data/evidence/studies.csv``).
    root
        The data folder the file must be a regular file inside (default: its own folder);
        see :func:`ketrev.files.read_data_file`.

    Returns
    -------
    DataFrame
        One ``str`` column per header field; empty cells are ``""``. The index is the
        line on which each record starts (the header is line 1).

    Raises
    ------
    DataError
        The file is missing, not a regular file inside ``root``, not UTF-8, malformed, or
        a row has the wrong number of fields (every such row is reported).
    """
    return parse_csv(read_data_file(path, path.parent if root is None else root, shown), shown)


def parse_csv(raw: bytes, shown: str) -> pd.DataFrame:
    """Parse the bytes of a CSV file as :func:`read_csv` does (``shown`` names it in messages)."""
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise DataError([Problem(shown, line, "", msg)]) from None

    fast = _read_plain_csv(text)
    if fast is not None:
        return fast
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    start = 1
    try:
        for fields in reader:
            if header is None:
                header = fields
            elif fields and fields != [""]:
                if len(fields) != len(header):
                    problems.append(Problem(shown, start, "", f"expected {len(header)} fields, found {len(fields)}"))
                else:
                    rows.append(fields)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(shown, reader.line_num, "", f"malformed CSV ({exc})"))
    if header is None or not any(h.strip() for h in header):
        problems.append(Problem(shown, 1, "", "no header row"))
    else:
        seen: set[str] = set()
        blank = [i for i, name in enumerate(header, 1) if not name.strip()]
        if blank:
            where = ", ".join(map(str, blank))
            problems.append(Problem(shown, 1, "", f"empty column name in the header (field {where}); delete the empty "
                                                  "columns a spreadsheet export leaves at the end"))
        for name in header:
            if name in seen and name.strip():
                problems.append(Problem(shown, 1, name, "column appears twice in the header"))
            seen.add(name)
    if problems or header is None:
        raise DataError(problems)
    return pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype="str")


def _read_plain_csv(text: str) -> pd.DataFrame | None:
    """Parse with pandas' C reader when a record is exactly one line and no cell is quoted.

    Such files (the large findings table, typically) need no care about line numbers;
    anything else, or any irregularity, returns None so that the strict reader reports it.
    """
    if '"' in text or "\n\n" in text or "\n\r\n" in text or not text.strip():
        return None
    try:
        with warnings.catch_warnings():
            # index_col=False and warnings as errors: a row with too many fields is never an inferred index
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype="str", keep_default_na=False, na_filter=False, engine="c",
                                index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
        return None
    header = text.split("\n", 1)[0].removesuffix("\r").split(",")
    if list(frame.columns) != header or text.count(",") != (len(header) - 1) * (len(frame) + 1):
        return None  # a repeated column name or a row with the wrong number of fields
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame


def check_table(
    frame: pd.DataFrame,
    table: Table,
    shown: str,
    vocabs: dict[str, set[str]] | None = None,
) -> list[Problem]:
    """Check one table against its contract and return every problem found.

    Parameters
    ----------
    frame
        The table as read by :func:`read_csv`.
    table
        Its contract.
    shown
        How the file is named in messages.
    vocabs
        Allowed identifiers for ``vocab`` columns, keyed ``"table.column"``; a vocab
        column whose key is absent is not checked (its table failed to load).
    """
    vocabs = vocabs or {}
    problems = [Problem(shown, 1, c, f"unknown column; expected columns are {', '.join(table.columns)}")
                for c in frame.columns if c not in table.columns]
    for col in table.columns.values():
        if col.name not in frame.columns:
            if col.required:
                problems.append(Problem(shown, 1, col.name, "required column is missing"))
            continue
        problems += _check_column(frame[col.name], col, shown, vocabs.get(col.vocab or ""))
    return problems


#: C0 and C1 control characters (a multi-line cell may hold tabs and line breaks), and Unicode line separators.
_SINGLE_LINE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTILINE_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: A cell of whitespace only, among cells joined by NUL.
_BLANK_CELL = re.compile(r"(?:^|\x00)\s+(?=\x00|$)")


def _may_match(values: pd.Series, pattern: re.Pattern[str], sep: str) -> bool:
    """Whether ``pattern`` can match in some cell: one scan of the cells joined by ``sep``, so
    that a clean column of 100,000 cells costs milliseconds, not a Python call per cell."""
    try:
        return pattern.search(sep.join(values.to_numpy(dtype=object))) is not None
    except TypeError:  # a missing value: look cell by cell
        return True


def _check_column(values: pd.Series, col: Column, shown: str, vocab: set[str] | None) -> list[Problem]:
    def report(mask: pd.Series, message: Any) -> None:
        for line, value in values[mask].items():
            problems.append(Problem(shown, int(line), col.name, message(value) if callable(message) else message))

    problems: list[Problem] = []
    # a cell of spaces says nothing
    empty = values.str.strip() == "" if _may_match(values, _BLANK_CELL, "\x00") else values == ""
    bad_chars = _MULTILINE_BAD if col.multiline else _SINGLE_LINE_BAD
    if _may_match(values, bad_chars, ""):
        report(values.str.contains(bad_chars, regex=True), "contains a control character"
               + ("" if col.multiline else " or a line break; a cell is one line of text"))
    if col.required:
        report(empty, "empty; a value is required")
    else:
        report(empty & (values != ""), "only spaces; leave the cell empty or give a value")
    given = values[~empty]
    if col.values is not None:
        report(~empty & ~values.isin(col.values), lambda v: f"{v!r} is not one of: {', '.join(col.values)}")
    if vocab is not None:
        source = col.vocab.replace(".", " ")  # type: ignore[union-attr]
        report(~empty & ~values.isin(vocab), lambda v: f"{v!r} is not a known {source}")
    if col.pattern is not None:
        bad = ~given.str.fullmatch(col.pattern)
        report(values.index.isin(bad[bad].index), lambda v: f"{v!r} is not in the expected form: {col.description}")
    if col.type in ("integer", "number"):
        numbers = pd.to_numeric(given, errors="coerce")
        whole = numbers.notna() & np.isfinite(numbers) & (col.type == "number" or given.str.fullmatch(r"-?[0-9]+"))
        kind = "a whole number" if col.type == "integer" else "a number"
        report(values.index.isin(given.index[~whole]), lambda v: f"{v!r} is not {kind}")
        ok = numbers[whole]
        if col.min is not None:
            report(values.index.isin(ok.index[ok < col.min]), lambda v: f"{v} is below the minimum {col.min:g}")
        if col.max is not None:
            report(values.index.isin(ok.index[ok > col.max]), lambda v: f"{v} is above the maximum {col.max:g}")
    if col.unique:
        first_line = pd.Series(given.index, index=given.values).groupby(level=0).min()
        repeats = given.duplicated(keep="first")
        for line, value in given[repeats].items():
            problems.append(Problem(shown, int(line), col.name, f"{value!r} repeats line {first_line[value]}"))
    return problems


def to_typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Return a copy with every contract column present and numeric columns converted.

    Columns absent from the file are added empty; integer columns become nullable
    ``Int64``, number columns ``float64`` (empty → missing). Call after validation.
    """
    out = frame.copy()
    for col in table.columns.values():
        if col.name not in out.columns:
            out[col.name] = ""
        if col.type == "integer":
            out[col.name] = pd.to_numeric(out[col.name].replace("", None)).astype("Int64")
        elif col.type == "number":
            out[col.name] = pd.to_numeric(out[col.name].replace("", None)).astype("float64")
    return out[list(table.columns)]
