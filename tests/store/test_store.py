"""The encrypted store: create, unlock, rekey, upgrade, and refusing what is not a store without touching it."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect, text

from ddj_desktop.errors import NotAStore, StoreError, StoreExists, WrongPassphrase
from ddj_desktop.paths import data_dir
from ddj_desktop.store import engine as store_engine
from ddj_desktop.store.store import Store, head_revision
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE, file_digest


def test_new_store_is_encrypted_owner_only_and_at_newest_schema(workspace: Workspace, store_path: Path):
    workspace.set_source("jail", agency="Cumberland County Sheriff")
    raw = store_path.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    for plain in (b"Cumberland", b"store_meta", b"ddj-desktop", b"audit_event", b"CREATE TABLE"):
        assert plain not in raw
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert workspace.store.revision() == head_revision()
    assert not list(store_path.parent.glob("county.ddj-*")), "no journal or WAL left beside the store"


def test_plain_sqlite_cannot_read_the_store(workspace: Workspace, store_path: Path):
    con = sqlite3.connect(store_path)
    with pytest.raises(sqlite3.DatabaseError):
        con.execute("SELECT * FROM sqlite_master").fetchall()
    con.close()


def test_reopen_with_the_passphrase_keeps_the_data(workspace: Workspace, store_path: Path):
    workspace.set_source("shelter", intercept=0)
    workspace.close()
    with Workspace.open(store_path, PASSPHRASE) as again:
        assert [s.name for s in again.sources()] == ["shelter"]
        assert again.user_name == "ana"


def test_create_refuses_to_overwrite(workspace: Workspace, store_path: Path):
    before = file_digest(store_path)
    with pytest.raises(StoreExists):
        Workspace.create(store_path, "another passphrase")
    assert file_digest(store_path) == before


@pytest.mark.parametrize("attempt", ["wrong", "", PASSPHRASE.upper(), PASSPHRASE + " "])
def test_wrong_passphrase_is_refused_and_the_file_is_untouched(workspace, store_path: Path, attempt: str):
    workspace.close()
    before = file_digest(store_path)
    mtime = store_path.stat().st_mtime_ns
    with pytest.raises(WrongPassphrase, match=r"(passphrase does not open|No passphrase was given for) county\.ddj"):
        Workspace.open(store_path, attempt)
    assert file_digest(store_path) == before
    assert store_path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["county.ddj"]


def _plain_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "it is empty"),
        (lambda p: p.write_bytes(b"%PDF-1.7\n" + b"x" * 5000), "it is a PDF document"),
        (lambda p: p.write_bytes(b"PK\x03\x04" + b"x" * 5000), "zip file"),
        (_plain_sqlite, "unencrypted SQLite database"),
        (lambda p: p.write_bytes(b"\x01\x02" * 777), "size does not fit"),
    ],
)
def test_not_a_store_is_refused_with_a_reason_and_untouched(tmp_path: Path, make, message: str):
    path = tmp_path / "thing.ddj"
    make(path)
    before = file_digest(path)
    with pytest.raises(NotAStore, match=message):
        Store.open(path, PASSPHRASE)
    assert file_digest(path) == before


def test_other_sqlcipher_database_is_not_a_store(tmp_path: Path):
    path = tmp_path / "other.db"
    con = store_engine._raw_connect(path, PASSPHRASE, "rwc")
    con.execute("CREATE TABLE notes (x)")
    con.close()
    before = file_digest(path)
    with pytest.raises(NotAStore, match="encrypted database, but not a DDJ store"):
        Store.open(path, PASSPHRASE)
    assert file_digest(path) == before


def test_missing_file_and_folder_are_refused(tmp_path: Path):
    with pytest.raises(StoreError, match="There is no store"):
        Store.open(tmp_path / "nope.ddj", PASSPHRASE)
    assert not (tmp_path / "nope.ddj").exists()
    with pytest.raises(NotAStore, match="is a folder"):
        Store.open(tmp_path, PASSPHRASE)


def test_truncated_store_is_reported_damaged_and_left_alone(workspace: Workspace, store_path: Path):
    workspace.close()
    data = store_path.read_bytes()
    store_path.write_bytes(data[: len(data) // 2 // 4096 * 4096])
    before = file_digest(store_path)
    with pytest.raises(StoreError, match="damaged"):
        Store.open(store_path, PASSPHRASE)
    assert file_digest(store_path) == before


def test_change_passphrase(workspace: Workspace, store_path: Path):
    workspace.set_source("jail")
    workspace.change_passphrase("a brand new passphrase")
    assert [s.name for s in workspace.sources()] == ["jail"]  # still usable after the rekey
    workspace.close()
    with pytest.raises(WrongPassphrase):
        Workspace.open(store_path, PASSPHRASE)
    with Workspace.open(store_path, "a brand new passphrase") as again:
        assert [s.name for s in again.sources()] == ["jail"]
        assert any(e["action"] == "rekey" for e in again.audit_entries())


def _stated_page_size(path: Path, passphrase: str = PASSPHRASE) -> int:
    """The page size the file's own page 1 states, decrypted outside SQLCipher."""
    from tests.governance.sqlcipher_pages import SALT, _libcrypto, page_size

    raw = path.read_bytes()
    key = hashlib.pbkdf2_hmac("sha512", passphrase.encode("utf-8"), raw[:SALT], 256_000, 32)
    return page_size(raw, key, _libcrypto())


