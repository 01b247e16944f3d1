"""Creating and unlocking a store through the dialogs, including a wrong passphrase."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from ddj_desktop.gui.store_dialogs import CreateStoreDialog, UnlockDialog, passphrase_strength
from ddj_desktop.workspace import Workspace


def test_create_needs_the_same_long_passphrase_twice(qtbot, tmp_path: Path) -> None:
    dialog = CreateStoreDialog(location=tmp_path / "stores" / "county.ddj")
    qtbot.addWidget(dialog)
    assert "user" in dialog.location.text() or "county.ddj" in dialog.location.text()
    qtbot.keyClicks(dialog.passphrase, "short")
    assert not dialog.create_button.isEnabled()
    assert "Too short" in dialog.strength.text()
    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, "river stone maple lantern")
    qtbot.keyClicks(dialog.again, "river stone maple")
    assert not dialog.create_button.isEnabled()
    assert dialog.problem.text() == "The two passphrases differ."
    qtbot.keyClicks(dialog.again, " lantern")
    assert dialog.create_button.isEnabled()
    assert dialog.strength.text().startswith("Strong")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.workspace is not None
    dialog.workspace.close()
    assert (tmp_path / "stores" / "county.ddj").is_file()
    with Workspace.open(tmp_path / "stores" / "county.ddj", "river stone maple lantern") as ws:
        assert ws.counts()["records"] == 0


def test_create_in_a_folder_that_cannot_exist_says_so(qtbot, tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    dialog = CreateStoreDialog(location=blocker / "county.ddj")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.passphrase, "river stone maple lantern")
    qtbot.keyClicks(dialog.again, "river stone maple lantern")
    dialog.create_store()
    assert dialog.workspace is None
    assert "Choose another folder" in dialog.problem.text()


def test_the_default_location_is_the_user_data_folder(qtbot) -> None:
    dialog = CreateStoreDialog()
    qtbot.addWidget(dialog)
    from ddj_desktop.paths import user_data_dir

    assert Path(dialog.location.text()) == user_data_dir() / "county.ddj"


def test_wrong_passphrase_keeps_the_dialog_open_then_the_right_one_unlocks(
    qtbot, store_path: Path, passphrase: str
) -> None:
    Workspace.create(store_path, passphrase).close()
    dialog = UnlockDialog(store_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.passphrase, "not the passphrase")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert dialog.workspace is None
    assert dialog.isVisible()
    assert "does not open this store" in dialog.problem.text()
    assert dialog.problem.isVisibleTo(dialog)
    assert dialog.passphrase.text() == ""
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.workspace is not None
    assert dialog.workspace.counts()["records"] == 0
    dialog.workspace.close()


def test_a_file_that_is_not_a_store_is_named(qtbot, tmp_path: Path) -> None:
    other = tmp_path / "notes.ddj"
    other.write_text("hello")
    dialog = UnlockDialog(other)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.passphrase, "whatever it is")
    dialog.unlock()
    assert dialog.workspace is None
    assert dialog.problem.text()


def test_strength_hint() -> None:
    assert passphrase_strength("abc")[1] is False
    assert passphrase_strength("correct horse")[0].startswith("Fair")
    assert passphrase_strength("correct horse battery staple")[0].startswith("Strong")
