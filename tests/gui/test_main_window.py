"""The main window on a real store: every page opens, the numbers are the store's, people can be found, the
audit log verifies, and the window locks and unlocks."""

from __future__ import annotations

import threading
from pathlib import Path

import openpyxl
from PySide6.QtCore import QItemSelectionModel, Qt

from ddj_desktop.gui.main_window import PAGE_ORDER, IdleLock, MainWindow
from ddj_desktop.paths import data_dir
from ddj_desktop.workspace import Workspace


def make_window(qtbot, ws: Workspace, **kwargs) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(ws, **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def test_every_page_opens_and_says_what_it_is(qtbot, jail_workspace: Workspace) -> None:
    window = make_window(qtbot, jail_workspace)
    assert window.nav.count() == len(PAGE_ORDER)
    for row, title in enumerate(PAGE_ORDER):
        window.nav.setCurrentRow(row)
        assert window.current_page().title == title
        assert window.current_page().accessibleName() == title
    shortcuts = {a.shortcut().toString(): a for a in window.actions()}
    shortcuts["Ctrl+4"].trigger()
    assert window.current_page().title == "People"
    assert {"Ctrl+I", "Ctrl+L", "Ctrl+Q"} <= set(shortcuts)


def test_a_page_s_status_message_goes_when_another_page_is_shown(qtbot, workspace: Workspace) -> None:
    window = make_window(qtbot, workspace)
    window.show_page("Reports")
    window.status("Council report ready to save: 13 pages.")
    window.show_page("Settings")
    assert window.message.text() == ""


def test_home_shows_what_the_store_holds(qtbot, jail_workspace: Workspace) -> None:
    window = make_window(qtbot, jail_workspace)
    home = window.pages["Home"]
    counts = jail_workspace.counts()
    assert home.figures["records"].number.text() == f"{counts['records']:,}"
    assert home.batches.rowCount() == 1
    assert home.batches.index(0, 2).data().startswith("jail_bookings.xlsx")


def test_home_says_how_many_pairs_wait_for_a_reviewer(qtbot, jail_workspace: Workspace) -> None:
    jail_workspace.link()
    left = jail_workspace.review_queue(list_impact=False).left
    window = MainWindow(jail_workspace)
    qtbot.addWidget(window)
    home = window.pages["Home"]
    with qtbot.waitSignal(home.attention_ready, timeout=20_000):
        window.show()
        window.refresh_page()
    text = home.attention.text()
    if left:
        assert f"{left:,} pair" in text and "wait for a reviewer" in text
    else:
        assert "No pair of records waits for a reviewer" in text
    assert "consent" in text and "Looking for" not in text


def test_imports_page_lists_batches_and_exports_rejected_rows(qtbot, jail_workspace: Workspace, shown,
                                                              tmp_path: Path) -> None:
    window = make_window(qtbot, jail_workspace)
    page = window.show_page("Sources & imports")
    assert page.sources.rowCount() == 1 and page.sources.index(0, 0).data() == "jail"
    page.batch_view.selectRow(0)
    batch = jail_workspace.batches()[0]
    assert page.problems.rowCount() == len(jail_workspace.row_problems(batch.id))
    shown.file_to_save = tmp_path / "rejects.xlsx"
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Wrote" in window.message.text(), timeout=10_000)
    sheet = openpyxl.load_workbook(tmp_path / "rejects.xlsx").worksheets[0]
    assert sheet.max_row >= 1


def test_people_search_and_a_persons_records(qtbot, jail_workspace: Workspace) -> None:
    window = make_window(qtbot, jail_workspace)
    page = window.pages["People"]
    total = jail_workspace.count_records()
    with qtbot.waitSignal(page.searched, timeout=5000):
        window.show_page("People")
    assert page.found.text() == f"{total:,} records"
    first = page.model.row_at(0)
    with qtbot.waitSignal(page.searched, timeout=5000) as found:
        qtbot.keyClicks(page.search, first.last_name[:4])
    assert found.args[0] < total and page.model.rowCount() == found.args[0]
    assert all(first.last_name[:4].lower() in f"{r.last_name} {r.first_name}".lower()
               for r in page.model.rows)
    page.view.selectionModel().select(page.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                      | QItemSelectionModel.SelectionFlag.Rows)
    person = page.model.row_at(0).person
    assert page.person_records.rowCount() == len(jail_workspace.person_records(person))
    assert person in page.person_title.text()
    assert page.review_button.isEnabled()
    dialog = page.review_person()
    qtbot.addWidget(dialog)
    assert f"P{dialog.person_id:06d}" == person
    dialog.close()
    assert page.timeline.records
    page.timeline.grab()  # paints without error
    typo = first.last_name[0] + first.last_name[2] + first.last_name[1] + first.last_name[3:]  # SMTIH
    page.search.clear()
    with qtbot.waitSignal(page.searched, timeout=5000) as found:
        qtbot.keyClicks(page.search, typo.lower())
    if jail_workspace.count_records(typo) == 0:
        assert found.args[0] > 0 and "close spellings" in page.found.text() and first.last_name in page.found.text()


def test_audit_log_lists_entries_and_verifies(qtbot, jail_workspace: Workspace) -> None:
    window = make_window(qtbot, jail_workspace)
    with qtbot.waitSignal(window.pages["Audit log"].shown_entries, timeout=10_000):  # read on a worker
        page = window.show_page("Audit log")
    actions = [page.entries.index(r, 3).data() for r in range(page.entries.rowCount())]
    assert "Import" in actions and "Store created" in actions
    qtbot.waitUntil(lambda: "intact" in page.verdict.text(), timeout=10_000)  # checked as the page opens
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    assert "Checking" in page.verdict.text()
    qtbot.waitUntil(lambda: "intact" in page.verdict.text(), timeout=10_000)


def test_lock_closes_the_store_and_the_passphrase_opens_it_again(qtbot, workspace: Workspace,
                                                                 passphrase: str) -> None:
    window = make_window(qtbot, workspace)
    qtbot.waitUntil(lambda: not window.workers.busy(), timeout=10_000)  # Home's look for pairs and consents
    window.lock()
    assert window.workspace is None
    dialog = window.unlock_dialog
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.passphrase, "wrong one")
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    assert window.workspace is None and "does not open" in dialog.problem.text()
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=5000)
    assert window.centralWidget().isVisible()


