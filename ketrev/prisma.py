"""PRISMA 2020 flow counts, computed from the searches and screening tables."""

from __future__ import annotations

import pandas as pd

from ketrev.evidence import Evidence

__all__ = ["prisma_counts"]


def prisma_counts(evidence: Evidence, /) -> pd.DataFrame:
    """Return the boxes of the PRISMA 2020 flow diagram with their counts.

    Returns
    -------
    DataFrame
        ``box`` (stable id), ``stage`` (identification, screening, included), ``label``
        and ``n``, in the diagram's order. ``excluded_<reason>`` boxes list the
        exclusions by reason; ``not_selected`` appears when the inclusion set leaves
        out studies; the ``included`` box always equals the number of selected studies.

    Notes
    -----
    Page MJ et al. The PRISMA 2020 statement. BMJ 2021;372:n71. Records a search
    returned but no one screened (repeats of a record and off-target results of
    title searches) are counted as removed before screening.
    """
    screening, studies = evidence.screening, evidence.studies
    identified = int(evidence.searches["records_seen"].sum())
    screened = len(screening)
    excluded = screening[screening["decision"] == "excluded"]
    included_records = screening[screening["decision"] == "included"]
    selected = int(included_records["study_id"].isin(studies["study_id"]).sum())
    rows = [
        ("identified", "identification", f"Records identified from {len(evidence.searches)} searches", identified),
        ("removed_before_screening", "identification",
         "Records removed before screening (repeats and off-target results)", max(identified - screened, 0)),
        ("screened", "screening", "Records screened", screened),
        ("excluded", "screening", "Records excluded", len(excluded)),
    ]
    for reason, n in excluded["reason"].value_counts().sort_index().items():
        rows.append((f"excluded_{reason}", "screening", str(reason).replace("_", " "), int(n)))
    if selected < len(included_records):
        rows.append(("not_selected", "screening", f"Studies outside the inclusion set '{evidence.inclusion}'",
                     len(included_records) - selected))
    rows.append(("included", "included", "Studies included", len(studies)))
    return pd.DataFrame(rows, columns=["box", "stage", "label", "n"])
