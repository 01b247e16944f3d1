"""The import wizard: files -> the table found -> column mapping -> preview -> import -> summary.

Each step is a thin view over the import pipeline (`ddj_desktop.importing`): reading and preparing run on
workers, and the import itself is `Workspace.import_files` with the mapping the analyst checked, written to a
temporary profile file, so the GUI imports exactly as `ddj-desktop import --mapping` would.
"""

from __future__ import annotations

import dataclasses
import html
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDropEvent, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ddj_desktop.errors import DdjError
from ddj_desktop.gui import settings
from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.models import Column, ListTableModel
from ddj_desktop.gui.pages import fit_columns, table_view
from ddj_desktop.gui.processes import StoreKey, call_in_process
from ddj_desktop.gui.workers import Job, Workers, report_error
from ddj_desktop.importing import mapping, pipeline
from ddj_desktop.importing.model import Table
from ddj_desktop.paths import profiles_dir
from ddj_desktop.workspace import STANDARD_SOURCES, Workspace

FILE_FILTER = "Agency exports (*.xlsx *.xlsm *.xls *.ods *.csv *.tsv *.txt);;All files (*)"
PREVIEW_ROWS = 40
NONE_CHOICE = "(not in this file)"
# Words in a file name that say which agency sent it (used when no earlier choice is remembered).
FILE_NAME_HINTS = (
    ("jail", "jail"), ("booking", "jail"), ("cad", "police"), ("police", "police"), ("911", "police"),
    ("nemsis", "ems"), ("ems", "ems"), ("hmis", "shelter"), ("shelter", "shelter"), ("ed_", "ed"),
    ("emergency", "ed"), ("bh_", "bh"), ("behavioral", "bh"), ("court", "court"), ("probation", "probation"),
    ("pretrial", "pretrial"),
)  # fmt: skip
FIELD_LABELS = {
    "source_key": "Row key (unique per row)", "agency_person_id": "Agency's person number",
    "first_name": "First name", "middle_name": "Middle name", "last_name": "Last name", "name_suffix": "Suffix",
    "full_name": "Full name (one column)", "dob": "Date of birth", "ssn": "SSN", "sex": "Sex", "race": "Race",
    "ethnicity": "Ethnicity", "address": "Address", "zip": "ZIP code", "name_quality": "Name quality code",
    "dob_quality": "DOB quality code", "ssn_quality": "SSN quality code", "event_type": "Event type",
    "event_start": "Event start", "event_end": "Event end", "event_start_time": "Event start time (own column)",
    "event_end_time": "Event end time (own column)", "homeless": "Homeless (yes/no)",
    "serious_mental_illness": "Serious mental illness (yes/no)", "substance_use": "Substance use (yes/no)",
    "charge": "Charge", "charge_level": "Charge level", "booking_type": "Booking type",
    "service_type": "Service type", "disposition": "Disposition", "facility": "Facility",
}  # fmt: skip
NAME_ORDER_LABELS = {"last_comma_first": "Last, First", "first_last": "First Last", "last_first": "Last First"}


def guess_source(file_name: str) -> str | None:
    """The source remembered for files named like this one, else one guessed from words in the name."""
    remembered = settings.source_for_file(file_name)
    if remembered:
        return remembered
    lowered = file_name.lower()
    return next((source for word, source in FILE_NAME_HINTS if word in lowered), None)


def proposal_from_profile(profile: mapping.MappingProfile, header: list[str]) -> mapping.Proposal:
    """A saved profile shown as a proposal: every choice certain, because the analyst made it."""
    chosen = {**profile.fields, **profile.attributes}
    return mapping.Proposal(
        profile=profile, confidence=dict.fromkeys(chosen, mapping.CONFIDENCE_USER), layout=profile.layout,
        reasons=dict.fromkeys(chosen, f'saved profile "{profile.name}"'),
        unmapped=[h for h in header if h not in profile.columns()], header=header,
    )  # fmt: skip


