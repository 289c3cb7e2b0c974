"""Figures of the evidence base, one consistent colour-blind-safe style, deterministic files.

Every ``plot_*`` function takes a tidy table, returns a :class:`matplotlib.figure.Figure`,
and follows the same steps: check the input → style → reshape → draw.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

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


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    with plt.rc_context(style()["rc"]):
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {', '.join(missing)}")


def plot_evidence_map(counts: pd.DataFrame, /, *, row: str = "molecule", column: str = "evidence_type") -> Figure:
    """Evidence map: number of studies per molecule and evidence type, coloured by net direction.

    Parameters
    ----------
    counts
        :func:`ketrev.tabulate.direction_counts` by ``[row, column]``.

    Notes
    -----
    Net direction = (increase − decrease) / studies, from −1 (all down) to +1 (all up).
    """
    _require(counts, [row, column, "n_studies", "n_increase", "n_decrease"], "an evidence map")
    studies = counts.pivot_table(index=row, columns=column, values="n_studies", aggfunc="sum", fill_value=0)
    net = counts.assign(net=(counts["n_increase"] - counts["n_decrease"]) / counts["n_studies"])
    net = net.pivot_table(index=row, columns=column, values="net", aggfunc="mean")
    order = studies.sum(axis=1).sort_values(ascending=False, kind="stable").index
    studies, net = studies.loc[order], net.reindex(index=order, columns=studies.columns)
    labels = style()["evidence_types"]
    fig, ax = _figure(1.6 + 1.1 * studies.shape[1], 0.9 + 0.28 * studies.shape[0])
    cmap = LinearSegmentedColormap.from_list("net", style()["net_direction_cmap"])
    image = ax.imshow(net.to_numpy(dtype=float), cmap=cmap, vmin=-1, vmax=1, aspect="auto")
    strength = np.abs(net.to_numpy(dtype=float))
    for (i, j), n in np.ndenumerate(studies.to_numpy()):
        if n:
            colour = "white" if strength[i, j] > 0.6 else "black"
            ax.text(j, i, str(n), ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(studies.shape[1]), [labels.get(c, {}).get("label", c) for c in studies.columns])
    ax.set_yticks(range(studies.shape[0]), list(studies.index))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.colorbar(image, ax=ax, shrink=0.6, label="Net direction\n(−1 all down, +1 all up)")
    return fig


def plot_effect_direction(directions: pd.DataFrame, /, *, row: str = "study_id", column: str = "family") -> Figure:
    """Effect direction plot (Thomson & Thomas 2013): studies × molecule families.

    Parameters
    ----------
    directions
        :func:`ketrev.tabulate.study_directions` by family (``study_id``, ``family``,
        ``direction``); an optional ``evidence_type`` column orders the rows.

    Notes
    -----
    ▲ increase, ▼ decrease, ● no change, ◆ mixed. Thomson HJ, Thomas S. The effect
    direction plot. Res Synth Methods 2013;4:95-101.
    """
    _require(directions, [row, column, "direction"], "an effect direction plot")
    sort = [c for c in ("evidence_type", row) if c in directions.columns]
    rows = list(dict.fromkeys(directions.sort_values(sort)[row]))
    cols = sorted(directions[column].unique())
    marks = style()["directions"]
    fig, ax = _figure(1.8 + 0.7 * len(cols), 0.8 + 0.17 * len(rows))
    y = {name: i for i, name in enumerate(rows)}
    x = {name: j for j, name in enumerate(cols)}
    for direction, spec in marks.items():
        part = directions[directions["direction"] == direction]
        ax.scatter(part[column].map(x), part[row].map(y), marker=spec["marker"], color=spec["color"],
                   s=36, label=spec["label"], edgecolors="black", linewidths=0.3)
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows, fontsize=6)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(-0.5, len(cols) - 0.5)
    ax.grid(True, color="#EEEEEE", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, frameon=False, fontsize=7)
    return fig


def plot_vote_counts(votes: pd.DataFrame, /, *, label: str = "molecule") -> Figure:
    """Forest-style plot of the proportion of studies reporting an increase, with Wilson CIs.

    Parameters
    ----------
    votes
        :func:`ketrev.synthesis.vote_count` output; rows without a direction are skipped.
    """
    _require(votes, [label, "proportion_increase", "ci_low", "ci_high", "n_increase", "n_decrease"], "a vote-count plot")
    data = votes.dropna(subset=["proportion_increase"]).sort_values("proportion_increase", kind="stable")
    fig, ax = _figure(6.0, 0.9 + 0.25 * len(data))
    ypos = np.arange(len(data))
    colour = style()["directions"]["increase"]["color"]
    ax.hlines(ypos, data["ci_low"], data["ci_high"], color=colour, linewidth=1.2)
    voted = data["n_increase"] + data["n_decrease"]
    ax.scatter(data["proportion_increase"], ypos, s=12 + 6 * voted, color=colour, edgecolors="black", linewidths=0.3, zorder=3)
    ax.axvline(0.5, color="#888888", linestyle="--", linewidth=0.8)
    ax.set_yticks(ypos, [f"{name} ({up}/{n})" for name, up, n in zip(data[label], data["n_increase"], voted)])
    ax.set_xlim(0, 1)
    ax.set_xlabel("Proportion of studies with an increase (95% Wilson CI)")
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
    ax.legend(frameon=False)
    return fig


def plot_prisma(counts: pd.DataFrame, /) -> Figure:
    """PRISMA 2020 flow diagram from :func:`ketrev.prisma.prisma_counts`."""
    _require(counts, ["box", "stage", "label", "n"], "a PRISMA diagram")
    n = dict(zip(counts["box"], counts["n"]))
    reasons = counts[counts["box"].str.startswith("excluded_") | (counts["box"] == "not_selected")]
    fig, ax = _figure(7.0, 5.2)
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    box = {"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "#444444"}

    def draw(x: float, y: float, text: str) -> None:
        ax.text(x, y, text, ha="center", va="center", fontsize=8, bbox=box, wrap=True)

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "#444444"})

    draw(2.6, 8.8, f"{counts.loc[counts['box'] == 'identified', 'label'].iat[0]}\n(n = {n['identified']})")
    draw(7.4, 8.8, f"Records removed before screening:\nrepeats and off-target results\n(n = {n['removed_before_screening']})")
    draw(2.6, 5.6, f"Records screened\n(n = {n['screened']})")
    lines = "\n".join(f"{label}: {count}" for label, count in zip(reasons["label"], reasons["n"]))
    draw(7.4, 5.6, f"Records excluded (n = {n['excluded']})\n{lines}")
    draw(2.6, 2.0, f"Studies included\n(n = {n['included']})")
    arrow(4.3, 8.8, 5.6, 8.8)
    arrow(2.6, 8.1, 2.6, 6.2)
    arrow(4.0, 5.6, 5.3, 5.6)
    arrow(2.6, 5.0, 2.6, 2.6)
    for y, stage in ((8.8, "Identification"), (5.6, "Screening"), (2.0, "Included")):
        ax.text(0.05, y, stage, rotation=90, ha="center", va="center", fontsize=8, weight="bold")
    return fig


def save_figure(fig: Figure, path_stem: str | Path) -> list[Path]:
    """Save a figure as SVG and PNG, byte-identical for identical input; return the paths.

    The SVG carries no date and a fixed hash salt; the PNG no software or date metadata.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".svg"), stem.with_suffix(".png")]
    with plt.rc_context(style()["rc"]):
        fig.savefig(paths[0], format="svg", metadata={"Date": None, "Creator": None})
        fig.savefig(paths[1], format="png", metadata={"Software": None})
    return paths




def plot_specification_curve(runs: pd.DataFrame, /, *, unit: str, by: str = "molecule",
                             choices: list[str] | None = None) -> Figure:
    """Specification curve (Simonsohn et al. 2020) of one unit across the multiverse.

    Parameters
    ----------
    runs
        :func:`ketrev.robustness.multiverse` output.
    unit
        The molecule (or family) to draw.
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
    top.set_ylabel("Proportion increase")
    top.set_title(f"{unit}: {len(shown)} evaluable specifications, {len(mine) - len(shown)} with too few studies",
                  fontsize=9, loc="left")
    for row, (decision, option) in enumerate(labels):
        hits = x[(shown[decision] == option).to_numpy()]
        bottom.scatter(hits, np.full(len(hits), row), marker="|", s=20, color="black", linewidths=0.6)
    bottom.set_yticks(range(len(labels)), [f"{d}: {o}" for d, o in labels], fontsize=6)
    bottom.set_ylim(len(labels) - 0.5, -0.5)
    bottom.set_xlabel("Specifications, sorted by proportion increase")
    return fig
