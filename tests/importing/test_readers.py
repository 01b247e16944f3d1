"""Reading agency files: what comes out of real xlsx and csv files, and what a user is told about bad ones."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ddj_desktop.errors import ImportFileError
from ddj_desktop.importing import readers
from ddj_desktop.importing.readers import list_sheets, read_file
from tests.importing.files_bad import (
    write_binary,
    write_password_protected_xlsx,
    write_pdf,
    write_xlsx_with_long_cell,
)


def save_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def bookings_xlsx(path: Path) -> Path:
    return save_workbook(
        path,
        {
            "Jan": [
                ["Booking #", "SO #", "Last Name", "DOB", "Booked", "Bond", "Homeless", "Release time"],
                [
                    "B001",
                    1234.0,
                    "SMITH",
                    dt.date(1980, 2, 3),
                    dt.datetime(2024, 1, 5, 22, 15),
                    500.5,
                    True,
                    dt.time(8, 30),
                ],
                ["B002", 5678, "JONES", 29281, dt.datetime(2024, 1, 6, 1, 0), 0, False, None],
            ],
            "Empty": [],
            "Feb": [["Booking #", "Last Name"], ["B003", "GARCIA"]],
        },
    )


# --- workbooks -------------------------------------------------------------------------------------------


def test_workbook_cells_come_back_as_the_agency_typed_them(tmp_path):
    jan, _feb = read_file(bookings_xlsx(tmp_path / "bookings.xlsx"))
    assert jan.sheet == "Jan"
    assert jan.rows[1] == [
        "B001",
        1234,
        "SMITH",
        dt.date(1980, 2, 3),
        dt.datetime(2024, 1, 5, 22, 15),
        500.5,
        True,
        dt.time(8, 30),
    ]
    assert type(jan.rows[1][1]) is int  # the SO # 1234.0 must not become "1234.0" downstream
    # A date typed as a serial number in a General cell stays a number: the date normalizer decides.
    assert jan.rows[2] == ["B002", 5678, "JONES", 29281, dt.datetime(2024, 1, 6, 1, 0), 0, False, None]


def test_every_non_empty_sheet_is_read_and_the_empty_one_left_out(tmp_path):
    path = bookings_xlsx(tmp_path / "bookings.xlsx")
    assert [raw.sheet for raw in read_file(path)] == ["Jan", "Feb"]
    assert list_sheets(path) == ["Jan", "Empty", "Feb"]


def test_one_sheet_can_be_picked_by_name_even_with_other_capitals(tmp_path):
    path = bookings_xlsx(tmp_path / "bookings.xlsx")
    (feb,) = read_file(path, sheet="feb ")
    assert feb.sheet == "Feb"
    assert feb.rows == [["Booking #", "Last Name"], ["B003", "GARCIA"]]
    assert feb.label == 'bookings.xlsx, sheet "Feb"'


def test_a_missing_sheet_names_the_sheets_there_are(tmp_path):
    path = bookings_xlsx(tmp_path / "bookings.xlsx")
    with pytest.raises(ImportFileError) as err:
        read_file(path, sheet="March")
    assert str(err.value) == 'bookings.xlsx has no sheet "March". Its sheets are: "Jan", "Empty", "Feb".'.replace(
        "bookings.xlsx", '"bookings.xlsx"'
    )


def test_error_cells_and_formulas_without_values_are_empty(tmp_path):
    path = tmp_path / "ed.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["MRN", "Age", "Score"])
    sheet.append(["M1", "#N/A", "=1/0"])  # openpyxl stores "#N/A" as an error cell
    sheet.append(["M2", "#DIV/0!", 3.0])
    book.save(path)
    (raw,) = read_file(path)
    assert raw.rows[1:] == [["M1", None, None], ["M2", None, 3]]


def test_rows_keep_their_excel_numbers_when_the_sheet_starts_lower_and_to_the_right(tmp_path):
    path = tmp_path / "ems.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C4"], sheet["D4"] = "Incident", "Patient"
    sheet["C5"], sheet["D5"] = "I-1", "DOE"
    book.save(path)
    (raw,) = read_file(path)
    assert raw.rows[3] == ["Incident", "Patient"]  # row 4 in Excel
    assert raw.rows[:3] == [[], [], []]
    assert raw.first_column == 3  # column C


def test_a_hidden_sheet_is_read_but_noted(tmp_path):
    path = tmp_path / "jail.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Booking #", "Name"])
    lookup = book.create_sheet("Codes")
    lookup.append(["Code", "Meaning"])
    lookup.sheet_state = "hidden"
    book.save(path)
    raws = {raw.sheet: raw for raw in read_file(path)}
    assert raws["Codes"].notes == ["hidden sheet"]
    assert raws["Sheet"].notes == []


def test_a_300_column_sheet_is_read_whole(tmp_path):
    header = [f"eVitals.{i:03d}" for i in range(300)]
    path = save_workbook(tmp_path / "nemsis.xlsx", {"Export": [header, list(range(300))]})
    (raw,) = read_file(path)
    assert raw.rows == [header, list(range(300))]


def test_a_cell_longer_than_excel_allows_is_named_by_row_and_column(tmp_path):
    rows = [["ID", "Note"], ["1", "ok"], ["2", "LONG NOTE"]]
    path = write_xlsx_with_long_cell(tmp_path / "bh.xlsx", rows, "LONG NOTE", 40_000)
    with pytest.raises(ImportFileError) as err:
        read_file(path)
    message = str(err.value)
    assert 'bh.xlsx, sheet "Sheet", row 3, column B' in message
    assert "40,000 characters" in message
    assert "xxx" not in message  # cell text may be personal data: never in a message


def test_a_workbook_named_csv_is_read_as_a_workbook(tmp_path):
    path = bookings_xlsx(tmp_path / "bookings.xlsx").rename(tmp_path / "bookings.csv")
    raws = read_file(path)
    assert [raw.sheet for raw in raws] == ["Jan", "Feb"]
    assert raws[0].notes[0] == "named .csv but is a workbook file; read as a workbook"


# --- text files ------------------------------------------------------------------------------------------


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "note"),
    [
        ("utf-8", "read as utf-8"),
        ("utf-8-sig", "read as utf-8 (with BOM)"),
        ("cp1252", "read as cp1252"),
        ("utf-16", "read as utf-16"),
    ],
)
def test_accented_names_survive_each_encoding(tmp_path, encoding, note):
    path = write_text(tmp_path / "shelter.csv", "PersonalID,FirstName\r\n7,José\r\n8,Zoë\r\n", encoding)
    (raw,) = read_file(path)
    assert raw.rows == [["PersonalID", "FirstName"], ["7", "José"], ["8", "Zoë"]]
    assert raw.sheet is None
    assert note in raw.notes


def test_a_file_mixing_utf8_and_cp1252_lines_is_read_line_by_line_and_the_rows_named(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "ID,Name\n1,José\n".encode()  # pasted from a UTF-8 export
        + "2,Muñoz\n3,Smith\n4,Zoë\n".encode("cp1252")  # and from an older Windows one
    )
    (raw,) = read_file(path)
    assert raw.rows == [["ID", "Name"], ["1", "José"], ["2", "Muñoz"], ["3", "Smith"], ["4", "Zoë"]]
    assert any(note.startswith("mixed encodings: rows 3, 5 read as cp1252") for note in raw.notes)


def test_mixed_encoding_rows_are_counted_as_records_not_lines(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b'ID,Note\n1,"two\nlines \xc3\xa9"\n2,caf\xe9\n')
    (raw,) = read_file(path)
    assert raw.rows[2] == ["2", "café"]
    assert any(note.startswith("mixed encodings: rows 3 read") for note in raw.notes)


@pytest.mark.parametrize(("delimiter", "name"), [(",", ","), ("\t", "tab"), ("|", "|"), (";", ";")])
def test_each_delimiter_is_found(tmp_path, delimiter, name):
    rows = [
        ["Incident", "Call Time", "Nature"],
        ["24-001", "01/05/2024 22:15", "WELFARE CHECK"],
        ["24-002", "01/06/2024 01:00", "DISTURBANCE"],
    ]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    (raw,) = read_file(write_text(tmp_path / "cad.txt", text))
    assert raw.rows == rows
    assert f"delimiter: {name}" in raw.notes


def test_quoted_delimiters_and_line_breaks_stay_inside_their_cell(tmp_path):
    text = 'Name|Address|Note\n"SMITH, JOHN"|"12 Main St|Apt 4"|"line one\nline two"\n"DOE, JANE"|"5 Oak"|\n'
    (raw,) = read_file(write_text(tmp_path / "jail.csv", text))
    assert raw.rows == [
        ["Name", "Address", "Note"],
        ["SMITH, JOHN", "12 Main St|Apt 4", "line one\nline two"],
        ["DOE, JANE", "5 Oak", None],
    ]
    assert "delimiter: |" in raw.notes


def test_pipe_wins_over_commas_inside_names(tmp_path):
    text = "Name|DOB\nSMITH, JOHN|1980-02-03\nDOE, JANE|1975-12-01\n"
    (raw,) = read_file(write_text(tmp_path / "jail.csv", text))
    assert raw.rows[1] == ["SMITH, JOHN", "1980-02-03"]


def test_semicolons_win_over_decimal_commas(tmp_path):
    text = "ID;Bond;Fine\n1;500,50;20\n2;1000;35,75\n3;250;10\n"
    (raw,) = read_file(write_text(tmp_path / "court.csv", text))
    assert raw.rows[1] == ["1", "500,50", "20"]


def test_ragged_rows_are_kept_as_they_are_and_empty_cells_are_none(tmp_path):
    text = "ID,Name,DOB\n1,SMITH\n2,DOE,1980-01-01,extra\n\n3,,1990-05-05\n"
    (raw,) = read_file(write_text(tmp_path / "probation.csv", text))
    assert raw.rows == [
        ["ID", "Name", "DOB"],
        ["1", "SMITH"],
        ["2", "DOE", "1980-01-01", "extra"],
        [],
        ["3", None, "1990-05-05"],
    ]


def test_excel_text_formulas_are_read_as_their_text(tmp_path):
    """Hospital report writers export MRNs and ZIP codes as ="00012345" so that Excel keeps the leading zeros."""
    text = 'MRN,Patient Name,ZIP\n="00012345","SMITH, JOHN",="02134"\n"=""00012346""","DOE, JANE",=""\n'
    (raw,) = read_file(write_text(tmp_path / "ed.csv", text))
    assert raw.rows == [["MRN", "Patient Name", "ZIP"], ["00012345", "SMITH, JOHN", "02134"], ["00012346", "DOE, JANE", None]]
    assert any("4 cells written as Excel text formulas" in note for note in raw.notes)


