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

    @property
    def shared(self) -> Path:
        """What the builds of every inclusion set share (the page comparing the sets)."""
        return self.root / "build"

    def build(self, inclusion: str) -> Path:
        """Work folder of one inclusion set (its lock is ``.lock`` here)."""
        return self.shared / inclusion

    def inputs(self, inclusion: str) -> Path:
        """The snapshot of ``data/`` and ``notebooks/`` that a build of the set reads."""
        return self.build(inclusion) / "inputs"

    def results(self, inclusion: str) -> Path:
        """One folder per executed notebook: executed copy, figures, tables, manifest, key."""
        return self.build(inclusion) / "results"

    def results_in_every_set(self, notebook: str) -> list[Path]:
        """The result folders of ``notebook`` in every inclusion set's work folder."""
        return sorted(self.shared.glob(f"*/results/{notebook}"))

    def failed(self, inclusion: str) -> Path:
        """Executed copies of notebooks that failed, kept for inspection."""
        return self.build(inclusion) / "failed"

    def logs(self, inclusion: str) -> Path:
        """What the workers printed: one log per notebook, one for Jupyter Book."""
        return self.build(inclusion) / "logs"

    def source(self, inclusion: str) -> Path:
        """The assembled Jupyter Book source of the set; ``_build/`` in it is kept between builds."""
        return self.build(inclusion) / "book"

    def html(self, inclusion: str) -> Path:
        """The built book of an inclusion set (``_build/html`` for the default set)."""
        return self.root / "_build" / "html" if inclusion == DEFAULT else self.root / "_build" / inclusion / "html"
