import hashlib

import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from ketrev import figures, load_evidence
from ketrev.book import labelled, study_labels
from ketrev.prisma import prisma_counts
from ketrev.summary import outcome_summary
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
        "votes": figures.plot_vote_counts(outcome_summary(ev)),
        "prisma": figures.plot_prisma(prisma_counts(ev)),
        "years": figures.plot_studies_per_year(ev.studies),
    }


def test_evidence_map_cells_show_study_counts_and_words(ev):
    counts = direction_counts(study_directions(ev.findings_long(), strata=["evidence_type"]), by=["molecule", "evidence_type"])
    ax = figures.plot_evidence_map(labelled(counts, labels_for(ev), ["molecule"])).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["BDNF", "mTOR"]  # most studied first
    assert [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()] == ["Cell culture", "Animal", "Clinical"]
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
    assert "Alpha 2010" in labels and len(labels) == directions["study"].nunique()
    assert labels[-2:] == ["Épsilon 2018", "Zeta 2020"]  # accents do not sort last
    families = {t.get_text() for ax in panels for t in ax.get_xticklabels()}
    assert all({t.get_text() for t in ax.get_xticklabels()} == families for ax in panels)  # headers on every panel


def test_vote_plot_groups_rows_labels_votes_and_marks_the_confirmatory_family_only(ev):
    outcomes = outcome_summary(ev)
    fig = figures.plot_vote_counts(outcomes)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "BDNF (3/3)" in labels and "GSK-3β* (1/1)" in labels  # * marks an exploratory outcome
    assert "of those" in ax.get_xlabel() and "with a direction" in ax.get_xlabel()
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "3 studies" in legend and "Significant (Holm" in legend
    dots = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
    filled = [c for c in dots if tuple(c.get_facecolor()[0][:3]) != (1.0, 1.0, 1.0)]
    significant = outcomes[(outcomes["analysis"] == "confirmatory") & (outcomes["p"] < 0.05)]
    assert sum(len(c.get_offsets()) for c in filled) == len(significant)


def test_prisma_boxes_show_computed_numbers_and_arrows_meet_boxes(ev):
    ax = figures.plot_prisma(prisma_counts(ev)).axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Records screened\n(n = 8)" in texts and "Studies included in this book\n(n = 6)" in texts
    assert "Reports assessed for eligibility\n(n = 7)" in texts
    boxes = [p.get_bbox() for p in ax.patches]
    ends = [(a.xy, a.xyann) for a in ax.texts if hasattr(a, "xyann") and a.arrow_patch is not None]
    assert ends
    for start, end in ends:  # every arrow starts and ends on the edge of a box
        for x, y in (start, end):
            assert any(abs(x - b.x0) < 1e-9 or abs(x - b.x1) < 1e-9 or abs(y - b.y0) < 1e-9 or abs(y - b.y1) < 1e-9
                       for b in boxes if b.x0 - 1e-9 <= x <= b.x1 + 1e-9 and b.y0 - 1e-9 <= y <= b.y1 + 1e-9)


def test_prisma_text_stays_inside_its_box_at_any_count(ev):
    counts = prisma_counts(ev)
    counts["n"] = counts["n"] * 1000 + 12345  # five-digit (and longer) counts
    fig = figures.plot_prisma(counts)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in ax.patches]
    texts = [t for t in ax.texts if t.get_text() and not (hasattr(t, "xyann") and t.arrow_patch is not None)]
    assert any("12,345" in t.get_text() or "13," in t.get_text() for t in texts)
    for text in texts:
        extent = text.get_window_extent(renderer)
        holders = [b for b in boxes if b.contains((extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2)]
        assert holders, text.get_text()
        assert any(b.x0 <= extent.x0 and extent.x1 <= b.x1 and b.y0 <= extent.y0 and extent.y1 <= b.y1
                   for b in holders), text.get_text()


def test_text_from_data_is_never_mathtext_and_never_small(ev):
    directions = family_directions(ev)
    directions["study"] = directions["study"].replace("Alpha 2010", "$x^2$ \\input{/etc/passwd} 2010")
    fig = figures.plot_effect_direction(directions)
    fig.canvas.draw()  # mathtext would fail here on \input, or typeset x^2
    labels = [t for ax in fig.axes for t in ax.get_yticklabels() if "$" in t.get_text()]
    assert labels and all(not t.get_parse_math() for t in labels)
    for fig in all_figures(ev).values():
        sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
                 if t.get_text()]
        assert min(sizes) >= figures.MIN_FONT
        assert fig.get_size_inches()[0] <= max(figures.WIDTH, 8)


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
