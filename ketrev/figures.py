"""Figures of the evidence base, one consistent colour-blind-safe style, deterministic files.

Every ``plot_*`` function takes a tidy table whose labels are already words (the caller
passes reader labels), returns a :class:`matplotlib.figure.Figure`, and follows the same
steps: check the input → style → reshape → draw. Heatmaps and categorical charts use
seaborn; the PRISMA diagram is drawn box by box so that its arrows meet their boxes.
"""

from __future__ import annotations

import functools
import itertools
import textwrap
import warnings
from collections.abc import Callable
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
    "MIN_FONT",
    "WIDTH",
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


#: Every figure's width in inches: 9-point text stays at least 11 px on a 390 px phone screen.
WIDTH = 3.8
#: The smallest font size any figure uses (points).
MIN_FONT = 9


def _styled(plot: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw a figure inside the book's style: every text is created with mathtext off, so a ``$``
    in data stays a dollar sign."""
    @functools.wraps(plot)
    def styled(*args: Any, **kwargs: Any) -> Figure:
        with plt.rc_context(style()["rc"]):
            fig = plot(*args, **kwargs)
        fig.ketrev_drawn_by = f"{plot.__module__}.{plot.__name__}"  # the book links the function's source
        return fig
    return styled


def _figure(width: float, height: float, **kwargs: Any) -> tuple[Figure, Any]:
    return plt.subplots(figsize=(width, height), layout="constrained", **kwargs)


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {', '.join(missing)}")


def _nothing(what: str) -> Figure:
    """A small figure saying there is nothing to draw (a selection without findings)."""
    fig, ax = _figure(WIDTH, 0.8)
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"No {what} in this selection.", ha="center", va="center")
    return fig


def _evidence_label(kind: str) -> str:
    return style()["evidence_types"].get(kind, {}).get("label", kind)


@_styled
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
    Rows are ordered by the number of studies, then by name. A seaborn heatmap, its colour
    bar under the map so that the map keeps the width of a phone screen.
    """
    _require(counts, [row, column, "n_studies", "n_increase", "n_decrease"], "an evidence map")
    if counts.empty:
        return _nothing("molecule measured")
    kinds = [k for k in style()["evidence_types"] if k in set(counts[column])]
    studies = counts.pivot_table(index=row, columns=column, values="n_studies", aggfunc="sum", fill_value=0)
    studies = studies.reindex(columns=kinds, fill_value=0)
    net = counts.assign(net=(counts["n_increase"] - counts["n_decrease"]) / counts["n_studies"])
    net = net.pivot_table(index=row, columns=column, values="net", aggfunc="mean").reindex_like(studies)
    order = sorted(studies.index, key=lambda name: (-studies.loc[name].sum(), fold(str(name))))
    studies, net = studies.loc[order], net.loc[order]
    fig, ax = _figure(WIDTH, 1.6 + 0.34 * len(order))  # two lines of a wrapped label fit a row
    cmap = LinearSegmentedColormap.from_list("net", style()["net_direction_cmap"])
    annot = studies.astype(int).astype(str).where(studies > 0, "")
    sns.heatmap(net.astype(float), ax=ax, cmap=cmap, vmin=-1, vmax=1, center=0, annot=annot, fmt="",
                mask=studies.to_numpy() == 0, linewidths=0.6, linecolor="white",
                cbar_kws={"label": "Net direction\n−1 all decrease, +1 all increase", "orientation": "horizontal",
                          "location": "bottom", "shrink": 0.9, "pad": 0.02, "aspect": 25},
                annot_kws={"fontsize": MIN_FONT})
    ax.set_xticklabels(["\n".join(_evidence_label(k).split()) for k in studies.columns], rotation=0)
    ax.xaxis.tick_top()
    ax.set_yticklabels(["\n".join(textwrap.wrap(str(name), 30)) for name in studies.index], rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(length=0)
    return fig


@_styled
def plot_effect_direction(directions: pd.DataFrame, /, *, row: str = "study", column: str = "family",
                          columns: list[str] | None = None) -> Figure:
    """Effect direction plot (Thomson & Thomas 2013): studies × molecule families, one panel per evidence type.

    Parameters
    ----------
    directions
        :func:`ketrev.tabulate.study_directions` by family with ``evidence_type``; ``row``
        holds the study labels to show (first author and year), ``column`` the family names.
    columns
        The families in display order (default: sorted).

    Notes
    -----
    ▲ increase, ▼ decrease, ● no change, ◆ mixed. Every panel carries the family names
    above it, so a long figure reads anywhere; the figure is as narrow as a phone screen.
    Thomson HJ, Thomas S. The effect direction plot. Res Synth Methods 2013;4:95-101.
    """
    _require(directions, [row, column, "direction", "evidence_type"], "an effect direction plot")
    if directions.empty:
        return _nothing("finding")
    cols = columns or sorted(directions[column].unique(), key=str.casefold)
    kinds = [k for k in style()["evidence_types"] if k in set(directions["evidence_type"])]
    # rows sorted as readers expect: case and accents ignored
    rows = {k: sorted(directions.loc[directions["evidence_type"] == k, row].unique(), key=fold) for k in kinds}
    header = 0.11 * max(len(c) for c in cols) + 0.45  # room for the rotated family names above each panel
    heights = [0.19 * max(len(r), 1) + header for r in rows.values()]
    fig, axes = _figure(WIDTH, 0.5 + sum(heights), nrows=len(kinds), height_ratios=heights, squeeze=False)
    marks = style()["directions"]
    x = {name: j for j, name in enumerate(cols)}
    for ax, kind in zip(axes[:, 0], kinds):
        part = directions[directions["evidence_type"] == kind]
        y = {name: k for k, name in enumerate(rows[kind])}
        for direction, spec in marks.items():
            hit = part[part["direction"] == direction]
            ax.scatter(hit[column].map(x), hit[row].map(y), marker=spec["marker"], color=spec["color"], s=30,
                       label=spec["label"], edgecolors="black", linewidths=0.3, zorder=3)
        ax.set_yticks(range(len(rows[kind])), rows[kind], fontsize=MIN_FONT)
        ax.set_ylim(len(rows[kind]) - 0.5, -0.5)
        ax.set_xlim(-0.5, len(cols) - 0.5)
        ax.set_xticks(range(len(cols)), cols, fontsize=MIN_FONT, rotation=90)
        ax.tick_params(axis="x", labeltop=True, labelbottom=False, top=True, bottom=False)
        n = len(rows[kind])
        title = ax.set_title(f"{_evidence_label(kind)} ({n} {'study' if n == 1 else 'studies'})", loc="left",
                             fontsize=MIN_FONT + 1, weight="bold", x=-0.9 if len(cols) > 6 else 0, pad=4)
        title.set_in_layout(False)  # a title reaches over the labels; the family names above make its room
        ax.grid(True, color="#EEEEEE", linewidth=0.5)
        ax.set_axisbelow(True)
    handles = [plt.Line2D([], [], marker=s["marker"], color=s["color"], markeredgecolor="black", markeredgewidth=0.3,
                          linestyle="", label=s["label"]) for s in marks.values()]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False, fontsize=MIN_FONT)
    return fig


_DOT_SIZES = (3, 10, 30)


def _dot(n: Any) -> Any:
    return 10 + 5 * np.asarray(n, dtype=float)


@_styled
def plot_vote_counts(outcomes: pd.DataFrame, /, *, alpha: float = 0.05) -> Figure:
    """Forest-style plot of the share of studies reporting an increase, with Wilson CIs.

    Parameters
    ----------
    outcomes
        :func:`ketrev.summary.outcome_summary` rows (``label``, ``analysis``, ``group``,
        ``n_voted``, ``n_increase``, ``proportion_increase``, ``ci_low``, ``ci_high``, ``p``);
        rows without a direction are skipped.

    Notes
    -----
    Rows are grouped as the summary of findings groups them and sorted by the number of
    studies with a direction within each group; each is labelled ``name (k/n)``: k studies
    reporting an increase of n with a direction. A dot's area grows with n (legend). A
    filled dark dot marks a molecule the review names whose Holm-adjusted sign test is
    significant; exploratory outcomes are never marked.
    """
    _require(outcomes, ["label", "analysis", "group", "n_voted", "n_increase", "proportion_increase", "ci_low",
                        "ci_high", "p"], "a vote-count plot")
    data = outcomes.dropna(subset=["proportion_increase"])
    if data.empty:
        return _nothing("study with a direction")
    groups = list(dict.fromkeys(data["group"]))
    data = data.assign(_g=data["group"].map({g: i for i, g in enumerate(groups)}))
    data = data.sort_values(["_g", "n_voted", "label"], ascending=[True, False, True], kind="stable")
    names = ["\n".join(textwrap.wrap(f"{name}{'' if kind == 'confirmatory' else '*'} ({up}/{n})", 26))
             for name, kind, up, n in zip(data["label"], data["analysis"], data["n_increase"], data["n_voted"])]
    rows = np.array([0.6 + 0.45 * name.count("\n") + 0.4 for name in names])  # a row's height grows with its lines
    ypos = np.cumsum(rows) - rows / 2
    fig, ax = _figure(WIDTH, 2.2 + 0.22 * rows.sum())
    colour = style()["directions"]["increase"]["color"]
    significant = ((data["analysis"] == "confirmatory") & (data["p"] < alpha)).to_numpy()
    ax.hlines(ypos, data["ci_low"], data["ci_high"], color=colour, linewidth=1.1)
    ax.scatter(data["proportion_increase"][~significant], ypos[~significant], s=_dot(data["n_voted"][~significant]),
               color="white", edgecolors=colour, linewidths=1.0, zorder=3)
    ax.scatter(data["proportion_increase"][significant], ypos[significant], s=_dot(data["n_voted"][significant]),
               color="#222222", edgecolors="#222222", linewidths=1.0, zorder=3)
    ax.axvline(0.5, color="#888888", linestyle="--", linewidth=0.8)
    for edge in (np.cumsum(rows)[:-1])[(data["_g"].to_numpy()[1:] != data["_g"].to_numpy()[:-1])]:
        ax.axhline(edge, color="#DDDDDD", linewidth=0.8)  # between pathways
    ax.set_yticks(ypos, names, fontsize=MIN_FONT)
    ax.set_ylim(rows.sum(), 0)
    ax.set_xlim(-0.03, 1.03)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Studies reporting an increase, of those\nwith a direction (Wilson 95% CI)", loc="right")
    sizes = [plt.Line2D([], [], marker="o", markersize=float(np.sqrt(_dot(n))), markerfacecolor="white",
                        markeredgecolor=colour, linestyle="", label=f"{n} studies") for n in _DOT_SIZES]
    filled = plt.Line2D([], [], marker="o", color="#222222", linestyle="", label="Significant (Holm,\nreview's molecules)")
    fig.legend(handles=[*sizes, filled], loc="outside lower center", ncol=2, frameon=False, fontsize=MIN_FONT,
               title="Label: increases / studies with a direction;\n* exploratory (unadjusted, never marked)",
               title_fontsize=MIN_FONT)
    return fig


@_styled
def plot_studies_per_year(studies: pd.DataFrame, /) -> Figure:
    """Stacked bars of included studies per publication year and evidence type."""
    _require(studies, ["year", "evidence_type"], "a studies-per-year plot")
    types = style()["evidence_types"]
    counts = pd.crosstab(studies["year"], studies["evidence_type"]).reindex(columns=list(types), fill_value=0)
    years = range(int(studies["year"].min()), int(studies["year"].max()) + 1)
    counts = counts.reindex(years, fill_value=0)
    fig, ax = _figure(WIDTH, 2.8)
    bottom = np.zeros(len(counts))
    for kind, spec in types.items():
        ax.bar(counts.index, counts[kind], bottom=bottom, color=spec["color"], label=spec["label"])
        bottom += counts[kind].to_numpy()
    ax.set_xlabel("Publication year")
    ax.set_ylabel("Studies")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=6))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(frameon=False)
    return fig


