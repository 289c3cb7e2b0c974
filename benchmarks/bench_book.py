"""Benchmark: building the book with ketrev against Jupyter Book's own execution.

    python benchmarks/bench_book.py [--jobs 2] [--repeat 3]

Each run is a fresh process working on a copy of the checkout (nothing here touches
build/, _build/ or site/). In one process, as ``ketrev build --inclusion all preclinical``
runs: a cold build of the default set (imports included); one more inclusion set; a
rebuild after one notebook changed; a rebuild with nothing changed. Then the same notebooks
and pages built by Jupyter Book with ``execute_notebooks: force``, and, as a user at a
terminal sees it, ``ketrev build`` in a new process after one notebook changed. Peak
memory is the largest total PSS of the benchmark's process tree (forked workers share
pages, so PSS, not RSS, is what they cost), measured in one more run of the same ketrev
steps: its sampler reads every process's memory map 20 times a second, which would slow the
builds it watches, so no timing is taken while it runs. Prints the median of the runs, the
ratios the goals are set on (the median of each run's ratio to its own Jupyter Book time),
and the machine's load.

Goals, each against Jupyter Book's forced execution of the same book (= 1): cold build ≤ 0.4;
one more inclusion set ≤ 0.25; one changed notebook ≤ 0.10; peak memory ≤ 1.5 GB (2 jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"cold / Jupyter Book force": 0.4, "one more inclusion set / Jupyter Book force": 0.25,
         "one changed notebook / Jupyter Book force": 0.10}


def checkout_copy(target: Path) -> Path:
    target.mkdir()
    for name in ("_config.yml", "_toc.yml", "CITATION.cff"):
        shutil.copy(ROOT / name, target / name)
    for name in ("notebooks", "book", "data"):
        shutil.copytree(ROOT / name, target / name)
    return target


def tree_pss_mb(pid: int) -> float:
    """Total proportional set size of a process and its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total / 1024


class MemoryWatch:
    """Samples the tree's PSS from a separate process, which writes the peak when it is stopped."""

    SAMPLER = ("import signal, sys, time\nsys.path.insert(0, sys.argv[2])\nfrom bench_book import tree_pss_mb\n"
               "peak = 0.0\ndef stop(*_):\n    open(sys.argv[3], 'w').write(str(peak))\n    sys.exit(0)\n"
               "signal.signal(signal.SIGTERM, stop)\nwhile True:\n    peak = max(peak, tree_pss_mb(int(sys.argv[1])))\n"
               "    time.sleep(0.05)\n")

    def __enter__(self) -> MemoryWatch:
        self.out = Path(tempfile.mkstemp(prefix="ketrev-peak-")[1])
        self.proc = subprocess.Popen([sys.executable, "-c", self.SAMPLER, str(os.getpid()), str(Path(__file__).parent),
                                      str(self.out)])
        time.sleep(0.5)  # the sampler is running before the build starts
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait()
        self.peak = float(self.out.read_text() or 0)
        self.out.unlink()


STEPS = [("cold build", "all", False), ("one more inclusion set", "preclinical", False),
         ("one changed notebook", "all", True), ("nothing changed", "all", False)]


def ketrev_steps(root: Path, jobs: int) -> Iterator[tuple[str, Callable[[], object]]]:
    """The ketrev builds measured, in order, as ``ketrev build --inclusion all preclinical`` runs
    them; a step's notebook edit is made before the step is handed out, so it is never timed."""
    import yaml  # noqa: F401 - the same modules a CLI build has imported before it starts

    from ketrev.build.pipeline import build_book

    for label, inclusion, edit in STEPS:
        if edit:
            edit_notebook(root / "notebooks" / "02-models.ipynb")
        yield label, lambda inclusion=inclusion: build_book(root, inclusion=inclusion, jobs=jobs,
                                                            report=lambda _: None)


