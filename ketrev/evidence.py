"""Load the evidence base from a data folder and validate it against the contract."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ketrev.errors import DataError, Problem, UsageError
from ketrev.schema import check_table, contract, read_csv, to_typed
from ketrev.text import fold

__all__ = ["Evidence", "expected_id", "load_evidence", "slug", "surname_key"]

# Tables whose ids other tables refer to come first, so their vocabularies are known.
_LOAD_ORDER = ("molecules", "models", "searches", "studies", "findings", "screening")


@dataclass(frozen=True)
class Evidence:
    """The validated evidence base, or a selection of it.

    Attributes
    ----------
    studies, findings, screening, searches, molecules, models
        The tables of the data contract, with every contract column present.
    data_dir
        The folder they were read from.
    checksums
        sha256 of each input file, keyed by its path relative to ``data_dir``.
    inclusion
        Name of the inclusion set the studies were selected by.
    """

    studies: pd.DataFrame
    findings: pd.DataFrame
    screening: pd.DataFrame
    searches: pd.DataFrame
    molecules: pd.DataFrame
    models: pd.DataFrame
    data_dir: Path
    checksums: dict[str, str] = field(default_factory=dict)
    inclusion: str = "all"

    def with_studies(self, study_ids: pd.Index | list[str], inclusion: str) -> Evidence:
        """Return the evidence restricted to ``study_ids`` (findings follow their studies)."""
        keep = self.studies["study_id"].isin(study_ids)
        return replace(
            self,
            studies=self.studies[keep],
            findings=self.findings[self.findings["study_id"].isin(study_ids)],
            inclusion=inclusion,
        )

    def findings_long(self) -> pd.DataFrame:
        """Return findings joined with their study's characteristics and molecule vocabulary.

        Returns
        -------
        DataFrame
            The findings columns, then ``evidence_type``, ``species``, ``model``,
            ``ketamine_form``, ``year`` of the study, then ``label``, ``family`` and
            ``activity_when_up`` of the molecule.
        """
        study_cols = ["study_id", "evidence_type", "species", "model", "ketamine_form", "year"]
        mol_cols = ["molecule", "label", "family", "activity_when_up"]
        return (self.findings.merge(self.studies[study_cols], on="study_id", how="left", validate="m:1")
                .merge(self.molecules[mol_cols], on="molecule", how="left", validate="m:1"))

    @property
    def data_checksum(self) -> str:
        """One sha256 over every input file's checksum: names the data a result came from."""
        joined = "\n".join(f"{name} {digest}" for name, digest in sorted(self.checksums.items()))
        return hashlib.sha256(joined.encode()).hexdigest()


def load_evidence(data_dir: str | os.PathLike[str] = "data") -> Evidence:
    """Read every table of the data folder and validate it against the contract.

    Parameters
    ----------
    data_dir
        Folder holding ``evidence/`` and ``vocab/`` (default ``data``).

    Returns
    -------
    Evidence
        The validated tables.

    Raises
    ------
    UsageError
        ``data_dir`` is not a folder.
    DataError
        Any rule of the contract is broken; ``problems`` lists every breach, each as
        ``file:line:column: message``.

    Examples
    --------
    >>> ev = load_evidence("tests/example_data")
    >>> sorted(ev.studies["evidence_type"].unique())
    ['animal', 'cell_culture', 'human']
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise UsageError(f"{root}: no such data folder")
    tables = contract()
    frames: dict[str, pd.DataFrame] = {}
    checksums: dict[str, str] = {}
    problems: list[Problem] = []
    vocabs: dict[str, set[str]] = {}
    for name in _LOAD_ORDER:
        table = tables[name]
        path = root / table.file
        shown = str(path)
        try:
            frame = read_csv(path, shown)
        except DataError as exc:
            problems += exc.problems
            continue
        checksums[table.file] = hashlib.sha256(path.read_bytes()).hexdigest()
        problems += check_table(frame, table, shown, vocabs)
        frames[name] = frame
        for col in table.columns.values():
            if col.unique and col.name in frame.columns:
                vocabs[f"{name}.{col.name}"] = set(frame[col.name])
    problems += _cross_checks(frames, root)
    if problems:
        raise DataError(problems)
    typed = {name: to_typed(frames[name], tables[name]) for name in _LOAD_ORDER}
    return Evidence(**typed, data_dir=root, checksums=checksums)


def surname_key(first_author: str) -> str:
    """Return the study-id stem of an author: ``"Réus GZ"`` → ``"reus"``."""
    return re.sub(r"[^a-z]", "", fold(first_author.rsplit(" ", 1)[0]))


def slug(text: str) -> str:
    """Lower-case ASCII with every run of other characters than a-z and 0-9 made ``-``: ``10.1016/J.X`` → ``10-1016-j-x``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def expected_id(row: dict[str, str]) -> str:
    """The id a study must have, from the first of: author + year, PMID, PMCID, DOI, citation.

    Returns ``""`` when the row gives none of them (that row breaks the traceability rule).
    """
    if row.get("first_author"):
        return f"{surname_key(row['first_author'])}{row.get('year', '')}" if row.get("year") else ""
    if row.get("pmid"):
        return f"pmid{row['pmid']}"
    if row.get("pmcid"):
        return f"pmc{row['pmcid'].removeprefix('PMC')}"
    if row.get("doi"):
        return f"doi-{slug(row['doi'])}"
    first_page = row.get("pages", "").split("-")[0]
    if row.get("journal") and row.get("volume") and first_page:
        return f"cite-{slug(row['journal'] + ' ' + row['volume'] + ' ' + first_page)}"
    return ""


