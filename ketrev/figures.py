"""Figures of the evidence base, one consistent colour-blind-safe style, deterministic files.

Every ``plot_*`` function takes a tidy table whose labels are already words (the caller
passes reader labels), returns a :class:`matplotlib.figure.Figure`, and follows the same
steps: check the input → style → reshape → draw. Heatmaps and categorical charts use
seaborn; the PRISMA diagram is drawn box by box so that its arrows meet their boxes.
"""

from __future__ import annotations

import itertools
import textwrap
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # figures are files; never open a window

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import yaml
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ketrev.text import fold

__all__ = [
    "plot_effect_direction",
    "plot_evidence_map",
    "plot_prisma",
    "plot_specification_curve",
    "plot_studies_per_year",
    "plot_vote_counts",
    "save_figure",
    "style",
]


@cache
def style() -> dict[str, Any]:
    """Return the figure style (``style.yml``): direction markers, palettes, rc settings."""
    return yaml.safe_load(resources.files("ketrev").joinpath("style.yml").read_text(encoding="utf-8"))


def _figure(width: float, height: float, **kwargs: Any) -> tuple[Figure, Any]:
    with plt.rc_context(style()["rc"]):
        return plt.subplots(figsize=(width, height), layout="constrained", **kwargs)


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {', '.join(missing)}")


def _nothing(what: str) -> Figure:
    """A small figure saying there is nothing to draw (a selection without findings)."""
    fig, ax = _figure(5, 1)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"No {what} in this selection.", ha="center", va="center")
    return fig


def _evidence_label(kind: str) -> str:
    return style()["evidence_types"].get(kind, {}).get("label", kind)


def plot_evidence_map(counts: pd.DataFrame, /, *, row: str = "molecule", column: str = "evidence_type") -> Figure:
    """Evidence map: number of studies per molecule and evidence type, coloured by net direction.

    Parameters
    ----------
    counts
        :func:`ketrev.tabulate.direction_counts` by ``[row, column]``; ``row`` holds the
        names to show (molecule labels), ``column`` evidence-type ids.

    Notes
    -----
    Net direction = (increase − decrease) / studies, from −1 (all down) to +1 (all up).
    Rows are ordered by the number of studies, then by name. A seaborn heatmap.
    """
    _require(counts, [row, column, "n_studies", "n_increase", "n_decrease"], "an evidence map")
    if counts.empty:
        return _nothing("molecule measured")
    kinds = [k for k in style()["evidence_types"] if k in set(counts[column])]
    studies = counts.pivot_table(index=row, columns=column, values="n_studies", aggfunc="sum", fill_value=0)
    studies = studies.reindex(columns=kinds, fill_value=0)
    net = counts.assign(net=(counts["n_increase"] - counts["n_decrease"]) / counts["n_studies"])
    net = net.pivot_table(index=row, columns=column, values="net", aggfunc="mean").reindex_like(studies)
    order = sorted(studies.index, key=lambda name: (-studies.loc[name].sum(), str(name).casefold()))
    studies, net = studies.loc[order], net.loc[order]
    fig, ax = _figure(2.6 + 1.15 * len(kinds), 1.0 + 0.3 * len(order))
    cmap = LinearSegmentedColormap.from_list("net", style()["net_direction_cmap"])
    annot = studies.astype(int).astype(str).where(studies > 0, "")
    with plt.rc_context(style()["rc"]):
        sns.heatmap(net.astype(float), ax=ax, cmap=cmap, vmin=-1, vmax=1, center=0, annot=annot, fmt="",
                    mask=studies.to_numpy() == 0, linewidths=0.6, linecolor="white",
                    cbar_kws={"label": "Net direction (−1 all decrease, +1 all increase)", "shrink": 0.7},
                    annot_kws={"fontsize": 8})
    ax.set_xticklabels([_evidence_label(k) for k in studies.columns], rotation=0)
    ax.set_yticklabels(list(studies.index), rotation=0)
    ax.set_xlabel("Studies per evidence type (number in the cell)")
    ax.set_ylabel("")
    ax.tick_params(length=0)
    return fig


