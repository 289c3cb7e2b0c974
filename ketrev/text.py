"""Text as ids and sort keys see it: accents dropped, ASCII only, lower case."""

from __future__ import annotations

import unicodedata

__all__ = ["fold"]


def fold(text: str) -> str:
    """``"Réus GZ"`` → ``"reus gz"``: accents and other non-ASCII characters dropped, lower case.

    Examples
    --------
    >>> fold("Épsilon Machado-Vieira")
    'epsilon machado-vieira'
    """
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
