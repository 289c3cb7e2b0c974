import re

import pytest

from ketrev import load_evidence
from ketrev.book import answer
from ketrev.summary import outcome_summary


@pytest.fixture
def outcomes():
    """The default book's outcomes (the example data has no consistent molecule)."""
    return outcome_summary(load_evidence("data"))


def text(html) -> str:
    return re.sub(r"<[^>]+>", "", html.data)


def test_answer_names_each_consistent_molecule_and_where_its_direction_holds(outcomes):
    said = text(answer(outcomes))
    consistent = outcomes[(outcomes["analysis"] == "confirmatory") & (outcomes["state"] == "consistent")]
    assert len(consistent)
    for label in consistent["label"]:
        assert label in said.split("Patients")[0]
    if (consistent[["share_majority_holds", "loo_share_majority_holds"]].fillna(1) == 1).all(axis=None):
        assert "holds in every analysis of the multiverse and whenever one study is left out" in said


def test_answer_never_claims_more_robustness_than_was_measured(outcomes):
    consistent = (outcomes["analysis"] == "confirmatory") & (outcomes["state"] == "consistent")
    first = outcomes.index[consistent][0]
    outcomes.loc[first, "share_majority_holds"] = 0.937
    outcomes.loc[first, "loo_share_majority_holds"] = 0.999
    said = text(answer(outcomes))
    assert "every analysis" not in said and "whenever one study is left out" not in said
    assert "at least 93% of the multiverse analyses and at least 99% of the analyses leaving one study out" in said
