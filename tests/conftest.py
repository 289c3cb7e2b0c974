"""Shared fixtures: a writable copy of the example data and a CLI runner."""

from __future__ import annotations

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


def make_checkout(root: Path) -> Path:
    """Lay out the repository's book sources with the example data in ``root``."""
    for name in ("_config.yml", "_toc.yml", "CITATION.cff"):
        shutil.copy(ROOT / name, root / name)
    for name in ("notebooks", "book"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copytree(EXAMPLE, root / "data")
    return root


def snapshot(folder: Path) -> dict[str, float]:
    """Every file under ``folder`` with its modification time: to prove nothing was written."""
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")}


def edit_csv(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a CSV file, failing loudly if the text is absent."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")



HOSTILE = {
    "title": "<script>alert(1)</script> Synthetic hostile title ```{literalinclude} ../../../../../../../../etc/passwd```",
    "journal": '"><img src=x onerror=alert(1)>',
    "first_author": "<img src=x onerror=alert(1)> Z",
}
HOSTILE_LABEL = "BDNF<img src=x onerror=alert(2)>"
HOSTILE_SET_TITLE = "All <script>alert(3)</script> studies"


def make_hostile(data: Path) -> str:
    """Put markup into one study's title (with a MyST directive), journal and author, a molecule
    label and the default inclusion set's title; return the study's new id."""
    import csv

    path = data / "evidence" / "studies.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    new_id = "imgsrcxonerroralert2020"  # surname of the hostile author + year, as the contract requires
    for row in rows:
        if row["study_id"] == "zeta2020":
            row.update(HOSTILE, study_id=new_id)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for name in ("findings.csv", "screening.csv"):
        p = data / "evidence" / name
        p.write_text(p.read_text(encoding="utf-8").replace("zeta2020", new_id), encoding="utf-8")
    edit_csv(data / "vocab" / "molecules.csv", "bdnf,BDNF,", f"bdnf,{HOSTILE_LABEL},")
    default = data / "inclusion" / "all.yml"
    default.write_text(default.read_text(encoding="utf-8").replace("title: All included studies",
                                                                    f"title: {HOSTILE_SET_TITLE}"), encoding="utf-8")
    return new_id


def broken_links(html_root: Path) -> list[str]:
    """Every internal link or anchor in the built HTML that does not resolve."""
    import re
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlsplit

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: set[str] = set()
            self.links: list[str] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if "id" in attrs:
                self.ids.add(attrs["id"])
            if tag == "a" and attrs.get("name"):
                self.ids.add(attrs["name"])
            for key in ("href", "src"):
                if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "preload"):
                    self.links.append(attrs[key])

    pages = {}
    for path in html_root.rglob("*.html"):
        parser = Collect()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    problems = []
    for path, parser in pages.items():
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "data:", "javascript:")) or re.match(r"^\{", link):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{path.relative_to(html_root.resolve())}: {link} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{path.relative_to(html_root.resolve())}: {link} (no such anchor)")
    return problems
