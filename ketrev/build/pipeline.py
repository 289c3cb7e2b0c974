"""Build the book of an inclusion set: snapshot, execute, assemble, Jupyter Book, publish.

What a build publishes is always what the data, notebooks and code on disk produce, or
the previous complete book with a clear error:

- a build reads a **snapshot** of ``data/`` and ``notebooks/`` taken when it starts, so an
  edit made while it runs is picked up by the next build, never half by this one;
- each notebook's result (executed copy, figures, tables, manifest) is **one folder**,
  keyed by the notebook, parameters, data, code and environment it was computed from, and
  swapped in whole (:mod:`ketrev.build.publish`);
- the book is keyed by the **content of its assembled source**, and that key is written
  inside every published tree, so a tree and its key never disagree;
- one build per inclusion set runs at a time (a lock); what an interrupted build left is
  cleaned up by the next.

Nothing here writes into ``data/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import nbformat

from ketrev.build import execute, publish
from ketrev.build.assemble import assemble, book_key, comparisons_job, jupyter_book, publish_html, static_files
from ketrev.build.paths import Layout
from ketrev.build.publish import BuildLock, new_path, read_key, read_record, recover, swap_in, write_key
from ketrev.build.tree import LOADED_CODE, Inputs, code_fingerprint, snapshot
from ketrev.errors import BuildError, UsageError
from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.summary import outcome_summary

__all__ = ["BuildError", "NotebookRun", "build_book", "execute_notebooks", "snapshot"]

Report = Callable[[str], None]


@dataclass(frozen=True)
class NotebookRun:
    """What happened to one notebook: ``executed`` or ``cached``, and how long it took."""

    notebook: str
    status: str
    seconds: float


def _unit_is_complete(unit: Path) -> bool:
    """A result folder holds a readable executed notebook and manifest (else it is a miss)."""
    try:
        json.loads((unit / "notebook.ipynb").read_text(encoding="utf-8"))
        return all(isinstance(json.loads(p.read_text(encoding="utf-8")), list) for p in (unit / "manifest").glob("*.json"))
    except (OSError, ValueError):
        return False


def _last_seconds(unit: Path) -> float:
    """How long the notebook of ``unit`` took last time (0 when unknown)."""
    try:
        return float(read_record(unit).get("seconds", 0))
    except (ValueError, TypeError):
        return 0.0


def execute_notebooks(layout: Layout, inputs: Inputs, evidence: Evidence, *, jobs: int = 2, executor: str = "fast",
                      beside: list[execute.Job] | None = None, report: Report = print) -> list[NotebookRun]:
    """Execute every notebook whose result is missing or was computed from other inputs.

    Each notebook writes into a fresh folder; only a successful run, whose code did not
    change meanwhile, replaces the notebook's previous result (and records its key there).
    ``beside`` are further jobs run in the same workers (their results are files they keep;
    one that fails is simply done again later, where it is needed).

    Raises
    ------
    BuildError
        A notebook failed: one line per failure naming it, the cell and the error, and
        where the executed copy was kept.
    """
    inclusion = evidence.inclusion
    results, failed_dir, logs = layout.results(inclusion), layout.failed(inclusion), layout.logs(inclusion)
    notebooks = sorted(inputs.notebooks.glob("*.ipynb"))
    if not notebooks:
        raise UsageError(f"{layout.notebooks}: no notebooks to execute")
    code = code_fingerprint()
    if executor == "fast" and code != LOADED_CODE:
        report("  note      ketrev changed since this process imported it: each notebook runs in a fresh kernel")
        executor = "isolated"
    data = inputs.data_digest
    plans: dict[Path, tuple[dict[str, Any], str]] = {}
    for nb in notebooks:
        # Paths relative to the notebooks folder: no machine path in a published notebook or a key.
        params = {"inclusion_set": inclusion, "notebook": nb.stem, "data_dir": os.path.relpath(inputs.data, inputs.notebooks),
                  "output_dir": os.path.relpath(new_path(results / nb.stem), inputs.notebooks)}
        payload = json.dumps({"notebook": hashlib.sha256(nb.read_bytes()).hexdigest(), "parameters": params,
                              "data": data, "code": code}, sort_keys=True)
        plans[nb] = (params, hashlib.sha256(payload.encode()).hexdigest())
    todo = [nb for nb in notebooks if read_key(results / nb.stem) != plans[nb][1] or not _unit_is_complete(results / nb.stem)]
    # longest first, as this set or any other last ran them: the workers finish together
    todo.sort(key=lambda nb: -max(map(_last_seconds, layout.results_in_every_set(nb.stem)), default=0.0))
    runs = [NotebookRun(nb.stem, "cached", 0.0) for nb in notebooks if nb not in todo]
    for run in runs:
        report(f"  cached    {run.notebook}")
    if not todo:
        if beside:
            execute.run_jobs(beside, workers=jobs, done=lambda *_: None)
        return runs
    if executor == "fast":
        execute.warm_up(execute.notebook_imports(todo))
        outcome_summary(evidence)  # computed once here, found by every notebook the workers fork to run

    def run_one(nb: Path) -> None:
        params, out = plans[nb][0], new_path(results / nb.stem) / "notebook.ipynb"
        if executor == "fast":
            import papermill

            papermill.execute_notebook(str(nb), str(out), parameters=params, engine_name="ketrev", kernel_name="python3",
                                       language="python", progress_bar=False, cwd=str(inputs.notebooks))
        elif not execute.run_isolated(nb, out, params, inputs.notebooks, logs / f"{nb.stem}.kernel.log"):
            raise SystemExit(1)

    failures: list[str] = []
    by_name = {nb.stem: nb for nb in todo}

    def done(job: execute.Job, ok: bool, seconds: float) -> None:
        if job.name not in by_name:  # a job beside the notebooks
            return
        nb = by_name[job.name]
        unit, fresh = results / nb.stem, new_path(results / nb.stem)
        ok = ok and code_fingerprint() == code  # a run on changed code is not what its key says
        if ok:
            write_key(fresh, plans[nb][1], notebook=nb.stem, seconds=round(seconds, 2))
            publish.checkpoint(f"executed {nb.stem}")
            swap_in(fresh, unit)
            runs.append(NotebookRun(nb.stem, "executed", seconds))
            report(f"  executed  {nb.stem} in {seconds:.1f} s [{len(runs)}/{len(notebooks)}]")
            return
        kept = failed_dir / nb.name
        if (fresh / "notebook.ipynb").exists():
            failed_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy(fresh / "notebook.ipynb", kept)
        failures.append(_describe_failure(layout.notebooks / nb.name, job.log, kept, code_changed=code_fingerprint() != code))
        shutil.rmtree(fresh, ignore_errors=True)
        report(f"  FAILED    {nb.stem}")

    for nb in todo:
        recover(results / nb.stem)
        new_path(results / nb.stem).mkdir(parents=True)
    try:
        notebook_jobs = [execute.Job(nb.stem, partial(run_one, nb), logs / f"{nb.stem}.log") for nb in todo]
        execute.run_jobs([*notebook_jobs[:jobs], *(beside or []), *notebook_jobs[jobs:]], workers=jobs, done=done)
    finally:
        for nb in todo:
            shutil.rmtree(new_path(results / nb.stem), ignore_errors=True)
    if failures:
        raise BuildError("\n".join(failures))
    return runs


def _cell_error(copy: Path) -> str | None:
    """The failing cell of an executed copy, as ``cell ID raised NAME: first line``, if any."""
    try:
        cells = nbformat.read(copy, as_version=4).cells
    except (OSError, ValueError):
        return None
    for cell in cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                value = str(output.get("evalue", "")).splitlines()
                return f"cell {cell.get('id', '?')} raised {output.get('ename')}: {value[0] if value else ''}"
    return None


def _describe_failure(nb: Path, log: Path, copy: Path, *, code_changed: bool) -> str:
    """One line: notebook, cell, error, executed copy (or the last line the worker printed)."""
    if code_changed:
        return f"{nb}: ketrev's source changed during the build; its result was discarded (run the build again)"
    error = _cell_error(copy)
    if error is not None:
        return f"{nb}: {error} (executed copy: {copy})"
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    return f"{nb}: could not be executed: {lines[-1] if lines else 'unknown error'} (log: {log})"


def build_book(root: Path, *, data_dir: Path | None = None, inclusion: str = DEFAULT, version: str = "dev",
               jobs: int = 2, targets: list[Path] | None = None, executor: str | None = None,
               site_url: str | None = None, report: Report = print) -> list[NotebookRun]:
    """Execute the notebooks for an inclusion set and build its book into ``targets``.

    ``targets`` defaults to the set's HTML folder (``_build/html`` for the default set);
    ``executor`` is ``fast`` (default where processes fork) or ``isolated`` (see
    :mod:`ketrev.build.execute`); ``site_url`` is where the site is published, for the book's
    ``CITATION.cff`` (default: ``html.baseurl`` of ``_config.yml``). Returns what happened to
    each notebook. On any failure the
    targets keep the last complete book.
    """
    executor = executor or execute.default_executor()
    if executor not in execute.EXECUTORS:
        raise UsageError(f"{executor!r} is not an executor: use {' or '.join(execute.EXECUTORS)}")
    layout = Layout(root, data_dir)
    targets = targets or [layout.html(inclusion)]
    with BuildLock(layout.build(inclusion), report):
        for target in targets:
            recover(target)
        inputs = snapshot(layout, inclusion)
        publish.checkpoint("snapshot taken")
        evidence = select(load_evidence(inputs.data), load_inclusion(inputs.data, inclusion))
        report(f"ketrev build: inclusion set '{inclusion}' — {len(evidence.studies)} studies, "
               f"{len(evidence.findings)} findings")
        side = comparisons_job(layout, inputs, layout.logs(inclusion) / "comparisons.log")
        runs = execute_notebooks(layout, inputs, evidence, jobs=jobs, executor=executor, report=report,
                                 beside=[side] if side else None)
        static = static_files(layout, inputs, evidence, version, site_url)
        units = {nb.stem: read_key(layout.results(inclusion) / nb.stem) for nb in sorted(inputs.notebooks.glob("*.ipynb"))}
        key = book_key(static, units, inputs.data_digest, LOADED_CODE)
        stale = [t for t in targets if read_key(t) != key]
        if not stale:
            report("  up to date book")
            return runs
        source = layout.source(inclusion)
        changed = assemble(layout, inputs, evidence, static, source)
        # Sphinx rebuilds changed pages by itself, but not changed static files or configuration.
        fresh = any(not rel.startswith("_outputs/") and not rel.endswith((".md", ".ipynb")) for rel in changed)
        html = jupyter_book(source, key, layout.logs(inclusion), executor=executor, fresh=fresh, report=report)
        for target in stale:
            publish_html(html, source, target, key, inclusion=inclusion, version=version,
                         data_sha256=evidence.data_checksum)
    return runs
