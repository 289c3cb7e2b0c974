"""Text as ids and sort keys see it: accents dropped, ASCII only, lower case."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

__all__ = ["did_you_mean", "fold"]


def fold(text: str) -> str:
    """``"Réus GZ"`` → ``"reus gz"``: accents and other non-ASCII characters dropped, lower case.

    Examples
    --------
    >>> fold("Épsilon Machado-Vieira")
    'epsilon machado-vieira'
    """
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options`` to a mistyped ``word``, else ``""``.

    Examples
    --------
    >>> did_you_mean("preclinicl", ["all", "preclinical", "clinical"])
    " (did you mean 'preclinical'?)"
    >>> did_you_mean("zzz", ["all"])
    ''
    """
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
