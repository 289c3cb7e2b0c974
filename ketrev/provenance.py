"""Publish every figure and table of the book through one call that saves and records it.

A :class:`Publisher` writes a figure as SVG + PNG, or a table as CSV, under a stable name
in the output folder, appends a record to the notebook's manifest (caption, notebook,
inclusion set, sha256 of the inputs, ketrev version, git commit, the study ids behind it),
and returns an HTML block for display: the figure or table, its caption, and a one-line
source note linking the data file and the audit entry.
"""

from __future__ import annotations

import html
import json
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ketrev import __version__
from ketrev.evidence import Evidence
from ketrev.views import labels_for, reader_view, render_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Publisher", "code_anchor", "code_link", "git_commit", "read_manifest"]

#: Where published files live, relative to the root of the built book.
OUTPUTS_URL = "outputs"


def code_anchor(qualified: str) -> str:
    """The anchor of a library function on the book's code pages: ``ketrev.figures.plot_prisma`` →
    ``code-figures-plot-prisma`` (a class gets ``-class``: anchors ignore case)."""
    kind = "-class" if qualified.rpartition(".")[2][:1].isupper() else ""
    return "code-" + qualified.removeprefix("ketrev.").replace(".", "-").replace("_", "-").lower() + kind


def code_link(qualified: str) -> str:
    """Where the book shows the source of a library function, relative to the book's root:
    ``code/figures.html#code-figures-plot-prisma``."""
    module = qualified.rpartition(".")[0].removeprefix("ketrev.")
    return f"code/{module}.html#{code_anchor(qualified)}"


@cache
def git_commit(root: str = ".") -> str:
    """The commit of the working tree (``unknown`` outside git), with ``+dirty`` for local changes."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


@dataclass
class Publisher:
    """Saves and records the figures and tables of one notebook.

    Parameters
    ----------
    output_dir
        The build folder of the inclusion set (``build/<set>``): files go to
        ``outputs/figures`` and ``outputs/tables``, records to ``manifest/<notebook>.json``.
    notebook
        Stem of the notebook publishing (e.g. ``03-molecules``).
    evidence
        The selected evidence: gives the inclusion set and the input checksums.
    """

    output_dir: str | Path
    notebook: str
    evidence: Evidence
    records: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        self.labels = labels_for(self.evidence)
        self._manifest = self.output_dir / "manifest" / f"{self.notebook}.json"
        self._manifest.parent.mkdir(parents=True, exist_ok=True)
        self._manifest.write_text("[]\n")  # a re-run starts the notebook's record afresh

    def figure(self, fig: Figure, name: str, caption: str, *, data: pd.DataFrame, studies: pd.Series | list[str]) -> Any:
        """Save ``fig`` as ``outputs/figures/NAME.{svg,png}`` and the table it draws as
        ``outputs/tables/NAME.csv``; record both and return the figure for display."""
        from ketrev.figures import save_figure

        csv = self._save_table(data, name)
        paths = save_figure(fig, self.output_dir / "outputs" / "figures" / name)
        # the page links the PNG the book publishes beside it (not a copy inside the page)
        body = (f'<img src="../{OUTPUTS_URL}/figures/{html.escape(paths[1].name)}" alt="{html.escape(caption)}" '
                'class="ketrev-image">')
        return self._publish("figure", name, caption, studies, [csv, *paths], body,
                             drawn_by=getattr(fig, "ketrev_drawn_by", None))

    def table(self, table: pd.DataFrame, name: str, caption: str, *, studies: pd.Series | list[str],
              columns: list[str] | None = None, fold: pd.Series | None = None, fold_label: str = "") -> Any:
        """Save ``table`` as ``outputs/tables/NAME.csv``, record it and return its reader view for display.

        ``columns`` are the data columns a reader needs (the CSV keeps all of them); rows
        where ``fold`` is true are shown folded under ``fold_label`` (e.g. the molecules
        measured in one study only).
        """
        csv = self._save_table(table, name)
        view = reader_view(table, self.labels, columns=columns)
        folded = fold.to_numpy(dtype=bool) if fold is not None else None
        if folded is None or not folded.any():
            body = render_table(view, label=caption)
        else:
            body = (render_table(view[~folded], label=caption)
                    + f'<details class="ketrev-fold"><summary>{html.escape(fold_label)}</summary>'
                    + render_table(view[folded], label=fold_label) + "</details>")
        return self._publish("table", name, caption, studies, [csv], body)

    def _save_table(self, table: pd.DataFrame, name: str) -> Path:
        path = self.output_dir / "outputs" / "tables" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, lineterminator="\n")
        return path

    def _publish(self, kind: str, name: str, caption: str, studies: Any, paths: list[Path], body: str,
                 drawn_by: str | None = None) -> Any:
        from IPython.display import HTML  # only notebooks display; the library does not need IPython

        ids = sorted(set(studies))
        files = [f"{OUTPUTS_URL}/{p.parent.name}/{p.name}" for p in paths]
        record = {
            "name": name, "kind": kind, "caption": caption, "notebook": self.notebook,
            "anchor": f"ketrev-{name}", "inclusion": self.evidence.inclusion, "files": files,
            "n_studies": len(ids), "study_ids": ids,
            "input_sha256": self.evidence.checksums, "data_sha256": self.evidence.data_checksum,
            "ketrev_version": __version__, "git_commit": git_commit(), **({"drawn_by": drawn_by} if drawn_by else {}),
        }
        self.records = [r for r in self.records if r["name"] != name] + [record]
        self._manifest.write_text(json.dumps(self.records, indent=1) + "\n")
        data = f'<a href="../{files[0]}">data (CSV)</a>'
        images = "".join(f' · <a href="../{f}">{Path(f).suffix[1:].upper()}</a>' for f in files[1:])
        code = (f' · drawn by <a href="../{html.escape(code_link(drawn_by))}"><code>{html.escape(drawn_by)}</code></a>'
                if drawn_by else "")
        note = (f'<p class="ketrev-source">{data}{images} · made by <a href="#cell-{html.escape(name)}">this code cell</a>'
                f'{code} · <a href="../book/audit.html#{record["anchor"]}">audit entry</a></p>')
        if kind == "figure":  # a figure's caption goes under it, a table's above it
            inside = f'{body}<figcaption class="ketrev-caption">{html.escape(caption)}</figcaption>{note}'
            block = f'<figure id="{record["anchor"]}" class="ketrev-figure">{inside}</figure>'
        else:
            inside = f'<p class="ketrev-caption">{html.escape(caption)}</p>{body}{note}'
            block = f'<div id="{record["anchor"]}" class="ketrev-table-block">{inside}</div>'
        return HTML(block)


def read_manifest(output_dir: str | Path) -> list[dict[str, Any]]:
    """All records of an inclusion set's build, in notebook order."""
    folder = Path(output_dir) / "manifest"
    return [rec for path in sorted(folder.glob("*.json")) for rec in json.loads(path.read_text())]
