"""The first thing a user sees: create a store (first run), or unlock one; and the welcome choice between them.

Opening a store costs a few hundred milliseconds (key derivation, Argon2), short enough to do on the GUI thread
behind a wait cursor; a wrong passphrase keeps the dialog open with a message and an empty field.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.errors import AuthenticationFailed, DdjError, WrongPassphrase
from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.processes import StoreKey
from ddj_desktop.paths import user_data_dir

if TYPE_CHECKING:  # imported when a store is opened, so the first dialog shows sooner (see gui/app.py)
    from ddj_desktop.workspace import Workspace

MIN_PASSPHRASE = 10
DEFAULT_STORE_NAME = "county.ddj"


def passphrase_strength(text: str) -> tuple[str, bool]:
    """A hint on how strong `text` is as a passphrase, and whether it is long enough to accept."""
    words = len(text.split())
    if len(text) < MIN_PASSPHRASE:
        return f"Too short: use at least {MIN_PASSPHRASE} characters; four or more words are best.", False
    if words >= 4 or len(text) >= 20:
        return "Strong: long passphrases are the hardest to guess.", True
    return "Fair: adding a word or two makes it much harder to guess.", True


class _WaitCursor:
    def __enter__(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

    def __exit__(self, *exc: object) -> None:
        QGuiApplication.restoreOverrideCursor()


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


def _problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    label.setAccessibleName("Problem")
    label.hide()
    return label


class CreateStoreDialog(QDialog):
    """A new encrypted store: where, and the passphrase twice. `workspace` holds it once accepted."""

    def __init__(self, parent: QWidget | None = None, location: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create an encrypted store")
        self.workspace: Workspace | None = None
        self.key: StoreKey | None = None  # how worker processes open the same store
        self.location = QLineEdit(str(location or user_data_dir() / DEFAULT_STORE_NAME))
        self.location.setAccessibleName("Store location")
        browse = QPushButton("&Browse...")
        browse.setAccessibleName("Choose where to keep the store")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.location, 1)
        where.addWidget(browse)
        self.passphrase = _password_field("Passphrase")
        self.again = _password_field("Passphrase again")
        self.strength = QLabel()
        self.strength.setAccessibleName("Passphrase strength")
        self.strength.setWordWrap(True)
        warning = QLabel(
            "<b>A lost passphrase cannot be recovered, and neither can the data.</b> Write it down and keep it "
            "where your county keeps its keys."
        )
        warning.setWordWrap(True)
        self.problem = _problem_label()
        form = QFormLayout()
        location_label = QLabel("&Location:")
        location_label.setBuddy(self.location)
        form.addRow(location_label, where)
        form.addRow("&Passphrase:", self.passphrase)
        form.addRow("&Again:", self.again)
        form.addRow("", self.strength)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton("C&reate store", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.create_store)
        self.buttons.rejected.connect(self.reject)
        intro = QLabel("Everything DDJ Desktop imports is kept in one encrypted file, opened with a passphrase.")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(warning)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.passphrase.textChanged.connect(self._check)
        self.again.textChanged.connect(self._check)
        self._check()
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        chosen = messages().save_store(self, Path(self.location.text()))
        if chosen is not None:
            self.location.setText(str(chosen if chosen.suffix else chosen.with_suffix(".ddj")))

    def _check(self) -> None:
        hint, long_enough = passphrase_strength(self.passphrase.text())
        self.strength.setText(hint if self.passphrase.text() else "Four or more words make a strong passphrase.")
        same = self.passphrase.text() == self.again.text()
        self.create_button.setEnabled(long_enough and same)
        if self.again.text() and not same:
            self._problem("The two passphrases differ.")
        else:
            self.problem.hide()

    def _problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()

    def create_store(self) -> None:
        path = Path(self.location.text().strip()).expanduser()
        if not path.suffix:
            path = path.with_suffix(".ddj")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _WaitCursor():
                from ddj_desktop.workspace import Workspace

                self.workspace = Workspace.create(path, self.passphrase.text())
            self.key = StoreKey(self.workspace.path, self.passphrase.text(), self.workspace.user_name)
        except OSError as err:
            self._problem(f"Cannot create the store there: {err.strerror}. Choose another folder.")
            return
        except DdjError as err:
            self._problem(str(err))
            return
        self.accept()


class UnlockDialog(QDialog):
    """The passphrase (and, on a shared store, who you are). `workspace` holds the open store once accepted."""

    def __init__(self, path: Path, parent: QWidget | None = None, *, locked: bool = False) -> None:
        super().__init__(parent)
        self.path = path
        self.workspace: Workspace | None = None
        self.key: StoreKey | None = None  # how worker processes open the same store
        self.setWindowTitle("Unlock the store")
        intro = QLabel(
            ("DDJ Desktop locked itself after a while without use. " if locked else "")
            + f"Enter the passphrase of <b>{path.name}</b>."
        )
        intro.setWordWrap(True)
        where = QLabel(str(path))
        where.setStyleSheet("color: palette(mid);")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.passphrase = _password_field("Passphrase")
        self.user = QLineEdit()
        self.user.setAccessibleName("User name")
        self.user.setPlaceholderText("only if the store has several users")
        self.password = _password_field("Your password")
        self.password.setPlaceholderText("only if the store has several users")
        self.problem = _problem_label()
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase)
        form.addRow("&User:", self.user)
        form.addRow("Pass&word:", self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.unlock_button = self.buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        for button in self.buttons.buttons():
            button.setAutoDefault(False)  # Return in a field unlocks (returnPressed), exactly once
        self.buttons.accepted.connect(self.unlock)
        self.buttons.rejected.connect(self.reject)
        for field in (self.passphrase, self.user, self.password):
            field.returnPressed.connect(self.unlock)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(480, self.sizeHint().height())

    def unlock(self) -> None:
        try:
            with _WaitCursor():
                from ddj_desktop.workspace import Workspace

                self.workspace = Workspace.open(
                    self.path, self.passphrase.text(), user=self.user.text().strip() or None,
                    password=self.password.text() or None,
                )  # fmt: skip
        except WrongPassphrase:
            self._problem("That passphrase does not open this store. Check Caps Lock and try again.")
            self.passphrase.clear()
            self.passphrase.setFocus()
            return
        except AuthenticationFailed as err:
            self._problem(str(err))
            self.password.clear()
            self.password.setFocus()
            return
        except DdjError as err:
            self._problem(str(err))
            return
        self.key = StoreKey(self.path, self.passphrase.text(), self.user.text().strip() or None,
                            self.password.text() or None)
        self.accept()

    def _problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()


class WelcomeDialog(QDialog):
    """First run: create a store, open one, or try the sample county. `choice` says which."""

    CREATE, OPEN, SAMPLE = "create", "open", "sample"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to DDJ Desktop")
        self.choice: str | None = None
        title = QLabel("<h2>Welcome to DDJ Desktop</h2>")
        text = QLabel(
            "DDJ Desktop keeps your agencies' exports in one encrypted file on this computer, links the records "
            "of each person across agencies, and produces lists, forms and reports. Nothing leaves this computer."
        )
        text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(text)
        for choice, label, hint in (
            (self.SAMPLE, "&Try the sample county",
             "A temporary store with eight synthetic agency exports, imported for you. Nothing is kept."),
            (self.CREATE, "&Create a new store", "Start with your county's own data."),
            (self.OPEN, "&Open an existing store...", "A store file someone created before."),
        ):  # fmt: skip
            button = QPushButton(label)
            button.setAccessibleName(label.replace("&", "").rstrip("."))
            button.setMinimumHeight(36)
            button.clicked.connect(lambda _=False, c=choice: self._choose(c))
            note = QLabel(hint)
            note.setWordWrap(True)
            note.setStyleSheet("color: palette(dark); margin-left: 8px; margin-bottom: 6px;")
            layout.addWidget(button)
            layout.addWidget(note)
        self.resize(520, self.sizeHint().height())

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