def plot_effect_direction(directions: pd.DataFrame, /, *, row: str = "study", column: str = "family",
                          columns: list[str] | None = None) -> Figure:
    """Effect direction plot (Thomson & Thomas 2013): studies × molecule families, one panel per evidence type.

    Parameters
    ----------
    directions
        :func:`ketrev.tabulate.study_directions` by family with ``evidence_type``; ``row``
        holds the study labels to show (author and year), ``column`` the family names.
    columns
        The families in display order (default: sorted).

    Notes
    -----
    ▲ increase, ▼ decrease, ● no change, ◆ mixed. Thomson HJ, Thomas S. The effect
    direction plot. Res Synth Methods 2013;4:95-101.
    """
    _require(directions, [row, column, "direction", "evidence_type"], "an effect direction plot")
    if directions.empty:
        return _nothing("finding")
    cols = columns or sorted(directions[column].unique(), key=str.casefold)
    kinds = [k for k in style()["evidence_types"] if k in set(directions["evidence_type"])]
    # rows sorted as readers expect: case and accents ignored
    rows = {k: sorted(directions.loc[directions["evidence_type"] == k, row].unique(), key=fold) for k in kinds}
    heights = [max(len(r), 1) + 1.2 for r in rows.values()]
    fig, axes = _figure(3.0 + 0.62 * len(cols), 2.4 + 0.19 * sum(heights), nrows=len(kinds), sharex=True,
                        height_ratios=heights, squeeze=False)
    marks = style()["directions"]
    x = {name: j for j, name in enumerate(cols)}
    names = ["\n".join(textwrap.wrap(c, 14)) for c in cols]
    for i, (ax, kind) in enumerate(zip(axes[:, 0], kinds)):
        part = directions[directions["evidence_type"] == kind]
        y = {name: k for k, name in enumerate(rows[kind])}
        for direction, spec in marks.items():
            hit = part[part["direction"] == direction]
            ax.scatter(hit[column].map(x), hit[row].map(y), marker=spec["marker"], color=spec["color"], s=34,
                       label=spec["label"], edgecolors="black", linewidths=0.3, zorder=3)
        ax.set_yticks(range(len(rows[kind])), rows[kind], fontsize=8)
        ax.set_ylim(len(rows[kind]) - 0.5, -0.5)
        n = len(rows[kind])
        ax.set_title(f"{_evidence_label(kind)} ({n} {'study' if n == 1 else 'studies'})", loc="left", fontsize=9,
                     weight="bold")
        ax.grid(True, color="#EEEEEE", linewidth=0.5)
        ax.set_axisbelow(True)
        # family names above the first panel and below the last, so a tall figure reads from either end
        ax.tick_params(axis="x", labeltop=i == 0, labelbottom=i == len(kinds) - 1, top=i == 0)
    axes[-1, 0].set_xlim(-0.5, len(cols) - 0.5)
    axes[-1, 0].set_xticks(range(len(cols)), names, fontsize=7.5)
    for ax in (axes[0, 0], axes[-1, 0]):
        plt.setp(ax.get_xticklabels(), rotation=45, ha="left" if ax is axes[0, 0] and len(kinds) > 1 else "right",
                 rotation_mode="anchor")
    handles = [plt.Line2D([], [], marker=s["marker"], color=s["color"], markeredgecolor="black", markeredgewidth=0.3,
                          linestyle="", label=s["label"]) for s in marks.values()]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=8)
    return fig


def plot_vote_counts(votes: pd.DataFrame, /, *, label: str = "molecule") -> Figure:
    """Forest-style plot of the proportion of studies reporting an increase, with Wilson CIs.

    Parameters
    ----------
    votes
        :func:`ketrev.synthesis.vote_count` output; rows without a direction are skipped.
        Each row is labelled ``name (k/n)``: k studies reporting an increase of n studies
        with a direction (increase or decrease).
    """
    _require(votes, [label, "proportion_increase", "ci_low", "ci_high", "n_increase", "n_decrease"], "a vote-count plot")
    data = votes.dropna(subset=["proportion_increase"]).sort_values(["proportion_increase", label], kind="stable")
    fig, ax = _figure(6.4, 1.3 + 0.26 * len(data))
    ypos = np.arange(len(data))
    colour = style()["directions"]["increase"]["color"]
    ax.hlines(ypos, data["ci_low"], data["ci_high"], color=colour, linewidth=1.2)
    voted = data["n_increase"] + data["n_decrease"]
    ax.scatter(data["proportion_increase"], ypos, s=12 + 6 * voted, color=colour, edgecolors="black", linewidths=0.3, zorder=3)
    ax.axvline(0.5, color="#888888", linestyle="--", linewidth=0.8)
    ax.set_yticks(ypos, [f"{name} ({up}/{n})" for name, up, n in zip(data[label], data["n_increase"], voted)])
    ax.set_xlim(-0.03, 1.03)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Studies reporting an increase, of those with a direction (95% Wilson CI)\n"
                  "Label: increases / studies with a direction")
    return fig


