"""How robust is each conclusion? A multiverse of inclusion choices, and leave-one-study-out.

Every combination of reasonable inclusion choices (a *specification*) selects a subset of
the studies; the vote count of every outcome is recomputed in every specification at once,
as matrix products of a specification × study inclusion matrix with study × outcome
direction indicators — no loop over specifications. Significance follows the
pre-specified analysis (:mod:`ketrev.analysis`): Holm across the confirmatory family for
the molecules the review names, unadjusted (and never called significant) otherwise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ketrev.analysis import ALPHA, FAMILY_SIZE, MIN_STUDIES, UNITS, outcome_table
from ketrev.evidence import Evidence
from ketrev.memo import remembered
from ketrev.synthesis import holm, sign_test
from ketrev.tabulate import RULES, study_directions
from ketrev.years import within

__all__ = [
    "CHOICES",
    "active_choices",
    "choices_table",
    "curve_outcomes",
    "directions_by",
    "leave_one_out",
    "multiverse",
    "robustness_summary",
    "specifications",
]

Unit = Literal["outcome", "molecule", "family"]
#: The columns of :func:`robustness_summary` after the unit.
_SUMMARY_COLUMNS = ["analysis", "reference_direction", "reference_studies", "reference_voted", "reference_proportion",
                    "reference_p", "n_specifications", "n_evaluable", "n_too_few", "n_empty", "share_majority_holds",
                    "share_significant", "proportion_min", "proportion_max", "loo_share_majority_holds",
                    "loo_breaking_study"]


@dataclass(frozen=True)
class Choice:
    """One option of one inclusion decision: a name and the test a study must pass."""

    option: str
    keeps: str = "Every study"
    column: str | None = None
    values: tuple | None = None
    year_min: int | None = None
    year_max: int | None = None

    @property
    def selects(self) -> bool:
        return self.column is not None or self.year_min is not None or self.year_max is not None

    def mask(self, studies: pd.DataFrame) -> np.ndarray:
        keep = np.ones(len(studies), dtype=bool)
        if self.column is not None:
            keep &= studies[self.column].isin(self.values).to_numpy()
        if self.year_min is not None or self.year_max is not None:
            keep &= within(studies, self.year_min, self.year_max).to_numpy()
        return keep


#: The inclusion decisions and their reasonable options; the first option of each is "all".
CHOICES: dict[str, list[Choice]] = {
    "evidence": [Choice("all"), Choice("preclinical", "Cell-culture and animal studies", "evidence_type",
                                       ("cell_culture", "animal")),
                 Choice("clinical", "Clinical studies", "evidence_type", ("human",))],
    "species": [Choice("all"), Choice("rat", "Studies in rats", "species", ("rat",)),
                Choice("mouse", "Studies in mice", "species", ("mouse",)),
                Choice("human", "Studies in people", "species", ("human",))],
    "form": [Choice("all"), Choice("racemic only", "Racemic ketamine only", "ketamine_form", ("racemic",))],
    "model": [Choice("all"), Choice("stress models", "Animal stress models", "stress_model", ("yes",)),
              Choice("no stress model", "No stress model (naive animals, strains, cells, patients)", "stress_model",
                     ("no",))],
    "effect": [Choice("all"), Choice("effect reported", "Studies reporting an antidepressant(-like) effect",
                                     "antidepressant_effect", ("yes",))],
    "source": [Choice("all"), Choice("full text only", "Studies coded from the full text", "coded_from",
                                     ("full_text",))],
    "window": [Choice("all"), Choice("up to 2015", "Published up to 2015", year_max=2015),
               Choice("2016 on", "Published in 2016 or later", year_min=2016)],
    "years": [Choice("all"), Choice("printed years only", "Studies whose year a record prints (no derived year)",
                                    "year_basis", ("printed",))],
    "outcomes": [Choice("all"), Choice("molecular outcomes only", "Studies with a molecular finding (the scope before "
                                       "cellular outcomes and markers of response were added)", "molecular_outcome",
                                       ("yes",))],
    "design": [Choice("all"), Choice("treatment designs only", "Ketamine given as a treatment (prophylactic designs "
                                     "left out)", "design", ("treatment", "in_vitro"))],
}


def _studies(evidence: Evidence) -> pd.DataFrame:
    """The studies with the columns the choices test: their model's ``stress_model`` and ``molecular_outcome``."""
    molecular = evidence.findings_long(level="molecular")["study_id"]
    return (evidence.studies.merge(evidence.models[["model", "stress_model"]], on="model", how="left")
            .assign(molecular_outcome=lambda t: np.where(t["study_id"].isin(molecular), "yes", "no")))


