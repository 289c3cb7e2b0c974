from ketrev import load_evidence, load_inclusion, select
from ketrev.prisma import prisma_counts


def test_counts_by_hand(data_dir):
    # example data: 2 searches returning 14 records; 8 screened: 6 included, one review, one without
    # an antidepressant context
    counts = dict(zip(*prisma_counts(load_evidence(data_dir))[["box", "n"]].to_dict("list").values()))
    assert counts == {"identified": 14, "removed_duplicates": 0, "removed_unscreened": 6, "screened": 8,
                      "excluded_screening": 1, "screening:review_or_comment": 1, "sought": 7, "not_retrieved": 0,
                      "assessed": 7, "excluded_eligibility": 1, "eligibility:no_antidepressant_context": 1,
                      "in_evidence_base": 6, "included": 6}


def test_duplicates_leave_before_screening_and_incomplete_records_are_not_retrieved(data_dir):
    path = data_dir / "evidence" / "screening.csv"
    text = path.read_text().replace("review_or_comment", "duplicate").replace("no_antidepressant_context", "record_incomplete")
    path.write_text(text)
    counts = prisma_counts(load_evidence(data_dir)).set_index("box")["n"]
    assert (counts["removed_duplicates"], counts["screened"], counts["not_retrieved"]) == (1, 7, 1)
    assert counts["assessed"] == 6 == counts["in_evidence_base"]


def test_reasons_are_ordered_by_count(data_dir):
    path = data_dir / "evidence" / "screening.csv"
    extra = "".join(f"x{i},,,,,Synthetic record {i},2015,https://example.org/x{i},s2,excluded,no_molecular_outcome,\n"
                    for i in range(2))
    path.write_text(path.read_text() + extra)
    rows = prisma_counts(load_evidence(data_dir))
    reasons = rows[rows["box"].str.startswith("eligibility:")]
    assert list(reasons["box"]) == ["eligibility:no_molecular_outcome", "eligibility:no_antidepressant_context"]
    assert list(reasons["n"]) == [2, 1]


def test_subset_reports_studies_outside_the_set(data_dir):
    ev = select(load_evidence(data_dir), load_inclusion(data_dir, "clinical"))
    counts = prisma_counts(ev).set_index("box")["n"]
    assert counts["included"] == 2 == len(ev.studies)
    assert counts["not_selected"] == 4
    assert "'clinical'" in prisma_counts(ev).set_index("box").loc["not_selected", "label"]
