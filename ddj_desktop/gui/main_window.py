"""The main window: a navigation sidebar, the pages, and a status bar that follows long work."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from ddj_desktop.errors import PermissionDenied
from ddj_desktop.governance import users
from ddj_desktop.gui import settings
from ddj_desktop.gui.audit_page import AuditPage
from ddj_desktop.gui.consents_page import ConsentsPage
from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.pages import HomePage, ImportsPage, MatchingPage, Page
from ddj_desktop.gui.people import PeoplePage
from ddj_desktop.gui.processes import StoreKey
from ddj_desktop.gui.reports_page import ReportsPage
from ddj_desktop.gui.settings_page import SettingsPage
from ddj_desktop.gui.store_dialogs import UnlockDialog
from ddj_desktop.gui.utilizers_page import UtilizersPage
from ddj_desktop.gui.workers import Job, ProgressPanel, Workers
from ddj_desktop.workspace import Workspace

log = logging.getLogger(__name__)

PAGE_ORDER = ("Home", "Sources & imports", "Matching", "People", "Frequent utilizers", "Forms & consents",
              "Reports", "Audit log", "Settings")  # fmt: skip


class IdleLock(QObject):
    """Calls `lock` after `minutes` without a key press or mouse click anywhere in the application."""

    ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.MouseMove})

    def __init__(self, lock: object, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lock)  # type: ignore[arg-type]
        self.set_minutes(minutes)

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        self.timer.setInterval(max(minutes, 0) * 60_000)
        self.restart()

    def restart(self) -> None:
        if self.minutes > 0:
            self.timer.start()
        else:
            self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self.ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(
        self, workspace: Workspace, *, demo: bool = False, log_file: Path | None = None, key: StoreKey | None = None
    ) -> None:
        super().__init__()
        self.workspace: Workspace | None = workspace
        self.store_key = key  # with it, imports and link runs go to a worker process (see gui/processes.py)
        self.demo = demo
        self.log_file = log_file
        self.workers = Workers(self)
        self._lock_pending = False  # Lock was asked for under a running change to the store
        self.setWindowTitle(self._title())
        self.setMinimumSize(QSize(900, 600))

        self.nav = QListWidget()
        self.nav.setAccessibleName("Pages")
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(190)
        self.stack = QStackedWidget()
        self.pages: dict[str, Page] = {}
        built = [HomePage(self), ImportsPage(self), MatchingPage(self), PeoplePage(self), UtilizersPage(self),
                 ConsentsPage(self), ReportsPage(self), AuditPage(self), SettingsPage(self)]  # fmt: skip
        by_title = {p.title: p for p in built}
        for i, title in enumerate(PAGE_ORDER):
            page = by_title[title]
            self.pages[title] = page
            self.stack.addWidget(page)
            item = QListWidgetItem(title)
            item.setToolTip(f"{title} (Ctrl+{i + 1})")
            self.nav.addItem(item)
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, t=title: self.show_page(t))
            self.addAction(action)
        self.nav.currentRowChanged.connect(self._page_chosen)
        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)

        self.progress_panel = ProgressPanel()
        self.message = QLabel()
        self.statusBar().addWidget(self.message, 1)
        self.statusBar().addPermanentWidget(self.progress_panel)
        if demo:
            badge = QLabel(" Sample county: synthetic people, temporary store ")
            badge.setObjectName("demoBadge")
            self.statusBar().addPermanentWidget(badge)

        for text, keys, slot in (("Import files...", "Ctrl+I", self.start_import), ("Lock", "Ctrl+L", self.lock),
                                 ("Quit", "Ctrl+Q", self.close)):  # fmt: skip
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            self.addAction(action)

        self.idle_lock = IdleLock(self.lock, 0 if demo else settings.idle_minutes(), self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle_lock)
        self._restore_state()
        self.nav.setCurrentRow(0)

    def _title(self) -> str:
        name = "sample county" if self.demo else (self.workspace.path.name if self.workspace else "locked")
        return f"DDJ Desktop \u2014 {name}"

    # -- navigation ----------------------------------------------------------------------------------------
    def show_page(self, title: str) -> Page:
        self.nav.setCurrentRow(PAGE_ORDER.index(title))
        return self.pages[title]

    def current_page(self) -> Page:
        return self.pages[PAGE_ORDER[self.stack.currentIndex()]]

    def _page_chosen(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        if not self._lock_pending:  # a page's news ("Council report ready to save") is not the next page's
            self.message.clear()
        self.refresh_page()

    def refresh_page(self) -> None:
        if self.workspace is None:
            return
        page = self.current_page()
        page.show_allowed()
        try:
            if page.needs is not None:
                users.require(self.workspace.role, page.needs)
            page.refresh()
        except PermissionDenied as err:  # a reviewer on the Audit page: say so on the page, not in a crash box
            log.info("Page %s: %s", page.title, err.message)
            page.show_not_allowed(err)

    def status(self, text: str) -> None:
        self.message.setText(text)
        log.info("status: %s", text if len(text) < 200 else text[:200])

    def follow(self, job: Job) -> None:
        self.progress_panel.follow(job)

    # -- import --------------------------------------------------------------------------------------------
    def start_import(self) -> None:
        from ddj_desktop.gui.wizard import ImportWizard  # the wizard module loads only when used

        if self.workspace is None:
            return
        wizard = ImportWizard(self.workspace, self.workers, self, key=self.store_key)
        wizard.finished.connect(lambda _: self.refresh_page())
        wizard.open()
        self.wizard = wizard

    # -- locking -------------------------------------------------------------------------------------------
    def lock(self) -> None:
        """Close the store and ask for the passphrase again; quits if the user cancels.

        Lookups still running (Home's look for pairs to review, a search) are dropped and the window locks at once.
        A change to the store that is running (an import, a link run) is never cut off: the status line says the
        window locks when it ends, and it does."""
        if self.workspace is None:
            return
        writing = self.workers.writing()
        if writing:
            job = writing[0]
            if not self._lock_pending:
                self._lock_pending = True
                job.ended.connect(self._lock_after_work)
            self.status(f"The window locks when \u201c{job.title}\u201d ends (a change to the store is never cut off).")
            return
        for job in list(self.workers.jobs):
            job.discard()  # its answer would be shown to whoever unlocks next: drop it
        path = self.workspace.path
        self.workspace.close()
        self.workspace = None
        self.centralWidget().hide()
        log.info("Locked")
        dialog = UnlockDialog(path, self, locked=True)
        dialog.finished.connect(lambda _: self._unlocked(dialog))
        dialog.open()
        self.unlock_dialog = dialog

    def _lock_after_work(self) -> None:
        def lock() -> None:
            self._lock_pending = False
            self.lock()

        QTimer.singleShot(0, lock)  # after the job's own answer has been handled (it may still use the store)

    def _unlocked(self, dialog: UnlockDialog) -> None:
        if dialog.workspace is None:
            self.close()
            return
        self.workspace = dialog.workspace
        self.store_key = dialog.key if self.store_key is not None else None
        self.centralWidget().show()
        self.idle_lock.restart()
        self.refresh_page()

    # -- state ---------------------------------------------------------------------------------------------
    def _restore_state(self) -> None:
        store = settings.settings()
        geometry = store.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)  # type: ignore[arg-type]
        else:
            self.resize(1200, 780)
        state = store.value("window/state")
        if state is not None:
            self.restoreState(state)  # type: ignore[arg-type]

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.workers.busy():
            if not messages().confirm(self, "Quit DDJ Desktop", "Work is still running. Stop it and quit? "
                                      "Nothing of the unfinished work is kept."):
                event.ignore()
                return
            for job in list(self.workers.jobs):
                job.cancel()
            self.workers.wait(30_000)
        store = settings.settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle_lock)
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None
        event.accept()
        self.closed.emit()
