"""Load the evidence base from a data folder and validate it against the contract."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ketrev.errors import DataError, Problem, UsageError
from ketrev.files import read_data_file
from ketrev.schema import check_table, contract, parse_csv, to_typed
from ketrev.text import fold
from ketrev.years import calibration, derive

__all__ = ["Evidence", "expected_id", "load_evidence", "slug", "surname_key"]

#: The directions of a change, the signs of an association, and the measures of a cellular outcome.
CHANGE_DIRECTIONS = ("increase", "decrease", "no_change")
ASSOCIATION_SIGNS = ("positive", "negative", "none")
CELLULAR_MEASURES = ("morphology", "electrophysiology", "cell_count")

#: Evidence already validated in this process, by the checksums of its files: the same bytes are
#: read again (each notebook of a build reads the data its forked worker inherited) but not re-checked.
_validated: dict[tuple, Evidence] = {}

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

    def findings_long(self, *, kind: str | None = "change", level: str | None = None) -> pd.DataFrame:
        """Return findings joined with their study's characteristics and their outcome's vocabulary.

        Parameters
        ----------
        kind
            ``"change"`` (the default: the findings a vote counts), ``"association"``
            (markers of response), or None for both.
        level
            ``"molecular"``, ``"cellular"``, or None (the default) for both.

        Returns
        -------
        DataFrame
            The findings columns, then ``evidence_type``, ``species``, ``model``,
            ``design``, ``ketamine_form``, ``year``, ``year_basis`` of the study, then ``label``,
            ``level``, ``family`` and ``activity_when_up`` of the outcome.
        """
        study_cols = ["study_id", "evidence_type", "species", "model", "design", "ketamine_form", "year", "year_basis"]
        mol_cols = ["molecule", "label", "level", "family", "activity_when_up"]
        findings = self.findings
        if kind is not None:
            findings = findings[findings["kind"] == kind]
        long = (findings.merge(self.studies[study_cols], on="study_id", how="left", validate="m:1")
                .merge(self.molecules[mol_cols], on="molecule", how="left", validate="m:1"))
        return long if level is None else long[long["level"] == level].reset_index(drop=True)

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
    raws: dict[str, bytes] = {}
    for name in _LOAD_ORDER:
        path = root / tables[name].file
        try:
            raws[name] = read_data_file(path, root, str(path))
        except DataError as exc:
            problems += exc.problems
            continue
        checksums[tables[name].file] = hashlib.sha256(raws[name]).hexdigest()
    known = _validated.get(tuple(sorted(checksums.items())))
    if known is not None and not problems:  # these very bytes passed the contract before, in this process
        return _copy(known, root)
    for name in raws:
        table = tables[name]
        shown = str(root / table.file)
        try:
            frame = parse_csv(raws[name], shown)
        except DataError as exc:
            problems += exc.problems
            continue
        problems += check_table(frame, table, shown, vocabs)
        frames[name] = frame
        for col in table.columns.values():
            if col.unique and col.name in frame.columns:
                vocabs[f"{name}.{col.name}"] = set(frame[col.name])
    problems += _cross_checks(frames, root)
    if problems:
        raise DataError(problems)
    typed = {name: to_typed(frames[name], tables[name]) for name in _LOAD_ORDER}
    evidence = Evidence(**typed, data_dir=root, checksums=checksums)
    _validated[tuple(sorted(checksums.items()))] = evidence
    while len(_validated) > 8:
        _validated.pop(next(iter(_validated)))
    return _copy(evidence, root)


def _copy(evidence: Evidence, root: Path) -> Evidence:
    """A copy of kept evidence whose tables the caller may change, read from ``root``."""
    return replace(evidence, **{name: getattr(evidence, name).copy() for name in _LOAD_ORDER}, data_dir=root)


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
    molecules = frames.get("molecules")
    problems: list[Problem] = []
    if studies is not None:
        problems += _check_study_ids(studies, shown("studies"))
        problems += _check_study_kinds(studies, models, shown("studies"))
        problems += _check_years(studies, shown("studies"))
    if findings is not None:
        problems += [Problem(shown("findings"), int(line), "", "repeats an earlier row exactly")
                     for line in findings.index[findings.duplicated(keep="first")]]
        problems += _check_findings(findings, molecules, shown("findings"))
    if molecules is not None:
        problems += _check_levels(molecules, shown("molecules"))
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


def _rows(frame: pd.DataFrame, mask: pd.Series, shown: str, column: str, message: str) -> list[Problem]:
    return [Problem(shown, int(line), column, message) for line in frame.index[mask.fillna(False).astype(bool)]]


def _check_years(studies: pd.DataFrame, shown: str) -> list[Problem]:
    """A derived year is the year its identifier gives (:mod:`ketrev.years`); its identifier is there."""
    if not {"year", "year_basis"} <= set(studies.columns):
        return []
    table = studies.assign(**{c: studies.get(c, "") for c in ("doi", "pmid", "pmcid")})
    typed = table.assign(year=pd.to_numeric(table["year"], errors="coerce"))
    calibrations = {c: calibration(typed[typed["year"].notna()], c) for c in ("pmid", "pmcid")}
    problems = []
    derived_rows = table[table["year_basis"].isin(("doi", "pmid", "pmcid"))]
    for line, row in zip(derived_rows.index, derived_rows.to_dict("records")):
        basis = row["year_basis"]
        if not row[basis]:
            problems.append(Problem(shown, int(line), "year_basis", f"the year is derived from the {basis}, which is empty"))
            continue
        derived = derive(row, calibrations)
        if derived is None:
            why = ("the DOI carries no year by a known publisher pattern" if basis == "doi" else
                   f"the {basis} lies outside the calibration fitted to the studies that print their year")
            problems.append(Problem(shown, int(line), "year_basis", f"{row[basis]!r}: {why}"))
        elif str(derived) != row["year"]:
            problems.append(Problem(shown, int(line), "year", f"{row['year']!r}: the {basis} {row[basis]!r} gives {derived}"))
    return problems


def _check_findings(findings: pd.DataFrame, molecules: pd.DataFrame | None, shown: str) -> list[Problem]:
    """A change has a direction of change, an association a sign and a type; a measure fits its outcome's level."""
    if not {"kind", "direction"} <= set(findings.columns):
        return []
    kind, direction = findings["kind"], findings["direction"]
    kind_of = findings.get("association_type", pd.Series("", index=findings.index))
    problems = _rows(findings, (kind == "change") & direction.isin(ASSOCIATION_SIGNS), shown, "direction",
                     "a change is an increase, a decrease or no_change")
    problems += _rows(findings, (kind == "association") & direction.isin(CHANGE_DIRECTIONS), shown, "direction",
                      "an association is positive, negative or none")
    problems += _rows(findings, (kind == "change") & (kind_of != ""), shown, "association_type",
                      "only an association has a type; leave it empty for a change")
    problems += _rows(findings, (kind == "association") & (kind_of == ""), shown, "association_type",
                      "an association needs its type: responders, correlation or baseline")
    if molecules is not None and {"molecule", "level"} <= set(molecules.columns) and {"molecule", "measure"} <= set(
            findings.columns):
        level = findings["molecule"].map(dict(zip(molecules["molecule"], molecules["level"])))
        cellular = findings["measure"].isin(CELLULAR_MEASURES)
        problems += _rows(findings, (level == "cellular") & ~cellular & (findings["measure"] != "other"), shown,
                          "measure", f"a cellular outcome is measured as {', '.join(CELLULAR_MEASURES)} or other")
        problems += _rows(findings, (level == "molecular") & cellular, shown, "measure",
                          "a molecule is measured as protein, phospho, mrna, activity, level or other")
    return problems