@dataclasses.dataclass
class ImportPlan:
    """What the wizard has learned so far."""

    files: list[Path] = dataclasses.field(default_factory=list)
    source: str = ""
    tables: list[Table] = dataclasses.field(default_factory=list)
    table_index: int = 0
    proposal: mapping.Proposal | None = None
    prepared: pipeline.PreparedTable | None = None
    summaries: list[pipeline.BatchSummary] = dataclasses.field(default_factory=list)

    @property
    def table(self) -> Table:
        return self.tables[self.table_index]

    @property
    def sheet(self) -> str | None:
        """The sheet to import when the files hold several tables (one profile fits one table)."""
        return self.table.source.sheet if len(self.tables) > 1 else None


class _BusyPage(QWizardPage):
    """A page that starts work on a worker when entered and is complete once the work is done."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.job: Job | None = None
        self.busy = QProgressBar()
        self.busy.setRange(0, 1000)
        self.busy.setAccessibleName("Progress")
        self.busy_label = QLabel()
        self.busy_label.setAccessibleName("Progress message")
        self.done = False

    @property
    def plan(self) -> ImportPlan:
        return self.wizard_.plan

    def run(self, func: Any, done: Any, title: str, *, writes: bool = False) -> None:
        self.done = False
        self.completeChanged.emit()
        self.busy.setValue(0)
        self.busy.show()
        self.busy_label.setText(title)
        self.busy_label.show()

        def finished(result: Any) -> None:
            self.job = None
            self.busy.hide()
            self.busy_label.hide()
            done(result)
            self.done = True
            self.completeChanged.emit()

        def failed(err: BaseException) -> None:
            self.job = None
            self.busy.hide()
            self.busy_label.setText("Stopped: nothing was changed." if isinstance(err, DdjError) else "")
            self.on_failed(err)
            report_error(err, self)

        self.job = self.wizard_.workers.run(func, finished, title=title, writes=writes, failed=failed, parent=self)
        self.job.progress.changed.connect(self._progress)

    def _progress(self, fraction: float, message: str) -> None:
        self.busy.setValue(int(1000 * fraction))
        if message:
            self.busy_label.setText(message)

    def on_failed(self, err: BaseException) -> None:
        pass

    def isComplete(self) -> bool:
        return self.done


# -- 1. files ------------------------------------------------------------------------------------------------
class FilesPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("Which files?")
        self.setSubTitle("Pick one agency's export, or drop the files here. Files of one export go together: "
                         "HMIS Client, Enrollment and Exit; jail bookings and charges.")
        self.setAcceptDrops(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Files to import")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        add = QPushButton("&Add files...")
        add.clicked.connect(self._browse)
        self.remove = QPushButton("&Remove")
        self.remove.clicked.connect(self._remove)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        self.empty_hint = QLabel("No files yet: <b>Add files...</b>, or drag them here from Explorer or Finder.")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setStyleSheet("color: palette(dark); padding: 24px;")
        files = QVBoxLayout()
        files.addWidget(self.empty_hint)
        files.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addLayout(files, 1)
        row.addLayout(buttons)
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.setAccessibleName("Source")
        self.source.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        names = dict.fromkeys([*(s.name for s in wizard.workspace.sources()), *STANDARD_SOURCES])
        for name in names:
            label = STANDARD_SOURCES.get(name, (name.capitalize(), None))[0]
            self.source.addItem(f"{name} \u2014 {label}", name)
        self.source.setCurrentIndex(-1)
        self.source.setEditText("")
        self.source.currentTextChanged.connect(lambda _: self.completeChanged.emit())
        form = QFormLayout()
        form.addRow("&Source (agency system):", self.source)
        hint = QLabel("A new name (letters, digits, - or _) creates a new source.")
        hint.setStyleSheet("color: palette(dark);")
        form.addRow("", hint)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addLayout(form)

    def add_files(self, files: list[Path]) -> None:
        present = {self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())}
        for path in files:
            if str(path) in present or not path.is_file():
                continue
            self.list.addItem(path.name)
            item = self.list.item(self.list.count() - 1)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            if not self.source_name():
                guessed = guess_source(path.name)
                if guessed:
                    self.set_source(guessed)
        self.completeChanged.emit()

    def set_source(self, name: str) -> None:
        index = self.source.findData(name)
        if index >= 0:
            self.source.setCurrentIndex(index)
        else:
            self.source.setEditText(name)

    def files(self) -> list[Path]:
        return [Path(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())]

    def source_name(self) -> str:
        text = self.source.currentText().strip()
        index = self.source.findText(text)
        if index >= 0:
            return str(self.source.itemData(index))
        return text.split(" ")[0].lower() if text else ""

    def _browse(self) -> None:
        self.add_files(messages().open_files(self, "Files to import", FILE_FILTER))

    def _remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.completeChanged.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.add_files([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()

    def isComplete(self) -> bool:
        self.empty_hint.setVisible(self.list.count() == 0)
        return bool(self.list.count() and self.source_name())

    def validatePage(self) -> bool:
        plan = self.wizard_.plan
        plan.files, plan.source = self.files(), self.source_name()
        return True


# -- 2. the table found --------------------------------------------------------------------------------------
class RawRowsModel(QAbstractTableModel):
    """The first rows of a sheet as read, the detected header row in bold."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[Any]] = []
        self.header_row = 0
        self.first_column = 1
        self.width = 0

    def set_table(self, table: Table | None) -> None:
        self.beginResetModel()
        if table is None:
            self.rows, self.header_row, self.width = [], 0, 0
        else:
            self.rows = table.source.rows[: max(PREVIEW_ROWS, table.header_row_number + 10)]
            self.header_row = table.header_row_number
            self.first_column = table.source.first_column
            self.width = max((len(r) for r in self.rows), default=0)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.width

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        is_header = index.row() + 1 == self.header_row
        if role == Qt.ItemDataRole.DisplayRole:
            value = row[index.column()] if index.column() < len(row) else None
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.FontRole and is_header:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and is_header:
            return QBrush(QColor("#dbe8f7"))
        if role == Qt.ItemDataRole.ForegroundRole and index.row() + 1 < self.header_row:
            return QBrush(QColor("#888888"))  # titles above the header are not data
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        number, letters = section + self.first_column, ""
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(65 + rest) + letters
        return letters


