"""Recording a signed release of information, and its revocation: the form's grid of who may share with whom,
the categories with their dates, the signing and end dates (held to the state's maximum), and how a revocation
was received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.consent.register import REVOCATION_METHODS
from ddj_desktop.errors import DdjError
from ddj_desktop.gui.store_dialogs import _problem_label
from ddj_desktop.workspace import Workspace


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(edit: QDateEdit) -> dt.date:
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


def _footer(dialog: Any, layout: QVBoxLayout, accept: str) -> tuple[QLabel, QPushButton]:
    """The red line saying what to fix, then Cancel beside the button (`accept`) that runs `dialog.submit`."""
    problem = _problem_label()
    problem.show()
    layout.addWidget(problem)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    button = buttons.addButton(accept, QDialogButtonBox.ButtonRole.AcceptRole)
    buttons.accepted.connect(dialog.submit)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return problem, button


def _date_edit(day: dt.date) -> QDateEdit:
    edit = QDateEdit(_qdate(day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class RecordConsentDialog(QDialog):
    """Record a signed form: its number or template, the initialled boxes of the grid, categories, dates."""

    def __init__(self, workspace: Workspace, person: str | None = None, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record a signed release of information")
        self.workspace, self.today = workspace, today or dt.date.today()
        self.county = workspace.county_settings()
        self.templates = {t.id: t for t in workspace.roi_templates()}
        self.recorded: Any = None
        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.form_number = QLineEdit()
        self.form_number.setPlaceholderText("ROI-000012 (printed at the top right of each page)")
        self.form_number.editingFinished.connect(self._look_up_form)
        self.person = QLineEdit(person or "")
        self.person.setPlaceholderText("P000123")
        self.template = QComboBox()
        for t in self.templates.values():
            self.template.addItem(f"{t.id} — version {t.version}", t.id)
        self.template.setCurrentIndex(max(0, self.template.findData(self.county.default_template)))
        self.template.currentIndexChanged.connect(self._template_changed)
        form.addRow("&Form number:", self.form_number)
        form.addRow("&Person:", self.person)
        form.addRow("&Template:", self.template)
        outer.addLayout(form)

        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 0, 0)
        # The grid: rows share, columns receive, as on the paper form.
        grid_box = QGroupBox("Who may share (rows) with whom (columns): tick each box the client initialled")
        grid = QGridLayout(grid_box)
        parties = list(self.county.parties)
        self.pairs: dict[tuple[str, str], QCheckBox] = {}
        for j, column in enumerate(parties):
            head = QLabel(f"<b>{j + 1}</b><br>{column.heading}")
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            head.setWordWrap(True)
            head.setToolTip(column.name)
            grid.addWidget(head, 0, j + 1)
        for i, row in enumerate(parties):
            label = QLabel(f"<b>{i + 1}</b>&nbsp; {row.heading}")
            label.setToolTip(row.name)
            grid.addWidget(label, i + 1, 0)
            for j, column in enumerate(parties):
                if row.key == column.key:
                    grid.addWidget(QLabel("—"), i + 1, j + 1, alignment=Qt.AlignmentFlag.AlignCenter)
                    continue
                box = QCheckBox()
                box.setToolTip(f"{row.name} → {column.name}")
                box.setAccessibleName(f"{row.heading} may share with {column.heading}")
                grid.addWidget(box, i + 1, j + 1, alignment=Qt.AlignmentFlag.AlignCenter)
                self.pairs[(row.key, column.key)] = box
        self.body.addWidget(grid_box)
        self.categories_box = QGroupBox("Information checked, with its dates (blank: all records)")
        self.categories_grid = QGridLayout(self.categories_box)
        self.body.addWidget(self.categories_box)
        self.purposes_box = QGroupBox("Purposes checked")
        self.purposes_layout = QVBoxLayout(self.purposes_box)
        self.body.addWidget(self.purposes_box)

        dates = QFormLayout()
        self.signed = _date_edit(self.today)
        self.signed.setMaximumDate(_qdate(self.today))
        self.signed.dateChanged.connect(self._update_limit)
        self.no_end = QCheckBox("No end date written on the form")
        self.no_end.toggled.connect(lambda on: self.ends.setEnabled(not on))
        self.ends = _date_edit(self.today.replace(year=self.today.year + 1) if (self.today.month, self.today.day)
                               != (2, 29) else self.today + dt.timedelta(days=365))
        ends_widget = QWidget()
        ends_row = QHBoxLayout(ends_widget)
        ends_row.setContentsMargins(0, 0, 0, 0)
        ends_row.addWidget(self.ends)
        ends_row.addWidget(self.no_end)
        ends_row.addStretch(1)
        self.event = QLineEdit()
        self.event.setPlaceholderText("e.g. when I leave the program (optional)")
        self.limit = QLabel("")
        self.limit.setWordWrap(True)
        self.representative = QLineEdit()
        self.authority = QLineEdit()
        self.note = QLineEdit()
        dates.addRow("&Signed on:", self.signed)
        dates.addRow("&Ends on:", ends_widget)
        dates.labelForField(ends_widget).setBuddy(self.ends)
        self.ends.setAccessibleName("Ends on")  # (a buddy names only a sibling; this one sits in a row of its own)
        dates.addRow("", self.limit)
        dates.addRow("Ends at this &event:", self.event)
        dates.addRow("&Representative:", self.representative)
        dates.addRow("Their &authority:", self.authority)
        dates.addRow("&Note:", self.note)
        self.body.addLayout(dates)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll, 1)
        self.problem, self.record_button = _footer(self, outer, "&Record consent")
        self.category_rows: dict[str, tuple[QCheckBox, QLineEdit, QLineEdit]] = {}
        self.purpose_boxes: dict[str, QCheckBox] = {}
        self._template_changed()
        self.resize(900, 760)

    # -- the template's categories and purposes ---------------------------------------------------------------
    def _template_changed(self) -> None:
        template = self.templates[self.template.currentData()]
        for layout in (self.categories_grid, self.purposes_layout):
            while layout.count():
                item = layout.takeAt(0)
                if item.widget():
                    item.widget().deleteLater()
        self.category_rows, self.purpose_boxes = {}, {}
        for i, c in enumerate(template.categories):
            box = QCheckBox(c.label + ("  [42 CFR Part 2]" if c.part2 else ""))
            box.toggled.connect(self._update_limit)
            start, end = QLineEdit(), QLineEdit()
            for edit, what in ((start, "from"), (end, "to")):
                edit.setPlaceholderText(f"{what} YYYY-MM-DD")
                edit.setMinimumWidth(150)
                edit.setAccessibleName(f"{c.key} {what}")
            self.categories_grid.addWidget(box, i, 0)
            self.categories_grid.addWidget(start, i, 1)
            self.categories_grid.addWidget(end, i, 2)
            self.category_rows[c.key] = (box, start, end)
        for p in template.purposes:
            self.purpose_boxes[p.key] = QCheckBox(p.label)
            self.purposes_layout.addWidget(self.purpose_boxes[p.key])
        self.other_purpose = QLineEdit()
        self.other_purpose.setPlaceholderText("Other purpose written on the form (optional)")
        self.purposes_layout.addWidget(self.other_purpose)
        self._update_limit()

    def _look_up_form(self) -> None:
        number = self.form_number.text().strip()
        if not number:
            self.template.setEnabled(True)
            return
        try:
            person, template_id, _version = self.workspace.consent_form(number)
        except DdjError as err:
            self.problem.setText(err.message)
            return
        self.problem.setText("")
        self.person.setText(person)
        index = self.template.findData(template_id)
        if index >= 0:
            self.template.setCurrentIndex(index)
        self.template.setEnabled(False)  # the printed form says which template it was

    def _update_limit(self) -> None:
        """Show the state's maximum for what is ticked, and keep the end date within it."""
        cats = [k for k, (box, _, _) in self.category_rows.items() if box.isChecked()]
        try:
            limit = self.workspace.consent_limit(self.template.currentData(), cats, _day(self.signed))
        except DdjError:
            limit = None
        if limit is None:
            self.limit.setText("")
            self.ends.clearMaximumDate()
            return
        latest, why = limit
        self.limit.setText(f"<span style='color:#555'>State maximum: it ends by <b>{latest}</b> at the latest "
                           f"({why}).</span>")
        self.ends.setMaximumDate(_qdate(latest))

    # -- recording --------------------------------------------------------------------------------------------
    def details(self) -> dict[str, Any]:
        """What the dialog holds, as Workspace.record_consent takes it."""
        cats = [{"key": k, "from": s.text().strip() or None, "to": e.text().strip() or None}
                for k, (box, s, e) in self.category_rows.items() if box.isChecked()]
        purposes = [k for k, box in self.purpose_boxes.items() if box.isChecked()]
        if self.other_purpose.text().strip():
            purposes.append("other:" + self.other_purpose.text().strip())
        form = self.form_number.text().strip() or None
        return dict(
            form=form, template=None if form else self.template.currentData(),
            pairs=[pair for pair, box in self.pairs.items() if box.isChecked()], categories=cats,
            purposes=purposes, signed_on=_day(self.signed).isoformat(),
            expires_on=None if self.no_end.isChecked() else _day(self.ends).isoformat(),
            expiry_event=self.event.text().strip() or None, representative=self.representative.text().strip() or None,
            representative_authority=self.authority.text().strip() or None, artifact=None,
            note=self.note.text().strip() or None,
        )  # fmt: skip

    def submit(self) -> None:
        """Record the consent; on a refusal the dialog stays open and says what to fix."""
        details = self.details()
        if not details["pairs"]:
            self.problem.setText("Tick at least one box of the grid: who may share with whom.")
            return
        try:
            self.recorded = self.workspace.record_consent(self.person.text().strip(), today=self.today, **details)
        except DdjError as err:
            self.problem.setText(err.message + (f" {err.hint}" if err.hint else ""))
            return
        self.accept()


