"""Invariants that hold for any evidence base (property-based, hypothesis)."""

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ketrev.analysis import holm_family
from ketrev.evidence import Evidence
from ketrev.inclusion import InclusionSet, select
from ketrev.prisma import prisma_counts
from ketrev.synthesis import vote_count
from ketrev.tabulate import characteristics, direction_counts, study_directions

TYPES = ["cell_culture", "animal", "human"]
MOLECULES = ["bdnf", "mtor", "erk", "gsk3b"]
DIRECTIONS = ["increase", "decrease", "no_change"]


@st.composite
def evidence_bases(draw) -> Evidence:
    n = draw(st.integers(1, 25))
    ids = [f"s{i}" for i in range(n)]
    types = draw(st.lists(st.sampled_from(TYPES), min_size=n, max_size=n))
    studies = pd.DataFrame({"study_id": ids, "evidence_type": types, "year": [2010 + i % 12 for i in range(n)]})
    rows = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(MOLECULES), st.sampled_from(DIRECTIONS)),
                         min_size=1, max_size=80))
    findings = pd.DataFrame(rows, columns=["study_id", "molecule", "direction"])
    n_excluded = draw(st.integers(0, 10))
    screening = pd.DataFrame({
        "record_id": [f"r{i}" for i in range(n + n_excluded)],
        "study_id": ids + [""] * n_excluded,
        "decision": ["included"] * n + ["excluded"] * n_excluded,
        "reason": [""] * n + ["review_or_comment"] * n_excluded,
    })
    searches = pd.DataFrame({"search_id": ["q"], "records_seen": [n + n_excluded + draw(st.integers(0, 50))]})
    return Evidence(studies=studies, findings=findings, screening=screening, searches=searches,
                    molecules=pd.DataFrame(), models=pd.DataFrame(), data_dir=Path("."))


@settings(max_examples=60, deadline=None)
@given(evidence_bases())
def test_counts_add_up_to_the_studies(ev):
    assert characteristics(ev.studies, by="evidence_type")["n_studies"].sum() == len(ev.studies)
    directions = study_directions(ev.findings)
    counts = direction_counts(directions)
    per_molecule = ev.findings.groupby("molecule")["study_id"].nunique()
    assert counts.set_index("molecule")["n_studies"].to_dict() == per_molecule.to_dict()
    assert (counts[["n_increase", "n_decrease", "n_no_change", "n_mixed"]].sum(axis=1) == counts["n_studies"]).all()


@settings(max_examples=60, deadline=None)
@given(evidence_bases())
def test_proportions_and_intervals_lie_in_the_unit_interval(ev):
    votes = vote_count(study_directions(ev.findings)).dropna(subset=["proportion_increase"])
    for col in ("proportion_increase", "ci_low", "ci_high", "p_sign"):
        assert votes[col].between(0, 1).all()
    assert (votes["ci_low"] <= votes["proportion_increase"] + 1e-12).all()
    assert (votes["proportion_increase"] <= votes["ci_high"] + 1e-12).all()
    adjusted = holm_family(votes.set_index("molecule")["p_sign"])
    tested = adjusted.dropna()  # the confirmatory units among the molecules: never below their own p
    assert (tested.between(0, 1)).all() and (tested >= votes.set_index("molecule")["p_sign"][tested.index] - 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(evidence_bases())
def test_selecting_all_is_the_identity(ev):
    chosen = select(ev, InclusionSet("all", "All"))
    assert chosen.studies.equals(ev.studies) and chosen.findings.equals(ev.findings)


@settings(max_examples=60, deadline=None)
@given(evidence_bases(), st.sets(st.sampled_from(TYPES), min_size=1))
def test_prisma_included_box_equals_the_studies_table(ev, kinds):
    if not ev.studies["evidence_type"].isin(kinds).any():
        return
    chosen = select(ev, InclusionSet("some", "Some", where={"evidence_type": sorted(kinds)}))
    counts = prisma_counts(chosen).set_index("box")["n"]
    assert counts["included"] == len(chosen.studies)
    assert counts["included"] + counts.get("not_selected", 0) == counts["in_evidence_base"]
    assert counts["sought"] == counts["screened"] - counts["excluded_screening"]
    assert counts["assessed"] == counts["sought"] - counts["not_retrieved"]
    assert counts["assessed"] - counts["excluded_eligibility"] == counts["in_evidence_base"]
