"""What the book's notebooks call: open a chapter, and the few tables only the book shows."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.provenance import Publisher
from ketrev.synthesis import vote_count
from ketrev.tabulate import study_directions

__all__ = ["chapter", "clinical_findings", "key_sentences", "selection_note", "study_explorer_table"]


def chapter(data_dir: str | Path, inclusion_set: str, output_dir: str | Path, notebook: str) -> tuple[Evidence, Publisher]:
    """Load and select the evidence for a notebook, and the publisher of its figures and tables."""
    evidence = select(load_evidence(data_dir), load_inclusion(data_dir, inclusion_set))
    return evidence, Publisher(output_dir, notebook, evidence)


def selection_note(evidence: Evidence) -> Any:
    """Markdown banner naming the inclusion set shown and how it differs from the default."""
    from IPython.display import Markdown

    inclusion = load_inclusion(evidence.data_dir, evidence.inclusion)
    text = (f"**Inclusion set `{inclusion.name}`** — {html.escape(inclusion.title)}: "
            f"{len(evidence.studies)} studies, {len(evidence.findings)} findings.")
    if inclusion.name != DEFAULT:
        everything = load_evidence(evidence.data_dir)
        left_out = len(everything.studies) - len(evidence.studies)
        text += (f" It leaves out {left_out} of the {len(everything.studies)} studies of the default set "
                 f"`{DEFAULT}` ({html.escape(inclusion.description)})")
    return Markdown(text)


def key_sentences(evidence: Evidence, /, *, molecules: int = 3) -> list[str]:
    """Three sentences that answer the review's question from the data, for the home page.

    Returns
    -------
    list of str
        How many studies of which kinds; which molecules most studies report rising, with
        the vote; how many molecules keep a significant majority after Holm adjustment.
    """
    studies = evidence.studies
    kinds = studies["evidence_type"].value_counts()
    labels = {"cell_culture": "cell-culture", "animal": "animal", "human": "clinical"}
    parts = ", ".join(f"{n} {labels.get(k, k)}" for k, n in kinds.items())
    votes = vote_count(study_directions(evidence.findings_long())).merge(
        evidence.molecules[["molecule", "label"]], on="molecule", how="left")
    top = votes.sort_values(["n_studies", "n_increase"], ascending=False).head(molecules)
    described = "; ".join(f"{r.label} rose in {r.n_increase} of {r.n_studies}" for r in top.itertuples())
    significant = votes[votes["significant"]]
    up = significant.loc[significant["proportion_increase"] > 0.5, "label"].tolist()
    down = significant.loc[significant["proportion_increase"] < 0.5, "label"].tolist()
    if up or down:
        verdict = "; ".join(part for part in (
            f"significantly more studies reported an increase than a decrease for {', '.join(up)}" if up else "",
            f"significantly more reported a decrease for {', '.join(down)}" if down else "") if part)
    else:
        verdict = "no molecule showed a significant majority of studies in one direction"
    return [
        f"The evidence base holds {len(studies)} studies ({parts}) reporting "
        f"{len(evidence.findings)} molecular changes after ketamine.",
        f"The most studied molecules were {', '.join(top['label'])}: {described} studies.",
        f"After Holm adjustment of the sign tests across {len(votes)} molecules, {verdict}.",
    ]


def clinical_findings(evidence: Evidence, /) -> pd.DataFrame:
    """Findings of the clinical studies: who, what was measured where, in which direction.

    Returns
    -------
    DataFrame
        ``study_id``, ``model`` (patient group), ``ketamine_form``, ``molecule``,
        ``measure``, ``region``, ``direction``, ``timepoint_h``, sorted by molecule.
    """
    long = evidence.findings_long()
    human = long[long["evidence_type"] == "human"]
    cols = ["study_id", "model", "ketamine_form", "molecule", "measure", "region", "direction", "timepoint_h"]
    return human[cols].sort_values(["molecule", "study_id"], ignore_index=True)


def study_explorer_table(evidence: Evidence, /) -> pd.DataFrame:
    """One row per finding with its study's characteristics, for the interactive explorer.

    Returns
    -------
    DataFrame
        ``study``, ``year``, ``evidence_type``, ``model``, ``molecule``, ``family``,
        ``measure``, ``region``, ``direction``, ``title``, ``journal``, ``record`` (URL),
        sorted by year, study and molecule.
    """
    long = evidence.findings_long().merge(
        evidence.studies[["study_id", "title", "journal", "source_url"]], on="study_id", how="left")
    out = long.rename(columns={"study_id": "study", "source_url": "record"})[
        ["study", "year", "evidence_type", "model", "molecule", "family", "measure", "region", "direction", "title",
         "journal", "record"]]
    return out.sort_values(["year", "study", "molecule"], ignore_index=True)
