"""Reader views: the table a reader sees, made by one function from a data table.

A data table has ids, snake_case columns and full precision, and is what the CSV download
keeps. Its reader view has words: column names and vocabulary ids become their labels
(``labels.yml`` and the vocabularies), numbers are formatted once (percentages with a %
sign, p-values to two significant digits), an empty cell says "not reported", and text
sorts naturally (miR-29b before miR-206). :func:`render_table` turns a view into HTML in
which every cell is escaped text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ketrev.evidence import Evidence
from ketrev.tabulate import natural_key

__all__ = ["COMBINED", "DERIVED_MARK", "NONE", "Labels", "format_count", "format_p", "format_share", "labels_for",
           "natural_key", "p_text", "reader_view", "render_table", "shown_year", "study_labels"]

#: What a missing number shows.
NONE = "—"


@dataclass(frozen=True)
class Labels:
    """Words for column names (``columns``) and for the ids of each vocabulary column (``values``)."""

    columns: dict[str, str]
    values: dict[str, dict[str, str]]
    shares: frozenset[str]
    pvalues: frozenset[str]
    missing: str

    def value(self, column: str, value: Any) -> str:
        """The label of one id (the id itself when it has none)."""
        return self.values.get(column, {}).get(str(value), str(value))

    def cell(self, column: str, value: Any) -> str:
        """What a reader sees in one cell of a vocabulary column: its label, or "not reported" when blank."""
        return self.missing if value == "" or pd.isna(value) else self.value(column, value)

    def column(self, name: str) -> str:
        """The header of one column (a patients' or an animals-and-cells' count says whose it is)."""
        if name in self.columns:
            return self.columns[name]
        for prefix, whose in (("pre_", "Animals and cells"), ("cli_", "Patients")):
            if name.startswith(prefix):
                return f"{whose}: {self.column(name.removeprefix(prefix))}"
        return name.replace("_", " ").capitalize()


@cache
def _base() -> dict[str, Any]:
    return yaml.safe_load(resources.files("ketrev").joinpath("labels.yml").read_text(encoding="utf-8"))


def labels_for(evidence: Evidence) -> Labels:
    """The labels of ``labels.yml`` plus the model and molecule labels of the evidence's vocabularies."""
    base = _base()
    values = {k: dict(v) for k, v in base["values"].items()}
    values["model"] = dict(zip(evidence.models["model"], evidence.models["label"]))
    values["molecule"] = dict(zip(evidence.molecules["molecule"], evidence.molecules["label"]))
    return Labels(base["columns"], values, frozenset(base["shares"]), frozenset(base["pvalues"]), base["missing"])


#: The mark of a year derived from an identifier (no record printed it), explained once on the data page.
DERIVED_MARK = "†"


def shown_year(studies: pd.DataFrame, /) -> pd.Series:
    """A study's year as readers see it: ``2015``, or ``2015†`` when it was derived from an identifier."""
    year = studies["year"].astype(str)
    return year.where(studies["year_basis"] == "printed", year + DERIVED_MARK)


def _first_words(title: str, limit: int = 22) -> str:
    """The first words of a title, at most ``limit`` characters (at least one word)."""
    words, out = title.split(), ""
    for word in words:
        if out and len(out) + 1 + len(word) > limit:
            break
        out = f"{out} {word}".strip()
    return out.rstrip(".,:;")


