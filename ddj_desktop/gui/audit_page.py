"""The Audit log page: every entry, newest first, filtered by action, user, days and words in the details; the
chain's state (verified on a worker each time the page is shown); and an export of what the filter finds.

The log can hold 100,000 entries and more: the table fetches 200 entries at a time as it is scrolled (keyed on the
entry number), and the first page and the count of a filter are found on a worker, so the page opens at once.
Who may read the log (admins and analysts) is checked by Workspace; the page says so to anyone else.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ddj_desktop.governance.audit_query import AuditEntry, AuditFilter
from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.models import Column, PagedTableModel
from ddj_desktop.gui.pages import Page, fit_columns, table_view

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

# What an action means, in the county's words (an action not listed is shown by its own name).
ACTION_TEXT = {
    "init": "Store created", "unlock": "Unlocked", "rekey": "Passphrase changed", "source": "Source changed",
    "import": "Import", "link": "Matching run", "explain": "Match explained", "view_person": "Person viewed",
    "review_decide": "Review decision", "review_undo": "Review undone", "review_split": "Person split",
    "review_merge": "People merged", "utilizer_list": "Utilizer list", "utilizer_compare": "Lists compared",
    "export": "Export", "roi_forms": "ROI forms", "consent": "Consent recorded", "consent_revoke": "Consent revoked",
    "disclose": "Disclosure", "disclose_refused": "Disclosure refused", "report": "Council report",
    "report_settings": "Report settings", "county_settings": "County settings", "agreement_add": "Agreement added",
    "agreement_tie": "Source tied to agreement", "agreement_end": "Agreement ended", "retention": "Retention set",
    "purge": "Purge", "user_add": "User added", "user_password": "Password set", "user_change": "User changed",
    "backup": "Backup", "restore": "Restore",
}  # fmt: skip


XLSX_SUGGESTED_UP_TO = 20_000  # entries; more are suggested as CSV


def action_text(action: str) -> str:
    return ACTION_TEXT.get(action, action.replace("_", " ").capitalize())


AUDIT_COLUMNS = (
    Column("#", lambda e: e.seq, align_right=True),
    Column("When (this computer's time)", lambda e: e.local_time),
    Column("User", lambda e: e.user),
    Column("Action", lambda e: action_text(e.action)),
    Column("Details", lambda e: e.details_text(), stretch=True),
)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(edit: QDateEdit) -> dt.date:
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


class DayEdit(QDateEdit):
    """A day with a calendar; Tab leaves it (arrow keys, not Tab, move between year, month and day)."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


