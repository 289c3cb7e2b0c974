"""The real evidence base under data/ honours the contract and the review's scope."""

from pathlib import Path

import pytest

from ketrev import load_evidence, load_inclusion, select
from ketrev.inclusion import list_inclusion_sets

DATA = Path(__file__).parent.parent / "data"
pytestmark = pytest.mark.skipif(not (DATA / "evidence" / "studies.csv").exists(),
                                reason="no evidence base under data/ yet")


@pytest.fixture(scope="module")
def evidence():
    return load_evidence(DATA)


def test_real_data_validate(evidence):
    assert len(evidence.studies) > 0


def test_every_inclusion_set_selects_studies(evidence):
    for name in list_inclusion_sets(DATA):
        assert len(select(evidence, load_inclusion(DATA, name)).studies) > 0, name


def test_all_three_evidence_types_present(evidence):
    assert set(evidence.studies["evidence_type"]) == {"cell_culture", "animal", "human"}


def test_every_study_has_a_finding_and_a_public_record(evidence):
    assert set(evidence.findings["study_id"]) == set(evidence.studies["study_id"])
    assert evidence.studies["source_url"].str.match(r"https?://").all()
