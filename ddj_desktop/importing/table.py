"""Find the data table in a RawSheet: the header row under any report titles, and the rows that carry data.

Agency exports are often printed reports saved as spreadsheets: a title ("County Jail - Bookings"), a run
date, blank lines, then the column names, then data broken by page footers ("Page 3 of 7"), repeated
column names after each page break, and a "Total bookings: 123" line at the end. `find_table` keeps the
data rows and counts what it skipped, by reason, so the import report can say so.

Being wrong costs differently in the two directions: a skipped real record is silently lost, a footer kept
as data is rejected later with a reason the analyst can see. So skipping is conservative: only blank rows,
rows that repeat the header or the title lines above it, and rows that read as a total or page footer (a
summary label at the left with nothing but numbers and dates beside it, or a lone cell at the very end).

Every `TableRow.values` has exactly `len(header)` cells: short rows are padded with None, and the empty
columns at either edge of the sheet are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from ddj_desktop.errors import ImportFileError
from ddj_desktop.importing.model import Cell, RawSheet, SkippedRow, Table, TableRow

SKIP_BLANK = "blank row"
SKIP_FOOTER = "total or footer row"
SKIP_REPEATED_HEADER = "repeated header row"

HEADER_SEARCH_ROWS = 30  # the header of every export we have seen sits within the first 30 rows
_LONGEST_HEADER = 100  # characters; longer text is a note or a title, not a column name

# Text of a report's page furniture: page numbers, print dates, end marks. Never a column name, so it
# leaves alone the columns some exports do have: "Run Date" (EMS), "Report Date" (police), "Created On".
_REPORT_LINE = r"""
      page\s+\d+(?:\s+of\s+\d+)?\b
    | (?:report\s+)?(?:generated|printed|produced)\b
    | (?:run|print|report|created)\s+(?:on|at|date)?\s*:
    | (?:run|created)\s+on\s+\d
    | end\s+of\s+(?:report|file|data|list)\b
    | confidential\b