def plot_studies_per_year(studies: pd.DataFrame, /) -> Figure:
    """Stacked bars of included studies per publication year and evidence type."""
    _require(studies, ["year", "evidence_type"], "a studies-per-year plot")
    types = style()["evidence_types"]
    counts = pd.crosstab(studies["year"], studies["evidence_type"]).reindex(columns=list(types), fill_value=0)
    years = range(int(studies["year"].min()), int(studies["year"].max()) + 1)
    counts = counts.reindex(years, fill_value=0)
    fig, ax = _figure(6.5, 3.0)
    bottom = np.zeros(len(counts))
    for kind, spec in types.items():
        ax.bar(counts.index, counts[kind], bottom=bottom, color=spec["color"], label=spec["label"])
        bottom += counts[kind].to_numpy()
    ax.set_xlabel("Publication year")
    ax.set_ylabel("Studies")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(frameon=False)
    return fig


_BOX = {"facecolor": "white", "edgecolor": "#444444", "linewidth": 0.8}
_STAGE = {"facecolor": "#DCE9F5", "edgecolor": "none"}


def plot_prisma(counts: pd.DataFrame, /) -> Figure:
    """PRISMA 2020 flow diagram (new review, databases) from :func:`ketrev.prisma.prisma_counts`.

    Left column: identification → screening → retrieval → eligibility → included; right
    column: what left at each step, reasons ordered by count. Boxes are drawn with known
    extents, so every arrow starts and ends on a box edge.
    """
    _require(counts, ["box", "stage", "label", "n"], "a PRISMA diagram")
    n = dict(zip(counts["box"], counts["n"]))
    label = dict(zip(counts["box"], counts["label"]))

    def reasons(prefix: str) -> str:
        part = counts[counts["box"].str.startswith(prefix)]
        return "\n".join(f"  {text}: {k}" for text, k in zip(part["label"], part["n"]))

    left = [
        ("identified", f"{label['identified']}\n(n = {n['identified']:,})", 1.0),
        ("screened", f"Records screened\n(n = {n['screened']})", 1.0),
        ("sought", f"Reports sought for retrieval\n(n = {n['sought']})", 1.0),
        ("assessed", f"Reports assessed for eligibility\n(n = {n['assessed']})", 1.0),
        ("included", f"Studies in the evidence base\n(n = {n['in_evidence_base']})"
                     + (f"\nOutside inclusion set: {n['not_selected']}" if "not_selected" in n else "")
                     + f"\nIncluded in this book (n = {n['included']})", 1.6),
    ]
    right = {
        "identified": f"Records removed before screening:\n  {label['removed_duplicates']}: {n['removed_duplicates']}\n"
                      f"  {label['removed_unscreened']}: {n['removed_unscreened']:,}",
        "screened": f"Records excluded (n = {n['excluded_screening']})\n{reasons('screening:')}",
        "sought": "Reports not retrieved\n(no traceable record,\nor no result shown)\n" f"(n = {n['not_retrieved']})",
        "assessed": f"Reports excluded (n = {n['excluded_eligibility']})\n{reasons('eligibility:')}",
    }
    heights = {key: 0.6 + 0.24 * max(text.count("\n"), right.get(key, "").count("\n")) for key, text, _ in left}
    gap = 0.45
    total = sum(heights.values()) + gap * (len(left) - 1)
    fig, ax = _figure(7.2, 0.6 + 0.95 * total)
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(-total - 0.1, 0.1)
    lx, lw, rx, rw = 1.0, 3.9, 5.6, 4.3
    y = 0.0
    centres = {}
    for key, text, _ in left:
        h = heights[key]
        ax.add_patch(FancyBboxPatch((lx, y - h), lw, h, boxstyle="square,pad=0", **_BOX))
        ax.text(lx + lw / 2, y - h / 2, text, ha="center", va="center", fontsize=9.5)
        if key in right:
            ax.add_patch(FancyBboxPatch((rx, y - h), rw, h, boxstyle="square,pad=0", **_BOX))
            ax.text(rx + 0.12, y - h / 2, right[key], ha="left", va="center", fontsize=8.5)
            ax.annotate("", xy=(rx, y - h / 2), xytext=(lx + lw, y - h / 2),
                        arrowprops={"arrowstyle": "-|>", "color": "#444444", "shrinkA": 0, "shrinkB": 0})
        centres[key] = (y, y - h)
        y -= h + gap
    keys = [k for k, _, _ in left]
    for upper, lower in itertools.pairwise(keys):
        ax.annotate("", xy=(lx + lw / 2, centres[lower][0]), xytext=(lx + lw / 2, centres[upper][1]),
                    arrowprops={"arrowstyle": "-|>", "color": "#444444", "shrinkA": 0, "shrinkB": 0})
    stages = [("Identification", ["identified"]), ("Screening", ["screened", "sought", "assessed"]),
              ("Included", ["included"])]
    for name, members in stages:
        top, bottom = centres[members[0]][0], centres[members[-1]][1]
        ax.add_patch(FancyBboxPatch((0.05, bottom), 0.6, top - bottom, boxstyle="square,pad=0", **_STAGE))
        ax.text(0.35, (top + bottom) / 2, name, rotation=90, ha="center", va="center", fontsize=9, weight="bold")
    return fig


