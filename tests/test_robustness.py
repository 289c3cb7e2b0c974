import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from ketrev.analysis import FAMILY_SIZE
from ketrev.compare import compare_sets
from ketrev.evidence import Evidence
from ketrev.robustness import (
    CHOICES,
    _statistics,
    active_choices,
    choices_table,
    leave_one_out,
    multiverse,
    robustness_summary,
    specifications,
)
from ketrev.synthesis import holm


def evidence(findings: list[tuple[str, str, str]], n_studies: int = 8) -> Evidence:
    """A made-up evidence base: studies s0..s{n-1}, half rats half mice, years 2010-2017."""
    ids = [f"s{i}" for i in range(n_studies)]
    studies = pd.DataFrame({
        "study_id": ids, "evidence_type": "animal", "species": ["rat", "mouse"] * (n_studies // 2),
        "model": "naive", "design": "treatment", "ketamine_form": "racemic", "antidepressant_effect": "yes",
        "coded_from": "abstract", "year": [2010 + i for i in range(n_studies)], "year_basis": "printed",
        "first_author": [f"S{i} A" for i in range(n_studies)], "title": ""})
    models = pd.DataFrame({"model": ["naive"], "stress_model": ["no"]})
    molecules = pd.DataFrame({"molecule": ["bdnf", "mtor", "erk", "camkii"], "label": ["BDNF", "mTOR", "ERK", "CaMKII"],
                              "level": "molecular", "family": ["neurotrophic", "mtor", "mapk", "other"],
                              "activity_when_up": "n/a"})
    table = pd.DataFrame(findings, columns=["study_id", "molecule", "direction"]).assign(kind="change")
    return Evidence(studies=studies, findings=table, screening=pd.DataFrame(), searches=pd.DataFrame(),
                    molecules=molecules, models=models, data_dir=None)


@pytest.fixture
def known():
    """bdnf rises in all 8 studies; mtor rises in one study only; erk splits 4 up / 4 down."""
    rows = [(f"s{i}", "bdnf", "increase") for i in range(8)] + [("s0", "mtor", "increase")]
    rows += [(f"s{i}", "erk", "increase" if i < 4 else "decrease") for i in range(8)]
    return evidence(rows)


def test_specifications_cover_every_combination():
    specs = specifications()
    expected = np.prod([len(o) for o in CHOICES.values()]) * 2
    assert len(specs) == expected >= 1000
    assert {"years", "outcomes", "design"} <= set(specs.columns)  # whether a conclusion rests on the widened scope
    assert not specs.drop(columns="spec_id").duplicated().any()
    assert set(choices_table()["decision"]) == {*CHOICES, "rule"}


def test_molecule_up_everywhere_is_robust_everywhere(known):
    runs = multiverse(known)
    bdnf = runs[runs["outcome"] == "bdnf"]
    assert (bdnf.loc[bdnf["evaluable"], "proportion_increase"] == 1).all()
    summary = robustness_summary(runs, leave_one_out(known)).set_index("outcome")
    assert summary.loc["bdnf", "share_majority_holds"] == 1.0
    assert summary.loc["bdnf", "loo_share_majority_holds"] == 1.0
    assert summary.loc["bdnf", "analysis"] == "confirmatory" and summary.index[0] == "bdnf"


def test_single_study_fails_leave_one_out_and_the_threshold(known):
    summary = robustness_summary(multiverse(known), leave_one_out(known)).set_index("outcome")
    assert summary.loc["mtor", "n_evaluable"] == 0  # one study is below the threshold of 3
    assert summary.loc["mtor", "n_too_few"] > 0
    assert summary.loc["mtor", "loo_share_majority_holds"] == 0.0
    assert summary.loc["mtor", "loo_breaking_study"] == "s0"


def test_counts_match_a_direct_selection(known):
    runs = multiverse(known)
    others = [c for c in runs.columns if c in CHOICES and c not in ("species", "window")]
    rats_up_to_2015 = runs[(runs["species"] == "rat") & (runs["window"] == "up to 2015") & (runs["rule"] == "majority")
                           & (runs[others] == "all").all(axis=1)].set_index("outcome")
    # rats are s0, s2, s4, s6; up to 2015 keeps s0..s5 -> s0, s2, s4
    assert rats_up_to_2015.loc["bdnf", "n_increase"] == 3
    assert rats_up_to_2015.loc["erk", ["n_increase", "n_decrease"]].tolist() == [2, 1]


def test_options_that_select_no_study_are_left_out(known):
    # every study is an animal study coded from its abstract, with a printed year, a molecular finding and a
    # treatment design: no clinical, human or full-text option, and no option that keeps every study
    runs = multiverse(known)
    assert "source" not in runs.columns and "evidence" not in runs.columns  # "preclinical" would keep every study
    assert not {"years", "outcomes", "design"} & set(runs.columns)
    assert runs.attrs["n_specifications"] == len(specifications(active_choices(known)))
    table = choices_table(known).set_index(["decision", "option"])
    assert not table.loc[("source", "full text only"), "used"] and table.loc[("species", "rat"), "used"]
    assert not table.loc[("design", "treatment designs only"), "used"]
    assert runs.groupby("spec_id")["n_studies"].max().min() > 0  # no specification is empty


@pytest.mark.parametrize("threshold", [1, 3, 5])
def test_threshold_marks_evaluable(known, threshold):
    runs = multiverse(known, min_studies=threshold)
    assert (runs["evaluable"] == ((runs["n_increase"] + runs["n_decrease"]) >= threshold)).all()


def test_vectorised_statistics_match_statsmodels():
    up, down = np.array([[8, 3, 0, 5]]), np.array([[2, 3, 4, 0]])
    family = np.array([True, True, True, False])
    stats = _statistics(up, down, family)
    low, high = proportion_confint(up[0], up[0] + down[0], method="wilson")
    assert np.allclose(stats["ci_low"][0], low) and np.allclose(stats["ci_high"][0], high)
    # Holm across the whole pre-specified family (the untested units count with p = 1); none for exploratory columns
    padded = [*stats["p_sign"][0][:3], *[1.0] * (FAMILY_SIZE - 3)]
    assert np.allclose(stats["p_holm"][0][:3], multipletests(padded, method="holm")[1][:3])
    assert np.isnan(stats["p_holm"][0][3])


def test_a_prophylactic_or_derived_study_adds_its_choice(known):
    studies = known.studies.copy()
    studies.loc[0, "design"] = "prophylactic"
    studies.loc[1, "year_basis"] = "pmid"
    changed = Evidence(**{**known.__dict__, "studies": studies})
    active = active_choices(changed)
    assert [c.option for c in active["design"]] == ["all", "treatment designs only"]
    assert [c.option for c in active["years"]] == ["all", "printed years only"]


def test_holm_ignores_missing_values():
    p = np.array([[0.01, np.nan, 0.04, 0.03]])
    expected = multipletests([0.01, 0.04, 0.03], method="holm")[1]
    out = holm(p)
    assert np.isnan(out[0, 1]) and np.allclose(out[0, [0, 2, 3]], expected)


def test_compare_sets():
    # bdnf rises in 10 studies: p = 0.002 stays below 0.05 after Holm across the 12 molecules the review names;
    # without s0 and s1 (8 of 8) it is p = 0.0078, and 0.094 after Holm: no longer significant
    rows = [(f"s{i}", "bdnf", "increase") for i in range(10)] + [("s0", "mtor", "increase")]
    rows += [(f"s{i}", "erk", "increase" if i < 4 else "decrease") for i in range(8)]
    many = evidence(rows, n_studies=10)
    fewer = evidence([r for r in rows if r[0] not in ("s0", "s1")], n_studies=10).with_studies(
        [f"s{i}" for i in range(2, 10)], "fewer")
    only_a, only_b, changed = compare_sets(many, fewer)
    assert only_a == ["s0", "s1"] and only_b == []
    changes = changed.set_index("outcome")
    assert changes.loc["mtor", "changed"] == "only in a"
    assert changes.loc["bdnf", ["state_words_a", "state_words_b"]].tolist() == ["Consistent increase", "Fragile increase"]
    assert changes.loc["bdnf", "changed"] == "state" and changes.loc["bdnf", "studies"] == "s0, s1"
    assert changes.loc["erk", ["state_words_a", "state_words_b"]].tolist() == ["Mixed", "Mixed"]  # 4/4, then 2/4
    assert changed["outcome"].iloc[0] == "bdnf"  # a change of state comes first