class TablePage(_BusyPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("The table found")
        self.setSubTitle("DDJ Desktop looked for the header row below any titles. The header is in bold; rows "
                         "above it are left out. If this is the wrong table, go back and pick another file.")
        self.choice = QComboBox()
        self.choice.setAccessibleName("Table to import")
        self.choice.currentIndexChanged.connect(self._table_chosen)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What was found")
        self.raw = RawRowsModel()
        self.view = table_view(self.raw, "First rows of the file", sortable=False)
        self.view.verticalHeader().setVisible(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.choice)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)

    def initializePage(self) -> None:
        self.choice.hide()
        self.summary.clear()
        self.raw.set_table(None)
        files = list(self.plan.files)
        self.run(lambda progress: pipeline.read_tables(files, None, progress), self._read, "Reading the files")

    def _read(self, tables: list[Table]) -> None:
        self.plan.tables = tables
        self.plan.table_index = 0
        self.choice.blockSignals(True)
        self.choice.clear()
        for table in tables:
            self.choice.addItem(f"{table.label}: {len(table.rows):,} rows")
        self.choice.setVisible(len(tables) > 1)
        self.choice.blockSignals(False)
        self._table_chosen(0)

    def _table_chosen(self, index: int) -> None:
        if not 0 <= index < len(self.plan.tables):
            return
        self.plan.table_index = index
        self.plan.proposal = None
        table = self.plan.table
        skipped = table.skipped_counts()
        skipped_text = "; ".join(f"{reason} ({n:,})" for reason, n in skipped.most_common()) or "none"
        notes = " ".join(table.source.notes)
        self.summary.setText(
            f"<b>{html.escape(table.label)}</b>: header on row {table.header_row_number}, {len(table.header)} "
            f"columns, {len(table.rows):,} data rows. Rows left out: {html.escape(skipped_text)}."
            + (f"<br><span style='color:gray'>{html.escape(notes)}</span>" if notes else "")
        )
        self.raw.set_table(table)
        fit_columns(self.view, 180)

    def on_failed(self, err: BaseException) -> None:
        self.summary.setText("<b>These files could not be read.</b> Go back and pick other files.")