def test_a_text_file_named_xls_is_read_as_text(tmp_path):
    (raw,) = read_file(write_text(tmp_path / "export.xls", "ID\tName\n1\tSMITH\n"))
    assert raw.rows == [["ID", "Name"], ["1", "SMITH"]]
    assert raw.notes[0] == "named .xls but is a text file; read as a text"


def test_a_text_file_has_no_sheets(tmp_path):
    path = write_text(tmp_path / "calls.csv", "A,B\n1,2\n")
    assert list_sheets(path) == []
    with pytest.raises(ImportFileError, match=r'"calls\.csv" is a text file'):
        read_file(path, sheet="Sheet1")


def test_an_unclosed_quote_swallowing_a_megabyte_is_named_by_row_and_column(tmp_path):
    body = "".join(f"{i},NAME{i},ok\n" for i in range(60_000))
    path = write_text(tmp_path / "calls.csv", 'ID,Name,Note\n1,SMITH,ok\n2,DOE,"oops\n' + body)
    with pytest.raises(ImportFileError) as err:
        read_file(path)
    assert str(err.value).startswith("calls.csv, row 3, column C: the cell holds")
    assert "quote" in str(err.value)


# --- files that are not what they say --------------------------------------------------------------------


def assert_refused(path: Path, *phrases: str) -> None:
    with pytest.raises(ImportFileError) as err:
        read_file(path)
    message = str(err.value)
    assert f'"{path.name}"' in message
    for phrase in phrases:
        assert phrase in message


