"""Benchmark: building the book with ketrev (papermill + cache) against Jupyter Book's own execution.

    python benchmarks/bench_book.py [--jobs 2]

Works on a copy of the checkout in a temporary folder, so nothing here touches build/,
_build/ or site/. Prints wall-clock seconds for: a cold build; a rebuild with nothing
changed; a rebuild after one notebook changed; one more inclusion set; and the same
notebooks built by Jupyter Book with ``execute_notebooks: force`` and then ``cache``
(second run, cache warm). Goals: cold build no slower than Jupyter Book's forced
execution; a no-change rebuild under 15% of the cold build.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

from ketrev.evidence import load_evidence
from ketrev.inclusion import load_inclusion, select
from ketrev.paths import Layout
from ketrev.pipeline import _assemble, build_book

ROOT = Path(__file__).resolve().parent.parent


def timed(label: str, results: list[tuple[str, float]], action) -> None:
    start = time.perf_counter()
    action()
    results.append((label, time.perf_counter() - start))
    print(f"  {label:<52} {results[-1][1]:7.1f} s", flush=True)


def checkout_copy(target: Path) -> Path:
    target.mkdir()
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, target / name)
    for name in ("notebooks", "book", "data"):
        shutil.copytree(ROOT / name, target / name)
    return target


def jupyter_book_execution(root: Path, mode: str, staging: Path) -> None:
    """Jupyter Book executing the raw notebooks itself (the comparison)."""
    config = yaml.safe_load((staging / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": mode, "timeout": 300}
    (staging / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(staging),
               "--builder", "html", "--quiet"]
    subprocess.run(command, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    results: list[tuple[str, float]] = []
    quiet = lambda _: None  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="ketrev-bench-") as tmp:
        root = checkout_copy(Path(tmp) / "checkout")
        print(f"ketrev build ({args.jobs} notebooks at a time):")
        timed("cold build", results, lambda: build_book(root, jobs=args.jobs, report=quiet))
        timed("rebuild, nothing changed", results, lambda: build_book(root, jobs=args.jobs, report=quiet))
        path = root / "notebooks" / "02-models.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells[0].source += "\n\nOne more sentence."
        nbformat.write(nb, path)
        timed("rebuild after one notebook changed", results, lambda: build_book(root, jobs=args.jobs, report=quiet))
        timed("one more inclusion set (preclinical, cold)", results,
              lambda: build_book(root, inclusion="preclinical", jobs=args.jobs, report=quiet))

        print("Jupyter Book's own execution (same notebooks and pages):")
        layout = Layout(root)
        evidence = select(load_evidence(layout.data), load_inclusion(layout.data, "all"))
        staging = Path(tmp) / "jb"
        staging.mkdir()
        _assemble(layout, evidence, "dev", staging)
        shutil.rmtree(staging / "notebooks")
        shutil.copytree(root / "notebooks", staging / "notebooks")  # unexecuted
        shutil.rmtree(staging / "data")
        shutil.copytree(root / "data", staging / "data")
        timed("execute_notebooks: force", results, lambda: jupyter_book_execution(root, "force", staging))
        jupyter_book_execution(root, "cache", staging)  # fills the cache
        timed("execute_notebooks: cache (warm, nothing changed)", results,
              lambda: jupyter_book_execution(root, "cache", staging))
    t = dict(results)
    cold, jb = t["cold build"], t["execute_notebooks: force"]
    print(f"\ncold build / Jupyter Book force = {cold / jb:.2f} (goal ≤ 1)")
    print(f"no-change rebuild / cold build = {t['rebuild, nothing changed'] / cold:.1%} (goal < 15%)")


if __name__ == "__main__":
    main()
