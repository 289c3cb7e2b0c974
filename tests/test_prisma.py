from ketrev import load_evidence, load_inclusion, select
from ketrev.prisma import prisma_counts


def test_counts_by_hand(data_dir):
    counts = dict(zip(*prisma_counts(load_evidence(data_dir))[["box", "n"]].to_dict("list").values()))
    assert counts == {"identified": 14, "removed_before_screening": 6, "screened": 8, "excluded": 2,
                      "excluded_no_antidepressant_context": 1, "excluded_review_or_comment": 1, "included": 6}


def test_subset_reports_studies_outside_the_set(data_dir):
    ev = select(load_evidence(data_dir), load_inclusion(data_dir, "clinical"))
    counts = prisma_counts(ev).set_index("box")["n"]
    assert counts["included"] == 2 == len(ev.studies)
    assert counts["not_selected"] == 4
    assert "'clinical'" in prisma_counts(ev).set_index("box").loc["not_selected", "label"]
