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


def test_the_default_book_reproduces_the_review_window_with_treatment_designs(evidence):
    default = select(evidence, load_inclusion(DATA, "all")).studies
    assert len(default) >= 100
    assert (default["year"] <= 2021).all() and set(default["design"]) <= {"treatment", "in_vitro"}
    derived = default[default["year_basis"] != "printed"]
    assert (derived["year"] < 2021).all()  # a derived year never decides the window's edge
    assert evidence.studies.set_index("study_id").loc["ma2022", "design"] == "prophylactic"


def test_markers_outside_plasticity_are_out_together(evidence):
    outside = {"atp", "creatine_kinase", "anp", "il1b", "il6", "tnf", "corticosterone", "serotonin", "noradrenaline"}
    assert not outside & set(evidence.findings["molecule"])


def test_preprints_are_not_included(evidence):
    studies = evidence.studies
    preprint = studies["doi"].str.startswith(("10.21203/", "10.1101/", "10.2139/")) | studies["journal"].str.contains(
        "preprint|Research Square|bioRxiv|SSRN", case=False)
    assert not preprint.any(), studies.loc[preprint, "study_id"].tolist()


def test_every_duplicate_names_a_record_or_study_that_exists(evidence):
    import re

    known = set(evidence.studies["study_id"]) | set(evidence.screening["record_id"])
    named = evidence.screening.loc[evidence.screening["reason"] == "duplicate", "notes"].str.findall(
        r"(?:same study as|duplicate of|duplicates?) (?:record |study )?([a-z0-9-]+)")
    missing = {ref for refs in named for ref in refs if re.fullmatch(r"[a-z]+\d{4}[a-z]?|[a-z0-9]+-r\d+", ref)} - known
    assert missing == set()


def test_associations_never_vote(evidence):
    from ketrev.tabulate import study_directions

    long = evidence.findings_long()
    assert set(long["kind"]) == {"change"} and not set(study_directions(long)["direction"]) & {"positive", "negative"}


#: How a record's address labels an identifier (data/README.md, "Identifiers and citations from a record's address").
ADDRESS_LABELS = {
    "pmid": r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|pubmed\.gov/|/pubmed/|pubmed\?term=)(\d+)",
    "pmcid": r"(PMC\d+)",
    "doi": r"(?:doi\.org/|/doi/(?:abs/|full/|pdf/|epdf/)?|[?&]doi=|access_num=)(10\.\d{4,9}/[^?#&\s]+)",
}


def test_an_identifier_the_address_of_a_record_labels_is_in_the_row(evidence):
    import re
    from urllib.parse import unquote

    missing = []
    for row in evidence.studies.itertuples():
        for address in f"{row.source_url} {row.other_urls}".split():
            for column, label in ADDRESS_LABELS.items():
                for found in re.finditer(label, unquote(address), re.IGNORECASE):
                    if found.group(1).rstrip("/").lower() != getattr(row, column).lower():
                        missing.append((row.study_id, column, found.group(1)))
    assert missing == []
