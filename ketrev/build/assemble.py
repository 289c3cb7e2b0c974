"""Assemble the Jupyter Book source of a build, run Jupyter Book on it, publish the HTML.

The source folder (``build/<set>/book``) is kept between builds and rewritten file by file
only where a file changed, so Sphinx rebuilds only the pages that changed. Its key is the
digest of its content: a book is rebuilt exactly when something it shows changed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import yaml
from packaging.version import Version

from ketrev import __version__
from ketrev.book import study_labels
from ketrev.build import execute, publish
from ketrev.build.pages import (
    RESULTS,
    audit_page,
    bibtex,
    changes_page,
    code_pages,
    comparisons_page,
    data_dictionary_page,
    data_page,
    datapackage,
    downloads_page,
    readable_csv,
    references_page,
    ris,
    state_rules_page,
)
from ketrev.build.publish import KEY_FILE, preparing, read_key, swap_in, write_atomic, write_key
from ketrev.build.site import redirect_page, versions
from ketrev.build.tree import LOADED_CODE, Inputs, digest, read_tree, sync_tree
from ketrev.errors import BuildError, os_reason
from ketrev.evidence import Evidence, load_evidence
from ketrev.files import read_data_file
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.prisma import prisma_counts
from ketrev.provenance import git_commit
from ketrev.schema import contract
from ketrev.summary import outcome_summary
from ketrev.views import labels_for

__all__ = ["assemble", "book_key", "comparisons_job", "jupyter_book", "publish_html", "static_files"]

Report = Callable[[str], None]
#: What a Jupyter Book run imports: paid once per process by the fast executor. The names from
#: ``myst_nb.sphinx_ext`` on are what the extensions import only when Sphinx sets them up
#: (measured with ``python -X importtime``: about 1.3 s that every forked run paid again).
SPHINX_MODULES = ("jupyter_book.cli.main", "jupyter_book.sphinx", "sphinx.application", "myst_nb", "sphinx_book_theme",
                  "sphinx_design", "sphinx_togglebutton", "sphinx_copybutton", "sphinx_thebe", "sphinx_comments",
                  "sphinx_external_toc", "sphinxcontrib.bibtex", "sphinx_jupyterbook_latex", "sphinx_multitoc_numbering",
                  "myst_nb.sphinx_ext", "myst_nb.ext.glue.domain", "myst_nb.ext.execution_tables",
                  "myst_parser.sphinx_ext.directives", "myst_parser.sphinx_ext.myst_refs", "sphinx_design.extension",
                  "sphinxcontrib.bibtex.directives", "pydata_sphinx_theme.utils", "sphinx_external_toc.events",
                  "sphinx_jupyterbook_latex.events", "sphinx.ext.doctest", "ketrev.build.sphinxext")
_RUNNING = ".ketrev-running"
_ANCHOR = re.compile(r'id="(ketrev-[a-z0-9-]+)"')
DEV_NOTICE = "Development build: its numbers may change before the next release."


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode()


def citation(root: Path, version: str, site_url: str | None) -> bytes:
    """The ``CITATION.cff`` a book publishes: the project's own, with the book's version, its release
    date (a release only: a development build carries none, so it stays reproducible) and its URL."""
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    site_url = site_url or yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")).get("html", {}).get("baseurl")
    cff["version"] = version
    if version != "dev":
        cff["date-released"] = date.today().isoformat()
    if site_url:
        cff["url"] = f"{site_url.rstrip('/')}/{version}/"
    return yaml.safe_dump(cff, sort_keys=False, allow_unicode=True).encode()


def book_config(root: Path, inclusion: str, version: str, data_sha256: str) -> bytes:
    """``_config.yml`` for one build: version switcher, footer, title of a non-default set, the
    folder of files published as they are (``CITATION.cff``).

    Only checked names (the set name, a release version) and checksums enter it: no text
    from data is ever written into the configuration.
    """
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["sphinx"]["config"]["html_extra_path"] = ["_extra"]
    if inclusion != DEFAULT:
        config["title"] = f"{config['title']} — inclusion set {inclusion}"
    options = config["sphinx"]["config"]["html_theme_options"]
    options["switcher"]["version_match"] = version
    if version == "dev":
        options["announcement"] = DEV_NOTICE
    commit = git_commit(str(root))
    options["extra_footer"] = (f"ketrev {__version__} · book version {version} · inclusion set <code>{inclusion}</code>"
                               f" · data sha256 <code>{data_sha256[:12]}</code> · commit <code>{commit[:12]}</code>")
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True).encode()


def _section_of(cells: list[Any], index: int) -> str:
    """The heading of the section a cell sits in, as the book shows it."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            for line in reversed(cell.source.splitlines()):
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def prepare_notebook(text: str) -> tuple[bytes, dict[str, dict[str, str]]]:
    """An executed notebook as the book shows it, and where each published anchor lives.

    Hides papermill's injected-parameters cell (with a fixed id) and drops papermill's run
    records (times, durations, paths), so that the same inputs give the same page and the
    same downloadable notebook; puts a MyST target ``(cell-NAME)=`` before every code cell
    that published ``NAME``, so a link reaches the cell itself. Returns the notebook and
    ``{anchor: {"cell_id", "section"}}``.
    """
    nb = nbformat.reads(text, as_version=4)
    nb.metadata.pop("papermill", None)
    cells, where = [], {}
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
        anchors = [a for o in cell.get("outputs", []) for a in _ANCHOR.findall(str(o.get("data", {}).get("text/html", "")))]
        if anchors:
            target = nbformat.v4.new_markdown_cell("\n".join(f"(cell-{a.removeprefix('ketrev-')})=" for a in anchors))
            target.id = f"target-{cell.get('id', index)}"
            cells.append(target)
            section = _section_of(nb.cells, index)
            where.update({a: {"cell_id": cell.get("id", ""), "section": section} for a in anchors})
        cells.append(cell)
    nb.cells = cells
    return nbformat.writes(nb).encode(), where