def study_labels(studies: pd.DataFrame, /) -> pd.Series:
    """How readers see a study: ``Surname Year`` (the first author); when no record names the authors,
    the first words of the title and the year (``"Transgenerational impairment of…" 2017``), never an
    identifier or a journal; a derived year carries its mark; repeated labels get the study id's letter
    (``Zheng 2021a``). Indexed by study id.

    Examples
    --------
    >>> s = pd.DataFrame({"study_id": ["li2010", "pmid1", "zheng2021a", "zheng2021b"],
    ...                   "first_author": ["Li N", "", "Zheng W", "Zheng W"], "year": [2010, 2017, 2021, 2021],
    ...                   "year_basis": ["printed", "pmid", "printed", "printed"],
    ...                   "title": ["", "Transgenerational impairment of hippocampal signalling", "", ""]})
    >>> study_labels(s).tolist()
    ['Li 2010', '“Transgenerational…” 2017†', 'Zheng 2021a', 'Zheng 2021b']
    """
    surname = studies["first_author"].str.rsplit(" ", n=1).str[0]
    words = studies["title"].map(_first_words)
    untitled = "Study"
    who = surname.where(studies["first_author"] != "", ("“" + words + "…”").where(studies["title"] != "", untitled))
    base = who + " " + studies["year"].astype(str)
    suffix = studies["study_id"].str.extract(r"[0-9]{4}([a-z])$")[0].fillna("")
    label = base.where(~base.duplicated(keep=False), base + suffix)
    still = label.duplicated(keep=False)
    label = label.where(~still, label + " (" + (label.groupby(label).cumcount() + 1).astype(str) + ")")
    label = label.where(studies["year_basis"] == "printed", label + DERIVED_MARK)
    return pd.Series(label.to_numpy(), index=studies["study_id"].to_numpy())


def format_share(x: float) -> str:
    """A share from 0 to 1 as a whole percentage: ``0.833`` → ``83%``; missing → ``—``."""
    return NONE if pd.isna(x) else f"{100 * x:.0f}%"


