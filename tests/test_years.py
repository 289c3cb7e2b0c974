"""Years from identifiers: every DOI pattern, the PMID/PMCID calibration, and the ranges a derived year may decide."""

import pandas as pd
import pytest

from ketrev.years import DOI_PATTERNS, calibration, derive, within, year_from_doi


@pytest.mark.parametrize(("doi", "year"), [
    ("10.1016/j.eurpsy.2013.10.005", 2013),       # Elsevier: j.<journal>.YYYY.MM.NNN
    ("10.1016/j.nlm.2019.107136", 2019),          # Elsevier: j.<journal>.YYYY.NNNNNN
    ("10.1016/S0006-3223(17)32247-3", 2017),      # Elsevier PII: (YY)
    ("10.1007/s00213-020-05490-3", 2020),         # Springer: sNNNNN-YYY-
    ("10.1186/s13041-020-00627-z", 2020),         # BioMed Central
    ("10.1038/s41386-018-0136-3", 2018),          # Springer Nature
    ("10.1038/npp.2015.357", 2015),               # Nature: <abbr>.YYYY.NNN
    ("10.1038/tp201439", 2014),                   # Nature, compact: <abbr>YYYYNNN
    ("10.3389/fpsyt.2022.860882", 2022),          # Frontiers
    ("10.1080/13651501.2017.1297834", 2017),      # Taylor & Francis
    ("10.3109/03009734.2012.724118", 2012),       # Informa
    ("10.1371/journal.pone.0056053", None),       # PLOS: no year in the DOI
    ("10.1038/nature10130", None),                # Nature's own compact DOIs carry no year
    ("10.3390/ijms22158091", None),               # MDPI: a volume, not a year
])
def test_each_doi_pattern(doi, year):
    assert year_from_doi(doi) == year
    assert year_from_doi(doi.upper()) == year  # DOIs are case-insensitive


def test_every_publisher_pattern_is_exercised():
    assert len(DOI_PATTERNS) == 7


def printed(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"pmid": [""] * n, "pmcid": [""] * n, "year_basis": ["printed"] * n, **columns})


def test_calibration_is_the_step_function_that_fits_the_printed_studies():
    studies = printed(pmid=["20000000", "21000000", "22000000", "23000000", "24000000"],
                      year=[2010, 2011, 2012, 2013, 2014])
    fit = calibration(studies, "pmid")
    assert fit.starts == ((2010, 20000000), (2011, 20500000), (2012, 21500000), (2013, 22500000), (2014, 23500000))
    assert [fit.year(p) for p in ("20000000", "20600000", "23999999", "24000000")] == [2010, 2011, 2014, 2014]
    assert fit.year("19999999") is None and fit.year("24000001") is None  # outside the calibrated range


def test_calibration_tolerates_an_out_of_order_study_and_ignores_derived_years():
    studies = printed(pmcid=["PMC100", "PMC200", "PMC300", "PMC400", "PMC250"], year=[2010, 2010, 2012, 2012, 2013])
    studies.loc[4, "year_basis"] = "pmcid"  # a derived year never calibrates
    studies.loc[5] = {"pmid": "", "pmcid": "PMC350", "year_basis": "printed", "year": 2011}  # e-published late
    fit = calibration(studies, "pmcid")
    assert fit.year("PMC150") == 2010 and fit.year("PMC390") == 2012
    assert [year for year, _ in fit.starts] == sorted(year for year, _ in fit.starts)  # never goes back in time


def test_derive_by_basis():
    cal = {"pmid": calibration(printed(pmid=["100", "300"], year=[2015, 2017]), "pmid"),
           "pmcid": calibration(printed(pmcid=["PMC1"], year=[2015]), "pmcid")}
    assert derive({"year_basis": "doi", "doi": "10.1038/npp.2015.357"}, cal) == 2015
    assert derive({"year_basis": "pmid", "pmid": "250"}, cal) == 2017
    assert derive({"year_basis": "printed", "pmid": "250"}, cal) is None


def test_a_derived_year_never_decides_the_edge_of_a_range():
    studies = pd.DataFrame({"year": [2021, 2021, 2020, 2022, 2016, 2016],
                            "year_basis": ["printed", "doi", "pmid", "pmcid", "printed", "pmid"]})
    assert within(studies, high=2021).tolist() == [True, False, True, False, True, True]
    assert within(studies, low=2016).tolist() == [True, True, True, True, True, False]


def test_the_data_readme_states_the_fitted_boundaries():
    """The calibration the validator uses is the one data/README.md documents."""
    import re
    from pathlib import Path

    from ketrev import load_evidence

    data = Path(__file__).parent.parent / "data"
    studies = load_evidence(data).studies
    readme = (data / "README.md").read_text(encoding="utf-8")
    for column in ("pmid", "pmcid"):
        section = readme.split(f"<!-- calibration {column} -->")[1].split("<!-- end -->")[0]
        stated = [(int(y), int(s)) for y, s in re.findall(r"\| (\d{4}) \| (?:PMC)?(\d+) \|", section)]
        assert stated == list(calibration(studies, column).starts), column


def test_the_monotone_fit_disagrees_with_the_fewest_printed_years():
    import itertools
    import random

    from ketrev.years import _monotone_fit

    rng = random.Random(7)
    for _ in range(300):
        levels = sorted(rng.sample(range(2000, 2010), rng.randint(1, 4)))
        observed = [rng.choice(levels) for _ in range(rng.randint(1, 7))]
        fitted = _monotone_fit(observed, levels)
        fewest = min(sum(a != b for a, b in zip(observed, seq))
                     for seq in itertools.combinations_with_replacement(levels, len(observed)))
        assert fitted == sorted(fitted) and set(fitted) <= set(levels)
        assert sum(a != b for a, b in zip(observed, fitted)) == fewest, (observed, levels, fitted)
