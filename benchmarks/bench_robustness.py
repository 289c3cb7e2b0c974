"""Benchmark: the multiverse of inclusion decisions (every specification × every molecule).

    python benchmarks/bench_robustness.py [--repeat 5]

Times ``multiverse`` + ``leave_one_out`` + ``robustness_summary`` (by outcome) on the real evidence base
and on a synthetic one 10× its size, and, to check linear growth, with the list of
specifications repeated 1, 2, 4 and 8 times. Goal: the whole multiverse (≥ 1,000
specifications × every molecule) under 5 s on a 2-core machine, growing linearly.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import synthetic

from ketrev import memo
from ketrev.evidence import load_evidence
from ketrev.robustness import leave_one_out, multiverse, robustness_summary, specifications

ROOT = Path(__file__).resolve().parent.parent


def run(evidence, specs) -> float:
    memo._kept.clear()  # measure the computation, not the reuse of an earlier result
    start = time.perf_counter()
    runs = multiverse(evidence, specs=specs)
    robustness_summary(runs, leave_one_out(evidence))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    real = load_evidence(ROOT / "data")
    with tempfile.TemporaryDirectory() as tmp:
        big = load_evidence(synthetic(Path(tmp) / "data", 10 * len(real.studies), 10 * len(real.findings)))
    base = specifications()
    print(f"{'evidence base':<28} {'studies':>7} {'molecules':>9} {'specs':>6} {'median s':>9}")
    for label, ev in (("data/ (real)", real), ("synthetic 10x", big)):
        for factor in (1, 2, 4, 8):
            specs = pd.concat([base] * factor, ignore_index=True).assign(spec_id=lambda d: range(len(d)))
            run(ev, specs)  # warm-up
            seconds = statistics.median(run(ev, specs) for _ in range(args.repeat))
            print(f"{label:<28} {len(ev.studies):>7} {ev.findings.molecule.nunique():>9} {len(specs):>6} {seconds:>9.3f}")
    print(f"\nmedian of {args.repeat} runs after a warm-up; goal: ≥ 1,000 specifications in < 5 s, linear growth.")


if __name__ == "__main__":
    main()
