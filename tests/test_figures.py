import hashlib

import pytest
from matplotlib.figure import Figure

from ketrev import figures, load_evidence
from ketrev.prisma import prisma_counts
from ketrev.synthesis import vote_count
from ketrev.tabulate import direction_counts, study_directions


@pytest.fixture
def long(data_dir):
    return load_evidence(data_dir).findings_long()


def all_figures(data_dir) -> dict[str, Figure]:
    ev = load_evidence(data_dir)
    long = ev.findings_long()
    by_type = study_directions(long, strata=["evidence_type"])
    return {
        "map": figures.plot_evidence_map(direction_counts(by_type, by=["molecule", "evidence_type"])),
        "edp": figures.plot_effect_direction(study_directions(long, by="family", strata=["evidence_type"])),
        "votes": figures.plot_vote_counts(vote_count(study_directions(long))),
        "prisma": figures.plot_prisma(prisma_counts(ev)),
        "years": figures.plot_studies_per_year(ev.studies),
    }


def test_evidence_map_cells_show_study_counts(long):
    counts = direction_counts(study_directions(long, strata=["evidence_type"]), by=["molecule", "evidence_type"])
    ax = figures.plot_evidence_map(counts).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["bdnf", "mtor"]
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(counts["n_studies"])


def test_effect_direction_plot_has_one_marker_per_study_and_family(long):
    directions = study_directions(long, by="family", strata=["evidence_type"])
    ax = figures.plot_effect_direction(directions).axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(directions)
    assert len(ax.get_yticklabels()) == directions["study_id"].nunique()


def test_vote_plot_labels_carry_votes(long):
    ax = figures.plot_vote_counts(vote_count(study_directions(long))).axes[0]
    assert "bdnf (3/3)" in [t.get_text() for t in ax.get_yticklabels()]


def test_prisma_boxes_show_computed_numbers(data_dir):
    ax = figures.plot_prisma(prisma_counts(load_evidence(data_dir))).axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Records screened\n(n = 8)" in texts and "Studies included\n(n = 6)" in texts


def test_studies_per_year_stacks_every_study(data_dir):
    ax = figures.plot_studies_per_year(load_evidence(data_dir).studies).axes[0]
    assert sum(p.get_height() for p in ax.patches) == 6


def test_missing_columns_are_named():
    import pandas as pd
    with pytest.raises(ValueError, match="needs the columns direction"):
        figures.plot_effect_direction(pd.DataFrame({"study_id": [], "family": []}))


def test_saved_files_are_byte_identical(data_dir, tmp_path):
    digests = []
    for run in ("a", "b"):
        paths = []
        for name, fig in all_figures(data_dir).items():
            paths += figures.save_figure(fig, tmp_path / run / name)
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
        assert all(p.stat().st_size > 0 for p in paths)
    assert digests[0] == digests[1]