def test_lock_takes_effect_at_once_while_a_lookup_runs_and_drops_its_answer(qtbot, workspace: Workspace,
                                                                           passphrase: str) -> None:
    window = make_window(qtbot, workspace)
    release = threading.Event()
    answers: list[object] = []
    # A lookup on a worker that is still running when Ctrl+L is pressed (as Home's look for pairs to review is on a
    # big store).
    lookup = window.workers.run(lambda progress: release.wait(10) and "pairs to review", answers.append,
                                title="Looking")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window.nav, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.workspace is None, "the window did not lock at once"
    assert window.unlock_dialog.isVisible() and not window.centralWidget().isVisible()
    release.set()
    qtbot.waitUntil(lambda: not lookup.running, timeout=5000)
    assert answers == [], "the dropped lookup's answer was still delivered"
    qtbot.keyClicks(window.unlock_dialog.passphrase, passphrase)
    qtbot.keyClick(window.unlock_dialog.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=5000)


def test_lock_under_a_running_change_says_it_waits_and_locks_when_it_ends(qtbot, workspace: Workspace) -> None:
    window = make_window(qtbot, workspace)
    qtbot.waitUntil(lambda: not window.workers.busy(), timeout=10_000)
    release = threading.Event()
    saved: list[object] = []
    change = window.workers.run(lambda progress: release.wait(10) and "saved", saved.append, title="Linking",
                                writes=True)
    window.lock()
    assert window.workspace is not None, "a running change to the store must not lose its store"
    assert "locks when" in window.message.text() and "Linking" in window.message.text()
    release.set()
    qtbot.waitUntil(lambda: window.workspace is None, timeout=5000)
    assert saved == ["saved"] and not change.running  # the change's own answer was handled first
    assert window.unlock_dialog.isVisible()


