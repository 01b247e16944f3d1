"""Settings: this computer's idle lock and log, your own password, the store passphrase, and (admins) the users.

What a role may not do is said on the page, not found out by pressing a button: the buttons an analyst, reviewer
or viewer cannot use are disabled and a line says who can. Workspace still checks every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.errors import DdjError
from ddj_desktop.gui import settings
from ddj_desktop.gui.account_dialogs import (
    ROLE_TEXT,
    AddUserDialog,
    ChangePassphraseDialog,
    ChangePasswordDialog,
    ResetPasswordDialog,
)
from ddj_desktop.gui.agreement_dialogs import AddAgreementDialog, EndAgreementDialog
from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.models import Column, ListTableModel
from ddj_desktop.gui.pages import Page, fit_columns, note, table_view
from ddj_desktop.workspace import SourceInfo, UserInfo

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

USER_COLUMNS = (
    Column("Name", lambda u: u.name),
    Column("Role", lambda u: u.role),
    Column("Password", lambda u: "set" if u.has_password else "none yet"),
    Column("Active", lambda u: u.active),
    Column("May", lambda u: ROLE_TEXT.get(u.role, ""), stretch=True),
)

AGREEMENT_COLUMNS = (
    Column("Agreement", lambda a: a.name),
    Column("Status", lambda a: a.status),
    Column("First day", lambda a: a.starts_on),
    Column("Last day", lambda a: a.ends_on or "open-ended"),
    Column("Sources", lambda a: ", ".join(a.sources) or "none"),
    Column("Parties", lambda a: ", ".join(a.parties)),
    Column("Purpose", lambda a: a.purpose),
    Column("Fields allowed", lambda a: ", ".join(a.fields_allowed), stretch=True),
)


def retention_text(years: int | None) -> str:
    return "until purged by hand" if years is None else f"{years} year{'s' if years != 1 else ''}"


SOURCE_COLUMNS = (
    Column("Source", lambda s: s.name),
    Column("Name", lambda s: s.display_name),
    Column("Records", lambda s: s.records, align_right=True),
    Column("Agreement", lambda s: s.agreement or "none"),
    Column("Keeps records", lambda s: retention_text(s.retention_years), stretch=True),
)


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row


class SettingsPage(Page):
    title = "Settings"

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 8, 0)
        column.setSpacing(14)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.layout_.addWidget(scroll, 1)

        # -- this computer
        computer = QGroupBox("This computer")
        form = QFormLayout(computer)
        self.idle = QSpinBox()
        self.idle.setRange(0, 240)
        self.idle.setSuffix(" minutes without use")
        self.idle.setSpecialValueText("never")
        self.idle.setAccessibleName("Lock after minutes without use")
        self.idle.setValue(settings.idle_minutes())
        self.idle.valueChanged.connect(self._idle_changed)
        idle_label = QLabel("&Lock after:")
        idle_label.setBuddy(self.idle)
        lock = QPushButton("Loc&k now")
        lock.setToolTip("Lock now (Ctrl+L)")
        lock.clicked.connect(window.lock)
        idle_row = _row(self.idle, lock)
        form.addRow(idle_label, idle_row)
        self.log = QLabel()
        self.log.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log.setAccessibleName("Log file")
        form.addRow("Log file:", self.log)
        form.addRow(note("The log holds what the program did and any errors, never names or other personal "
                         "data. Send it with a bug report."))
        column.addWidget(computer)

        # -- your account
        account = QGroupBox("Your account")
        form = QFormLayout(account)
        self.user = QLabel()
        self.user.setAccessibleName("Signed in as")
        form.addRow("Signed in as:", self.user)
        self.password_button = QPushButton("Change my &password...")
        self.password_button.clicked.connect(self.change_password)
        form.addRow("", _row(self.password_button))
        column.addWidget(account)

        # -- the store
        store = QGroupBox("Store")
        form = QFormLayout(store)
        self.store = QLabel()
        self.store.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.store.setWordWrap(True)
        self.store.setAccessibleName("Store file")
        form.addRow("File:", self.store)
        self.passphrase_button = QPushButton("C&hange the store passphrase...")
        self.passphrase_button.clicked.connect(self.change_passphrase)
        self.backup_button = QPushButton("&Back up the store...")
        self.backup_button.setToolTip("Write an encrypted copy of the store (same passphrase), for example to a USB drive")
        self.backup_button.clicked.connect(self.backup)
        form.addRow("", _row(self.passphrase_button, self.backup_button))
        self.passphrase_note = note("")
        form.addRow(self.passphrase_note)
        column.addWidget(store)

        # -- users
        people = QGroupBox("Users of this store")
        box = QVBoxLayout(people)
        self.users_note = note("")
        box.addWidget(self.users_note)
        self.users = ListTableModel(USER_COLUMNS)
        self.users_view = table_view(self.users, "Users of this store", sortable=False)
        self.users_view.setMinimumHeight(150)
        self.users_view.selectionModel().selectionChanged.connect(self._update_buttons)
        box.addWidget(self.users_view)
        self.add_button = QPushButton("&Add a user...")
        self.add_button.clicked.connect(self.add_user)
        self.reset_button = QPushButton("&Reset password...")
        self.reset_button.setAccessibleName("Reset the password of the selected user")
        self.reset_button.clicked.connect(self.reset_password)
        # someone changes jobs or leaves: another role, or no more signing in (their name stays in the audit log)
        self.role = QComboBox()
        self.role.setAccessibleName("Role of the selected user")
        for role, text in ROLE_TEXT.items():
            self.role.addItem(role, role)
            self.role.setItemData(self.role.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.role_button = QPushButton("Set r&ole")
        self.role_button.setAccessibleName("Give the selected user the chosen role")
        self.role_button.clicked.connect(self.set_role)
        self.active_button = QPushButton("Deac&tivate")
        self.active_button.setAccessibleName("Deactivate or reactivate the selected user")
        self.active_button.clicked.connect(self.toggle_active)
        box.addLayout(_row(self.add_button, self.reset_button, self.role, self.role_button, self.active_button))
        column.addWidget(people)

        # -- data-sharing agreements
        agreements = QGroupBox("Data-sharing agreements")
        box = QVBoxLayout(agreements)
        box.addWidget(note("A source tied to an agreement takes imports only between the agreement's first and last "
                           "day, and only of the fields it allows; anything else is refused, naming the fields."))
        self.agreements = ListTableModel(AGREEMENT_COLUMNS)
        self.agreements_view = table_view(self.agreements, "Data-sharing agreements", sortable=False)
        self.agreements_view.setMinimumHeight(110)
        self.agreements_view.selectionModel().selectionChanged.connect(self._update_buttons)
        box.addWidget(self.agreements_view)
        self.add_agreement_button = QPushButton("Add an a&greement...")
        self.add_agreement_button.setAccessibleName("Add a data-sharing agreement")
        self.add_agreement_button.clicked.connect(self.add_agreement)
        self.end_agreement_button = QPushButton("E&nd agreement...")
        self.end_agreement_button.setAccessibleName("End the selected agreement")
        self.end_agreement_button.clicked.connect(self.end_agreement)
        self.agreements_note = note("")
        box.addLayout(_row(self.add_agreement_button, self.end_agreement_button))
        box.addWidget(self.agreements_note)
        column.addWidget(agreements)

        # -- each source's agreement and retention
        sources = QGroupBox("Sources: agreement and how long records are kept")
        box = QVBoxLayout(sources)
        box.addWidget(note("A source's records are kept this many years after they were imported or last changed; "
                           "then <b>Purge</b> (command line: <i>ddj-desktop purge</i>) deletes them for good."))
        self.sources = ListTableModel(SOURCE_COLUMNS)
        self.sources_view = table_view(self.sources, "Sources, their agreement and retention", sortable=False)
        self.sources_view.setMinimumHeight(130)
        self.sources_view.selectionModel().selectionChanged.connect(self._source_selected)
        box.addWidget(self.sources_view)
        self.source_agreement = QComboBox()
        self.source_agreement.setAccessibleName("Agreement of the selected source")
        self.source_agreement.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_agreement.setMinimumContentsLength(24)
        self.retention = QSpinBox()
        self.retention.setRange(0, 100)
        self.retention.setSpecialValueText("until purged by hand")
        self.retention.setSuffix(" years")
        self.retention.setAccessibleName("Years the selected source's records are kept")
        self.save_source_button = QPushButton("&Save for this source")
        self.save_source_button.setAccessibleName("Save the agreement and retention of the selected source")
        self.save_source_button.clicked.connect(self.save_source)
        agreement_label = QLabel("Falls &under:")
        agreement_label.setBuddy(self.source_agreement)
        keep_label = QLabel("Keep recor&ds:")
        keep_label.setBuddy(self.retention)
        box.addLayout(_row(agreement_label, self.source_agreement, keep_label, self.retention,
                           self.save_source_button))
        self.sources_note = note("")
        box.addWidget(self.sources_note)
        column.addWidget(sources)
        column.addStretch(1)

    # -- showing ---------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        ws = self.workspace
        demo = "  (sample county, temporary)" if self.window_.demo else ""
        self.store.setText(str(ws.path) + demo)
        self.log.setText(str(self.window_.log_file or "not written (tests)"))
        me = ws.my_account()
        self.user.setText(f"<b>{me.name}</b>, role <b>{me.role}</b> ({ROLE_TEXT.get(me.role, '')})."
                          + ("" if me.has_password else " No password of your own yet."))
        admin = ws.may("manage_users")
        self.passphrase_button.setEnabled(ws.may("change_passphrase"))
        self.backup_button.setEnabled(ws.may("backup"))
        self.passphrase_note.setText(
            "Change it when someone who knew it leaves. Everyone who uses this store then needs the new one."
            if ws.may("change_passphrase") else
            f"Only an admin can change the store passphrase; you are signed in as {me.role}."
        )  # fmt: skip
        self.users_view.setVisible(admin)
        for control in (self.add_button, self.reset_button, self.role, self.role_button, self.active_button):
            control.setVisible(admin)
        if admin:
            rows: list[UserInfo] = ws.users()
            self.users.set_rows(rows)
            fit_columns(self.users_view)
            self.users_note.setText(
                "Everyone signs in with their own name and password once a second user exists; their role decides "
                "what they may see and do, and the audit log names them."
            )
        else:
            self.users.set_rows([])
            self.users_note.setText(f"Only an admin sees and manages the users; you are signed in as {me.role}. "
                                    "Ask an admin to add a user or reset a password.")
        self._show_governance(me.role)
        self._update_buttons()

    def _show_governance(self, role: str) -> None:
        ws = self.workspace
        agreements = ws.agreements()
        self.agreements.set_rows(agreements)
        fit_columns(self.agreements_view, 200)
        chosen = self.selected_source()
        self.sources.set_rows(ws.sources())
        fit_columns(self.sources_view, 260)
        self.source_agreement.clear()
        self.source_agreement.addItem("no agreement", None)
        for agreement in agreements:
            self.source_agreement.addItem(f"{agreement.name} ({agreement.status})", agreement.name)
        self.agreements_note.setText(
            "" if ws.may("manage_agreements") else
            f"Only an admin adds or ends agreements; you are signed in as {role}."
        )  # fmt: skip
        self.sources_note.setText(
            "Select a source, then choose its agreement and retention." if ws.may("manage_retention") else
            f"Only an admin changes a source's agreement or retention; you are signed in as {role}."
        )  # fmt: skip
        rows = [s.name for s in self.sources.rows]
        if chosen is not None and chosen.name in rows:
            self.sources_view.selectRow(rows.index(chosen.name))
        self._source_selected()

    def selected_user(self) -> UserInfo | None:
        rows = self.users_view.selectionModel().selectedRows()
        return self.users.row_at(rows[0].row()) if rows else None

    def selected_agreement(self) -> object | None:
        rows = self.agreements_view.selectionModel().selectedRows()
        return self.agreements.row_at(rows[0].row()) if rows else None

    def selected_source(self) -> SourceInfo | None:
        rows = self.sources_view.selectionModel().selectedRows()
        return self.sources.row_at(rows[0].row()) if rows else None

    def _source_selected(self) -> None:
        source = self.selected_source()
        if source is not None:
            self.source_agreement.setCurrentIndex(max(self.source_agreement.findData(source.agreement), 0))
            self.retention.setValue(source.retention_years or 0)
        admin = self.workspace.may("manage_agreements") and self.workspace.may("manage_retention")
        for control in (self.source_agreement, self.retention, self.save_source_button):
            control.setEnabled(admin and source is not None)

    def _update_buttons(self) -> None:
        agreement = self.selected_agreement()
        may_agree = self.workspace.may("manage_agreements")
        self.add_agreement_button.setEnabled(may_agree)
        self.end_agreement_button.setEnabled(may_agree and agreement is not None
                                             and getattr(agreement, "status", "") != "ended")
        selected = self.selected_user()
        self.reset_button.setEnabled(selected is not None and selected.name != self.workspace.user_name)
        self.reset_button.setToolTip("Your own password: Change my password, above." if selected is not None
                                     and selected.name == self.workspace.user_name else "")
        for control in (self.role, self.role_button, self.active_button):
            control.setEnabled(selected is not None)
        if selected is not None:
            self.role.setCurrentIndex(max(self.role.findData(selected.role), 0))
            self.active_button.setText("Reac&tivate" if not selected.active else "Deac&tivate")

    def set_role(self) -> None:
        """Give the selected user the role chosen beside the button."""
        user, role = self.selected_user(), self.role.currentData()
        if user is None or role == user.role:
            return
        self._change_user(user.name, f"{user.name} is now {role}.", role=role)

    def toggle_active(self) -> None:
        """Deactivate the selected user (asked first: they can no longer sign in), or reactivate them."""
        user = self.selected_user()
        if user is None:
            return
        if user.active and not messages().confirm(
                self, "Deactivate user", f"Deactivate {user.name}? They can no longer sign in; their name stays in "
                "the audit log. When someone leaves, also change the store passphrase."):
            return
        self._change_user(user.name, f"{user.name} is {'inactive' if user.active else 'active again'}.",
                          active=not user.active)

    def _change_user(self, name: str, done: str, **change: object) -> None:
        try:
            self.workspace.change_user(name, **change)  # type: ignore[arg-type]
        except DdjError as err:
            messages().error(self, err)
            return
        self._changed(done)
        rows = [u.name for u in self.users.rows]
        if name in rows:
            self.users_view.selectRow(rows.index(name))

    # -- doing -----------------------------------------------------------------------------------------------
    def add_user(self) -> AddUserDialog:
        dialog = AddUserDialog(self.workspace, self)
        dialog.accepted.connect(lambda: self._changed("The user was added. Tell them their password in person; "
                                                      "they also need the store passphrase."))
        dialog.open()
        return dialog

    def reset_password(self) -> ResetPasswordDialog | None:
        user = self.selected_user()
        if user is None:
            return None
        dialog = ResetPasswordDialog(self.workspace, user.name, self)
        dialog.accepted.connect(lambda: self._changed("The new password was set."))
        dialog.open()
        return dialog

    def change_password(self) -> ChangePasswordDialog:
        dialog = ChangePasswordDialog(self.workspace, self)
        dialog.accepted.connect(lambda: self._changed("Your password was changed. Use it the next time you unlock."))
        dialog.open()
        return dialog

    def change_passphrase(self) -> ChangePassphraseDialog:
        dialog = ChangePassphraseDialog(self.window_, self)
        dialog.open()
        return dialog

    def backup(self) -> None:
        """Ask where, then write an encrypted, checked copy of the store there on a worker (as `ddj-desktop
        backup` does)."""
        import datetime as dt

        ws = self.workspace
        suggested = f"{ws.path.stem}-backup-{dt.date.today().isoformat()}{ws.path.suffix}"
        path = messages().save_file(self, "Back up the store", suggested, "DDJ stores (*.ddj);;All files (*)")
        if path is None:
            return
        self.backup_button.setEnabled(False)

        def done(written: object) -> None:
            self.backup_button.setEnabled(True)
            self._changed(f"Backup written and checked: {written}. It opens with the store's passphrase.")

        def failed(err: BaseException) -> None:
            self.backup_button.setEnabled(True)
            from ddj_desktop.gui.workers import report_error

            report_error(err, self)

        job = self.window_.workers.run(lambda progress: ws.backup(path), done, title="Backing up the store",
                                       writes=True, failed=failed, parent=self)  # (audited: a write)
        self.window_.progress_panel.follow(job)

    def add_agreement(self) -> AddAgreementDialog:
        dialog = AddAgreementDialog(self.workspace, self)
        dialog.accepted.connect(lambda: self._changed(f"Agreement {dialog.made.name} was added."))
        dialog.open()
        return dialog

    def end_agreement(self) -> EndAgreementDialog | None:
        agreement = self.selected_agreement()
        if agreement is None:
            return None
        dialog = EndAgreementDialog(self.workspace, agreement, self)
        dialog.accepted.connect(lambda: self._changed(
            f"Agreement {dialog.ended.name} ends on {dialog.ended.ends_on}; imports into its sources after that "
            "day are refused."))
        dialog.open()
        return dialog

    def save_source(self) -> None:
        """Tie the selected source to the chosen agreement and set its retention (each only if it changed)."""
        source = self.selected_source()
        if source is None:
            return
        agreement, years = self.source_agreement.currentData(), self.retention.value() or None
        try:
            if agreement != source.agreement:
                self.workspace.tie_agreement(source.name, agreement)
            if years != source.retention_years:
                self.workspace.set_retention(source.name, years)
        except DdjError as err:
            messages().error(self, err)
            self.refresh()
            return
        self._changed(f"{source.name} now falls under {agreement or 'no agreement'} and keeps records "
                      f"{retention_text(years)}.")

    def _changed(self, text: str) -> None:
        self.window_.status(text)
        self.refresh()

    def _idle_changed(self, minutes: int) -> None:
        settings.set_idle_minutes(minutes)
        self.window_.idle_lock.set_minutes(minutes)
