from pathlib import Path

import pandas as pd
import pytest

from ketrev.errors import DataError, Problem
from ketrev.schema import check_table, contract, read_csv, to_typed


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    return path


def test_reads_cells_as_text_indexed_by_line(tmp_path):
    frame = read_csv(write(tmp_path, b"a,b\n1,x\n\n2,\n"), "t.csv")
    assert list(frame.columns) == ["a", "b"]
    assert list(frame.index) == [2, 4]
    assert frame.loc[4, "b"] == ""


def test_bom_and_crlf_are_accepted(tmp_path):
    frame = read_csv(write(tmp_path, b"\xef\xbb\xbfa,b\r\n1,\xc3\xa9\r\n"), "t.csv")
    assert list(frame.columns) == ["a", "b"]
    assert frame.loc[2, "b"] == "é"


def test_quoted_multiline_cell_keeps_start_line(tmp_path):
    frame = read_csv(write(tmp_path, b'a,b\n1,"two\nlines"\n3,x\n'), "t.csv")
    assert list(frame.index) == [2, 4]


@pytest.mark.parametrize(("content", "expected"), [
    (b"a,b\n1,2\n\xe9,3\n", "t.csv:3: not UTF-8 (byte 0xe9); save the file as UTF-8"),
    (b"a,b\n1,2,3\n", "t.csv:2: expected 2 fields, found 3"),
    (b"", "t.csv:1: no header row"),
    (b"a,a\n1,2\n", "t.csv:1:a: column appears twice in the header"),
    (b"a,b,,\n1,2,,\n", "t.csv:1: empty column name in the header (field 3, 4); delete the empty columns a spreadsheet "
                        "export leaves at the end"),
    (b'a,b\n1,"x"y\n', "t.csv:2: malformed CSV (',' expected after '\"')"),
])
def test_unreadable_files_give_one_line(tmp_path, content, expected):
    with pytest.raises(DataError) as info:
        read_csv(write(tmp_path, content), "t.csv")
    assert str(info.value) == expected


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_csv(tmp_path / "nope.csv", "nope.csv")


def test_every_field_count_problem_is_reported(tmp_path):
    with pytest.raises(DataError) as info:
        read_csv(write(tmp_path, b"a,b\n1\n2,3\n4,5,6\n"), "t.csv")
    assert [p.row for p in info.value.problems] == [2, 4]


def frame_of(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=range(2, 2 + len(rows)), dtype="str")


def test_check_table_collects_every_rule():
    table = contract()["searches"]
    frame = frame_of([
        {"search_id": "s1", "query": "q", "date": "2026-11-27", "records_seen": "3"},
        {"search_id": "s1", "query": "", "date": "27/11/2026", "records_seen": "2.5"},
        {"search_id": "S 3", "query": "q", "date": "2026-11-27", "records_seen": "-1"},
    ])
    messages = {str(p) for p in check_table(frame, table, "s.csv")}
    assert messages == {
        "s.csv:3:search_id: 's1' repeats line 2",
        "s.csv:3:query: empty; a value is required",
        "s.csv:3:date: '27/11/2026' is not in the expected form: Date run (YYYY-MM-DD).",
        "s.csv:3:records_seen: '2.5' is not a whole number",
        "s.csv:4:search_id: 'S 3' is not in the expected form: Identifier of the search.",
        "s.csv:4:records_seen: -1 is below the minimum 0",
    }


def test_line_breaks_only_in_notes_and_no_control_characters_anywhere():
    table = contract()["searches"]
    frame = frame_of([
        {"search_id": "s1", "query": "two\n\nlines ```{literalinclude} /etc/passwd", "date": "2026-11-27", "records_seen": "3"},
        {"search_id": "s2", "query": "bell\x07", "date": "2026-11-27", "records_seen": "3"},
    ])
    messages = {str(p) for p in check_table(frame, table, "s.csv")}
    assert "s.csv:2:query: contains a control character or a line break; a cell is one line of text" in messages
    assert "s.csv:3:query: contains a control character or a line break; a cell is one line of text" in messages
    notes = contract()["findings"].columns["notes"]
    assert notes.multiline


def test_unknown_and_missing_columns():
    frame = frame_of([{"search_id": "s1", "query": "q", "date": "2026-11-27", "recods_seen": "1"}])
    problems = check_table(frame, contract()["searches"], "s.csv")
    assert Problem("s.csv", 1, "records_seen", "required column is missing") in problems
    assert any(p.column == "recods_seen" and p.message.startswith("unknown column") for p in problems)


def test_values_and_vocab():
    frame = frame_of([{"study_id": "x2010", "molecule": "bdnf", "kind": "change", "measure": "weight",
                       "direction": "up"}])
    problems = check_table(frame, contract()["findings"], "f.csv", {"studies.study_id": {"y2011"},
                                                                    "molecules.molecule": {"bdnf"}})
    assert {str(p) for p in problems} == {
        "f.csv:2:study_id: 'x2010' is not a known studies study_id",
        "f.csv:2:measure: 'weight' is not one of: protein, phospho, mrna, activity, level, morphology, "
        "electrophysiology, cell_count, other",
        "f.csv:2:direction: 'up' is not one of: increase, decrease, no_change, positive, negative, none",
    }


def test_a_required_cell_of_spaces_is_empty_and_numbers_are_finite():
    frame = frame_of([{"search_id": "s1", "query": "   ", "date": "2026-11-27", "records_seen": "1"}])
    assert "s.csv:2:query: empty; a value is required" in {str(p) for p in check_table(frame, contract()["searches"],
                                                                                       "s.csv")}


def test_an_over_wide_row_is_one_problem_quickly(tmp_path):
    with pytest.raises(DataError) as info:
        read_csv(write(tmp_path, b"a,b\n1,2\n" + b"," * 1_000_000 + b"\n3,4\n"), "t.csv")
    assert str(info.value) == "t.csv:3: expected 2 fields, found 1000001"


def test_to_typed_adds_absent_columns_and_converts_numbers():
    frame = frame_of([{"study_id": "a2010", "molecule": "bdnf", "kind": "change", "measure": "protein",
                       "direction": "increase", "timepoint_h": ""},
                      {"study_id": "a2010", "molecule": "bdnf", "kind": "change", "measure": "protein",
                       "direction": "increase", "timepoint_h": "0.5"}])
    typed = to_typed(frame, contract()["findings"])
    assert list(typed.columns) == list(contract()["findings"].columns)
    assert typed["region"].tolist() == ["", ""]
    assert typed["timepoint_h"].isna().tolist() == [True, False]
    assert typed["timepoint_h"].iloc[1] == 0.5