def test_idle_lock_fires_after_the_quiet_time_and_activity_postpones_it(qtbot) -> None:
    locked: list[int] = []
    idle = IdleLock(lambda: locked.append(1), 1)
    idle.timer.setInterval(80)
    idle.restart()
    qtbot.waitUntil(lambda: bool(locked), timeout=2000)
    idle.set_minutes(0)
    assert not idle.timer.isActive()


def test_settings_page_keeps_the_idle_time(qtbot, workspace: Workspace) -> None:
    window = make_window(qtbot, workspace)
    page = window.show_page("Settings")
    page.idle.setValue(5)
    from ddj_desktop.gui import settings

    assert settings.idle_minutes() == 5
    assert window.idle_lock.minutes == 5
    assert workspace.user_name in page.user.text()


def test_frequent_utilizers_list_and_export(qtbot, jail_workspace: Workspace, shown, tmp_path: Path) -> None:
    window = make_window(qtbot, jail_workspace)
    page = window.show_page("Frequent utilizers")
    assert page.rule.count() == len(jail_workspace.utilizer_templates()) > 0
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "people</b> on the list" in page.summary.text(), timeout=30_000)
    result = page.result
    assert page.people.rowCount() == len(result.people)
    if result.people:
        assert page.people.index(0, 1).data() == f"P{result.people[0].person_id:06d}"
        shown.file_to_save = tmp_path / "list.xlsx"
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: (tmp_path / "list.xlsx").exists() and "Wrote" in window.message.text(),
                        timeout=10_000)
        page._open_person(page.people.index(0, 0))
        assert window.current_page().title == "People"
    assert not shown.errors


def test_forms_for_the_utilizer_list(qtbot, jail_workspace: Workspace, shown, tmp_path: Path) -> None:
    window = make_window(qtbot, jail_workspace)
    utilizers = window.show_page("Frequent utilizers")
    utilizers.make_list()
    qtbot.waitUntil(lambda: utilizers.result is not None, timeout=30_000)
    page = window.show_page("Forms & consents")
    assert "consents on record" in page.summary.text()
    assert not page.print_button.isEnabled() and "county's settings" in page.county.text()
    shown.files_to_open = [data_dir("forms") / "county" / "juniper-county.toml"]
    page.load_county()
    qtbot.waitUntil(page.print_button.isEnabled, timeout=10_000)
    page._use_list()
    assert page.persons.text().count("P") == len(utilizers.result.people)
    page.persons.setText("P000001, 2")
    shown.file_to_save = tmp_path / "forms.pdf"
    qtbot.mouseClick(page.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Printed 2 forms" in window.message.text(), timeout=30_000)
    assert (tmp_path / "forms.pdf").read_bytes().startswith(b"%PDF")
    assert not shown.errors


def test_council_report(qtbot, jail_workspace: Workspace, shown, tmp_path: Path) -> None:
    window = make_window(qtbot, jail_workspace)
    page = window.show_page("Reports")
    assert page.period_from.date() < page.period_to.date()
    shown.file_to_save = tmp_path / "council.pdf"
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.save_button.isEnabled, timeout=60_000)  # the preview first
    assert page.page_labels and not (tmp_path / "council.pdf").exists()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Saved" in page.result.text(), timeout=60_000)
    assert (tmp_path / "council.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "council.xlsx").is_file()
    assert not shown.errors


def test_the_window_remembers_its_size(qtbot, workspace: Workspace, store_path: Path, passphrase: str) -> None:
    from ddj_desktop.gui import settings

    window = MainWindow(workspace)
    window.resize(950, 640)
    window.show()
    window.close()  # closes the store too
    assert settings.settings().value("window/geometry") is not None
    with Workspace.open(store_path, passphrase) as ws:
        again = MainWindow(ws)
        assert (again.width(), again.height()) != (1200, 780)  # restored, not the first-run default
        again.hide()
        again.deleteLater()
