"""The answer to the review's question: every outcome's result, robustness and state of evidence.

:func:`outcome_summary` is the one table every page, figure and download takes its words
from: per outcome (a confirmatory unit of :mod:`ketrev.analysis`, or an exploratory
molecule or cellular outcome) the vote count pooled and split into animals and cells and
patients, the sign test (Holm-adjusted across the family for a confirmatory unit), the
multiverse and leave-one-out shares, the state of evidence and the certainty in words, the
markers-of-response evidence, and the review's own conclusion beside it.
:func:`summary_of_findings` is its Cochrane-style selection for the home page.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ketrev.analysis import (
    CERTAINTY,
    FAMILY_SIZE,
    MIN_STUDIES,
    REVIEW_CONCLUSION,
    UNITS,
    certainty,
    evidence_state,
    holm_family,
    outcome_table,
    state_words,
    units_of,
)
from ketrev.evidence import Evidence
from ketrev.memo import remembered
from ketrev.robustness import Unit, directions_by, leave_one_out, multiverse, robustness_summary
from ketrev.synthesis import vote_count
from ketrev.views import format_share, p_text, study_labels

__all__ = ["PATHWAYS", "explain", "markers_of_response", "outcome_summary", "outcome_votes", "summary_of_findings"]

#: The order of the review's groups (pathways) in the summary of findings.
PATHWAYS = ("glutamatergic", "mtor", "translation", "neurotrophic", "gsk3", "mapk", "microrna", "synaptic", "other",
            "cellular")
_STRATA = {"cell_culture": "preclinical", "animal": "preclinical", "human": "clinical"}
_COUNTS = ["n_studies", "n_increase", "n_decrease", "n_no_change", "n_mixed", "n_voted", "proportion_increase"]


def _labels(evidence: Evidence, by: Unit) -> pd.DataFrame:
    """Label, analysis, level and group (pathway or family) of every unit id."""
    mol = evidence.molecules.set_index("molecule")
    rows = []
    if by in ("outcome", "molecule"):
        rows += [(m, r.label, "exploratory", r.level, r.family) for m, r in mol.iterrows()]
    if by == "outcome":
        rows = [r for r in rows if r[0] not in UNITS]
        rows += [(u.id, u.label, "confirmatory", "molecular", u.pathway) for u in UNITS.values()]
    if by == "family":
        rows += [(f, f, "exploratory", "cellular" if f == "cellular" else "molecular", f) for f in mol["family"].unique()]
    return pd.DataFrame(rows, columns=[by, "label", "analysis", "level", "group"]).set_index(by)


def _strata(evidence: Evidence, by: Unit) -> pd.DataFrame:
    """Vote counts of animals and cells (``pre_*``) and of patients (``cli_*``), per unit."""
    directions = directions_by(evidence, by).merge(evidence.studies[["study_id", "evidence_type"]], on="study_id")
    directions["stratum"] = directions["evidence_type"].map(_STRATA)
    votes = vote_count(directions, by=[by, "stratum"]).set_index([by, "stratum"])[_COUNTS]
    parts = []
    for stratum, prefix in (("preclinical", "pre_"), ("clinical", "cli_")):
        part = votes.xs(stratum, level="stratum") if stratum in votes.index.get_level_values(1) else votes.iloc[:0].droplevel(1)
        parts.append(part.add_prefix(prefix))
    out = parts[0].join(parts[1], how="outer")
    counts = [c for c in out.columns if not c.endswith("proportion_increase")]
    out[counts] = out[counts].fillna(0).astype(int)
    return out


def _associations(evidence: Evidence, by: Unit) -> pd.DataFrame:
    """Markers of response per unit: studies, and their signs in words."""
    long = evidence.findings_long(kind="association")
    if by == "outcome":
        long = outcome_table(long, evidence.molecules)
    if long.empty:
        return pd.DataFrame(columns=["n_association_studies", "association"])
    per_study = long.groupby([by, "study_id"])["direction"].agg(lambda d: d.mode().iloc[0] if d.nunique() == 1 else "mixed")
    words = {"positive": "higher level, better response", "negative": "higher level, worse response",
             "none": "no association", "mixed": "mixed"}

    def describe(signs: pd.Series) -> str:
        counts = signs.value_counts()
        return "; ".join(f"{words[s]} ({n})" for s, n in counts.items())

    grouped = per_study.groupby(level=0)
    return pd.DataFrame({"n_association_studies": grouped.size(), "association": grouped.apply(describe)})


def _agreement(row: Any, inhibitory: set[str]) -> str:
    if row.analysis != "confirmatory":
        return "Not named by the review"
    if row.n_voted < MIN_STUDIES:
        return "Too few studies"
    if row.outcome in inhibitory:
        return "Not comparable (inhibitory site)"
    return "Yes" if row.proportion_increase > 0.5 else "No"


def outcome_votes(evidence: Evidence, /, *, by: Unit = "outcome", rule: str = "majority") -> pd.DataFrame:
    """The vote count of every unit with a change finding: ``by``, ``label``, ``analysis``, ``level``,
    ``group``, the :func:`~ketrev.synthesis.vote_count` columns, ``p_holm`` (Holm across the confirmatory
    family; missing for an exploratory unit) and ``p`` (the p that decides significance)."""
    votes = vote_count(directions_by(evidence, by, rule), by=by).set_index(by)
    table = _labels(evidence, by).join(votes, how="inner")
    confirmatory = table["analysis"] == "confirmatory"
    table["p_holm"] = holm_family(table["p_sign"].where(confirmatory))
    table["p"] = table["p_holm"].where(confirmatory, table["p_sign"])
    table.index.name = by
    order = {g: i for i, g in enumerate(PATHWAYS)}
    table = table.reset_index().assign(_group=lambda t: t["group"].map(order).fillna(len(order)),
                                       _conf=lambda t: t["analysis"] != "confirmatory")
    table = table.sort_values(["_group", "_conf", "n_studies", by], ascending=[True, True, False, True])
    return table.drop(columns=["_group", "_conf"]).reset_index(drop=True)


@remembered
def outcome_summary(evidence: Evidence, /, *, by: Unit = "outcome", runs: pd.DataFrame | None = None,
                    loo: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every unit's result, robustness and state of evidence (see the module's docstring).

    Parameters
    ----------
    evidence
        The selected evidence base.
    by
        ``outcome`` (confirmatory units and exploratory outcomes), ``molecule`` or ``family``.
    runs, loo
        :func:`ketrev.robustness.multiverse` and :func:`~ketrev.robustness.leave_one_out`
        of ``evidence`` by the same unit, when already computed.

    Returns
    -------
    DataFrame
        ``by``, ``label``, ``analysis``, ``level``, ``group``; the pooled vote count
        (``n_studies`` … ``p_sign``, ``p_holm``, ``p`` — the p that decides significance);
        ``pre_*`` and ``cli_*`` counts (animals and cells, patients); the robustness
        columns of :func:`~ketrev.robustness.robustness_summary`; ``split_disagrees``,
        ``state``, ``state_words``, ``certainty``, ``certainty_words``;
        ``n_association_studies``, ``association``; ``review``, ``agrees``. Only units
        with a change finding; sorted by group, analysis and studies.
    """
    table = outcome_votes(evidence, by=by).set_index(by)
    runs = multiverse(evidence, by=by) if runs is None else runs
    loo = leave_one_out(evidence, by=by) if loo is None else loo
    robust = robustness_summary(runs, loo, by=by).set_index(by).drop(columns=["analysis"])
    table = table.join(_strata(evidence, by)).join(robust[[c for c in robust.columns if not c.startswith("reference_")]])
    pre_dir, cli_dir = (np.sign(table[f"{p}proportion_increase"] - 0.5) for p in ("pre_", "cli_"))
    table["split_disagrees"] = ((table["pre_n_voted"] >= MIN_STUDIES) & (table["cli_n_voted"] >= MIN_STUDIES)
                                & (pre_dir * cli_dir < 0))
    table["state"] = [evidence_state(r.n_voted, r.proportion_increase, r.p, r.share_majority_holds,
                                     r.loo_share_majority_holds, split_disagrees=r.split_disagrees)
                      for r in table.itertuples()]
    table["state_words"] = [state_words(s, p) for s, p in zip(table["state"], table["proportion_increase"])]
    table["certainty"] = [certainty(r.state, r.proportion_increase, r.cli_n_voted, r.cli_proportion_increase)
                          for r in table.itertuples()]
    table["certainty_words"] = table["certainty"].map(lambda c: CERTAINTY[c].word)
    labels = study_labels(evidence.studies).to_dict()
    table["why"] = [explain(r, labels) for r in table.itertuples()]
    table = table.join(_associations(evidence, by))
    table["n_association_studies"] = table["n_association_studies"].fillna(0).astype(int)
    table["association"] = table["association"].fillna("")
    table.index.name = by
    table = table.reset_index()
    inhibitory = _inhibitory(evidence)
    table["review"] = np.where(table["analysis"] == "confirmatory", REVIEW_CONCLUSION.capitalize(), "Not named")
    table["agrees"] = [_agreement(r, inhibitory) for r in table.rename(columns={by: "outcome"}).itertuples()]
    return table


