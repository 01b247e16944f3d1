"""Finding the table in an agency export: the header under the titles, the data rows, what was skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from ddj_desktop.errors import ImportFileError
from ddj_desktop.importing.model import RawSheet
from ddj_desktop.importing.readers import read_file
from ddj_desktop.importing.table import SKIP_BLANK, SKIP_FOOTER, SKIP_REPEATED_HEADER, find_table

HEADER = ["Booking #", "SO #", "Last Name", "First Name", "DOB", "Booked"]


def booking(n: int, last: str = "SMITH") -> list:
    return [f"B{n:03d}", 1000 + n, last, "JOHN", dt.date(1980, 1, n), dt.datetime(2024, 1, n, 9, 30)]


def jail_report_xlsx(path: Path) -> Path:
    """A booking report as a jail system prints it to Excel: titles, page breaks, totals."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Bookings"
    lines = [
        ["Riverside County Jail - Booking Report"],  # row 1, merged across the table below
        ["Run date: 02/01/2024 06:00", None, None, None, None, "Page 1 of 2"],
        [],
        HEADER,  # row 4
        booking(1),
        booking(2),
        [],  # row 7
        booking(3),
        ["Page 1 of 2"],  # row 9: the page break
        ["Riverside County Jail - Booking Report"],
        HEADER,  # row 11
        booking(4),
        ["B005", 1005, "TOTAL", "JOHN", dt.date(1980, 1, 5), None],  # a real person named Total
        [],
        ["Total bookings: 5"],  # row 15
        ["Grand Total", None, None, None, None, 5],
        ["*** End of Report ***"],
    ]
    for line in lines:
        sheet.append(line)
    sheet.merge_cells("A1:F1")
    book.save(path)
    return path


def table_of(path: Path, sheet: str | None = None):
    (raw,) = read_file(path, sheet)
    return find_table(raw)


def test_a_printed_jail_report_gives_its_five_bookings(tmp_path):
    table = table_of(jail_report_xlsx(tmp_path / "jail.xlsx"))
    assert table.header == HEADER
    assert table.header_row_number == 4
    assert [(row.row_number, row.values[0]) for row in table.rows] == [
        (5, "B001"),
        (6, "B002"),
        (8, "B003"),
        (12, "B004"),
        (13, "B005"),
    ]
    assert table.rows[0].values == booking(1)
    assert {s.row_number: s.reason for s in table.skipped} == {
        7: SKIP_BLANK,
        9: SKIP_FOOTER,
        10: SKIP_REPEATED_HEADER,
        11: SKIP_REPEATED_HEADER,
        14: SKIP_BLANK,
        15: SKIP_FOOTER,
        16: SKIP_FOOTER,
        17: SKIP_FOOTER,
    }
    assert table.skipped_counts() == {SKIP_BLANK: 2, SKIP_FOOTER: 4, SKIP_REPEATED_HEADER: 2}


@pytest.mark.parametrize(
    "footer",
    [
        ["Total"],
        ["Count: 45"],
        ["Records: 1,234"],
        ["Page 3 of 7"],
        ["Report generated 02/01/2024 by jdoe"],
        ["Total", None, 12, 3.5],
        ["Grand Total:", "1,234"],
        ["Subtotal", None, dt.date(2024, 1, 31)],
    ],
)
def test_footer_lines_are_skipped_wherever_they_are(footer):
    rows = [["ID", "Last Name", "Count", "Hours"], ["1", "SMITH", 2, 1.5], footer, ["2", "DOE", 1, 0.5]]
    table = find_table(RawSheet(Path("cad.xlsx"), "Calls", rows))
    assert [row.values[1] for row in table.rows] == ["SMITH", "DOE"]
    assert table.skipped_counts() == {SKIP_FOOTER: 1}


@pytest.mark.parametrize(
    "person",
    [
        ["7", "TOTAL", "JOHN", "1980"],
        ["TOTAL", "JOHN", 1234, None],
        [12345, "Total", None, None],
        ["Page", "ANN", 3, None],
        ["Count: 2", "BOB", 1, None],
    ],
)
def test_a_row_with_an_id_and_a_name_is_never_skipped(person):
    rows = [["ID", "Last Name", "First Name", "Year"], ["1", "SMITH", "ANN", "1990"], person]
    table = find_table(RawSheet(Path("court.csv"), None, rows))
    assert len(table.rows) == 2
    assert table.skipped == []


def test_a_lone_number_at_the_end_is_a_footer_but_not_in_the_middle():
    rows = [
        ["ID", "Last", "First", "DOB"],
        ["1", "A", "B", "1990-01-01"],
        ["77"],
        ["2", "C", "D", None],
        [],
        ["2"],
        ["Prepared by the Sheriff's Office"],
    ]
    table = find_table(RawSheet(Path("jail.csv"), None, rows))
    assert [row.row_number for row in table.rows] == [2, 3, 4]
    assert table.skipped_counts() == {SKIP_BLANK: 1, SKIP_FOOTER: 2}


