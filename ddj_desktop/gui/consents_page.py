"""Forms & consents: the consent register (who may share what with whom, until when) and printing
release-of-information forms for people."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton

from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.models import Column, ListTableModel
from ddj_desktop.gui.pages import Page, fit_columns, note, table_view

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

CONSENT_COLUMNS = (
    Column("Person", lambda c: c.person),
    Column("Status", lambda c: c.status),
    Column("Signed", lambda c: c.signed_on),
    Column("Expires", lambda c: c.expires_on or c.expiry_event or ""),
    Column("Days left", lambda c: c.days_left, align_right=True),
    Column("Form", lambda c: c.form_number or ""),
    Column("Shared with", lambda c: ", ".join(c.receiving), stretch=True),
    Column("Information", lambda c: ", ".join(str(x.get("key", "")) for x in c.categories)),
)


def people_in(text: str) -> list[str]:
    """The person numbers typed into `text` (P000123, 123, separated by commas or spaces)."""
    return [f"P{int(n):06d}" for n in re.findall(r"[Pp]?(\d{1,9})", text)]


class ConsentsPage(Page):
    title = "Forms & consents"
    description = ("Release-of-information forms and the consents people signed: who may share what with whom, "
                   "and until when. Consents that expire soon are marked <i>expiring</i>.")

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.persons = QLineEdit()
        self.persons.setPlaceholderText("P000123, P000456 ...")
        self.persons.setAccessibleName("People to print forms for")
        self.from_list = QPushButton("Use the frequent-utilizer &list")
        self.from_list.clicked.connect(self._use_list)
        self.print_button = QPushButton("&Print forms...")
        self.print_button.clicked.connect(self.print_forms)
        row = QHBoxLayout()
        label = QLabel("Forms &for:")
        label.setBuddy(self.persons)
        row.addWidget(label)
        row.addWidget(self.persons, 1)
        row.addWidget(self.from_list)
        row.addWidget(self.print_button)
        self.layout_.addLayout(row)
        self.county = note("")
        self.county_button = QPushButton("Load county &settings...")
        self.county_button.setAccessibleName("Load the county settings the forms need from a TOML file")
        self.county_button.clicked.connect(self.load_county)
        county_row = QHBoxLayout()
        county_row.addWidget(self.county, 1)
        county_row.addWidget(self.county_button)
        self.layout_.addLayout(county_row)
        self.summary = note("")
        self.layout_.addWidget(self.summary)
        self.consents = ListTableModel(CONSENT_COLUMNS)
        self.view = table_view(self.consents, "Consents")
        self.view.sortByColumn(4, Qt.SortOrder.AscendingOrder)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(note("<span style='color:gray'>Recording a signed consent or a revocation is on the "
                                    "command line for now: <tt>ddj-desktop consents STORE</tt>.</span>"))

    def refresh(self) -> None:
        county = self.workspace.county_settings()
        self.print_button.setEnabled(county is not None)
        if county is None:
            self.county.setText("<b>Forms need the county's settings</b> (county name, partner agencies) first: "
                                "load them from a TOML file (an example is in the <tt>forms/county</tt> folder).")
        else:
            name = getattr(county, "name", None) or getattr(county, "county", None) or "set"
            self.county.setText(f"County settings: {name}.")
        rows = self.workspace.consents()
        self.consents.set_rows(rows)
        fit_columns(self.view, 260)
        expiring = sum(1 for c in rows if c.status == "expiring")
        self.summary.setText(f"{len(rows):,} consents on record" + (f"; <b>{expiring} expiring soon</b>." if expiring
                                                                     else "."))
        utilizers = self.window_.pages.get("Frequent utilizers")
        self.from_list.setEnabled(getattr(utilizers, "result", None) is not None)

    def _use_list(self) -> None:
        result: Any = getattr(self.window_.pages.get("Frequent utilizers"), "result", None)
        if result is not None:
            self.persons.setText(", ".join(f"P{p.person_id:06d}" for p in result.people))

    def load_county(self) -> None:
        files = messages().open_files(self, "County settings", "County settings (*.toml)")
        if not files:
            return
        try:
            text = files[0].read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            self.county.setText(f"Cannot read {files[0].name}: {err}.")
            return
        ws = self.workspace
        self.window_.workers.run(lambda progress: ws.set_county_settings(text), lambda _: self.refresh(),
                                 title="Saving the county settings", writes=True, parent=self)

    def print_forms(self) -> None:
        people = people_in(self.persons.text())
        if not people:
            self.summary.setText("Type the person numbers to print forms for, or use the frequent-utilizer list.")
            return
        out = messages().save_file(self, "Save the forms", "release of information forms.pdf", "PDF (*.pdf)")
        if out is None:
            return
        ws = self.workspace
        self.window_.workers.run(
            lambda progress: ws.roi_forms(people, out=out, progress=progress),
            lambda printed: self.window_.status(f"Printed {len(printed)} forms to {Path(out).name}."),
            title="Printing forms", writes=True, parent=self,
        )  # fmt: skip
