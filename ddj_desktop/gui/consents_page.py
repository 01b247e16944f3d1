"""Forms & consents: the consent register (who may share what with whom, until when) and printing
release-of-information forms for people."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton

from ddj_desktop.gui.consent_dialogs import DiscloseDialog, RecordConsentDialog, RevokeConsentDialog
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
    Column("Who may share with whom", lambda c: ", ".join(f"{a}→{b}" for a, b in c.pairs), stretch=True),
    Column("Information", lambda c: ", ".join(str(x.get("key", "")) for x in c.categories)),
)


D = TypeVar("D", bound=QDialog)


def _open(dialog: D, done: Callable[[D], None]) -> D:
    """`dialog` shown (window-modal); `done(dialog)` once it is accepted."""
    dialog.finished.connect(lambda result: done(dialog) if result == QDialog.DialogCode.Accepted else None)
    dialog.open()
    return dialog


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
        actions = QHBoxLayout()
        self.record_button = QPushButton("&Record a signed form...")
        self.record_button.clicked.connect(lambda: self.record_consent())
        self.revoke_button = QPushButton("Re&voke...")
        self.revoke_button.setToolTip("Record that the selected consent was revoked (in writing)")
        self.revoke_button.clicked.connect(self.revoke_selected)
        self.disclose_button = QPushButton("&Disclose...")
        self.disclose_button.setToolTip("Send the person's records to a party, under the selected consent")
        self.disclose_button.clicked.connect(self.disclose_selected)
        self.expiring_only = QCheckBox("Only those &expiring soon")
        self.expiring_only.toggled.connect(self.refresh)
        for widget in (self.record_button, self.revoke_button, self.disclose_button, self.expiring_only):
            actions.addWidget(widget)
        actions.addStretch(1)
        self.layout_.addLayout(actions)
        self.consents = ListTableModel(CONSENT_COLUMNS)
        self.view = table_view(self.consents, "Consents")
        self.view.sortByColumn(4, Qt.SortOrder.AscendingOrder)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.layout_.addWidget(self.view, 1)

    def refresh(self) -> None:
        county = self.workspace.county_settings()
        self.print_button.setEnabled(county is not None)
        if county is None:
            self.county.setText("<b>Forms need the county's settings</b> (county name, partner agencies) first: "
                                "load them from a TOML file (an example is in the <tt>forms/county</tt> folder).")
        else:
            name = getattr(county, "name", None) or getattr(county, "county", None) or "set"
            self.county.setText(f"County settings: {name}.")
        self.record_button.setEnabled(county is not None)
        rows = self.workspace.consents()
        expiring = [c for c in rows if c.status == "expiring"]
        self.consents.set_rows(expiring if self.expiring_only.isChecked() else rows)
        fit_columns(self.view, 260)
        soon = (f"; <b>{len(expiring)} expiring soon</b>: "
                + ", ".join(f"{c.person} (#{c.id}) ends {c.expires_on}" for c in expiring[:5])
                + (" …" if len(expiring) > 5 else "") + "." if expiring else ".")
        self.summary.setText(f"{len(rows):,} consents on record" + soon)
        self._update_buttons()
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

    def selected_consent(self) -> Any:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.consents.row_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected_consent()
        self.revoke_button.setEnabled(chosen is not None and chosen.status not in ("revoked",))
        self.disclose_button.setEnabled(chosen is not None and chosen.status in ("active", "expiring"))

    def record_consent(self, person: str | None = None) -> RecordConsentDialog:
        """The dialog recording a signed form (of `person`), shown; the list is refreshed once it is recorded."""
        return _open(RecordConsentDialog(self.workspace, person, self), self._recorded)

    def _recorded(self, dialog: RecordConsentDialog) -> None:
        info = dialog.recorded
        self.refresh()
        self.window_.status(f"Recorded consent #{info.id} for {info.person}, ends {info.expires_on or info.expiry_event}."
                            + (" " + " ".join(info.notes) if info.notes else ""))

    def revoke_selected(self) -> RevokeConsentDialog | None:
        consent = self.selected_consent()
        if consent is None:
            return None
        return _open(RevokeConsentDialog(self.workspace, consent, self), self._revoked)

    def _revoked(self, dialog: RevokeConsentDialog) -> None:
        self.refresh()
        info = dialog.revoked
        self.window_.status(f"Consent #{info.id} of {info.person} revoked from {info.revoked_on} "
                            f"({info.revocation_method}).")

    def disclose_selected(self) -> DiscloseDialog | None:
        consent = self.selected_consent()
        if consent is None:
            return None
        return _open(DiscloseDialog(self.workspace, consent, self), self._disclosed)

    def _disclosed(self, dialog: DiscloseDialog) -> None:
        r = dialog.result_
        notice = " with the 42 CFR 2.32 notice" if r.part2 else ""
        self.window_.status(f"Wrote {r.records} records of {r.person} for {r.party} to {r.file.name}{notice}.")
