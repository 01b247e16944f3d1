"""The prepared records themselves: the JSON of a row's attributes and original, and its row hash, are written
exactly as before the column-wise rewrite (so next month's unchanged rows still count as duplicates)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from ddj_desktop.importing import mapping, pipeline
from ddj_desktop.importing.model import RawSheet
from ddj_desktop.importing.table import find_table
from ddj_desktop.progress import NullProgress

HEADER = ["Key", "Last", "First", "DOB", "Homeless", "RaceA", "RaceB", "GA", "Charge", "Note"]
PROFILE = mapping.MappingProfile(
    name="test",
    fields={"source_key": "Key", "last_name": "Last", "first_name": "First", "dob": "DOB"},
    attributes={"homeless": "Homeless", "charge": "Charge"},
    flags={"race": {"RaceA": "1", "RaceB": "2"}, "gender_x": {"GA": "F"}},
)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def prepare(rows: list[list], tmp_path: Path) -> pipeline.PreparedTable:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"x")
    table = find_table(RawSheet(file=path, sheet="S", rows=[HEADER, *rows]))
    return pipeline.prepare_table(table, PROFILE, "file", NullProgress())


def test_attributes_raw_and_row_hash_are_the_rows_json_in_column_order(tmp_path: Path) -> None:
    prepared = prepare([
        ["K1", "Núñez", "Ana", dt.datetime(1980, 3, 5), "Y", 1, None, "yes", 'PC 647(f) "drunk"', 12.0],
        ["K2", "Smith", "Bo", "1981-02-03", None, None, 1, None, None, "  "],
    ], tmp_path)  # fmt: skip
    first, second = prepared.records
    assert first["attributes"] == _dumps({"homeless": True, "charge": 'PC 647(f) "drunk"', "Note": 12.0, "gender_x": "F"})
    assert first["raw"] == _dumps({"Key": "K1", "Last": "Núñez", "First": "Ana", "DOB": "1980-03-05T00:00:00"})
    # A blank yes/no cell still says so (null), after the flags; blank cells are left out.
    assert second["attributes"] == _dumps({"homeless": None})
    for record in (first, second):
        expected = hashlib.sha1(f"{record['raw']}\x1e{record['attributes']}".encode()).hexdigest()
        assert record["row_hash"] == expected
    assert [r["_row"] for r in prepared.records] == [2, 3]


def test_a_test_record_and_an_unidentifiable_row_never_become_records(tmp_path: Path) -> None:
    prepared = prepare([
        ["K1", "TEST", "PATIENT", None, None, None, None, None, None, None],
        ["K2", None, None, None, "Y", None, None, None, "PC 1", None],
        ["K3", "Lee", "Al", None, None, None, None, None, None, None],
    ], tmp_path)  # fmt: skip
    assert [r["source_key"] for r in prepared.records] == ["K3"]
    assert prepared.skipped["test record"] == 1
    assert [(p.row_number, p.rejected) for p in prepared.problems] == [(3, True)]
