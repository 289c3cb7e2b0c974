"""Execute notebooks with papermill, paying the imports once per build instead of once per notebook.

Two executors, the same papermill interface (parameters, executed copy, error report):

- **fast** (default where ``fork`` exists): the build process imports what the notebooks
  import, once; each notebook then runs in a fresh *forked* worker, in an in-process
  ipykernel (:class:`ketrev.build.engine.InProcessEngine`, the papermill engine ``ketrev``).
  A worker runs one notebook top to bottom and exits, so no notebook sees another's
  namespace, and the outputs equal those of an isolated run (tested).
- **isolated**: ``python -m papermill`` in a subprocess with a fresh Jupyter kernel per
  notebook, exactly as an analyst runs it by hand.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
from papermill.engines import papermill_engines

from ketrev.build.engine import InProcessEngine

__all__ = ["EXECUTORS", "Job", "default_executor", "notebook_imports", "run_isolated", "run_jobs", "warm_up"]

Executor = Literal["fast", "isolated"]
EXECUTORS: tuple[str, ...] = ("fast", "isolated")
#: Modules every fast build needs beyond what the notebooks import.
_BASE_MODULES = ("nbformat", "papermill", "IPython", "ipykernel.inprocess.manager")
_warmed: set[str] = set()


def default_executor() -> Executor:
    """``fast`` where processes can fork (Linux, macOS), else ``isolated``."""
    return "fast" if "fork" in multiprocessing.get_all_start_methods() else "isolated"


papermill_engines.register("ketrev", InProcessEngine)


def notebook_imports(notebooks: Iterable[Path]) -> list[str]:
    """Top-level modules the code cells of ``notebooks`` import, in order of appearance."""
    found: dict[str, None] = {}
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue  # magics or a broken cell: the notebook will report it when it runs
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(dict.fromkeys(alias.name for alias in node.names))
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.update(dict.fromkeys([node.module]))
                    found.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names))
    return list(found)


def warm_up(modules: Iterable[str]) -> None:
    """Import ``modules`` into this process once, so that forked workers start warm.

    A name that is not a module (``from x import function``) or fails to import is
    skipped: the notebook that needs it reports the error itself when it runs.
    """
    for name in (*_BASE_MODULES, *modules):
        if name in _warmed:
            continue
        _warmed.add(name)
        with contextlib.suppress(Exception):
            importlib.import_module(name)


@dataclass(frozen=True)
class Job:
    """One unit of work for a worker: a name, what to run, and where its log goes."""

    name: str
    run: Callable[[], None]
    log: Path


def _fresh_warnings() -> None:
    """Warnings as a new interpreter has them: Python's default filters plus ``-W`` options.

    A worker is forked from a process that may be recording warnings (a test runner) or
    has changed its filters; a fresh kernel would show a warning that such a parent hides.
    """
    importlib.reload(warnings)  # the original display functions
    warnings.resetwarnings()
    for category in (ResourceWarning, ImportWarning, PendingDeprecationWarning, DeprecationWarning):
        warnings.simplefilter("ignore", category)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    warnings._processoptions(sys.warnoptions)  # type: ignore[attr-defined]


def _worker(job: Job) -> None:
    """Body of a forked worker: fresh warnings, default signals, output to the job's log, run, exit."""
    _fresh_warnings()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet a debugger notice in every log
    job.log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - the process ends with the job
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    job.run()
    sys.stdout.flush()
    sys.stderr.flush()


def run_jobs(jobs: list[Job], *, workers: int, done: Callable[[Job, bool, float], None]) -> None:
    """Run each job in a forked worker, at most ``workers`` at a time; call ``done`` as each ends.

    ``done(job, ok, seconds)`` runs in this process. Forking happens from the calling
    thread only, with no other thread running. On any exception (including Ctrl-C) the
    running workers are stopped before it propagates.
    """
    ctx = multiprocessing.get_context("fork")
    waiting = list(jobs)
    running: dict[int, tuple[Job, Any, float]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(1, workers):
                job = waiting.pop(0)
                process = ctx.Process(target=_worker, args=(job,), name=f"ketrev {job.name}")
                gc.freeze()  # the worker's collections leave this process's objects (and their pages) alone
                try:
                    process.start()
                finally:
                    gc.unfreeze()
                running[process.sentinel] = (job, process, time.perf_counter())
            ready = multiprocessing.connection.wait(list(running))
            for sentinel in ready:
                job, process, start = running.pop(sentinel)  # type: ignore[index]
                process.join()
                done(job, process.exitcode == 0, time.perf_counter() - start)
    finally:
        for _, process, _ in running.values():
            process.terminate()
            process.join()


def run_isolated(notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path, log: Path) -> bool:
    """Run one notebook with ``python -m papermill`` and a fresh Jupyter kernel; return success.

    A kernel that fails to start (no cell ran) is tried once more: that is the machine,
    not the notebook.
    """
    command = [sys.executable, "-m", "papermill", str(notebook), str(output), "-y", json.dumps(parameters),
               "--cwd", str(cwd), "-k", "python3", "--language", "python", "--no-progress-bar", "--no-log-output"]
    log.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        with log.open("w") as sink:
            result = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT)
        if result.returncode == 0 or _ran_a_cell(output):
            break
    return result.returncode == 0


def _ran_a_cell(path: Path) -> bool:
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    return any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