_BOX = {"facecolor": "white", "edgecolor": "#444444", "linewidth": 0.8}
_STAGE = {"facecolor": "#DCE9F5", "edgecolor": "none"}
_PAD = 0.1  # inches of white around the text inside a PRISMA box


@_styled
def plot_prisma(counts: pd.DataFrame, /) -> Figure:
    """PRISMA 2020 flow diagram (new review, databases) from :func:`ketrev.prisma.prisma_counts`.

    Left column: identification → screening → retrieval → eligibility → included; right
    column: what left at each step, reasons ordered by count. Every box is sized from the
    measured extent of its text, so any count fits; every arrow starts and ends on a box
    edge.
    """
    _require(counts, ["box", "stage", "label", "n"], "a PRISMA diagram")
    n = dict(zip(counts["box"], counts["n"]))
    label = dict(zip(counts["box"], counts["label"]))

    def reasons(prefix: str) -> str:
        part = counts[counts["box"].str.startswith(prefix)]
        return "\n".join(f"  {text}: {k:,}" for text, k in zip(part["label"], part["n"]))

    left = [
        ("identified", f"{label['identified']}\n(n = {n['identified']:,})"),
        ("screened", f"{label['screened']}\n(n = {n['screened']:,})"),
        ("sought", f"{label['sought']}\n(n = {n['sought']:,})"),
        ("assessed", f"{label['assessed']}\n(n = {n['assessed']:,})"),
        ("included", f"{label['in_evidence_base']}\n(n = {n['in_evidence_base']:,})"
                     + (f"\n{label['not_selected']}: {n['not_selected']:,}" if "not_selected" in n else "")
                     + f"\n{label['included']}\n(n = {n['included']:,})"),
    ]
    right = {
        "identified": f"Records removed before screening:\n  {label['removed_duplicates']}: {n['removed_duplicates']:,}\n"
                      f"  {label['removed_unscreened']}: {n['removed_unscreened']:,}",
        "screened": f"{label['excluded_screening']} (n = {n['excluded_screening']:,})\n{reasons('screening:')}",
        "sought": "\n".join(textwrap.wrap(label["not_retrieved"], 30)) + f"\n(n = {n['not_retrieved']:,})",
        "assessed": f"{label['excluded_eligibility']} (n = {n['excluded_eligibility']:,})\n{reasons('eligibility:')}",
    }
    fig = plt.figure(layout=None)
    renderer = fig.canvas.get_renderer()

    def extent(text: str, size: float) -> tuple[float, float]:
        """Width and height of a text, in inches."""
        probe = fig.text(0, 0, text, fontsize=size, ha="left", va="bottom", linespacing=1.3)
        box = probe.get_window_extent(renderer)
        probe.remove()
        return box.width / fig.dpi, box.height / fig.dpi

    left_size, right_size = MIN_FONT + 0.5, MIN_FONT
    lsize = {key: extent(text, left_size) for key, text in left}
    rsize = {key: extent(text, right_size) for key, text in right.items()}
    stage_w, gap_x, gap_y, margin = 0.3, 0.35, 0.3, 0.1
    lw = max(w for w, _ in lsize.values()) + 2 * _PAD
    rw = max(w for w, _ in rsize.values()) + 2 * _PAD
    heights = {key: max(lsize[key][1], rsize.get(key, (0, 0))[1]) + 2 * _PAD for key, _ in left}
    stages = [("Identification", ["identified"]), ("Screening", ["screened", "sought", "assessed"]),
              ("Included", ["included"])]
    for name, members in stages:  # a stage's band holds its name written upwards
        short = extent(name, MIN_FONT)[0] + 2 * _PAD - sum(heights[m] for m in members) - gap_y * (len(members) - 1)
        heights[members[0]] += max(short, 0)
    width = margin + stage_w + 0.1 + lw + gap_x + rw + margin
    height = sum(heights.values()) + gap_y * (len(left) - 1) + 2 * margin
    fig.set_size_inches(width, height)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width)
    ax.set_ylim(-height, 0)
    lx = margin + stage_w + 0.1
    rx = lx + lw + gap_x
    y = -margin
    edges = {}
    for key, text in left:
        h = heights[key]
        ax.add_patch(FancyBboxPatch((lx, y - h), lw, h, boxstyle="square,pad=0", **_BOX))
        ax.text(lx + lw / 2, y - h / 2, text, ha="center", va="center", fontsize=left_size, linespacing=1.3,
                multialignment="center")
        if key in right:
            ax.add_patch(FancyBboxPatch((rx, y - h), rw, h, boxstyle="square,pad=0", **_BOX))
            ax.text(rx + _PAD, y - h / 2, right[key], ha="left", va="center", fontsize=right_size, linespacing=1.3)
            ax.annotate("", xy=(rx, y - h / 2), xytext=(lx + lw, y - h / 2),
                        arrowprops={"arrowstyle": "-|>", "color": "#444444", "shrinkA": 0, "shrinkB": 0})
        edges[key] = (y, y - h)
        y -= h + gap_y
    keys = [k for k, _ in left]
    for upper, lower in itertools.pairwise(keys):
        ax.annotate("", xy=(lx + lw / 2, edges[lower][0]), xytext=(lx + lw / 2, edges[upper][1]),
                    arrowprops={"arrowstyle": "-|>", "color": "#444444", "shrinkA": 0, "shrinkB": 0})
    for name, members in stages:
        top, bottom = edges[members[0]][0], edges[members[-1]][1]
        ax.add_patch(FancyBboxPatch((margin, bottom), stage_w, top - bottom, boxstyle="square,pad=0", **_STAGE))
        ax.text(margin + stage_w / 2, (top + bottom) / 2, name, rotation=90, ha="center", va="center",
                fontsize=MIN_FONT, weight="bold")
    return fig