# -- 3. mapping ----------------------------------------------------------------------------------------------
class MappingPage(QWizardPage):
    COL_FIELD, COL_COLUMN, COL_CONFIDENCE, COL_WHY = range(4)

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.wizard_ = wizard
        self.setTitle("Which column holds what")
        self.setSubTitle("DDJ Desktop proposed a column for each field. Check the ones marked in amber or red; "
                         "change any from its drop-down. Columns not used here are kept as they are.")
        self.table = QTableWidget(0, 4)
        self.table.setAccessibleName("Column mapping")
        self.table.setHorizontalHeaderLabels(["Field", "Column in the file", "Confidence", "Why"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.combos: dict[str, QComboBox] = {}
        self.name_order = QComboBox()
        self.name_order.setAccessibleName("How full names are written")
        for key, label in NAME_ORDER_LABELS.items():
            self.name_order.addItem(label, key)
        self.name_order.currentIndexChanged.connect(self._name_order_changed)
        self.name_order_why = QLabel()  # how the order was told, so a guess from a few names gets checked
        self.name_order_why.setWordWrap(True)
        self.unmapped = QLabel()
        self.unmapped.setWordWrap(True)
        self.profile_name = QLineEdit()
        self.profile_name.setAccessibleName("Profile name")
        save = QPushButton("Save as &profile")
        save.setAccessibleName("Save this mapping as a profile")
        save.clicked.connect(self.save_profile)
        self.saved = QLabel()
        form = QFormLayout()
        order_row = QHBoxLayout()
        order_row.addWidget(self.name_order)
        order_row.addWidget(self.name_order_why, 1)
        form.addRow("Full names are written:", order_row)
        profile_row = QHBoxLayout()
        profile_row.addWidget(self.profile_name, 1)
        profile_row.addWidget(save)
        profile_label = QLabel("Profile &name:")
        profile_label.setBuddy(self.profile_name)
        form.addRow(profile_label, profile_row)
        form.addRow("", self.saved)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.unmapped)
        layout.addLayout(form)
        self._filling = False

    @property
    def plan(self) -> ImportPlan:
        return self.wizard_.plan

    def initializePage(self) -> None:
        table = self.plan.table
        if self.plan.proposal is None or self.plan.proposal.header != table.header:
            saved = mapping.ProfileLibrary(profiles_dir()).suggest(table.source.file.name, table.header)
            if saved is not None:
                self.plan.proposal = proposal_from_profile(saved, table.header)
            else:
                self.plan.proposal = mapping.propose_mapping(table)
            profile = self.plan.proposal.profile
            if not profile.file_pattern:
                profile.file_pattern = mapping.file_pattern_for(table.source.file.name)
            if not profile.source:
                profile.source = self.plan.source
        self.profile_name.setText(self.plan.proposal.profile.name)
        self.saved.clear()
        self.fill()

    def fill(self) -> None:
        proposal = self.plan.proposal
        assert proposal is not None
        self._filling = True
        chosen = {**proposal.profile.fields, **proposal.profile.attributes}
        names = [*mapping.CANONICAL_FIELDS, *mapping.FIXED_ATTRIBUTES]
        # Mapped fields first (in canonical order), then the rest: what matters is on screen.
        names.sort(key=lambda n: n not in chosen)
        self.table.setRowCount(len(names))
        self.combos = {}
        for row, name in enumerate(names):
            label = QTableWidgetItem(FIELD_LABELS.get(name, name))
            label.setData(Qt.ItemDataRole.UserRole, name)
            label.setToolTip(name)
            self.table.setItem(row, self.COL_FIELD, label)
            combo = QComboBox()
            combo.setAccessibleName(f"Column for {FIELD_LABELS.get(name, name)}")
            combo.addItem(NONE_CHOICE, None)
            for column in proposal.header:
                combo.addItem(column, column)
            combo.setCurrentIndex(max(combo.findData(chosen.get(name)), 0) if name in chosen else 0)
            combo.currentIndexChanged.connect(lambda _=0, n=name, c=combo: self._changed(n, c))
            self.combos[name] = combo
            self.table.setCellWidget(row, self.COL_COLUMN, combo)
            confidence = proposal.confidence.get(name)
            item = QTableWidgetItem("" if confidence is None or name not in chosen else f"{confidence:.0%}")
            if confidence is not None and name in chosen:
                color = "#c8e6c9" if confidence >= 0.85 else "#ffe0b2" if confidence >= 0.6 else "#ffcdd2"
                item.setBackground(QBrush(QColor(color)))
                item.setForeground(QBrush(QColor("#000000")))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, self.COL_CONFIDENCE, item)
            self.table.setItem(row, self.COL_WHY, QTableWidgetItem(proposal.reasons.get(name, "") if name in chosen
                                                                   else ""))
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(self.COL_COLUMN, max(self.table.columnWidth(self.COL_COLUMN), 200))
        order = proposal.profile.name_order or "last_comma_first"
        self.name_order.setCurrentIndex(max(self.name_order.findData(order), 0))
        self.name_order.setEnabled("full_name" in proposal.profile.fields)
        why = proposal.reasons.get("name_order", "") if "full_name" in proposal.profile.fields else ""
        self.name_order_why.setText(f"<span style='color:gray'>{html.escape(why, quote=False)}</span>" if why else "")
        kept = ", ".join(proposal.unmapped) or "none"
        self.unmapped.setText(f"<span style='color:gray'>Other columns, kept as they are: {html.escape(kept)}"
                              "</span>")
        self._filling = False
        self.completeChanged.emit()

    def choose(self, name: str, column: str | None) -> None:
        """Map `name` to `column` (None: not in this file), as if picked from its drop-down."""
        combo = self.combos[name]
        combo.setCurrentIndex(combo.findData(column) if column is not None else 0)

    def _changed(self, name: str, combo: QComboBox) -> None:
        if self._filling or self.plan.proposal is None:
            return
        try:
            self.plan.proposal = mapping.apply_overrides(self.plan.proposal, {name: combo.currentData()})
        except DdjError as err:
            messages().error(self, err)
        self.saved.clear()
        self.fill()

    def _name_order_changed(self) -> None:
        if self._filling or self.plan.proposal is None:
            return
        self.plan.proposal = mapping.apply_overrides(self.plan.proposal, {"name_order": self.name_order.currentData()})

    def profile(self) -> mapping.MappingProfile:
        assert self.plan.proposal is not None
        name = self.profile_name.text().strip() or self.plan.proposal.profile.name
        return dataclasses.replace(self.plan.proposal.profile, name=name)

    def save_profile(self) -> Path:
        path = mapping.ProfileLibrary(profiles_dir()).save(self.profile())
        self.saved.setText(f"Saved as {path.name}: offered again for files named like this one.")
        return path

    def isComplete(self) -> bool:
        return self.plan.proposal is not None

    def validatePage(self) -> bool:
        try:
            mapping.check_profile(self.profile(), self.plan.table.header, self.plan.table.label)
        except DdjError as err:
            messages().error(self, err)
            return False
        return True


