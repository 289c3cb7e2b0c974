import csv
import io
import re

import pytest
from conftest import edit_csv, snapshot

from ketrev.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_ok(capsys, data_dir):
    code, out, err = run(capsys, "validate", "--data", str(data_dir))
    assert code == 0 and err == ""
    assert out.strip() == (f"{data_dir}: valid (6 studies, 17 findings, 8 screening records, 2 searches; "
                           "inclusion sets all, clinical, preclinical)")


def test_validate_checks_every_inclusion_set(capsys, data_dir):
    (data_dir / "inclusion" / "typo.yml").write_text("title: T\nwhere:\n  spieces: [rat]\n")
    code, _, err = run(capsys, "validate", "--data", str(data_dir))
    assert code == 1 and "typo.yml:where.spieces: not a studies column" in err and "Traceback" not in err


def test_validate_reports_every_problem_then_a_summary(capsys, data_dir):
    edit_csv(data_dir / "evidence/findings.csv", "increase,,1,", "up,,1,", count=2)
    before = snapshot(data_dir)
    code, out, err = run(capsys, "validate", "--data", str(data_dir))
    lines = err.strip().splitlines()
    assert code == 1 and out == ""
    assert lines[:2] == [f"{data_dir}/evidence/findings.csv:{n}:direction: 'up' is not one of: increase, decrease, "
                         "no_change, positive, negative, none" for n in (2, 3)]
    assert lines[-1] == f"{data_dir}: 2 problems found; the data break the contract"
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(("damage", "message"), [
    (lambda d: (d / "evidence/studies.csv").unlink(), "evidence/studies.csv: file not found"),
    (lambda d: (d / "evidence/searches.csv").write_bytes("search_id,query\n1,é\n".encode("latin-1")),
     "evidence/searches.csv:2: not UTF-8 (byte 0xe9)"),
    (lambda d: (d / "evidence/searches.csv").write_text('search_id,query,date,records_seen\n"s1,q\n'),
     "evidence/searches.csv:2: malformed CSV"),
    (lambda d: (d / "evidence/findings.csv").write_text("study_id,kind,measure,direction\nalpha2010,change,protein,increase\n"),
     "evidence/findings.csv:1:molecule: required column is missing"),
])
def test_bad_files_give_one_line_and_exit_1(capsys, data_dir, damage, message):
    damage(data_dir)
    before = snapshot(data_dir)
    code, _, err = run(capsys, "validate", "--data", str(data_dir))
    assert code == 1
    assert any(line.startswith(f"{data_dir}/{message}") for line in err.splitlines()), err
    assert "Traceback" not in err
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(("args", "message"), [
    (["validate", "--data", "no/such/folder"], "ketrev: no/such/folder: no such data folder"),
    (["tabulate", "--by", "molecule", "--inclusion", "../all"], "is not an inclusion set name"),
    (["tabulate", "--by", "molecule", "--inclusion", "mine"], "no inclusion set 'mine'"),
    (["tabulate", "--by", "colour"], "invalid choice: 'colour'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_usage_errors_exit_2(capsys, data_dir, args, message):
    if "--data" not in args:
        args = [*args, "--data", str(data_dir)]
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_bad_inclusion_file_exits_1(capsys, data_dir):
    (data_dir / "inclusion/broken.yml").write_text("title: T\nwhere:\n  colour: [red]\n")
    code, _, err = run(capsys, "tabulate", "--by", "molecule", "--inclusion", "broken", "--data", str(data_dir))
    assert code == 1
    assert f"{data_dir}/inclusion/broken.yml:where.colour: not a studies column" in err


@pytest.mark.parametrize("by", ["evidence_type", "species", "model", "design", "ketamine_form", "year_basis", "molecule",
                                "family", "direction", "family-direction", "prisma"])
def test_tabulate_prints_a_table(capsys, data_dir, by):
    code, out, _ = run(capsys, "tabulate", "--by", by, "--data", str(data_dir))
    assert code == 0
    assert out.startswith("Inclusion set 'all': 6 studies, 17 findings")
    assert "NaN" not in out and "nan" not in out.split("\n", 2)[2]


def test_tabulate_prints_p_values_counts_and_gaps_as_readers_expect(capsys, data_dir):
    _, out, _ = run(capsys, "tabulate", "--by", "direction", "--data", str(data_dir))
    table = out.split("\n\nRule:")[0]
    assert "NaN" not in table and ".0 " not in table
    assert re.search(r"\b1\.000\b", table) and "—" in table  # p to three decimals; a missing value is a dash
    assert "Holm-adjusted across the 12 molecules the review names" in out


def test_tabulate_direction_states_the_rule(capsys, data_dir):
    _, out, _ = run(capsys, "tabulate", "--by", "direction", "--rule", "unanimous", "--data", str(data_dir))
    assert "the direction all of its findings show" in out


def test_tabulate_csv(capsys, data_dir):
    code, out, _ = run(capsys, "tabulate", "--by", "evidence_type", "--inclusion", "preclinical", "--csv",
                       "--data", str(data_dir))
    assert code == 0
    assert list(csv.DictReader(io.StringIO(out))) == [
        {"evidence_type": "animal", "n_studies": "3", "percent": "75.0"},
        {"evidence_type": "cell_culture", "n_studies": "1", "percent": "25.0"},
    ]


def test_robustness_prints_the_summary(capsys, data_dir):
    from ketrev import load_evidence
    from ketrev.robustness import active_choices, specifications

    code, out, _ = run(capsys, "robustness", "--data", str(data_dir))
    n = len(specifications(active_choices(load_evidence(data_dir))))
    assert code == 0
    assert out.startswith(f"Inclusion set 'all': {n:,} specifications × ")
    assert "at least 3 studies with a direction" in out
    assert "Consistent" in out or "Fragile" in out or "Too few studies" in out


def test_robustness_csv_and_bad_threshold(capsys, data_dir):
    code, out, _ = run(capsys, "robustness", "--by", "family", "--csv", "--data", str(data_dir))
    assert code == 0 and out.splitlines()[0].startswith("family,label,analysis,level,group,n_studies")
    code, _, err = run(capsys, "robustness", "--min-studies", "0", "--data", str(data_dir))
    assert code == 2 and "--min-studies must be at least 1" in err


def test_compare_two_sets(capsys, data_dir):
    code, out, _ = run(capsys, "compare", "all", "preclinical", "--data", str(data_dir))
    assert code == 0
    assert "Only in 'all' (2): epsilon2018, zeta2020" in out and "Only in 'preclinical' (0): —" in out
    assert "glx" in out and "only in a" in out


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "all", "nope"], "no inclusion set 'nope'"),
    (["compare", "all", "preclinicl"], "no inclusion set 'preclinicl' (did you mean 'preclinical'?)"),
    (["tabulate", "--by", "molecul"], "invalid choice: 'molecul' (did you mean 'molecule'?)"),
    (["compare", "all", "../x"], "is not an inclusion set name"),
    (["robustness", "--inclusion", "nope"], "no inclusion set 'nope'"),
])
def test_robustness_and_compare_usage_errors(capsys, data_dir, args, message):
    code, _, err = run(capsys, *args, "--data", str(data_dir))
    assert code == 2 and message in err


def test_a_missing_data_folder_says_where_it_was_looked_for(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "validate")
    assert code == 2 and f"looked for {tmp_path / 'data'}" in err and "run from the repository root" in err
