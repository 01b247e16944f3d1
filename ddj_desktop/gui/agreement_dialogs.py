"""Data-sharing agreements: record one (parties, purpose, the fields it allows, its period, and optionally the
source it covers), and end one. Thin over Workspace, which checks that the user is an admin and that the agreement
is complete; what is missing comes back as a line in the dialog, which stays open."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from ddj_desktop.errors import DdjError
from ddj_desktop.gui.account_dialogs import _Dialog, _message
from ddj_desktop.gui.audit_page import DayEdit, _day, _qdate
from ddj_desktop.importing.mapping import CANONICAL_FIELDS, FIXED_ATTRIBUTES
from ddj_desktop.workspace import Workspace

# Fields an agreement need not name: the row key always comes, quality codes come with the field they grade.
_IMPLIED = frozenset({"source_key", "name_quality", "dob_quality", "ssn_quality"})


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class AddAgreementDialog(_Dialog):
    """A new data-sharing agreement (admins; Workspace checks). `made` holds it once accepted."""

    ok_text = "&Add agreement"

    def __init__(self, workspace: Workspace, parent: QWidget | None = None, *, today: dt.date | None = None) -> None:
        super().__init__(
            "Add a data-sharing agreement",
            "Record the agreement (MOU) an agency signed. A source tied to it then takes imports only between its "
            "first and last day, and only of the fields it allows; anything else is refused, naming the fields.",
            parent,
        )
        self.workspace = workspace
        self.made: Any = None
        today = today or dt.date.today()
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. hmis-mou-2025")
        self.name.setAccessibleName("Agreement name")
        self.parties = QLineEdit()
        self.parties.setPlaceholderText("e.g. Shelter coalition, County justice services")
        self.parties.setAccessibleName("Parties, separated by commas")
        self.purpose = QLineEdit()
        self.purpose.setPlaceholderText("e.g. frequent-utilizer list for the jail diversion pilot")
        self.purpose.setAccessibleName("Purpose")
        self.fields = QListWidget()
        self.fields.setAccessibleName("Fields the agreement allows (Space ticks one)")
        for field in (*CANONICAL_FIELDS, *FIXED_ATTRIBUTES):
            if field in _IMPLIED:
                continue
            item = QListWidgetItem(field)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.fields.addItem(item)
        self.fields.setFlow(QListView.Flow.TopToBottom)  # in columns, so that all of them show at once
        self.fields.setWrapping(True)
        self.fields.setResizeMode(QListView.ResizeMode.Adjust)
        self.fields.setMinimumHeight(170)
        self.other_fields = QLineEdit()
        self.other_fields.setPlaceholderText("other columns, separated by commas, e.g. Charge Desc")
        self.other_fields.setAccessibleName("Other fields allowed, separated by commas")
        self.starts = DayEdit(_qdate(today))
        self.starts.setCalendarPopup(True)
        self.starts.setDisplayFormat("yyyy-MM-dd")
        self.starts.setAccessibleName("First day")
        self.has_end = QCheckBox("&Ends on:")
        self.has_end.setAccessibleName("The agreement has a last day")
        self.ends = DayEdit(_qdate(today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29)
                                   else today + dt.timedelta(days=365)))
        self.ends.setCalendarPopup(True)
        self.ends.setDisplayFormat("yyyy-MM-dd")
        self.ends.setAccessibleName("Last day")
        self.ends.setEnabled(False)
        self.has_end.toggled.connect(self.ends.setEnabled)
        self.source = QComboBox()
        self.source.setAccessibleName("Source it covers")
        self.source.addItem("none for now", None)
        for source in workspace.sources():
            self.source.addItem(f"{source.name} ({source.display_name})", source.name)
        period = QHBoxLayout()
        period.addWidget(self.starts)
        period.addSpacing(12)
        period.addWidget(self.has_end)
        period.addWidget(self.ends)
        period.addStretch(1)
        for text, widget in (("&Name:", self.name), ("&Parties:", self.parties), ("P&urpose:", self.purpose),
                             ("&Fields allowed:", self.fields), ("&Other fields:", self.other_fields)):
            label = QLabel(text)
            label.setBuddy(widget)
            self.form.addRow(label, widget)
        self.form.addRow("", QLabel("The row key is always allowed; a quality code comes with the field it grades."))
        first = QLabel("First &day:")
        first.setBuddy(self.starts)
        self.form.addRow(first, period)
        source_label = QLabel("&Covers source:")
        source_label.setBuddy(self.source)
        self.form.addRow(source_label, self.source)
        self.finish_layout()
        self.resize(620, self.sizeHint().height())

    def chosen_fields(self) -> list[str]:
        ticked = [self.fields.item(i).text() for i in range(self.fields.count())
                  if self.fields.item(i).checkState() == Qt.CheckState.Checked]
        return ticked + _split(self.other_fields.text())

    def check(self) -> None:
        self.ok.setEnabled(bool(self.name.text().strip()))

    def apply(self) -> None:
        try:
            self.made = self.workspace.add_agreement(
                self.name.text(), parties=_split(self.parties.text()), purpose=self.purpose.text(),
                fields=self.chosen_fields(), starts_on=_day(self.starts),
                ends_on=_day(self.ends) if self.has_end.isChecked() else None,
            )  # fmt: skip
            source = self.source.currentData()
            if source:
                self.workspace.tie_agreement(source, self.made.name)
        except DdjError as err:
            self.show_problem(_message(err))
            return
        self.accept()


class EndAgreementDialog(_Dialog):
    """End an agreement on a day (its last day): later imports into its sources are refused. Admins."""

    ok_text = "&End agreement"

    def __init__(self, workspace: Workspace, agreement: Any, parent: QWidget | None = None, *,
                 today: dt.date | None = None) -> None:
        covers = ", ".join(agreement.sources) or "no source yet"
        super().__init__(
            f"End agreement {agreement.name}",
            f"<b>{agreement.name}</b> ({', '.join(agreement.parties)}) covers {covers}. After the last day you give, "
            "imports into those sources are refused; what was imported before stays, under its retention.",
            parent,
        )
        self.workspace = workspace
        self.agreement = agreement
        self.ended: Any = None
        self.last_day = DayEdit(_qdate(today or dt.date.today()))
        self.last_day.setCalendarPopup(True)
        self.last_day.setDisplayFormat("yyyy-MM-dd")
        self.last_day.setAccessibleName("Last day of the agreement")
        self.note = QLineEdit()
        self.note.setPlaceholderText("e.g. not renewed by the shelter coalition")
        self.note.setAccessibleName("Why it ended")
        last = QLabel("&Last day:")
        last.setBuddy(self.last_day)
        why = QLabel("&Why:")
        why.setBuddy(self.note)
        self.form.addRow(last, self.last_day)
        self.form.addRow(why, self.note)
        self.finish_layout()

    def apply(self) -> None:
        try:
            self.ended = self.workspace.end_agreement(self.agreement.name, on=_day(self.last_day),
                                                      note=self.note.text() or None)
        except DdjError as err:
            self.show_problem(_message(err))
            return
        self.accept()