def one_run(jobs: int) -> dict[str, float]:
    """One timing, in this (fresh) process."""
    times: dict[str, float] = {}

    def timed(label: str, action: Callable[[], object]) -> None:
        start = time.perf_counter()
        action()
        times[label] = time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="ketrev-bench-") as tmp:
        root = checkout_copy(Path(tmp) / "checkout")
        for label, step in ketrev_steps(root, jobs):
            timed(label, step)
        edit_notebook(root / "notebooks" / "02-models.ipynb")
        timed("one changed notebook, new process", lambda: subprocess.run(
            [sys.executable, "-m", "ketrev", "build", "--jobs", str(jobs)], cwd=root, check=True, capture_output=True))
        staging = Path(tmp) / "jb"
        shutil.copytree(root / "build" / "all" / "book", staging, ignore=shutil.ignore_patterns("_build"))
        shutil.rmtree(staging / "notebooks")
        shutil.copytree(root / "notebooks", staging / "notebooks")  # unexecuted: Jupyter Book runs them
        shutil.copytree(root / "data", staging / "data")  # where the notebooks' parameters look for it
        timed("Jupyter Book force", lambda: jupyter_book_force(staging))
    return times


def peak_memory(jobs: int) -> float:
    """Peak memory (MB) of the same ketrev steps, in this (fresh) process; nothing is timed."""
    with tempfile.TemporaryDirectory(prefix="ketrev-bench-") as tmp:
        root = checkout_copy(Path(tmp) / "checkout")
        with MemoryWatch() as memory:
            for _, step in ketrev_steps(root, jobs):
                step()
    return memory.peak


def edit_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nOne more sentence."
    nbformat.write(nb, path)


def jupyter_book_force(staging: Path) -> None:
    """Jupyter Book executing the raw notebooks itself (the comparison)."""
    import yaml

    config = yaml.safe_load((staging / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "force", "timeout": 300}
    (staging / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(staging),
               "--builder", "html", "--quiet"]
    subprocess.run(command, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run or args.memory_run:
        print(json.dumps(one_run(args.jobs) if args.one_run else {"peak memory (MB)": peak_memory(args.jobs)}))
        return
    load_before = os.getloadavg()

    def fresh_process(kind: str) -> dict[str, float]:
        result = subprocess.run([sys.executable, __file__, kind, "--jobs", str(args.jobs)], capture_output=True,
                                text=True, check=True, cwd=ROOT)
        return json.loads(result.stdout.strip().splitlines()[-1])

    runs = []
    for i in range(args.repeat):
        runs.append(fresh_process("--one-run"))
        print(f"run {i + 1}/{args.repeat}: " + ", ".join(f"{k} {v:.1f}" for k, v in runs[-1].items()), flush=True)
    peak = fresh_process("--memory-run")["peak memory (MB)"]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\nMedian of {args.repeat} runs, {args.jobs} jobs, {os.cpu_count()} cores; load average before "
          f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}:")
    for key, value in median.items():
        print(f"  {key:<40} {value:8.1f} s")
    # Each run's steps are divided by the same run's Jupyter Book time, and the median of those
    # paired ratios is reported: a shared machine's drift between runs moves both sides together.
    for step in ("cold build", "one more inclusion set", "one changed notebook"):
        key = f"{'cold' if step == 'cold build' else step} / Jupyter Book force"
        paired = sorted(r[step] / r["Jupyter Book force"] for r in runs)
        value = statistics.median(paired)
        print(f"  {key:<40} {value:8.2f}  (goal ≤ {GOALS[key]}; runs {', '.join(f'{p:.2f}' for p in paired)})"
              f"{'' if value <= GOALS[key] else '  NOT MET'}")
    terminal = statistics.median(r["one changed notebook, new process"] / r["Jupyter Book force"] for r in runs)
    print(f"  {'one changed notebook, new process / JB':<40} {terminal:8.2f}  (a user at a terminal)")
    print(f"  {'peak memory (one more run, untimed)':<40} {peak:8.0f} MB (goal ≤ 1536 MB)")


if __name__ == "__main__":
    main()
