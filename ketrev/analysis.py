"""The pre-specified analysis: the confirmatory family, and the words for the state of evidence.

Fixed in ``analysis.yml`` before any data are read:

- the **confirmatory family**: the molecules the review names in its conclusions, as
  units that pool the vocabulary ids measuring them (:data:`UNITS`). Holm's adjustment runs
  across all :data:`FAMILY_SIZE` units whatever a selection holds (an untestable unit counts
  with p = 1). Every other molecule, and every cellular outcome, is **exploratory**: its
  counts and unadjusted p are shown, labelled so, and it is never called significant;
- one vocabulary for the **state of evidence** (:data:`STATES`), given by one function
  (:func:`evidence_state`) from the default analysis, the multiverse and leave-one-out,
  and a **certainty** in words (:data:`CERTAINTY`, :func:`certainty`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ketrev.synthesis import holm

__all__ = [
    "ALPHA",
    "CERTAINTY",
    "FAMILY_SIZE",
    "MIN_STUDIES",
    "REVIEW_CONCLUSION",
    "ROBUST_SHARE",
    "STATES",
    "UNITS",
    "Unit",
    "certainty",
    "evidence_state",
    "holm_family",
    "outcome_table",
    "state_words",
    "units_of",
]


@dataclass(frozen=True)
class Unit:
    """One molecule the review names: its label, pathway and the vocabulary ids that measure it."""

    id: str
    label: str
    pathway: str
    molecules: tuple[str, ...] = ()
    families: tuple[str, ...] = ()


@cache
def _config() -> dict[str, Any]:
    return yaml.safe_load(resources.files("ketrev").joinpath("analysis.yml").read_text(encoding="utf-8"))


UNITS: dict[str, Unit] = {uid: Unit(uid, spec["label"], spec["pathway"], tuple(spec.get("molecules", ())),
                                    tuple(spec.get("families", ())))
                          for uid, spec in _config()["confirmatory"].items()}
FAMILY_SIZE = len(UNITS)
ALPHA: float = _config()["alpha"]
MIN_STUDIES: int = _config()["min_studies"]
ROBUST_SHARE: float = _config()["robust_share"]
REVIEW_CONCLUSION: str = _config()["review_conclusion"]


def units_of(molecules: pd.DataFrame, /) -> pd.Series:
    """The confirmatory unit of each vocabulary id (missing for an exploratory one), indexed by id."""
    by_molecule = {m: u.id for u in UNITS.values() for m in u.molecules}
    by_family = {f: u.id for u in UNITS.values() for f in u.families}
    unit = molecules["molecule"].map(by_molecule).fillna(molecules["family"].map(by_family))
    return pd.Series(unit.to_numpy(dtype=object), index=pd.Index(molecules["molecule"]))


def outcome_table(long: pd.DataFrame, molecules: pd.DataFrame, /) -> pd.DataFrame:
    """Findings with an ``outcome`` column, once per outcome they count for.

    A finding counts for its confirmatory unit (``analysis`` = ``confirmatory``) and, unless
    that unit is the molecule itself, for its own molecule as an exploratory outcome; a
    finding of any other molecule or cellular outcome counts for that outcome only.
    """
    unit = long["molecule"].map(units_of(molecules))
    confirmatory = long[unit.notna()].assign(outcome=unit[unit.notna()], analysis="confirmatory")
    own = long[(unit != long["molecule"]) | unit.isna()].assign(outcome=lambda t: t["molecule"], analysis="exploratory")
    return pd.concat([confirmatory, own], ignore_index=True)


def holm_family(p: pd.Series, /) -> pd.Series:
    """Holm-adjust the p-values of confirmatory units across the whole family.

    ``p`` is indexed by unit id; units absent or missing count with p = 1, so the
    adjustment always runs over :data:`FAMILY_SIZE` hypotheses. Exploratory ids in the
    index get a missing value.

    Examples
    --------
    >>> holm_family(pd.Series({"bdnf": 0.004, "mtor": 0.02, "camkii": 0.01})).round(3).to_dict()
    {'bdnf': 0.048, 'mtor': 0.22, 'camkii': nan}
    """
    full = pd.Series(1.0, index=list(UNITS))
    known = p[p.index.isin(UNITS)].dropna()
    full[known.index] = known
    adjusted = pd.Series(holm(full.to_numpy(dtype=float)), index=full.index)
    return pd.Series([adjusted[i] if i in UNITS and pd.notna(p[i]) else np.nan for i in p.index], index=p.index)


@dataclass(frozen=True)
class Rule:
    """A word of the book's vocabulary, and when it applies."""

    word: str
    when: str


