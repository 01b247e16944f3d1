"""Bad input, at random: whatever bytes, workbook or cells arrive, reading and normalizing give rows or a clear
DdjError (never another exception, never a crash), and an import that fails leaves the store exactly as it was.

Inputs come from tests/fault/fuzzing.py, which bench/fuzz_import.py runs for as long as asked; here hypothesis
picks a bounded number of seeds (and shrinks raw bytes directly). The counts tried are printed at the end of the
run.
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddj_desktop.errors import DdjError
from ddj_desktop.importing import mapping, pipeline
from ddj_desktop.importing import normalize as nz
from ddj_desktop.importing.model import RawSheet
from ddj_desktop.importing.table import find_table
from ddj_desktop.progress import NullProgress
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.fault import fuzzing
from tests.fault.conftest import INPUTS_TRIED


def bounded(examples: int) -> settings:
    """`examples` inputs, no deadline (the first workbook read is slow), tmp_path shared by the examples."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_clear(outcome: fuzzing.Outcome, path: Path) -> None:
    assert outcome.kind != "failure", outcome.detail
    if outcome.kind == "refused":
        assert path.name in outcome.detail, f"the message names the file: {outcome.detail}"


# -- readers --------------------------------------------------------------------------------------------------
_MAGICS = [b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"<html>"]


@bounded(120)
@given(head=st.sampled_from(_MAGICS), data=st.binary(max_size=2000), suffix=st.sampled_from(fuzzing.EXTENSIONS))
def test_random_bytes_under_every_extension(tmp_path: Path, head: bytes, data: bytes, suffix: str):
    path = tmp_path / f"export{suffix}"
    path.write_bytes(head + data)
    INPUTS_TRIED["random bytes (hypothesis)"] += 1
    assert_clear(fuzzing.prepare(path), path)


@bounded(40)
@given(seed=st.integers(0, 2**32 - 1))
@pytest.mark.parametrize("kind", [k for k in fuzzing.KINDS if k != "random bytes"])
def test_mutated_workbooks_and_csv_give_rows_or_a_clear_error(tmp_path: Path, kind: str, seed: int):
    path = fuzzing.make_input(tmp_path, kind, seed)
    INPUTS_TRIED[kind] += 1
    assert_clear(fuzzing.prepare(path), path)


@pytest.mark.parametrize(
    ("kind", "seed"),
    [("xml-mutated xlsx", 1420), ("xml-mutated xlsx", 490)],  # damaged cell references: row 2,999,999,999,999
)
def test_found_by_fuzzing_a_cell_reference_past_any_sheet_is_refused_not_a_crash(tmp_path: Path, kind, seed):
    # calamine allocated the whole rectangle up to the reference and aborted the process (Rust OOM).
    path = fuzzing.make_input(tmp_path, kind, seed)
    outcome = fuzzing.prepare(path)
    assert outcome.kind == "refused", outcome.detail
    assert "damaged" in outcome.detail


@pytest.mark.parametrize("seed", [1, 6, 295])  # bad deflate data; an impossible zip version (14.8)
def test_found_by_fuzzing_the_far_cell_check_never_raises_on_a_damaged_zip(tmp_path: Path, seed: int):
    path = fuzzing.make_input(tmp_path, "byte-mutated xlsx", seed)
    assert_clear(fuzzing.prepare(path), path)


def test_one_stray_cell_at_the_last_cell_of_excel_is_refused_with_what_to_do(tmp_path: Path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Booking #", "Last Name"])
    book.active.append([1, "SMITH"])
    book.active["XFD1048576"] = "x"  # a legal workbook: calamine would allocate 17 billion cells and abort
    path = tmp_path / "bookings.xlsx"
    book.save(path)
    outcome = fuzzing.prepare(path)
    assert outcome.kind == "refused"
    assert "row 1,048,576 and column XFD" in outcome.detail and "bookings.xlsx" in outcome.detail


# -- normalizers ----------------------------------------------------------------------------------------------
CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(fuzzing._TEXTS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.timezones()),
    st.times(),
    st.timedeltas(),
)


