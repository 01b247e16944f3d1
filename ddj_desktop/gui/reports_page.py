"""Reports: the de-identified report for the coordinating council. The report is made on a worker (with progress
and Cancel), its pages are shown here as a preview, and only Save... writes the PDF (and its tables as xlsx).

The pages are drawn with PDFium (pypdfium2): Qt's own PDF module is in PySide6-Addons, not in the Essentials we
ship, and poppler's tools are not on a county's Windows laptop.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.pages import Page, note
from ddj_desktop.progress import check_cancelled

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

PREVIEW_DPI = 80  # a letter page 680 px wide: readable on a laptop screen
_pdfium_lock = threading.Lock()  # PDFium is not thread-safe: one document at a time


def page_images(pdf: bytes, dpi: int = PREVIEW_DPI, progress: Any = None) -> list[QImage]:
    """Each page of the PDF `pdf` as an image (made off the GUI thread: QImage, not QPixmap)."""
    import pypdfium2 as pdfium

    images = []
    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf)
        try:
            for n in range(len(document)):
                if progress is not None:
                    check_cancelled(progress)
                    progress.update(0.8 + 0.2 * n / len(document), f"Showing page {n + 1} of {len(document)}")
                page = document[n]
                bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
                array = bitmap.to_numpy()
                height, width = array.shape[:2]
                kind = QImage.Format.Format_RGBA8888 if array.shape[2] == 4 else QImage.Format.Format_RGB888
                image = QImage(array.tobytes(), width, height, array.strides[0], kind)
                images.append(image.copy())  # own the pixels: the numpy buffer goes away
                bitmap.close()
                page.close()
        finally:
            document.close()
    return images


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
                   "work them out. Make the report to see its pages, then save it.")

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.period_from = _date_edit("Period from")
        self.period_to = _date_edit("Period to")
        self.rule = QComboBox()
        self.rule.setAccessibleName("Frequent-utilizer rule")
        self.with_tables = QCheckBox("Also save the &tables as an Excel workbook")
        self.with_tables.setChecked(True)
        self.make_button = QPushButton("&Make the report")
        self.make_button.setDefault(True)
        self.make_button.clicked.connect(self.make_report)
        self.save_button = QPushButton("&Save...")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.setEnabled(False)
        self.save_button.setToolTip("Save the report shown below as a PDF (Ctrl+S)")
        self.save_button.clicked.connect(self.save_report)
        self.open_button = QPushButton("&Open the saved report")
        self.open_button.hide()
        self.open_button.clicked.connect(self._open)
        row = QHBoxLayout()
        for text, widget in (("&From:", self.period_from), ("T&o:", self.period_to), ("&Rule:", self.rule)):
            label = QLabel(text)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget)
        row.addWidget(self.make_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        actions = QHBoxLayout()
        actions.addWidget(self.with_tables)
        actions.addWidget(self.save_button)
        actions.addWidget(self.open_button)
        actions.addStretch(1)
        self.layout_.addLayout(actions)
        self.result = note("")
        self.result.setAccessibleName("Report result")
        self.layout_.addWidget(self.result)
        self.pages_box = QWidget()
        self.pages_layout = QVBoxLayout(self.pages_box)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.pages_layout.setSpacing(12)
        self.preview = QScrollArea()
        self.preview.setAccessibleName("Preview of the report's pages")
        self.preview.setWidgetResizable(True)
        self.preview.setWidget(self.pages_box)
        self.preview.setStyleSheet("QScrollArea { background: #808080; } QWidget#pages { background: #808080; }")
        self.pages_box.setObjectName("pages")
        self.layout_.addWidget(self.preview, 1)
        self.page_labels: list[QLabel] = []
        self.prepared: Any = None
        self._dates_set = False
        self._rules_set = False
        self.made_pdf: Path | None = None
        for widget in (self.period_from, self.period_to):
            widget.dateChanged.connect(self._stale)
        self.rule.currentIndexChanged.connect(self._stale)

    def refresh(self) -> None:
        ws = self.workspace
        if not self._dates_set:
            latest = ws.latest_event_date() or dt.date.today()
            start = latest - dt.timedelta(days=364)  # twelve months up to the latest record, as the CLI does
            self.period_from.setDate(QDate(start.year, start.month, start.day))
            self.period_to.setDate(QDate(latest.year, latest.month, latest.day))
            self._dates_set = True
        if not self._rules_set:
            chosen = ws.report_settings().rule
            self.rule.blockSignals(True)
            self.rule.addItem("No frequent-utilizer cohort", "")
            for template in ws.utilizer_templates():
                suffix = " (the county's rule)" if template.key == chosen else ""
                self.rule.addItem(template.name + suffix, template.key)
            if chosen and self.rule.findData(chosen) < 0:
                self.rule.addItem(f"{chosen} (the county's rule)", chosen)
            self.rule.setCurrentIndex(max(self.rule.findData(chosen), 0) if chosen else 0)
            self.rule.blockSignals(False)
            self._rules_set = True

    def _period(self) -> tuple[dt.date, dt.date]:
        return (self.period_from.date().toPython(), self.period_to.date().toPython())  # type: ignore[return-value]

    def _stale(self) -> None:
        """The period or rule changed: the preview no longer shows what would be saved."""
        if self.prepared is not None:
            self.prepared = None
            self.save_button.setEnabled(False)
            self.result.setText("The period or rule changed: make the report again to see and save it.")

    def make_report(self) -> None:
        start, end = self._period()
        if start > end:
            self.result.setText("The period starts after it ends: check the two dates.")
            return
        ws, rule = self.workspace, self.rule.currentData() or None

        def work(progress: Any) -> tuple[Any, list[QImage]]:
            prepared = ws.prepare_council_report(period_from=start, period_to=end, rule=rule, progress=progress)
            return prepared, page_images(prepared.pdf, progress=progress)

        self.make_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.prepared = None
        self.result.setText("Making the report...")
        job = self.window_.workers.run(work, self._made, title="Making the council report", failed=self._failed,
                                       parent=self)  # fmt: skip
        self.window_.follow(job)

    def _failed(self, err: BaseException) -> None:
        from ddj_desktop.errors import Cancelled
        from ddj_desktop.gui.workers import report_error

        self.make_button.setEnabled(True)
        self.result.setText("Cancelled: nothing was saved." if isinstance(err, Cancelled) else "")
        report_error(err, self)

    def _made(self, made: tuple[Any, list[QImage]]) -> None:
        prepared, images = made
        self.make_button.setEnabled(True)
        self.prepared = prepared
        self._show_pages(images)
        content = prepared.content
        small, complementary = content.ledger.hidden_count()
        self.result.setText(
            f"The report has <b>{prepared.pages} pages</b>, for {content.period[0]} to {content.period[1]}"
            + (f", with the frequent-utilizer cohort of \u201c{content.cohort_rule}\u201d" if content.cohort_rule
               else "")
            + f". {small:,} small counts are hidden, and {complementary:,} more so that they cannot be worked out. "
            "Check the pages below, then <b>Save...</b> (Ctrl+S)."
        )
        self.save_button.setEnabled(True)
        self.window_.status(f"Council report ready to save: {prepared.pages} pages.")

    def _show_pages(self, images: list[QImage]) -> None:
        for label in self.page_labels:
            self.pages_layout.removeWidget(label)
            label.deleteLater()
        self.page_labels = []
        for n, image in enumerate(images, 1):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setAccessibleName(f"Page {n} of {len(images)}")
            label.setFrameShape(QLabel.Shape.Box)
            self.pages_layout.addWidget(label)
            self.page_labels.append(label)
        self.preview.verticalScrollBar().setValue(0)

    def save_report(self) -> None:
        if self.prepared is None:
            return
        start, end = self.prepared.content.period
        out = messages().save_file(self, "Save the council report", f"council report {start} to {end}.pdf",
                                   "PDF (*.pdf)")
        if out is None:
            return
        if out.suffix.lower() != ".pdf":
            out = out.with_name(out.name + ".pdf")
        xlsx = out.with_suffix(".xlsx") if self.with_tables.isChecked() else None
        ws, prepared = self.workspace, self.prepared
        self.save_button.setEnabled(False)
        job = self.window_.workers.run(lambda progress: ws.save_council_report(prepared, out, xlsx=xlsx),
                                       self._saved, title="Saving the council report", writes=True,
                                       failed=self._save_failed, parent=self)  # fmt: skip
        self.window_.follow(job)

    def _save_failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self.save_button.setEnabled(self.prepared is not None)
        report_error(err, self)

    def _saved(self, summary: Any) -> None:
        self.save_button.setEnabled(True)
        tables = f" and its tables to {Path(summary.xlsx).name}" if summary.xlsx else ""
        self.result.setText(f"Saved <b>{Path(summary.pdf).name}</b> ({summary.pages} pages){tables}, for "
                            f"{summary.period[0]} to {summary.period[1]}.")
        self.window_.status(f"Wrote {Path(summary.pdf).name}.")
        self.made_pdf = Path(summary.pdf)
        self.open_button.show()

    def _open(self) -> None:
        if self.made_pdf is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.made_pdf)))  # the county's own PDF viewer
