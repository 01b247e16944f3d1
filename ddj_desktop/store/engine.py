"""The encrypted store file: create, unlock, change passphrase, and turn SQLite's errors into messages.

A store is one SQLCipher file. The passphrase is stretched by SQLCipher's own KDF (PBKDF2-HMAC-SHA512, 256,000
iterations in SQLCipher 4), which costs ~100-160 ms per connection, so connections are pooled and the engine is
made once per open store. Nothing is ever written to the file before the passphrase has been proven right, so a
wrong passphrase or a file that is not a store leaves the file byte for byte as it was.

Page size: stores are made with 64 KiB pages (PAGE_SIZE); stores made before are 4 KiB (SQLCipher's default),
and stay so. SQLCipher encrypts the page size with the rest of page 1, so every connection must be told it
before it reads: a store's page size is found once, when the passphrase is proven (the page size that decrypts
page 1 is the file's), and every connection of the open store is then made with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import sqlcipher3
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from ddj_desktop.errors import DiskFull, NotAStore, StoreBusy, StoreError, StoreExists, WrongPassphrase

dbapi = sqlcipher3.dbapi2
# The driver binds None only after looking for an adapter for it, and not finding one costs two AttributeErrors
# made and thrown away (`__adapt__`, `__conform__`) per None: about 2 us each, and an imported record has ten
# or so empty fields. An adapter that gives None back is found at once and binds the same NULL
# ({}.get(None) is None, called in C). Measured: 100,000 rows of 12 Nones insert 5.6x faster.
dbapi.register_adapter(type(None), {}.get)

APP_ID = "ddj-desktop"
# Bytes per page of a new store. SQLCipher's work per page (an IV, an HMAC, a call into the cipher) is paid
# sixteen times less often, and the index b-trees that new rows land all over are shallower. Measured
# (bench/import_speed.py, 1M rows): the bare insert of the imported records 54,000 -> 70,000 rows/s, an import's
# commit ~30 % less CPU, its insert stage ~4 % less; a full scan of 370,000 records 0.88 -> 0.35 s. The cost: an
# empty store is ~2 MB (one page per table and index), and a cold single-record read by id 0.06 -> 0.12 ms.
PAGE_SIZE = 65536
LEGACY_PAGE_SIZE = 4096  # stores made before PAGE_SIZE, and SQLCipher 4's default
PAGE_SIZES = (PAGE_SIZE, LEGACY_PAGE_SIZE)
CACHE_PAGES = 500  # per connection, filled only as pages are read
SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"
# Magic numbers of files people pick by mistake, so that the message can say what the file is.
_KNOWN_MAGIC = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip file (an Excel workbook?)",
    b"\xd0\xcf\x11\xe0": "an old-style Office file",
}


def _sql_literal(text: str) -> str:
    """SQL string literal for `text` (a passphrase may hold quotes)."""
    return "'" + text.replace("'", "''") + "'"


def _uri(path: Path, mode: str, immutable: bool = False) -> str:
    return f"file:{quote(str(path.resolve()))}?mode={mode}" + ("&immutable=1" if immutable else "")


def _raw_connect(
    path: Path, passphrase: str, mode: str, *, page_size: int | None = None, immutable: bool = False
) -> sqlcipher3.dbapi2.Connection:
    """A keyed SQLCipher connection; `mode` is 'ro', 'rw' or 'rwc' (create). `page_size`: the file's (None: a new
    file gets PAGE_SIZE, an existing one is asked with `page_size_of`, one KDF more). `immutable`: read the file
    as it lies, ignoring locks and any journal beside it."""
    if page_size is None:
        exists = path.exists() and path.stat().st_size > 0
        page_size = page_size_of(path, passphrase) if exists else PAGE_SIZE
    con = dbapi.connect(_uri(path, mode, immutable), uri=True, check_same_thread=False, isolation_level=None)
    # SQLCipher would print HMAC failures (a wrong passphrase) to stderr; we say it in words instead.
    con.execute("PRAGMA cipher_log_level = NONE")
    # The key must come before anything that reads the file, and the page size right after it.
    con.execute(f"PRAGMA key = {_sql_literal(passphrase)}")
    con.execute(f"PRAGMA cipher_page_size = {int(page_size)}")
    # Temporary tables and sort spills stay in memory: SQLCipher does not encrypt temp files.
    con.execute("PRAGMA temp_store = MEMORY")
    # Deleted rows are overwritten, not just unlinked, so that purged data does not linger in free pages.
    con.execute("PRAGMA secure_delete = ON")
    con.execute("PRAGMA foreign_keys = ON")
    return con


def describe_non_store(path: Path) -> str | None:
    """Why `path` is certainly not an encrypted store, or None if it might be one."""
    size = path.stat().st_size
    if size == 0:
        return "it is empty"
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_PLAIN_HEADER):
        return "it is an unencrypted SQLite database, not an encrypted DDJ store"
    for magic, what in _KNOWN_MAGIC.items():
        if head.startswith(magic):
            return f"it is {what}"
    if size < 1024 or size % 512:
        return "its size does not fit an encrypted store (it may be damaged or truncated)"
    return None


def hot_journal(path: Path) -> bool:
    """Whether a command killed mid-write left a rollback journal beside the store that SQLite must play back.

    SQLite zeroes a journal's first bytes until it has synced it, so a journal starting with a zero byte (or an
    empty one) holds nothing to roll back.
    """
    try:
        with path.with_name(path.name + "-journal").open("rb") as f:
            return f.read(1) not in (b"", b"\x00")
    except OSError:
        return False


def _wrong_passphrase(path: Path) -> WrongPassphrase:
    return WrongPassphrase(
        f"The passphrase does not open {path.name}.",
        hint="Check the passphrase and try again (it is case-sensitive). "
        "If it is right, the file is damaged: restore it from a backup.",
    )


def _prove_passphrase(path: Path, passphrase: str) -> int:
    """The page size with which `passphrase` decrypts page 1 of the file as it lies (immutable: journal and locks
    ignored, nothing written, whatever state a killed writer left); WrongPassphrase if none does.

    Page 1 is tried at each page size a store may have, the likely one first (a file of whole 64 KiB pages is
    likely a 64 KiB store), so that only a wrong passphrase, a damaged file or one old store in sixteen pays
    for a second KDF. A wrong page size can never pass: the HMAC it checks is not page 1's.
    """
    likely = PAGE_SIZE if path.stat().st_size % PAGE_SIZE == 0 else LEGACY_PAGE_SIZE
    failure: dbapi.DatabaseError | None = None
    for page_size in sorted(PAGE_SIZES, key=lambda size: size != likely):
        con = _raw_connect(path, passphrase, "ro", page_size=page_size, immutable=True)
        try:
            con.execute("PRAGMA schema_version").fetchone()  # decrypts page 1 only
        except dbapi.DatabaseError as exc:
            failure = exc
            continue
        finally:
            con.close()
        return page_size
    if hot_journal(path) and (page_size := _proven_on_rolled_back_copy(path, passphrase)):
        return page_size
    raise _wrong_passphrase(path) from failure


def _proven_on_rolled_back_copy(path: Path, passphrase: str) -> int | None:
    """The page size with which `passphrase` reads a copy of the store rolled back with its hot journal, or None.

    A command killed mid-write can leave the file as it lies unreadable even under the right passphrase: pages
    written before their commit that do not agree with the rest ("database disk image is malformed"). Only its
    journal makes it whole again, and rolling the journal back on the store itself would happen under any key.
    So a copy of both (encrypted pages, beside the store, removed at once) is rolled back and read instead, at
    the page size the journal's own (unencrypted) header states.
    """
    journal = path.with_name(path.name + "-journal")
    try:
        with journal.open("rb") as f:
            page_size = int.from_bytes(f.read(28)[24:28], "big")  # SQLite's journal header: page size at 24
    except OSError:
        return None
    if page_size not in PAGE_SIZES:
        return None
    scratch = Path(tempfile.mkdtemp(prefix=".ddj-unlock-", dir=path.parent))
    try:
        copy = scratch / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(journal, copy.with_name(copy.name + "-journal"))
        con = _raw_connect(copy, passphrase, "rw", page_size=page_size)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
        return page_size
    except (OSError, dbapi.DatabaseError):  # no room for the copy, or it does not read: the passphrase is not proven
        return None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def page_size_of(path: Path, passphrase: str) -> int:
    """The page size of the store at `path`, proven with `passphrase` (WrongPassphrase if it does not open)."""
    return _prove_passphrase(path, passphrase)


def _read_schema(path: Path, passphrase: str, page_size: int) -> None:
    con = _raw_connect(path, passphrase, "ro", page_size=page_size)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        con.close()


def _roll_back_hot_journal(path: Path, passphrase: str) -> int:
    """Restore the store as it was before a command that was killed mid-write, once `passphrase` is proven.

    A read-only connection cannot roll a hot journal back ("attempt to write a readonly database"), and any
    writable one rolls it back on its first read, whatever its key (SQLCipher copies the encrypted pages back
    as they are). So the passphrase is first tried on page 1 of the file as it lies (immutable: journal and
    locks ignored, nothing written); only then does a writable connection roll back.
    """
    page_size = _prove_passphrase(path, passphrase)  # and with it the page size: a journal played back at a
    con = _raw_connect(path, passphrase, "rw", page_size=page_size)  # wrong one would scramble the file
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except dbapi.DatabaseError as exc:
        translated = translate(exc, path)
        raise (damaged(path) if translated is exc else translated) from exc
    finally:
        con.close()
    return page_size


def check_unlocks(path: Path, passphrase: str) -> int:
    """The store's page size if `passphrase` opens the store at `path`; raise a StoreError that says why not.

    Writes nothing, except one thing and only under the right passphrase: the rollback of what a command killed
    mid-write left half done (a hot journal), which SQLite requires before the store can be read.
    """
    if not path.exists():
        raise StoreError(f"There is no store at {path}.", hint="Check the path, or create one with `ddj-desktop init`.")
    if path.is_dir():
        raise NotAStore(f"{path} is a folder, not a store file.")
    reason = describe_non_store(path)
    if reason:
        raise NotAStore(f"{path.name} is not a DDJ store: {reason}.", hint="Pick the .ddj file that DDJ Desktop created.")
    if not passphrase:
        raise WrongPassphrase(f"No passphrase was given for {path.name}.", hint="Type the store's passphrase.")
    if "\x00" in passphrase:  # no store is made with one (a binary file given as the passphrase file?)
        raise _wrong_passphrase(path)
    page_size = _prove_passphrase(path, passphrase)  # the only place a WrongPassphrase comes from
    if hot_journal(path):
        _roll_back_hot_journal(path, passphrase)
    try:
        _read_schema(path, passphrase, page_size)
    except dbapi.DatabaseError as exc:
        if "readonly" not in str(exc).lower():
            raise damaged(path) from exc
        # SQLite found a journal to play back that was not there a moment ago (a writer died meanwhile).
        _roll_back_hot_journal(path, passphrase)
        try:
            _read_schema(path, passphrase, page_size)
        except dbapi.DatabaseError as again:
            raise damaged(path) from again
    con = _raw_connect(path, passphrase, "ro", page_size=page_size)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "store_meta" not in tables:
            raise NotAStore(f"{path.name} is an encrypted database, but not a DDJ store.")
        row = con.execute("SELECT value FROM store_meta WHERE key='app'").fetchone()
        if not row or row[0] != APP_ID:
            raise NotAStore(f"{path.name} is an encrypted database, but not a DDJ store.")
        page_count = int(con.execute("PRAGMA page_count").fetchone()[0])
    except dbapi.DatabaseError as exc:
        raise damaged(path) from exc
    finally:
        con.close()
    # SQLCipher pages carry a reserve area; the file holds page_count whole pages when nothing was cut off.
    if path.stat().st_size < page_count * page_size:
        raise damaged(path)
    return page_size


def damaged(path: Path) -> StoreError:
    return StoreError(
        f"The store {path.name} is damaged and cannot be read.",
        hint="Restore it from your latest backup (`ddj-desktop restore`). The damaged file was not changed.",
    )


def make_engine(path: Path, passphrase: str, page_size: int) -> Engine:
    """A pooled SQLAlchemy engine on the (already checked) store at `path`, whose pages are `page_size` bytes."""

    def creator() -> sqlcipher3.dbapi2.Connection:
        con = _raw_connect(path, passphrase, "rw", page_size=page_size)
        # SQLite's default cache is 2,000 KiB whatever the page size: 500 pages of 4 KiB, but only 31 of 64 KiB,
        # too few for the index pages a write touches (a million-row insert outside the import's own larger cache
        # ran 8x slower than with 4 KiB pages). The same number of pages as before: 2 MB of 4 KiB, 32 MB of
        # 64 KiB. (Set here, on a store already proven: the pragma reads the file.)
        con.execute(f"PRAGMA cache_size = {CACHE_PAGES}")
        return con

    engine = create_engine("sqlite://", creator=creator, module=dbapi, poolclass=QueuePool, pool_size=4)

    # pysqlite's own transaction handling defers BEGIN and commits around DDL; take control of it so that an
    # import, a migration or a rekey is one real transaction.
    # A write transaction takes the write lock at once (BEGIN IMMEDIATE), so that two writers never deadlock halfway;
    # a read (see reading_engine) begins deferred and takes only a shared lock when it first reads.
    # How long each waits for a lock: a write waits long, because its commit must wait for the readers still
    # reading the old state (a link run that worked for an hour must not fail because the window was building the
    # review queue); a read, often on the GUI thread, gives up sooner and says the store is busy.
    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        options = conn.get_execution_options()
        reading = options.get(_READING)
        wait = options.get(WAIT_OPTION) or (READ_WAIT_MS if reading else WRITE_WAIT_MS)
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait)}")
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


_READING = "ddj_reading"
WAIT_OPTION = "ddj_wait_ms"  # an execution option: this transaction's lock wait, in ms, instead of the default
READ_WAIT_MS = 5_000
WRITE_WAIT_MS = 120_000


def reading_engine(engine: Engine) -> Engine:
    """`engine` (same pool) for reads only: its transactions begin deferred, without the write lock."""
    return engine.execution_options(**{_READING: True})


@contextlib.contextmanager
def owner_only_files() -> Iterator[None]:
    """Files created inside are readable and writable by their owner only (umask 077)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def create_file(path: Path, passphrase: str, page_size: int = PAGE_SIZE) -> None:
    """Create an empty encrypted database at `path` (owner-only) with pages of `page_size` bytes, ready for the
    schema."""
    if path.exists():
        raise StoreExists(f"{path} already exists.", hint="Pick a new file name, or open the existing store.")
    if not path.parent.exists():
        raise StoreError(f"The folder {path.parent} does not exist.")
    if not passphrase:
        raise StoreError("A store needs a passphrase.")
    if "\x00" in passphrase:
        raise StoreError("A passphrase cannot hold a NUL character.", hint="Type it, or put it in a text file.")
    with owner_only_files():
        con = _raw_connect(path, passphrase, "rwc", page_size=page_size)
        try:
            # Rollback journal, not WAL: a single file between commands, nothing left beside it.
            con.execute("PRAGMA journal_mode = DELETE")
            con.execute("CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            con.execute(f"INSERT INTO store_meta VALUES ('app', {_sql_literal(APP_ID)})")
        except BaseException:
            con.close()
            path.unlink(missing_ok=True)
            raise
        con.close()
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def rekey(engine: Engine, new_passphrase: str) -> None:
    """Re-encrypt the store under `new_passphrase` (every page is rewritten, in one transaction)."""
    if not new_passphrase:
        raise StoreError("The new passphrase is empty.")
    if "\x00" in new_passphrase:
        raise StoreError("A passphrase cannot hold a NUL character.", hint="Type it, or put it in a text file.")
    engine.dispose()  # rekey needs the only connection to the file
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute(f"PRAGMA rekey = {_sql_literal(new_passphrase)}")
    finally:
        raw.close()
    engine.dispose()


def translate(exc: BaseException, path: Path) -> BaseException:
    """The user-facing error for a database exception `exc` raised while working on the store at `path`."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(orig).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFull(
            f"The disk is full: the change to {path.name} was not saved, and the store is as it was.",
            hint="Free some space on the disk and run it again.",
        )
    if "not a database" in text or "malformed" in text:
        return damaged(path)
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path.name} cannot be written (read-only file or folder).")
    if "locked" in text or "busy" in text:
        return StoreBusy(
            f"{path.name} is in use by another DDJ Desktop window or command.", hint="Close it and try again."
        )
    return exc
