"""Bugs: a rotating log file in the user's log folder and a crash dialog with copyable details.

Neither holds personal data: the log records what the program did (which page, how many rows, which error class
and where), never cell values; a crash report is the traceback, whose lines are source code, not data. Exception
messages of the core never carry names, DOBs or SSNs (errors.py), but a third-party message might, so the log
keeps only the exception's class for anything that is not ours.
"""

from __future__ import annotations

import logging
import logging.handlers
import platform
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop import __version__
from ddj_desktop.errors import DdjError

log = logging.getLogger("ddj_desktop")
LOG_FILE = "ddj-desktop.log"


def setup_logging(folder: Path) -> Path:
    """The log file now written: rotating, 1 MB x 3, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ddj_desktop")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    log.info("DDJ Desktop %s started (Python %s, Qt %s, %s)", __version__, platform.python_version(),
             qVersion(), platform.platform(terse=True))
    return path


def crash_report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """The text of a crash report: versions and the traceback, with a foreign exception's message left out."""
    frames = "".join(traceback.format_tb(tb))
    ours = isinstance(exc, DdjError) or exc_type.__module__.startswith("ddj_desktop")
    headline = f"{exc_type.__name__}: {exc}" if ours else f"{exc_type.__module__}.{exc_type.__name__}"
    return (
        f"DDJ Desktop {__version__}, Python {platform.python_version()}, Qt {qVersion()}, "
        f"{platform.platform(terse=True)}\n\nTraceback (most recent call last):\n{frames}{headline}\n"
    )


class CrashDialog(QDialog):
    """Says that something went wrong in the program (not the user's doing), with a report to copy."""

    def __init__(self, report: str, log_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("DDJ Desktop: something went wrong")
        self.report = report
        text = QLabel(
            "<b>DDJ Desktop ran into a problem it did not expect.</b><br>"
            "Your store is safe: unfinished work was not saved. Please copy the report below and send it to "
            "whoever supports DDJ Desktop in your county. It holds no names or other personal data."
            + (f"<br><br>The log file is {log_file}." if log_file else "")
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(report)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Crash report")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("&Copy report")
        copy.clicked.connect(self.copy_report)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report)


class CrashHandler:
    """sys.excepthook: log the bug and show the crash dialog (once at a time)."""

    def __init__(self, log_file: Path | None) -> None:
        self.log_file = log_file
        self.showing = False
        self.previous = sys.excepthook

    def install(self) -> None:
        sys.excepthook = self

    def uninstall(self) -> None:
        sys.excepthook = self.previous

    def __call__(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        report = crash_report(exc_type, exc, tb)
        log.error("Unexpected error\n%s", report)
        if self.showing or QApplication.instance() is None:
            print(report, file=sys.stderr)
            return
        self.showing = True
        try:
            CrashDialog(report, self.log_file, QApplication.activeWindow()).exec()
        finally:
            self.showing = False