"""
# A summary label: what report writers put at the left of a total, page or end-of-report line.
_FOOTER_LABEL = re.compile(
    r"""^[\s*=#-]*(?:
        (?:grand\s+|sub-?\s*)?totals?\b
      | (?:record|row|line|booking|case|call|incident|client|patient|person|people|visit|encounter)s?
            \s*(?:count|total)?\s*[:=]
      | (?:count|number\s+of\s+\w+|n)\s*[:=]
      | \(?\d[\d,]*\s+(?:rows?|records?)\b
      | """
    + _REPORT_LINE
    + ")",
    re.IGNORECASE | re.VERBOSE,
)
_REPORT_FURNITURE = re.compile(r"^[\s*=#-]*(?:" + _REPORT_LINE + ")", re.IGNORECASE | re.VERBOSE)
_DATE_INSIDE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}")
_NUMBER = re.compile(r"^\s*[-+(]?\s*\$?\s*(?:\d[\d,]*)?\.?\d+\s*%?\)?\s*$")
_DATE_OR_TIME = re.compile(r"^\s*(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2})")


def find_table(sheet: RawSheet) -> Table:
    """Return the table of a sheet: its header (found below titles and blank lines) and its data rows.

    Raises ImportFileError naming the file and sheet when no row in the first 30 looks like column names.
    """
    rows = sheet.rows
    header_index = _find_header_row(sheet)
    data, skipped = _sort_rows(rows, header_index)
    first, width = _table_columns(rows, header_index, data)
    header = _header_names(rows[header_index], first, width, sheet.first_column)
    return Table(
        source=sheet,
        header=header,
        header_row_number=header_index + 1,
        rows=[TableRow(i + 1, _fit(rows[i], first, width)) for i in data],
        skipped=skipped,
    )


# ---------------------------------------------------------------------------------------------------------
# The header row


def _find_header_row(sheet: RawSheet) -> int:
    """Return the index of the header row: the earliest row of column names about as wide as the table.

    A row qualifies when its names fill at least half of its own span (a title line with a run date at the
    far right does not), cover at least half as many columns as the row with most names, and span at least
    80 % as wide as the widest such row (two "Agency: ..." cells above a ten-column table do not).
    """
    candidates = [
        (i, named, span)
        for i, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS])
        if (named := _column_name_count(row)) and 2 * named >= (span := _span(row))
    ]
    most_names = max((named for _, named, _ in candidates), default=0)
    widest = max((span for _, _, span in candidates), default=0)
    if most_names == 1 and max(map(_filled_count, sheet.rows[:HEADER_SEARCH_ROWS]), default=0) > 1:
        most_names = 0  # a lone text cell above wider rows is a title, not a one-column header
    for i, named, span in candidates:
        if most_names and 2 * named >= most_names and span >= 0.8 * widest:
            return i
    if not _has_content(sheet.rows):
        raise ImportFileError(f"{sheet.label}: the sheet is empty.")
    raise ImportFileError(
        f"{sheet.label}: no header row found in the first {HEADER_SEARCH_ROWS} rows "
        '(a row of column names such as "Last Name", "DOB", "Booking Date").',
        hint="Check that this is the right sheet. If the data has no column names, add a row of them "
        "above the data in Excel and save a copy.",
    )


def _span(row: Sequence[Cell]) -> int:
    """Return how many columns lie from the row's first filled cell to its last, inclusive."""
    filled = [i for i, v in enumerate(row) if not _is_empty(v)]
    return filled[-1] - filled[0] + 1 if filled else 0


def _column_name_count(row: Sequence[Cell]) -> int:
    """Return how many cells of the row read as column names, or 0 if the row does not look like a header.

    A header row is mostly short text that is not a number or a date, with few repeats.
    """
    filled = [v for v in row if not _is_empty(v)]
    if not filled:
        return 0
    names = [v for v in filled if _is_column_name(v)]
    if len(names) < 0.8 * len(filled):
        return 0
    distinct = {" ".join(v.split()).casefold() for v in names}
    if len(distinct) < 0.75 * len(names):
        return 0
    return len(names)


def _is_column_name(value: Cell) -> bool:
    """Return True for short text that is not a number, a date, or a report's "Page 1 of 2" / "Printed ..."."""
    return (
        type(value) is str
        and len(value.strip()) <= _LONGEST_HEADER
        and not _NUMBER.match(value)
        and not _DATE_OR_TIME.match(value)
        and not _DATE_INSIDE.search(value)
        and not _REPORT_FURNITURE.match(value)
    )


def _header_names(row: Sequence[Cell], first: int, width: int, first_column: int) -> list[str]:
    """Return cleaned, unique column names: spaces collapsed, blanks as "Column N", repeats as "Name (2)"."""
    names: list[str] = []
    taken: set[str] = set()
    for offset in range(width):
        i = first + offset
        value = row[i] if i < len(row) else None
        name = _cell_text(value) or f"Column {first_column + i}"
        unique, n = name, 1
        while unique.casefold() in taken:
            n += 1
            unique = f"{name} ({n})"
        taken.add(unique.casefold())
        names.append(unique)
    return names


def _cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


# ---------------------------------------------------------------------------------------------------------
# The rows below it


def _sort_rows(rows: list[list[Cell]], header_index: int) -> tuple[list[int], list[SkippedRow]]:
    """Return the indexes of the data rows below the header, and the rows skipped with their reasons."""
    header_key = _row_key(rows[header_index])
    heading_keys = {key for row in rows[:header_index] if (key := _row_key(row))}
    # First cells that make a wide row worth a closer look: those of the header and the title lines.
    suspect_starts = {key[_first_filled(key)] for key in (header_key, *heading_keys)}
    kept: list[int] = []
    skipped: list[SkippedRow] = []
    lone_cells: list[int] = []  # rows with one cell: footers if nothing but footers follows them
    count_none = list.count
    # Fast path for the million ordinary rows: two or more cells (one, in a one-column table) and a first
    # cell that is neither blank-looking, nor a summary label, nor the start of the header or a title line.
    fast = 2 if len(header_key) > 1 else 1
    for i in range(header_index + 1, len(rows)):
        row = rows[i]
        if len(row) - count_none(row, None) >= fast and not _needs_a_closer_look(row, suspect_starts):
            kept.append(i)
            continue
        reason = _skip_reason(row, header_key, heading_keys)
        if reason:
            skipped.append(SkippedRow(i + 1, reason))
            continue
        if _filled_count(row) == 1:
            lone_cells.append(i)
        kept.append(i)
    return _drop_trailing_lone_cells(kept, skipped, lone_cells, rows[header_index])


def _first_filled(values: Sequence) -> int:
    return next((i for i, v in enumerate(values) if v), 0)


def _needs_a_closer_look(row: Sequence[Cell], suspect_starts: set[str]) -> bool:
    """Return True if a wide row might be blank, a footer or a repeated header, judging by its first cell."""
    for value in row:
        if value is not None:
            return type(value) is str and (
                value.isspace()
                or bool(_FOOTER_LABEL.match(value))
                or " ".join(value.split()).casefold() in suspect_starts
            )
    return False


def _skip_reason(row: Sequence[Cell], header_key: tuple, heading_keys: set[tuple]) -> str | None:
    """Return why a row is not data (a SKIP_* reason), or None if it is data."""
    filled = [v for v in row if not _is_empty(v)]
    if not filled:
        return SKIP_BLANK
    key = _row_key(row)
    if key == header_key or key in heading_keys or _mostly_header(key, header_key):
        return SKIP_REPEATED_HEADER
    first = filled[0]
    if type(first) is str and _FOOTER_LABEL.match(first) and all(_is_number_or_date(v) for v in filled[1:]):
        return SKIP_FOOTER
    return None


def _mostly_header(key: tuple, header_key: tuple) -> bool:
    """Return True if at least 80 % of the header's names appear in the row, in the same columns."""
    named = [(i, name) for i, name in enumerate(header_key) if name]
    if len(named) < 2 or len(key) < len(named):
        return False
    same = sum(1 for i, name in named if i < len(key) and key[i] == name)
    return same >= 0.8 * len(named)


def _drop_trailing_lone_cells(
    kept: list[int], skipped: list[SkippedRow], lone_cells: list[int], header: Sequence[Cell]
) -> tuple[list[int], list[SkippedRow]]:
    """Move lone-cell rows after the last real data row into the skipped rows as footers.

    In a table of four or more columns, a row with one cell at the very end ("1,234", "Sheriff's Office")
    is a summary line, not a record: a record needs at least an ID and a name. Lone cells between data
    rows stay, to be rejected with a reason later, because they might be a record with little filled in.
    """
    if _filled_count(header) < 4 or not lone_cells:
        return kept, skipped
    lone = set(lone_cells)
    end = len(kept)
    while end and kept[end - 1] in lone:
        end -= 1
    footers = kept[end:]
    skipped = sorted(skipped + [SkippedRow(i + 1, SKIP_FOOTER) for i in footers], key=lambda s: s.row_number)
    return kept[:end], skipped


def _row_key(row: Sequence[Cell]) -> tuple:
    """Return the row's text, cleaned and case-folded, with trailing empties dropped: to compare rows."""
    key = [_cell_text(v).casefold() for v in row]
    while key and not key[-1]:
        key.pop()
    return tuple(key)


# ---------------------------------------------------------------------------------------------------------
# Columns


def _table_columns(rows: list[list[Cell]], header_index: int, data: list[int]) -> tuple[int, int]:
    """Return (first, width): the columns from the leftmost to the rightmost one with a name or any data."""
    lines = [rows[header_index]] + [rows[i] for i in data]
    widest = max(map(len, lines))

    def used(column: int) -> bool:
        return any(column < len(row) and not _is_empty(row[column]) for row in lines)

    last = next((c for c in range(widest - 1, -1, -1) if used(c)), -1)
    first = next((c for c in range(last + 1) if used(c)), 0)
    return first, last - first + 1


def _is_empty(value: Cell) -> bool:
    return value is None or (type(value) is str and not value.strip())


def _filled_count(row: Sequence[Cell]) -> int:
    return sum(1 for v in row if not _is_empty(v))


def _has_content(rows: list[list[Cell]]) -> bool:
    return any(_filled_count(row) for row in rows)


def _is_number_or_date(value: Cell) -> bool:
    if type(value) is str:
        return bool(_NUMBER.match(value) or _DATE_OR_TIME.match(value))
    return not isinstance(value, bool)


def _fit(row: list[Cell], first: int, width: int) -> list[Cell]:
    """Return the row cut or padded to exactly the table's columns (the same list when it already fits)."""
    if first == 0 and len(row) == width:
        return row
    values = row[first : first + width]
    if len(values) < width:
        values.extend([None] * (width - len(values)))
    return values