def test_a_pdf_renamed_xlsx_is_refused_with_what_to_ask_for(tmp_path):
    assert_refused(write_pdf(tmp_path / "bookings.xlsx"), "looks like a PDF", "Excel (.xlsx) or CSV export")


def test_a_password_protected_workbook_says_how_to_remove_the_password(tmp_path):
    path = write_password_protected_xlsx(tmp_path / "ed_visits.xlsx")
    assert_refused(path, "protected with a password", "remove the password", "save a copy")
    with pytest.raises(ImportFileError, match="password"):
        list_sheets(path)


def test_a_truncated_workbook_is_called_damaged(tmp_path):
    whole = bookings_xlsx(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "bookings.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert_refused(path, "damaged or incomplete", "send it again")


def test_a_workbook_with_a_corrupted_sheet_is_called_damaged(tmp_path):
    source = bookings_xlsx(tmp_path / "whole.xlsx")
    path = tmp_path / "bookings.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # cut mid-tag: the sheet's XML no longer parses
            new.writestr(item, data)
    assert_refused(path, "damaged or incomplete")


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(b"")
    assert_refused(path, "is empty (0 bytes)", "export it again")


def test_a_binary_file_renamed_csv_is_refused(tmp_path):
    assert_refused(write_binary(tmp_path / "calls.csv"), "not a text file")


def test_an_unknown_extension_is_refused_with_the_types_we_read(tmp_path):
    assert_refused(write_text(tmp_path / "clients.json", '{"a": 1}'), "(.json)", ".xlsx", ".csv")


def test_a_web_page_named_xls_says_to_save_it_as_xlsx(tmp_path):
    page = "<html><body><table><tr><td>ID</td></tr></table></body></html>"
    assert_refused(write_text(tmp_path / "report.xls", page), "web page", "Save As")


def test_a_missing_file_is_named(tmp_path):
    assert_refused(tmp_path / "nowhere.xlsx", "was not found")


def test_anything_the_workbook_reader_raises_becomes_a_message(tmp_path, monkeypatch):
    class Exploding:
        @classmethod
        def from_path(cls, path):
            raise RuntimeError("index out of bounds")

    monkeypatch.setattr(readers, "CalamineWorkbook", Exploding)
    assert_refused(bookings_xlsx(tmp_path / "bookings.xlsx"), "damaged or incomplete", "RuntimeError")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".xlsx", ".xls", ".csv", ".ods", ".txt"]))
