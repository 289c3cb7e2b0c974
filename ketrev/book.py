"""What the book's notebooks call: open a chapter, say what it shows, and the tables only the book needs.

Everything here that reaches a page is HTML built from escaped text: titles, labels and
descriptions come from data and are never interpolated into Markdown.
"""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.provenance import Publisher
from ketrev.views import Labels, labels_for, natural_key

__all__ = [
    "REVIEW_LAST_YEAR",
    "REVIEW_STUDIES",
    "chapter",
    "clinical_findings",
    "coverage",
    "key_findings",
    "labelled",
    "study_explorer_table",
    "study_labels",
]

#: Publications the review included (Kang, Hawken & Vazquez 2022), and the last year its search covered.
REVIEW_STUDIES = 139
REVIEW_LAST_YEAR = 2021


_loaded: dict[Path, Evidence] = {}


def _everything(data_dir: str | Path) -> Evidence:
    """The whole evidence base of a data folder, read once per notebook run."""
    key = Path(data_dir).resolve()
    if key not in _loaded:
        _loaded[key] = load_evidence(data_dir)
    return _loaded[key]


def chapter(data_dir: str | Path, inclusion_set: str, output_dir: str | Path, notebook: str) -> tuple[Evidence, Publisher]:
    """Load and select the evidence for a notebook, and the publisher of its figures and tables."""
    _loaded.clear()  # a chapter reads the data afresh
    evidence = select(_everything(data_dir), load_inclusion(data_dir, inclusion_set))
    return evidence, Publisher(output_dir, notebook, evidence)


def _html(text: str) -> Any:
    from IPython.display import HTML  # only notebooks display

    return HTML(text)


def coverage(evidence: Evidence, /) -> Any:
    """The statement every chapter opens with: what this evidence base is and how far to trust it.

    Computed from the data: the inclusion set, its studies of the review's 139 by evidence
    type, the studies published since the review, how the studies were coded, and the
    method (vote counting by direction; no effect sizes; certainty not graded).
    """
    e = html.escape
    everything = _everything(evidence.data_dir)
    inclusion = load_inclusion(evidence.data_dir, evidence.inclusion)
    studies, findings = evidence.studies, evidence.findings
    kinds = studies["evidence_type"].value_counts()
    labels = labels_for(evidence)
    by_kind = ", ".join(f"{kinds.get(k, 0)} {labels.value('evidence_type', k).lower()}"
                        for k in ("cell_culture", "animal", "human"))
    newer_all = int((everything.studies["year"] > REVIEW_LAST_YEAR).sum())
    newer_here = int((studies["year"] > REVIEW_LAST_YEAR).sum())
    in_window = len(studies) - newer_here
    abstracts = int((studies["coded_from"] == "abstract").sum())
    inferred = int((findings["measure_basis"] == "inferred").sum())
    since = (f"{in_window} published up to {REVIEW_LAST_YEAR} and {newer_here} since (after the review's search)"
             if newer_here else
             f"all published up to {REVIEW_LAST_YEAR}; the {newer_all} studies published since are in the set "
             '“updated” (<a href="../book/comparisons.html">Inclusion sets compared</a>)')
    left_out = ""
    if inclusion.name != DEFAULT:
        default = select(everything, load_inclusion(evidence.data_dir, DEFAULT))
        missing = len(set(default.studies["study_id"]) - set(studies["study_id"]))
        left_out = f" It leaves out {missing} of the {len(default.studies)} studies of the default book."
    items = [
        f"<strong>A reconstruction, not the review's own data.</strong> The review included {REVIEW_STUDIES} "
        f"publications; its extraction sheet is not public, so each study here was found again and coded from "
        f"its public record.",
        f"<strong>This book: “{e(inclusion.title)}”</strong> — {len(studies)} studies ({by_kind}) with "
        f"{len(findings)} molecular findings; {since}.{e(left_out)}",
        f"<strong>Coded from abstracts</strong> ({abstracts} of {len(studies)} studies); for {inferred} of "
        f"{len(findings)} findings the measure was inferred from wording such as “expression”.",
        "<strong>Vote counting by direction of effect</strong>: studies are counted by the direction each reported; "
        'no effect sizes are pooled and the certainty of evidence is not graded (<a href="../book/methods.html">'
        "Methods</a>).",
    ]
    body = "".join(f"<li>{item}</li>" for item in items)
    return _html(f'<aside class="ketrev-coverage" aria-label="What this book shows"><ul>{body}</ul></aside>')


