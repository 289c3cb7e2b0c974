import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from ketrev.synthesis import sign_test, vote_count


def directions(counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = [(f"{mol}-{d}-{i}", mol, d) for mol, by_dir in counts.items() for d, n in by_dir.items() for i in range(n)]
    return pd.DataFrame(rows, columns=["study_id", "molecule", "direction"])


@pytest.mark.parametrize(("up", "down"), [(9, 1), (5, 5), (0, 7), (12, 3), (1, 0)])
def test_sign_test_matches_scipy_binomtest(up, down):
    assert sign_test([up], [down])[0] == pytest.approx(binomtest(up, up + down, 0.5).pvalue, rel=1e-12)


def test_sign_test_without_votes_is_nan():
    assert np.isnan(sign_test([0], [0])[0])


def test_vote_count_pinned_to_r():
    votes = vote_count(directions({"bdnf": {"increase": 8, "decrease": 2, "no_change": 3, "mixed": 1},
                                   "erk": {"increase": 3, "decrease": 3}})).set_index("molecule")
    bdnf = votes.loc["bdnf"]
    assert bdnf["n_studies"] == 14 and bdnf["n_voted"] == 10 and bdnf["proportion_increase"] == 0.8
    # R: prop.test(8, 10, correct = FALSE)$conf.int -> 0.4901625 0.9433178
    assert (bdnf["ci_low"], bdnf["ci_high"]) == pytest.approx((0.4901625, 0.9433178), abs=1e-7)
    # R: binom.test(8, 10)$p.value -> 0.109375
    assert bdnf["p_sign"] == pytest.approx(0.109375)
    assert votes.loc["erk", "p_sign"] == pytest.approx(1.0)


def test_molecule_without_votes_has_missing_statistics():
    votes = vote_count(directions({"vgf": {"no_change": 2}, "bdnf": {"increase": 10}})).set_index("molecule")
    assert votes.loc["vgf", ["proportion_increase", "ci_low", "ci_high", "p_sign"]].isna().all()
    assert votes.loc["bdnf", "p_sign"] == pytest.approx(2 * 0.5**10)


def test_columns_in_fixed_order():
    votes = vote_count(directions({"bdnf": {"increase": 1}}))
    assert list(votes.columns) == ["molecule", "n_studies", "n_increase", "n_decrease", "n_no_change", "n_mixed",
                                   "n_voted", "proportion_increase", "ci_low", "ci_high", "p_sign"]


def test_holm_runs_across_the_whole_pre_specified_family():
    from statsmodels.stats.multitest import multipletests

    from ketrev.analysis import FAMILY_SIZE, UNITS, holm_family

    p = pd.Series({"bdnf": 0.004, "mtor": 0.02, "camkii": 0.001})  # camkii is exploratory
    adjusted = holm_family(p)
    full = [0.004, 0.02] + [1.0] * (FAMILY_SIZE - 2)  # the untested units count with p = 1
    expected = multipletests(full, method="holm")[1]
    assert FAMILY_SIZE == len(UNITS) == 12
    assert adjusted["bdnf"] == pytest.approx(expected[0]) and adjusted["mtor"] == pytest.approx(expected[1])
    assert np.isnan(adjusted["camkii"])  # never adjusted, never called significant


def test_no_findings_give_an_empty_table_with_every_column():
    from ketrev.tabulate import study_directions

    empty = pd.DataFrame(columns=["study_id", "molecule", "direction"])
    votes = vote_count(study_directions(empty))
    assert votes.empty and list(votes.columns) == list(vote_count(directions({"bdnf": {"increase": 1}})).columns)
