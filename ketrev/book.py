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

from ketrev.analysis import FAMILY_SIZE, MIN_STUDIES
from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.provenance import Publisher
from ketrev.views import DERIVED_MARK, Labels, format_share, labels_for, natural_key, shown_year, study_labels
from ketrev.years import within

__all__ = [
    "REVIEW_LAST_YEAR",
    "REVIEW_STUDIES",
    "answer",
    "chapter",
    "clinical_findings",
    "coverage",
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

    Computed from the data: the inclusion set, its studies (and their share of the review's
    139) by evidence type, the studies published since the review, the findings by kind and
    level, the years derived from identifiers, how the studies were coded, and the method
    (vote counting by direction; no effect sizes).
    """
    e = html.escape
    everything = _everything(evidence.data_dir)
    inclusion = load_inclusion(evidence.data_dir, evidence.inclusion)
    studies, findings = evidence.studies, evidence.findings_long(kind=None)
    kinds = studies["evidence_type"].value_counts()
    labels = labels_for(evidence)
    by_kind = ", ".join(f"{kinds.get(k, 0)} {labels.value('evidence_type', k).lower()}"
                        for k in ("cell_culture", "animal", "human"))
    outside = int((~within(everything.studies, high=REVIEW_LAST_YEAR)).sum())
    newer_here = int((studies["year"] > REVIEW_LAST_YEAR).sum())
    in_window = len(studies) - newer_here
    abstracts = int((studies["coded_from"] == "abstract").sum())
    derived = int((studies["year_basis"] != "printed").sum())
    change = findings["kind"] == "change"
    molecular = int((change & (findings["level"] == "molecular")).sum())
    cellular = int((change & (findings["level"] == "cellular")).sum())
    associations = int((findings["kind"] == "association").sum())
    inferred = int((findings["measure_basis"] == "inferred").sum())
    since = (f"{in_window} published up to {REVIEW_LAST_YEAR} and {newer_here} since (after the review's search)"
             if newer_here else
             f"all published up to {REVIEW_LAST_YEAR} (the review included {REVIEW_STUDIES}); {outside} more of the "
             "evidence base were published since, or have a derived year at the window's edge: the set “updated” adds "
             'those given as a treatment (<a href="../book/comparisons.html">Inclusion sets compared</a>)')
    left_out = ""
    if inclusion.name != DEFAULT:
        default = select(everything, load_inclusion(evidence.data_dir, DEFAULT))
        missing = len(set(default.studies["study_id"]) - set(studies["study_id"]))
        left_out = f" It leaves out {missing} of the {len(default.studies)} studies of the default book."
    items = [
        f"<strong>A reconstruction, not the review's own data.</strong> The review included {REVIEW_STUDIES} "
        f"publications; its extraction sheet is not public, so each study here was found again and coded from "
        f"its public record.",
        f"<strong>This book: “{e(inclusion.title)}”</strong> — {len(studies)} studies ({by_kind}); {since}.{e(left_out)} "
        f"Findings: {molecular} molecular changes, {cellular} cellular changes and {associations} associations of a "
        f"marker with the response (never counted as votes). {derived} years were derived from an identifier "
        f"(marked {DERIVED_MARK}).",
        f"<strong>Coded from abstracts</strong> ({abstracts} of {len(studies)} studies); for {inferred} of "
        f"{len(findings)} findings the measure was inferred from wording such as “expression”.",
        "<strong>Vote counting by direction of effect</strong>: studies are counted by the direction each reported, "
        "not by the size or precision of the effect; no effect sizes are pooled "
        '(<a href="../book/methods.html">Methods</a>).',
    ]
    body = "".join(f"<li>{item}</li>" for item in items)
    return _html(f'<aside class="ketrev-coverage" aria-label="What this book shows"><ul>{body}</ul></aside>')


def _names(rows: pd.DataFrame) -> str:
    names = [html.escape(n) for n in rows["label"]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _holds(rows: pd.DataFrame) -> str:
    """Where the direction of every row holds: ``every analysis of the multiverse and whenever one study
    is left out``, or the lowest shares."""
    shares = [rows[c].fillna(1.0).min() for c in ("share_majority_holds", "loo_share_majority_holds")]
    at_least = [f"at least {int(100 * s)}%" for s in shares]  # rounded down: never more than holds
    multiverse = "every analysis of the multiverse" if shares[0] == 1 else f"{at_least[0]} of the multiverse analyses"
    loo = ("whenever one study is left out" if shares[1] == 1
           else f"{at_least[1]} of the analyses leaving one study out")
    return f"{multiverse} and {loo}"


def answer(outcomes: pd.DataFrame, /) -> Any:
    """The answer first: what the molecules the review names show, with its caveats beside each claim.

    ``outcomes`` is :func:`ketrev.summary.outcome_summary`; every word is its
    ``state_words``, every number computed.
    """
    named = outcomes[outcomes["analysis"] == "confirmatory"]
    if named.empty:
        return _html('<div class="ketrev-answer"><p>No study of this selection measured a molecule the review '
                     "names.</p></div>")
    consistent = named[named["state"] == "consistent"]
    sentences = []
    if len(consistent):
        low, high = consistent["share_significant"].min(), consistent["share_significant"].max()
        share = format_share(low) if low == high else f"{format_share(low)[:-1]}–{format_share(high)}"
        directions = sorted(set(consistent["state_words"].str.split().str[1]))
        sentences.append(
            f"<strong>Of the {FAMILY_SIZE} molecules the review names, the evidence shows a consistent "
            f"{' or '.join(directions)} for {_names(consistent)}</strong>: most studies with a direction agree, the sign "
            f"test is significant after Holm adjustment across the {FAMILY_SIZE}, and the direction holds in "
            f"{_holds(consistent)} — though significant in only {share} of the multiverse analyses, most of which "
            "hold too few studies for the sign test to reach significance.")
    else:
        sentences.append(f"<strong>None of the {FAMILY_SIZE} molecules the review names shows a consistent direction"
                         "</strong> by the book's rule.")
    for state in ("fragile", "mixed", "too_few"):
        rows = named[named["state"] == state]
        if len(rows):
            word = {"fragile": "The direction is fragile for", "mixed": "The studies are mixed for",
                    "too_few": "Too few studies report a direction for"}[state]
            sentences.append(f"{word} {_names(rows)}.")
    patients = named[named["cli_n_voted"] >= MIN_STUDIES]
    if len(patients):
        agree = patients[~patients["split_disagrees"]]
        sentences.append(f"<strong>Patients</strong>: only {_names(patients)} {'has' if len(patients) == 1 else 'have'} "
                         f"at least {MIN_STUDIES} patient studies with a direction"
                         + (f", and for {_names(agree)} they agree with animals and cells (certainty "
                            f"{'/'.join(sorted(set(agree['certainty_words'].str.lower())))})" if len(agree) else "")
                         + "; every other direction rests on animals and cells (certainty low at best).")
    else:
        sentences.append("<strong>Patients</strong>: no molecule the review names has enough patient studies to compare; "
                         "every direction rests on animals and cells (certainty low at best).")
    sentences.append("Vote counting counts the direction each study reports, not the size or precision of its effect. "
                     "Other molecules are exploratory (unadjusted p, never called significant); cellular outcomes and "
                     "markers of response have their own tables.")
    return _html('<div class="ketrev-answer">' + "".join(f"<p>{t}</p>" for t in sentences) + "</div>")


def labelled(table: pd.DataFrame, labels: Labels, /, columns: list[str]) -> pd.DataFrame:
    """A copy of ``table`` with the ids of ``columns`` replaced by their labels (for a figure's axes)."""
    out = table.copy()
    for col in columns:
        out[col] = out[col].map(lambda v, c=col: labels.value(c, v))
    return out


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
    out["year"] = shown_year(long)
    out["title"] = out["title"].replace("", "title not shown in the record read")
    return out.rename(columns={c: labels.column(c) for c in cols})
