"""Reports: the de-identified report for the coordinating council, as a PDF (and its tables as xlsx)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QLabel, QPushButton

from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.pages import Page, note

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow


def _date_edit(name: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setAccessibleName(name)
    return edit


class ReportsPage(Page):
    title = "Reports"
    description = ("The report for the coordinating council: counts only, never names, dates of birth or IDs. Small "
                   "counts are hidden (shown as \u201c&lt;11\u201d), and so are the counts that would let someone "
                   "work them out.")

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.period_from = _date_edit("Period from")
        self.period_to = _date_edit("Period to")
        self.with_tables = QCheckBox("Also the &tables as an Excel workbook")
        self.with_tables.setChecked(True)
        self.make_button = QPushButton("&Make the report...")
        self.make_button.clicked.connect(self.make_report)
        row = QHBoxLayout()
        for text, widget in (("&From:", self.period_from), ("&To:", self.period_to)):
            label = QLabel(text)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget)
        row.addWidget(self.with_tables)
        row.addWidget(self.make_button)
        self.open_button = QPushButton("&Open the report")
        self.open_button.hide()
        self.open_button.clicked.connect(self._open)
        row.addWidget(self.open_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.result = note("")
        self.result.setAccessibleName("Report result")
        self.layout_.addWidget(self.result)
        self.layout_.addStretch(1)
        self._dates_set = False

    def refresh(self) -> None:
        if not self._dates_set:
            latest = self.workspace.latest_event_date() or dt.date.today()
            start = latest - dt.timedelta(days=364)  # twelve months up to the latest record, as the CLI does
            self.period_from.setDate(QDate(start.year, start.month, start.day))
            self.period_to.setDate(QDate(latest.year, latest.month, latest.day))
            self._dates_set = True

    def make_report(self) -> None:
        start: dt.date = self.period_from.date().toPython()  # type: ignore[assignment]
        end: dt.date = self.period_to.date().toPython()  # type: ignore[assignment]
        if start > end:
            self.result.setText("The period starts after it ends: check the two dates.")
            return
        out = messages().save_file(self, "Save the council report", f"council report {start} to {end}.pdf",
                                   "PDF (*.pdf)")
        if out is None:
            return
        xlsx = out.with_suffix(".xlsx") if self.with_tables.isChecked() else None
        ws = self.workspace
        self.make_button.setEnabled(False)
        self.result.setText("Making the report...")
        job = self.window_.workers.run(
            lambda progress: ws.council_report(out, period_from=start, period_to=end, xlsx=xlsx, progress=progress),
            self._made, title="Making the council report", writes=True, failed=self._failed, parent=self,
        )  # fmt: skip
        self.window_.follow(job)

    def _failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self.make_button.setEnabled(True)
        self.result.setText("")
        report_error(err, self)

    def _made(self, summary: Any) -> None:
        self.make_button.setEnabled(True)
        tables = f" and its tables to {Path(summary.xlsx).name}" if summary.xlsx else ""
        self.result.setText(
            f"Wrote <b>{Path(summary.pdf).name}</b> ({summary.pages} pages){tables}, for "
            f"{summary.period[0]} to {summary.period[1]}. {summary.hidden_small:,} small counts were hidden, and "
            f"{summary.hidden_complementary:,} more so that they cannot be worked out."
            + (f" Frequent-utilizer cohort: {summary.cohort_rule}." if summary.cohort_rule else "")
        )
        self.window_.status(f"Wrote {Path(summary.pdf).name}.")
        self.made_pdf = Path(summary.pdf)
        self.open_button.show()

    def _open(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.made_pdf)))  # the county's own PDF viewer