def key_findings(summary: pd.DataFrame, labels: Labels, /, *, top: int = 3) -> Any:
    """The answer in brief, computed from the summary of findings, with its denominators named.

    ``summary`` is :func:`ketrev.summary.summary_of_findings`. Every "k of n" says that n
    counts the studies reporting a direction (increase or decrease), and how many measured
    the molecule.
    """
    e = html.escape
    if summary.empty:
        return _html('<div class="ketrev-answer"><p>No study of this selection reports a molecular finding.</p></div>')
    measured = summary.sort_values(["n_voted", "n_studies"], ascending=False).head(top)
    counts = "; ".join(f"{e(labels.value('molecule', r.molecule))} rose in {r.n_increase} of the {r.n_voted} studies "
                       f"that reported a direction ({r.n_studies} measured it)" for r in measured.itertuples())
    consistent = summary[summary["rule"].str.startswith("consistent")]
    named = summary[summary["review"] != "Not named"]
    agree = int((named["agrees"] == "Yes").sum())
    few = int((named["agrees"] == "Too few studies").sum())
    sentences = [
        f"The most studied molecules: {counts}.",
        ("After Holm adjustment across every molecule, the majority direction is significant for "
         + ", ".join(e(labels.value("molecule", m)) for m in consistent["molecule"]) + "."
         if len(consistent) else
         "After Holm adjustment across every molecule, no molecule shows a significant majority in one direction."),
        f"Of the {len(named)} molecules the review names as of highest interest, this evidence base agrees that "
        f"most studies report an increase for {agree}; {few} have too few studies with a direction to say.",
    ]
    return _html('<div class="ketrev-answer">' + "".join(f"<p>{s}</p>" for s in sentences) + "</div>")


def labelled(table: pd.DataFrame, labels: Labels, /, columns: list[str]) -> pd.DataFrame:
    """A copy of ``table`` with the ids of ``columns`` replaced by their labels (for a figure's axes)."""
    out = table.copy()
    for col in columns:
        out[col] = out[col].map(lambda v, c=col: labels.value(c, v))
    return out


def study_labels(studies: pd.DataFrame, /) -> pd.Series:
    """How readers see a study: ``Surname et al. 2016``, or ``Journal 2016`` when no record names the
    authors (``PMID n 2016`` when none names the journal either); repeated labels get the study id's
    letter (``Zheng et al. 2021a``). Indexed by study id."""
    surname = studies["first_author"].str.rsplit(" ", n=1).str[0]
    fallback = ("PMID " + studies["pmid"]).where(studies["pmid"] != "", studies["study_id"])
    who = surname.where(studies["first_author"] != "", studies["journal"].where(studies["journal"] != "", fallback))
    base = who.where(studies["first_author"] == "", surname + " et al.") + " " + studies["year"].astype(str)
    suffix = studies["study_id"].str.extract(r"[0-9]{4}([a-z])$")[0].fillna("")
    repeated = base.duplicated(keep=False)
    label = base.where(~repeated, base + suffix)
    still = label.duplicated(keep=False)
    label = label.where(~still, label + " (" + studies["study_id"] + ")")
    return pd.Series(label.to_numpy(), index=studies["study_id"].to_numpy())


def clinical_findings(evidence: Evidence, /) -> pd.DataFrame:
    """Findings of the clinical studies: who, what was measured where, in which direction.

    Returns
    -------
    DataFrame
        ``study`` (reader label), ``study_id``, ``model`` (patient group), ``ketamine_form``,
        ``molecule``, ``measure``, ``region``, ``direction``, ``timepoint_h``, sorted by
        molecule and study.
    """
    long = evidence.findings_long()
    human = long[long["evidence_type"] == "human"].copy()
    human.insert(0, "study", human["study_id"].map(study_labels(evidence.studies)))
    cols = ["study", "study_id", "model", "ketamine_form", "molecule", "label", "measure", "region", "direction",
            "timepoint_h"]
    human = human[cols].sort_values(["label", "study"], key=natural_key, ignore_index=True)
    return human.drop(columns="label")


def study_explorer_table(evidence: Evidence, labels: Labels, /) -> pd.DataFrame:
    """One row per finding with its study's characteristics in words, for the interactive explorer.

    Returns
    -------
    DataFrame
        ``Study``, ``Year``, ``Evidence``, ``Model``, ``Molecule``, ``Family``, ``Measure``,
        ``Tissue``, ``Direction``, ``Title``, ``Record`` (URL): the reader's words, sorted
        by year and study.
    """
    long = evidence.findings_long().merge(evidence.studies[["study_id", "title", "source_url"]], on="study_id",
                                          how="left")
    long["study"] = long["study_id"].map(study_labels(evidence.studies))
    long = long.rename(columns={"source_url": "record"})
    long = long.sort_values(["year", "study"], key=lambda s: natural_key(s) if s.dtype == object else s, ignore_index=True)
    cols = ["study", "year", "evidence_type", "model", "molecule", "family", "measure", "region", "direction", "title",
            "record"]
    out = long[cols].copy()
    for col in ("evidence_type", "model", "molecule", "family", "measure", "region", "direction"):
        out[col] = out[col].map(partial(labels.cell, col))
    out["title"] = out["title"].replace("", "title not shown in the record read")
    return out.rename(columns={c: labels.column(c) for c in cols})
