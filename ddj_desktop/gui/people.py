"""People: find records by name, date of birth, source key or person number; see one person's records on a
timeline (one lane per source) and as a table."""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.gui.models import Column, ListTableModel, PagedTableModel
from ddj_desktop.gui.pages import Page, fit_columns, table_view
from ddj_desktop.workspace import RecordRow, Workspace

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

# Sortable by the columns the store has an index for, so a sort is instant at a million records too.
RECORD_COLUMNS = (
    Column("Person", lambda r: r.person, "person"),
    Column("Last name", lambda r: r.last_name, "last_name"),
    Column("First name", lambda r: r.first_name),
    Column("Date of birth", lambda r: r.dob, "dob"),
    Column("Source", lambda r: r.source),
    Column("Key", lambda r: r.source_key),
    Column("Event", lambda r: r.event_type),
    Column("Start", lambda r: (r.event_start or "")[:16].replace("T", " ")),
    Column("End", lambda r: (r.event_end or "")[:16].replace("T", " ")),
)
LANE_COLORS = ("#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#4e342e", "#ad1457", "#37474f")


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def find(ws: Workspace, model: PagedTableModel, text: str) -> tuple[list[RecordRow], int, list[str]]:
    """The first page that `text` finds and the count; when a name finds nothing, the records of close
    spellings instead (all of them, up to a few pages) and those spellings."""
    rows, count = model.first_page(text), ws.count_records(text)
    if count or not text.strip():
        return rows, count, []
    close = ws.similar_names(text)
    rest = " ".join(text.split()[1:])
    rows = [r for name in close for r in ws.find_records(f"{name} {rest}".strip(), limit=model.PAGE)]
    rows = rows[: 5 * model.PAGE]
    return rows, len(rows), [name for name in close if any(r.last_name == name for r in rows)]


class Timeline(QWidget):
    """One lane per source; an event is a mark, a stay (start and end) a bar."""

    LANE = 26
    LEFT = 110

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RecordRow] = []
        self.setAccessibleName("Timeline of the person's records")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(60)

    def set_records(self, records: list[RecordRow]) -> None:
        self.records = [r for r in records if _day(r.event_start)]
        lanes = len({r.source for r in self.records})
        self.setFixedHeight(max(60, 34 + self.LANE * lanes))
        self.setAccessibleDescription(f"{len(self.records)} dated records in {lanes} sources")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.records:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No dated records")
            return
        starts = [_day(r.event_start) for r in self.records]
        ends = [_day(r.event_end) or s for r, s in zip(self.records, starts)]
        first, last = min(s for s in starts if s), max(e for e in ends if e)
        span = max((last - first).days, 1)
        width = self.width() - self.LEFT - 16
        sources = sorted({r.source for r in self.records})

        def x(day: dt.date) -> float:
            return self.LEFT + width * (day - first).days / span

        text_color = self.palette().text().color()
        grid = QColor(text_color)
        grid.setAlpha(40)
        for lane, source in enumerate(sources):
            y = 8 + lane * self.LANE
            painter.setPen(text_color)
            painter.drawText(QRectF(4, y, self.LEFT - 8, self.LANE), Qt.AlignmentFlag.AlignVCenter, source)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(self.LEFT, int(y + self.LANE / 2), self.LEFT + width, int(y + self.LANE / 2))
        for record, start, end in zip(self.records, starts, ends):
            lane = sources.index(record.source)
            color = QColor(LANE_COLORS[lane % len(LANE_COLORS)])
            y = 8 + lane * self.LANE + 6
            x0, x1 = x(start), x(end)  # type: ignore[arg-type]
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            if x1 - x0 >= 4:
                painter.drawRoundedRect(QRectF(x0, y, x1 - x0, self.LANE - 12), 3, 3)
            else:
                painter.drawEllipse(QRectF(x0 - 4, y + 1, 9, 9))
        painter.setPen(text_color)
        bottom = 8 + len(sources) * self.LANE
        painter.drawText(QRectF(self.LEFT, bottom, 120, 20), Qt.AlignmentFlag.AlignLeft, first.isoformat())
        painter.drawText(QRectF(self.LEFT + width - 120, bottom, 120, 20), Qt.AlignmentFlag.AlignRight,
                         last.isoformat())