def test_a_store_made_with_4_kib_pages_keeps_working_and_keeps_its_pages(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    # Stores made before 64 KiB pages have SQLCipher's default 4 KiB: each connection must be told so, or it
    # reads nothing (and a hot journal played back at the wrong size would scramble the file).
    old = tmp_path / "old.ddj"
    with monkeypatch.context() as patched:
        patched.setattr(store_engine, "PAGE_SIZE", store_engine.LEGACY_PAGE_SIZE)
        Workspace.create(old, PASSPHRASE, admin_name="ana").close()
    assert _stated_page_size(old) == 4096
    with Workspace.open(old, PASSPHRASE) as ws:
        [batch] = ws.import_files([data_dir("sample_workbooks") / "court_cases.csv"], "court")
        assert batch.imported > 100
        counts = ws.counts()
        ws.backup(tmp_path / "backup.ddj")
        ws.change_passphrase("a brand new passphrase")
        assert ws.counts() == counts
    assert _stated_page_size(old, "a brand new passphrase") == 4096
    assert _stated_page_size(tmp_path / "backup.ddj") == 4096
    for path, passphrase in ((old, "a brand new passphrase"), (tmp_path / "backup.ddj", PASSPHRASE)):
        with Workspace.open(path, passphrase) as again:
            assert again.counts() == counts
    with pytest.raises(WrongPassphrase):
        Workspace.open(old, PASSPHRASE)

    new = tmp_path / "new.ddj"
    Workspace.create(new, PASSPHRASE, admin_name="ana").close()
    assert _stated_page_size(new) == store_engine.PAGE_SIZE == 65536


def test_passphrase_with_quotes_and_accents(tmp_path: Path):
    secret = "it's \"Núñez\"; DROP TABLE x; --"
    Workspace.create(tmp_path / "q.ddj", secret).close()
    with Workspace.open(tmp_path / "q.ddj", secret) as ws:
        assert ws.sources() == []


ANA = "ana's own password"


def _donor(path: Path, *, with_records: bool) -> Path:
    """A store with real content, made by today's code: users, sources, an audit log and (with_records) two
    sample-county files imported through the real pipeline (with their rejected rows)."""
    with Workspace.create(path, PASSPHRASE, admin_name="ana", admin_password=ANA) as ws:
        ws.add_user("ben", "reviewer", "ben's own password")
        ws.set_source("shelter", intercept=0)  # an HMIS source: 0008 gives it the 7-year retention
        ws.set_source("court", intercept=3, agency="Cumberland County Circuit Court")
        if with_records:
            ws.import_files([data_dir("sample_workbooks") / "court_cases.csv"], "court")
            ws.import_files([data_dir("sample_workbooks") / "ed_county_general.csv"], "ed")
    return path


def _store_at(revision: str, path: Path, donor: Path) -> None:
    """A store at the old schema `revision` holding the donor's rows, column for column as far as that schema
    has them (the tables holding users, sources, the audit log, batches and records are unchanged since they
    were made, so these are the rows the program of that time wrote), with the audit chain's head. Its pages are
    4 KiB, as every store made before 64 KiB pages."""
    store_engine.create_file(path, PASSPHRASE, store_engine.LEGACY_PAGE_SIZE)
    old, new = Store(path, PASSPHRASE), Store(donor, PASSPHRASE)
    old.upgrade(revision)
    tables = MetaData()
    tables.reflect(old.engine)
    with old.transaction_connection() as con, new.engine.connect() as donor_con:
        for table in tables.sorted_tables:
            if table.name in ("alembic_version", "store_meta"):
                continue
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            rows = donor_con.execute(text(f'SELECT {columns} FROM "{table.name}"')).mappings().all()
            if rows:
                con.execute(table.insert(), [dict(r) for r in rows])
        head = donor_con.execute(text("SELECT value FROM store_meta WHERE key = 'audit_head'")).scalar_one()
        con.execute(text("INSERT INTO store_meta (key, value) VALUES ('audit_head', :v)"), {"v": head})
    assert old.revision() == revision
    old.close()
    new.close()


def _rows(path: Path, table: str, order: str) -> list[dict]:
    store = Store(path, PASSPHRASE)
    try:
        with store.engine.connect() as con:
            return [dict(r) for r in con.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')).mappings()]
    finally:
        store.close()


@pytest.mark.parametrize(
    ("revision", "with_records"),
    [("0001", False), ("0002", True)],
    ids=["first schema: users, sources, audit log", "first schema with records"],
)
def test_a_store_from_an_old_release_opens_upgraded_with_everything_kept(tmp_path: Path, revision, with_records):
    donor = _donor(tmp_path / "donor.ddj", with_records=with_records)
    path = tmp_path / "county.ddj"
    _store_at(revision, path, donor)
    tables = [("user", "id"), ("audit_event", "seq")]
    if with_records:
        tables += [("import_batch", "id"), ("record", "id"), ("row_problem", "id")]
    kept = {table: _rows(path, table, order) for table, order in tables}
    old = Store(path, PASSPHRASE)
    old_tables = set(inspect(old.engine).get_table_names())
    old.close()
    assert "pair" not in old_tables and ("record" in old_tables) == with_records

    with Workspace.open(path, PASSPHRASE, user="ana", password=ANA) as ws:  # the new version opens the user's store
        assert ws.store.revision() == head_revision() != revision
        assert ws.user_name == "ana"
        verification = ws.verify_audit()
        assert verification.ok, verification.message
        entries = ws.audit_entries()
        assert max(entries, key=lambda e: e["seq"])["action"] == "unlock"
        assert len(entries) == len(kept["audit_event"]) + 1
        sources = {s.name: s for s in ws.sources()}
        assert sources["shelter"].retention_years == 7
        assert sources["court"].agency == "Cumberland County Circuit Court"
        assert [u.name for u in ws.users()] == ["ana", "ben"]
        if with_records:
            counts = ws.counts()
            assert counts["records"] == len(kept["record"]) > 1000
            assert counts["batches"] == 2
            ws.link()  # the upgraded store works: records of one person at the court and the ED become one
            assert 0 < ws.counts()["persons"] < counts["records"]
            assert ws.verify_audit().ok
    for table, rows in kept.items():
        if table == "audit_event":
            assert _rows(path, table, "seq")[: len(rows)] == rows, "an old audit entry changed"
        elif table != "record":
            assert _rows(path, table, "id") == rows, f"{table} changed in the upgrade"
    if with_records:  # the records are all there, field for field; only the person they belong to is new
        def without_person(rows: list[dict]) -> list[dict]:
            return [{k: v for k, v in r.items() if k != "person_id"} for r in rows]

        assert without_person(_rows(path, "record", "id")) == without_person(kept["record"])
        assert b"Cumberland" not in path.read_bytes(), "the upgraded store is still encrypted"
    with Workspace.open(path, PASSPHRASE, user="ben", password="ben's own password") as again:
        assert again.role == "reviewer"


def test_a_store_from_a_newer_version_is_refused_with_what_to_do_and_left_alone(workspace: Workspace,
                                                                                store_path: Path):
    with workspace.store.transaction_connection() as con:  # as the next version's migration would leave it
        con.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    workspace.close()
    before = file_digest(store_path)
    with pytest.raises(StoreError, match=r"county\.ddj was opened by a newer version of DDJ Desktop") as raised:
        Workspace.open(store_path, PASSPHRASE)
    assert "Install that newer version again" in str(raised.value)
    assert file_digest(store_path) == before


def test_connections_are_pooled(workspace: Workspace):
    connects = []
    from sqlalchemy import event

    event.listen(workspace.store.engine, "connect", lambda *a: connects.append(1))
    for _ in range(5):
        workspace.sources()
    assert len(connects) <= 1


def test_temp_storage_is_in_memory(workspace: Workspace):
    with workspace.store.engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
        assert con.exec_driver_sql("PRAGMA secure_delete").scalar() == 1


def test_reads_go_on_while_another_window_writes_or_reads(workspace: Workspace, store_path: Path):
    """A window reads while the link run's process (or another window) holds a write open, and two readers share the
    store; neither waits for the other nor fails with 'in use by another window'."""
    workspace.set_source("jail")
    other = Workspace.open(store_path, PASSPHRASE)  # another window, or the worker process of a link run
    try:
        with other.store.session() as writing:  # a write transaction, open and not yet committed
            writing.execute(text("INSERT INTO store_meta VALUES ('uncommitted', 'yes')"))
            started = time.monotonic()
            assert [s.name for s in workspace.sources()] == ["jail"]
            with workspace.store.reading() as session:
                assert session.scalar(text("SELECT count(*) FROM store_meta WHERE key = 'uncommitted'")) == 0
            assert time.monotonic() - started < 1.0, "the read waited for the writer"
        with workspace.store.reading() as first:
            first.execute(text("SELECT count(*) FROM source")).scalar()
            started = time.monotonic()
            assert [s.name for s in other.sources()] == ["jail"]  # a second reader while the first is open
            assert time.monotonic() - started < 1.0, "the second reader waited for the first"
        with workspace.store.reading() as session:
            assert session.scalar(text("SELECT value FROM store_meta WHERE key = 'uncommitted'")) == "yes"
    finally:
        other.close()


def test_a_write_commits_after_a_long_read_in_another_window_ends(workspace: Workspace, store_path: Path):
    """A write's commit waits for the readers still on the old state; a read longer than a read's own wait (a big
    review queue being built while a link run finishes) must not make the write fail and lose its work."""
    other = Workspace.open(store_path, PASSPHRASE)
    reading = threading.Event()

    def long_read() -> None:
        with other.store.reading() as session:
            session.execute(text("SELECT count(*) FROM source")).scalar()  # holds the shared lock from here
            reading.set()
            time.sleep(store_engine.READ_WAIT_MS / 1000 + 1.0)

    reader = threading.Thread(target=long_read)
    reader.start()
    try:
        assert reading.wait(10)
        workspace.set_source("jail")  # commits once the reader has let go
    finally:
        reader.join()
        other.close()
    assert [s.name for s in workspace.sources()] == ["jail"]


def _mid_write_copy(store: Path, folder: Path) -> Path:
    """A copy of `store` as a write cut off mid-way (a killed command, a power cut) can leave it, at worst: a hot
    journal beside it, and every page the journal holds half written (zeros), page 1 too, so that the file as it
    lies cannot be read under any passphrase until the journal is played back."""
    con = store_engine._raw_connect(store, PASSPHRASE, "rw")
    con.execute("CREATE TABLE scratch (a TEXT)")
    con.executemany("INSERT INTO scratch VALUES (?)", [("x" * 300,) for _ in range(3000)])
    con.execute("PRAGMA cache_size = 8")  # small: the write spills pages into the file before its commit
    con.execute("BEGIN IMMEDIATE")
    con.execute("CREATE TABLE scratch_too (a TEXT)")  # the schema's own pages change first
    con.execute("UPDATE scratch SET a = a || 'y'")
    folder.mkdir()
    copy = folder / store.name
    journal = copy.with_name(copy.name + "-journal")
    copy.write_bytes(store.read_bytes())
    journal.write_bytes(store.with_name(store.name + "-journal").read_bytes())
    con.execute("ROLLBACK")
    con.close()
    # The journal: a header each time SQLite synced it, each followed by the records it counts (page number,
    # the page as it was, a checksum). Those pages may already be in the file in their new, spilled state.
    data = journal.read_bytes()
    magic, sector, page = data[:8], int.from_bytes(data[20:24], "big"), int.from_bytes(data[24:28], "big")
    pages, at = [], 0
    while data[at:at + 8] == magic:
        records, at = int.from_bytes(data[at + 8:at + 12], "big"), at + sector
        for _ in range(records):
            pages.append(int.from_bytes(data[at:at + 4], "big"))
            at += 4 + page + 4
        at = -(-at // sector) * sector
    assert len(pages) > 1 and store_engine.hot_journal(copy)
    with copy.open("r+b") as f:
        for number in pages:
            f.seek((number - 1) * page)
            f.write(bytes(page))
    return copy


@pytest.mark.parametrize("page_size", [4096, 65536])
def test_a_store_killed_mid_write_opens_with_its_passphrase_and_only_with_it(tmp_path: Path, page_size: int,
                                                                             monkeypatch: pytest.MonkeyPatch):
    """Before, the passphrase was tried only on the file as it lay: a file a killed link run had left half
    written gave "malformed" under the right passphrase (seen once in CI), and one with page 1 half written
    gives "not a database", so the analyst was told the passphrase was wrong, every time, and the store never
    opened again."""
    store_path = tmp_path / "county.ddj"
    with monkeypatch.context() as patched:
        patched.setattr(store_engine, "PAGE_SIZE", page_size)
        Workspace.create(store_path, PASSPHRASE, admin_name="ana").close()
    with Workspace.open(store_path, PASSPHRASE) as workspace:
        entries = workspace.audit_count()
    copy = _mid_write_copy(store_path, tmp_path / "after the crash")
    con = store_engine._raw_connect(copy, PASSPHRASE, "ro", page_size=page_size, immutable=True)
    with pytest.raises(store_engine.dbapi.DatabaseError):
        con.execute("PRAGMA schema_version").fetchall()
    con.close()
    before = {p.name: file_digest(p) for p in copy.parent.iterdir()}
    with pytest.raises(WrongPassphrase):
        Workspace.open(copy, "not the passphrase")
    assert {p.name: file_digest(p) for p in copy.parent.iterdir()} == before  # nothing rolled back, nothing left
    with Workspace.open(copy, PASSPHRASE) as ws:
        assert ws.audit_count() == entries + 1  # as before the killed command, and this unlock
        assert ws.verify_audit().ok
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]