class AuditPage(Page):
    title = "Audit log"
    needs = "audit"
    description = ("Every unlock, import, export and change to the store: who did it and when. Each entry seals the "
                   "one before it, so an entry edited, deleted or moved outside DDJ Desktop shows up below.")
    shown_entries = Signal(int)  # a filter's first page is on screen; how many entries it finds in all
    chain_checked = Signal(bool)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        # -- the chain's state
        chain_row = QHBoxLayout()
        self.verdict = QLabel()
        self.verdict.setObjectName("chainStatus")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setAccessibleName("Audit chain status")
        self.verify_button = QPushButton("&Verify again")
        self.verify_button.setAccessibleName("Verify the audit log again")
        self.verify_button.setToolTip("Check every entry of the log against the one before it")
        self.verify_button.clicked.connect(self.verify)
        self.show_broken_button = QPushButton()
        self.show_broken_button.setAccessibleName("Show the entry where the chain breaks")
        self.show_broken_button.clicked.connect(self.show_broken)
        self.show_broken_button.hide()
        self.broken_seq: int | None = None
        chain_row.addWidget(self.verdict, 1)
        chain_row.addWidget(self.show_broken_button, 0, Qt.AlignmentFlag.AlignTop)
        chain_row.addWidget(self.verify_button, 0, Qt.AlignmentFlag.AlignTop)
        self.layout_.addLayout(chain_row)

        # -- filters (Tab walks them left to right, then the table, then Export)
        filters = QHBoxLayout()
        filters.setSpacing(6)
        self.action = QComboBox()
        self.action.setAccessibleName("Show only this action")
        self.action.setMinimumContentsLength(14)
        self.user = QComboBox()
        self.user.setAccessibleName("Show only this user")
        self.user.setMinimumContentsLength(10)
        today = dt.date.today()
        self.use_from = QCheckBox("&From")
        self.use_from.setAccessibleName("Only entries from a day on")
        self.from_day = DayEdit(_qdate(today - dt.timedelta(days=30)))
        self.from_day.setAccessibleName("First day shown")
        self.use_to = QCheckBox("&To")
        self.use_to.setAccessibleName("Only entries up to a day")
        self.to_day = DayEdit(_qdate(today))
        self.to_day.setAccessibleName("Last day shown")
        for edit in (self.from_day, self.to_day):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.search = QLineEdit()
        self.search.setPlaceholderText("e.g. a file, P000123, jail")
        self.search.setAccessibleName("Search the details")
        self.search.setToolTip("Entries whose details hold every word typed here: a file name, a person number, a source...")
        self.search.setClearButtonEnabled(True)
        self.clear_button = QPushButton("C&lear filters")
        self.clear_button.setAccessibleName("Clear every filter")
        action_label = QLabel("&Action:")
        action_label.setBuddy(self.action)
        user_label = QLabel("&User:")
        user_label.setBuddy(self.user)
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        for widget in (action_label, self.action, user_label, self.user, self.use_from, self.from_day, self.use_to,
                       self.to_day, search_label):
            filters.addWidget(widget)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.clear_button)
        self.layout_.addLayout(filters)

        # -- the entries
        self.entries = PagedTableModel(AUDIT_COLUMNS, self._fetch, self)
        self.view = table_view(self.entries, "Audit log entries", sortable=False)
        self.layout_.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        self.found = QLabel()
        self.found.setAccessibleName("Entries found")
        self.export_button = QPushButton("&Export these entries...")
        self.export_button.setAccessibleName("Export the entries shown to a spreadsheet")
        self.export_button.setToolTip("Write the entries the filters find to an Excel workbook or a CSV file")
        self.export_button.clicked.connect(self.export)
        bottom.addWidget(self.found, 1)
        bottom.addWidget(self.export_button)
        self.layout_.addLayout(bottom)
        for first, second in ((self.action, self.user), (self.user, self.use_from), (self.use_from, self.from_day),
                              (self.from_day, self.use_to), (self.use_to, self.to_day), (self.to_day, self.search),
                              (self.search, self.clear_button), (self.clear_button, self.view),
                              (self.view, self.export_button), (self.export_button, self.verify_button)):
            QWidget.setTabOrder(first, second)

        self._up_to: int | None = None  # "Show entry N": the table starts at that entry
        self._asked = 0  # the latest filter asked for: a slower, older answer is dropped
        self._checks = 0
        self._filling = False  # while the choices are rebuilt, their signals start no search
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.run_filter)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self.run_filter)
        for combo in (self.action, self.user):
            combo.currentIndexChanged.connect(self._changed)
        for box, edit in ((self.use_from, self.from_day), (self.use_to, self.to_day)):
            box.toggled.connect(edit.setEnabled)
            box.toggled.connect(self._changed)
            edit.dateChanged.connect(self._changed)
        self.clear_button.clicked.connect(self.clear_filters)

    # -- showing ---------------------------------------------------------------------------------------------
    def audit_filter(self) -> AuditFilter:
        """The filter the controls describe."""
        return AuditFilter(
            action=self.action.currentData() or None, user=self.user.currentData() or None,
            from_day=_day(self.from_day) if self.use_from.isChecked() else None,
            to_day=_day(self.to_day) if self.use_to.isChecked() else None, text=self.search.text().strip(),
            up_to=self._up_to,
        )  # fmt: skip

    def show_not_allowed(self, err: Any) -> None:
        super().show_not_allowed(err)
        self.show_broken_button.hide()
        self.verdict.setStyleSheet("")
        self.verdict.setText("")
        self.found.setText("")

    def _fetch(self, audit_filter: Any, after: AuditEntry | None, limit: int, sort: str, descending: bool) -> list[Any]:
        return self.workspace.audit_page(audit_filter, before=after.seq if after else None, limit=limit)

    def refresh(self) -> None:
        self.export_button.setEnabled(self.workspace.may("export"))
        self.run_filter(choices=True)
        self.verify()

    def _fill_choices(self, actions: list[str], names: list[str]) -> None:
        self._filling = True
        for combo, everything, values, text in ((self.action, "All actions", actions, action_text),
                                                (self.user, "All users", names, str)):
            chosen = combo.currentData()
            combo.clear()
            combo.addItem(everything, None)
            for value in sorted(values, key=lambda v: text(v).lower()):
                combo.addItem(text(value), value)
            combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen else 0)
        self._filling = False

    def _changed(self) -> None:
        if not self._filling:
            self._debounce.start()

    def clear_filters(self) -> None:
        self._up_to = None
        self._filling = True
        self.action.setCurrentIndex(0)
        self.user.setCurrentIndex(0)
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)
        self.search.clear()
        self._filling = False
        self.run_filter()

    def show_broken(self) -> None:
        """The table from the entry where the chain breaks down to the first, that entry selected."""
        if self.broken_seq is None:
            return
        self.clear_filters()
        self._up_to = self.broken_seq
        self.run_filter()

    def run_filter(self, *, choices: bool = False) -> None:
        """Find the filter's first page and count on a worker (words in the details are looked for in every
        entry), with `choices` also the actions and users to choose from; the table fills when they are back, and
        further pages come as it is scrolled."""
        self._debounce.stop()
        if self.window_.workspace is None:
            return
        try:
            chosen = self.audit_filter()
        except ValueError:
            return
        if chosen.from_day and chosen.to_day and chosen.to_day < chosen.from_day:
            self.found.setText("<b>The 'To' day is before the 'From' day</b>: pick days in order.")
            return
        self._asked += 1
        asked, ws, model = self._asked, self.workspace, self.entries
        self.found.setText("Looking...")

        def find(progress: object) -> tuple[list[Any], int, int, Any]:
            rows = ws.audit_page(chosen, limit=model.PAGE)
            total = ws.audit_count() if not chosen.is_empty() else -1
            return rows, ws.audit_count(chosen), total, ws.audit_choices() if choices else None

        self.window_.workers.run(find, lambda found: self._found(asked, chosen, *found), title="Reading the audit log",
                                 parent=self)

    def _found(self, asked: int, chosen: AuditFilter, rows: list[Any], count: int, total: int, choices: Any) -> None:
        if self.window_.workspace is None:
            return
        if choices is not None:  # (kept even from an answer a newer filter overtook)
            self._fill_choices(*choices)
        if asked != self._asked:
            return
        self.entries.set_first_page(chosen, rows)  # type: ignore[arg-type]
        self.found_count = count
        if total < 0:
            self.found.setText(f"{count:,} entr{'y' if count == 1 else 'ies'}, newest first.")
        elif count:
            self.found.setText(f"{count:,} of {total:,} entries match, newest first.")
        else:
            self.found.setText(f"No entry of {total:,} matches these filters. <b>Clear filters</b> to see them all.")
        if chosen.up_to is not None:
            self.found.setText(f"Entry {chosen.up_to:,} and the {max(count - 1, 0):,} before it, newest first. "
                               "<b>Clear filters</b> to see the newest entries again.")
            if rows and rows[0].seq == chosen.up_to:
                self.view.selectRow(0)
        self.export_button.setEnabled(count > 0 and self.workspace.may("export"))
        fit_columns(self.view, 360)
        self.shown_entries.emit(count)

    # -- the chain -------------------------------------------------------------------------------------------
    def verify(self) -> None:
        """Check the whole chain on a worker and say what was found above the table."""
        if self.window_.workspace is None:
            return
        ws = self.workspace
        self._checks += 1
        check = self._checks
        self.verify_button.setEnabled(False)
        self.verdict.setStyleSheet("")
        self.verdict.setText("Checking that no entry was changed...")
        self.window_.workers.run(lambda progress: ws.verify_audit(), lambda result: self._verified(check, result),
                                 title="Verifying the audit log", parent=self, failed=self._verify_failed)

    def _verify_failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self.verify_button.setEnabled(True)
        self.verdict.setText("The log could not be checked.")
        report_error(err, self)

    def _verified(self, check: int, result: Any) -> None:
        if check != self._checks:
            return
        self.verify_button.setEnabled(True)
        self.broken_seq = None if result.ok else result.broken_seq
        self.show_broken_button.setVisible(self.broken_seq is not None)
        if self.broken_seq is not None:
            self.show_broken_button.setText(f"S&how entry {self.broken_seq:,}")
        when = dt.datetime.now().strftime("%H:%M")
        if result.ok:
            self.verdict.setText(f"\u2714 <b>The log is intact</b>: all {result.entries:,} entries follow one another "
                                 f"unchanged (checked at {when}).")
            self.verdict.setStyleSheet("color: #1b5e20;")
        else:
            self.verdict.setText(
                f"\u2718 <b>The audit log was changed outside DDJ Desktop, at entry {result.broken_seq:,}</b>: "
                f"{html.escape(str(result.problem))}. Entries from there on cannot be trusted. Keep this store file "
                "as it is (do not purge or restore over it), tell your admin, and compare it with your last backup."
            )  # fmt: skip
            self.verdict.setStyleSheet("color: #b00020; background: #fdecea; border: 1px solid #b00020; "
                                       "border-radius: 4px; padding: 6px;")
        self.chain_checked.emit(bool(result.ok))

    # -- export ----------------------------------------------------------------------------------------------
    def export(self) -> None:
        """Ask where, then write what the filters find (on the writer: the export is itself an audit entry)."""
        if self.window_.workspace is None:
            return
        chosen = self.entries.filter_text if isinstance(self.entries.filter_text, AuditFilter) else AuditFilter()
        # A workbook takes ~1 s per 1,000 entries to write (openpyxl), a CSV file a tenth of that: many entries
        # are offered as CSV first.
        big = getattr(self, "found_count", 0) > XLSX_SUGGESTED_UP_TO
        kind = ".csv" if big else ".xlsx"
        suggested = f"audit log {dt.date.today().isoformat()}{kind}"
        kinds = ["Excel workbook (*.xlsx)", "CSV file, quicker for many entries (*.csv)"]
        out = messages().save_file(self, "Export the audit log", suggested, ";;".join(reversed(kinds) if big else kinds))
        if out is None:
            return
        if out.suffix.lower() not in (".xlsx", ".csv"):
            out = out.with_name(out.name + kind)
        ws = self.workspace
        job = self.window_.workers.run(
            lambda progress: ws.export_audit(out, chosen, progress=progress), lambda count: self._exported(out, count),
            title="Exporting the audit log", writes=True, parent=self,
        )  # fmt: skip
        self.window_.follow(job)

    def _exported(self, out: Path, count: int) -> None:
        self.window_.status(f"Wrote {count:,} audit entries to {out.name}. The export is itself in the log.")
        if self.window_.workspace is not None and self.window_.current_page() is self:
            self.refresh()