def _check_levels(molecules: pd.DataFrame, shown: str) -> list[Problem]:
    """Every cellular outcome, and only those, is of the family ``cellular``."""
    if not {"level", "family"} <= set(molecules.columns):
        return []
    cellular, family = molecules["level"] == "cellular", molecules["family"] == "cellular"
    return (_rows(molecules, cellular & ~family, shown, "family", "a cellular outcome is of the family 'cellular'")
            + _rows(molecules, family & ~cellular & (molecules["level"] != ""), shown, "level",
                    "the family 'cellular' holds cellular outcomes only"))


def _check_study_kinds(studies: pd.DataFrame, models: pd.DataFrame | None, shown: str) -> list[Problem]:
    """A study's model belongs to its evidence type; a human study is of species human; the design
    fits the evidence type (cell cultures in vitro, patients treated)."""
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
    if {"evidence_type", "design"} <= set(studies.columns):
        kind, design = studies["evidence_type"], studies["design"]
        problems += _rows(studies, (kind == "cell_culture") & (design != "in_vitro") & (design != ""), shown, "design",
                          "a cell-culture study has design 'in_vitro'")
        problems += _rows(studies, (kind != "cell_culture") & (kind != "") & (design == "in_vitro"), shown, "design",
                          "only a cell-culture study has design 'in_vitro'")
        problems += _rows(studies, (kind == "human") & (design == "prophylactic"), shown, "design",
                          "a clinical study has design 'treatment'")
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
