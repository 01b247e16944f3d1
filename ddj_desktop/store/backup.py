"""Encrypted backups: a copy of the store, under the same passphrase, that is opened and checked before it is
reported as done; and restoring one."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ddj_desktop.errors import StoreError, StoreExists
from ddj_desktop.store import engine as store_engine

if TYPE_CHECKING:
    from ddj_desktop.store.store import Store

BACKUP_TABLES = ("record", "person", "audit_event", "import_batch", "source", "user")


def _counts(con, tables: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def write_backup(store: Store, destination: Path, passphrase: str) -> None:
    """Export every page of `store` into a new encrypted file at `destination`; verified, then moved in place."""
    if destination.exists():
        raise StoreExists(f"{destination} already exists.", hint="Pick a new file name for the backup.")
    if not destination.parent.is_dir():
        raise StoreError(f"The folder {destination.parent} does not exist.")
    if destination.resolve() == store.path.resolve():
        raise StoreError("A backup must go to another file than the store itself.")
    partial = destination.with_name(f".{destination.name}.part")
    partial.unlink(missing_ok=True)
    try:
        with store_engine.owner_only_files():
            raw = store.engine.raw_connection()
            try:
                con = raw.driver_connection
                tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                expected = _counts(con, [t for t in tables if t in BACKUP_TABLES])
                quoted = store_engine._sql_literal(str(partial))
                con.execute(f"ATTACH DATABASE {quoted} AS backup KEY {store_engine._sql_literal(passphrase)}")
                try:
                    # The copy keeps the store's page size (an attached database would get SQLCipher's default).
                    con.execute(f"PRAGMA backup.cipher_page_size = {int(store.page_size)}")
                    con.execute("SELECT sqlcipher_export('backup')")
                    version = con.execute("PRAGMA main.user_version").fetchone()[0]
                    con.execute(f"PRAGMA backup.user_version = {int(version)}")
                finally:
                    con.execute("DETACH DATABASE backup")
            finally:
                raw.close()
        _verify(partial, passphrase, expected)
        os.replace(partial, destination)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _verify(path: Path, passphrase: str, expected: dict[str, int]) -> None:
    """Open the written backup like a store and compare what it holds; StoreError if anything differs."""
    page_size = store_engine.check_unlocks(path, passphrase)
    con = store_engine._raw_connect(path, passphrase, "ro", page_size=page_size)
    try:
        if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise StoreError("The backup did not check out; it was not kept.", hint="Try again on another disk.")
        got = _counts(con, list(expected))
    finally:
        con.close()
    if got != expected:
        raise StoreError("The backup does not hold everything the store holds; it was not kept.")


def restore_backup(backup: Path, destination: Path, passphrase: str, *, replace: bool = False) -> Path | None:
    """Copy a checked backup to `destination`; returns where the replaced store was set aside, if any."""
    store_engine.check_unlocks(backup, passphrase)  # wrong passphrase, not a store, damaged: refused here
    if destination.exists() and not replace:
        raise StoreExists(
            f"{destination} already exists.", hint="Restore to a new file name, or say --replace to set it aside."
        )
    set_aside = None
    partial = destination.with_name(f".{destination.name}.part")
    with store_engine.owner_only_files():
        shutil.copyfile(backup, partial)
    store_engine.check_unlocks(partial, passphrase)
    if destination.exists():
        set_aside = destination.with_name(destination.name + ".before-restore")
        n = 1
        while set_aside.exists():
            n += 1
            set_aside = destination.with_name(f"{destination.name}.before-restore-{n}")
        os.replace(destination, set_aside)
    os.replace(partial, destination)
    return set_aside



def undo_restore(destination: Path, set_aside: Path | None) -> None:
    """Put back what `restore_backup` replaced (the restored copy is removed)."""
    destination.unlink(missing_ok=True)
    if set_aside is not None:
        os.replace(set_aside, destination)


__all__ = ["restore_backup", "undo_restore", "write_backup"]
