"""Vote counting by direction of effect, with Wilson intervals and Holm-adjusted sign tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from ketrev.tabulate import direction_counts

__all__ = ["sign_test", "vote_count"]


def sign_test(n_increase: np.ndarray | pd.Series, n_decrease: np.ndarray | pd.Series) -> np.ndarray:
    """Two-sided exact sign test of ``n_increase`` against ``n_decrease`` (p = 0.5).

    Vectorised over arrays; where no study has a direction the p-value is NaN.

    Examples
    --------
    >>> sign_test([9], [1]).round(4)  # R: binom.test(9, 10)$p.value
    array([0.0215])
    """
    k = np.asarray(n_increase, dtype=float)
    n = k + np.asarray(n_decrease, dtype=float)
    tail = binom.cdf(np.minimum(k, n - k), n, 0.5)
    p = np.minimum(1.0, 2 * tail)
    return np.where(n > 0, p, np.nan)


def vote_count(directions: pd.DataFrame, /, *, by: str | list[str] = "molecule", alpha: float = 0.05) -> pd.DataFrame:
    """Vote count by direction of effect, one row per group.

    Parameters
    ----------
    directions
        One direction per study and unit (:func:`ketrev.tabulate.study_directions`).
    by
        Grouping column(s).
    alpha
        Level of the confidence intervals and of the reported significance.

    Returns
    -------
    DataFrame
        ``by`` columns; ``n_studies``, ``n_increase``, ``n_decrease``, ``n_no_change``,
        ``n_mixed``; ``proportion_increase`` (of the studies with a direction, increase
        or decrease); ``ci_low``, ``ci_high`` (Wilson interval); ``p_sign`` (two-sided
        exact sign test against 0.5); ``p_holm`` (Holm-adjusted across all rows);
        ``significant`` (``p_holm < alpha``).

    Notes
    -----
    Vote counting by direction of effect, not by statistical significance (Cochrane
    Handbook for Systematic Reviews of Interventions, ch. 12.4.2.3). Studies with no
    change or mixed findings are reported but carry no vote. The Wilson score interval
    and the sign test use ``statsmodels`` and ``scipy``; Holm's step-down adjustment
    (Holm 1979) controls the family-wise error across molecules.
    """
    out = direction_counts(directions, by=by)
    voted = out["n_increase"] + out["n_decrease"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["proportion_increase"] = out["n_increase"] / voted.where(voted > 0)
    low, high = proportion_confint(out["n_increase"], voted.where(voted > 0), alpha=alpha, method="wilson")
    out["ci_low"], out["ci_high"] = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    out["p_sign"] = sign_test(out["n_increase"], out["n_decrease"])
    tested = out["p_sign"].notna()
    out["p_holm"] = np.nan
    if tested.any():
        out.loc[tested, "p_holm"] = multipletests(out.loc[tested, "p_sign"], method="holm")[1]
    out["significant"] = out["p_holm"] < alpha
    return out