def test_any_bytes_give_rows_or_a_message_never_a_crash(tmp_path, data, suffix):
    path = tmp_path / f"export{suffix}"
    path.write_bytes(data)
    try:
        read_file(path)
    except ImportFileError as err:
        assert path.name in str(err)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.lists(
            st.text(st.characters(codec="cp1252", exclude_categories=("Cc",), include_characters="\t\n"), max_size=8),
            min_size=3,
            max_size=3,
        ),
        min_size=2,
        max_size=12,
    ),
    delimiter=st.sampled_from([",", "\t", "|", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_what_a_csv_writer_wrote_comes_back(tmp_path, rows, delimiter, encoding):
    rows = [["ID", "Last Name", "First Name"], *rows]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerows(rows)
    data = out.getvalue().encode(encoding)
    if encoding == "cp1252" and not data.isascii():
        # cp1252 bytes that also happen to be valid UTF-8 ("Â" then a no-break space) read as UTF-8, as in
        # every other program; and since files with mixed encodings are decoded line by line, so does such a
        # line in a cp1252 file. No real name looks like that.
        assume(not any(_is_utf8(line) for line in data.split(b"\n") if not line.isascii()))
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    (raw,) = read_file(path)
    assert raw.rows == [[v or None for v in row] for row in rows]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
