"""Pages of the book generated from the data: data, dictionary, references, downloads, audit, comparisons.

They are Markdown (so the book's search indexes them), and every string that comes from
data enters as text: :func:`md` backslash-escapes every ASCII punctuation mark (so no role,
directive, fence, substitution, math, link or HTML can form) and folds line breaks, and
link targets are percent-encoded. Only the project's own words are written as markup.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from ketrev import __version__
from ketrev.book import REVIEW_LAST_YEAR
from ketrev.evidence import Evidence
from ketrev.schema import contract
from ketrev.views import labels_for

__all__ = ["CODE_MODULES", "RESULTS", "audit_page", "bibtex", "changes_page", "code_pages", "comparisons_page",
           "data_dictionary_page", "data_page", "datapackage", "downloads_page", "md", "readable_csv", "readme_html",
           "references_page", "ris", "state_rules_page"]

_TYPES = {"text": "string", "integer": "integer", "number": "number"}
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md(value: Any) -> str:
    """Text from data as Markdown/MyST that shows exactly that text.

    Examples
    --------
    >>> md("BDNF <img src=x> `{literalinclude}` $x$\\n\\nnext")
    'BDNF \\\\<img src\\\\=x\\\\> \\\\`\\\\{literalinclude\\\\}\\\\` \\\\$x\\\\$ next'
    """
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def link(text: str, url: str) -> str:
    """A Markdown link whose text is escaped data and whose target is percent-encoded."""
    return f"[{md(text)}](<{quote(url, safe=':/?#&=%+-._~,;@!$*')}>)"


def file_link(text: str, path: str) -> str:
    """An inline HTML link to a file the build publishes beside the pages (not a Sphinx document)."""
    return f'<a href="{html.escape(path)}">{_he(text)}</a>'


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; cells must already be Markdown (escape data with :func:`md`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def data_dictionary_page() -> str:
    """Markdown page describing every table and column of the data contract (the project's own text)."""
    parts = ["# Data dictionary\n", "Generated from the data contract (`ketrev/contract.yml`) that the validator "
             "enforces. An empty cell means *not reported*.\n"]
    for t in contract().values():
        rows = []
        for col in t.columns.values():
            allowed = ", ".join(f"`{v}`" for v in col.values) if col.values else (f"id from `{col.vocab}`" if col.vocab else "")
            if col.min is not None or col.max is not None:
                allowed = " ".join(x for x in (f"≥ {col.min:g}" if col.min is not None else "",
                                               f"≤ {col.max:g}" if col.max is not None else "") if x)
            required = "yes" + (", unique" if col.unique else "") if col.required else ("unique" if col.unique else "")
            rows.append([f"`{col.name}`", required, col.type, allowed or ("see meaning" if col.pattern else ""),
                         col.description.replace("|", "\\|")])
        parts.append(f"\n## {t.name.capitalize()}\n\n`{t.file}` — {t.description}\n\n"
                     + table(["Column", "Required", "Type", "Values", "Meaning"], rows))
    return "\n".join(parts)


def readme_html(text: str) -> str:
    """``data/README.md`` as HTML that can only be text and links: CommonMark with raw HTML, images
    and every extension (roles, directives, includes) off; no backtick survives, so a ``{raw}``
    fence cannot be closed; a link to a Markdown page points at its HTML page.

    Examples
    --------
    >>> readme_html("# Data\\n\\n<script>x</script> ```{literalinclude} /etc/passwd``` ![i](http://x/i.png)")
    '<h2>Data</h2>\\n<p>&lt;script&gt;x&lt;/script&gt; <code>{literalinclude} /etc/passwd</code> !<a href="http://x/i.png">i</a></p>\\n'
    """
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    out = parser.render(text)
    out = re.sub(r"<(/?)h([1-5])>", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}>", out)  # under the page's title
    out = re.sub(r'href="(?![a-z][a-z0-9+.-]*:|#|/)([^"#]*?)\.md(#[^"]*)?"', r'href="\1.html\2"', out)
    return out.replace("`", "&#96;")


def data_page(evidence: Evidence, default: Evidence, readme: str | None, flow: pd.DataFrame) -> str:
    """The data chapter: the evidence base's numbers, computed, each labelled with what it counts,
    the calibration of derived years, then ``data/README.md`` as text (:func:`readme_html`)."""
    from ketrev.years import calibration

    studies = evidence.studies
    labels = labels_for(evidence)
    kinds = ", ".join(f"{n} {labels.value('evidence_type', k).lower()}"
                      for k, n in studies["evidence_type"].value_counts().items())
    long = evidence.findings_long(kind=None)
    change = long["kind"] == "change"
    screened = int(flow.set_index("box").loc["screened", "n"])
    rows = [
        ["Studies in the evidence base (every inclusion set selects from these)", f"{len(studies)} ({kinds})"],
        [f"of which in the default book (published up to {REVIEW_LAST_YEAR}, treatment designs)",
         str(len(default.studies))],
        ["Findings: molecular changes / cellular changes / associations with the response",
         f"{int((change & (long['level'] == 'molecular')).sum())} / {int((change & (long['level'] == 'cellular')).sum())}"
         f" / {int((long['kind'] == 'association').sum())}"],
        ["Molecules and cellular outcomes measured", str(long["molecule"].nunique())],
        ["Records in the screening log (duplicates of a study included)", str(len(evidence.screening))],
        ["Records screened in the PRISMA flow (duplicates removed)", str(screened)],
        ["Searches logged", str(len(evidence.searches))],
        ["Years derived from an identifier (marked †; no record printed them)",
         str(int((studies["year_basis"] != "printed").sum()))],
        ["Studies without author names in any record read (labelled by their title's first words)",
         str(int((studies["first_author"] == "").sum()))],
        ["Studies traceable by their citation alone (no identifier)",
         str(int(((studies['pmid'] == '') & (studies['pmcid'] == '') & (studies['doi'] == '')).sum()))],
    ]
    starts = {column: dict(calibration(studies, column).starts) for column in ("pmid", "pmcid")}
    fits = [[str(year), str(starts["pmid"].get(year, "—")), f"PMC{starts['pmcid'][year]}" if year in starts["pmcid"] else "—"]
            for year in sorted(set(starts["pmid"]) | set(starts["pmcid"]))]
    body = ("# Data\n\nThe evidence base as this build read it (every inclusion set selects from it):\n\n"
            + table(["What", "Number"], rows)
            + "\n## Years from identifiers\n\nWhere no record prints a study's year, it is derived (marked †): from "
              "the DOI where the publisher writes the year into it, else from the PMID or PMCID, placed on this "
              "calibration, fitted to the studies that print both (an identifier belongs to the last year whose "
              "first identifier it reaches). A derived year never decides the edge of a year range.\n\n"
            + table(["Year", "First PMID", "First PMCID"], fits))
    if readme is None:
        return body + "\n*This data folder has no README.*\n"
    return body + f"\n```{{raw}} html\n<div class=\"ketrev-readme\">{readme_html(readme)}</div>\n```\n"


def _reference(s: Any, label: str) -> str:
    """One reference as Markdown: label, title, journal and citation, identifiers, record."""
    title = s.title.strip().rstrip(".") if s.title else "Title not shown in the record read"
    where = ": ".join(x for x in (md(s.volume), md(s.pages.replace("-", "–"))) if x)
    cite = " ".join(x for x in (md(s.journal) and f"*{md(s.journal)}*", where) if x)
    links = []
    if s.doi:
        links.append("doi: " + link(s.doi, f"https://doi.org/{s.doi}"))
    if s.pmid:
        links.append("PMID: " + link(s.pmid, f"https://pubmed.ncbi.nlm.nih.gov/{s.pmid}/"))
    if s.pmcid:
        links.append(f"PMCID: {md(s.pmcid)}")
    links.append(link("record coded", s.source_url) + f" ({'abstract' if s.coded_from == 'abstract' else 'full text'})")
    authors = f"{md(s.first_author)} et al. " if s.first_author else "Authors not shown in the records read. "
    return (f"({'ref-' + s.study_id})=\n**{md(label)}**. {authors}{md(title)}. {cite + '. ' if cite else ''}"
            f"{' · '.join(links)}\n")


def references_page(evidence: Evidence, labels: pd.Series) -> str:
    """Markdown page listing every study of the selection with its citation and records.

    ``labels`` maps study ids to the labels readers see (:func:`ketrev.book.study_labels`).
    """
    order = sorted(evidence.studies.itertuples(), key=lambda s: (labels[s.study_id].casefold(), s.study_id))
    items = "\n".join(_reference(s, labels[s.study_id]) for s in order)
    return (f"# References\n\nThe {len(order)} studies of this book, from `data/evidence/studies.csv`; each links "
            "the public record it was coded from. For a reference manager: "
            f"{file_link('BibTeX', '../outputs/downloads/studies.bib')} · "
            f"{file_link('RIS', '../outputs/downloads/studies.ris')}.\n\n" + items)


def _bib_escape(text: str) -> str:
    return re.sub(r"([{}\\&%$#_^~])", r"\\\1", " ".join(str(text).split()))


def _bib_author(first_author: str) -> str:
    """``Machado-Vieira R`` → ``Machado-Vieira, R.``; ``Li NX`` → ``Li, N. X.``."""
    surname, _, initials = first_author.rpartition(" ")
    return f"{surname}, {' '.join(f'{c}.' for c in initials)}"


def bibtex(studies: pd.DataFrame, /) -> str:
    """The studies as BibTeX ``@article`` entries keyed by study id (fields a record showed only)."""
    entries = []
    for s in studies.sort_values("study_id").itertuples():
        fields = {"author": _bib_author(s.first_author) + " and others" if s.first_author else "",
                  "title": s.title, "journal": s.journal, "year": s.year, "volume": s.volume,
                  "pages": s.pages.replace("-", "--"), "doi": s.doi, "pmid": s.pmid, "url": s.source_url}
        body = ",\n".join(f"  {k} = {{{_bib_escape(v)}}}" for k, v in fields.items() if str(v))
        entries.append(f"@article{{{s.study_id},\n{body}\n}}")
    return "\n\n".join(entries) + "\n"


def ris(studies: pd.DataFrame, /) -> str:
    """The studies as RIS records (JOUR), for reference managers."""
    records = []
    for s in studies.sort_values("study_id").itertuples():
        first, _, last = s.pages.partition("-")
        tags = [("TY", "JOUR"), ("ID", s.study_id), ("AU", s.first_author), ("TI", s.title), ("JO", s.journal),
                ("PY", s.year), ("VL", s.volume), ("SP", first), ("EP", last), ("DO", s.doi), ("AN", s.pmid),
                ("UR", s.source_url)]
        records.append("\n".join(f"{tag}  - {' '.join(str(v).split())}" for tag, v in tags if str(v)) + "\nER  - ")
    return "\n\n".join(records) + "\n"


def datapackage(data_dir: Path, files: list[str]) -> dict[str, Any]:
    """A Frictionless Data Package descriptor of the data files, with sha256 checksums."""
    tables = {t.file: t for t in contract().values()}
    resources = []
    for rel in files:
        raw = (data_dir / rel).read_bytes()
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


def downloads_page(package: dict[str, Any], inclusion: str, n_studies: int, n_all: int, results: list[str]) -> str:
    """Markdown page linking this book's results (its inclusion set), the data files (the whole
    evidence base, every set), the data package and the reference lists, each saying what it covers."""
    out = [[file_link(name, f"../outputs/downloads/{name}"), RESULTS.get(name.removesuffix(f"-{inclusion}.csv"), "")]
           for name in results]
    rows = [[file_link(r["path"], f"../outputs/downloads/{r['path']}"), r.get("description", ""), f"{r['bytes']:,}",
             f"`{r['hash'].removeprefix('sha256:')[:16]}…`"] for r in package["resources"]]
    refs = [[file_link(name, f"../outputs/downloads/{name}"), f"The {n_studies} studies of this book as {kind}"]
            for name, kind in (("studies.bib", "BibTeX"), ("studies.ris", "RIS"))]
    return (f"# Downloads\n\n## Results of this book\n\nThe tables readers cite, for the inclusion set `{inclusion}` "
            f"({n_studies} studies), one row per outcome: columns named as the book names them, values as the data "
            "hold them. "
            "Every other table and figure of the book is linked under it and listed in the [audit](audit.md).\n\n"
            + table(["File", "Content"], out)
            + f"\n## The evidence base\n\nThe data files hold the **whole evidence base** — all {n_all} studies, of "
              f"which the set `{inclusion}` selects {n_studies}. "
              f"{file_link('datapackage.json', '../outputs/downloads/datapackage.json')} describes them as a "
              "[Frictionless Data Package](https://specs.frictionlessdata.io/data-package/) with a schema and a "
              "sha256 checksum per file (the first 16 digits are shown).\n\n"
            + table(["File", "Content", "Bytes", "sha256"], rows)
            + "\n## References\n\n" + table(["File", "Content"], refs))


def readable_csv(content: bytes, labels: Any) -> bytes:
    """A result table with the book's column names in its header (a name two columns would share
    keeps the data's name beside it); the rows as they are."""
    import csv
    import io

    header, _, rows = content.decode("utf-8").partition("\n")
    columns = next(csv.reader([header]))
    names = [labels.column(c) for c in columns]
    names = [f"{n} ({c})" if names.count(n) > 1 else n for n, c in zip(names, columns)]
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(names)
    return (line.getvalue() + rows).encode("utf-8")


#: The results a reader cites, as the downloads page describes them.
RESULTS = {
    "summary-of-findings": "Summary of findings: the molecules the review names and the other molecules measured in "
                           "at least 3 studies, with the state of evidence and certainty",
    "vote-counts": "Vote counts of every molecule (Holm-adjusted p for the review's molecules, unadjusted otherwise)",
    "vote-counts-cellular": "Vote counts of every cellular outcome (exploratory)",
    "robustness-summary": "Robustness of every outcome: multiverse and leave-one-out shares, state of evidence",
    "markers-of-response": "Every association of a marker with the antidepressant response",
}


def _he(value: Any) -> str:
    """Text from data as HTML inside a ``{raw} html`` block: escaped, on one line, no backtick."""
    return html.escape(" ".join(str(value).split())).replace("`", "&#96;")


def audit_page(records: list[dict[str, Any]], titles: dict[str, str]) -> str:
    """Page listing every figure and table with the code cell that made it and its files.

    A raw HTML table (one anchor per row, so each figure's audit entry can be linked);
    every value in it is escaped text.
    """
    rows = []
    for r in records:
        files = " · ".join(f'<a href="../{_he(f)}">{_he(Path(f).suffix[1:].upper())}</a>' for f in r["files"])
        chapter = titles.get(r["notebook"], r["notebook"])
        where = f"{_he(chapter)} › {_he(r['section'])}" if r.get("section") else _he(chapter)
        source = f'<a href="../notebooks/{_he(r["notebook"])}.html#cell-{_he(r["name"])}">{where}</a>'
        rows.append(f'<tr id="{_he(r["anchor"])}"><td><code>{_he(r["name"])}</code></td><td>{_he(r["kind"])}</td>'
                    f"<td>{_he(r['caption'])}</td><td>{source}</td><td>{files}</td><td>{r['n_studies']}</td></tr>")
    first = records[0] if records else {}
    body = ('<div class="ketrev-scroll" tabindex="0" role="region" aria-label="Figures and tables of this book">'
            '<table class="ketrev-table ketrev-stack"><thead><tr><th>Name</th><th>Kind</th><th>Caption</th><th>Made by</th>'
            "<th>Files</th><th>Studies</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")
    assert "```" not in body  # escaped: data cannot close the fence
    return ("# Audit\n\nEvery figure and table of this book, the code cell that made it (chapter › section, as the "
            "book shows it) and the files it wrote, data first. The full record — input checksums, study ids, "
            f"versions — is in {file_link('manifest.json', '../outputs/manifest.json')}; the functions the cells call "
            f"are in {file_link('Code', '../code/index.html')}.\n\n"
            # a set name, checksums, a version and a commit: checked names and hex, written as code
            f"Inclusion set `{first.get('inclusion', '')}` · data sha256 `{first.get('data_sha256', '')[:16]}` · "
            f"ketrev {first.get('ketrev_version', '')} · commit `{first.get('git_commit', '')[:12]}`\n\n"
            f"```{{raw}} html\n{body}\n```\n")


def state_rules_page() -> str:
    """The book's words for the state of evidence and certainty, and when each applies (included by
    the methods page)."""
    from ketrev.analysis import rules_table

    rules = rules_table()
    return table(["Vocabulary", "Word", "When"], [[v, f"**{w}**", t] for v, w, t in rules.itertuples(index=False)])


def comparisons_page(data_dir: Path) -> str:
    """Markdown page comparing every non-default inclusion set with the default one: first which
    conclusions change and the studies that make the difference, in plain words; the details folded."""
    from ketrev.compare import compare_sets
    from ketrev.evidence import load_evidence
    from ketrev.inclusion import DEFAULT, list_inclusion_sets, load_inclusion, select
    from ketrev.summary import outcome_summary
    from ketrev.views import study_labels

    evidence = load_evidence(data_dir)
    who = study_labels(evidence.studies)
    base = select(evidence, load_inclusion(data_dir, DEFAULT))
    base_summary = outcome_summary(base)
    names = [n for n in sorted(list_inclusion_sets(data_dir), key=lambda n: (n != "updated", n)) if n != DEFAULT]
    flips, details = [], []
    for name in names:  # the set adding the studies published since the review first
        inclusion = load_inclusion(data_dir, name)
        other = select(evidence, inclusion)
        only_base, only_other, changed = compare_sets(base, other, summaries=(base_summary, outcome_summary(other)))
        states = changed[changed["changed"] == "state"]
        lines = [f"  - **{md(r.label)}**: {md(r.state_words_a)} → {md(r.state_words_b)}"
                 + (f" (the difference: {_few([who[s] for s in r.studies.split(', ')])})" if r.studies else "")
                 for r in states.itertuples()]
        moved = "; ".join(m for m in (f"{len(only_base)} of the default set left out" if only_base else "",
                                      f"{len(only_other)} added" if only_other else "") if m) or "the same studies"
        flips.append(f"- *{md(inclusion.title)}* (`{name}`, {len(other.studies)} studies: {moved}): "
                     + ("\n" + "\n".join(lines) if lines else "no state of evidence changes."))
        rows = [[md(r.label), f"{_int(r.n_studies_a)} → {_int(r.n_studies_b)}",
                 f"{_int(r.n_increase_a)} / {_int(r.n_decrease_a)} → {_int(r.n_increase_b)} / {_int(r.n_decrease_b)}",
                 f"{md(_text(r.state_words_a))} → {md(_text(r.state_words_b))}", md(_changes(r.changed, name))]
                for r in changed.itertuples()]
        details.append(f"\n<details><summary>{_he(inclusion.title)} ({_he(name)}): every outcome that changes"
                       f"</summary>\n\n{md(inclusion.description)}\n\n"
                       + (table(["Outcome", "Studies", "Increase / decrease", "State of evidence", "What changes"], rows)
                          if rows else "No outcome changes.\n") + "\n</details>\n")
    return (f"# Inclusion sets compared\n\nWhat changes when the evidence is selected otherwise than by the default "
            f"set ({len(base.studies)} studies): for each named set of `data/inclusion/`, the outcomes whose state of "
            "evidence changes, and the studies of one set only that measured them. Build the book for a set with "
            "`ketrev build --inclusion NAME`; compare any two with `ketrev compare A B`.\n\n"
            + "\n".join(flips) + "\n\n## Details\n" + "".join(details))


def changes_page(version: str, previous: str | None, before: pd.DataFrame | None, after: pd.DataFrame,
                 added: list[str], removed: list[str]) -> str:
    """What changed in the evidence and the conclusions since the previous release, computed by
    :func:`ketrev.compare.compare_results` (included at the top of the changelog)."""
    from ketrev.compare import compare_results

    this = "this release" if version != "dev" else "this development build"
    if previous is None:
        return f"*No earlier release to compare {this} with.*\n"
    if before is None:
        return (f"*The release {md(previous)} did not publish results in a form {this} can compare; see its own "
                "book.*\n")
    changed = compare_results(before, after)
    flips = changed[changed["changed"] == "state"]
    lines = [f"- **{md(r.label)}**: {md(_text(r.state_words_a))} → {md(_text(r.state_words_b))} "
             f"({_int(r.n_studies_a)} → {_int(r.n_studies_b)} studies)" for r in flips.itertuples()]
    new = changed[changed["changed"] == "only in b"]
    return (f"## Since release {md(previous)}\n\nComputed with `ketrev.compare` from the results the two books "
            f"publish. Studies: {len(added)} added, {len(removed)} removed"
            + (f" ({md(', '.join(removed))})" if removed else "") + ". "
            + f"Conclusions that change their state of evidence: {len(flips)}"
            + (":\n\n" + "\n".join(lines) + "\n" if lines else ".\n")
            + (f"\nOutcomes measured for the first time: {md(', '.join(new['label']))}.\n" if len(new) else ""))


#: The library's modules whose code the book shows (the build machinery is not the analysis).
CODE_MODULES = ("evidence", "years", "inclusion", "tabulate", "synthesis", "analysis", "robustness", "summary",
                "compare", "prisma", "figures", "views", "book")


@functools.cache
def code_pages() -> dict[str, str]:
    """The library's source as plain HTML pages, ``{module: html}`` plus ``index``: one page per
    module, each public function and class under the anchor the figure notes link to
    (:func:`ketrev.provenance.code_link`). Highlighted by Pygments, not built by Sphinx, once
    per process (the code a process runs does not change): the same for every book."""
    import ast
    import importlib
    import inspect

    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    from ketrev.provenance import code_anchor

    formatter = HtmlFormatter(cssclass="highlight")
    style = formatter.get_style_defs(".highlight")

    def page(title: str, body: str) -> str:
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
                '<link rel="icon" href="data:,">'
                '<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;'
                "line-height:1.45}pre{overflow-x:auto;font-size:.85rem}.highlight{background:#f8f8f8;padding:.2rem "
                f".6rem}}{style}</style></head><body><main>{body}</main></body></html>\n")

    pages = {}
    for short in CODE_MODULES:
        module = importlib.import_module(f"ketrev.{short}")
        source = inspect.getsource(module)
        lines = source.splitlines(keepends=True)
        parts = [f'<p><a href="index.html">Code</a> · <a href="../book/methods.html">Methods</a></p>'
                 f"<h1><code>ketrev.{short}</code></h1><p>{html.escape(inspect.getdoc(module) or '')}</p>"]
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])  # a top-level node: whole lines
                code = "".join(lines[first - 1:node.end_lineno])
                shown = highlight(code, PythonLexer(), formatter).replace("<pre>", '<pre tabindex="0">', 1)
                parts.append(f'<h2 id="{code_anchor(f"ketrev.{short}.{node.name}")}"><code>{node.name}</code></h2>{shown}')
        pages[short] = page(f"ketrev.{short}", "".join(parts))
    items = "".join(f'<li><a href="{m}.html"><code>ketrev.{m}</code></a></li>' for m in CODE_MODULES)
    pages["index"] = page("Code", '<p><a href="../book/methods.html">Methods</a></p><h1>Code</h1><p>The functions '
                                  "that compute every table and draw every figure of this book, as this build ran them; "
                                  f"each figure links the function that drew it.</p><ul>{items}</ul>")
    return pages


def _few(names: list[str], shown: int = 4) -> str:
    """``A, B, C and 5 more`` as Markdown text."""
    rest = len(names) - shown
    return md(", ".join(names[:shown])) + (f" and {rest} more" if rest > 0 else "")


def _text(value: Any) -> str:
    return "—" if pd.isna(value) else str(value)


def _changes(changed: str, name: str) -> str:
    return changed.replace("only in a", "only in the default set").replace("only in b", f"only in {name}")


def _int(value: Any) -> str:
    return "—" if pd.isna(value) else str(int(value))