#: The state of evidence for an outcome: tried in this order, the first that applies.
STATES: dict[str, Rule] = {
    "too_few": Rule("Too few studies", f"Fewer than {MIN_STUDIES} studies report an increase or a decrease."),
    "mixed": Rule("Mixed", "The studies with a direction are split — neither direction reaches two thirds of them — "
                           f"or animals and cells point one way and patients the other (each with at least {MIN_STUDIES} "
                           "studies with a direction)."),
    "consistent": Rule("Consistent", "At least two thirds of the studies with a direction agree; the sign test is "
                                     f"significant (p < {ALPHA}: Holm-adjusted across the {FAMILY_SIZE} molecules the "
                                     "review names; unadjusted for an exploratory outcome, which is labelled so); and the "
                                     f"majority direction holds in at least {ROBUST_SHARE:.0%} of the multiverse analyses "
                                     "and of the analyses leaving one study out."),
    "fragile": Rule("Fragile", "At least two thirds of the studies with a direction agree, but the sign test is not "
                               f"significant, or the direction holds in fewer than {ROBUST_SHARE:.0%} of the multiverse "
                               "analyses or of the analyses leaving one study out."),
}

#: Certainty in the direction, for the clinical question (directness: animals and cells are indirect).
CERTAINTY: dict[str, Rule] = {
    "moderate": Rule("Moderate", f"Consistent, and the patient studies agree (at least {MIN_STUDIES} with a direction, "
                                 "the same majority direction)."),
    "low": Rule("Low", "Consistent, but the patient studies are too few to agree or disagree: the direction rests on "
                       "animals and cells, indirect evidence for patients."),
    "very_low": Rule("Very low", "Fragile, mixed, or too few studies."),
}


def _direction(proportion: float) -> str:
    return "increase" if proportion > 0.5 else "decrease" if proportion < 0.5 else "tie"


def evidence_state(n_voted: int, proportion: float, p: float, share_holds: float, loo_share: float, /, *,
                   split_disagrees: bool = False) -> str:
    """The state of evidence of one outcome (a key of :data:`STATES`).

    ``p`` decides significance (Holm-adjusted for a confirmatory unit, unadjusted for an
    exploratory outcome); ``share_holds`` and ``loo_share`` are the shares of multiverse
    and leave-one-out analyses in which the majority direction holds (missing counts as
    holding: no such analysis could fail); ``split_disagrees`` says that animals and cells
    and patients each have enough studies and opposite majorities.

    Examples
    --------
    >>> evidence_state(21, 0.9, 0.001, 1.0, 1.0), evidence_state(4, 1.0, 0.5, 1.0, 1.0)
    ('consistent', 'fragile')
    >>> evidence_state(2, 1.0, 0.5, float("nan"), float("nan")), evidence_state(9, 5 / 9, 1.0, 0.7, 0.8)
    ('too_few', 'mixed')
    """
    if n_voted < MIN_STUDIES:
        return "too_few"
    if split_disagrees or 1 / 3 <= proportion <= 2 / 3:
        return "mixed"
    holds = all(pd.isna(s) or s >= ROBUST_SHARE for s in (share_holds, loo_share))
    return "consistent" if p < ALPHA and holds else "fragile"


def state_words(state: str, proportion: float, /) -> str:
    """What a reader sees: ``Consistent increase``, ``Fragile decrease``, ``Mixed``, ``Too few studies``."""
    word = STATES[state].word
    return f"{word} {_direction(proportion)}" if state in ("consistent", "fragile") else word


def certainty(state: str, proportion: float, clinical_voted: int, clinical_proportion: float, /) -> str:
    """The certainty of the direction (a key of :data:`CERTAINTY`).

    Examples
    --------
    >>> certainty("consistent", 0.9, 5, 0.8), certainty("consistent", 0.9, 1, 1.0), certainty("fragile", 0.9, 6, 1.0)
    ('moderate', 'low', 'very_low')
    """
    if state != "consistent":
        return "very_low"
    agree = clinical_voted >= MIN_STUDIES and _direction(clinical_proportion) == _direction(proportion)
    return "moderate" if agree else "low"


def rules_table() -> pd.DataFrame:
    """The two vocabularies as one table for the methods page: ``vocabulary``, ``word``, ``when``."""
    rows = [("State of evidence", r.word, r.when) for r in STATES.values()]
    rows += [("Certainty", r.word, r.when) for r in CERTAINTY.values()]
    return pd.DataFrame(rows, columns=["vocabulary", "word", "when"])
