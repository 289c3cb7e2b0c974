"""Publish every figure and table of the book through one call that saves and records it.

A :class:`Publisher` writes a figure as SVG + PNG, or a table as CSV, under a stable name
in the output folder, appends a record to the notebook's manifest (caption, notebook,
inclusion set, sha256 of the inputs, ketrev version, git commit, the study ids behind it),
and returns an HTML block for display: the figure or table, its caption, and a one-line
source note linking the data file and the audit entry.
"""

from __future__ import annotations

import base64
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

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Publisher", "git_commit", "read_manifest"]

#: Where published files live, relative to the root of the built book.
OUTPUTS_URL = "outputs"


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
        self._manifest = self.output_dir / "manifest" / f"{self.notebook}.json"
        self._manifest.parent.mkdir(parents=True, exist_ok=True)
        self._manifest.write_text("[]\n")  # a re-run starts the notebook's record afresh

    def figure(self, fig: Figure, name: str, caption: str, *, studies: pd.Series | list[str]) -> Any:
        """Save ``fig`` as ``outputs/figures/NAME.{svg,png}``, record it and return it for display."""
        from ketrev.figures import save_figure

        paths = save_figure(fig, self.output_dir / "outputs" / "figures" / name)
        png = base64.b64encode(paths[1].read_bytes()).decode()
        body = (f'<img src="data:image/png;base64,{png}" alt="{html.escape(caption)}" '
                f'style="max-width:100%;height:auto">')
        return self._publish("figure", name, caption, studies, paths, body)

    def table(self, table: pd.DataFrame, name: str, caption: str, *, studies: pd.Series | list[str],
              decimals: int = 3) -> Any:
        """Save ``table`` as ``outputs/tables/NAME.csv``, record it and return it for display."""
        path = self.output_dir / "outputs" / "tables" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, lineterminator="\n")
        body = (f'<div class="ketrev-scroll" style="overflow-x:auto" tabindex="0" role="region" '
                f'aria-label="{html.escape(caption)}">'
                + table.to_html(index=False, escape=True, na_rep="", float_format=lambda x: f"{x:.{decimals}f}",
                                classes="ketrev-table", border=0) + "</div>")
        return self._publish("table", name, caption, studies, [path], body)

    def _publish(self, kind: str, name: str, caption: str, studies: Any, paths: list[Path], body: str) -> Any:
        from IPython.display import HTML  # only notebooks display; the library does not need IPython

        ids = sorted(set(studies))
        files = [f"{OUTPUTS_URL}/{p.parent.name}/{p.name}" for p in paths]
        record = {
            "name": name, "kind": kind, "caption": caption, "notebook": self.notebook,
            "anchor": f"ketrev-{name}", "inclusion": self.evidence.inclusion, "files": files,
            "n_studies": len(ids), "study_ids": ids,
            "input_sha256": self.evidence.checksums, "data_sha256": self.evidence.data_checksum,
            "ketrev_version": __version__, "git_commit": git_commit(),
        }
        self.records = [r for r in self.records if r["name"] != name] + [record]
        self._manifest.write_text(json.dumps(self.records, indent=1) + "\n")
        links = " · ".join(f'<a href="../{f}">{html.escape(Path(f).suffix[1:].upper())}</a>' for f in files)
        note = (f'<p class="ketrev-source">Source: notebook <code>{self.notebook}</code>, this cell · '
                f'data: {links} · <a href="../book/audit.html#{record["anchor"]}">audit entry</a> · '
                f'inclusion set <code>{html.escape(record["inclusion"])}</code></p>')
        outer, inner = ("figure", "figcaption") if kind == "figure" else ("div", "p")
        block = (f'<{outer} id="{record["anchor"]}" class="ketrev-{kind}">{body}'
                 f'<{inner} class="ketrev-caption">{html.escape(caption)}</{inner}>{note}</{outer}>')
        return HTML(block)


def read_manifest(output_dir: str | Path) -> list[dict[str, Any]]:
    """All records of an inclusion set's build, in notebook order."""
    folder = Path(output_dir) / "manifest"
    return [rec for path in sorted(folder.glob("*.json")) for rec in json.loads(path.read_text())]