# -- 4. preview ----------------------------------------------------------------------------------------------
RACE_WORDS = {  # the stored codes (HMIS-based) in the words a reader expects, short enough for a table cell
    "am_ind_ak_native": "Am. Indian/AK Native", "asian": "Asian", "black_af_american": "Black",
    "native_hi_pacific": "NH/Pacific Islander", "white": "White", "hispanic_latinaeo": "Hispanic/Latino",
    "mid_east_n_african": "Mid. East/N. African", "multiple": "Multiple", "other": "Other",
}  # fmt: skip


def _moment(text: str | None) -> str:
    """An event's stored time as a reader writes it: '2021-07-03 21:14', or the day alone at midnight."""
    shown = (text or "")[:16].replace("T", " ")
    return shown.removesuffix(" 00:00")


RECORD_PREVIEW = (
    Column("Row", lambda r: r.get("_row"), align_right=True),
    Column("Key", lambda r: r.get("source_key")),
    Column("Last name", lambda r: r.get("last_name")),
    Column("First name", lambda r: r.get("first_name")),
    Column("Middle", lambda r: r.get("middle_name")),
    Column("Born", lambda r: r.get("dob")),
    Column("SSN", lambda r: f"***-**-{r['ssn_last4']}" if r.get("ssn_last4") else ""),
    Column("Sex", lambda r: r.get("sex")),
    Column("Race", lambda r: RACE_WORDS.get(r.get("race") or "", r.get("race"))),
    Column("Event", lambda r: r.get("event_type")),
    Column("Start", lambda r: _moment(r.get("event_start"))),
    Column("End", lambda r: _moment(r.get("event_end"))),
)
PROBLEM_PREVIEW = (Column("Row", lambda p: p.row_number, align_right=True), Column("Reason", lambda p: p.reason, stretch=True))