def format_p(p: float) -> str:
    """A p-value as readers and the command line see it: three decimals, ``< 0.001`` below that.

    Examples
    --------
    >>> [format_p(p) for p in (0.00712, 0.21875, 1.0, 0.05, 3e-07, float("nan"))]
    ['0.007', '0.219', '1.000', '0.050', '< 0.001', '—']
    """
    if pd.isna(p):
        return NONE
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float) -> str:
    """A p-value in a sentence: ``p = 0.021``, ``p < 0.001``."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def format_count(n: Any) -> str:
    """A count as a whole number; missing → ``—`` (never ``NaN`` or ``3.0``)."""
    return NONE if pd.isna(n) else str(int(n))


def _proportion(frame: pd.DataFrame) -> pd.Series:
    low, high = frame.get("ci_low"), frame.get("ci_high")
    out = frame["proportion_increase"].map(format_share)
    if low is not None and high is not None:
        ci = [f" ({format_share(a)[:-1]}–{format_share(b)})" if pd.notna(a) else "" for a, b in zip(low, high)]
        out = out + pd.Series(ci, index=frame.index, dtype=object)
    return out


def _joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    return frame[columns].astype(int).astype(str).agg(" / ".join, axis=1)


def _votes_text(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """``12 studies: 10 up, 1 no change, 1 mixed`` (zero counts left out; no study → ``—``)."""
    def one(row: Any) -> str:
        total = int(row[f"{prefix}n_studies"])
        if not total:
            return NONE
        parts = [f"{int(row[f'{prefix}n_{d}'])} {w}" for d, w in (("increase", "up"), ("decrease", "down"),
                                                                 ("no_change", "no change"), ("mixed", "mixed"))
                 if row[f"{prefix}n_{d}"]]
        return f"{total} {'study' if total == 1 else 'studies'}: {', '.join(parts)}"

    return frame.apply(one, axis=1) if len(frame) else pd.Series([], index=frame.index, dtype=object)


#: Columns whose empty cell means "none" (nothing to report), not "not reported".
_EMPTY_IS_NONE = frozenset({"association", "loo_breaking_study", "studies"})

#: Reader columns made of several data columns: name → (header, how).
COMBINED = {
    "outcome_name": ("Outcome", lambda t: t["label"] + np.where(t["analysis"] == "exploratory", " (exploratory)", "")),
    "all_votes": ("Studies", lambda t: _votes_text(t, "")),
    "pre_votes": ("Animals and cells", lambda t: _votes_text(t, "pre_")),
    "cli_votes": ("Patients", lambda t: _votes_text(t, "cli_")),
    "state_certainty": ("State of evidence (certainty)",
                        lambda t: t["state_words"] + " (" + t["certainty_words"].str.lower() + " certainty)"),
    "studies_by_evidence": ("Studies (cell culture / animal / clinical)",
                            lambda t: t["n_studies"].astype(str) + " (" + _joined(t, ["n_cell_culture", "n_animal",
                                                                                     "n_human"]) + ")"),
    "votes": ("Increase / decrease / no change", lambda t: _joined(t, ["n_increase", "n_decrease", "n_no_change"])),
    "votes_mixed": ("Increase / decrease / no change / mixed",
                    lambda t: _joined(t, ["n_increase", "n_decrease", "n_no_change", "n_mixed"])),
}


def reader_view(table: pd.DataFrame, labels: Labels, /, *, columns: list[str] | None = None) -> pd.DataFrame:
    """The reader's view of a data table: words for headers and ids, formatted numbers, no blanks.

    Parameters
    ----------
    table
        A data table (ids, snake_case columns).
    labels
        :func:`labels_for` the evidence the table comes from.
    columns
        The data columns the reader needs, in order (default: all), or a name of
        :data:`COMBINED` (e.g. ``votes``: increase / decrease / no change in one cell).
        ``ci_low`` and ``ci_high`` are folded into ``proportion_increase``.

    Returns
    -------
    DataFrame
        Text cells under labelled headers, rows in the table's order.
    """
    out: dict[str, pd.Series] = {}
    for col in columns if columns is not None else list(table.columns):
        if col in ("ci_low", "ci_high"):
            continue
        if col in COMBINED:
            header, how = COMBINED[col]
            out[header] = how(table) if len(table) else pd.Series([], index=table.index, dtype=object)
            continue
        series = table[col]
        if col == "proportion_increase":
            text = _proportion(table)
        elif col in labels.shares:
            text = series.map(format_share)
        elif col in labels.pvalues:
            text = series.map(format_p)
        elif col == "percent":
            text = series.map(lambda x: NONE if pd.isna(x) else f"{x:.0f}%")
        elif col in labels.values:
            text = series.map(partial(labels.cell, col))
        elif series.dtype == bool:
            text = series.map(lambda v: NONE if pd.isna(v) else ("Yes" if v else "No"))
        elif col.startswith(("n_", "pre_n_", "cli_n_")) or col in ("reference_studies", "year"):
            text = series.map(format_count)
        elif pd.api.types.is_numeric_dtype(series):
            text = series.map(lambda v: labels.missing if pd.isna(v) else f"{v:g}")
        else:
            text = series.fillna("").astype(str).replace("", NONE if col in _EMPTY_IS_NONE else labels.missing)
        out[labels.column(col)] = text
    return pd.DataFrame(out, index=table.index).reset_index(drop=True)


#: A cell that reads as a number: a count, a share, a p-value, a proportion with its interval, or nothing.
_NUMBER = r"—|< ?[0-9.]+|[0-9][0-9.,]*%?( \([0-9]+–[0-9]+%\))?"


def render_table(view: pd.DataFrame, /, *, label: str, numeric: set[str] | None = None) -> str:
    """HTML of a reader view: every cell escaped; ``data-label`` on cells lets narrow screens stack rows.

    ``numeric`` names the columns aligned as numbers (default: those whose every cell reads as
    a number); columns with long text are marked ``wide``.
    """
    if numeric is None:
        numeric = {c for c in view.columns if len(view) and view[c].astype(str).str.fullmatch(_NUMBER).all()}
    wide = {c for c in view.columns if len(view) and view[c].astype(str).str.len().max() > 80}

    def attrs(column: str) -> str:
        return ' class="num"' if column in numeric else ' class="wide"' if column in wide else ""

    head = "".join(f'<th scope="col"{attrs(c)}>{html.escape(c)}</th>' for c in view.columns)
    rows = []
    for row in view.itertuples(index=False):
        cells = "".join(f'<td data-label="{html.escape(c)}"{attrs(c)}>{html.escape(str(v))}</td>'
                        for c, v in zip(view.columns, row))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<div class="ketrev-scroll" tabindex="0" role="region" aria-label="{html.escape(label)}">'
            f'<table class="ketrev-table ketrev-stack"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')
