import pytest

from ketrev import DataError, UsageError, load_evidence, load_inclusion, select
from ketrev.inclusion import check_inclusion_sets, list_inclusion_sets


def write_set(data_dir, name: str, text: str):
    (data_dir / "inclusion" / f"{name}.yml").write_text(text, encoding="utf-8")


def problems(data_dir, name: str) -> list[str]:
    with pytest.raises(DataError) as info:
        select(load_evidence(data_dir), load_inclusion(data_dir, name))
    return [str(p) for p in info.value.problems]


def test_known_sets(data_dir):
    assert list_inclusion_sets(data_dir) == ["all", "clinical", "preclinical"]


def test_all_is_identity(data_dir):
    ev = load_evidence(data_dir)
    chosen = select(ev, load_inclusion(data_dir, "all"))
    assert chosen.studies.equals(ev.studies) and chosen.findings.equals(ev.findings)


def test_where_selects_and_findings_follow(data_dir):
    chosen = select(load_evidence(data_dir), load_inclusion(data_dir, "clinical"))
    assert sorted(chosen.studies["study_id"]) == ["epsilon2018", "zeta2020"]
    assert set(chosen.findings["study_id"]) == {"epsilon2018", "zeta2020"}
    assert chosen.inclusion == "clinical"


def test_year_range_and_exclude(data_dir):
    write_set(data_dir, "window", "title: W\nwhere:\n  year: {min: 2012, max: 2018}\n"
                                  "exclude:\n  - {study_id: gamma2014, reason: test}\n")
    chosen = select(load_evidence(data_dir), load_inclusion(data_dir, "window"))
    assert sorted(chosen.studies["study_id"]) == ["beta2012", "delta2016", "epsilon2018"]


@pytest.mark.parametrize("name", ["../all", "All", "a b", "x/y", ""])
def test_bad_names_are_usage_errors(data_dir, name):
    with pytest.raises(UsageError, match="is not an inclusion set name"):
        load_inclusion(data_dir, name)


def test_unknown_set_lists_known_ones(data_dir):
    with pytest.raises(UsageError, match=r"no inclusion set 'mine' \(known sets: all, clinical, preclinical\)"):
        load_inclusion(data_dir, "mine")


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")) + "title: *i\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("title: [unclosed\n", "bad.yml:2: not valid YAML"),
    ("- a list\n", "bad.yml: expected a mapping"),
    ("description: no title\n", "bad.yml:title: a title (text) is required"),
    ("title: T\nwhere:\n  colour: [red]\n", "bad.yml:where.colour: not a studies column"),
    ("title: T\nwhere:\n  species: [dog]\n", "bad.yml:where.species: 'dog' is not one of: rat, mouse, human, other"),
    ("title: T\nwhere:\n  year: [2010]\n", "bad.yml:where.year: expected a range of whole numbers such as {min: 2010"),
    ("title: T\nexclude:\n  - {study_id: alpha2010}\n", "bad.yml:exclude: {'study_id': 'alpha2010'}: each entry needs"),
    ("title: T\nwhre: {}\n", "bad.yml:whre: unknown key"),
    # hostile YAML: refused quickly, never expanded
    (BILLION_LAUGHS, "not valid YAML (aliases (*name) are not allowed)"),
    ("title: T\ntitle: U\n", "bad.yml:2: not valid YAML (the key 'title' appears twice)"),
    ("title: T\nwhere:\n  year: {min: true}\n", "bad.yml:where.year: expected a range of whole numbers"),
    ("title: T\nwhere:\n  antidepressant_effect: [yes]\n", "bad.yml:where.antidepressant_effect: True is not text; quote"),
    ("title: T\ndescription: [a, list]\n", "bad.yml:description: expected text"),
    ("title: T\nexclude:\n  - {study_id: alpha2010, reason: r, extra: 1}\n", "each entry needs a study_id and a reason"),
])
def test_malformed_and_hostile_files_are_refused(data_dir, text, expected):
    write_set(data_dir, "bad", text)
    found = problems(data_dir, "bad")
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(("text", "expected"), [
    ("title: T\nexclude:\n  - {study_id: nobody2000, reason: x}\n", "empty.yml:exclude: unknown study_id 'nobody2000'"),
    ("title: T\nwhere:\n  model: [lps]\n", "empty.yml:where: the selection leaves no study"),
    ("title: T\nwhere:\n  study_id: [nobody2000]\n", "empty.yml:where.study_id: 'nobody2000' does not occur"),
    ("title: T\nwhere:\n  model: [stressed]\n", "empty.yml:where.model: 'stressed' is not a known models model"),
])
def test_selection_errors(data_dir, text, expected):
    write_set(data_dir, "empty", text)
    assert any(expected in p for p in problems(data_dir, "empty"))


def test_an_oversized_inclusion_set_is_refused_unread(data_dir):
    write_set(data_dir, "big", "title: T\ndescription: " + "x" * 70_000 + "\n")
    with pytest.raises(DataError, match=r"big\.yml: larger than 64 KiB"):
        load_inclusion(data_dir, "big")


def test_every_inclusion_set_is_checked_at_once(data_dir):
    write_set(data_dir, "typo", "title: T\nwhere:\n  spieces: [rat]\n")
    write_set(data_dir, "empty", "title: T\nwhere:\n  model: [lps]\n")
    (data_dir / "inclusion" / "Bad Name.yml").write_text("title: T\n")
    found = [str(p) for p in check_inclusion_sets(load_evidence(data_dir))]
    assert any("typo.yml:where.spieces: not a studies column" in p for p in found)
    assert any("empty.yml:where: the selection leaves no study" in p for p in found)
    assert any("Bad Name.yml: not an inclusion set name" in p for p in found)
