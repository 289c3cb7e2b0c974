"""Counts of studies and findings: characteristics, molecules, and one direction per study."""

from __future__ import annotations

import re
from typing import Literal

import pandas as pd

from ketrev.text import fold

__all__ = [
    "MIN_STUDIES",
    "RULES",
    "characteristics",
    "direction_counts",
    "measured_in_at_least",
    "molecule_counts",
    "natural_key",
    "study_directions",
]

Rule = Literal["majority", "unanimous"]

#: Fewer studies with a direction than this, and a result is "too few studies" (synthesis, robustness).
MIN_STUDIES = 3

#: How several findings of one study on one molecule become one direction.
RULES: dict[str, str] = {
    "majority": "Each study counts once per molecule: the direction most of its findings show "
                "(over regions, measures and time points); a tie between directions counts as mixed.",
    "unanimous": "Each study counts once per molecule: the direction all of its findings show; "
                 "any disagreement counts as mixed.",
}
DIRECTIONS = ["increase", "decrease", "no_change", "mixed"]
_DIGITS = re.compile(r"(\d+)")


def natural_key(values: pd.Series) -> pd.Series:
    """Sort key: text ignoring case and accents, runs of digits compared as numbers (mir_29b before
    mir_206); numbers as they are.

    Examples
    --------
    >>> pd.Series(["mir_206", "MiR_29b", "akt"]).sort_values(key=natural_key).tolist()
    ['akt', 'MiR_29b', 'mir_206']
    """
    if values.dtype != object and not pd.api.types.is_string_dtype(values):
        return values
    def key(text: str) -> tuple:
        plain = fold(text)
        return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(plain) if p)

    return values.astype(str).map(key)


def characteristics(studies: pd.DataFrame, /, *, by: str | list[str]) -> pd.DataFrame:
    """Count studies by one or more study characteristics.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``n_studies`` and ``percent`` (of all studies given),
        sorted by ``n_studies`` descending then by the ``by`` columns.

    Examples
    --------
    >>> studies = pd.DataFrame({"study_id": ["a", "b", "c"], "species": ["rat", "rat", "mouse"]})
    >>> characteristics(studies, by="species")
      species  n_studies  percent
    0     rat          2    66.67
    1   mouse          1    33.33
    """
    keys = [by] if isinstance(by, str) else list(by)
    out = studies.groupby(keys, dropna=False).size().rename("n_studies").reset_index()
    out["percent"] = (100 * out["n_studies"] / len(studies)).round(2)
    return out.sort_values(["n_studies", *keys], ascending=[False, *[True] * len(keys)], ignore_index=True,
                           key=natural_key)


def molecule_counts(long: pd.DataFrame, /, *, by: Literal["molecule", "family"] = "molecule") -> pd.DataFrame:
    """Count findings and studies per molecule or per molecule family.

    Parameters
    ----------
    long
        Findings joined to studies and vocabulary (:meth:`Evidence.findings_long`).
    by
        ``"molecule"`` (with its label and family) or ``"family"``.

    Returns
    -------
    DataFrame
        ``molecule``, ``label``, ``family`` (or ``family`` alone), then ``n_studies``,
        ``n_findings``, sorted by ``n_studies`` descending.
    """
    keys = ["molecule", "label", "family"] if by == "molecule" else ["family"]
    out = (long.groupby(keys).agg(n_studies=("study_id", "nunique"), n_findings=("study_id", "size"))
           .reset_index())
    return out.sort_values(["n_studies", "n_findings", keys[0]], ascending=[False, False, True], ignore_index=True,
                           key=natural_key)


def study_directions(
    long: pd.DataFrame,
    /,
    *,
    by: str = "molecule",
    strata: list[str] | None = None,
    rule: Rule = "majority",
) -> pd.DataFrame:
    """Reduce findings to one direction per study and molecule (or family).

    Parameters
    ----------
    long
        Findings with at least ``study_id``, ``direction`` and the ``by`` and ``strata`` columns.
    by
        Unit of synthesis: ``"molecule"``, ``"label"`` (the molecule's display name) or ``"family"``.
    strata
        Further study columns kept in the key (e.g. ``["evidence_type"]``).
    rule
        ``"majority"`` or ``"unanimous"``; see :data:`RULES`.

    Returns
    -------
    DataFrame
        ``study_id``, the ``by`` column, the strata, then ``n_increase``, ``n_decrease``,
        ``n_no_change`` (findings) and ``direction`` (one of increase, decrease,
        no_change, mixed).

    Notes
    -----
    The study, not the finding, is the unit of counting (Cochrane Handbook, ch. 12.2.2).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    keys = ["study_id", by, *(strata or [])]
    counts = _count_by(long, keys, DIRECTIONS[:3])
    counts.columns = [f"n_{d}" for d in DIRECTIONS[:3]]
    top = counts.max(axis=1)
    winners = counts.eq(top, axis=0)
    if rule == "unanimous":
        winners &= counts.eq(counts.sum(axis=1), axis=0)
    single = winners.sum(axis=1) == 1
    direction = (winners.idxmax(axis=1).str.removeprefix("n_").where(single, "mixed") if len(counts)
                 else pd.Series([], index=counts.index, dtype="str"))
    out = counts.assign(direction=direction).reset_index()
    out.columns.name = None
    return out


def direction_counts(directions: pd.DataFrame, /, *, by: str | list[str] = "molecule") -> pd.DataFrame:
    """Count studies per direction of effect.

    Parameters
    ----------
    directions
        One row per study and unit, as returned by :func:`study_directions`.
    by
        Grouping column(s), e.g. ``"molecule"`` or ``["molecule", "evidence_type"]``.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``n_studies``, ``n_increase``, ``n_decrease``,
        ``n_no_change``, ``n_mixed`` (studies), sorted by ``n_studies`` descending.
    """
    keys = [by] if isinstance(by, str) else list(by)
    table = _count_by(directions, keys, DIRECTIONS)
    table.columns = [f"n_{d}" for d in DIRECTIONS]
    table.insert(0, "n_studies", table.sum(axis=1))
    out = table.reset_index()
    out.columns.name = None
    return out.sort_values(["n_studies", *keys], ascending=[False, *[True] * len(keys)], ignore_index=True,
                           key=natural_key)


def _count_by(frame: pd.DataFrame, keys: list[str], directions: list[str]) -> pd.DataFrame:
    """Rows per key combination and direction, one column per direction (a fast crosstab)."""
    if frame.empty:  # no findings in this selection: an empty table with the usual shape
        index = pd.MultiIndex.from_tuples([], names=keys) if len(keys) > 1 else pd.Index([], name=keys[0])
        return pd.DataFrame(0, index=index, columns=directions)
    counts = frame.groupby([*keys, "direction"], observed=True).size().unstack("direction", fill_value=0)
    return counts.reindex(columns=directions, fill_value=0)


def measured_in_at_least(directions: pd.DataFrame, /, n: int, *, by: str = "molecule") -> pd.DataFrame:
    """Keep the rows of units (molecules, labels, families) that at least ``n`` studies measured.

    Examples
    --------
    >>> d = pd.DataFrame({"study_id": ["a", "b", "a"], "molecule": ["bdnf", "bdnf", "erk"],
    ...                   "direction": ["increase"] * 3})
    >>> measured_in_at_least(d, 2)["molecule"].unique().tolist()
    ['bdnf']
    """
    studies = directions.groupby(by)["study_id"].transform("nunique")
    return directions[studies >= n]
