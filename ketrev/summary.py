"""Summary of findings: the answer to the review's question, one row per molecule.

Like a Cochrane *Summary of findings* table: for each molecule the review names (and any
other measured in at least three studies), the studies by evidence type, the vote count,
the proportion increasing with its Wilson interval, the Holm-adjusted sign test, how often
the direction holds across the multiverse of inclusion choices, one plain sentence given by
a written rule (:data:`VERDICTS`), and the review's own conclusion beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ketrev.evidence import Evidence
from ketrev.robustness import ROBUST_SHARE
from ketrev.synthesis import vote_count
from ketrev.tabulate import MIN_STUDIES, study_directions

__all__ = ["REVIEW_CONCLUSION", "ROBUST_SHARE", "VERDICTS", "summary_of_findings", "verdict", "verdict_rules"]

#: What the review's abstract concludes (Kang, Hawken & Vazquez 2022): ketamine increases
#: molecules that modulate neuroplasticity; it names these as of highest interest.
REVIEW_CONCLUSION = "Increase"


@dataclass(frozen=True)
class Verdict:
    """One rule of the plain-language sentence: when it applies, and what it says."""

    when: str
    sentence: str


#: The rules, tried in order; the first whose condition holds gives the sentence.
VERDICTS: dict[str, Verdict] = {
    "too_few": Verdict(f"Fewer than {MIN_STUDIES} studies report an increase or a decrease.",
                       "Too few studies with a direction to say."),
    "tie": Verdict("As many studies report an increase as a decrease.", "No consistent direction."),
    "consistent_robust": Verdict(f"Most studies report one direction, the sign test is significant after Holm "
                                 f"adjustment, and that direction holds in at least {ROBUST_SHARE:.0%} of the evaluable "
                                 "specifications.", "Consistent {direction}, robust to inclusion choices."),
    "consistent_sensitive": Verdict("Most studies report one direction and the sign test is significant after Holm "
                                    f"adjustment, but the direction holds in fewer than {ROBUST_SHARE:.0%} of the "
                                    "evaluable specifications.", "Consistent {direction}, but sensitive to inclusion choices."),
    "mostly_robust": Verdict("Most studies report one direction, not significantly after Holm adjustment; the "
                             f"direction holds in at least {ROBUST_SHARE:.0%} of the evaluable specifications.",
                             "Mostly {direction}s; not significant after Holm; robust to inclusion choices."),
    "mostly_sensitive": Verdict("Most studies report one direction, not significantly after Holm adjustment, and the "
                                f"direction holds in fewer than {ROBUST_SHARE:.0%} of the evaluable specifications "
                                "(or none is evaluable).",
                                "Mostly {direction}s; not significant after Holm; sensitive to inclusion choices."),
}


def verdict(n_voted: int, proportion: float, p_holm: float, share_holds: float) -> tuple[str, str]:
    """The rule that applies to one molecule's numbers and its sentence.

    Examples
    --------
    >>> verdict(21, 0.86, 0.004, 1.0)
    ('consistent_robust', 'Consistent increase, robust to inclusion choices.')
    >>> verdict(2, 1.0, 1.0, np.nan)[1]
    'Too few studies with a direction to say.'
    """
    if n_voted < MIN_STUDIES:
        rule = "too_few"
    elif proportion == 0.5:
        rule = "tie"
    else:
        robust = bool(share_holds >= ROBUST_SHARE) if pd.notna(share_holds) else False
        prefix = "consistent" if p_holm < 0.05 else "mostly"
        rule = f"{prefix}_{'robust' if robust else 'sensitive'}"
    direction = "increase" if proportion > 0.5 else "decrease"
    return rule, VERDICTS[rule].sentence.format(direction=direction)


def verdict_rules() -> pd.DataFrame:
    """The rules of the sentence as a table (for the methods page): ``rule``, ``when``, ``sentence``."""
    return pd.DataFrame([(name, v.when, v.sentence.format(direction="increase")) for name, v in VERDICTS.items()],
                        columns=["rule", "when", "sentence"])


def _agreement(row: Any) -> str:
    if row.review_highlight != "yes":
        return "Not named by the review"
    if row.n_voted < MIN_STUDIES:
        return "Too few studies"
    if row.activity_when_up == "inhibits":
        return "Not comparable (inhibitory site)"
    return "Yes" if row.proportion_increase > 0.5 else "No"


def summary_of_findings(evidence: Evidence, robustness: pd.DataFrame, /, *, min_studies: int = 3) -> pd.DataFrame:
    """One row per molecule the review names, and per other molecule measured in ``min_studies`` studies or more.

    Parameters
    ----------
    evidence
        The selected evidence base.
    robustness
        :func:`ketrev.robustness.robustness_summary` by molecule for the same evidence.
    min_studies
        Studies (measured) a molecule the review does not name needs to be listed.

    Returns
    -------
    DataFrame
        ``molecule``, ``n_studies`` (measured), ``n_cell_culture``, ``n_animal``,
        ``n_human``, ``n_increase``, ``n_decrease``, ``n_no_change``, ``n_mixed``,
        ``n_voted`` (studies with a direction: increase or decrease),
        ``proportion_increase``, ``ci_low``, ``ci_high``, ``p_holm`` (Holm across every
        molecule of the evidence base, as in the vote-count table),
        ``share_majority_holds``, ``rule``, ``verdict`` (the sentence), ``review`` (the
        review's conclusion for a molecule it names), ``agrees``; the review's molecules
        first, then by studies.

    Notes
    -----
    The counts and statistics are those of :func:`ketrev.synthesis.vote_count` on
    :func:`ketrev.tabulate.study_directions` (majority rule): the same numbers as the
    vote-count table. Agreement is judged on the measured direction, except for a
    phospho-site that inhibits its protein, which the review's abstract does not resolve.
    """
    long = evidence.findings_long()
    votes = vote_count(study_directions(long))
    kinds = (long.drop_duplicates(["molecule", "study_id"]).pivot_table(index="molecule", columns="evidence_type",
                                                                        values="study_id", aggfunc="count", fill_value=0)
             .reindex(columns=["cell_culture", "animal", "human"], fill_value=0).add_prefix("n_"))
    mol = evidence.molecules.set_index("molecule")[["review_highlight", "activity_when_up"]]
    rob = robustness.set_index("molecule")["share_majority_holds"] if len(robustness) else pd.Series(dtype=float)
    table = (votes.join(kinds, on="molecule").join(mol, on="molecule")
             .assign(n_voted=lambda t: t["n_increase"] + t["n_decrease"],
                     share_majority_holds=lambda t: t["molecule"].map(rob)))
    keep = (table["review_highlight"] == "yes") | (table["n_studies"] >= min_studies)
    table = table[keep].copy()
    columns = ["molecule", "n_studies", "n_cell_culture", "n_animal", "n_human", "n_increase", "n_decrease",
               "n_no_change", "n_mixed", "n_voted", "proportion_increase", "ci_low", "ci_high", "p_holm",
               "share_majority_holds", "rule", "verdict", "review", "agrees"]
    if table.empty:  # no finding in this selection
        return pd.DataFrame(columns=columns)
    rules = [verdict(r.n_voted, r.proportion_increase, r.p_holm, r.share_majority_holds) for r in table.itertuples()]
    table["rule"] = [r for r, _ in rules]
    table["verdict"] = [s for _, s in rules]
    table["review"] = np.where(table["review_highlight"] == "yes", REVIEW_CONCLUSION, "Not named")
    table["agrees"] = [_agreement(r) for r in table.itertuples()]
    table = table.sort_values(["review_highlight", "n_studies", "molecule"], ascending=[False, False, True])
    return table[columns].reset_index(drop=True)
