"""Shared fixtures: a writable copy of the example data and a CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

EXAMPLE = Path(__file__).parent / "example_data"
ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctests and tests name files relative to the repository root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of the example data set that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(EXAMPLE, target)
    return target


def snapshot(folder: Path) -> dict[str, float]:
    """Every file under ``folder`` with its modification time: to prove nothing was written."""
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")}


def edit_csv(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a CSV file, failing loudly if the text is absent."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


os.environ.setdefault("MPLBACKEND", "Agg")