class PeoplePage(Page):
    searched = Signal(int)  # a search finished; how many records it found

    title = "People"
    needs = "view_identity"
    description = ("Search by name (the start of the last name, then of the first: <i>nun mar</i>), a date of "
                   "birth (<i>1980-04-02</i> or <i>4/2/1980</i>), an agency's key, or a person number "
                   "(<i>P000123</i>). A name that finds nothing shows close spellings.")

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search people...")
        self.search.setAccessibleName("Search people")
        self.search.setClearButtonEnabled(True)
        self.found = QLabel()
        self.found.setAccessibleName("Records found")
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.found)
        self.layout_.addLayout(row)
        self.model = PagedTableModel(RECORD_COLUMNS, self._fetch, self, sort_key="last_name")
        self._search = 0  # the latest search: an older one that finishes late is ignored
        self.view = table_view(self.model, "Records found")
        self.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.view.selectionModel().selectionChanged.connect(self._selected)
        self.shown_person: str | None = None
        self.person_title = QLabel("<b>Select a record to see everything known about that person.</b>")
        self.timeline = Timeline()
        self.person_records = ListTableModel(RECORD_COLUMNS[4:])
        self.person_view = table_view(self.person_records, "The person's records")
        self.person_view.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # by start: the person's history in order
        person = QWidget()
        person_layout = QVBoxLayout(person)
        person_layout.setContentsMargins(0, 6, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.person_title, 1)
        self.consent_button = QPushButton("Record a si&gned ROI...")
        self.consent_button.setToolTip("Record a release of information this person signed (Forms & consents)")
        self.consent_button.setEnabled(False)
        self.consent_button.clicked.connect(self._record_consent)
        title_row.addWidget(self.consent_button)
        person_layout.addLayout(title_row)
        person_layout.addWidget(self.timeline)
        person_layout.addWidget(self.person_view, 1)
        self.review_button = QPushButton("&Review this person's records...")
        self.review_button.setAccessibleName("Review the selected person's records and matches")
        self.review_button.setToolTip("Split off records that are someone else, or merge in another person")
        self.review_button.setEnabled(False)
        self.review_button.clicked.connect(self.review_person)
        review_row = QHBoxLayout()
        review_row.addWidget(self.review_button)
        review_row.addStretch(1)
        person_layout.addLayout(review_row)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(person)
        splitter.setSizes([250, 450])
        self.layout_.addWidget(splitter, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self.run_search)

    def _fetch(self, text: str, after: RecordRow | None, limit: int, sort: str, descending: bool) -> list[RecordRow]:
        return self.workspace.find_records(text, after=after, limit=limit, sort=sort, descending=descending)

    def refresh(self) -> None:
        self.run_search()

    def run_search(self) -> None:
        """Search on a worker (a name search may read the whole store); the table fills when it is done."""
        self._debounce.stop()
        self._search += 1
        search, text, ws, model = self._search, self.search.text(), self.workspace, self.model
        self.found.setText("Searching...")
        self.window_.workers.run(
            lambda progress: find(ws, model, text), lambda found: self._found(search, text, *found),
            title="Searching", parent=self,
        )  # fmt: skip

    def _found(self, search: int, text: str, rows: list[RecordRow], count: int, close: list[str]) -> None:
        if search != self._search or self.window_.workspace is None:
            return
        self.model.set_first_page(text, rows, complete=bool(close))
        found = f"{count:,} record{'s' if count != 1 else ''}"
        if close:
            found = f"No name starts with “{text.strip()}”. Close spellings: {', '.join(close)} ({found})"
        self.found.setText(found)
        fit_columns(self.view, 220)
        self.show_person(None)
        self.searched.emit(count)

    def _selected(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        self.show_person(self.model.row_at(rows[0].row()).person if rows else None)

    def _record_consent(self) -> None:
        if self.shown_person:
            self.window_.show_page("Forms & consents").record_consent(self.shown_person)  # type: ignore[attr-defined]

    def review_person(self) -> object:
        """The review window's person dialog for the person shown (split or merge their records)."""
        from ddj_desktop.gui.review import PersonDialog

        if not self.shown_person:
            return None
        dialog = PersonDialog(self.workspace, int(self.shown_person.lstrip("P")), self)
        dialog.finished.connect(lambda _: self.show_person(self.shown_person))
        dialog.show()
        return dialog

    def show_person(self, person: str | None) -> None:
        records = self.workspace.person_records(person) if person else []
        self.shown_person = person if records else None
        self.consent_button.setEnabled(self.shown_person is not None)
        self.review_button.setEnabled(bool(self.shown_person) and self.workspace.may("review"))
        self.person_records.set_rows(records)
        self.timeline.set_records(records)
        if person and records:
            names = sorted({f"{r.last_name or '?'}, {r.first_name or '?'}" for r in records})
            sources = len({r.source for r in records})
            self.person_title.setText(
                f"<b>{person}</b>: {html.escape('; '.join(names[:3]))} &mdash; {len(records)} "
                f"record{'s' if len(records) != 1 else ''} from {sources} source{'s' if sources != 1 else ''}"
            )
            fit_columns(self.person_view, 220)
        else:
            self.person_title.setText("<b>Select a record to see everything known about that person.</b>")