def explain(row: Any, study_labels: dict[str, str], /) -> str:
    """The context of an outcome's state of evidence in plain words: the test and its family, the
    multiverse, leave-one-out, and whether animals and cells and patients agree."""
    if row.state == "too_few":
        return f"{row.n_voted} of {row.n_studies} studies report an increase or a decrease; {MIN_STUDIES} are needed."
    if row.analysis == "confirmatory":
        test = f"Sign test {p_text(row.p)}, Holm-adjusted across the {FAMILY_SIZE} molecules the review names"
        significant = round(row.share_significant * row.n_evaluable) if pd.notna(row.share_significant) else 0
        multiverse = (f"significant in {significant:,} of {row.n_evaluable:,} multiverse analyses with enough studies; "
                      f"the direction holds in {format_share(row.share_majority_holds)} of them")
    else:
        test = f"Exploratory: sign test {p_text(row.p)}, unadjusted"
        multiverse = (f"the direction holds in {format_share(row.share_majority_holds)} of {row.n_evaluable:,} "
                      "multiverse analyses with enough studies")
    if pd.isna(row.loo_share_majority_holds) or row.loo_share_majority_holds == 1:
        loo = "and whenever one study is left out"
    else:
        breaker = study_labels.get(row.loo_breaking_study, "one study")
        loo = (f"and in {format_share(row.loo_share_majority_holds)} of the analyses leaving one study out "
               f"(it turns without {breaker})")
    if row.split_disagrees:
        split = "Animals and cells and patients point opposite ways."
    elif row.cli_n_voted >= MIN_STUDIES:
        split = f"Patients ({row.cli_n_voted} studies with a direction) agree with animals and cells."
    else:
        split = f"Too few patient studies ({row.cli_n_voted} with a direction) to compare with animals and cells."
    return f"{test}; {multiverse}, {loo}. {split}"


