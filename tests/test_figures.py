import hashlib

import pandas as pd
import pytest
from matplotlib.figure import Figure

from ketrev import figures, load_evidence
from ketrev.book import labelled, study_labels
from ketrev.prisma import prisma_counts
from ketrev.synthesis import vote_count
from ketrev.tabulate import direction_counts, study_directions
from ketrev.views import labels_for


@pytest.fixture
def ev(data_dir):
    return load_evidence(data_dir)


def family_directions(ev):
    """What the book draws in the effect direction plot: family names and study labels."""
    families = study_directions(ev.findings_long(), by="family", strata=["evidence_type"])
    shown = labelled(families, labels_for(ev), ["family"])
    return shown.assign(study=families["study_id"].map(study_labels(ev.studies)))


def all_figures(ev) -> dict[str, Figure]:
    long = ev.findings_long()
    by_type = study_directions(long, strata=["evidence_type"])
    return {
        "map": figures.plot_evidence_map(direction_counts(by_type, by=["molecule", "evidence_type"])),
        "edp": figures.plot_effect_direction(family_directions(ev)),
        "votes": figures.plot_vote_counts(vote_count(study_directions(long))),
        "prisma": figures.plot_prisma(prisma_counts(ev)),
        "years": figures.plot_studies_per_year(ev.studies),
    }


def test_evidence_map_cells_show_study_counts_and_words(ev):
    counts = direction_counts(study_directions(ev.findings_long(), strata=["evidence_type"]), by=["molecule", "evidence_type"])
    ax = figures.plot_evidence_map(labelled(counts, labels_for(ev), ["molecule"])).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["BDNF", "mTOR"]  # most studied first
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Cell culture", "Animal", "Clinical"]
    shown = sorted(int(t.get_text()) for t in ax.texts if t.get_text())
    assert shown == sorted(counts["n_studies"])


def test_effect_direction_plot_has_a_panel_per_evidence_type_and_a_marker_per_study_and_family(ev):
    directions = family_directions(ev)
    fig = figures.plot_effect_direction(directions)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == ["Cell culture (1 study)", "Animal (3 studies)",
                                                          "Clinical (2 studies)"]
    assert sum(len(c.get_offsets()) for ax in panels for c in ax.collections) == len(directions)
    labels = [t.get_text() for ax in panels for t in ax.get_yticklabels()]
    assert "Alpha et al. 2010" in labels and len(labels) == directions["study"].nunique()
    assert labels[-2:] == ["Épsilon et al. 2018", "Zeta et al. 2020"]  # accents do not sort last


def test_vote_plot_labels_carry_votes_and_name_the_denominator(ev):
    ax = figures.plot_vote_counts(vote_count(study_directions(ev.findings_long()))).axes[0]
    assert "bdnf (3/3)" in [t.get_text() for t in ax.get_yticklabels()]
    assert "of those with a direction" in ax.get_xlabel() and "studies with a direction" in ax.get_xlabel()


def test_prisma_boxes_show_computed_numbers_and_arrows_meet_boxes(ev):
    ax = figures.plot_prisma(prisma_counts(ev)).axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Records screened\n(n = 8)" in texts and "Included in this book (n = 6)" in texts
    assert "Reports assessed for eligibility\n(n = 7)" in texts
    boxes = [p.get_bbox() for p in ax.patches]
    ends = [(a.xy, a.xyann) for a in ax.texts if hasattr(a, "xyann") and a.arrow_patch is not None]
    assert ends
    for start, end in ends:  # every arrow starts and ends on the edge of a box
        for x, y in (start, end):
            assert any(abs(x - b.x0) < 1e-9 or abs(x - b.x1) < 1e-9 or abs(y - b.y0) < 1e-9 or abs(y - b.y1) < 1e-9
                       for b in boxes if b.x0 - 1e-9 <= x <= b.x1 + 1e-9 and b.y0 - 1e-9 <= y <= b.y1 + 1e-9)


def test_studies_per_year_stacks_every_study(ev):
    ax = figures.plot_studies_per_year(ev.studies).axes[0]
    assert sum(p.get_height() for p in ax.patches) == 6


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="needs the columns direction"):
        figures.plot_effect_direction(pd.DataFrame({"study": [], "family": [], "evidence_type": []}))


def test_saved_files_are_byte_identical(ev, tmp_path):
    digests = []
    for run in ("a", "b"):
        paths = []
        for name, fig in all_figures(ev).items():
            paths += figures.save_figure(fig, tmp_path / run / name)
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
        assert all(p.stat().st_size > 0 for p in paths)
    assert digests[0] == digests[1]
