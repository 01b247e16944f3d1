"""Work off the GUI thread: results and errors come back on the GUI thread, as a message or a crash report."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import Qt

from ddj_desktop.errors import Cancelled, ImportFileError
from ddj_desktop.gui.crash import CrashDialog, CrashHandler, crash_report
from ddj_desktop.gui.workers import ProgressPanel, Workers


def test_the_result_arrives_on_the_gui_thread(qtbot) -> None:
    workers = Workers()
    seen: list[tuple[int, bool]] = []
    workers.run(lambda progress: threading.current_thread() is threading.main_thread(),
                lambda off_main: seen.append((1, off_main)))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(1, False)]  # ran on a pool thread
    assert not workers.busy()


def test_a_user_fixable_error_becomes_a_message_saying_what_to_do(qtbot, shown) -> None:
    workers = Workers()

    def bad_file(progress):  # type: ignore[no-untyped-def]
        raise ImportFileError("calls.csv is empty.", hint="Ask the agency for the export again.")

    workers.run(bad_file)
    qtbot.waitUntil(lambda: bool(shown.errors), timeout=5000)
    assert shown.errors[0].message == "calls.csv is empty."
    assert shown.errors[0].hint == "Ask the agency for the export again."


def test_a_bug_goes_to_the_crash_handler(qtbot, shown, monkeypatch: pytest.MonkeyPatch) -> None:
    caught: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: caught.append(e))
    Workers().run(lambda progress: 1 / 0)
    qtbot.waitUntil(lambda: bool(caught), timeout=5000)
    assert isinstance(caught[0], ZeroDivisionError)
    assert not shown.errors


def test_cancel_stops_the_work_quietly_and_the_panel_follows(qtbot, shown) -> None:
    workers = Workers()
    panel = ProgressPanel()
    qtbot.addWidget(panel)
    started = threading.Event()
    ended: list[BaseException] = []

    def long_work(progress):  # type: ignore[no-untyped-def]
        started.set()
        for i in range(1000):
            progress.update(i / 1000, f"step {i}")
            threading.Event().wait(0.005)
        return "finished"

    job = workers.run(long_work, title="Long work", failed=ended.append)
    panel.follow(job)
    assert not panel.isHidden()
    assert started.wait(5)
    qtbot.waitUntil(lambda: panel.bar.value() > 0, timeout=5000)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(ended), timeout=5000)
    assert isinstance(ended[0], Cancelled)
    assert panel.isHidden()
    assert not shown.errors


def test_writes_run_one_at_a_time(qtbot) -> None:
    workers = Workers()
    running, most = [0], [0]
    lock = threading.Lock()
    done: list[int] = []

    def write(progress):  # type: ignore[no-untyped-def]
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        threading.Event().wait(0.02)
        with lock:
            running[0] -= 1

    for _ in range(4):
        workers.run(write, lambda _: done.append(1), writes=True)
    qtbot.waitUntil(lambda: len(done) == 4, timeout=5000)
    assert most[0] == 1


def test_crash_report_keeps_our_messages_and_drops_foreign_ones(qtbot, tmp_path) -> None:
    cell = "Nunez" + ", Maria"
    try:
        raise ValueError(cell)  # a library's message could hold a cell value
    except ValueError as err:
        report = crash_report(type(err), err, err.__traceback__)
    assert cell not in report and "builtins.ValueError" in report
    assert "test_crash_report_keeps_our_messages" in report
    dialog = CrashDialog(report, tmp_path / "ddj-desktop.log")
    qtbot.addWidget(dialog)
    dialog.copy_report()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == report
    assert dialog.details.toPlainText() == report


def test_the_crash_handler_logs_without_showing_twice(qtbot, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    shown: list[str] = []
    monkeypatch.setattr(CrashDialog, "exec", lambda self: shown.append(self.report) or 0)
    handler = CrashHandler(None)
    try:
        raise KeyError("".join(["sec", "ret"]))
    except KeyError as err:
        handler(type(err), err, err.__traceback__)
    assert len(shown) == 1 and "builtins.KeyError" in shown[0]
    assert "secret" not in caplog.text
