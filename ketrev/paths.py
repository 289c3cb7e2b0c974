"""Every path the pipeline reads or writes, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ketrev.inclusion import DEFAULT

__all__ = ["Layout"]


@dataclass(frozen=True)
class Layout:
    """The folders of a ketrev checkout rooted at ``root`` (the data folder may be elsewhere)."""

    root: Path
    data_dir: Path | None = None

    @property
    def data(self) -> Path:
        """Hand-curated inputs; the pipeline never writes here."""
        return self.data_dir if self.data_dir is not None else self.root / "data"

    @property
    def notebooks(self) -> Path:
        """Notebooks as stored in git, without outputs."""
        return self.root / "notebooks"

    @property
    def pages(self) -> Path:
        """Hand-written Markdown pages of the book."""
        return self.root / "book"

    @property
    def site(self) -> Path:
        """Versioned web site: ``site/<version>/`` and ``site/versions.json``."""
        return self.root / "site"

    def build(self, inclusion: str) -> Path:
        """Work folder of one inclusion set: executed notebooks, outputs, manifest, cache."""
        return self.root / "build" / inclusion

    def html(self, inclusion: str) -> Path:
        """The built book of an inclusion set (``_build/html`` for the default set)."""
        return self.root / "_build" / "html" if inclusion == DEFAULT else self.root / "_build" / inclusion / "html"
