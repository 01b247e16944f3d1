"""Every kind of bad input the issue names, imported into a real store: a clear message naming the file (and
row/column where it applies), and the store exactly as it was."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from ddj_desktop.errors import ImportFileError, MappingError
from ddj_desktop.workspace import Workspace
from tests.importing.files_bad import write_binary, write_password_protected_xlsx, write_pdf, write_xlsx_with_long_cell


def _good_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["Booking #", "Inmate Name", "DOB"])
    book.active.append(["B1", "SMITH, JOHN", dt.datetime(1980, 1, 2)])
    book.save(path)
    return path


def _corrupt_xlsx(path: Path) -> Path:
    data = _good_xlsx(path.with_name("whole.xlsx")).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _no_header(path: Path) -> Path:
    book = openpyxl.Workbook()
    for n in range(5):
        book.active.append([n, n * 2.5, dt.datetime(2024, 1, 1 + n)])
    book.save(path)
    return path


def _long_cell(path: Path) -> Path:
    rows = [["Booking #", "Notes"], ["B1", "PLACEHOLDER"]]
    return write_xlsx_with_long_cell(path, rows, "PLACEHOLDER", 1_000_000)


def _mixed_encodings(path: Path) -> Path:
    path.write_bytes(
        "Case Number,Defendant Name,DOB\n26CR1,José Núñez,19800102\n".encode()
        + "26CR2,Andrés Peña,19790304\n".encode("cp1252")
    )
    return path


def _zip_not_workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    return path


CASES = [
    ("corrupt.xlsx", _corrupt_xlsx, "corrupt.xlsx"),
    ("locked.xlsx", write_password_protected_xlsx, "locked.xlsx"),
    ("report.xlsx", write_pdf, "report.xlsx"),
    ("empty.csv", _empty, "empty.csv"),
    ("blob.csv", write_binary, "blob.csv"),
    ("numbers.xlsx", _no_header, "numbers.xlsx"),
    ("long.xlsx", _long_cell, r"long.xlsx.*row 2.*column B"),
    ("archive.xlsx", _zip_not_workbook, "archive.xlsx"),
]


@pytest.mark.parametrize(("name", "make", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused_with_its_name_and_the_store_is_unchanged(
    workspace: Workspace, tmp_path: Path, name, make, message
):
    workspace.import_files([_good_xlsx(tmp_path / "earlier.xlsx")], "jail")
    before = (workspace.counts(), workspace.batches())
    bad = make(tmp_path / name)
    with pytest.raises(ImportFileError, match=message) as caught:
        workspace.import_files([bad], "jail")
    assert caught.value.message.strip(), "the message says something"
    assert (workspace.counts(), workspace.batches()) == before


def test_mixed_encodings_are_read_and_said(workspace: Workspace, tmp_path: Path):
    [batch] = workspace.import_files([_mixed_encodings(tmp_path / "court.csv")], "court")
    assert batch.imported == 2
    assert any("cp1252" in note for note in batch.notes)
    names = {(r.first_name, r.last_name) for r in _records(workspace)}
    assert names == {("JOSE", "NUNEZ"), ("ANDRES", "PENA")}


def test_mapping_naming_a_missing_column_names_file_and_column(workspace: Workspace, tmp_path: Path):
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\n[fields]\nsource_key = "Booking #"\ndob = "Birth Date"\n')
    with pytest.raises(MappingError, match=r'earlier\.xlsx.*"Birth Date"'):
        workspace.import_files([_good_xlsx(tmp_path / "earlier.xlsx")], "jail", mapping_file=profile)
    assert workspace.counts()["records"] == 0


def _records(ws: Workspace):
    from sqlalchemy import select

    from ddj_desktop.store.models import Record

    with ws.store.reading() as session:
        return list(session.scalars(select(Record)))