class PreviewPage(_BusyPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Preview")
        self.setSubTitle("The rows as they will be stored (names, dates and codes cleaned up), and the rows that "
                         "will be rejected, with the reason. Nothing is written yet.")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Preview summary")
        self.records = ListTableModel(RECORD_PREVIEW)
        self.rejected = ListTableModel(PROBLEM_PREVIEW)
        self.dropped = ListTableModel(PROBLEM_PREVIEW)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Preview tables")
        self.record_view = table_view(self.records, "Rows to import", sortable=False)
        self.rejected_view = table_view(self.rejected, "Rows to reject", sortable=False)
        self.dropped_view = table_view(self.dropped, "Values not kept", sortable=False)
        self.tabs.addTab(self.record_view, "Rows to import")
        self.tabs.addTab(self.rejected_view, "Rows to reject")
        self.tabs.addTab(self.dropped_view, "Values not kept")
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)

    def initializePage(self) -> None:
        self.summary.clear()
        for model in (self.records, self.rejected, self.dropped):
            model.set_rows([])
        table = self.plan.table
        profile = self.wizard_.mapping_page.profile()
        self.run(lambda progress: pipeline.prepare_table(table, profile, "wizard", progress), self._prepared,
                 "Preparing the rows")

    def _prepared(self, prepared: pipeline.PreparedTable) -> None:
        self.plan.prepared = prepared
        rejected = [p for p in prepared.problems if p.rejected]
        dropped = [p for p in prepared.problems if not p.rejected]
        self.records.set_rows(prepared.records[:500])
        self.rejected.set_rows(rejected[:5000])
        self.dropped.set_rows(dropped[:5000])
        self.tabs.setTabText(0, f"Rows to import ({len(prepared.records):,})")
        self.tabs.setTabText(1, f"Rows to reject ({len(rejected):,})")
        self.tabs.setTabText(2, f"Values not kept ({len(dropped):,})")
        skipped = sum(prepared.skipped.values())
        self.summary.setText(
            f"{prepared.rows_read:,} rows read: <b>{len(prepared.records):,} to import</b>, "
            f"<b>{len(rejected):,} to reject</b>, {skipped:,} left out (blank, repeated or test rows). "
            f"{len(dropped):,} values will not be kept (for example an impossible date)."
            + (" Rows already in the store are counted as duplicates on import." if prepared.records else "")
        )
        for view in (self.record_view, self.rejected_view, self.dropped_view):
            fit_columns(view, 420)
        if rejected and not prepared.records:
            self.tabs.setCurrentIndex(1)


# -- 5. import and summary -----------------------------------------------------------------------------------
SUMMARY_COLUMNS = (
    Column("File", lambda b: b.label, stretch=True),
    Column("Read", lambda b: b.rows_read, align_right=True),
    Column("New", lambda b: b.imported, align_right=True),
    Column("Updated", lambda b: b.updated, align_right=True),
    Column("Duplicate", lambda b: b.duplicate, align_right=True),
    Column("Rejected", lambda b: b.rejected, align_right=True),
    Column("Left out", lambda b: sum(b.skipped.values()), align_right=True),
)


