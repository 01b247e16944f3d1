"""Settings: an admin adds users and resets passwords, anyone changes their own password with the current one,
an admin changes the store passphrase (old one confirmed); other roles see why they cannot. Real encrypted
stores throughout: each change is proven by opening the store again."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ddj_desktop.errors import AuthenticationFailed, WrongPassphrase
from ddj_desktop.gui.main_window import PAGE_ORDER
from ddj_desktop.gui.processes import StoreKey
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.gui.windows import make_window

NEW_PASSPHRASE = "seven otters under the north bridge"



def type_secret(qtbot, field, text: str) -> None:  # type: ignore[no-untyped-def]
    field.clear()
    qtbot.keyClicks(field, text)


def test_admin_adds_a_reviewer_who_then_signs_in_with_that_role(qtbot, workspace: Workspace,
                                                                store_path: Path) -> None:
    workspace.set_password("ana password 1")
    window = make_window(qtbot, workspace)
    page = window.show_page("Settings")
    assert page.users.rowCount() == 1 and page.add_button.isVisible()
    dialog = page.add_user()
    qtbot.keyClicks(dialog.name, "rosa")
    dialog.role.setCurrentIndex(dialog.role.findData("reviewer"))
    type_secret(qtbot, dialog.password.first, "rosa password")
    type_secret(qtbot, dialog.password.again, "rosa passwore")
    assert not dialog.ok.isEnabled() and "differ" in dialog.problem.text()
    type_secret(qtbot, dialog.password.again, "rosa password")
    assert dialog.ok.isEnabled()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert [page.users.index(r, 0).data() for r in range(page.users.rowCount())] == ["ana", "rosa"]
    assert page.users.index(1, 1).data() == "reviewer"
    with Workspace.open(store_path, PASSPHRASE, user="rosa", password="rosa password") as rosa:
        assert rosa.role == "reviewer"


def test_adding_a_user_before_the_admin_has_a_password_says_what_to_do(qtbot, workspace: Workspace) -> None:
    window = make_window(qtbot, workspace)
    dialog = window.show_page("Settings").add_user()
    qtbot.keyClicks(dialog.name, "rosa")
    type_secret(qtbot, dialog.password.first, "rosa password")
    type_secret(qtbot, dialog.password.again, "rosa password")
    dialog.ok.click()
    assert dialog.isVisible() and "password for yourself" in dialog.problem.text()
    assert [u.name for u in workspace.users()] == ["ana"]


def test_admin_resets_another_users_password(qtbot, workspace: Workspace, store_path: Path) -> None:
    workspace.set_password("ana password 1")
    workspace.add_user("rosa", "analyst", "forgotten one")
    window = make_window(qtbot, workspace)
    page = window.show_page("Settings")
    page.users_view.selectRow(0)
    assert not page.reset_button.isEnabled()  # your own password is changed above, with the current one
    page.users_view.selectRow(1)
    assert page.reset_button.isEnabled()
    dialog = page.reset_password()
    type_secret(qtbot, dialog.password.first, "rosa new password")
    type_secret(qtbot, dialog.password.again, "rosa new password")
    dialog.ok.click()
    assert not dialog.isVisible()
    with Workspace.open(store_path, PASSPHRASE, user="rosa", password="rosa new password") as rosa:
        assert rosa.role == "analyst"
    with pytest.raises(AuthenticationFailed):
        Workspace.open(store_path, PASSPHRASE, user="rosa", password="forgotten one")


def test_changing_your_own_password_needs_the_current_one(qtbot, workspace: Workspace, store_path: Path) -> None:
    workspace.set_password("ana password 1")
    workspace.add_user("rosa", "viewer", "rosa password")
    window = make_window(qtbot, workspace)
    dialog = window.show_page("Settings").change_password()
    type_secret(qtbot, dialog.current, "not my password")
    type_secret(qtbot, dialog.password.first, "ana password 2")
    type_secret(qtbot, dialog.password.again, "ana password 2")
    dialog.ok.click()
    assert dialog.isVisible() and dialog.problem.isVisible() and "not right" in dialog.problem.text()
    assert dialog.current.text() == ""
    type_secret(qtbot, dialog.current, "ana password 1")
    dialog.ok.click()
    assert not dialog.isVisible()
    with Workspace.open(store_path, PASSPHRASE, user="ana", password="ana password 2") as again:
        assert again.role == "admin"


def test_admin_changes_the_store_passphrase(qtbot, workspace: Workspace, store_path: Path) -> None:
    window = make_window(qtbot, workspace, key=StoreKey(store_path, PASSPHRASE, workspace.user_name))
    page = window.show_page("Settings")
    assert page.passphrase_button.isEnabled()
    dialog = page.change_passphrase()
    assert "cannot be recovered" in dialog.intro.text()
    type_secret(qtbot, dialog.current, "a wrong passphrase!")
    type_secret(qtbot, dialog.passphrase.first, "short")
    assert not dialog.ok.isEnabled() and "Too short" in dialog.passphrase.hint.text()
    type_secret(qtbot, dialog.passphrase.first, NEW_PASSPHRASE)
    type_secret(qtbot, dialog.passphrase.again, NEW_PASSPHRASE)
    assert dialog.ok.isEnabled() and "Strong" in dialog.passphrase.hint.text()
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.current.isEnabled() and dialog.problem.isVisible(), timeout=10_000)
    assert "not the store's current passphrase" in dialog.problem.text()
    assert not window.workers.busy()
    type_secret(qtbot, dialog.current, PASSPHRASE)
    dialog.ok.click()
    assert dialog.busy.isVisible()  # the busy bar while the file is rewritten
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)
    assert dialog.changed and "passphrase was changed" in window.message.text()
    assert window.store_key is not None and window.store_key.passphrase == NEW_PASSPHRASE
    assert window.workspace is not None and window.workspace.counts()["records"] == 0  # still open, under the new one
    window.close()
    with pytest.raises(WrongPassphrase):
        Workspace.open(store_path, PASSPHRASE)
    with Workspace.open(store_path, NEW_PASSPHRASE) as reopened:
        assert "rekey" in [e["action"] for e in reopened.audit_entries()]


@pytest.mark.parametrize("role", ["analyst", "reviewer", "viewer"])
def test_other_roles_see_why_they_cannot_manage_users_or_the_passphrase(qtbot, workspace: Workspace,
                                                                        store_path: Path, role: str) -> None:
    workspace.set_password("ana password 1")
    workspace.add_user("sam", role, "sam password")
    workspace.close()
    sam = Workspace.open(store_path, PASSPHRASE, user="sam", password="sam password")
    try:
        window = make_window(qtbot, sam)
        page = window.show_page("Settings")
        assert not page.passphrase_button.isEnabled()
        assert "Only an admin can change the store passphrase" in page.passphrase_note.text()
        assert not page.users_view.isVisible() and not page.add_button.isVisible()
        assert "Only an admin sees and manages the users" in page.users_note.text()
        assert page.password_button.isEnabled()  # but their own password is theirs to change
        window.close()
    finally:
        sam.close()


@pytest.mark.parametrize("role", ["admin", "analyst", "reviewer", "viewer"])
def test_every_page_opens_for_every_role(qtbot, jail_workspace: Workspace, store_path: Path, role: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    bugs: list[object] = []
    monkeypatch.setattr("sys.excepthook", lambda *exc: bugs.append(exc))
    jail_workspace.set_password("ana password 1")
    if role != "admin":
        jail_workspace.add_user("sam", role, "sam password")
    jail_workspace.close()
    user, password = ("ana", "ana password 1") if role == "admin" else ("sam", "sam password")
    ws = Workspace.open(store_path, PASSPHRASE, user=user, password=password)
    try:
        window = make_window(qtbot, ws)
        for title in PAGE_ORDER:
            page = window.show_page(title)
            qtbot.wait(50)
            if page.not_allowed.isVisible():
                assert f"({role})" in page.not_allowed.text() and "admin" in page.not_allowed.text()
        qtbot.waitUntil(lambda: not window.workers.busy(), timeout=10_000)
        assert bugs == []
        if role == "viewer":  # names are not for viewers: the page says so, no error box each time
            assert window.pages["People"].not_allowed.isHidden() is False
            assert not window.pages["People"].search.isEnabled()
        if role == "reviewer":
            assert window.pages["Audit log"].not_allowed.isHidden() is False
        if role == "admin":
            assert not any(p.not_allowed.isHidden() is False for p in window.pages.values())
        window.close()
    finally:
        ws.close()


def test_an_admin_backs_up_the_store_from_settings(qtbot, jail_workspace: Workspace, shown, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, jail_workspace, size=(1280, 800))
    page = window.show_page("Settings")
    assert page.backup_button.isEnabled()
    shown.file_to_save = tmp_path / "usb" / "county-backup.ddj"
    shown.file_to_save.parent.mkdir()
    qtbot.mouseClick(page.backup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Backup written" in window.message.text(), timeout=30_000)
    assert not shown.errors
    with Workspace.open(shown.file_to_save, PASSPHRASE) as copy:  # the same passphrase opens it
        assert copy.count_records() == jail_workspace.count_records() > 0


def test_an_admin_changes_a_users_role_then_deactivates_them(qtbot, workspace: Workspace, shown) -> None:  # type: ignore[no-untyped-def]
    workspace.set_password("ana password 1")
    workspace.add_user("rosa", "analyst", "rosa password")
    window = make_window(qtbot, workspace, size=(1280, 800))
    page = window.show_page("Settings")
    page.users_view.selectRow(next(r for r in range(page.users.rowCount()) if page.users.row_at(r).name == "rosa"))
    assert page.role.currentText() == "analyst" and page.active_button.text() == "Deac&tivate"
    page.role.setCurrentIndex(page.role.findData("reviewer"))
    qtbot.mouseClick(page.role_button, Qt.MouseButton.LeftButton)
    assert "rosa is now reviewer." in window.message.text()
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    assert shown.questions and "Deactivate rosa?" in shown.questions[0]
    rosa = next(u for u in workspace.users() if u.name == "rosa")
    assert (rosa.role, rosa.active) == ("reviewer", False)
    assert page.active_button.text() == "Reac&tivate", "the same row stays selected"
    with pytest.raises(AuthenticationFailed):
        Workspace.open(workspace.path, PASSPHRASE, user="rosa", password="rosa password").close()
    # the last active admin cannot be made something else: said, and nothing changes
    page.users_view.selectRow(next(r for r in range(page.users.rowCount()) if page.users.row_at(r).name == "ana"))
    page.role.setCurrentIndex(page.role.findData("viewer"))
    qtbot.mouseClick(page.role_button, Qt.MouseButton.LeftButton)
    assert shown.errors and "without an active admin" in shown.errors[-1].message
    assert next(u for u in workspace.users() if u.name == "ana").role == "admin"
