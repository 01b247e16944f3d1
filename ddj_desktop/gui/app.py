"""The desktop application: bootstrap (fonts, high DPI, log file, crash dialog), then unlock or create a store,
or open the sample county, and show the main window. `ddj_desktop.cli` calls `main(argv)`."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ddj_desktop import __version__
from ddj_desktop.gui import settings
from ddj_desktop.gui.crash import CrashHandler, setup_logging
from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.processes import StoreKey, call_in_process
from ddj_desktop.gui.store_dialogs import CreateStoreDialog, UnlockDialog, WelcomeDialog
from ddj_desktop.gui.workers import WorkerProgress, Workers, report_error
from ddj_desktop.paths import data_dir, user_log_dir

if TYPE_CHECKING:  # the main window (and the store's modules under it) load once the first dialog is up
    from ddj_desktop.gui.main_window import MainWindow

log = logging.getLogger(__name__)
FONT_FAMILY = "DejaVu Sans"
STYLE = """
QListWidget#navigation { border: none; background: palette(window); padding-top: 12px; font-size: 11pt; }
QListWidget#navigation::item { padding: 7px 14px; border-radius: 4px; margin: 1px 8px; }
QListWidget#navigation::item:selected { background: #1f5fa8; color: white; }
QFrame#figure { background: palette(base); border: 1px solid palette(mid); border-radius: 6px; }
QLabel#demoBadge { background: #fff3cd; color: #5c4400; border-radius: 3px; }
"""


def register_fonts() -> list[str]:
    """The font families now available from the bundled DejaVu files (names like Núñez and Ďurková render)."""
    families: list[str] = []
    try:
        folder = data_dir("resources") / "fonts"
    except FileNotFoundError:
        return families
    for path in sorted(folder.glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            families.extend(QFontDatabase.applicationFontFamilies(font_id))
    return sorted(set(families))


def make_application(argv: Sequence[str]) -> QApplication:
    """The QApplication, set up once: high DPI, names for QSettings, bundled fonts, style."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName(settings.ORGANIZATION)
    QCoreApplication.setApplicationName(settings.APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication([sys.argv[0] if sys.argv else "ddj-desktop", *argv])
    apply_look(app)
    return app


def apply_look(app: QApplication) -> None:
    app.setWindowIcon(QIcon(str(data_dir("resources") / "icons" / "ddj-desktop.png")))
    # Linux desktops match the window to ddj-desktop.desktop (installer/linux) by this name: its icon and name.
    QGuiApplication.setDesktopFileName("ddj-desktop")
    if FONT_FAMILY in register_fonts():
        font = QFont(FONT_FAMILY)
        font.setPointSizeF(max(app.font().pointSizeF(), 9.5))
        app.setFont(font)
    app.setStyleSheet(STYLE)


class DemoLoader(QWidget):
    """A small window with a progress bar while the sample county is built on a worker."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("DDJ Desktop \u2014 sample county")
        self.label = QLabel("Building the sample county: a temporary encrypted store with eight agency exports...")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setAccessibleName("Progress")
        self.cancel = QPushButton("Cancel")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(480, 140)

    def show_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(1000 * fraction))
        if message:
            self.label.setText(message)


def build_demo(folder: Path, progress: WorkerProgress):  # type: ignore[no-untyped-def]
    """The sample county, imported (and linked, when this build can link) in `folder`."""
    from ddj_desktop import demo

    result = demo.build_sample_county(folder, progress)
    try:
        if result.workspace.county_settings() is None:  # the sample county's own settings, so forms print
            example = data_dir("forms") / "county" / "juniper-county.toml"
            if example.is_file():
                result.workspace.set_county_settings(example.read_text(encoding="utf-8"))
    except BaseException:
        result.workspace.close()
        raise
    # Older demo modules only imported; link here when the store can link but the demo did not.
    if not hasattr(result, "linkage") and hasattr(result.workspace, "link"):
        try:
            result.workspace.link(progress=progress)
        except BaseException:
            result.workspace.close()
            raise
    return result


def preload() -> None:
    """Import what opening a store needs (SQLAlchemy, numpy, the models: over a second on a slow laptop) on a
    thread, so that the unlock dialog shows at once and Unlock does not wait for them. Only Qt-free modules: the
    main window's widgets are imported on the GUI thread when it opens."""
    try:
        importlib.import_module("ddj_desktop.workspace")
    except Exception:  # the GUI thread imports it again when the store opens, and reports the error there
        log.exception("Preloading the store's modules failed")


_heap_settled = False


def settle_heap() -> None:
    """Nothing; the objects alive now (the modules, classes and Qt wrappers the open store needs, ~130,000) are
    set aside for good, once per process, so that the collector's full passes on the GUI thread no longer walk them.

    A full pass walks every tracked object; over what startup leaves it took ~100 ms on the bench machine, and the
    window cannot repaint meanwhile. Called as the main window opens, after one full collection (so that no
    garbage is set aside with them): the user is waiting for the window then, and nothing is being drawn.
    """
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.collect()
        gc.freeze()


class Launcher:
    """Decides what opens first and keeps the main window (and a demo's temporary folder) alive."""

    def __init__(self, app: QApplication, args: argparse.Namespace, log_file: Path | None) -> None:
        self.app, self.args, self.log_file = app, args, log_file
        self.window: MainWindow | None = None
        self.scratch: tempfile.TemporaryDirectory[str] | None = None
        self.workers = Workers()
        self.exit_code = 0
        self.preloading = False

    def start(self) -> None:
        if self.args.demo:
            self.open_demo()
            return
        last = settings.last_store()
        if last is not None and last.exists():
            self.unlock(last)
        else:
            self.welcome()

    def welcome(self) -> None:
        dialog = WelcomeDialog()
        self._ready(dialog)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self.app.quit()
            return
        if dialog.choice == WelcomeDialog.SAMPLE:
            self.open_demo()
        elif dialog.choice == WelcomeDialog.CREATE:
            create = CreateStoreDialog()
            if create.exec() == QDialog.DialogCode.Accepted and create.workspace is not None:
                settings.set_last_store(create.workspace.path)
                self.show_window(create.workspace, key=create.key)
            else:
                self.welcome()
        else:
            path = messages().open_store(None)
            if path is None:
                self.welcome()
            else:
                self.unlock(path)

    def unlock(self, path: Path) -> None:
        dialog = UnlockDialog(path)
        other = QPushButton("Other &store...")
        other.setAccessibleName("Create or open another store")
        dialog.buttons.addButton(other, dialog.buttons.ButtonRole.ResetRole)
        other.clicked.connect(lambda: dialog.done(2))
        self._ready(dialog)
        answer = dialog.exec()
        if answer == QDialog.DialogCode.Accepted and dialog.workspace is not None:
            settings.set_last_store(path)
            self.show_window(dialog.workspace, key=dialog.key)
        elif answer == 2:
            self.welcome()
        else:
            self.app.quit()

    def _ready(self, dialog: QWidget) -> None:
        """The first screen is up: the store's modules load behind it while the user types (with --quit-after-start,
        report the cold start time and quit instead)."""
        if not self.args.quit_after_start and not self.preloading:
            self.preloading = True
            threading.Thread(target=preload, name="preload", daemon=True).start()
        if self.args.quit_after_start:
            def report() -> None:
                print(f"start-to-screen {time.perf_counter() - self.args.started:.3f} s ({type(dialog).__name__})")
                dialog.close()
                self.app.quit()
            QTimer.singleShot(0, report)

    def open_demo(self) -> None:
        self.scratch = tempfile.TemporaryDirectory(prefix="ddj-sample-county-")
        loader = DemoLoader()
        self.loader = loader
        job = self.workers.run(lambda progress: build_demo(Path(self.scratch.name), progress),  # type: ignore[union-attr]
                               self._demo_ready, title="Sample county", writes=True, failed=self._demo_failed)
        job.progress.changed.connect(loader.show_progress)
        loader.cancel.clicked.connect(job.cancel)
        loader.show()

    def _demo_ready(self, result) -> None:  # type: ignore[no-untyped-def]
        self.loader.close()
        from ddj_desktop.demo import DEMO_PASSPHRASE

        key = StoreKey(result.workspace.path, DEMO_PASSPHRASE, result.workspace.user_name)
        self.show_window(result.workspace, demo=True, key=key)
        if self.args.quit_after_demo:
            counts = result.workspace.counts()
            print(f"sample county: {counts['records']} records, {counts['sources']} sources, "
                  f"{counts['batches']} imports; window '{self.window.windowTitle()}' shown")  # type: ignore[union-attr]
            self._check_worker_process(key)

    def _check_worker_process(self, key: StoreKey) -> None:
        """For the smoke test of a frozen build: one import through a worker process (all duplicates), then quit."""
        from ddj_desktop.demo import sample_files

        source, files = sample_files()[-1]

        def reported(summaries) -> None:  # type: ignore[no-untyped-def]
            print(f"worker process: re-import of {source} found {sum(b.duplicate for b in summaries)} duplicates")
            QTimer.singleShot(100, self.window.close)  # type: ignore[union-attr]

        def failed(err: BaseException) -> None:
            self.exit_code = 1
            print(f"worker process failed: {type(err).__name__}: {err}", file=sys.stderr)
            QTimer.singleShot(100, self.window.close)  # type: ignore[union-attr]

        self.workers.run(lambda progress: call_in_process(key, "import_files", files, source, progress=progress),
                         reported, title="Checking the worker process", writes=True, failed=failed)

    def _demo_failed(self, err: BaseException) -> None:
        self.loader.close()
        self.exit_code = 1
        report_error(err)
        if self.args.quit_after_demo or self.window is None:
            self.app.quit()

    def show_window(self, workspace, *, demo: bool = False, key: StoreKey | None = None) -> None:  # type: ignore[no-untyped-def]
        from ddj_desktop.gui.main_window import MainWindow

        settle_heap()
        self.window = MainWindow(workspace, demo=demo, log_file=self.log_file, key=key)
        self.window.closed.connect(self.app.quit)
        self.window.show()
        self.window.raise_()

    def cleanup(self) -> None:
        if self.window is not None and self.window.workspace is not None:
            self.window.workspace.close()
        self.workers.wait(30_000)
        if self.scratch is not None:
            self.scratch.cleanup()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ddj-desktop", add_help=False)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--quit-after-demo", action="store_true")
    parser.add_argument("--quit-after-start", action="store_true")
    args, _ = parser.parse_known_args(list(argv))
    if args.quit_after_demo:
        args.demo = True
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop application; returns the exit code."""
    started = time.perf_counter()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    args.started = started
    app = make_application([])
    log_file: Path | None
    try:
        log_file = setup_logging(user_log_dir())
    except OSError:
        log_file = None  # a read-only profile: run without a log rather than not at all
    crash = CrashHandler(log_file)
    crash.install()
    app.setQuitOnLastWindowClosed(False)  # dialogs come and go before the window; quit explicitly
    launcher = Launcher(app, args, log_file)
    QTimer.singleShot(0, launcher.start)
    try:
        code = app.exec()
    finally:
        launcher.cleanup()
        crash.uninstall()
    return launcher.exit_code or code
