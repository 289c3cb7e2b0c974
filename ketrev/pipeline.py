"""Build the book: execute notebooks with papermill (cached), assemble the sources, run Jupyter Book.

Nothing here writes into ``data/``. A build works in ``build/<set>/`` and only replaces
the published HTML (``_build/...``, ``site/...``) once everything has succeeded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import yaml

from ketrev import __version__
from ketrev.errors import KetrevError, UsageError
from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.pages import (
    audit_page,
    comparisons_page,
    data_dictionary_page,
    datapackage,
    downloads_page,
    references_page,
    write_json,
)
from ketrev.paths import Layout
from ketrev.provenance import git_commit, read_manifest
from ketrev.schema import contract

__all__ = ["BuildError", "NotebookRun", "build_book", "execute_notebooks", "notebook_key"]

Report = Callable[[str], None]


class BuildError(KetrevError):
    """A notebook or the book build failed; the previous build is left as it was."""


@dataclass(frozen=True)
class NotebookRun:
    """What happened to one notebook: ``executed`` or ``cached``, and how long it took."""

    notebook: str
    status: str
    seconds: float


def _code_hash() -> str:
    """sha256 over ketrev's own source files: a code change invalidates every cached notebook."""
    digest = hashlib.sha256(__version__.encode())
    package = resources.files("ketrev")
    for name in sorted(p.name for p in package.iterdir() if p.name.endswith((".py", ".yml"))):
        digest.update(name.encode() + package.joinpath(name).read_bytes())
    return digest.hexdigest()