def active_choices(evidence: Evidence | None = None, /) -> dict[str, list[Choice]]:
    """The decisions and options that change the selection of ``evidence`` (all of them without it).

    An option that keeps no study (e.g. "full text only" while every study was coded from
    its abstract), or every study (e.g. "treatment designs only" in a set that has no
    prophylactic design), would only repeat or empty specifications: it is left out, and a
    decision left with nothing but "all" is left out with it (:func:`choices_table` says so).
    """
    if evidence is None:
        return CHOICES
    studies = _studies(evidence)
    kept = {name: [c for c in options if not c.selects or 0 < c.mask(studies).sum() < len(studies)]
            for name, options in CHOICES.items()}
    return {name: options for name, options in kept.items() if len(options) > 1}


def specifications(choices: dict[str, list[Choice]] | None = None, rules: tuple[str, ...] = tuple(RULES)) -> pd.DataFrame:
    """Every combination of the inclusion choices and per-study rules, one row each.

    Returns
    -------
    DataFrame
        ``spec_id`` then one column per decision (the option's name) and ``rule``.
    """
    choices = CHOICES if choices is None else choices
    rows = [(*(c.option for c in combo), rule)
            for combo in itertools.product(*choices.values()) for rule in rules]
    table = pd.DataFrame(rows, columns=[*choices, "rule"])
    table.insert(0, "spec_id", range(len(table)))
    return table


def _decisions(specs: pd.DataFrame) -> list[str]:
    """The decision columns of a specifications (or runs) table."""
    return [c for c in specs.columns if c in CHOICES]


def _inclusion_matrix(studies: pd.DataFrame, specs: pd.DataFrame) -> np.ndarray:
    """Boolean specifications × studies: which studies each specification keeps."""
    keep = np.ones((len(specs), len(studies)), dtype=bool)
    for dimension in _decisions(specs):
        masks = {c.option: c.mask(studies) for c in CHOICES[dimension]}
        keep &= np.stack([masks[o] for o in specs[dimension]])
    return keep


def directions_by(evidence: Evidence, /, by: Unit = "outcome", rule: str = "majority") -> pd.DataFrame:
    """One direction per study and unit (``outcome``: confirmatory units and exploratory outcomes,
    see :func:`ketrev.analysis.outcome_table`; or ``molecule``; or ``family``)."""
    long = evidence.findings_long()
    if by == "outcome":
        long = outcome_table(long, evidence.molecules)
    return study_directions(long, by=by, rule=rule)