class ImportPage(_BusyPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Import")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")
        self.cancel_button = QPushButton("&Cancel import")
        self.cancel_button.setAccessibleName("Cancel the import")
        self.cancel_button.clicked.connect(self.cancel)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Import result")
        self.batches = ListTableModel(SUMMARY_COLUMNS)
        self.view = table_view(self.batches, "What was imported", sortable=False)
        self.export_button = QPushButton("&Export rejected rows...")
        self.export_button.setAccessibleName("Export rejected rows to Excel")
        self.export_button.clicked.connect(self.export_rejects)
        row = QHBoxLayout()
        row.addWidget(self.busy, 1)
        row.addWidget(self.cancel_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_label)
        layout.addLayout(row)
        layout.addWidget(self.result)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def initializePage(self) -> None:
        self.setSubTitle("Everything lands in one transaction: if you cancel, or something fails, nothing is kept.")
        self.result.clear()
        self.batches.set_rows([])
        self.view.hide()
        self.export_button.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        plan, ws = self.plan, self.wizard_.workspace
        profile_file = self.wizard_.write_profile(self.wizard_.mapping_page.profile())
        files, source, sheet = list(plan.files), plan.source, plan.sheet
        key = self.wizard_.key
        if key is not None:  # a child process: reading and normalizing never hold up the window
            def work(progress):  # type: ignore[no-untyped-def]
                return call_in_process(key, "import_files", files, source, mapping_file=profile_file, sheet=sheet,
                                       progress=progress)
        else:
            def work(progress):  # type: ignore[no-untyped-def]
                return ws.import_files(files, source, mapping_file=profile_file, sheet=sheet, progress=progress)
        self.run(work, self._imported, "Importing", writes=True)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.busy_label.setText("Cancelling...")

    def _imported(self, summaries: list[pipeline.BatchSummary]) -> None:
        self.plan.summaries = summaries
        for path in self.plan.files:
            settings.remember_source(path.name, self.plan.source)
        self.cancel_button.hide()
        self.setSubTitle("Finished: the records are in the store, and the import is in the audit log.")
        new = sum(b.imported for b in summaries)
        left_out: dict[str, int] = {}
        for batch in summaries:
            for reason, count in batch.skipped.items():
                left_out[reason] = left_out.get(reason, 0) + count
        left_text = "; ".join(f"{reason} ({n:,})" for reason, n in sorted(left_out.items(), key=lambda i: -i[1]))
        self.result.setText(
            f"<b>{new:,} new records</b> in {html.escape(self.plan.source)}; "
            f"{sum(b.updated for b in summaries):,} updated, {sum(b.duplicate for b in summaries):,} duplicates "
            f"(already in the store), <b>{sum(b.rejected for b in summaries):,} rejected</b>."
            + (f"<br>Left out: {html.escape(left_text)}." if left_text else "")
        )
        self.batches.set_rows(summaries)
        fit_columns(self.view, 360)
        self.view.show()
        self.export_button.setVisible(any(b.rejected for b in summaries))

    def on_failed(self, err: BaseException) -> None:
        self.cancel_button.hide()
        self.setSubTitle("Not imported.")
        self.result.setText("<b>Nothing was imported.</b> The store is as it was. Close the wizard and try "
                            "again when the problem is fixed.")
        self.done = True
        self.completeChanged.emit()

    def export_rejects(self) -> None:
        ids = [b.batch_id for b in self.plan.summaries]
        stem = self.plan.files[0].stem if self.plan.files else "import"
        out = messages().save_file(self, "Export rejected rows", f"rejected rows - {stem}.xlsx",
                                   "Excel workbook (*.xlsx)")
        if out is None:
            return
        ws = self.wizard_.workspace
        self.run(lambda progress: ws.export_problems(ids, out),
                 lambda count: self.result.setText(self.result.text() + f"<br>Wrote {count:,} rows to "
                                                   f"{html.escape(out.name)}."),
                 "Exporting rejected rows", writes=True)  # fmt: skip


class ImportWizard(QWizard):
    """Import one agency's export: the analyst sees and checks every decision before anything is written."""

    def __init__(
        self, workspace: Workspace, workers: Workers, parent: QWidget | None = None, *, key: StoreKey | None = None
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.workers = workers
        self.key = key
        self.plan = ImportPlan()
        self._scratch = tempfile.TemporaryDirectory(prefix="ddj-profile-")
        self.setWindowTitle("Import files")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)  # the import page has its own
        self.files_page = FilesPage(self)
        self.table_page = TablePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        self.import_page = ImportPage(self)
        for page in (self.files_page, self.table_page, self.mapping_page, self.preview_page, self.import_page):
            self.addPage(page)
        self.resize(1200, 720)  # fits a 1366x768 laptop screen; the preview shows its 12 columns whole
        self.finished.connect(lambda _: self._scratch.cleanup())

    def write_profile(self, profile: mapping.MappingProfile) -> Path:
        """The path of a temporary TOML file holding `profile` (column names only, no data)."""
        path = Path(self._scratch.name) / "mapping.toml"
        mapping.save_profile(profile, path)
        return path

    def reject(self) -> None:
        if self.import_page.job is not None:
            self.import_page.cancel()  # stay open until the store has rolled back and says so
            return
        for page in (self.table_page, self.preview_page):
            if page.job is not None:
                page.job.cancel()
        super().reject()
