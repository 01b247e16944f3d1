"""The Audit log page on a real store with real entries: a page at a time (checked with Qt's model tester),
filters driven through the widgets, export through the button (and in the log), the chain's state (also broken),
who may open it, and the keyboard."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from ddj_desktop.governance import audit
from ddj_desktop.governance.audit_query import AuditFilter
from ddj_desktop.gui.audit_page import AUDIT_COLUMNS, AuditPage
from ddj_desktop.gui.main_window import PAGE_ORDER, MainWindow
from ddj_desktop.gui.models import PagedTableModel
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.gui.windows import make_window


@pytest.fixture(scope="module")
def audit_store(jail_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The jail store with 450 more entries: exports by rosa of utilizer lists, views of persons by ana."""
    path = tmp_path_factory.mktemp("audited") / "county.ddj"
    shutil.copyfile(jail_store, path)
    with Workspace.open(path, PASSPHRASE) as ws, ws.store.session() as session:
        for i in range(450):
            if i % 3 == 0:
                audit.append(session, "rosa", "export", what="utilizer list", file=f"frequent {i}.xlsx", rows=i)
            else:
                audit.append(session, "ana", "view_person", person=f"P{i:06d}")
    return path


@pytest.fixture
def audited(audit_store: Path, store_path: Path):
    shutil.copyfile(audit_store, store_path)
    with Workspace.open(store_path, PASSPHRASE) as ws:
        yield ws



def open_audit(qtbot, window: MainWindow) -> AuditPage:  # type: ignore[no-untyped-def]
    with qtbot.waitSignals([window.pages["Audit log"].shown_entries, window.pages["Audit log"].chain_checked],
                           timeout=20_000):
        page = window.show_page("Audit log")
    assert isinstance(page, AuditPage)
    return page


def shown(page: AuditPage, column: int) -> list[str]:
    return [page.entries.index(r, column).data() for r in range(page.entries.rowCount())]


def test_the_model_fetches_a_page_at_a_time(qtmodeltester, audited: Workspace) -> None:
    def fetch(f, after, limit, sort, descending):  # type: ignore[no-untyped-def]
        return audited.audit_page(f, before=after.seq if after else None, limit=limit)

    model = PagedTableModel(AUDIT_COLUMNS, fetch)
    model.PAGE = 100
    model.set_filter(AuditFilter())  # type: ignore[arg-type]
    total = audited.audit_count()
    assert total > 450 and model.rowCount() == 100 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 200
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    seqs = [model.row_at(r).seq for r in range(model.rowCount())]
    assert seqs == list(range(total, 0, -1))  # newest first, none twice, none missing
    fresh = PagedTableModel(AUDIT_COLUMNS, fetch)
    fresh.PAGE = 100
    qtmodeltester.check(fresh, force_py=True)
    fresh.set_filter(AuditFilter(action="export"))  # type: ignore[arg-type]
    qtmodeltester.check(fresh)  # and Qt's own tester


def test_the_page_opens_on_the_newest_entries_and_says_the_chain_holds(qtbot, audited: Workspace) -> None:
    window = make_window(qtbot, audited, size=(1280, 800))
    page = open_audit(qtbot, window)
    total = audited.audit_count()
    assert page.entries.rowCount() == page.entries.PAGE < total  # not everything at once
    assert shown(page, 0)[:2] == [f"{total:,}", f"{total - 1:,}"]
    assert shown(page, 3)[0] == "Unlocked" and f"{total:,} entries" in page.found.text()
    assert "intact" in page.verdict.text() and f"all {total:,} entries" in page.verdict.text()
    bar = page.view.verticalScrollBar()

    def scrolled_to_the_end() -> bool:  # (once the view is laid out, its scroll bar has a range)
        bar.setValue(bar.maximum())
        return page.entries.rowCount() > page.entries.PAGE

    qtbot.waitUntil(scrolled_to_the_end, timeout=10_000)  # scrolling fetches the next page


def test_filters_through_the_widgets(qtbot, audited: Workspace) -> None:
    window = make_window(qtbot, audited, size=(1280, 800))
    page = open_audit(qtbot, window)
    with qtbot.waitSignal(page.shown_entries, timeout=10_000) as found:
        page.action.setCurrentIndex(page.action.findData("export"))
    assert found.args == [150] and set(shown(page, 3)) == {"Export"} and set(shown(page, 2)) == {"rosa"}
    assert "150 of" in page.found.text()
    qtbot.keyClicks(page.search, "FREQUENT 39")  # every word, in any case: 39, 339, 390, 393, 396, 399
    qtbot.waitUntil(lambda: page.found.text().startswith("6 of"), timeout=10_000)
    assert all("frequent" in d and "39" in d for d in shown(page, 4)) and page.entries.rowCount() == 6
    with qtbot.waitSignal(page.shown_entries, timeout=10_000) as found:
        page.user.setCurrentIndex(page.user.findData("ana"))
    assert found.args == [0] and "No entry" in page.found.text() and not page.export_button.isEnabled()
    with qtbot.waitSignal(page.shown_entries, timeout=10_000) as found:
        page.clear_filters()
    assert found.args == [audited.audit_count()] and page.export_button.isEnabled()
    # Days: every entry was written today; a range ending yesterday finds none, one from today all of them
    today = dt.date.today()
    with qtbot.waitSignal(page.shown_entries, timeout=10_000) as found:
        page.to_day.setDate(today - dt.timedelta(days=1))
        page.use_to.setChecked(True)
    assert found.args == [0]
    with qtbot.waitSignal(page.shown_entries, timeout=10_000) as found:
        page.use_to.setChecked(False)
        page.from_day.setDate(today)
        page.use_from.setChecked(True)
    assert found.args == [audited.audit_count()]


