"""PRISMA 2020 flow counts, computed from the searches and screening tables."""

from __future__ import annotations

import pandas as pd

from ketrev.evidence import Evidence

__all__ = ["ELIGIBILITY_REASONS", "SCREENING_REASONS", "prisma_counts"]

#: Exclusion reasons decided from the title and abstract (screening), and those decided
#: on the full record (eligibility); ``duplicate`` records are removed before screening and
#: ``record_incomplete`` ones are the reports that could not be retrieved.
SCREENING_REASONS = ("review_or_comment", "not_journal_article", "not_ketamine")
ELIGIBILITY_REASONS = ("no_molecular_outcome", "no_antidepressant_context", "outside_date_range", "other")
_REASON_LABELS = {
    "review_or_comment": "Review or comment", "not_journal_article": "Not a journal article",
    "not_ketamine": "No ketamine arm", "no_molecular_outcome": "No molecular or cellular result for ketamine",
    "no_antidepressant_context": "No antidepressant context",
    "outside_date_range": "Outside the date range", "other": "Other (see notes)",
}


def prisma_counts(evidence: Evidence, /) -> pd.DataFrame:
    """The boxes of the PRISMA 2020 flow diagram (new reviews, databases) with their counts.

    Returns
    -------
    DataFrame
        ``box`` (stable id), ``stage`` (identification, screening, included), ``label``
        and ``n``, in the diagram's order: ``identified``; ``removed_duplicates`` and
        ``removed_unscreened`` (removed before screening); ``screened``; ``excluded_screening``
        with one ``screening:<reason>`` row per reason; ``sought``; ``not_retrieved``;
        ``assessed``; ``excluded_eligibility`` with one ``eligibility:<reason>`` row per
        reason (ordered by count); ``in_evidence_base``; ``not_selected`` when the
        inclusion set leaves studies out; ``included``, which always equals the number of
        selected studies.

    Notes
    -----
    Page MJ et al. The PRISMA 2020 statement. BMJ 2021;372:n71. A record is what a search
    returned; records no coder logged (repeats of a record across searches, off-target
    results of title searches) are counted as removed before screening, with the records a
    coder logged as duplicates of a study already found. "Reports not retrieved" are the
    records no look-up could make traceable or show the result of (``record_incomplete``).
    """
    screening, studies = evidence.screening, evidence.studies
    identified = int(evidence.searches["records_seen"].sum())
    reason = screening["reason"]
    duplicates = int((reason == "duplicate").sum())
    screened = len(screening) - duplicates
    excluded_screening = _by_count(reason[reason.isin(SCREENING_REASONS)])
    sought = screened - int(excluded_screening.sum())
    not_retrieved = int((reason == "record_incomplete").sum())
    assessed = sought - not_retrieved
    excluded_eligibility = _by_count(reason[reason.isin(ELIGIBILITY_REASONS)])
    included_records = screening[screening["decision"] == "included"]
    rows = [
        ("identified", "identification", f"Records identified from {len(evidence.searches):,} searches", identified),
        ("removed_duplicates", "identification", "Duplicate records of a study already found", duplicates),
        ("removed_unscreened", "identification", "Repeats and off-target results, not logged",
         max(identified - len(screening), 0)),
        ("screened", "screening", "Records screened", screened),
        ("excluded_screening", "screening", "Records excluded", int(excluded_screening.sum())),
        *[(f"screening:{r}", "screening", _REASON_LABELS[r], int(n)) for r, n in excluded_screening.items()],
        ("sought", "screening", "Reports sought for retrieval", sought),
        ("not_retrieved", "screening", "Reports not retrieved (no traceable record or no result shown)", not_retrieved),
        ("assessed", "screening", "Reports assessed for eligibility", assessed),
        ("excluded_eligibility", "screening", "Reports excluded", int(excluded_eligibility.sum())),
        *[(f"eligibility:{r}", "screening", _REASON_LABELS[r], int(n)) for r, n in excluded_eligibility.items()],
        ("in_evidence_base", "included", "Studies in the evidence base", len(included_records)),
    ]
    selected = int(included_records["study_id"].isin(studies["study_id"]).sum())
    if selected < len(included_records):
        rows.append(("not_selected", "included", f"Studies outside the inclusion set '{evidence.inclusion}'",
                     len(included_records) - selected))
    rows.append(("included", "included", "Studies included in this book", len(studies)))
    return pd.DataFrame(rows, columns=["box", "stage", "label", "n"])


def _by_count(reasons: pd.Series) -> pd.Series:
    """Counts per reason, largest first, ties by name (a stable order for the diagram)."""
    return reasons.value_counts().sort_index().sort_values(ascending=False, kind="stable")
