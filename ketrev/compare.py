"""Compare two inclusion sets: which studies differ, and which conclusions change and why."""

from __future__ import annotations

import pandas as pd

from ketrev.analysis import units_of
from ketrev.evidence import Evidence
from ketrev.summary import outcome_summary

__all__ = ["compare_results", "compare_sets"]

_KEEP = ["label", "analysis", "n_studies", "n_increase", "n_decrease", "n_voted", "proportion_increase", "p",
         "state", "state_words"]


def compare_sets(a: Evidence, b: Evidence, /, *, summaries: tuple[pd.DataFrame, pd.DataFrame] | None = None
                 ) -> tuple[list[str], list[str], pd.DataFrame]:
    """Studies only in ``a``, only in ``b``, and every outcome whose result differs.

    Parameters
    ----------
    a, b
        Two selections of one evidence base.
    summaries
        Their :func:`ketrev.summary.outcome_summary`, when already computed.

    Returns
    -------
    tuple
        Sorted study ids only in ``a``; only in ``b``; and a DataFrame with ``outcome``,
        ``label``, ``analysis``, then for each set (suffixes ``_a``, ``_b``): ``n_studies``,
        ``n_increase``, ``n_decrease``, ``n_voted``, ``proportion_increase``, ``p``,
        ``state``, ``state_words``; then ``changed`` (``state`` when the state of evidence
        differs, else ``counts``; ``only in a`` / ``only in b``) and ``studies`` (the
        studies of one set only that measured the outcome, which make the difference).
        Outcomes whose state changes come first.
    """
    only_a = sorted(set(a.studies["study_id"]) - set(b.studies["study_id"]))
    only_b = sorted(set(b.studies["study_id"]) - set(a.studies["study_id"]))
    sa, sb = summaries or (outcome_summary(a), outcome_summary(b))
    out = compare_results(sa, sb)
    long = pd.concat([a.findings, b.findings])
    measured = long.groupby("molecule")["study_id"].agg(set)
    differing = set(only_a) | set(only_b)
    unit = units_of(a.molecules)
    out["studies"] = [", ".join(sorted(_studies_of(o, unit, measured) & differing)) for o in out["outcome"]]
    return only_a, only_b, out


def compare_results(a: pd.DataFrame, b: pd.DataFrame, /) -> pd.DataFrame:
    """Every outcome whose result differs between two :func:`~ketrev.summary.outcome_summary` tables
    (of two sets, or of two releases).

    Returns
    -------
    DataFrame
        ``outcome``, ``label``, ``analysis``, then for each table (suffixes ``_a``, ``_b``):
        ``n_studies``, ``n_increase``, ``n_decrease``, ``n_voted``, ``proportion_increase``,
        ``p``, ``state``, ``state_words``; then ``changed``: ``state`` when the state of
        evidence differs, else ``counts``; ``only in a`` / ``only in b``. Outcomes whose
        state changes come first.
    """
    left, right = (t.set_index("outcome").reindex(columns=_KEEP) for t in (a, b))
    both = left.merge(right.drop(columns=["label", "analysis"]), how="outer", left_index=True, right_index=True,
                      suffixes=("_a", "_b"))
    both["label"] = both["label"].fillna(right["label"])
    both["analysis"] = both["analysis"].fillna(right["analysis"])
    counts = ["n_studies", "n_increase", "n_decrease"]
    changed = []
    for _, row in both.iterrows():
        if pd.isna(row["n_studies_a"]) or pd.isna(row["n_studies_b"]):
            changed.append("only in a" if pd.isna(row["n_studies_b"]) else "only in b")
        elif row["state_words_a"] != row["state_words_b"]:
            changed.append("state")
        elif any(float(row[f"{c}_a"]) != float(row[f"{c}_b"]) for c in counts):
            changed.append("counts")
        else:
            changed.append("")
    both["changed"] = changed
    out = both[both["changed"] != ""].copy()
    out = out.assign(_first=out["changed"] != "state").sort_values(["_first", "n_studies_a"], ascending=[True, False])
    out.index.name = "outcome"
    columns = ["label", "analysis", *[f"{c}_{s}" for s in ("a", "b") for c in _KEEP[2:]], "changed"]
    return out[columns].reset_index()


def _studies_of(outcome: str, unit: pd.Series, measured: pd.Series) -> set[str]:
    """Every study that measured ``outcome`` (a molecule, or the molecules of a confirmatory unit)."""
    molecules = [outcome, *unit[unit == outcome].index]
    return set().union(*(measured.get(m, set()) for m in molecules))
