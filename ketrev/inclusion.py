"""Named inclusion sets (``data/inclusion/NAME.yml``) and the selection of studies by them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ketrev.errors import DataError, Problem, UsageError
from ketrev.evidence import Evidence
from ketrev.files import read_data_file
from ketrev.schema import contract
from ketrev.text import did_you_mean
from ketrev.years import within

__all__ = ["InclusionSet", "check_inclusion_sets", "list_inclusion_sets", "load_inclusion", "select"]

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
DEFAULT = "all"
#: Names a set cannot take: its book would land inside another's (``_build/html`` is the default book).
RESERVED = frozenset({"html"})
#: An inclusion set is a short hand-written file; anything larger is refused unread.
MAX_BYTES = 64 * 1024


#: An inclusion set is a few levels deep; anything deeper is refused before it is built.
MAX_DEPTH = 16


class _StrictLoader(yaml.SafeLoader):
    """YAML as a person writes it: no aliases (no "billion laughs"), keys that are text and
    appear once, and at most :data:`MAX_DEPTH` levels of nesting."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed", problem_mark=self.peek_event().start_mark)
        if self._depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(problem=f"nested deeper than {MAX_DEPTH} levels",
                                       problem_mark=self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(problem="a key must be a word, not a list or a mapping",
                                           problem_mark=key_node.start_mark)
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise yaml.MarkedYAMLError(problem=f"the key {key!r} is not text; quote it",
                                           problem_mark=key_node.start_mark)
            if key in seen:
                raise yaml.MarkedYAMLError(problem=f"the key {key!r} appears twice", problem_mark=key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


@dataclass(frozen=True)
class InclusionSet:
    """A named, documented selection of studies.

    ``where`` maps a studies column to its allowed values (a list) or, for integer
    columns, to a range ``{"min": a, "max": b}``; ``exclude`` maps study ids to reasons.
    """

    name: str
    title: str
    description: str = ""
    where: dict[str, Any] = field(default_factory=dict)
    exclude: dict[str, str] = field(default_factory=dict)


def list_inclusion_sets(data_dir: str | Path) -> list[str]:
    """Return the names of the inclusion sets defined in ``data_dir/inclusion``."""
    folder = Path(data_dir) / "inclusion"
    return sorted(p.stem for p in folder.glob("*.yml") if NAME_PATTERN.fullmatch(p.stem) and p.stem not in RESERVED)


def load_inclusion(data_dir: str | Path, name: str = DEFAULT) -> InclusionSet:
    """Read and check ``data_dir/inclusion/NAME.yml``.

    Raises
    ------
    UsageError
        ``name`` is not of the form ``[a-z0-9_-]+`` or names no file.
    DataError
        The file is not valid YAML or its keys break the inclusion format.
    """
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(f"{name!r} is not an inclusion set name: use lower-case letters, digits, '-' and '_', "
                         "starting with a letter or digit")
    if name in RESERVED:
        raise UsageError(f"{name!r} cannot name an inclusion set: the book's layout uses it; choose another name")
    path = Path(data_dir) / "inclusion" / f"{name}.yml"
    if not path.is_file():
        known = list_inclusion_sets(data_dir)
        raise UsageError(f"{path}: no inclusion set {name!r}{did_you_mean(name, known)} "
                         f"(known sets: {', '.join(known) or 'none'})")
    shown = str(path)
    raw = read_data_file(path, Path(data_dir), shown, max_bytes=MAX_BYTES)
    try:
        spec = yaml.load(raw.decode("utf-8-sig"), Loader=_StrictLoader)
    except UnicodeDecodeError:
        raise DataError([Problem(shown, None, "", "not UTF-8; save the file as UTF-8")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or "malformed"
        raise DataError([Problem(shown, line, "", f"not valid YAML ({reason})")]) from None
    if not isinstance(spec, dict):
        raise DataError([Problem(shown, None, "", "expected a mapping with keys title, description, where, exclude")])
    problems: list[Problem] = []
    unknown = set(spec) - {"title", "description", "where", "exclude"}
    problems += [Problem(shown, None, key, "unknown key; expected title, description, where, exclude") for key in sorted(unknown)]
    if not isinstance(spec.get("title"), str) or not spec["title"].strip():
        problems.append(Problem(shown, None, "title", "a title (text) is required"))
    if spec.get("description") is not None and not isinstance(spec["description"], str):
        problems.append(Problem(shown, None, "description", "expected text"))
    where = spec.get("where") or {}
    exclude_list = spec.get("exclude") or []
    if not isinstance(where, dict):
        problems.append(Problem(shown, None, "where", "expected a mapping of studies columns to allowed values"))
        where = {}
    problems += _check_where(where, shown)
    exclude: dict[str, str] = {}
    if not isinstance(exclude_list, list):
        problems.append(Problem(shown, None, "exclude", "expected a list of {study_id, reason}"))
        exclude_list = []
    for item in exclude_list:
        if not (isinstance(item, dict) and set(item) == {"study_id", "reason"} and isinstance(item["study_id"], str)
                and isinstance(item["reason"], str) and item["reason"].strip()):
            problems.append(Problem(shown, None, "exclude", f"{item!r}: each entry needs a study_id and a reason"))
        else:
            exclude[item["study_id"]] = item["reason"]
    if problems:
        raise DataError(problems)
    return InclusionSet(name, spec["title"].strip(), str(spec.get("description") or "").strip(), where, exclude)


def check_inclusion_sets(evidence: Evidence, /) -> list[Problem]:
    """Load every file of ``inclusion/`` and select with it; return every problem found.

    What ``ketrev validate`` runs, so that a typo in one set surfaces at once, not when
    that set is built.
    """
    folder = evidence.data_dir / "inclusion"
    problems = []
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        if path.suffix != ".yml" or not NAME_PATTERN.fullmatch(path.stem) or path.stem in RESERVED:
            problems.append(Problem(str(path), None, "", "not an inclusion set name: name a set "
                                                          "NAME.yml with lower-case letters, digits, '-' and '_'"))
            continue
        try:
            select(evidence, load_inclusion(evidence.data_dir, path.stem))
        except DataError as exc:
            problems += exc.problems
    if not (folder / f"{DEFAULT}.yml").is_file():
        problems.append(Problem(str(folder), None, "", f"the default inclusion set {DEFAULT}.yml is missing"))
    return problems


def _check_where(where: dict[str, Any], shown: str) -> list[Problem]:
    columns = contract()["studies"].columns
    problems = []
    for key, allowed in where.items():
        col = columns.get(key)
        if col is None:
            problems.append(Problem(shown, None, f"where.{key}", f"not a studies column{did_you_mean(str(key), columns)}; "
                                                                 f"expected one of {', '.join(columns)}"))
        elif col.type == "integer":
            if not (isinstance(allowed, dict) and set(allowed) <= {"min", "max"} and allowed
                    and all(isinstance(v, int) and not isinstance(v, bool) for v in allowed.values())):
                problems.append(Problem(shown, None, f"where.{key}", "expected a range of whole numbers such as "
                                                                     "{min: 2010, max: 2015}"))
        elif not (isinstance(allowed, list) and allowed):
            problems.append(Problem(shown, None, f"where.{key}", "expected a non-empty list of values"))
        elif not all(isinstance(v, str) for v in allowed):
            wrong = next(v for v in allowed if not isinstance(v, str))
            problems.append(Problem(shown, None, f"where.{key}", f"{wrong!r} is not text; quote values such as "
                                                                 "'yes' and 'no', which YAML reads as true/false"))
        elif col.values is not None:
            for value in allowed:
                if value not in col.values:
                    problems.append(Problem(shown, None, f"where.{key}", f"{value!r} is not one of: {', '.join(col.values)}"
                                                                         f"{did_you_mean(value, col.values)}"))
    return problems


def select(evidence: Evidence, inclusion: InclusionSet, /) -> Evidence:
    """Return the evidence restricted to the studies an inclusion set selects.

    Raises
    ------
    DataError
        A value or excluded study id is unknown to this evidence base, or the selection
        leaves no study.

    Examples
    --------
    >>> from ketrev import load_evidence
    >>> ev = load_evidence("tests/example_data")
    >>> select(ev, load_inclusion("tests/example_data", "all")).studies.equals(ev.studies)
    True
    """
    studies = evidence.studies
    shown = str(evidence.data_dir / "inclusion" / f"{inclusion.name}.yml")
    problems = []
    keep = pd.Series(True, index=studies.index)
    for key, allowed in inclusion.where.items():
        column = studies[key]
        if isinstance(allowed, dict):  # a range; a derived year never decides the edge of a year range
            low, high = allowed.get("min"), allowed.get("max")
            keep &= (within(studies, low, high) if key == "year" else
                     column.between(column.min() if low is None else low, column.max() if high is None else high).fillna(False))
            continue
        spec = contract()["studies"].columns[key]
        if spec.vocab is not None:
            table, vocab_column = spec.vocab.split(".")
            for value in sorted(set(allowed) - set(getattr(evidence, table)[vocab_column])):
                problems.append(Problem(shown, None, f"where.{key}", f"{value!r} is not a known {table} {vocab_column}"))
        elif spec.values is None:
            for value in sorted(set(allowed) - set(column)):
                problems.append(Problem(shown, None, f"where.{key}", f"{value!r} does not occur in the studies table"))
        keep &= column.isin(allowed)
    for sid in sorted(set(inclusion.exclude) - set(studies["study_id"])):
        problems.append(Problem(shown, None, "exclude", f"unknown study_id {sid!r}"))
    keep &= ~studies["study_id"].isin(list(inclusion.exclude))
    if not problems and not keep.any():
        problems.append(Problem(shown, None, "where", "the selection leaves no study"))
    if problems:
        raise DataError(problems)
    return evidence.with_studies(studies.loc[keep, "study_id"], inclusion.name)
