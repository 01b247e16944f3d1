"""The main window's pages: Home, Sources & imports, Matching (the others have modules of their own).

A page is thin: it asks the window's Workspace for what it shows in `refresh()` (called each time the page is
shown) and hands long work to the window's workers.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.errors import DdjError
from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.models import Column, ListTableModel
from ddj_desktop.gui.processes import call_in_process
from ddj_desktop.workspace import BatchInfo, Workspace

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(False)
    return label


class Header(QHeaderView):
    """A table's column headers that keep room for the sort arrow only beside the title of the column the table is
    sorted by (where the arrow is drawn), and only as wide as the arrow: Qt keeps a square as tall as the header
    beside every title, ~30 px a column, which is what made a list of nine columns scroll sideways at 1280x800."""

    def sectionSizeFromContents(self, logical_index: int) -> QSize:
        size = super().sectionSizeFromContents(logical_index)
        if self.isSortIndicatorShown() and self.orientation() == Qt.Orientation.Horizontal:
            style = self.style()
            margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, self)
            arrow = margin + style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, self)
            kept = arrow if logical_index == self.sortIndicatorSection() else 0
            size.setWidth(size.width() - max(size.height() + margin - kept, 0))
        return size


def table_view(model: Any, name: str, *, sortable: bool = True) -> QTableView:
    view = QTableView()
    view.setHorizontalHeader(Header(Qt.Orientation.Horizontal, view))
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(sortable)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setStretchLastSection(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setHighlightSections(False)
    # columns are measured on their first 200 rows (Qt's default, 1,000, made fitting a page of the People table
    # take 70 ms on the GUI thread: each cell is asked for its text through Python)
    view.horizontalHeader().setResizeContentsPrecision(200)
    view.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside it
    return view


PADDING = 12  # px beside a column's widest value, room permitting


def fit_columns(view: QTableView, widest: int = 320) -> None:
    """Columns as wide as their contents (up to `widest`), all in view: when the table is narrower, the widest are
    narrowed (never below their header, the cut text elided with its full text as the tooltip); a `stretch` column
    takes any spare width. Fitted again whenever the table is resized."""
    view.resizeColumnsToContents()
    model = view.model()
    columns = getattr(model, "columns", ())
    full = [view.columnWidth(c) + PADDING for c in range(model.columnCount())]
    natural = [min(w, widest) for w in full]
    stretch = [c for c, column in enumerate(columns) if column.stretch]
    if stretch:  # the long text column gets more room (its full text is the tooltip)
        natural[stretch[0]] = min(full[stretch[0]], 640)
    fitter = view.findChild(_ColumnFitter)
    if fitter is None:
        fitter = _ColumnFitter(view)
    fitter.natural, fitter.full, fitter.stretch = natural, full, stretch[0] if stretch else None
    fitter.fit()


def fitted_widths(natural: list[int], floors: list[int], room: int, stretch: int | None = None,
                  full: list[int] | None = None) -> list[int]:
    """Column widths that fit `room`: the natural widths if they fit (the `stretch` column taking what is left, or
    else the columns cut to their natural width growing back towards their `full` width), else less padding
    everywhere, then the widest capped (each column kept at least at its floor)."""
    widths = list(natural)
    if stretch is None and full is not None and room > sum(widths):
        for c in sorted(range(len(widths)), key=lambda c: full[c] - widths[c]):  # the least cut first
            widths[c] += max(min(full[c] - widths[c], room - sum(widths)), 0)
    if room > 0 and sum(widths) > room:
        floors = [min(f, w) for f, w in zip(floors, widths, strict=True)]
        widths = [max(f, w - 8) for w, f in zip(widths, floors, strict=True)]
        # the largest cap such that the capped widths fit
        low, high = 0, max(widths)
        while low < high:
            cap = (low + high + 1) // 2
            if sum(max(f, min(w, cap)) for w, f in zip(widths, floors, strict=True)) <= room:
                low = cap
            else:
                high = cap - 1
        widths = [max(f, min(w, low)) for w, f in zip(widths, floors, strict=True)]
    if stretch is not None and room > 0:
        widths[stretch] = max(widths[stretch], room - sum(w for c, w in enumerate(widths) if c != stretch))
    return widths


class _ColumnFitter(QObject):
    """Keeps a table's columns fitted to its width (fit_columns) as the table is resized."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.view = view
        self.natural: list[int] = []
        self.full: list[int] | None = None  # content widths before the cap of fit_columns
        self.stretch: int | None = None
        self._width = -1
        view.viewport().installEventFilter(self)
        view.horizontalHeader().sortIndicatorChanged.connect(lambda *_: self.fit())  # the arrow moved

    def fit(self) -> None:
        view = self.view
        count = view.model().columnCount()
        if len(self.natural) != count:  # another model was set since the columns were measured
            return
        # (a scroll bar that appears once more rows arrive narrows the viewport, and the columns are fitted again)
        room = self._width = view.viewport().width()
        header = view.horizontalHeader()
        # never cut a value as short as a date (dates, counts, person numbers), nor a column's title
        short = view.fontMetrics().horizontalAdvance("0000-00-00") + 16
        floors = [max(header.sectionSizeFromContents(c).width() + 2, min(self.natural[c] - PADDING + 4, short))
                  for c in range(count)]
        for c, width in enumerate(fitted_widths(self.natural, floors, room, self.stretch, self.full)):
            view.setColumnWidth(c, width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched.width() != self._width:  # type: ignore[attr-defined]
            self.fit()  # (a column the analyst dragged wider stays so until the table's width changes)
        return False


class Page(QWidget):
    title = ""
    description = ""
    needs: str | None = None  # the permission (governance/users.py) without which the page shows nothing

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window_ = window
        self.setAccessibleName(self.title)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(24, 18, 24, 18)
        self.layout_.setSpacing(10)
        self.title_label = heading(self.title)
        self.layout_.addWidget(self.title_label)
        if self.description:
            self.layout_.addWidget(note(self.description))
        self.not_allowed = note("")  # shown instead of an error when the user's role does not open this page
        self.not_allowed.setObjectName("notAllowed")
        self.not_allowed.setAccessibleName("Not allowed for your role")
        self.not_allowed.hide()
        self.layout_.addWidget(self.not_allowed)
        self._held_back: list[QWidget] = []

    @property
    def workspace(self) -> Workspace:
        assert self.window_.workspace is not None
        return self.window_.workspace

    def refresh(self) -> None:
        """Show what the store holds now."""

    def show_not_allowed(self, err: DdjError) -> None:
        """Say that the user's role does not allow this page's work, and grey out the page's controls."""
        role = html.escape(self.window_.workspace.role if self.window_.workspace else "")
        self.not_allowed.setText(f"<b>Your role ({role}) does not open this page.</b> Ask an admin of this store if "
                                 "you need it; its controls are greyed out for you.")
        self.not_allowed.show()
        for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child not in (self.title_label, self.not_allowed) and child.isEnabled():
                child.setEnabled(False)
                self._held_back.append(child)

    def show_allowed(self) -> None:
        self.not_allowed.hide()
        for child in self._held_back:
            child.setEnabled(True)
        self._held_back.clear()


# -- Home ----------------------------------------------------------------------------------------------------
class _Figure(QFrame):
    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("figure")
        self.number = QLabel("0")
        font = self.number.font()
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.number.setFont(font)
        self.caption = QLabel(caption)
        layout = QVBoxLayout(self)
        layout.addWidget(self.number)
        layout.addWidget(self.caption)
        self.setAccessibleName(caption)

    def set(self, value: int) -> None:
        self.number.setText(f"{value:,}")
        self.setAccessibleDescription(f"{value} {self.caption.text()}")


class HomePage(Page):
    title = "Home"
    attention_ready = Signal()  # the worker's look for pairs to review and expiring consents is shown

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._asked = 0
        self._items: list[str] = []
        self.figures = {key: _Figure(caption) for key, caption in (
            ("records", "records"), ("persons", "people"), ("sources", "sources"), ("batches", "imports"),
        )}  # fmt: skip
        grid = QGridLayout()
        for i, figure in enumerate(self.figures.values()):
            grid.addWidget(figure, 0, i)
        self.layout_.addLayout(grid)
        buttons = QHBoxLayout()
        import_button = QPushButton("&Import files...")
        import_button.setAccessibleName("Import files")
        import_button.clicked.connect(window.start_import)
        people_button = QPushButton("Find a &person")
        people_button.clicked.connect(lambda: window.show_page("People"))
        buttons.addWidget(import_button)
        buttons.addWidget(people_button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)
        self.layout_.addWidget(heading("What needs attention"))
        self.attention = note("")
        self.attention.setAccessibleName("What needs attention")
        self.layout_.addWidget(self.attention)
        self.layout_.addWidget(heading("Last imports"))
        self.batches = ListTableModel(BATCH_COLUMNS[:6])
        self.batch_view = table_view(self.batches, "Last imports", sortable=False)
        self.layout_.addWidget(self.batch_view, 1)

    def refresh(self) -> None:
        ws = self.workspace
        counts = ws.counts()
        for key, figure in self.figures.items():
            figure.set(counts.get(key, 0))
        batches = ws.batches()
        self.batches.set_rows(list(reversed(batches))[:8])
        fit_columns(self.batch_view)
        items = []
        if not batches:
            items.append("The store is empty. Start with <b>Import files...</b>: pick an agency's export and "
                         "DDJ Desktop proposes how its columns map.")
        rejected = [b for b in batches if b.rows_rejected]
        if rejected:
            total = sum(b.rows_rejected for b in rejected)
            items.append(f"{total:,} rows in {len(rejected)} imports were rejected. See <b>Sources &amp; "
                         "imports</b> to read why and export them for the agency.")
        self._items = items
        self.attention.setText(self._list([*items, "Looking for pairs to review and expiring consents..."]))
        self._asked += 1
        asked = self._asked
        may_review, may_consents = ws.may("review"), ws.may("view_identity")

        def waiting(progress: object) -> tuple[int | None, list[Any] | None]:  # on a worker: a big queue takes a while
            pairs = ws.review_queue_left() if may_review else None
            consents = ws.consents(expiring_only=True) if may_consents else None
            return pairs, consents

        self.window_.workers.run(waiting, lambda found: self._waiting(asked, *found), title="Looking", parent=self)

    @staticmethod
    def _list(items: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"

    def _waiting(self, asked: int, pairs: int | None, expiring: list[Any] | None) -> None:
        if asked != self._asked:
            return
        items = list(self._items)
        if pairs:
            items.append(f"<b>{pairs:,} pair{'s' if pairs != 1 else ''} of records wait for a reviewer</b>: open "
                         "<b>Matching</b>, then <b>Review queue</b>, to say whether each is one person.")
        elif pairs == 0:
            items.append("No pair of records waits for a reviewer. Run <b>Matching</b> after each month's imports "
                         "so people are linked across agencies.")
        if expiring:
            named = ", ".join(f"{c.person} on {c.expires_on}" for c in sorted(expiring, key=lambda c: c.expires_on)[:5])
            items.append(f"<b>{len(expiring)} consent{'s' if len(expiring) != 1 else ''} expire soon</b> "
                         f"({named}{' …' if len(expiring) > 5 else ''}): see <b>Forms &amp; consents</b> to ask for a "
                         "new signature in time.")
        elif expiring is not None:
            items.append("No consent expires soon.")
        self.attention.setText(self._list(items))
        self.attention_ready.emit()


# -- Sources & imports ---------------------------------------------------------------------------------------
SOURCE_COLUMNS = (
    Column("Source", lambda s: s.name),
    Column("Name", lambda s: s.display_name, stretch=True),
    Column("Intercept", lambda s: "unknown" if s.intercept is None else s.intercept),
    Column("Records", lambda s: s.records, align_right=True),
)
BATCH_COLUMNS = (
    Column("Imported", lambda b: b.imported_at.replace("T", " ")[:16]),
    Column("Source", lambda b: b.source),
    Column("File", lambda b: b.file_name, stretch=True),
    Column("New", lambda b: b.rows_imported, align_right=True),
    Column("Duplicate", lambda b: b.rows_duplicate, align_right=True),
    Column("Rejected", lambda b: b.rows_rejected, align_right=True),
    Column("Updated", lambda b: b.rows_updated, align_right=True),
    Column("Skipped", lambda b: b.rows_skipped, align_right=True),
    Column("Read", lambda b: b.rows_read, align_right=True),
    Column("By", lambda b: b.user_name),
)
PROBLEM_COLUMNS = (
    Column("Row", lambda p: p[1], align_right=True),
    Column("Result", lambda p: "rejected" if p[3] else "imported, value left out"),
    Column("Reason", lambda p: p[2], stretch=True),
    Column("File", lambda p: p[0]),
)


class ImportsPage(Page):
    title = "Sources & imports"
    description = "Every agency system the store holds records from, and every import made into it."

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        buttons = QHBoxLayout()
        import_button = QPushButton("&Import files...")
        import_button.clicked.connect(window.start_import)
        self.export_button = QPushButton("&Export rejected rows...")
        self.export_button.setAccessibleName("Export the rejected rows of the selected import")
        self.export_button.clicked.connect(self.export_rejects)
        buttons.addWidget(import_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)
        self.sources = ListTableModel(SOURCE_COLUMNS)
        self.batches = ListTableModel(BATCH_COLUMNS)
        self.problems = ListTableModel(PROBLEM_COLUMNS)
        self.source_view = table_view(self.sources, "Sources")
        self.batch_view = table_view(self.batches, "Imports")
        self.problem_view = table_view(self.problems, "Rows of the selected import with problems")
        self.batch_view.selectionModel().selectionChanged.connect(self._batch_selected)
        self.source_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.batch_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.problem_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        splitter = QSplitter(Qt.Orientation.Vertical)
        for label, view in (("Sources", self.source_view), ("Imports", self.batch_view),
                            ("Problems in the selected import", self.problem_view)):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 4, 0, 0)
            caption = QLabel(f"<b>{label}</b>")
            caption.setBuddy(view)
            box_layout.addWidget(caption)
            box_layout.addWidget(view)
            splitter.addWidget(box)
        splitter.setSizes([230, 260, 200])
        self.layout_.addWidget(splitter, 1)

    def refresh(self) -> None:
        self.sources.set_rows(self.workspace.sources())
        self.batches.set_rows(list(reversed(self.workspace.batches())))
        self.problems.set_rows([])
        fit_columns(self.source_view)
        fit_columns(self.batch_view)
        self._update_buttons()

    def selected_batch(self) -> BatchInfo | None:
        rows = self.batch_view.selectionModel().selectedRows()
        return self.batches.row_at(rows[0].row()) if rows else None

    def _batch_selected(self) -> None:
        batch = self.selected_batch()
        self.problems.set_rows(self.workspace.row_problems(batch.id) if batch else [])
        fit_columns(self.problem_view, 600)
        self._update_buttons()

    def _update_buttons(self) -> None:
        batch = self.selected_batch()
        self.export_button.setEnabled(batch is not None and batch.rows_rejected + batch.rows_read > 0)

    def export_rejects(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        suggested = f"rejected rows - {Path(batch.file_name.split(',')[0]).stem}.xlsx"
        out = messages().save_file(self, "Export rejected rows", suggested, "Excel workbook (*.xlsx)")
        if out is None:
            return
        ws = self.workspace
        self.window_.workers.run(
            lambda progress: ws.export_problems([batch.id], out),
            lambda count: self.window_.status(f"Wrote {count:,} rows to {out.name}."),
            title="Exporting rejected rows", writes=True, parent=self,
        )  # fmt: skip


# -- Matching ------------------------------------------------------------------------------------------------
class MatchingPage(Page):
    title = "Matching"
    description = (
        "Links the records that belong to the same person across agencies. Pairs the program is unsure about "
        "wait here in a review queue, where a reviewer decides: same person, different people, or unsure."
    )

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.run_button = QPushButton("&Run matching")
        self.run_button.setAccessibleName("Run matching")
        self.run_button.clicked.connect(self.run_linkage)
        self.state = note("")
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.state)
        self.last_run = note("")
        self.layout_.addWidget(self.last_run)
        self.review_button = QPushButton("Re&view queue...")  # gui/review.py: keyboard-only pair review
        self.review_button.setAccessibleName("Open the review queue")
        self.review_button.clicked.connect(self.open_review)
        self.waiting = note("")
        self.waiting.setAccessibleName("Pairs waiting for a reviewer")
        row = QHBoxLayout()
        row.addWidget(self.review_button)
        row.addWidget(self.waiting, 1)
        self.layout_.addLayout(row)
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        available = hasattr(self.workspace, "link")
        self.run_button.setVisible(available)
        if available:
            counts = self.workspace.counts()
            self.state.setText(f"{counts['records']:,} records, {counts['persons']:,} people so far.")
        else:
            self.state.setText(
                "<i>Coming in a later version.</i> Until then each imported record is its own person; the review "
                "queue, with each pair's evidence field by field, will appear on this page."
            )
        self._count_waiting()

    def _count_waiting(self) -> None:
        """How many pairs wait for a reviewer, counted on a worker (seconds with 100,000 pairs)."""
        ws = self.workspace
        if not ws.may("review"):
            self.waiting.setText("")
            return
        self.waiting.setText("Counting the pairs that wait...")

        def counted(left: int) -> None:
            self.waiting.setText(("1 pair waits" if left == 1 else f"{left:,} pairs wait") + " for a reviewer." if left
                                 else "No pair waits for a reviewer.")

        self.window_.workers.run(lambda progress: ws.review_queue_left(), counted, title="Counting pairs",
                                 parent=self)

    def run_linkage(self) -> None:
        ws = self.workspace
        self.run_button.setEnabled(False)
        key = self.window_.store_key

        def work(progress):  # type: ignore[no-untyped-def]
            if key is not None:  # a child process: the link run's numpy work never holds up the window
                return call_in_process(key, "link", progress=progress)
            return ws.link(progress=progress)  # type: ignore[attr-defined]

        job = self.window_.workers.run(
            work, self._linked, title="Matching records", writes=True, parent=self,
            failed=self._failed,
        )  # fmt: skip
        self.window_.progress_panel.follow(job)

    def open_review(self) -> Any:
        from ddj_desktop.gui.review import ReviewDialog

        dialog = ReviewDialog(self.workspace, self, workers=self.window_.workers)
        dialog.show()
        return dialog

    def _linked(self, summary: Any) -> None:
        self.run_button.setEnabled(True)
        self.refresh()
        self.last_run.setText(
            f"Last run: {getattr(summary, 'records', 0):,} records linked into <b>{getattr(summary, 'persons', 0):,} "
            f"people</b>; {getattr(summary, 'review_pairs', 0):,} pairs wait for a reviewer; "
            f"{getattr(summary, 'merges', 0):,} merges and {getattr(summary, 'splits', 0):,} splits of earlier people."
        )
        self.window_.status("Matching finished.")

    def _failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self.run_button.setEnabled(True)
        report_error(err, self)
