"""The application as launched: `ddj-desktop --demo` opens the sample county, the log holds no personal data,
the bundled fonts are registered."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton

from ddj_desktop.gui import app
from ddj_desktop.paths import data_dir


def test_demo_opens_the_sample_county_and_quits_on_the_flag(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(app, "user_log_dir", lambda: tmp_path / "logs")
    assert app.main(["--demo", "--quit-after-demo"]) == 0
    out = capsys.readouterr().out
    assert "sample county:" in out and "records" in out and "window 'DDJ Desktop" in out
    log_text = (tmp_path / "logs" / "ddj-desktop.log").read_text(encoding="utf-8")
    assert "started" in log_text
    with (data_dir("sample_workbooks") / "truth_people.csv").open(encoding="utf-8") as f:
        people = list(csv.DictReader(f))
    last_names = {v for row in people for k, v in row.items() if "last" in k.lower() and v and len(v) > 3}
    assert last_names and not [n for n in last_names if n in log_text]


def test_bundled_fonts_are_registered(qtbot) -> None:
    assert "DejaVu Sans" in app.register_fonts()


def test_windows_carry_the_application_icon(qtbot, qapp) -> None:
    app.apply_look(qapp)
    icon = qapp.windowIcon()
    assert not icon.isNull() and icon.pixmap(64, 64).width() == 64
    assert qapp.desktopFileName() == "ddj-desktop"  # the Linux menu entry's file name, without .desktop


def test_gui_flags_are_read() -> None:
    args = app.parse_args(["--quit-after-demo", "--something-else"])
    assert args.demo and args.quit_after_demo and not args.quit_after_start


def _when_shown(kind: type, act, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Run `act(dialog)` once a dialog of `kind` is up (the launcher's exec() is waiting on it); if none comes
    within `timeout` seconds, reject every open dialog so the test fails instead of hanging."""
    import time

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    deadline = time.monotonic() + timeout

    def poll() -> None:
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if shown:
            act(shown[-1])
        elif time.monotonic() > deadline:
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, QDialog) and widget.isVisible():
                    widget.reject()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)


def test_first_run_offers_the_sample_county(qtbot, qapp, tmp_path: Path) -> None:
    from ddj_desktop.gui.store_dialogs import WelcomeDialog

    welcome = WelcomeDialog()
    qtbot.addWidget(welcome)
    button = next(b for b in welcome.findChildren(QPushButton) if b.accessibleName() == "Try the sample county")
    button.click()
    assert welcome.choice == WelcomeDialog.SAMPLE and welcome.result() == WelcomeDialog.DialogCode.Accepted

    launcher = app.Launcher(qapp, app.parse_args([]), None)
    launcher.open_demo()  # what the launcher does with that choice
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=180_000)  # a loaded CI machine is slow
    window = launcher.window
    assert window.demo and "sample county" in window.windowTitle()
    assert window.workspace.counts()["records"] > 5000
    assert window.workspace.county_settings() is not None  # so forms print in the sample county
    assert window.store_key is not None  # imports and links of the sample county go to a worker process
    window.close()
    launcher.cleanup()


def test_a_known_store_opens_with_the_unlock_dialog(qtbot, qapp, store_path: Path, passphrase: str) -> None:
    from ddj_desktop.gui import settings
    from ddj_desktop.gui.store_dialogs import UnlockDialog
    from ddj_desktop.workspace import Workspace

    Workspace.create(store_path, passphrase).close()
    settings.set_last_store(store_path)
    launcher = app.Launcher(qapp, app.parse_args([]), None)
    attempts: list[str] = []

    def type_passphrase(dialog: UnlockDialog) -> None:
        if not attempts:
            attempts.append("wrong")
            dialog.passphrase.setText("wrong passphrase")
            dialog.unlock()
            assert "does not open" in dialog.problem.text()
            _when_shown(UnlockDialog, type_passphrase)
        else:
            dialog.passphrase.setText(passphrase)
            dialog.unlock()

    _when_shown(UnlockDialog, type_passphrase)
    launcher.start()
    assert launcher.window is not None and launcher.window.workspace is not None
    assert launcher.window.store_key is not None and launcher.window.store_key.path == store_path
    launcher.window.close()
    launcher.cleanup()


def test_the_first_dialog_does_not_wait_for_the_stores_modules() -> None:
    """The unlock dialog shows before SQLAlchemy, numpy and the store's models are imported (over a second of a
    slow laptop's start); they load behind it. Checked in a fresh interpreter, as the program starts."""
    import subprocess
    import sys

    probe = ("import sys, ddj_desktop.cli, ddj_desktop.gui.app, ddj_desktop.gui.store_dialogs\n"
             "print(sorted(m for m in ('sqlalchemy', 'numpy', 'rapidfuzz', 'ddj_desktop.workspace') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_tests_keep_their_settings_in_their_own_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ddj_desktop.gui import settings

    settings.set_idle_minutes(7)
    where = Path(settings.settings().fileName())
    assert tmp_path in where.parents, f"settings written to {where}, not the test's own folder"
    assert settings.idle_minutes() == 7
