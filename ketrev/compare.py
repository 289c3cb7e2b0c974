"""Compare two inclusion sets: which studies differ, and which conclusions change."""

from __future__ import annotations

import pandas as pd

from ketrev.evidence import Evidence
from ketrev.synthesis import vote_count
from ketrev.tabulate import study_directions

__all__ = ["compare_sets"]

_KEEP = ["n_studies", "n_increase", "n_decrease", "proportion_increase", "significant"]


def _majority(p: pd.Series) -> pd.Series:
    return pd.Series(pd.NA, index=p.index, dtype="object").mask(p > 0.5, "increase").mask(p < 0.5, "decrease").mask(
        p == 0.5, "tie").fillna("none")


def compare_sets(a: Evidence, b: Evidence, /, *, by: str = "molecule") -> tuple[list[str], list[str], pd.DataFrame]:
    """Studies only in ``a``, only in ``b``, and every unit whose result differs.

    Returns
    -------
    tuple
        Sorted study ids only in ``a``; only in ``b``; and a DataFrame with ``by``, then
        for each of ``a`` and ``b`` (suffixes ``_a``, ``_b``): ``n_studies``,
        ``n_increase``, ``n_decrease``, ``proportion_increase``, ``significant``,
        ``majority``; then ``changed`` (which of counts, majority, significance differ, or
        ``only in a`` / ``only in b``).
        A unit measured in only one set has empty values for the other.
    """
    only_a = sorted(set(a.studies["study_id"]) - set(b.studies["study_id"]))
    only_b = sorted(set(b.studies["study_id"]) - set(a.studies["study_id"]))
    votes = {}
    for name, ev in (("a", a), ("b", b)):
        v = vote_count(study_directions(ev.findings_long(), by=by), by=by).set_index(by)[_KEEP]
        v["majority"] = _majority(v["proportion_increase"])
        votes[name] = v
    both = votes["a"].join(votes["b"], how="outer", suffixes=("_a", "_b"))
    changes = []
    for _, row in both.iterrows():
        if pd.isna(row["n_studies_a"]) or pd.isna(row["n_studies_b"]):
            changes.append("only in a" if pd.isna(row["n_studies_b"]) else "only in b")
            continue
        what = []
        if (row[["n_studies_a", "n_increase_a", "n_decrease_a"]].fillna(-1).to_numpy()
                != row[["n_studies_b", "n_increase_b", "n_decrease_b"]].fillna(-1).to_numpy()).any():
            what.append("counts")
        if row["majority_a"] != row["majority_b"]:
            what.append("majority")
        if row["significant_a"] != row["significant_b"]:
            what.append("significance")
        changes.append(", ".join(what))
    both["changed"] = changes
    columns = [f"{c}_{s}" for s in ("a", "b") for c in (*_KEEP, "majority")]
    out = both[both["changed"] != ""][[*columns, "changed"]].reset_index()
    return only_a, only_b, out