def static_files(layout: Any, inputs: Inputs, evidence: Evidence, version: str, site_url: str | None = None
                 ) -> dict[str, bytes]:
    """The book's sources that come straight from files: pages, table of contents, configuration,
    citation."""
    files = {f"book/{rel}": content for rel, content in read_tree(layout.pages).items()}
    files["_toc.yml"] = (layout.root / "_toc.yml").read_bytes()
    files["_config.yml"] = book_config(layout.root, evidence.inclusion, version, evidence.data_checksum)
    files["_extra/CITATION.cff"] = citation(layout.root, version, site_url)
    files["book/changes.md"] = _changes(layout.site, version, evidence).encode()
    files |= {f"_extra/code/{name}.html": text.encode() for name, text in code_pages().items()}
    if version != "dev":  # a release names itself in the changelog
        files["book/changelog.md"] = files["book/changelog.md"].replace(b"## Unreleased", f"## {version}".encode(), 1)
    return files


def _changes(site: Path, version: str, evidence: Evidence) -> str:
    """The changes since the release before ``version`` (for a development build: the newest final
    release), from the results and the reference list that release published."""
    older = [v for v in versions(site) if v != version and (version == "dev" or Version(v) < Version(version))]
    if version == "dev":
        older = [v for v in older if not Version(v).is_prerelease] or older
    if not older:
        return changes_page(version, None, None, outcome_summary(evidence), [], [])
    previous = site / older[0] / "outputs"
    try:
        before = pd.read_csv(previous / "tables/robustness-summary.csv", keep_default_na=False, na_values=[""])
        ids = set(re.findall(r"^@article\{([^,]+),", (previous / "downloads/studies.bib").read_text(encoding="utf-8"),
                             flags=re.M))
    except (OSError, ValueError):
        before, ids = None, set()
    if before is not None and not {"outcome", "label", "state_words", "n_studies"} <= set(before.columns):
        before = None
    now = set(evidence.studies["study_id"])
    return changes_page(version, older[0], before, outcome_summary(evidence), sorted(now - ids), sorted(ids - now))


