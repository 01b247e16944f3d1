"""Every message box and file chooser the application shows goes through one `Messages` object, so tests can
replace it with one that records what would have been shown and answers for the user."""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ddj_desktop.errors import DdjError


def error_details(err: BaseException) -> str:
    """The text behind "Show Details": the error's class and traceback (messages never hold personal data)."""
    return "".join(traceback.format_exception(type(err), err, err.__traceback__))


class Messages:
    """Message boxes and file dialogs, shown over `parent`."""

    def error(self, parent: QWidget | None, err: DdjError) -> None:
        """Nothing; shows what went wrong and what to do next, with copyable details."""
        box = QMessageBox(QMessageBox.Icon.Warning, "DDJ Desktop", err.message, QMessageBox.StandardButton.Ok, parent)
        if err.hint:
            box.setInformativeText(err.hint)
        box.setDetailedText(error_details(err))
        box.exec()

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        """Whether the user said yes."""
        answer = QMessageBox.question(parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def open_files(self, parent: QWidget | None, title: str, filter_text: str) -> list[Path]:
        files, _ = QFileDialog.getOpenFileNames(parent, title, "", filter_text)
        return [Path(f) for f in files]

    def save_file(self, parent: QWidget | None, title: str, suggested: str, filter_text: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(parent, title, suggested, filter_text)
        return Path(name) if name else None

    def save_store(self, parent: QWidget | None, suggested: Path) -> Path | None:
        return self.save_file(parent, "Where to keep the store", str(suggested), "DDJ store (*.ddj)")

    def open_store(self, parent: QWidget | None) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(parent, "Open a store", "", "DDJ store (*.ddj);;All files (*)")
        return Path(name) if name else None


_current = Messages()


def messages() -> Messages:
    """The service in use (tests install a fake with `set_messages`)."""
    return _current


def set_messages(service: Messages) -> Messages:
    """The previous service; `service` is used from now on."""
    global _current
    previous, _current = _current, service
    return previous