class RevokeConsentDialog(QDialog):
    """Record that a consent was revoked: the day the revocation was received, and how."""

    def __init__(self, workspace: Workspace, consent: Any, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Revoke consent #{consent.id}")
        self.workspace, self.consent, self.today = workspace, consent, today or dt.date.today()
        self.revoked: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            f"Consent <b>#{consent.id}</b> of <b>{consent.person}</b>, signed {consent.signed_on} "
            f"({consent.template_id} {consent.template_version}).<br>A revocation stops sharing from the day it was "
            "received; earlier disclosures stay in the log."))
        form = QFormLayout()
        self.on = _date_edit(self.today)
        self.on.setMaximumDate(_qdate(self.today))
        self.on.setMinimumDate(_qdate(dt.date.fromisoformat(consent.signed_on)))
        self.method = QComboBox()
        self.method.addItems(list(REVOCATION_METHODS))
        self.note = QLineEdit()
        form.addRow("&Received on:", self.on)
        form.addRow("&How:", self.method)
        form.addRow("&Note:", self.note)
        layout.addLayout(form)
        self.problem, self.revoke_button = _footer(self, layout, "&Record revocation")

    def submit(self) -> None:
        try:
            self.revoked = self.workspace.revoke_consent(self.consent.id, on=_day(self.on),
                                                         method=self.method.currentText(),
                                                         note=self.note.text().strip() or None, today=self.today)
        except DdjError as err:
            self.problem.setText(err.message)
            return
        self.accept()