def _inhibitory(evidence: Evidence) -> set[str]:
    """Outcomes measured at a site whose phosphorylation inhibits the protein (and the units holding one)."""
    molecules = evidence.molecules
    sites = set(molecules.loc[molecules["activity_when_up"] == "inhibits", "molecule"])
    return sites | {u for m, u in units_of(molecules).dropna().items() if m in sites}


def summary_of_findings(outcomes: pd.DataFrame, /, *, min_studies: int = MIN_STUDIES) -> pd.DataFrame:
    """The summary of findings: the molecules the review names, then every other molecule measured in
    ``min_studies`` studies or more (exploratory), grouped by pathway; cellular outcomes are left to
    their own table (:func:`outcome_summary` with ``level == "cellular"``)."""
    molecular = outcomes[outcomes["level"] == "molecular"]
    keep = (molecular["analysis"] == "confirmatory") | (molecular["n_studies"] >= min_studies)
    return molecular[keep].reset_index(drop=True)


def markers_of_response(evidence: Evidence, study_labels: pd.Series, /) -> pd.DataFrame:
    """Every association of a marker with the antidepressant response, one row per finding.

    Returns
    -------
    DataFrame
        ``study`` (reader label), ``study_id``, ``evidence_type``, ``model``, ``molecule``,
        ``measure``, ``region``, ``association_type``, ``direction`` (positive, negative,
        none), ``timepoint_h``; sorted by molecule and study. Never counted in a vote.
    """
    long = evidence.findings_long(kind="association")
    long.insert(0, "study", long["study_id"].map(study_labels))
    cols = ["study", "study_id", "evidence_type", "model", "molecule", "measure", "region", "association_type",
            "direction", "timepoint_h"]
    return long.sort_values(["label", "study"], ignore_index=True)[cols]
