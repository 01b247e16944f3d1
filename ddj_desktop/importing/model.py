"""Plain data shapes passed between the import stages: file -> RawSheet -> Table -> mapped rows -> records."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# A cell as the readers give it: text, a number (whole numbers as int), a bool, a date/time, a duration (a
# workbook cell formatted [h]:mm), or None if empty.
Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


@dataclass
class RawSheet:
    """One sheet of a workbook (or the one table of a csv), every row as read, nothing skipped yet."""

    file: Path
    sheet: str | None  # None for csv/tsv/txt
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)  # what the reader had to decide (encoding, delimiter ...)
    first_column: int = 1  # 1-based spreadsheet column of each row's first cell (3: the data starts in C)

    @property
    def label(self) -> str:
        """How a message names this sheet: 'bookings.xlsx, sheet "Jan"' or 'calls.csv'."""
        return f'{self.file.name}, sheet "{self.sheet}"' if self.sheet else self.file.name


@dataclass
class TableRow:
    row_number: int  # 1-based, as the user sees it in Excel or a text editor
    values: list[Cell]


@dataclass
class SkippedRow:
    row_number: int
    reason: str  # one of the SKIP_* constants in importing.table, or a short phrase


@dataclass
class Table:
    """The data table found in a RawSheet: its header and the rows below it that carry data."""

    source: RawSheet
    header: list[str]  # unique, non-empty column names
    header_row_number: int  # 1-based
    rows: list[TableRow]
    skipped: list[SkippedRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.source.label

    def skipped_counts(self) -> Counter[str]:
        return Counter(s.reason for s in self.skipped)

    def column(self, name: str) -> list[Cell]:
        """Every value of column `name`, in row order."""
        i = self.header.index(name)
        return [r.values[i] if i < len(r.values) else None for r in self.rows]