class DiscloseDialog(QDialog):
    """Send a person's records to one party under their consent: the party, the categories, the file; refused
    (and audited) unless an active consent covers them."""

    def __init__(self, workspace: Workspace, consent: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Disclose records of {consent.person}")
        self.workspace, self.consent = workspace, consent
        self.result_: Any = None
        county = workspace.county_settings()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Under consent <b>#{consent.id}</b> ({consent.status}), or any other active consent "
                                f"of {consent.person} that covers it. Records with 42 CFR Part 2 data carry the "
                                "42 CFR 2.32 notice and a copy of the consent."))
        form = QFormLayout()
        self.party = QComboBox()
        for p in county.parties:
            if p.key in {b for _, b in consent.pairs}:
                self.party.addItem(f"{p.name} ({p.key})", p.key)
        form.addRow("&To:", self.party)
        layout.addLayout(form)
        box = QGroupBox("Information to send")
        inner = QVBoxLayout(box)
        self.categories: dict[str, QCheckBox] = {}
        for c in consent.categories:
            self.categories[c["key"]] = QCheckBox(c["key"])
            inner.addWidget(self.categories[c["key"]])
        layout.addWidget(box)
        self.problem, self.send_button = _footer(self, layout, "&Write the disclosure...")

    def submit(self) -> None:
        from ddj_desktop.gui.messages import messages

        categories = [k for k, box in self.categories.items() if box.isChecked()]
        if not categories:
            self.problem.setText("Tick the information to send.")
            return
        out = messages().save_file(self, "Save the disclosure", f"{self.consent.person} to {self.party.currentData()}"
                                   ".pdf", "PDF (*.pdf)")
        if out is None:
            return
        try:
            self.result_ = self.workspace.disclose(self.consent.person, self.party.currentData(), categories, out)
        except DdjError as err:
            self.problem.setText(err.message)
            return
        self.accept()
