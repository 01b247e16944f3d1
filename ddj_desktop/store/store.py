"""An open, unlocked store: its engine, its schema kept current, and transactions that fail with clear errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ddj_desktop.errors import StoreError
from ddj_desktop.store import engine as store_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"

# Alembic is imported only when a store is opened or made (it costs ~0.4 s of the desktop's cold start).


def _alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _scripts() -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None
    return head


def known_revision(revision: str) -> bool:
    """Whether this version's migrations know `revision` (a newer version's store has one they do not)."""
    from alembic.util import CommandError

    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


class Store:
    """One open store file. Make it with `Store.create` or `Store.open`; close it when done."""

    def __init__(self, path: Path, passphrase: str, page_size: int | None = None) -> None:
        self.path = path
        self._passphrase = passphrase  # kept for backups, which are encrypted under the same passphrase
        # The file's page size (see engine.PAGE_SIZE): proven when the store was checked, else asked here.
        self.page_size = page_size or store_engine.page_size_of(path, passphrase)
        self._bind(store_engine.make_engine(path, passphrase, page_size))

    def _bind(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Reads begin a deferred transaction: they share the file with other readers and with a writer that has
        # not yet begun to commit (another window, or the link run's worker process), where BEGIN IMMEDIATE would
        # take the one write lock and make every other reader and writer wait, and then fail.
        self._read_sessions = sessionmaker(store_engine.reading_engine(engine), expire_on_commit=False)

    @classmethod
    def create(cls, path: Path, passphrase: str) -> Store:
        """A new, empty store at `path`, encrypted with `passphrase`, at the newest schema."""
        path = Path(path)
        store_engine.create_file(path, passphrase, store_engine.PAGE_SIZE)
        try:
            store = cls(path, passphrase, store_engine.PAGE_SIZE)
            store.upgrade()
        except BaseException:
            with contextlib.suppress(Exception):
                store.close()  # type: ignore[possibly-undefined]
            path.unlink(missing_ok=True)
            raise
        return store

    @classmethod
    def open(cls, path: Path, passphrase: str, *, upgrade: bool = True) -> Store:
        """The store at `path`, unlocked; an older schema is upgraded. Nothing is written if it will not open."""
        path = Path(path)
        page_size = store_engine.check_unlocks(path, passphrase)
        store = cls(path, passphrase, page_size)
        if upgrade:
            try:
                store.upgrade()
            except BaseException:
                store.close()
                raise
        return store

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as con:
            return MigrationContext.configure(con).get_current_revision()

    def upgrade(self, target: str = "head") -> None:
        """Bring the schema to `target` in one transaction (a failed upgrade leaves the old schema)."""
        current = self.revision()
        if target == "head" and current == head_revision():
            return
        if current is not None and not known_revision(current):
            from ddj_desktop import __version__

            raise StoreError(
                f"{self.path.name} was opened by a newer version of DDJ Desktop, which upgraded it; this version "
                f"({__version__}) cannot read it.",
                hint="Install that newer version again (the store is unchanged), or open a backup made before "
                "the upgrade.",
            )
        from alembic import command

        with self.transaction_connection() as con:
            command.upgrade(_alembic_config(con), target)

    @contextlib.contextmanager
    def transaction_connection(self) -> Iterator[Connection]:
        with self.errors(), self.engine.begin() as con:
            yield con

    @contextlib.contextmanager
    def session(self, *, wait_ms: int | None = None) -> Iterator[Session]:
        """A session in one transaction: committed if the block ends normally, rolled back on any exception.
        `wait_ms`: how long to wait for the write lock (default: long, see engine.WRITE_WAIT_MS) before StoreBusy."""
        sessions = self._sessions
        if wait_ms is not None:
            sessions = sessionmaker(self.engine.execution_options(**{store_engine.WAIT_OPTION: wait_ms}),
                                    expire_on_commit=False)
        with self.errors(), sessions.begin() as session:
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reading only (rolled back at the end), in a deferred transaction that takes no write
        lock: it reads one consistent state of the store while other readers and a writer go on."""
        with self.errors(), self._read_sessions() as session:
            yield session

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn database errors into StoreErrors that tell the user what happened."""
        try:
            yield
        except DBAPIError as exc:
            translated = store_engine.translate(exc, self.path)
            if translated is exc:
                raise
            raise translated from exc

    def rekey(self, new_passphrase: str) -> None:
        """Change the passphrase; the store stays open under the new one."""
        with self.errors():
            store_engine.rekey(self.engine, new_passphrase)
        self._passphrase = new_passphrase
        self._bind(store_engine.make_engine(self.path, new_passphrase, self.page_size))

    def vacuum(self) -> None:
        """Rewrite the file without its free pages (after a purge; deleted rows were already zeroed by
        secure_delete). Needs the only connection to the file and runs outside any transaction."""
        with self.errors():
            self.engine.dispose()
            raw = self.engine.raw_connection()
            try:
                raw.driver_connection.execute("VACUUM")
            finally:
                raw.close()
            self.engine.dispose()

    def backup(self, destination: Path) -> None:
        """Write an encrypted copy of the store to `destination` (same passphrase), checked before it is kept."""
        from ddj_desktop.store import backup

        with self.errors():
            backup.write_backup(self, Path(destination), self._passphrase)

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["Store", "StoreError", "head_revision"]
