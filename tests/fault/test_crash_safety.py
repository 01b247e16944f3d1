"""SIGKILL in the middle of an import or a link run: the store opens afterwards, every page checks out
(`PRAGMA integrity_check`, `PRAGMA cipher_integrity_check`), it holds all of the killed command's work or none of
it, earlier work is intact, and no journal is left once it has been opened again. A wrong passphrase tried on a
store with a hot journal changes neither the store nor the journal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ddj_desktop.errors import WrongPassphrase
from ddj_desktop.store.store import Store
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE, file_digest
from tests.fault import crash

EARLIER_ROWS = 1_000  # an import that committed before the crash: it must survive
BIG_ROWS = 40_000  # 8 chunks of 5,000: with a 2 MiB page cache, writing them spills pages before the commit
IMPORT_TABLES = ("record", "person", "import_batch", "audit_event")


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> tuple[Path, Path]:
    """A store holding one earlier police import, and a big next export to import into it."""
    folder = tmp_path_factory.mktemp("county")
    store = folder / "county.ddj"
    with Workspace.create(store, PASSPHRASE, admin_name="ana") as ws:
        ws.import_files([crash.write_calls_csv(folder / "january.csv", EARLIER_ROWS)], "police")
    return store, crash.write_calls_csv(folder / "february.csv", BIG_ROWS, offset=EARLIER_ROWS)


@pytest.fixture
def store(county, tmp_path: Path) -> Path:
    copy = tmp_path / "county.ddj"
    shutil.copy2(county[0], copy)
    return copy


@pytest.fixture(scope="module")
def hot_journal_state(county, tmp_path_factory) -> tuple[bytes, bytes]:
    """The store and its journal as an import killed after its 5th of 8 chunks leaves them.

    The import's own page cache (pipeline.IMPORT_CACHE_KIB) holds these 40,000 rows; an import of a million
    does not, and spills pages into the file before its commit. A small cache makes this import do that."""
    folder = tmp_path_factory.mktemp("killed")
    store = folder / "county.ddj"
    shutil.copy2(county[0], store)
    crash.self_kill(store, "Writing", 5, "import", str(county[1]), "police", cache_kib=2048)
    assert crash.store_engine.hot_journal(store), "the kill left a journal to roll back"
    return store.read_bytes(), crash.journal(store).read_bytes()


def assert_all_or_none(store: Path) -> str:
    """Check the store after a killed import of the big file; returns 'all' or 'none'."""
    checked = crash.check_after_crash(store, IMPORT_TABLES)
    assert checked.integrity == [("ok",)]
    assert checked.cipher_integrity == []  # SQLCipher lists pages whose HMAC fails; none
    # A hot journal was rolled back and removed; one killed before its first sync (zeroed header) holds
    # nothing to roll back and goes with the next write, which opening the workspace makes (below).
    assert not crash.store_engine.hot_journal(store)
    counts = checked.counts
    none = {"record": EARLIER_ROWS, "person": EARLIER_ROWS, "import_batch": 1}
    every = {"record": EARLIER_ROWS + BIG_ROWS, "person": EARLIER_ROWS + BIG_ROWS, "import_batch": 2}
    landed = {k: counts[k] for k in none}
    assert landed in (none, every), f"a partial batch: {counts}"
    with Workspace.open(store, PASSPHRASE) as ws:
        assert ws.verify_audit().ok
        imports = [e for e in ws.audit_entries() if e["action"] == "import"]
        batches = ws.batches()
        assert len(imports) == len(batches)
        assert [b.rows_imported for b in batches] == [EARLIER_ROWS, BIG_ROWS][: len(batches)]
    assert crash.beside(store) == []
    return "all" if landed == every else "none"


def test_import_killed_mid_write_rolls_back_the_hot_journal(hot_journal_state, tmp_path: Path):
    data, journal = hot_journal_state
    store = tmp_path / "county.ddj"
    store.write_bytes(data)
    crash.journal(store).write_bytes(journal)
    assert assert_all_or_none(store) == "none"


def test_wrong_passphrase_on_a_hot_journal_changes_nothing(hot_journal_state, tmp_path: Path):
    data, journal = hot_journal_state
    store = tmp_path / "county.ddj"
    store.write_bytes(data)
    crash.journal(store).write_bytes(journal)
    before = (file_digest(store), file_digest(crash.journal(store)), store.stat().st_mtime_ns)
    for attempt in ("wrong", PASSPHRASE.upper(), PASSPHRASE + " "):
        with pytest.raises(WrongPassphrase, match=r"passphrase does not open county\.ddj"):
            Store.open(store, attempt)
        assert (file_digest(store), file_digest(crash.journal(store)), store.stat().st_mtime_ns) == before
    assert crash.beside(store) == ["county.ddj-journal"]
    assert assert_all_or_none(store) == "none"  # and the right one still opens it


@pytest.mark.parametrize(
    ("prefix", "occurrence", "expected"),
    [
        ("Writing", 1, "none"),  # the batch row is in, no record yet
        ("Wrote", 1, "none"),  # every row written, the audit entry and commit to come
        ("Import finished", 1, "all"),  # committed
    ],
)
@pytest.mark.slow
def test_import_killed_at_exact_points(county, store: Path, prefix: str, occurrence: int, expected: str):
    crash.self_kill(store, prefix, occurrence, "import", str(county[1]), "police")
    assert assert_all_or_none(store) == expected


@pytest.mark.parametrize("delay", [pytest.param(0.3, id="0.3s"), *(
    pytest.param(d, id=f"{d}s", marks=pytest.mark.slow) for d in (0.0, 1.5)
)])  # fmt: skip
def test_import_command_killed_after_it_starts_writing(county, store: Path, delay: float):
    code, err = crash.kill_cli_at(["import", str(store), str(county[1]), "--source", "police"], "Writing", delay)
    assert code in (crash.KILLED, 0), err
    outcome = assert_all_or_none(store)
    assert outcome == "none" or code == 0 or delay > 0, "killed as it began writing, yet everything landed"


# -- link runs -----------------------------------------------------------------------------------------------
def _person_ids(store: Path) -> tuple[int, dict[str, int]]:
    """(link runs, source:key -> person_id) as the file holds them."""
    con = crash.store_engine._raw_connect(store, PASSPHRASE, "ro")
    try:
        runs = con.execute("SELECT count(*) FROM link_run").fetchone()[0]
        rows = con.execute(
            "SELECT s.name || ':' || r.source_key, r.person_id FROM record r JOIN source s ON s.id = r.source_id"
        ).fetchall()
    finally:
        con.close()
    return runs, dict(rows)


@pytest.fixture(scope="module")
def sample_county(tmp_path_factory) -> tuple[Path, tuple[int, dict[str, int]], tuple[int, dict[str, int]]]:
    """The sample county imported, not linked; (runs, person IDs) before a link run and after a whole one."""
    if not hasattr(Workspace, "link"):
        pytest.skip("linkage is not built yet")
    from ddj_desktop import demo

    folder = tmp_path_factory.mktemp("sample")
    store = folder / "county.ddj"
    with Workspace.create(store, PASSPHRASE, admin_name="ana") as ws:
        for source, files in demo.sample_files():
            ws.import_files(files, source)
    linked = folder / "linked.ddj"
    shutil.copy2(store, linked)
    with Workspace.open(linked, PASSPHRASE) as ws:
        ws.link()
    before, after = _person_ids(store), _person_ids(linked)
    assert before[0] == 0 and after[0] == 1 and before[1] != after[1]
    return store, before, after


def assert_link_all_or_none(store: Path, before, after) -> str:  # type: ignore[no-untyped-def]
    checked = crash.check_after_crash(store, ("record", "person", "link_run"))
    assert checked.integrity == [("ok",)]
    assert checked.cipher_integrity == []
    assert not crash.store_engine.hot_journal(store)
    now = _person_ids(store)
    assert now in (before, after), f"a partial link run: {now[0]} runs, " \
        f"{sum(now[1][k] != before[1][k] for k in now[1])} records moved of {sum(v != before[1][k] for k, v in after[1].items())}"
    with Workspace.open(store, PASSPHRASE) as ws:
        assert ws.verify_audit().ok
        assert len([e for e in ws.audit_entries() if e["action"] == "link"]) == now[0]
    assert crash.beside(store) == []
    return "all" if now == after else "none"


@pytest.mark.parametrize(
    ("prefix", "occurrence", "expected"),
    [
        pytest.param("Saving persons", 1, "none", marks=pytest.mark.slow),
        ("Saving the review pairs", 1, "none"),  # persons saved and records moved, pairs and commit to come
        pytest.param("Committed", 1, "all", marks=pytest.mark.slow),
    ],
)
def test_link_run_killed_at_exact_points(sample_county, tmp_path: Path, prefix: str, occurrence: int, expected: str):
    original, before, after = sample_county
    store = tmp_path / "county.ddj"
    shutil.copy2(original, store)
    crash.self_kill(store, prefix, occurrence, "link")
    assert assert_link_all_or_none(store, before, after) == expected


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.1])
def test_link_command_killed_as_it_saves(sample_county, tmp_path: Path, delay: float):
    original, before, after = sample_county
    store = tmp_path / "county.ddj"
    shutil.copy2(original, store)
    code, err = crash.kill_cli_at(["link", str(store)], "Saving persons", delay)
    assert code in (crash.KILLED, 0), err
    assert_link_all_or_none(store, before, after)