def _cross_checks(frames: dict[str, pd.DataFrame], root: Path) -> list[Problem]:
    """Rules that span columns or tables; each runs only when its tables loaded."""
    tables = contract()

    def shown(name: str) -> str:
        return str(root / tables[name].file)

    studies, models = frames.get("studies"), frames.get("models")
    findings, screening = frames.get("findings"), frames.get("screening")
    problems: list[Problem] = []
    if studies is not None:
        problems += _check_study_ids(studies, shown("studies"))
        problems += _check_study_kinds(studies, models, shown("studies"))
    if findings is not None:
        problems += [Problem(shown("findings"), int(line), "", "repeats an earlier row exactly")
                     for line in findings.index[findings.duplicated(keep="first")]]
    if screening is not None and studies is not None:
        problems += _check_screening(screening, studies, shown("screening"))
    return problems


CITATION = ("journal", "year", "volume", "pages")


def _check_study_ids(studies: pd.DataFrame, shown: str) -> list[Problem]:
    """Every study is traceable, and its study_id follows from its author and year (or identifier).

    Traceable: an identifier (pmid, pmcid or doi) or the full citation a record shows
    (journal, year, volume, pages); a study whose title no record showed needs an identifier.
    """
    if "study_id" not in studies.columns:
        return []
    problems = []
    blank = pd.Series("", index=studies.index)
    columns = ("first_author", "pmid", "pmcid", "doi", "year", "title", *CITATION)
    rows = pd.DataFrame({c: studies.get(c, blank) for c in columns}).to_dict("records")
    for line, sid, row in zip(studies.index, studies["study_id"], rows):
        identified = bool(row["pmid"] or row["pmcid"] or row["doi"])
        if not identified and not all(row[c] for c in CITATION):
            missing = ", ".join(c for c in CITATION if not row[c])
            problems.append(Problem(shown, int(line), "pmid", "not traceable: give a pmid, pmcid or doi, or the full "
                                                               f"citation the record shows (missing: {missing})"))
        elif not identified and not row["title"]:
            problems.append(Problem(shown, int(line), "title", "empty; a study whose title no record showed needs a "
                                                                "pmid, pmcid or doi"))
        expected = expected_id(row)
        author = row["first_author"]
        if sid and expected and not (sid == expected or (sid[:-1] == expected and sid[-1].islower() and author)):
            message = (f"{sid!r} does not match first_author and year; expected {expected!r} plus an optional letter"
                       if author else f"{sid!r}: a study with no first_author is named {expected!r}")
            problems.append(Problem(shown, int(line), "study_id", message))
    return problems


def _check_study_kinds(studies: pd.DataFrame, models: pd.DataFrame | None, shown: str) -> list[Problem]:
    """A study's model belongs to its evidence type; a human study is of species human."""
    problems = []
    if models is not None and {"model", "evidence_type"} <= set(studies.columns) & set(models.columns):
        expected = studies["model"].map(dict(zip(models["model"], models["evidence_type"])))
        wrong = expected.notna() & (studies["evidence_type"] != "") & (expected != studies["evidence_type"])
        problems += [Problem(shown, int(line), "model",
                             f"model {studies.at[line, 'model']!r} belongs to evidence_type {expected[line]!r}, "
                             f"not {studies.at[line, 'evidence_type']!r}") for line in studies.index[wrong]]
    if {"evidence_type", "species"} <= set(studies.columns):
        human = (studies["evidence_type"] == "human") & (studies["species"] != "human") & (studies["species"] != "")
        problems += [Problem(shown, int(line), "species", "a human study must have species 'human'")
                     for line in studies.index[human]]
    return problems


def _check_screening(screening: pd.DataFrame, studies: pd.DataFrame, shown: str) -> list[Problem]:
    """Included records match studies one to one; exclusions carry a reason."""
    needed = {"decision", "reason", "study_id"}
    if not needed <= set(screening.columns) or "study_id" not in studies.columns:
        return [Problem(shown, 1, "study_id", "required column is missing")] if "study_id" not in screening.columns else []
    problems = []
    included = screening["decision"] == "included"
    excluded = screening["decision"] == "excluded"
    rules = [
        (included & (screening["study_id"] == ""), "study_id", "an included record must name its study_id"),
        (included & (screening["reason"] != ""), "reason", "an included record takes no exclusion reason"),
        (excluded & (screening["reason"] == ""), "reason", "an excluded record needs a reason"),
        (excluded & (screening["study_id"] != ""), "study_id", "an excluded record cannot name a study"),
    ]
    for mask, column, message in rules:
        problems += [Problem(shown, int(line), column, message) for line in screening.index[mask]]
    named = screening.loc[included & (screening["study_id"] != ""), "study_id"]
    for line, sid in named[named.duplicated()].items():
        problems.append(Problem(shown, int(line), "study_id", f"{sid!r} is included by more than one record"))
    for sid in sorted(set(studies["study_id"]) - set(named) - {""}):
        problems.append(Problem(shown, None, "study_id", f"study {sid!r} has no included screening record"))
    return problems
