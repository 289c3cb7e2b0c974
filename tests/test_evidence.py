import csv

import pytest
from conftest import edit_csv

from ketrev import DataError, UsageError, load_evidence
from ketrev.evidence import surname_key


def problems_of(data_dir) -> list[str]:
    with pytest.raises(DataError) as info:
        load_evidence(data_dir)
    return [str(p) for p in info.value.problems]


def test_example_loads_typed(data_dir):
    ev = load_evidence(data_dir)
    assert len(ev.studies) == 6 and len(ev.findings) == 17
    assert str(ev.studies["year"].dtype) == "Int64"
    assert set(ev.checksums) == {"evidence/studies.csv", "evidence/findings.csv", "evidence/screening.csv",
                                 "evidence/searches.csv", "vocab/molecules.csv", "vocab/models.csv"}
    assert len(ev.data_checksum) == 64


def test_findings_long_joins_study_and_vocabulary(data_dir):
    long = load_evidence(data_dir).findings_long()
    row = long[(long["study_id"] == "gamma2014") & (long["molecule"] == "gsk3b")].iloc[0]
    assert (row["evidence_type"], row["family"], row["activity_when_up"]) == ("animal", "gsk3", "inhibits")


def test_checksum_follows_content(data_dir):
    before = load_evidence(data_dir).data_checksum
    edit_csv(data_dir / "evidence/findings.csv", "alpha2010,psd95,change,protein,,pfc,increase,,24",
             "alpha2010,psd95,change,protein,,pfc,increase,,48")
    assert load_evidence(data_dir).data_checksum != before


def test_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such data folder"):
        load_evidence(tmp_path / "absent")


def test_all_problems_in_all_files_at_once(data_dir):
    edit_csv(data_dir / "evidence/findings.csv", "beta2012,bdnf,change,protein,,hippocampus",
             "beta2013,bdnf,change,protein,,hippo")
    edit_csv(data_dir / "evidence/studies.csv", "alpha2010,1000001", "alpha2010,1000002")
    (data_dir / "vocab/models.csv").write_bytes("model,label\n".encode("utf-16"))
    found = problems_of(data_dir)
    base = str(data_dir)
    assert f"{base}/evidence/findings.csv:5:study_id: 'beta2013' is not a known studies study_id" in found
    assert any(p.startswith(f"{base}/evidence/findings.csv:5:region: 'hippo' is not one of") for p in found)
    assert f"{base}/evidence/studies.csv:3:pmid: '1000002' repeats line 2" in found
    assert f"{base}/vocab/models.csv:1: not UTF-8 (byte 0xff); save the file as UTF-8" in found


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("alpha2010,1000001,,,Alpha A", "alpha2010,,,,Alpha A",
     "studies.csv:2:pmid: not traceable: give a pmid, pmcid or doi, or the full citation the record shows "
     "(missing: volume, pages)"),
    ("alpha2010,1000001,,,Alpha A,2010", "alpha2011,1000001,,,Alpha A,2010",
     "studies.csv:2:study_id: 'alpha2011' does not match first_author and year; expected 'alpha2010' plus an optional letter"),
    ("animal,rat,naive", "human,rat,naive",
     "studies.csv:2:model: model 'naive' belongs to evidence_type 'animal', not 'human'"),
    ("human,human,trd", "human,rat,trd", "studies.csv:6:species: a human study must have species 'human'"),
    ("alpha2010,1000001,,,Alpha A", "alpha2010,1000001,,,",
     "studies.csv:2:study_id: 'alpha2010': a study with no first_author is named 'pmid1000001'"),
    ("delta2016,,,10.1000/delta.2016,Delta D", "delta2016,,,10.1000/delta.2016,",
     "studies.csv:5:study_id: 'delta2016': a study with no first_author is named 'doi-10-1000-delta-2016'"),
    ("2010,printed,Synthetic", "3000,printed,Synthetic", "studies.csv:2:year: 3000 is above the maximum"),
    ("2010,printed,Synthetic", "2010,doi,Synthetic", "studies.csv:2:year_basis: the year is derived from the doi, "
                                                     "which is empty"),
    ("Alpha A,2010,printed", "Alpha A, ,printed", "studies.csv:2:year: empty; a value is required"),
    ("naive,treatment", "naive,in_vitro", "studies.csv:2:design: only a cell-culture study has design 'in_vitro'"),
    ("in_vitro,in_vitro", "in_vitro,treatment", "studies.csv:5:design: a cell-culture study has design 'in_vitro'"),
    ("trd,treatment", "trd,prophylactic", "studies.csv:6:design: a clinical study has design 'treatment'"),
    ("Synthetic example study one", "Synthetic\x85example", "studies.csv:2:title: contains a control character"),
    ("Synthetic example study one", "Synthetic\x0bexample", "studies.csv:2:title: contains a control character or a line break"),
])
def test_study_rules(data_dir, old, new, expected):
    edit_csv(data_dir / "evidence/studies.csv", old, new)
    assert any(expected in p for p in problems_of(data_dir)), problems_of(data_dir)


