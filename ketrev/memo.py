"""Results computed once per evidence selection and reused.

The multiverse, leave-one-out and the outcome summary of one selection are asked for by
several notebooks of a book and by its generated pages. :func:`remembered` keeps the last
few results, keyed by the content of the evidence (not by its identity), and hands out
copies; a build computes them once before its notebooks fork, so every notebook finds them.
A function given a table to work from (``runs=...``) is computed afresh.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["fingerprint", "remembered"]

#: How many results are kept (a book asks for a handful; a comparison of sets for a few more).
SIZE = 32
_kept: OrderedDict[tuple, Any] = OrderedDict()
_fingerprints: dict[int, tuple[Any, str]] = {}


def fingerprint(evidence: Any) -> str:
    """sha256 over the content of the evidence's tables and its inclusion set's name (computed once per
    evidence object)."""
    known = _fingerprints.get(id(evidence))
    if known is not None and known[0] is evidence:
        return known[1]
    h = hashlib.sha256(str(evidence.inclusion).encode())
    for table in (evidence.studies, evidence.findings, evidence.molecules, evidence.models):
        h.update(pd.util.hash_pandas_object(table.astype(str), index=False).to_numpy().tobytes())
        h.update("|".join(map(str, table.columns)).encode())
    _fingerprints[id(evidence)] = (evidence, h.hexdigest())
    if len(_fingerprints) > SIZE:
        _fingerprints.pop(next(iter(_fingerprints)))
    return h.hexdigest()


def remembered(function: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """Keep the results of ``function(evidence, **options)``; a copy is returned each time."""

    @functools.wraps(function)
    def wrapper(evidence: Any, /, **options: Any) -> pd.DataFrame:
        if any(isinstance(v, pd.DataFrame) for v in options.values() if v is not None):
            return function(evidence, **options)
        key = (function.__module__, function.__qualname__, fingerprint(evidence), tuple(sorted(options.items())))
        if key not in _kept:
            _kept[key] = function(evidence, **options)
            while len(_kept) > SIZE:
                _kept.popitem(last=False)
        _kept.move_to_end(key)
        return _kept[key].copy()

    return wrapper