@bounded(150)
@given(values=st.lists(CELLS, max_size=12), order=st.sampled_from([None, *nz.NAME_ORDERS]))
def test_every_normalizer_takes_any_cell(values: list, order):
    INPUTS_TRIED["normalizer columns (hypothesis)"] += 1
    n = len(values)
    for kind in ("dob", "event"):
        column = nz.parse_dates(values, kind=kind)
        assert len(column.values) == n and all(q in nz.Quality for q in column.qualities)
    assert len(nz.normalize_ssns(values)) == n
    assert len(nz.split_full_names(values, order)) == n
    assert len(nz.normalize_name_columns(values, values[::-1], values, None)) == n
    for normalize in (nz.normalize_sexes, nz.normalize_races, nz.normalize_ethnicities, nz.normalize_yes_nos,
                      nz.normalize_zips):  # fmt: skip
        assert len(normalize(values)) == n
    for value in values:
        nz.quality_from_code(value)
        nz.is_test_record(nz.split_full_name(value, order), value if isinstance(value, str) else None)


_PROFILE = mapping.MappingProfile(
    name="every field",
    fields={f: f for f in fuzzing.CANONICAL_HEADER if f in mapping.CANONICAL_FIELDS},
    attributes={a: a for a in ("homeless", "serious_mental_illness", "charge", "facility")},
)


@pytest.fixture(scope="module")
def cells_file(tmp_path_factory) -> Path:
    """The file the random tables claim to come from (its SHA-256 goes into the batch)."""
    path = tmp_path_factory.mktemp("cells") / "cells.xlsx"
    path.write_bytes(b"cells")
    return path


@bounded(80)
@given(rows=st.lists(st.lists(CELLS, min_size=len(fuzzing.CANONICAL_HEADER), max_size=len(fuzzing.CANONICAL_HEADER)),
                     min_size=1, max_size=8), name_order=st.sampled_from([None, *nz.NAME_ORDERS]))  # fmt: skip
def test_a_table_of_random_cells_in_every_field_normalizes_or_says_why(cells_file: Path, rows: list, name_order):
    """Cells no workbook writer would produce (year 1, negative durations, NaN, huge integers, time zones) too."""
    INPUTS_TRIED["tables of random cells (hypothesis)"] += 1
    sheet = RawSheet(file=cells_file, sheet="Sheet1", rows=[list(fuzzing.CANONICAL_HEADER), *rows])
    try:
        table = find_table(sheet)
        profile = mapping.MappingProfile(**{**_PROFILE.__dict__, "name_order": name_order})
        prepared = pipeline.prepare_table(table, profile, "file", NullProgress())
    except DdjError as err:
        assert "cells.xlsx" in err.message
        return
    for record in prepared.records:
        for key in ("dob", "event_start", "event_end"):
            if record.get(key):
                dt.date.fromisoformat(record[key][:10])
        assert record["source_key"]
        assert not any(isinstance(v, float) and math.isnan(v) for v in record.values())


# -- through the store: never a partial write -----------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_workspace(tmp_path_factory):
    ws = Workspace.create(tmp_path_factory.mktemp("store") / "county.ddj", PASSPHRASE, admin_name="ana")
    yield ws
    ws.close()


@bounded(60)
@given(kind=st.sampled_from(list(fuzzing.KINDS)), seed=st.integers(0, 2**32 - 1))
def test_an_import_that_fails_leaves_counts_batches_and_audit_as_they_were(fuzz_workspace, tmp_path: Path, kind, seed):
    path = fuzzing.make_input(tmp_path, kind, seed)
    INPUTS_TRIED[f"imported into a store: {kind}"] += 1
    outcome = fuzzing.import_into(fuzz_workspace, path)
    assert outcome.kind != "failure", outcome.detail