def test_a_full_citation_makes_a_study_traceable_without_identifier_or_author(data_dir):
    path = data_dir / "evidence/studies.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0].update(study_id="cite-example-journal-12-34", pmid="", first_author="", volume="12", pages="34-40")
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[1]), lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
    for name in ("evidence/findings.csv", "evidence/screening.csv"):
        p = data_dir / name
        p.write_text(p.read_text().replace("alpha2010", "cite-example-journal-12-34"))
    study = load_evidence(data_dir).studies.set_index("study_id").loc["cite-example-journal-12-34"]
    assert (study["journal"], study["volume"], study["pages"]) == ("Example Journal", "12", "34-40")
    rows[0]["volume"] = ""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[1]), lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
    assert any("studies.csv:2:pmid: not traceable" in p and "(missing: volume)" in p for p in problems_of(data_dir))


def test_study_without_author_is_named_by_pmid(data_dir):
    edit_csv(data_dir / "evidence/studies.csv", "alpha2010,1000001,,,Alpha A", "pmid1000001,1000001,,,")
    for name in ("evidence/findings.csv", "evidence/screening.csv"):
        path = data_dir / name
        path.write_text(path.read_text().replace("alpha2010", "pmid1000001"))
    assert "pmid1000001" in set(load_evidence(data_dir).studies["study_id"])


def test_accented_surname_matches_ascii_id(data_dir):
    assert load_evidence(data_dir).studies["first_author"].str.startswith("É").any()
    assert surname_key("Machado-Vieira R") == "machadovieira"
    assert surname_key("Réus GZ") == "reus"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("r1,alpha2010", "r1,", "screening.csv:2:study_id: an included record must name its study_id"),
    ("s1,included,,", "s1,included,other,", "screening.csv:2:reason: an included record takes no exclusion reason"),
    ("s1,excluded,review_or_comment", "s1,excluded,", "screening.csv:8:reason: an excluded record needs a reason"),
    ("r2,beta2012", "r2,alpha2010", "screening.csv:3:study_id: 'alpha2010' is included by more than one record"),
    ("r7,,", "r7,gamma2014,", "screening.csv:8:study_id: an excluded record cannot name a study"),
    ("s2,included", "s9,included", "screening.csv:5:search_id: 's9' is not a known searches search_id"),
])
def test_screening_rules(data_dir, old, new, expected):
    edit_csv(data_dir / "evidence/screening.csv", old, new)
    assert any(p.endswith(expected) for p in problems_of(data_dir)), problems_of(data_dir)


def test_study_without_screening_record(data_dir):
    edit_csv(data_dir / "evidence/screening.csv",
             "r6,zeta2020,1000006,,,Synthetic example study six,2020,https://example.org/zeta2020,s2,included,,\n", "")
    assert any(p.endswith("screening.csv:study_id: study 'zeta2020' has no included screening record")
               for p in problems_of(data_dir))


def test_duplicate_finding_rows(data_dir):
    path = data_dir / "evidence/findings.csv"
    path.write_text(path.read_text() + "alpha2010,mtor,change,phospho,,pfc,increase,,1,\n")
    assert any(p.endswith("findings.csv:19: repeats an earlier row exactly") for p in problems_of(data_dir))


@pytest.mark.parametrize(("row", "expected"), [
    ("alpha2010,bdnf,change,protein,,pfc,positive,,,", "findings.csv:19:direction: a change is an increase, a decrease "
                                                      "or no_change"),
    ("alpha2010,bdnf,association,level,,plasma,increase,responders,,", "findings.csv:19:direction: an association is "
                                                                      "positive, negative or none"),
    ("alpha2010,bdnf,association,level,,plasma,positive,,,", "findings.csv:19:association_type: an association needs "
                                                            "its type"),
    ("alpha2010,bdnf,change,level,,plasma,increase,baseline,,", "findings.csv:19:association_type: only an "
                                                               "association has a type"),
    ("alpha2010,spine_density,change,protein,,pfc,increase,,,", "findings.csv:19:measure: a cellular outcome is measured"),
    ("alpha2010,bdnf,change,morphology,,pfc,increase,,,", "findings.csv:19:measure: a molecule is measured as protein"),
    ("alpha2010,bdnf,change,protein,,pfc,increase,,inf,", "findings.csv:19:timepoint_h: 'inf' is not a number"),
    ("alpha2010,bdnf,change,protein,,pfc,increase,,1e400,", "findings.csv:19:timepoint_h: '1e400' is not a number"),
    ("alpha2010,bdnf,change,protein,,  ,increase,,,", "findings.csv:19:region: only spaces"),
])
def test_finding_rules(data_dir, row, expected):
    path = data_dir / "evidence/findings.csv"
    path.write_text(path.read_text() + row + "\n")
    assert any(p.endswith(expected) or expected in p for p in problems_of(data_dir)), problems_of(data_dir)


def test_every_cellular_outcome_is_of_the_cellular_family(data_dir):
    edit_csv(data_dir / "vocab/molecules.csv", "spine_density,Dendritic spine density,cellular,cellular",
             "spine_density,Dendritic spine density,cellular,synaptic")
    assert any("molecules.csv:" in p and "family: a cellular outcome is of the family 'cellular'" in p
               for p in problems_of(data_dir))


def test_findings_long_keeps_changes_apart_from_associations_and_levels(data_dir):
    ev = load_evidence(data_dir)
    assert set(ev.findings_long()["kind"]) == {"change"}
    assert len(ev.findings_long(kind="association")) == 1
    assert set(ev.findings_long(level="cellular")["molecule"]) == {"spine_density"}
    assert len(ev.findings_long(kind=None)) == len(ev.findings)
