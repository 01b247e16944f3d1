"""Users and the store passphrase: add a user, reset a user's password, change your own, change the passphrase.

Each dialog is thin over `Workspace`, which checks the role (only an admin manages users and the passphrase); a
refusal or a wrong current password comes back as a line in the dialog, which stays open. Setting a password
costs one Argon2 hash (~0.1 s), done behind a wait cursor; re-encrypting the store rewrites every page of the file
and runs on the window's writer, with a busy bar, while the dialog keeps the rest of the window out of reach.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.errors import DdjError
from ddj_desktop.gui.store_dialogs import _password_field, _problem_label, _WaitCursor, passphrase_strength
from ddj_desktop.workspace import Workspace

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

MIN_PASSWORD = 8

ROLE_TEXT = {
    "admin": "everything, including users and the store passphrase",
    "analyst": "imports, matching, lists, forms, reports and exports",
    "reviewer": "decides the uncertain matches; sees names and dates of birth, no event details",
    "viewer": "counts and council reports only; no names",
}


def _message(err: DdjError) -> str:
    return err.message + (f" {err.hint}" if err.hint else "")


class _NewSecret(QWidget):
    """A new password or passphrase typed twice, with a hint on its strength; `ok` says whether it will do."""

    def __init__(self, form: QFormLayout, what: str, *, passphrase: bool = False) -> None:
        super().__init__()
        self.passphrase = passphrase
        self.first = _password_field(f"New {what}")
        self.again = _password_field(f"New {what} again")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName(f"How strong the new {what} is")
        first_label = QLabel(f"&New {what}:")
        first_label.setBuddy(self.first)
        again_label = QLabel("&Again:")
        again_label.setBuddy(self.again)
        form.addRow(first_label, self.first)
        form.addRow(again_label, self.again)
        form.addRow("", self.hint)

    def text(self) -> str:
        return self.first.text()

    def check(self) -> tuple[bool, str | None]:
        """Whether the two entries will do, and what is wrong when they differ."""
        text = self.first.text()
        if self.passphrase:
            hint, long_enough = passphrase_strength(text)
            self.hint.setText(hint if text else "Four or more words make a strong passphrase.")
        else:
            long_enough = len(text) >= MIN_PASSWORD
            self.hint.setText(f"At least {MIN_PASSWORD} characters; a few words are easiest to remember."
                              if not long_enough else "Long enough.")
        same = text == self.again.text()
        problem = "The two entries differ." if self.again.text() and not same else None
        return long_enough and same, problem


class _Dialog(QDialog):
    """A form, a red problem line and OK/Cancel; subclasses say what OK does in `apply`."""

    ok_text = "OK"

    def __init__(self, title: str, intro: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.form = QFormLayout()
        self.problem = _problem_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(self.ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setAccessibleName(self.ok_text.replace("&", ""))
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.intro)
        self.layout_.addLayout(self.form)

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.problem)
        self.layout_.addWidget(self.buttons)
        for field in self.findChildren(QLineEdit):
            field.textChanged.connect(self.check)
        self.check()
        self.resize(520, self.sizeHint().height())

    def show_problem(self, text: str | None) -> None:
        if text:
            self.problem.setText(text)
            self.problem.show()
        else:
            self.problem.hide()

    def check(self) -> None:
        """Enable OK when the entries will do."""

    def apply(self) -> None:
        """Do it; accept on success, else show what is wrong and stay open."""


class AddUserDialog(_Dialog):
    """A new user of this store: name, role, first password (admins only; Workspace checks)."""

    ok_text = "&Add user"

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(
            "Add a user",
            "Each person who uses this store signs in with their own name and password; their role decides what "
            "they may see and do, and the audit log names them. They also need the store passphrase.",
            parent,
        )
        self.workspace = workspace
        self.added: str | None = None
        self.name = QLineEdit()
        self.name.setAccessibleName("User name")
        name_label = QLabel("User &name:")
        name_label.setBuddy(self.name)
        self.form.addRow(name_label, self.name)
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        for role, text in ROLE_TEXT.items():
            self.role.addItem(f"{role}: {text}", role)
        self.role.setCurrentIndex(list(ROLE_TEXT).index("reviewer"))
        role_label = QLabel("&Role:")
        role_label.setBuddy(self.role)
        self.form.addRow(role_label, self.role)
        self.password = _NewSecret(self.form, "password")
        self.finish_layout()

    def check(self) -> None:
        ok, problem = self.password.check()
        self.ok.setEnabled(ok and bool(self.name.text().strip()))
        self.show_problem(problem)

    def apply(self) -> None:
        try:
            with _WaitCursor():
                user = self.workspace.add_user(self.name.text().strip(), self.role.currentData(), self.password.text())
        except DdjError as err:
            self.show_problem(_message(err))
            return
        self.added = user.name
        self.accept()


class ResetPasswordDialog(_Dialog):
    """A new password for another user (an admin's job, e.g. when someone forgot theirs)."""

    ok_text = "&Set password"

    def __init__(self, workspace: Workspace, name: str, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Reset the password of {name}",
            f"<b>{name}</b> signs in with this password from now on; their old one stops working. Tell them the "
            "new one in person.",
            parent,
        )
        self.workspace, self.name = workspace, name
        self.password = _NewSecret(self.form, "password")
        self.finish_layout()

    def check(self) -> None:
        ok, problem = self.password.check()
        self.ok.setEnabled(ok)
        self.show_problem(problem)

    def apply(self) -> None:
        try:
            with _WaitCursor():
                self.workspace.set_password(self.password.text(), name=self.name)
        except DdjError as err:
            self.show_problem(_message(err))
            return
        self.accept()


class ChangePasswordDialog(_Dialog):
    """Your own password: the current one first (if you have one), then the new one twice."""

    ok_text = "&Change password"

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        self.has_password = workspace.my_account().has_password
        super().__init__(
            "Change your password",
            "You sign in to this store with your name and this password."
            + ("" if self.has_password else " You have none yet: the store passphrase alone opens the store until "
               "a second user is added."),
            parent,
        )
        self.workspace = workspace
        self.current = _password_field("Current password")
        if self.has_password:
            current_label = QLabel("C&urrent password:")
            current_label.setBuddy(self.current)
            self.form.addRow(current_label, self.current)
        self.password = _NewSecret(self.form, "password")
        self.finish_layout()

    def check(self) -> None:
        ok, problem = self.password.check()
        self.ok.setEnabled(ok and (bool(self.current.text()) or not self.has_password))
        self.show_problem(problem)

    def apply(self) -> None:
        try:
            with _WaitCursor():
                self.workspace.set_password(self.password.text(),
                                            current_password=self.current.text() if self.has_password else None)
        except DdjError as err:
            self.current.clear()  # (before the message: a changed field re-checks and hides it)
            self.current.setFocus()
            self.show_problem(_message(err))
            return
        self.accept()


class ChangePassphraseDialog(_Dialog):
    """Re-encrypt the store under a new passphrase: the current one, the new one twice, then a busy bar."""

    ok_text = "&Change passphrase"

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        assert window.workspace is not None
        size = window.workspace.path.stat().st_size if window.workspace.path.exists() else 0
        super().__init__(
            "Change the store passphrase",
            "Change it when someone who knew it leaves: the old passphrase stops opening this store at once.<br>"
            "<b>A lost passphrase cannot be recovered, and neither can the data.</b> Write the new one down and "
            "keep it where your county keeps its keys. Everyone who uses this store needs the new one.<br>"
            "Backups made earlier keep their old passphrase.",
            parent or window,
        )
        self.window_ = window
        self.size_mb = size / 1_000_000
        self.current = _password_field("Current passphrase")
        current_label = QLabel("C&urrent passphrase:")
        current_label.setBuddy(self.current)
        self.form.addRow(current_label, self.current)
        self.passphrase = _NewSecret(self.form, "passphrase", passphrase=True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # one SQLCipher call rewrites the file: it reports no fraction
        self.busy.setAccessibleName("Re-encrypting the store")
        self.busy.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Re-encryption status")
        self.status.hide()
        self.layout_.addWidget(self.busy)
        self.layout_.addWidget(self.status)
        self.changed = False
        self.finish_layout()

    def check(self) -> None:
        ok, problem = self.passphrase.check()
        same_as_now = bool(self.current.text()) and self.current.text() == self.passphrase.text()
        self.ok.setEnabled(ok and bool(self.current.text()) and not same_as_now)
        self.show_problem("The new passphrase is the same as the current one." if same_as_now else problem)

    def apply(self) -> None:
        window = self.window_
        ws = window.workspace
        if ws is None:
            return
        if window.workers.busy():
            self.show_problem("Other work is still running. Wait for it to finish, then change the passphrase.")
            return
        current, new = self.current.text(), self.passphrase.text()
        self._working(True)
        window.workers.run(
            lambda progress: ws.change_passphrase(new, current_passphrase=current),
            lambda _: self._done(new), title="Re-encrypting the store", writes=True, failed=self._failed,
            parent=self,
        )  # fmt: skip

    def _working(self, working: bool) -> None:
        for widget in (self.current, self.passphrase.first, self.passphrase.again, self.ok,
                       self.buttons.button(QDialogButtonBox.StandardButton.Cancel)):
            widget.setEnabled(not working)
        self.busy.setVisible(working)
        self.status.setVisible(working)
        if working:
            self.show_problem(None)
            self.status.setText(f"Re-encrypting every page of the store ({self.size_mb:,.0f} MB). Keep DDJ Desktop "
                                "open and the computer on until this is done.")
        else:
            self.check()

    def _done(self, new: str) -> None:
        window = self.window_
        if window.store_key is not None:  # worker processes open the store with the new passphrase from now on
            window.store_key = dataclasses.replace(window.store_key, passphrase=new)
        self.changed = True
        self.busy.hide()
        window.status("The store passphrase was changed. The old passphrase no longer opens the store.")
        self.accept()

    def _failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self._working(False)
        if isinstance(err, DdjError):
            self.current.clear()  # (before the message: a changed field re-checks and hides it)
            self.current.setFocus()
            self.show_problem(_message(err))
        else:
            report_error(err, self)

    def reject(self) -> None:
        if self.busy.isVisible():
            return  # the file is being rewritten: it cannot be stopped halfway
        super().reject()
