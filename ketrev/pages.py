"""Pages of the book generated from the data: dictionary, references, downloads, audit."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ketrev import __version__
from ketrev.evidence import Evidence
from ketrev.schema import contract

__all__ = ["audit_page", "comparisons_page", "data_dictionary_page", "datapackage", "downloads_page", "references_page"]

_TYPES = {"text": "string", "integer": "integer", "number": "number"}


def _e(text: Any) -> str:
    """Escape a value for HTML (markup in titles must show as text, never run)."""
    return html.escape("" if pd.isna(text) else str(text))


def data_dictionary_page() -> str:
    """Markdown page describing every table and column of the data contract."""
    parts = ["# Data dictionary\n", "Generated from the data contract (`ketrev/contract.yml`) that the validator "
             "enforces. An empty cell means *not reported*.\n"]
    for table in contract().values():
        parts.append(f"\n## `{table.file}`\n\n{table.description}\n")
        rows = []
        for col in table.columns.values():
            allowed = ", ".join(col.values) if col.values else (f"id from `{col.vocab}`" if col.vocab else "")
            if col.pattern:
                allowed = allowed or "see description"
            if col.min is not None or col.max is not None:
                allowed = " ".join(x for x in (f"≥ {col.min:g}" if col.min is not None else "",
                                               f"≤ {col.max:g}" if col.max is not None else "") if x)
            rows.append(f"<tr><td><code>{_e(col.name)}</code></td><td>{'yes' if col.required else ''}"
                        f"{' (unique)' if col.unique else ''}</td><td>{_e(col.type)}</td><td>{_e(allowed)}</td>"
                        f"<td>{_e(col.description)}</td></tr>")
        parts.append("<table class=\"ketrev-table\"><thead><tr><th>column</th><th>required</th><th>type</th>"
                     "<th>values</th><th>meaning</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n")
    return "\n".join(parts)


def references_page(evidence: Evidence) -> str:
    """Markdown page listing every included study of the selection, with its identifiers and record."""
    studies = evidence.studies.sort_values(["first_author", "year", "title"])
    items = []
    for s in studies.itertuples():
        links = []
        if s.doi:
            links.append(f'doi: <a href="https://doi.org/{_e(s.doi)}">{_e(s.doi)}</a>')
        if s.pmid:
            links.append(f'PMID: <a href="https://pubmed.ncbi.nlm.nih.gov/{_e(s.pmid)}/">{_e(s.pmid)}</a>')
        if s.pmcid:
            links.append(f"PMCID: {_e(s.pmcid)}")
        links.append(f'<a href="{_e(s.source_url)}">record coded</a> ({_e(s.coded_from).replace("_", " ")})')
        journal = f" <em>{_e(s.journal)}</em>." if s.journal else ""
        author = f"<strong>{_e(s.first_author)}</strong> et al." if s.first_author else "[authors not shown in the record read]"
        items.append(f'<li id="ref-{_e(s.study_id)}">{author} ({_e(s.year)}). '
                     f"{_e(s.title)}.{journal} {' · '.join(links)} <code>{_e(s.study_id)}</code></li>")
    return (f"# References\n\nThe {len(studies)} studies of inclusion set `{evidence.inclusion}`, generated from "
            "`data/evidence/studies.csv`; each links the public record it was coded from.\n\n"
            "<ol class=\"ketrev-references\">\n" + "\n".join(items) + "\n</ol>\n")


def datapackage(data_dir: Path, files: list[str]) -> dict[str, Any]:
    """A Frictionless Data Package descriptor of the data files, with sha256 checksums."""
    tables = {t.file: t for t in contract().values()}
    resources = []
    for rel in files:
        path = data_dir / rel
        raw = path.read_bytes()
        resource: dict[str, Any] = {
            "name": Path(rel).stem, "path": Path(rel).name, "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "bytes": len(raw), "hash": f"sha256:{hashlib.sha256(raw).hexdigest()}",
        }
        if rel in tables:
            resource["description"] = tables[rel].description
            resource["schema"] = {"fields": [
                {"name": c.name, "type": _TYPES[c.type], "description": c.description,
                 "constraints": {k: v for k, v in (("required", c.required or None), ("unique", c.unique or None),
                                                   ("enum", list(c.values) if c.values else None)) if v}}
                for c in tables[rel].columns.values()]}
        resources.append(resource)
    return {"name": "ketrev-evidence", "title": "ketrev: rebuilt evidence base of Kang, Hawken & Vazquez (2022)",
            "version": __version__, "licenses": [{"name": "CC-BY-4.0"}], "resources": resources}


def downloads_page(package: dict[str, Any]) -> str:
    """Markdown page linking the data files and the data package."""
    rows = "\n".join(
        f'<tr><td><a href="../outputs/downloads/{_e(r["path"])}">{_e(r["path"])}</a></td><td>{_e(r.get("description", ""))}'
        f'</td><td>{r["bytes"]:,}</td><td><code>{_e(r["hash"].removeprefix("sha256:"))}</code></td></tr>'
        for r in package["resources"])
    return ("# Downloads\n\nThe data behind this book, as read by the build. "
            '<a href="../outputs/downloads/datapackage.json">datapackage.json</a> describes them as a '
            "[Frictionless Data Package](https://specs.frictionlessdata.io/data-package/) with a schema and a "
            "sha256 checksum per file.\n\n<table class=\"ketrev-table\"><thead><tr><th>file</th><th>content</th>"
            "<th>bytes</th><th>sha256</th></tr></thead><tbody>\n" + rows + "\n</tbody></table>\n")


def audit_page(records: list[dict[str, Any]], titles: dict[str, str]) -> str:
    """Markdown page listing every published figure and table with its source cell and data files."""
    rows = []
    for r in records:
        files = " ".join(f'<a href="../{_e(f)}">{_e(Path(f).name)}</a>' for f in r["files"])
        source = (f'<a href="../notebooks/{_e(r["notebook"])}.html#{_e(r["anchor"])}">'
                  f'{_e(titles.get(r["notebook"], r["notebook"]))}</a>, cell <code>{_e(r.get("cell_id", "?"))}</code>')
        rows.append(f'<tr id="{_e(r["anchor"])}"><td><code>{_e(r["name"])}</code></td><td>{_e(r["kind"])}</td>'
                    f"<td>{_e(r['caption'])}</td><td>{source}</td><td>{files}</td><td>{r['n_studies']}</td></tr>")
    first = records[0] if records else {}
    return ("# Audit\n\nEvery figure and table of this book, the notebook cell that made it and the files it "
            "wrote. The full record — input checksums, study ids, versions — is in "
            '<a href="../outputs/manifest.json">manifest.json</a>.\n\n'
            f"Inclusion set `{_e(first.get('inclusion', ''))}` · data sha256 `{_e(first.get('data_sha256', '')[:16])}` · "
            f"ketrev {_e(first.get('ketrev_version', ''))} · commit `{_e(first.get('git_commit', ''))}`\n\n"
            "<table class=\"ketrev-table\"><thead><tr><th>name</th><th>kind</th><th>caption</th><th>source cell</th>"
            "<th>data</th><th>studies</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n")


def write_json(path: Path, obj: Any) -> None:
    """Write JSON deterministically (sorted keys, final newline)."""
    path.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def comparisons_page(data_dir: Path) -> str:
    """Markdown page comparing every non-default inclusion set with the default one."""
    from ketrev.compare import compare_sets
    from ketrev.evidence import load_evidence
    from ketrev.inclusion import DEFAULT, list_inclusion_sets, load_inclusion, select

    evidence = load_evidence(data_dir)
    base = select(evidence, load_inclusion(data_dir, DEFAULT))
    parts = [f"# Inclusion sets compared\n\nEach named inclusion set of `data/inclusion/` against the default set "
             f"`{DEFAULT}` ({len(base.studies)} studies): the studies it leaves out, and every molecule whose "
             "number of studies, majority direction or significance (Holm-adjusted sign test) changes. Build the "
             "book for a set with `ketrev build --inclusion NAME`; compare any two with `ketrev compare A B`.\n"]
    for name in list_inclusion_sets(data_dir):
        if name == DEFAULT:
            continue
        inclusion = load_inclusion(data_dir, name)
        other = select(evidence, inclusion)
        only_base, only_other, changed = compare_sets(base, other)
        changed["changed"] = changed["changed"].replace({"only in a": f"only in {DEFAULT}", "only in b": "only here"})
        changed[["majority_a", "majority_b"]] = changed[["majority_a", "majority_b"]].fillna("–")
        rows = "\n".join(
            f"<tr><td><code>{_e(r.molecule)}</code></td><td>{_e(_int(r.n_studies_a))} → {_e(_int(r.n_studies_b))}</td>"
            f"<td>{_e(_int(r.n_increase_a))}/{_e(_int(r.n_decrease_a))} → {_e(_int(r.n_increase_b))}/"
            f"{_e(_int(r.n_decrease_b))}</td><td>{_e(r.majority_a)} → {_e(r.majority_b)}</td>"
            f"<td>{_e(r.changed)}</td></tr>" for r in changed.itertuples())
        parts.append(
            f"\n## `{_e(name)}`: {_e(inclusion.title)}\n\n{_e(inclusion.description)} {len(other.studies)} studies; "
            f"{len(only_base)} of the default set are left out"
            + (f" ({', '.join(f'<code>{_e(s)}</code>' for s in only_base)})" if only_base else "")
            + (f"; {len(only_other)} are not in the default set" if only_other else "") + ".\n\n"
            + ("<table class=\"ketrev-table\"><thead><tr><th>molecule</th><th>studies</th><th>up/down</th>"
               "<th>majority</th><th>what changes</th></tr></thead><tbody>\n" + rows + "\n</tbody></table>\n"
               if rows else "No molecule changes.\n"))
    return "\n".join(parts)


def _int(value: Any) -> str:
    return "–" if pd.isna(value) else str(int(value))
