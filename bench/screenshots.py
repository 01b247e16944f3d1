"""Write a PNG of every page of the desktop application and of each import wizard step, on the sample county.

    python bench/screenshots.py --out DIR

Runs offscreen (no display needed) with its own settings, so it never touches the user's. Look at the images as
an analyst would: is it clear what each page is for, is anything cut off, ugly or confusing?
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from ddj_desktop import demo
from ddj_desktop.errors import ImportFileError
from ddj_desktop.gui import app as gui_app
from ddj_desktop.gui import messages as messages_module
from ddj_desktop.gui.crash import CrashDialog, crash_report
from ddj_desktop.gui.main_window import PAGE_ORDER, MainWindow
from ddj_desktop.gui.store_dialogs import CreateStoreDialog, UnlockDialog, WelcomeDialog
from ddj_desktop.gui.wizard import ImportWizard
from ddj_desktop.paths import data_dir
from ddj_desktop.workspace import Workspace

SIZE = (1280, 800)


def settle(app: QApplication, until: Callable[[], bool] = lambda: True, timeout: float = 120.0) -> None:
    """Process events until `until()` holds (work on workers finishing), then a little more for painting."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the application did not finish in time")
        app.processEvents()
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()


def save(widget: QWidget, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for the PNG files")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    scratch = tempfile.TemporaryDirectory(prefix="ddj-screens-")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(scratch.name) / "settings"))
    app = gui_app.make_application([])

    class Quiet(messages_module.Messages):  # file dialogs answer from here; message boxes are pictured
        save_to: Path | None = None

        def save_file(self, parent, title, suggested, filter_text):  # type: ignore[no-untyped-def]
            return self.save_to

    messages_module.set_messages(Quiet())

    # First screens
    welcome = WelcomeDialog()
    welcome.show()
    settle(app)
    save(welcome, out, "01-welcome")
    welcome.close()
    create = CreateStoreDialog()
    create.show()
    create.passphrase.setText("river stone maple")
    create.again.setText("river stone")
    settle(app)
    save(create, out, "02-create-store")
    create.close()

    result = demo.build_sample_county(Path(scratch.name))
    store = result.workspace.path
    result.workspace.close()
    unlock = UnlockDialog(store)
    unlock.show()
    unlock.passphrase.setText("not it")
    unlock.unlock()
    settle(app)
    save(unlock, out, "03-unlock-wrong-passphrase")
    unlock.passphrase.setText(demo.DEMO_PASSPHRASE)
    unlock.unlock()
    assert unlock.workspace is not None
    unlock.close()

    window = MainWindow(unlock.workspace, demo=True)
    window.resize(*SIZE)
    window.show()
    for i, title in enumerate(PAGE_ORDER):
        page = window.show_page(title)
        if title == "People":
            page.search.setText("smith")
            page.run_search()
            settle(app, lambda p=page: p.found.text() != "Searching...")
            # The person with the most records among those found shows the timeline best.
            rows = range(min(page.model.rowCount(), 60))
            busiest = max(rows, key=lambda r: len(window.workspace.person_records(page.model.row_at(r).person)))
            page.view.selectRow(busiest)
        if title == "Sources & imports":
            page.batch_view.selectRow(page.batches.rowCount() - 1)
        if title == "Frequent utilizers":
            page.make_list()
            settle(app, lambda p=page: p.result is not None)
        if title == "Forms & consents":
            page.persons.setText(", ".join(f"P{p.person_id:06d}" for p in window.pages["Frequent utilizers"]
                                           .result.people[:5]))  # type: ignore[attr-defined]
        if title == "Reports":
            Quiet.save_to = Path(scratch.name) / "council report.pdf"
            page.make_report()
            settle(app, lambda p=page: "Wrote" in p.result.text() or not window.workers.busy())
        if title == "Audit log":
            page.verify()
            settle(app, lambda: not window.workers.busy())
        settle(app)
        save(window, out, f"1{i}-{title.lower().replace(' & ', '-').replace(' ', '-')}")

    # The import wizard, into a new empty store: the jail's bookings (titles above the header) and charges
    samples = data_dir("sample_workbooks")
    fresh = Workspace.create(Path(scratch.name) / "fresh.ddj", demo.DEMO_PASSPHRASE)
    wizard = ImportWizard(fresh, window.workers, window)
    wizard.resize(1200, 720)
    wizard.show()
    settle(app)
    save(wizard, out, "19-wizard-empty")
    wizard.files_page.add_files([samples / "jail_bookings.xlsx", samples / "jail_charges.csv"])
    settle(app)
    save(wizard, out, "20-wizard-files")
    steps = [("21-wizard-table", wizard.table_page), ("22-wizard-mapping", wizard.mapping_page),
             ("23-wizard-preview", wizard.preview_page), ("24-wizard-import-summary", wizard.import_page)]
    for name, page in steps:
        button = wizard.button(QWizard.WizardButton.CommitButton)
        if not button.isVisible():
            button = wizard.button(QWizard.WizardButton.NextButton)
        settle(app, button.isEnabled)
        button.click()
        settle(app, lambda p=page: getattr(p, "done", True))
        if name == "23-wizard-preview":
            page.tabs.setCurrentIndex(1 if page.rejected.rowCount() else 2)  # rejected rows, else values not kept
            settle(app)
            save(wizard, out, "23b-wizard-preview-problems")
            page.tabs.setCurrentIndex(0)
            settle(app)
        save(wizard, out, name)
    wizard.close()
    fresh.close()

    # What a user sees when something goes wrong
    err = ImportFileError("calls.csv has no rows below its header.", hint="Ask the agency to export it again.")
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, "DDJ Desktop", err.message, QMessageBox.StandardButton.Ok, window)
    box.setInformativeText(err.hint or "")
    box.setDetailedText(messages_module.error_details(err))
    box.show()
    settle(app)
    save(box, out, "30-error-message")
    box.close()
    try:
        raise RuntimeError("example")
    except RuntimeError as exc:
        report = crash_report(type(exc), exc, exc.__traceback__)
    crash = CrashDialog(report, Path("~/.local/state/DDJ Desktop/log/ddj-desktop.log"))
    crash.show()
    settle(app)
    save(crash, out, "31-crash-dialog")
    crash.close()

    window.close()
    settle(app, lambda: not window.workers.busy())
    scratch.cleanup()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
