"""The audit log: every store-changing call writes one entry naming the user; tampering is detected."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE


def _actions(ws: Workspace) -> list[tuple[str, str]]:
    return [(e["user"], e["action"]) for e in reversed(ws.audit_entries())]


def test_init_unlock_and_changes_are_logged_with_the_user(workspace: Workspace, store_path: Path, tmp_path: Path):
    workspace.set_source("jail")
    workspace.export_persons(tmp_path / "p.csv")
    workspace.close()
    with Workspace.open(store_path, PASSPHRASE) as ws:
        assert _actions(ws) == [("ana", "init"), ("ana", "source"), ("ana", "export"), ("ana", "unlock")]
        assert ws.verify_audit().ok
        assert ws.verify_audit().entries == 4


def _tamper(ws: Workspace, sql: str) -> None:
    with ws.store.transaction_connection() as con:
        con.execute(text(sql))


@pytest.fixture
def logged(workspace: Workspace) -> Workspace:
    for name in ("jail", "ed", "ems", "shelter"):
        workspace.set_source(name)
    assert workspace.verify_audit().ok
    return workspace


def test_edited_entry_is_detected(logged: Workspace):
    _tamper(logged, "UPDATE audit_event SET details = '{\"source\":\"court\"}' WHERE seq = 3")
    result = logged.verify_audit()
    assert not result.ok and result.broken_seq == 3
    assert "changed" in result.message()


def test_edited_user_name_is_detected(logged: Workspace):
    _tamper(logged, "UPDATE audit_event SET user_name = 'someone else' WHERE seq = 2")
    assert logged.verify_audit().broken_seq == 2


def test_deleted_entry_is_detected(logged: Workspace):
    _tamper(logged, "DELETE FROM audit_event WHERE seq = 2")
    result = logged.verify_audit()
    assert not result.ok and result.broken_seq == 2


def test_deleted_last_entry_is_detected(logged: Workspace):
    _tamper(logged, "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)")
    assert not logged.verify_audit().ok


def test_reordered_entries_are_detected(logged: Workspace):
    _tamper(logged, "UPDATE audit_event SET seq = -1 WHERE seq = 2")
    _tamper(logged, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    _tamper(logged, "UPDATE audit_event SET seq = 3 WHERE seq = -1")
    result = logged.verify_audit()
    assert not result.ok and result.broken_seq == 2


def test_a_recomputed_hash_still_breaks_the_next_link(logged: Workspace):
    from ddj_desktop.governance.audit import entry_hash

    with logged.store.reading() as session:
        row = session.execute(text("SELECT seq, at, user_name, action, prev_hash FROM audit_event WHERE seq=2")).one()
    forged = entry_hash(row.prev_hash, row.seq, row.at, row.user_name, row.action, "{}")
    _tamper(logged, f"UPDATE audit_event SET details = '{{}}', hash = '{forged}' WHERE seq = 2")
    assert logged.verify_audit().broken_seq == 3
