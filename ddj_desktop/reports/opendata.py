"""The report's aggregate tables, suppressed exactly as in the PDF, as an xlsx workbook for an open-data portal:
one sheet per table, numbers as numbers, hidden counts as their marks ("<11", "*", "—")."""

from __future__ import annotations

from pathlib import Path

from ddj_desktop.exporting import atomic_output, neutralize
from ddj_desktop.reports.compute import ReportContent
from ddj_desktop.reports.suppression import COMPLEMENTARY_MARK, small_mark
from ddj_desktop.reports.tables import cell_value


def write(content: ReportContent, out: Path) -> int:
    """Write the workbook; returns the number of tables."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    about = book.create_sheet("About")
    mark = small_mark(content.threshold)
    for line in (
        [f"{content.county}: Data-Driven Justice council report, aggregate tables"],
        ["Period", f"{content.period[0]:%Y-%m-%d}", f"{content.period[1]:%Y-%m-%d}"],
        ["Data as of", f"{(content.data_end or content.period[1]):%Y-%m-%d}"],
        ["Frequent-utilizer rule", content.cohort_rule or "none chosen"],
        [mark, f"a count from 1 to {content.threshold}, hidden"],
        [COMPLEMENTARY_MARK, "a count hidden so that a small count cannot be worked out from the totals"],
        ["—", "a rate or average resting on a hidden count, or not available"],
    ):
        about.append([neutralize(v) for v in line])
    tables = content.tables()
    used: set[str] = {"About"}
    for table in tables:
        name = table.key[:31]
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([table.title])
        sheet.append(list(table.columns))
        for label, cells in table.rows:
            sheet.append([label, *[neutralize(cell_value(content.ledger, c)) for c in cells]])
        if table.note:
            sheet.append([])
            sheet.append([table.note])
    with atomic_output(Path(out), "wb") as handle:
        book.save(handle)
    return len(tables)