def book_key(static: dict[str, bytes], units: dict[str, str | None], data: str, code: str) -> str:
    """Key of a book: its static sources, the keys of its notebooks' results, the data and code.

    Every other source (generated pages, data downloads, manifest) is a function of these.
    """
    inputs = json.dumps({"units": units, "data": data, "code": code}, sort_keys=True).encode()
    return digest({**static, ".inputs.json": inputs})


def _cache_key(data_digest: str) -> str:
    return hashlib.sha256(f"{data_digest}\n{LOADED_CODE}".encode()).hexdigest()


def _kept(path: Path, data_digest: str) -> str | None:
    """A generated page kept under its key, if it is there and current."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        return str(kept["text"]) if kept["key"] == _cache_key(data_digest) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or unreadable: made again


def _cached(path: Path, data_digest: str, make: Callable[[], str]) -> str:
    """A generated page that depends on the data and the code only, kept between builds under its key."""
    text = _kept(path, data_digest)
    if text is None:
        text = make()
        write_atomic(path, json.dumps({"key": _cache_key(data_digest), "text": text}) + "\n")
    return text


def _comparisons(layout: Any, inputs: Inputs) -> str:
    """The page comparing every inclusion set with the default one: the same for every set, kept once."""
    return _cached(layout.shared / "comparisons.json", inputs.data_digest, lambda: comparisons_page(inputs.data))


def comparisons_job(layout: Any, inputs: Inputs, log: Path) -> execute.Job | None:
    """The comparisons page as a job to run beside the notebooks (None when it is kept already): it
    weighs as much as a notebook, and is the same for every set."""
    if _kept(layout.shared / "comparisons.json", inputs.data_digest) is not None:
        return None
    return execute.Job("comparisons", lambda: _comparisons(layout, inputs), log)


def _readme(data: Path) -> str | None:
    """The data folder's README as text (None when there is none); it is shown as text, never run."""
    path = data / "README.md"
    return read_data_file(path, data, str(path)).decode("utf-8", "replace") if path.exists() else None


def assemble(layout: Any, inputs: Inputs, evidence: Evidence, static: dict[str, bytes], source: Path) -> set[str]:
    """Write the book source into ``source``: ``static`` plus the notebooks' results and the pages
    generated from the data (only files that changed are rewritten); return the paths that changed."""
    results = layout.results(evidence.inclusion)
    files = dict(static)
    records: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for path in sorted(inputs.notebooks.glob("*.ipynb")):
        unit = results / path.stem
        text = (unit / "notebook.ipynb").read_text(encoding="utf-8")
        files[f"notebooks/{path.name}"], where = prepare_notebook(text)
        first = nbformat.reads(text, as_version=4).cells[0].source.splitlines()
        titles[path.stem] = first[0].lstrip("# ").strip() if first else path.stem
        files |= {f"_outputs/{rel}": content for rel, content in read_tree(unit / "outputs").items()}
        for record in json.loads((unit / "manifest" / f"{path.stem}.json").read_text(encoding="utf-8")):
            records.append({**record, **where.get(record["anchor"], {"cell_id": "", "section": ""})})
    data_files = sorted({t.file for t in contract().values()})
    files |= {f"_outputs/downloads/{Path(rel).name}": (inputs.data / rel).read_bytes() for rel in data_files}
    package = datapackage(inputs.data, data_files)
    files["_outputs/downloads/datapackage.json"] = _json(package)
    files["_outputs/downloads/studies.bib"] = bibtex(evidence.studies).encode()
    files["_outputs/downloads/studies.ris"] = ris(evidence.studies).encode()
    files["_outputs/manifest.json"] = _json(records)
    everything = load_evidence(inputs.data)
    default = select(everything, load_inclusion(inputs.data, DEFAULT))
    labels = labels_for(evidence)
    cited = {name: f"{name}-{evidence.inclusion}.csv" for name in RESULTS if f"_outputs/tables/{name}.csv" in files}
    files |= {f"_outputs/downloads/{download}": readable_csv(files[f"_outputs/tables/{name}.csv"], labels)
              for name, download in cited.items()}
    generated = {
        # the same for every inclusion set: kept once for all of them
        "comparisons.md": _comparisons(layout, inputs),
        "data.md": data_page(everything, default, _readme(inputs.data), prisma_counts(everything)),
        "data-dictionary.md": data_dictionary_page(),
        "references.md": references_page(evidence, study_labels(evidence.studies)),
        "downloads.md": downloads_page(package, evidence.inclusion, len(evidence.studies), len(everything.studies),
                                       list(cited.values())),
        "audit.md": audit_page(records, titles),
        "state-rules.md": state_rules_page(),
    }
    files |= {f"book/{name}": text.encode() for name, text in generated.items()}
    return sync_tree(files, source, keep=("_build",))


