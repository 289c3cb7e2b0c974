"""Benchmark: load + validate + select + tabulate + vote count.

Runs on the real evidence base (``data/``) and on a synthetic one of about 14,000
studies and 100,000 findings (100x the review), each in a fresh process, and prints the
median wall time of several runs and the peak resident memory.

    python benchmarks/bench_core.py [--repeat 5] [--studies 14000] [--findings 100000]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

WORKLOAD = """
import sys, time, resource
start = time.perf_counter()
from ketrev import load_evidence, load_inclusion, select
from ketrev.synthesis import vote_count
from ketrev.tabulate import characteristics, molecule_counts, study_directions
ready = time.perf_counter()
ev = select(load_evidence(sys.argv[1]), load_inclusion(sys.argv[1], "all"))
long = ev.findings_long()
characteristics(ev.studies, by="evidence_type")
molecule_counts(long, by="family")
vote_count(study_directions(long))
vote_count(study_directions(long, strata=["evidence_type"]), by=["molecule", "evidence_type"])
done = time.perf_counter()
print(done - ready, ready - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def synthetic(folder: Path, n_studies: int, n_findings: int, seed: int = 2022) -> Path:
    """Write a valid data folder of the given size, built from the real vocabularies."""
    rng = np.random.default_rng(seed)
    for sub in ("evidence", "vocab", "inclusion"):
        (folder / sub).mkdir(parents=True)
    for name in ("molecules.csv", "models.csv"):
        shutil.copy(ROOT / "data" / "vocab" / name, folder / "vocab" / name)
    (folder / "inclusion" / "all.yml").write_text("title: All\n")
    levels = {r["molecule"]: r["level"] for r in _rows(folder / "vocab/molecules.csv")}
    molecules = list(levels)
    models = _rows(folder / "vocab/models.csv")

    def surname(i: int) -> str:
        letters = ""
        while True:
            i, r = divmod(i, 26)
            letters += chr(97 + r)
            if i == 0:
                return "syn" + letters

    with open(folder / "evidence/studies.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["study_id", "pmid", "first_author", "year", "year_basis", "title", "evidence_type", "species",
                    "model", "design", "ketamine_form", "antidepressant_effect", "source_url", "coded_from"])
        for i in range(n_studies):
            model = models[rng.integers(len(models))]
            species = "human" if model["evidence_type"] == "human" else "rat"
            year = int(rng.integers(2000, 2022))
            design = "in_vitro" if model["evidence_type"] == "cell_culture" else "treatment"
            w.writerow([f"{surname(i)}{year}", 10_000_000 + i, f"{surname(i).capitalize()} A", year, "printed",
                        f"Synthetic study {i}", model["evidence_type"], species, model["model"], design, "racemic", "yes",
                        f"https://example.org/{i}", "abstract"])
    ids = [r["study_id"] for r in _rows(folder / "evidence/studies.csv")]
    with open(folder / "evidence/findings.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["study_id", "molecule", "kind", "measure", "region", "direction", "timepoint_h"])
        for i in range(n_findings):
            molecule = molecules[rng.integers(len(molecules))]
            w.writerow([ids[i % len(ids)], molecule, "change", "morphology" if levels[molecule] == "cellular" else "protein",
                        "pfc", ("increase", "decrease", "no_change")[rng.integers(3)], i % 97])
    with open(folder / "evidence/searches.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["search_id", "query", "date", "records_seen"], ["s1", "synthetic", "2026-11-27", n_studies]])
    with open(folder / "evidence/screening.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "study_id", "title", "search_id", "decision", "reason"])
        w.writerows([f"r{i}", sid, f"Synthetic study {i}", "s1", "included", ""] for i, sid in enumerate(ids))
    return folder


def measure(data: Path, repeat: int) -> tuple[float, float, float]:
    """Median work seconds, median import seconds, max peak RSS in MB over ``repeat`` fresh processes."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", WORKLOAD, str(data)], check=True, capture_output=True, text=True)
        runs.append([float(x) for x in out.stdout.split()])
    work, imports, rss = zip(*runs)
    return statistics.median(work), statistics.median(imports), max(rss) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--studies", type=int, default=14_000)
    parser.add_argument("--findings", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{'data':<42} {'studies':>8} {'findings':>9} {'work s':>7} {'import s':>8} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        big = synthetic(Path(tmp) / "data", args.studies, args.findings)
        made = time.perf_counter() - t0
        cases = [("data/ (real)", ROOT / "data"), (f"synthetic (made in {made:.1f} s)", big)]
        for label, folder in cases:
            if not (folder / "evidence" / "studies.csv").exists():
                print(f"{label:<42} skipped: no evidence base")
                continue
            n_studies = len(_rows(folder / "evidence/studies.csv"))
            n_findings = len(_rows(folder / "evidence/findings.csv"))
            work, imports, peak = measure(folder, args.repeat)
            print(f"{label:<42} {n_studies:>8} {n_findings:>9} {work:>7.3f} {imports:>8.3f} {peak:>8.0f}")
    print(f"\nmedian of {args.repeat} fresh processes; 'work' = load + validate + select + tabulate + vote count; "
          f"peak = max resident set size of the process (python, pandas and data). "
          f"Goal at 100x: work < 1 s, peak < 500 MB.")


if __name__ == "__main__":
    main()