def save_figure(fig: Figure, path_stem: str | Path) -> list[Path]:
    """Save a figure as SVG and PNG, byte-identical for identical input; return the paths.

    The SVG carries no date and a fixed hash salt; the PNG no software or date metadata.
    The constrained layout keeps every label inside the figure; it is computed in one draw
    and then frozen, so that each file costs one more draw, not a layout of its own.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".svg"), stem.with_suffix(".png")]
    with plt.rc_context(style()["rc"]):
        fig.canvas.draw()
        fig.set_layout_engine("none")  # keep the positions of that draw
        fig.savefig(paths[0], format="svg", metadata={"Date": None, "Creator": None})
        fig.savefig(paths[1], format="png", metadata={"Software": None})
    plt.close(fig)
    return paths


def plot_specification_curve(runs: pd.DataFrame, /, *, unit: str, title: str, by: str = "molecule",
                             choices: list[str] | None = None) -> Figure:
    """Specification curve (Simonsohn et al. 2020) of one unit across the multiverse.

    Parameters
    ----------
    runs
        :func:`ketrev.robustness.multiverse` output.
    unit
        The molecule (or family) id to draw; ``title`` names it for the reader.
    choices
        Decision columns shown in the lower panel (default: every column between
        ``spec_id`` and ``by`` that varies among the unit's evaluable specifications).

    Notes
    -----
    Upper panel: proportion of studies reporting an increase with its Wilson 95% CI, one
    point per evaluable specification, sorted. Lower panel: which option of each decision
    the specification took. Specifications with too few studies are counted in the title.
    """
    _require(runs, [by, "proportion_increase", "ci_low", "ci_high", "evaluable", "spec_id"], "a specification curve")
    mine = runs[runs[by] == unit]
    shown = mine[mine["evaluable"]].sort_values(["proportion_increase", "spec_id"], kind="stable")
    decisions = choices or [c for c in runs.columns[1:runs.columns.get_loc(by)] if shown[c].nunique() > 1]
    labels = [(d, o) for d in decisions for o in sorted(shown[d].unique(), key=lambda o: (o != "all", o))]
    with plt.rc_context(style()["rc"]):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 3.2 + 0.16 * len(labels)), sharex=True,
                                          layout="constrained", height_ratios=[3, max(1.0, 0.12 * len(labels))])
    x = np.arange(len(shown))
    colour = style()["directions"]["increase"]["color"]
    top.vlines(x, shown["ci_low"], shown["ci_high"], color="#BBBBBB", linewidth=0.6)
    top.scatter(x, shown["proportion_increase"], s=6, color=colour, zorder=3)
    top.axhline(0.5, color="#888888", linestyle="--", linewidth=0.8)
    top.set_ylim(0, 1)
    top.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    top.set_ylabel("Studies increasing\n(of those with a direction)")
    top.set_title(f"{title}: {len(shown)} evaluable specifications, {len(mine) - len(shown)} with too few studies",
                  fontsize=9, loc="left")
    for row, (decision, option) in enumerate(labels):
        hits = x[(shown[decision] == option).to_numpy()]
        bottom.scatter(hits, np.full(len(hits), row), marker="|", s=20, color="black", linewidths=0.6)
    bottom.set_yticks(range(len(labels)), [f"{d.capitalize()}: {o}" for d, o in labels], fontsize=6.5)
    bottom.set_ylim(len(labels) - 0.5, -0.5)
    bottom.set_xlabel("Specifications, sorted by the share of studies increasing")
    return fig