def test_header_names_are_cleaned_made_unique_and_blanks_numbered(tmp_path):
    rows = [
        ["  Last\n Name ", "Name", None, "name", "DOB", None],
        ["SMITH", "X", "note", "Y", "1980", None],
        ["DOE", "Z", None, "W", "1975", "extra"],
    ]
    table = find_table(RawSheet(Path("bh.xlsx"), "Clients", rows))
    assert table.header == ["Last Name", "Name", "Column 3", "name (2)", "DOB", "Column 6"]
    assert table.rows[1].values == ["DOE", "Z", None, "W", "1975", "extra"]


def test_trailing_empty_columns_go_and_short_rows_are_padded():
    rows = [["ID", "Name", None, None], ["1", "SMITH", None, None], ["2"], ["3", "DOE", None, None, None]]
    table = find_table(RawSheet(Path("p.csv"), None, rows))
    assert table.header == ["ID", "Name"]
    assert [row.values for row in table.rows] == [["1", "SMITH"], ["2", None], ["3", "DOE"]]


def test_columns_are_numbered_as_in_the_sheet_when_the_table_starts_in_column_c(tmp_path):
    path = tmp_path / "ems.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C2"], sheet["E2"] = "Incident", "Patient"
    sheet["C3"], sheet["D3"], sheet["E3"] = "I-1", "x", "DOE"
    book.save(path)
    table = table_of(path)
    assert table.header == ["Incident", "Column 4", "Patient"]
    assert table.header_row_number == 2
    assert table.rows[0].row_number == 3


def test_a_csv_keeps_spreadsheet_row_numbers_across_quoted_line_breaks(tmp_path):
    path = tmp_path / "shelter.csv"
    path.write_text('Shelter roster\n\nPersonalID,Note\n1,"two\nlines"\n2,ok\n', encoding="utf-8")
    table = table_of(path)
    assert table.header_row_number == 3
    assert [(row.row_number, row.values) for row in table.rows] == [(4, ["1", "two\nlines"]), (5, ["2", "ok"])]


def test_a_one_column_list_has_its_header():
    table = find_table(RawSheet(Path("ids.csv"), None, [["SO #"], ["123"], ["456"]]))
    assert table.header == ["SO #"]
    assert [row.values for row in table.rows] == [["123"], ["456"]]


def test_a_sheet_of_numbers_has_no_header_and_says_so():
    rows = [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(ImportFileError) as err:
        find_table(RawSheet(Path("ed.xlsx"), "Visits", rows))
    assert str(err.value).startswith('ed.xlsx, sheet "Visits": no header row found in the first 30 rows')


def test_data_with_dates_below_a_title_has_no_header():
    rows = [["ED visits"], ["2024-01-02", "12", "3"], ["2024-01-03", "15", "4"]]
    with pytest.raises(ImportFileError, match="no header row"):
        find_table(RawSheet(Path("ed.csv"), None, rows))


def test_a_blank_sheet_says_it_is_empty():
    with pytest.raises(ImportFileError, match=r'x\.xlsx, sheet "S": the sheet is empty'):
        find_table(RawSheet(Path("x.xlsx"), "S", [[], [None, "  "]]))


def test_a_300_column_export_keeps_every_column(tmp_path):
    header = [f"Field{i}" for i in range(300)]
    path = tmp_path / "hmis.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["HMIS flat file export"])
    book.active.append(header)
    for n in range(3):
        book.active.append([n * 1000 + i for i in range(300)])
    book.save(path)
    table = table_of(path)
    assert table.header == header
    assert table.column("Field299") == [299, 1299, 2299]


def test_the_header_is_found_among_text_only_data():
    rows = [
        ["Probation caseload"],
        ["Last", "First", "Officer", "Level"],
        ["SMITH", "ANN", "JONES", "HIGH"],
        ["DOE", "BOB", "JONES", "LOW"],
    ]
    table = find_table(RawSheet(Path("prob.csv"), None, rows))
    assert table.header_row_number == 2
    assert len(table.rows) == 2


def test_a_title_line_spread_across_the_page_is_not_taken_for_the_header():
    rows = [
        ["Riverside County Sheriff", None, "Booking Report", None, None, "Page 1 of 2"],
        ["As of 01/31/2024", None, None, None, None, None],
        ["Booking #", "Last Name", "First Name", "DOB", "Sex", "Race"],
        ["B1", "SMITH", "ANN", "1980-01-01", "F", "W"],
    ]
    table = find_table(RawSheet(Path("jail.xlsx"), "Report", rows))
    assert table.header_row_number == 3
    assert [row.values[0] for row in table.rows] == ["B1"]


def test_columns_named_like_report_lines_still_make_a_header():
    rows = [["Run Number", "Run Date", "Patient Last", "Created On"], ["R1", "2024-01-05", "DOE", "2024-01-06"]]
    table = find_table(RawSheet(Path("ems.csv"), None, rows))
    assert table.header == ["Run Number", "Run Date", "Patient Last", "Created On"]
    assert len(table.rows) == 1
