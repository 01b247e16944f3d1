"""Settings' data-sharing agreements and retention, driven through the widgets on a real store: an admin adds an
agreement covering a source, ends it, sets a source's retention; what is missing stays in the dialog; an analyst
sees them and why they cannot change them. Each change is proven by Workspace and the audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt

from ddj_desktop.errors import DdjError
from ddj_desktop.gui.main_window import MainWindow
from ddj_desktop.gui.settings_page import SettingsPage
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.gui.windows import make_window


def settings_page(window: MainWindow) -> SettingsPage:
    page = window.show_page("Settings")
    assert isinstance(page, SettingsPage)
    return page


def cells(model, column: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [model.index(r, column).data() for r in range(model.rowCount())]


def tick(dialog, *fields: str) -> None:  # type: ignore[no-untyped-def]
    for i in range(dialog.fields.count()):
        item = dialog.fields.item(i)
        if item.text() in fields:
            item.setCheckState(Qt.CheckState.Checked)


def test_admin_adds_an_agreement_that_covers_a_source(qtbot, jail_workspace: Workspace) -> None:
    window = make_window(qtbot, jail_workspace, size=(1280, 800))
    page = settings_page(window)
    assert page.agreements.rowCount() == 0 and page.add_agreement_button.isEnabled()
    dialog = page.add_agreement()
    assert not dialog.ok.isEnabled()  # nothing typed yet
    qtbot.keyClicks(dialog.name, "jail-mou-2026")
    qtbot.keyClicks(dialog.parties, "County Sheriff, County justice services")
    qtbot.keyClicks(dialog.purpose, "frequent-utilizer list")
    tick(dialog, "first_name", "last_name", "dob", "event_start", "charge")
    qtbot.keyClicks(dialog.other_fields, "Charge Desc, Bond Amount")
    dialog.starts.setDate(dt.date(2026, 1, 1))
    dialog.has_end.setChecked(True)
    dialog.ends.setDate(dt.date(2027, 6, 30))
    dialog.source.setCurrentIndex(dialog.source.findData("jail"))
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    made = jail_workspace.agreements(on="2026-12-02")[0]
    assert (made.name, made.parties, made.starts_on, made.ends_on, made.sources) == (
        "jail-mou-2026", ["County Sheriff", "County justice services"], "2026-01-01", "2027-06-30", ["jail"])
    assert made.fields_allowed == ["first_name", "last_name", "dob", "event_start", "charge", "Charge Desc",
                                   "Bond Amount"]
    assert cells(page.agreements, 0) == ["jail-mou-2026"] and cells(page.agreements, 4) == ["jail"]
    jail_row = cells(page.sources, 0).index("jail")
    assert page.sources.index(jail_row, 3).data() == "jail-mou-2026"
    assert "jail-mou-2026 was added" in window.message.text()
    actions = [e["action"] for e in jail_workspace.audit_entries(3)]
    assert actions[:2] == ["agreement_tie", "agreement_add"]


def test_an_incomplete_agreement_stays_in_the_dialog_and_says_what_is_missing(qtbot, jail_workspace: Workspace) -> None:
    window = make_window(qtbot, jail_workspace, size=(1280, 800))
    dialog = settings_page(window).add_agreement()
    qtbot.keyClicks(dialog.name, "half an mou")
    dialog.ok.click()
    text = dialog.problem.text()
    assert dialog.isVisible() and not dialog.problem.isHidden()
    assert "a name of letters" in text and "two parties" in text and "a purpose" in text and "fields" in text
    assert jail_workspace.agreements() == []


def test_admin_ends_an_agreement(qtbot, jail_workspace: Workspace) -> None:
    jail_workspace.add_agreement("jail-mou-2026", parties=["Sheriff", "County"], purpose="lists",
                                 fields=["last_name"], starts_on="2026-01-01")
    window = make_window(qtbot, jail_workspace, size=(1280, 800))
    page = settings_page(window)
    assert not page.end_agreement_button.isEnabled()  # nothing selected
    page.agreements_view.selectRow(0)
    assert page.end_agreement_button.isEnabled()
    dialog = page.end_agreement()
    assert "jail-mou-2026" in dialog.intro.text()
    dialog.last_day.setDate(dt.date(2026, 3, 31))
    qtbot.keyClicks(dialog.note, "not renewed")
    dialog.ok.click()
    assert not dialog.isVisible()
    ended = jail_workspace.agreements()[0]
    assert (ended.ends_on, ended.status, ended.end_note) == ("2026-03-31", "ended", "not renewed")
    assert cells(page.agreements, 1) == ["ended"] and cells(page.agreements, 3) == ["2026-03-31"]
    page.agreements_view.selectRow(0)
    assert not page.end_agreement_button.isEnabled()  # an ended agreement is not ended twice
    # before it starts: the dialog says so and stays open
    jail_workspace.add_agreement("ed-mou", parties=["Hospital", "County"], purpose="lists", fields=["dob"],
                                 starts_on="2026-06-01")
    page.refresh()
    page.agreements_view.selectRow(cells(page.agreements, 0).index("ed-mou"))
    dialog = page.end_agreement()
    dialog.last_day.setDate(dt.date(2026, 5, 1))
    dialog.ok.click()
    assert dialog.isVisible() and "cannot end before" in dialog.problem.text()


def test_admin_sets_a_sources_retention_and_agreement(qtbot, jail_workspace: Workspace) -> None:
    jail_workspace.add_agreement("jail-mou-2026", parties=["Sheriff", "County"], purpose="lists",
                                 fields=["last_name"], starts_on="2026-01-01")
    window = make_window(qtbot, jail_workspace, size=(1280, 800))
    page = settings_page(window)
    assert not page.save_source_button.isEnabled()  # select a source first
    page.sources_view.selectRow(cells(page.sources, 0).index("jail"))
    assert page.save_source_button.isEnabled() and page.retention.isEnabled()
    page.retention.setValue(7)
    page.source_agreement.setCurrentIndex(page.source_agreement.findData("jail-mou-2026"))
    qtbot.mouseClick(page.save_source_button, Qt.MouseButton.LeftButton)
    jail = next(s for s in jail_workspace.sources() if s.name == "jail")
    assert (jail.retention_years, jail.agreement) == (7, "jail-mou-2026")
    row = cells(page.sources, 0).index("jail")
    assert page.sources.index(row, 4).data() == "7 years" and page.sources.index(row, 3).data() == "jail-mou-2026"
    assert page.sources_view.selectionModel().selectedRows()[0].row() == row  # still selected after the refresh
    assert [e["action"] for e in jail_workspace.audit_entries(2)] == ["retention", "agreement_tie"]
    page.retention.setValue(0)  # "until purged by hand"
    assert page.retention.text() == "until purged by hand"
    page.source_agreement.setCurrentIndex(0)
    page.save_source_button.click()
    jail = next(s for s in jail_workspace.sources() if s.name == "jail")
    assert (jail.retention_years, jail.agreement) == (None, None)
    assert "until purged by hand" in window.message.text()


def test_an_analyst_sees_agreements_and_retention_but_cannot_change_them(qtbot, jail_workspace: Workspace,
                                                                          store_path: Path) -> None:
    jail_workspace.add_agreement("jail-mou-2026", parties=["Sheriff", "County"], purpose="lists",
                                 fields=["last_name"], starts_on="2026-01-01")
    jail_workspace.set_retention("jail", 5)
    jail_workspace.set_password("ana password 1")
    jail_workspace.add_user("sam", "analyst", "sam password")
    jail_workspace.close()
    with Workspace.open(store_path, PASSPHRASE, user="sam", password="sam password") as sam:
        window = make_window(qtbot, sam, size=(1280, 800))
        page = settings_page(window)
        assert cells(page.agreements, 0) == ["jail-mou-2026"]
        assert page.sources.index(cells(page.sources, 0).index("jail"), 4).data() == "5 years"
        page.agreements_view.selectRow(0)
        page.sources_view.selectRow(0)
        assert not page.add_agreement_button.isEnabled() and not page.end_agreement_button.isEnabled()
        assert not page.save_source_button.isEnabled() and not page.retention.isEnabled()
        assert "Only an admin adds or ends agreements" in page.agreements_note.text()
        assert "Only an admin changes a source's agreement or retention" in page.sources_note.text()
        for call in (lambda: sam.set_retention("jail", 9), lambda: sam.tie_agreement("jail", None)):
            try:
                call()
            except DdjError as err:
                assert "admin" in (err.hint or "")
            else:
                raise AssertionError("an analyst changed an admin's setting")
        window.close()


def test_tab_reaches_the_agreement_and_retention_controls(qtbot, jail_workspace: Workspace) -> None:
    window = make_window(qtbot, jail_workspace, size=(1280, 800))
    page = settings_page(window)
    page.sources_view.selectRow(0)
    for control in (page.add_agreement_button, page.end_agreement_button, page.agreements_view, page.sources_view,
                    page.source_agreement, page.retention, page.save_source_button):
        assert control.accessibleName()
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus
    window.activateWindow()
    page.sources_view.setFocus()
    qtbot.waitUntil(lambda: page.sources_view.hasFocus(), timeout=5000)
    reached = []
    for _ in range(3):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        reached.append(window.focusWidget())
    assert reached == [page.source_agreement, page.retention, page.save_source_button]
