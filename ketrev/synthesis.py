"""Vote counting by direction of effect, with Wilson intervals, sign tests and Holm's adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom
from statsmodels.stats.proportion import proportion_confint

from ketrev.tabulate import direction_counts

__all__ = ["holm", "sign_test", "vote_count"]


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
        Level of the confidence intervals.

    Returns
    -------
    DataFrame
        ``by`` columns; ``n_studies``, ``n_increase``, ``n_decrease``, ``n_no_change``,
        ``n_mixed``; ``n_voted`` (studies with a direction: increase or decrease);
        ``proportion_increase`` (of those); ``ci_low``, ``ci_high`` (Wilson interval);
        ``p_sign`` (two-sided exact sign test against 0.5, unadjusted: adjustment belongs
        to a pre-specified family, :func:`ketrev.analysis.holm_family`).

    Notes
    -----
    Vote counting by direction of effect, not by statistical significance (Cochrane
    Handbook for Systematic Reviews of Interventions, ch. 12.4.2.3). It counts directions,
    not the size or precision of the effects. Studies with no change or mixed findings are
    reported but carry no vote. The Wilson score interval and the sign test use
    ``statsmodels`` and ``scipy``.
    """
    out = direction_counts(directions, by=by)
    voted = out["n_increase"] + out["n_decrease"]
    out["n_voted"] = voted
    with np.errstate(invalid="ignore", divide="ignore"):
        out["proportion_increase"] = out["n_increase"] / voted.where(voted > 0)
    low, high = proportion_confint(out["n_increase"], voted.where(voted > 0), alpha=alpha, method="wilson")
    out["ci_low"], out["ci_high"] = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    out["p_sign"] = sign_test(out["n_increase"], out["n_decrease"])
    return out


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment within each row of ``p`` (1-D: one family), ignoring missing values.

    Vectorised over rows: the multiverse adjusts thousands of specifications at once.
    Equal to ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]`` on the
    non-missing values (tested), without its cost per call.

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, np.nan, 0.03])).round(2)  # R: p.adjust(c(.01, .04, .03), "holm")
    array([0.03, 0.06,  nan, 0.06])
    """
    p = np.asarray(p, dtype=float)
    if p.ndim == 1:
        return holm(p[None, :])[0]
    filled = np.where(np.isnan(p), np.inf, p)
    order = np.argsort(filled, axis=1, kind="stable")
    ranked = np.take_along_axis(filled, order, axis=1)
    m = (~np.isnan(p)).sum(axis=1, keepdims=True)
    factor = m - np.arange(p.shape[1])[None, :]
    adjusted = np.minimum(1.0, np.maximum.accumulate(np.where(np.isinf(ranked), np.nan, ranked) * factor, axis=1))
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=1)
    return np.where(np.isnan(p), np.nan, out)
