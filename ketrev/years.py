"""Years no record prints, derived from a study's identifiers, and the ranges they may decide.

A study's ``year`` is the issue year its record prints (``year_basis`` = ``printed``).
Where no record prints one, it may be derived:

- ``doi``: the year some publishers write into their DOIs (:data:`DOI_PATTERNS`);
- ``pmid`` / ``pmcid``: the year of the identifier on a calibration fitted to the evidence
  base's own studies that print both (:func:`calibration`): identifiers are issued in
  order, so the years of printed studies, sorted by identifier, fix a step function.

A derived year is approximate — a DOI is registered, a PMID issued, months before the
issue — so it never decides a range's edge: :func:`within` keeps a study whose year was
derived only when that year lies strictly inside the range (with ``max: 2021``, a derived
2021 is left out until a record prints the year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BASES", "DOI_PATTERNS", "Calibration", "calibration", "derive", "within", "year_from_doi"]

#: How a year was obtained: printed by a record, or derived from an identifier.
BASES = ("printed", "doi", "pmid", "pmcid")

#: Publisher DOI patterns that carry a year, as (publisher, pattern, how the captured digits read).
DOI_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("Elsevier", r"10\.1016/j\.[a-z0-9]+\.((?:19|20)\d\d)\.\d+", "yyyy"),
    ("Elsevier (PII)", r"10\.1016/s[0-9x]{4}-?[0-9x]{4}\((\d\d)\)", "yy"),
    ("Springer / Springer Nature", r"10\.(?:1007|1186|1038)/s\d{5}-(\d{3})-", "yyy"),
    ("Nature", r"10\.1038/[a-z]{2,4}\.((?:19|20)\d\d)\.\d+", "yyyy"),
    ("Nature (compact)", r"10\.1038/[a-z]{2,4}((?:19|20)\d\d)\d+", "yyyy"),
    ("Frontiers", r"10\.3389/[a-z]+\.((?:19|20)\d\d)\.\d+", "yyyy"),
    ("Taylor & Francis", r"10\.(?:1080|3109)/\d{7}[\dx]\.((?:19|20)\d\d)\.\d+", "yyyy"),
)
_COMPILED = tuple((name, re.compile(pattern), kind) for name, pattern, kind in DOI_PATTERNS)


def year_from_doi(doi: str) -> int | None:
    """The year a DOI carries by one of :data:`DOI_PATTERNS`, else None.

    Examples
    --------
    >>> [year_from_doi(d) for d in ("10.1016/j.eurpsy.2013.10.005", "10.1016/S0006-3223(17)32247-3",
    ...                             "10.1007/s00213-020-05490-3", "10.1038/npp.2015.357", "10.1038/tp201439",
    ...                             "10.3389/fpsyt.2022.860882", "10.1080/13651501.2017.1297834",
    ...                             "10.1016/j.nlm.2019.107136", "10.1371/journal.pone.0056053")]
    [2013, 2017, 2020, 2015, 2014, 2022, 2017, 2019, None]
    """
    text = doi.strip().lower()
    for _, pattern, kind in _COMPILED:
        found = pattern.fullmatch(text) or pattern.match(text)
        if found:
            digits = int(found.group(1))
            return {"yyyy": digits, "yy": 2000 + digits, "yyy": 2000 + digits if digits < 900 else 1000 + digits}[kind]
    return None


@dataclass(frozen=True)
class Calibration:
    """Where each year's identifiers start, fitted to the studies that print their year.

    ``starts`` are ``(year, first identifier)`` pairs in order; an identifier belongs to the
    last year whose start it reaches. Identifiers below the first start or above
    ``last`` (the highest identifier of a printed study) lie outside the calibration.
    """

    column: str
    starts: tuple[tuple[int, int], ...]
    last: int

    def year(self, identifier: str) -> int | None:
        """The calibrated year of an identifier (``PMC123`` or ``123``), or None outside the range."""
        number = _number(identifier)
        if number is None or not self.starts or number < self.starts[0][1] or number > self.last:
            return None
        return [year for year, start in self.starts if start <= number][-1]


def _number(identifier: str) -> int | None:
    digits = identifier.strip().upper().removeprefix("PMC")
    return int(digits) if digits.isdigit() else None


def calibration(studies: pd.DataFrame, /, column: str) -> Calibration:
    """Fit the year of ``column`` (``pmid`` or ``pmcid``) on the studies that print their year.

    The fit is the non-decreasing step function (year against identifier) that disagrees
    with the fewest printed studies (an exact dynamic programme); the start of each year is
    midway between the last identifier of the year before and the first of its own.

    Examples
    --------
    >>> s = pd.DataFrame({"pmid": ["100", "200", "300", "400", "350"], "year": [2010, 2010, 2012, 2012, 2011],
    ...                   "year_basis": ["printed"] * 5})
    >>> calibration(s, "pmid").starts
    ((2010, 100), (2011, 325), (2012, 375))
    """
    printed = studies[(studies["year_basis"] == "printed") & (studies[column] != "")]
    pairs = sorted((n, int(y)) for n, y in zip(printed[column].map(_number), printed["year"]) if n is not None)
    if not pairs:
        return Calibration(column, (), 0)
    numbers = [n for n, _ in pairs]
    years = sorted({y for _, y in pairs})
    fitted = _monotone_fit([y for _, y in pairs], years)
    starts: list[tuple[int, int]] = []
    for i, year in enumerate(fitted):
        if not starts:
            starts.append((year, numbers[0]))
        elif year != starts[-1][0]:
            starts.append((year, (numbers[i - 1] + numbers[i] + 1) // 2))
    return Calibration(column, tuple(starts), numbers[-1])


def _monotone_fit(observed: list[int], levels: list[int]) -> list[int]:
    """The non-decreasing sequence over ``levels`` that matches ``observed`` at the most places (ties: earliest)."""
    n, k = len(observed), len(levels)
    cost = np.zeros((n + 1, k), dtype=int)  # cost[i, j]: mismatches of the first i with the i-th at level <= j
    choice = np.zeros((n, k), dtype=int)
    for i, y in enumerate(observed):
        here = cost[i] + (np.asarray(levels) != y)
        best = np.minimum.accumulate(here)
        # where the running minimum is first reached: the earliest level at or below j with the least cost
        drops = np.r_[True, here[1:] < best[:-1]]
        cost[i + 1], choice[i] = best, np.maximum.accumulate(np.where(drops, np.arange(k), 0))
    out, j = [], k - 1
    for i in range(n - 1, -1, -1):
        j = int(choice[i, j])
        out.append(levels[j])
    return out[::-1]


def derive(row: dict[str, str], calibrations: dict[str, Calibration]) -> int | None:
    """The year a study's ``year_basis`` derives from its identifier (None when it cannot)."""
    basis = row.get("year_basis", "")
    if basis == "doi":
        return year_from_doi(row.get("doi", ""))
    if basis in ("pmid", "pmcid") and row.get(basis):
        return calibrations[basis].year(row[basis])
    return None


def within(studies: pd.DataFrame, /, low: int | None = None, high: int | None = None) -> pd.Series:
    """Which studies lie in the year range ``[low, high]``; a derived year must lie strictly inside.

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2021, 2021, 2020], "year_basis": ["printed", "doi", "pmid"]})
    >>> within(s, high=2021).tolist()
    [True, False, True]
    """
    year = studies["year"]
    derived = studies["year_basis"] != "printed" if "year_basis" in studies else pd.Series(False, index=studies.index)
    keep = pd.Series(True, index=studies.index)
    if low is not None:
        keep &= (year >= low) & ~(derived & (year == low))
    if high is not None:
        keep &= (year <= high) & ~(derived & (year == high))
    return keep.fillna(False).astype(bool)
