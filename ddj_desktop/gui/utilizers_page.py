"""Frequent utilizers: pick a rule and a date, see who is on the list and why, export it."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QPushButton

from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.models import Column, ListTableModel
from ddj_desktop.gui.pages import Page, fit_columns, note, table_view
from ddj_desktop.workspace import person_label

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

FIXED_BEFORE = (
    Column("#", lambda p: p.rank, align_right=True),
    Column("Person", lambda p: person_label(p.person_id)),
)
FIXED_AFTER = (
    Column("First", lambda p: p.first_event.isoformat() if p.first_event else ""),
    Column("Latest", lambda p: p.last_event.isoformat() if p.last_event else ""),
    Column("Why on the list", lambda p: p.why(), stretch=True),
)


def _value(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def list_columns(measures: list[str]) -> tuple[Column, ...]:
    """The table's columns for a list whose rule has `measures`."""
    per_measure = tuple(
        Column(m.replace("_", " "), lambda p, m=m: _value(p.values.get(m)), align_right=True) for m in measures
    )
    return (*FIXED_BEFORE, *per_measure, *FIXED_AFTER)


class UtilizersPage(Page):
    title = "Frequent utilizers"
    description = ("Who keeps cycling through jail, the emergency department, EMS and shelters. Pick a rule and "
                   "the day the list is for; each person shows the conditions that put them on it.")

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.rule = QComboBox()
        self.rule.setAccessibleName("Rule")
        self.rule.currentIndexChanged.connect(self._rule_chosen)
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setAccessibleName("List as of")
        self.make_button = QPushButton("&Make the list")
        self.make_button.clicked.connect(self.make_list)
        self.export_button = QPushButton("&Export to Excel...")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_list)
        row = QHBoxLayout()
        rule_label = QLabel("&Rule:")
        rule_label.setBuddy(self.rule)
        as_of_label = QLabel("&As of:")
        as_of_label.setBuddy(self.as_of)
        for widget in (rule_label, self.rule, as_of_label, self.as_of, self.make_button, self.export_button):
            row.addWidget(widget)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.rule_text = note("")
        self.rule_text.setStyleSheet("color: palette(dark);")
        self.layout_.addWidget(self.rule_text)
        self.summary = note("")
        self.summary.setAccessibleName("List summary")
        self.layout_.addWidget(self.summary)
        self.people = ListTableModel(list_columns([]))
        self.view = table_view(self.people, "People on the list")
        self.view.doubleClicked.connect(self._open_person)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(note("<span style='color:gray'>Double-click a person to see all their records on "
                                    "the People page.</span>"))
        self.result: Any = None
        self._templates: list[Any] = []

    def refresh(self) -> None:
        if not self._templates:
            self._templates = self.workspace.utilizer_templates()
            self.rule.blockSignals(True)
            for template in self._templates:
                self.rule.addItem(template.name, template.key)
            self.rule.blockSignals(False)
            self._rule_chosen(0)
            latest = self.workspace.latest_event_date() or dt.date.today()
            self.as_of.setDate(QDate(latest.year, latest.month, latest.day))

    def _rule_chosen(self, index: int) -> None:
        if 0 <= index < len(self._templates):
            template = self._templates[index]
            self.rule_text.setText(html.escape(template.description)
                                   + (f" <i>({html.escape(template.citation)})</i>" if template.citation else ""))

    def _as_of(self) -> dt.date:
        return self.as_of.date().toPython()  # type: ignore[no-any-return]

    def make_list(self) -> None:
        ws, key, as_of = self.workspace, self.rule.currentData(), self._as_of()
        self.make_button.setEnabled(False)
        self.summary.setText("Making the list...")
        self.window_.workers.run(
            lambda progress: ws.utilizer_list(key, as_of), self._listed, title="Making the list", writes=True,
            failed=self._failed, parent=self,
        )  # fmt: skip

    def _failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self.make_button.setEnabled(True)
        self.summary.setText("")
        report_error(err, self)

    def _listed(self, result: Any) -> None:
        self.make_button.setEnabled(True)
        self.result = result
        self.people = ListTableModel(list_columns(list(result.columns)))
        self.view.setModel(self.people)
        self.people.set_rows(result.people)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        fit_columns(self.view, 160)
        warnings = "".join(f"<br><span style='color:#8a5a00'>{html.escape(w)}</span>" for w in result.warnings)
        self.summary.setText(
            f"<b>{len(result.people):,} people</b> on the list as of {result.as_of.isoformat()} "
            f"({result.candidates:,} met the criteria; {result.persons_in_window:,} people had any record from "
            f"{result.window_start.isoformat()}).{warnings}"
        )
        self.export_button.setEnabled(bool(result.people))

    def export_list(self) -> None:
        if self.result is None:
            return
        suggested = f"frequent utilizers {self.result.as_of.isoformat()}.xlsx"
        out = messages().save_file(self, "Export the list", suggested, "Excel workbook (*.xlsx);;CSV (*.csv)")
        if out is None:
            return
        ws, result = self.workspace, self.result
        self.window_.workers.run(
            lambda progress: ws.export_utilizer_list(result, out),
            lambda _: self.window_.status(f"Wrote the list to {Path(out).name}."),
            title="Exporting the list", writes=True, parent=self,
        )  # fmt: skip

    def _open_person(self, index: Any) -> None:
        person = person_label(self.people.row_at(index.row()).person_id)
        page = self.window_.show_page("People")
        page.search.setText(person)  # type: ignore[attr-defined]
        page.run_search()  # type: ignore[attr-defined]