def notebook_key(notebook: Path, parameters: dict[str, Any], evidence: Evidence, inclusion_file: Path) -> str:
    """Cache key of one notebook run: its cells, its parameters, the input data and the ketrev code."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in nb.cells]
    payload = json.dumps({"cells": cells, "parameters": parameters, "data": evidence.data_checksum,
                          "inclusion": hashlib.sha256(inclusion_file.read_bytes()).hexdigest(),
                          "code": _code_hash()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def execute_notebooks(layout: Layout, evidence: Evidence, *, jobs: int = 2, report: Report = print) -> list[NotebookRun]:
    """Execute every notebook whose cache key changed, several at a time; return what happened.

    Raises
    ------
    BuildError
        A notebook failed: the message names it, the cell and the error, and where the
        executed copy was kept.
    """
    out = layout.build(evidence.inclusion)
    executed_dir, failed_dir = out / "notebooks", out / "failed"
    executed_dir.mkdir(parents=True, exist_ok=True)
    cache_file = out / "cache.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    inclusion_file = layout.data / "inclusion" / f"{evidence.inclusion}.yml"
    notebooks = sorted(layout.notebooks.glob("*.ipynb"))
    if not notebooks:
        raise UsageError(f"{layout.notebooks}: no notebooks to execute")
    plans = {}
    for nb in notebooks:
        # Paths relative to the notebooks folder: no machine path in a published notebook or a cache key.
        params = {"inclusion_set": evidence.inclusion, "notebook": nb.stem,
                  "data_dir": os.path.relpath(layout.data.resolve(), layout.notebooks.resolve()),
                  "output_dir": os.path.relpath(out.resolve(), layout.notebooks.resolve())}
        plans[nb] = (params, notebook_key(nb, params, evidence, inclusion_file))
    todo = [nb for nb, (_, key) in plans.items()
            if cache.get(nb.name) != key or not (executed_dir / nb.name).exists()
            or not (out / "manifest" / f"{nb.stem}.json").exists()]
    runs = [NotebookRun(nb.stem, "cached", 0.0) for nb in notebooks if nb not in todo]
    for run in runs:
        report(f"  cached    {run.notebook}")

    def run_one(nb: Path) -> NotebookRun:
        start = time.perf_counter()
        partial = failed_dir / nb.name
        partial.parent.mkdir(parents=True, exist_ok=True)
        # A process per notebook: the kernel's own chatter stays out of the progress display.
        command = [sys.executable, "-m", "papermill", str(nb), str(partial), "-y", json.dumps(plans[nb][0]),
                   "--cwd", str(layout.notebooks), "-k", "python3", "--language", "python",
                   "--no-progress-bar", "--no-log-output"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0 and _cell_error(partial) is None:
            # No cell failed: the kernel did not start or died (e.g. a port taken by a kernel
            # starting beside it). That is the machine, not the notebook: try once more.
            result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(_describe_failure(nb, result.stderr, partial))
        shutil.move(partial, executed_dir / nb.name)  # only a successful run replaces the last good copy
        return NotebookRun(nb.stem, "executed", time.perf_counter() - start)

    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run_one, nb): nb for nb in todo}
        for done, future in enumerate(as_completed(futures), 1):
            nb = futures[future]
            try:
                run = future.result()
            except BuildError as exc:
                failures.append(str(exc))
                report(f"  FAILED    {nb.stem} [{done}/{len(todo)}]")
                continue
            cache[nb.name] = plans[nb][1]
            runs.append(run)
            report(f"  executed  {nb.stem} in {run.seconds:.1f} s [{done}/{len(todo)}]")
    cache_file.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
    if failures:
        raise BuildError("\n".join(failures))
    return runs


def _cell_error(copy: Path) -> str | None:
    """The failing cell of an executed copy, as ``cell ID raised NAME: first line``, if any."""
    if not copy.exists():
        return None
    for cell in nbformat.read(copy, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                value = str(output.get("evalue", "")).splitlines()
                return f"cell {cell.get('id', '?')} raised {output.get('ename')}: {value[0] if value else ''}"
    return None


def _describe_failure(nb: Path, stderr: str, copy: Path) -> str:
    """One line: notebook, cell, error, executed copy."""
    error = _cell_error(copy)
    if error is not None:
        return f"{nb}: {error} (executed copy: {copy})"
    last = [line for line in stderr.strip().splitlines() if line.strip()]
    return f"{nb}: could not be executed: {last[-1] if last else 'unknown error'}"


def _cell_ids(executed: Path) -> dict[str, str]:
    """Map each published anchor to the id of the cell whose output carries it."""
    found = {}
    for path in executed.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/html", "")
                for chunk in (text if isinstance(text, list) else [text]):
                    for part in chunk.split('id="ketrev-')[1:]:
                        found["ketrev-" + part.split('"', 1)[0]] = cell.get("id", "")
    return found


def _hide_injected_parameters(path: Path) -> None:
    """Tag papermill's injected-parameters cell so the book does not show it."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def _assemble(layout: Layout, evidence: Evidence, version: str, staging: Path) -> list[dict[str, Any]]:
    """Lay out the book sources in ``staging``; return the manifest."""
    out = layout.build(evidence.inclusion)
    shutil.copytree(layout.pages, staging / "book")
    shutil.copytree(out / "notebooks", staging / "notebooks")
    for path in (staging / "notebooks").glob("*.ipynb"):
        _hide_injected_parameters(path)
    shutil.copy(layout.root / "_toc.yml", staging / "_toc.yml")
    (staging / "data").mkdir()
    shutil.copy(layout.data / "README.md", staging / "data" / "README.md")
    config = yaml.safe_load((layout.root / "_config.yml").read_text(encoding="utf-8"))
    inclusion = load_inclusion(layout.data, evidence.inclusion)
    commit = git_commit(str(layout.root))
    if evidence.inclusion != DEFAULT:
        config["title"] = f"{config['title']} — {inclusion.title}"
    options = config["sphinx"]["config"]["html_theme_options"]
    options["switcher"]["version_match"] = version
    options["extra_footer"] = (f"ketrev {__version__} · book version {version} · inclusion set "
                               f"<code>{evidence.inclusion}</code> · data sha256 <code>{evidence.data_checksum[:12]}"
                               f"</code> · commit <code>{commit[:12]}</code>")
    (staging / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    records = read_manifest(out)
    anchors = _cell_ids(out / "notebooks")
    for record in records:
        record["cell_id"] = anchors.get(record["anchor"], "")
    titles = {p.stem: nbformat.read(p, as_version=4).cells[0].source.splitlines()[0].lstrip("# ")
              for p in (out / "notebooks").glob("*.ipynb")}
    downloads = staging / "_outputs" / "downloads"
    downloads.mkdir(parents=True)
    files = sorted({t.file for t in contract().values()})
    for rel in files:
        shutil.copy(layout.data / rel, downloads / Path(rel).name)
    package = datapackage(layout.data, files)
    write_json(downloads / "datapackage.json", package)
    write_json(staging / "_outputs" / "manifest.json", records)
    generated = {
        "data-dictionary.md": data_dictionary_page(),
        "references.md": references_page(evidence),
        "downloads.md": downloads_page(package),
        "audit.md": audit_page(records, titles),
        "comparisons.md": comparisons_page(layout.data),
    }
    for name, text in generated.items():
        (staging / "book" / name).write_text(text, encoding="utf-8")
    for sub in ("figures", "tables"):
        if (out / "outputs" / sub).exists():
            shutil.copytree(out / "outputs" / sub, staging / "_outputs" / sub)
    return records


def _jupyter_book(staging: Path, report: Report) -> Path:
    """Run Jupyter Book (no execution, warnings are errors); return the HTML folder."""
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(staging),
               "--builder", "html", "-W", "-n", "--keep-going", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True)
    log = staging / "jupyter-book.log"
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        warnings = [line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
        log = log.rename(Path(tempfile.gettempdir()) / f"ketrev-jupyter-book-{int(time.time())}.log")
        raise BuildError(f"Jupyter Book failed ({len(warnings)} warnings or errors); first: "
                         f"{warnings[0] if warnings else 'see log'} (log: {log})")
    html = staging / "_build" / "html"
    if not (html / "index.html").exists():
        raise BuildError(f"Jupyter Book wrote no index.html (log: {log})")
    shutil.copytree(staging / "_outputs", html / "outputs")
    report("  built     book")
    return html


def _replace(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``, keeping the old one until the new one is in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    shutil.copytree(new, target)
    if old.exists():
        shutil.rmtree(old)


def build_book(root: Path, *, data_dir: Path | None = None, inclusion: str = DEFAULT, version: str = "dev",
               jobs: int = 2, targets: list[Path] | None = None, report: Report = print) -> list[NotebookRun]:
    """Execute the notebooks for an inclusion set and build its book into ``targets``.

    ``targets`` defaults to the set's HTML folder (``_build/html`` for the default set).
    Returns what happened to each notebook. On any failure, raises before a target changes.
    """
    layout = Layout(root, data_dir)
    evidence = select(load_evidence(layout.data), load_inclusion(layout.data, inclusion))
    report(f"ketrev build: inclusion set '{inclusion}' — {len(evidence.studies)} studies, "
           f"{len(evidence.findings)} findings")
    runs = execute_notebooks(layout, evidence, jobs=jobs, report=report)
    targets = targets or [layout.html(inclusion)]
    key = _book_key(layout, evidence, version)
    record = layout.build(inclusion) / "book-key.json"
    built = json.loads(record.read_text()) if record.exists() else {}
    if all(built.get(str(t)) == key and (t / "index.html").exists() for t in targets):
        report("  up to date book")
        return runs
    with tempfile.TemporaryDirectory(prefix="ketrev-book-") as tmp:
        staging = Path(tmp) / "src"
        staging.mkdir()
        _assemble(layout, evidence, version, staging)
        html = _jupyter_book(staging, report)
        for target in targets:
            _replace(html, target)
            built[str(target)] = key
    record.write_text(json.dumps(built, indent=1, sort_keys=True) + "\n")
    return runs


def _book_key(layout: Layout, evidence: Evidence, version: str) -> str:
    """What the HTML depends on beyond the notebooks' cache keys: pages, configuration, version, commit."""
    digest = hashlib.sha256(f"{version}\n{evidence.inclusion}\n{git_commit(str(layout.root))}\n".encode())
    cache = layout.build(evidence.inclusion) / "cache.json"
    sources = [cache, layout.root / "_config.yml", layout.root / "_toc.yml", layout.data / "README.md",
               *sorted(layout.pages.rglob("*")), *sorted((layout.data / "inclusion").glob("*.yml"))]
    for path in sources:
        if path.is_file():
            digest.update(str(path.relative_to(layout.root) if path.is_relative_to(layout.root) else path.name).encode())
            digest.update(path.read_bytes())
    digest.update(evidence.data_checksum.encode() + _code_hash().encode())
    return digest.hexdigest()