def save_figure(fig: Figure, path_stem: str | Path) -> list[Path]:
    """Save a figure as SVG and PNG, byte-identical for identical input; return the paths.

    The SVG carries no date and a fixed hash salt; the PNG no software or date metadata.
    One raster draw at the PNG's resolution computes the layout and is the PNG; the layout
    is then frozen and the SVG costs one more draw. Warnings of the drawing (a glyph missing
    from the font, say) are not printed: they would reach the page with the machine's paths.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.image import imsave

    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".svg"), stem.with_suffix(".png")]
    with plt.rc_context(style()["rc"]), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig.set_dpi(style()["rc"]["savefig.dpi"])
        for axis in (axis for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) if not axis.label.get_text()):
            axis.set_label_coords(0.5, 0.5)  # an empty label is not placed: spares measuring every tick label for it
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        imsave(paths[1], np.asarray(canvas.buffer_rgba()), format="png", metadata={"Software": None})
        fig.set_layout_engine("none")  # keep the positions of that draw
        fig.savefig(paths[0], format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


@_styled
def plot_specification_curve(runs: pd.DataFrame, /, *, unit: str, title: str, by: str = "outcome",
                             choices: list[str] | None = None, names: dict[str, str] | None = None) -> Figure:
    """Specification curve (Simonsohn et al. 2020) of one unit across the multiverse.

    Parameters
    ----------
    runs
        :func:`ketrev.robustness.multiverse` output.
    unit
        The outcome (or molecule, or family) id to draw; ``title`` names it for the reader.
    choices
        Decision columns shown in the lower panel (default: every column between
        ``spec_id`` and ``by`` that varies among the unit's evaluable specifications).
    names
        The words for the decisions (default: the column names, capitalised).

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
    rows: list[tuple[str, str | None]] = []  # a decision's name, then its options under it
    for d in decisions:
        rows += [(d, None)] + [(d, o) for o in sorted(shown[d].unique(), key=lambda o: (o != "all", o))]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(WIDTH, 3.2 + 0.17 * len(rows)), sharex=True,
                                      layout="constrained", height_ratios=[3, max(1.0, 0.14 * len(rows))])
    x = np.arange(len(shown))
    colour = style()["directions"]["increase"]["color"]
    top.vlines(x, shown["ci_low"], shown["ci_high"], color="#BBBBBB", linewidth=0.6)
    top.scatter(x, shown["proportion_increase"], s=6, color=colour, zorder=3)
    top.axhline(0.5, color="#888888", linestyle="--", linewidth=0.8)
    top.set_ylim(0, 1)
    top.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    top.set_ylabel("Studies increasing\n(of those with a direction)")
    top.set_title("\n".join(textwrap.wrap(f"{title}: {len(shown):,} evaluable specifications, "
                                          f"{len(mine) - len(shown):,} with too few studies", 34)),
                  fontsize=MIN_FONT, loc="left")
    taken = np.array([np.zeros(len(shown)) if o is None else (shown[d] == o).to_numpy(dtype=float) for d, o in rows])
    bottom.imshow(taken.reshape(len(rows), -1), aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
                  extent=(-0.5, len(shown) - 0.5, len(rows) - 0.5, -0.5))  # one image, not a mark per specification
    names = names or {}
    bottom.set_yticks(range(len(rows)), [names.get(d, d.capitalize()) if o is None else o for d, o in rows],
                      fontsize=MIN_FONT)
    for tick, (_, option) in zip(bottom.get_yticklabels(), rows):
        tick.set_fontweight("bold" if option is None else "normal")
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlabel("Specifications, sorted by\nthe share of studies increasing")
    return fig
