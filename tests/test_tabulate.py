import pandas as pd
import pytest

from ketrev import load_evidence
from ketrev.tabulate import characteristics, direction_counts, molecule_counts, study_directions


def findings(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["study_id", "molecule", "direction"])


def test_characteristics_counts_and_percent(data_dir):
    table = characteristics(load_evidence(data_dir).studies, by="evidence_type")
    assert table.to_dict("records") == [
        {"evidence_type": "animal", "n_studies": 3, "percent": 50.0},
        {"evidence_type": "human", "n_studies": 2, "percent": 33.33},
        {"evidence_type": "cell_culture", "n_studies": 1, "percent": 16.67},
    ]


def test_molecule_counts_by_hand(data_dir):
    long = load_evidence(data_dir).findings_long()
    by_molecule = molecule_counts(long).set_index("molecule")
    assert by_molecule.loc["bdnf", ["n_studies", "n_findings"]].tolist() == [5, 6]
    assert by_molecule.loc["mtor", ["n_studies", "n_findings"]].tolist() == [4, 4]
    by_family = molecule_counts(long, by="family").set_index("family")
    assert by_family.loc["mtor", ["n_studies", "n_findings"]].tolist() == [4, 5]  # mtor + p70s6k


@pytest.mark.parametrize(("directions", "majority", "unanimous"), [
    (["increase"], "increase", "increase"),
    (["increase", "increase", "no_change"], "increase", "mixed"),
    (["increase", "decrease"], "mixed", "mixed"),
    (["no_change", "no_change", "decrease"], "no_change", "mixed"),
    (["decrease", "decrease"], "decrease", "decrease"),
])
def test_one_direction_per_study(directions, majority, unanimous):
    rows = findings([("s1", "bdnf", d) for d in directions])
    assert study_directions(rows)["direction"].tolist() == [majority]
    assert study_directions(rows, rule="unanimous")["direction"].tolist() == [unanimous]


def test_unknown_rule():
    with pytest.raises(ValueError, match="rule must be one of"):
        study_directions(findings([("s1", "bdnf", "increase")]), rule="any")  # type: ignore[arg-type]


def test_direction_counts_count_studies_not_findings():
    rows = findings([("s1", "bdnf", "increase"), ("s1", "bdnf", "increase"), ("s2", "bdnf", "decrease"),
                     ("s3", "bdnf", "increase"), ("s3", "bdnf", "decrease"), ("s4", "erk", "no_change")])
    table = direction_counts(study_directions(rows))
    assert table.to_dict("records") == [
        {"molecule": "bdnf", "n_studies": 3, "n_increase": 1, "n_decrease": 1, "n_no_change": 0, "n_mixed": 1},
        {"molecule": "erk", "n_studies": 1, "n_increase": 0, "n_decrease": 0, "n_no_change": 1, "n_mixed": 0},
    ]


def test_strata_keep_evidence_type(data_dir):
    long = load_evidence(data_dir).findings_long()
    table = direction_counts(study_directions(long, strata=["evidence_type"]), by=["molecule", "evidence_type"])
    bdnf_human = table[(table["molecule"] == "bdnf") & (table["evidence_type"] == "human")].iloc[0]
    assert (bdnf_human["n_increase"], bdnf_human["n_no_change"]) == (1, 1)
