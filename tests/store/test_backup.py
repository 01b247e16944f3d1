"""Encrypted backups and restore: the copy opens with the same passphrase and holds everything; nothing is
overwritten by mistake; a backup that does not open is never restored."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ddj_desktop.errors import StoreExists, WrongPassphrase
from ddj_desktop.store.backup import restore_backup
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE, file_digest
from tests.importing.test_import import booking_rows, write_bookings


@pytest.fixture
def filled(workspace: Workspace, tmp_path: Path) -> Workspace:
    workspace.import_files([write_bookings(tmp_path / "b.xlsx", booking_rows())], "jail")
    return workspace


def test_backup_opens_with_the_passphrase_and_holds_everything(filled: Workspace, tmp_path: Path):
    target = tmp_path / "backups" / "county-2026-11-25.ddj"
    target.parent.mkdir()
    filled.store.backup(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert b"SMITH" not in target.read_bytes()
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    with Workspace.open(target, PASSPHRASE) as copy:
        assert copy.counts() == filled.counts()
        assert [b.file_name for b in copy.batches()] == [b.file_name for b in filled.batches()]
        assert copy.verify_audit().ok
    with pytest.raises(WrongPassphrase):
        Workspace.open(target, "another passphrase")


def test_backup_never_overwrites(filled: Workspace, tmp_path: Path):
    target = tmp_path / "taken.ddj"
    target.write_bytes(b"something else")
    with pytest.raises(StoreExists):
        filled.store.backup(target)
    assert target.read_bytes() == b"something else"


def test_restore_sets_the_current_store_aside(filled: Workspace, store_path: Path, tmp_path: Path):
    backup = tmp_path / "backup.ddj"
    filled.store.backup(backup)
    filled.set_source("ems")  # a change made after the backup
    filled.close()
    with pytest.raises(StoreExists):
        restore_backup(backup, store_path, PASSPHRASE)
    aside = restore_backup(backup, store_path, PASSPHRASE, replace=True)
    assert aside is not None and aside.exists()
    with Workspace.open(store_path, PASSPHRASE) as restored:
        assert [s.name for s in restored.sources()] == ["jail"]
    with Workspace.open(aside, PASSPHRASE) as before:
        assert [s.name for s in before.sources()] == ["ems", "jail"]


def test_a_backup_that_does_not_open_is_not_restored(filled: Workspace, store_path: Path, tmp_path: Path):
    backup = tmp_path / "backup.ddj"
    filled.store.backup(backup)
    filled.close()
    before = file_digest(store_path)
    with pytest.raises(WrongPassphrase):
        restore_backup(backup, store_path, "not the passphrase", replace=True)
    assert file_digest(store_path) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".ddj") == ["backup.ddj", "county.ddj"]