def _indicators(directions: pd.DataFrame, study_ids: pd.Index, unit: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """Study × unit 0/1 matrices, one per direction."""
    units = sorted(directions[unit].unique())
    out = {}
    for direction in ("increase", "decrease", "no_change", "mixed"):
        part = directions[directions["direction"] == direction]
        matrix = pd.crosstab(part["study_id"], part[unit]).reindex(index=study_ids, columns=units, fill_value=0)
        out[direction] = (matrix.to_numpy() > 0).astype(np.float64)
    return units, out


def _statistics(up: np.ndarray, down: np.ndarray, family: np.ndarray | None = None, alpha: float = ALPHA
                ) -> dict[str, np.ndarray]:
    """Proportion, Wilson interval, sign test, and Holm across the confirmatory columns, row by row.

    ``family`` marks the columns of the confirmatory family; Holm runs across
    :data:`~ketrev.analysis.FAMILY_SIZE` hypotheses in every row (untestable ones count with
    p = 1); other columns get no adjusted p.
    """
    n = (up + down).astype(float)
    n[n == 0] = np.nan  # no vote: every statistic is missing
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = proportion_confint(up, n, alpha=alpha, method="wilson")
    p_sign = sign_test(up, down)
    p_holm = np.full(p_sign.shape, np.nan)
    if family is not None and family.any():
        block = p_sign[:, family]
        padded = np.hstack([np.nan_to_num(block, nan=1.0), np.ones((block.shape[0], FAMILY_SIZE - block.shape[1]))])
        adjusted = holm(padded)[:, : block.shape[1]]
        p_holm[:, family] = np.where(np.isnan(block), np.nan, adjusted)
    return {"proportion_increase": up / n, "ci_low": low, "ci_high": high, "p_sign": p_sign, "p_holm": p_holm}


@remembered
def multiverse(evidence: Evidence, /, *, by: Unit = "outcome", min_studies: int = MIN_STUDIES,
               specs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Vote counts of every outcome (or molecule, or family) under every specification.

    Parameters
    ----------
    evidence
        The (selected) evidence base.
    by
        Unit of synthesis: ``outcome`` (the confirmatory units and the exploratory outcomes),
        ``molecule`` or ``family`` (both exploratory).
    min_studies
        A result with fewer studies with a direction (increase or decrease) is marked
        ``evaluable = False`` and kept, not hidden.
    specs
        Specifications (default: :func:`specifications` of the :func:`active_choices` of
        ``evidence``).

    Returns
    -------
    DataFrame
        The specification columns, ``by``, ``confirmatory``, ``n_studies``,
        ``n_increase``, ``n_decrease``, ``n_no_change``, ``n_mixed``,
        ``proportion_increase``, ``ci_low``, ``ci_high``, ``p_sign``, ``p_holm`` (Holm
        across the confirmatory family within the specification; missing otherwise), ``p``
        (the p that decides significance: ``p_holm`` for a confirmatory unit, ``p_sign``
        otherwise) and ``evaluable``. Units no study of a specification measured are left out.

    Notes
    -----
    Specification-curve / multiverse analysis of inclusion decisions: Simonsohn, Simmons &
    Nelson, Nat Hum Behav 2020;4:1208-14; Voracek, Kossmeier, Tran, Front Psychol 2019;10:2149.
    """
    specs = specifications(active_choices(evidence)) if specs is None else specs
    studies = _studies(evidence)
    keep = _inclusion_matrix(studies, specs).astype(np.float64)  # float: the products run on BLAS, exact for counts
    parts = []
    for rule, rows in specs.groupby("rule", sort=False):
        units, ind = _indicators(directions_by(evidence, by, rule), pd.Index(studies["study_id"]), by)
        family = np.array([by == "outcome" and u in UNITS for u in units], dtype=bool)
        counts = {d: (keep[rows.index] @ m).round().astype(np.int64) for d, m in ind.items()}
        stats = _statistics(counts["increase"], counts["decrease"], family)
        total = sum(counts.values())
        shape = total.shape
        block = pd.DataFrame({
            "row": np.repeat(rows.index.to_numpy(), shape[1]), by: np.tile(units, shape[0]),
            "confirmatory": np.tile(family, shape[0]), "n_studies": total.ravel(),
            **{f"n_{d}": c.ravel() for d, c in counts.items()}, **{k: v.ravel() for k, v in stats.items()},
        })
        parts.append(block[block["n_studies"] > 0])
    out = pd.concat(parts, ignore_index=True)
    out["p"] = out["p_holm"].where(out["confirmatory"], out["p_sign"])
    out["evaluable"] = (out["n_increase"] + out["n_decrease"]) >= min_studies
    out = specs.loc[out.pop("row")].reset_index(drop=True).join(out)
    out.attrs["n_specifications"] = len(specs)
    return out


@remembered
def leave_one_out(evidence: Evidence, /, *, by: Unit = "outcome", rule: str = "majority") -> pd.DataFrame:
    """Vote count of each unit with each of its studies left out in turn.

    Returns
    -------
    DataFrame
        ``by``, ``left_out`` (study id), ``n_increase``, ``n_decrease``,
        ``proportion_increase``, ``p_sign``.
    """
    directions = directions_by(evidence, by, rule)
    totals = directions.groupby(by)["direction"].agg(
        up=lambda d: (d == "increase").sum(), down=lambda d: (d == "decrease").sum())
    rows = directions.join(totals, on=by)
    up = rows["up"] - (rows["direction"] == "increase")
    down = rows["down"] - (rows["direction"] == "decrease")
    stats = _statistics(up.to_numpy()[:, None], down.to_numpy()[:, None])
    return pd.DataFrame({by: rows[by], "left_out": rows["study_id"], "n_increase": up, "n_decrease": down,
                         "proportion_increase": stats["proportion_increase"][:, 0],
                         "p_sign": stats["p_sign"][:, 0]}).reset_index(drop=True)


def robustness_summary(runs: pd.DataFrame, loo: pd.DataFrame, /, *, by: Unit = "outcome") -> pd.DataFrame:
    """Each unit's default result, how often its majority direction holds, and its state of evidence.

    The reference is the specification with every decision at ``all`` and the majority
    rule; its majority direction (increase if the proportion is above 0.5, decrease if
    below) is what must hold.

    Returns
    -------
    DataFrame
        ``by``, ``analysis`` (confirmatory or exploratory), ``reference_direction``,
        ``reference_studies``, ``reference_voted`` (studies with a direction),
        ``reference_proportion``, ``reference_p`` (the p that decides significance),
        ``n_specifications`` (all of them), ``n_evaluable``, ``n_too_few`` (some studies,
        below the threshold), ``n_empty`` (no study of the unit in the specification),
        ``share_majority_holds`` (of the evaluable ones), ``share_significant`` (of the
        evaluable ones; confirmatory units only), ``proportion_min``, ``proportion_max``,
        ``loo_share_majority_holds`` (leave-one-study-out), ``loo_breaking_study`` (a study
        whose removal turns the direction, if any), sorted by analysis then studies. The
        state of evidence these give is :func:`ketrev.summary.outcome_summary`'s.
    """
    if runs.empty:  # no findings in the selection: nothing to rank
        return pd.DataFrame(columns=[by, *_SUMMARY_COLUMNS])
    reference = runs[(runs[_decisions(runs)] == "all").all(axis=1) & (runs["rule"] == "majority")].set_index(by)
    reference = reference[~reference.index.duplicated()]
    sign = np.sign(reference["proportion_increase"] - 0.5)
    direction = sign.map({1.0: "increase", -1.0: "decrease", 0.0: "tie"}).fillna("none")
    evaluable = runs[runs["evaluable"]].join(sign.rename("ref_sign"), on=by)
    evaluable = evaluable.assign(holds=np.sign(evaluable["proportion_increase"] - 0.5) == evaluable["ref_sign"])
    grouped = evaluable.groupby(by)
    loo = loo.join(sign.rename("ref_sign"), on=by)
    loo_holds = np.sign(loo["proportion_increase"] - 0.5) == loo["ref_sign"]
    breaking = loo[~loo_holds & loo["ref_sign"].isin([1.0, -1.0])].groupby(by)["left_out"].first()
    confirmatory = runs.groupby(by)["confirmatory"].first()
    out = pd.DataFrame({
        "analysis": confirmatory.map({True: "confirmatory", False: "exploratory"}),
        "reference_direction": direction,
        "reference_studies": reference["n_studies"],
        "reference_voted": reference["n_increase"] + reference["n_decrease"],
        "reference_proportion": reference["proportion_increase"],
        "reference_p": reference["p"],
        "n_measured": runs.groupby(by).size(),
        "n_evaluable": grouped.size(),
        "share_majority_holds": grouped["holds"].mean(),
        "share_significant": grouped["p_holm"].apply(lambda p: (p < ALPHA).mean()).where(confirmatory),
        "proportion_min": grouped["proportion_increase"].min(),
        "proportion_max": grouped["proportion_increase"].max(),
        "loo_share_majority_holds": loo_holds.groupby(loo[by]).mean(),
        "loo_breaking_study": breaking,
    })
    out.index.name = by
    out = out[out["reference_studies"].notna()]
    for col in ("n_evaluable", "reference_studies", "reference_voted"):
        out[col] = out[col].fillna(0).astype(int)
    measured = out.pop("n_measured").fillna(0).astype(int)
    total = runs.attrs.get("n_specifications", runs["spec_id"].nunique())
    out.insert(6, "n_specifications", total)
    out.insert(8, "n_too_few", measured - out["n_evaluable"])
    out.insert(9, "n_empty", total - measured)
    out["loo_breaking_study"] = out["loo_breaking_study"].fillna("")
    out = out.reset_index().sort_values(["analysis", "reference_studies", by], ascending=[True, False, True],
                                        ignore_index=True)
    return out[[by, *_SUMMARY_COLUMNS]]


def choices_table(evidence: Evidence | None = None, /) -> pd.DataFrame:
    """The inclusion decisions and their options, as a table for the reader.

    Returns
    -------
    DataFrame
        ``decision``, ``option``, ``keeps`` (the studies the option keeps, in words),
        ``used`` (False for an option left out of the multiverse of ``evidence`` because it
        selects no study, or every study).
    """
    active = active_choices(evidence)
    rows = [(decision, c.option, c.keeps, any(c.option == a.option for a in active.get(decision, [])))
            for decision, options in CHOICES.items() for c in options]
    rows += [("rule", rule, text, True) for rule, text in RULES.items()]
    return pd.DataFrame(rows, columns=["decision", "option", "keeps", "used"])


def curve_outcomes(summary: pd.DataFrame, /, *, min_evaluable: int = 10) -> list[str]:
    """Confirmatory units with enough evaluable specifications and a proportion that varies across them."""
    varies = summary["proportion_min"] < summary["proportion_max"]
    enough = summary[(summary["analysis"] == "confirmatory") & (summary["n_evaluable"] >= min_evaluable) & varies]
    return enough.iloc[:, 0].tolist()