def test_export_writes_what_the_filters_find_and_shows_up_in_the_log(qtbot, audited: Workspace, gui_isolation,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    window = make_window(qtbot, audited, size=(1280, 800))
    page = open_audit(qtbot, window)
    with qtbot.waitSignal(page.shown_entries, timeout=10_000):
        page.user.setCurrentIndex(page.user.findData("rosa"))
    gui_isolation.file_to_save = tmp_path / "rosa's exports.csv"
    with qtbot.waitSignal(page.shown_entries, timeout=20_000):  # the page shows the log again afterwards
        qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    with gui_isolation.file_to_save.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 150 and {r["user"] for r in rows} == {"rosa"}
    assert "150 audit entries" in window.message.text()
    newest = audited.audit_page(limit=1)[0]
    assert (newest.action, newest.details["what"], newest.details["filter"]) == ("export", "audit log",
                                                                                  {"user": "rosa"})
    # with no suffix typed, an Excel workbook
    with qtbot.waitSignal(page.shown_entries, timeout=10_000):
        page.clear_filters()
    gui_isolation.file_to_save = tmp_path / "everything"
    with qtbot.waitSignal(page.shown_entries, timeout=20_000):
        page.export_button.click()
    book = openpyxl.load_workbook(tmp_path / "everything.xlsx", read_only=True)
    rows = sum(1 for _ in book["Audit log"].iter_rows())
    book.close()  # read-only books keep their file open until closed
    assert rows == audited.audit_count() - 1 + 1  # all but its own entry, + header
    # many entries: CSV is offered first (a workbook is slow to write), and is what a name without suffix gets
    monkeypatch.setattr("ddj_desktop.gui.audit_page.XLSX_SUGGESTED_UP_TO", 100)
    gui_isolation.file_to_save = tmp_path / "many"
    with qtbot.waitSignal(page.shown_entries, timeout=20_000):
        page.export_button.click()
    assert (tmp_path / "many.csv").read_text(encoding="utf-8-sig").count("\n") == audited.audit_count() - 1 + 1


def test_a_broken_chain_is_said_plainly(qtbot, audited: Workspace) -> None:
    with audited.store.transaction_connection() as con:
        con.execute(text("UPDATE audit_event SET details = '{\"what\":\"nothing\"}' WHERE seq = 40"))
    window = make_window(qtbot, audited, size=(1280, 800))
    with qtbot.waitSignal(window.pages["Audit log"].chain_checked, timeout=20_000) as checked:
        page = window.show_page("Audit log")
    assert checked.args == [False]
    assert "changed outside DDJ Desktop, at entry 40" in page.verdict.text()
    assert "tell your admin" in page.verdict.text() and "b00020" in page.verdict.styleSheet()
    assert page.show_broken_button.isVisible() and page.show_broken_button.text() == "S&how entry 40"
    with qtbot.waitSignal(page.shown_entries, timeout=10_000) as found:
        qtbot.mouseClick(page.show_broken_button, Qt.MouseButton.LeftButton)
    assert found.args == [40] and shown(page, 0)[:2] == ["40", "39"] and "Entry 40 and the 39 before it" in \
        page.found.text()
    assert page.view.selectionModel().selectedRows()[0].row() == 0  # the broken entry, selected
    assert page.entries.row_at(0).details == {"what": "nothing"}
    with qtbot.waitSignal(page.shown_entries, timeout=10_000) as found:
        page.clear_filters()
    assert found.args == [audited.audit_count()]


@pytest.mark.parametrize("role", ["analyst", "reviewer"])
def test_who_opens_the_page(qtbot, audited: Workspace, store_path: Path, role: str) -> None:
    audited.set_password("ana password 1")
    audited.add_user("sam", role, "sam password")
    audited.close()
    with Workspace.open(store_path, PASSPHRASE, user="sam", password="sam password") as ws:
        window = make_window(qtbot, ws, size=(1280, 800))
        page = window.show_page("Audit log")
        qtbot.waitUntil(lambda: not window.workers.busy(), timeout=20_000)
        if role == "analyst":
            assert page.not_allowed.isHidden() and page.entries.rowCount() > 0 and page.export_button.isEnabled()
        else:
            assert not page.not_allowed.isHidden() and "(reviewer)" in page.not_allowed.text()
            assert page.entries.rowCount() == 0 and not page.export_button.isEnabled()
            assert not page.search.isEnabled() and page.verdict.text() == ""  # no "checking" that never ends
        window.close()


def test_the_keyboard_reaches_the_page_and_every_filter(qtbot, audited: Workspace) -> None:
    window = make_window(qtbot, audited, size=(1280, 800))
    page = window.pages["Audit log"]
    shortcut = f"Ctrl+{PAGE_ORDER.index('Audit log') + 1}"
    action = next(a for a in window.actions() if a.shortcut().toString() == shortcut)
    with qtbot.waitSignal(page.shown_entries, timeout=20_000):
        action.trigger()
    assert window.current_page() is page
    page.use_from.setChecked(True)
    page.use_to.setChecked(True)
    window.activateWindow()
    page.action.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.action, timeout=5000)
    order: list[QWidget] = []
    for _ in range(10):
        order.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    names = [w.accessibleName() for w in order]
    assert names[:10] == ["Show only this action", "Show only this user", "Only entries from a day on",
                          "First day shown", "Only entries up to a day", "Last day shown", "Search the details",
                          "Clear every filter", "Audit log entries", "Export the entries shown to a spreadsheet"]
    for control in (page.verify_button, page.verdict, page.found):
        assert control.accessibleName()