def jupyter_book(source: Path, key: str, logs: Path, *, executor: str, fresh: bool = False, report: Report) -> Path:
    """Run Jupyter Book on ``source`` (no execution, warnings are errors); return its HTML folder.

    Skipped when the HTML there was built from this very source; ``fresh`` discards Sphinx's
    incremental state first. An interrupted or failed run leaves nothing the next run could
    mistake for a good build.
    """
    built, log = source / "_build", logs / "jupyter-book.log"
    html = built / "html"
    if read_key(built) == key and (html / "index.html").is_file() and not (built / _RUNNING).exists():
        return html
    if fresh or (built / _RUNNING).exists():
        shutil.rmtree(built, ignore_errors=True)  # an interrupted run's incremental state cannot be trusted
    built.mkdir(parents=True, exist_ok=True)
    (built / KEY_FILE).unlink(missing_ok=True)
    (built / _RUNNING).touch()
    args = ["build", str(source), "--builder", "html", "-W", "-n", "--keep-going", "--quiet"]
    start = time.perf_counter()
    if executor == "fast":
        from sphinx.application import builtin_extensions

        execute.warm_up((*SPHINX_MODULES, *builtin_extensions))
        outcome: list[bool] = []
        execute.run_jobs([execute.Job("jupyter-book", lambda: _jupyter_book_main(args), log)], workers=1,
                         done=lambda job, ok, seconds: outcome.append(ok))
        ok = outcome == [True]
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as sink:
            ok = subprocess.run([sys.executable, "-c", "from jupyter_book.cli.main import main; main()", *args],
                                stdout=sink, stderr=subprocess.STDOUT).returncode == 0
    if not ok or not (html / "index.html").is_file():
        shutil.rmtree(built, ignore_errors=True)
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        warnings = [line for line in lines if "WARNING" in line or "ERROR" in line]
        raise BuildError(f"Jupyter Book failed ({len(warnings)} warnings or errors); first: "
                         f"{warnings[0] if warnings else (lines[-1] if lines else 'see log')} (log: {log})")
    write_key(built, key)
    (built / _RUNNING).unlink()
    report(f"  built     book in {time.perf_counter() - start:.1f} s")
    return html


def _jupyter_book_main(args: list[str]) -> None:
    from jupyter_book.cli.main import main

    main(args, standalone_mode=False)


def _redirect_page(path: Path) -> None:
    """Jupyter Book's root page is a bare refresh tag: make it the site's redirect page (title, link, no icon)."""
    found = re.search(r'url=([^"\s>]+)', path.read_text(encoding="utf-8")) if path.exists() else None
    if found is not None:
        path.write_text(redirect_page(found.group(1), "Go to the book"), encoding="utf-8")


def publish_html(html: Path, source: Path, target: Path, key: str, **info: str) -> None:
    """Publish the built HTML and the data files at ``target`` in one swap, with its key inside.

    Raises
    ------
    BuildError
        ``target`` cannot be written; the book there is unchanged.
    """
    try:
        with preparing(target) as new:
            shutil.copytree(html, new)
            _redirect_page(new / "index.html")
            shutil.copytree(source / "_outputs", new / "outputs")
            write_key(new, key, **info)
            publish.checkpoint(f"publish {target.name}")
            swap_in(new, target)
    except OSError as exc:
        raise BuildError(f"cannot publish the book at {target} ({os_reason(exc)}); the book there is unchanged") from None
