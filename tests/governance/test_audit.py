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


def test_every_use_the_issue_lists_is_in_the_log_with_its_user_and_the_chain_holds(tmp_path: Path):
    """One store, each use done once through Workspace: unlock, viewing a person's records, import, link run, review
    decision, list run, export, disclosure, form, report, consent change, purge, user change."""
    import datetime as dt
    import json

    from ddj_desktop import demo
    from ddj_desktop.paths import data_dir

    built = demo.build_sample_county(tmp_path, link=False)
    path = built.workspace.path
    built.workspace.set_county_settings((data_dir("forms") / demo.SAMPLE_COUNTY_SETTINGS).read_text(encoding="utf-8"))
    built.workspace.close()
    extra = tmp_path / "pretrial.csv"
    extra.write_text("Case,Last Name,First Name,DOB,Release Date\nPT1,Okafor,Chidi,1985-02-03,2025-01-10\n",
                     encoding="utf-8")
    done: list[tuple[str, str]] = []  # (user, action) in the order they were done

    with Workspace.open(path, demo.DEMO_PASSPHRASE) as ws:
        start = ws.audit_entries(1)[0]["seq"] - 1  # the entry before this unlock
        done.append(("analyst", "unlock"))
        ws.import_files([extra], "pretrial")
        done.append(("analyst", "import"))
        ws.link()
        done.append(("analyst", "link"))
        ws.set_password("admin password 1")
        done.append(("analyst", "user_password"))
        ws.add_user("rita", "reviewer", "reviewer password 1")
        done.append(("analyst", "user_add"))
        ws.add_user("alan", "viewer", "analyst password 1")
        ws.change_user("alan", role="analyst")
        done += [("analyst", "user_add"), ("analyst", "user_change")]
    with Workspace.open(path, demo.DEMO_PASSPHRASE, user="rita", password="reviewer password 1") as reviewer:
        done.append(("rita", "unlock"))
        item = reviewer.review_queue().items[0]
        reviewer.review_person(item.person_a)
        done.append(("rita", "view_person"))
        reviewer.review_decide(item.pair_id, "same", note="same person")
        done.append(("rita", "review_decide"))
    with Workspace.open(path, demo.DEMO_PASSPHRASE, user="alan", password="analyst password 1") as ws:
        done.append(("alan", "unlock"))
        as_of = ws.latest_event_date()
        listed = ws.utilizer_list("generic_ddj", as_of)
        done.append(("alan", "utilizer_list"))
        person = next(p.person_id for p in listed.people
                      if any(r.source == "jail" for r in ws.person_records(p.person_id)))
        done += [("alan", "view_person")] * (1 + [p.person_id for p in listed.people].index(person))
        ws.export_utilizer_list(listed, tmp_path / "list.xlsx")
        done.append(("alan", "export"))
        ws.roi_forms([person], out=tmp_path / "roi.pdf")
        done.append(("alan", "roi_forms"))
        signed = dt.date(2025, 3, 1)
        consent = ws.record_consent(
            person, today=signed, form=None, template="multiparty-en", disclosing=["sheriff"], receiving=["ddj"],
            categories=["jail"], purposes=["care_coordination"], signed_on=signed.isoformat(),
            expires_on="2025-12-31", expiry_event=None, representative=None, representative_authority=None,
            artifact=None, note=None,
        )  # fmt: skip
        done.append(("alan", "consent"))
        ws.disclose(person, "ddj", ["jail"], tmp_path / "disclosure.pdf", on="2025-04-01")
        done.append(("alan", "disclose"))
        ws.revoke_consent(consent.id, on="2025-06-10", method="letter", today=dt.date(2025, 6, 12))
        done.append(("alan", "consent_revoke"))
        ws.council_report(tmp_path / "report.pdf")
        done.append(("alan", "report"))
    with Workspace.open(path, demo.DEMO_PASSPHRASE, user="analyst", password="admin password 1") as ws:
        done.append(("analyst", "unlock"))
        ws.purge_person(person)
        done.append(("analyst", "purge"))
        ws.change_user("rita", active=False)
        done.append(("analyst", "user_change"))
        logged = [e for e in reversed(ws.audit_entries()) if e["seq"] > start]
        verified = ws.verify_audit()

    assert [(e["user"], e["action"]) for e in logged] == done
    details = {e["action"]: json.loads(e["details"]) for e in logged}
    assert details["view_person"]["person"].startswith("P") and details["view_person"]["records"] >= 1
    assert details["user_change"] == {"name": "rita", "active": False}
    assert details["purge"]["records"] >= 1 and details["disclose"]["to"] == "ddj"
    assert verified.ok and verified.entries == logged[-1]["seq"]


def test_showing_a_person_while_another_window_writes_does_not_wait_and_is_still_logged(
        workspace: Workspace, store_path: Path, tmp_path: Path):
    """An import or link run in another window (or the desktop's worker process) holds the write lock for minutes;
    showing a person meanwhile answers at once, and the view reaches the log when the store is free."""
    import json
    import time

    extra = tmp_path / "jail.csv"
    extra.write_text("Booking,Last Name,First Name,DOB\nB1,Okafor,Chidi,1985-02-03\nB2,Okafor,Chidi,1985-02-03\n",
                     encoding="utf-8")
    workspace.import_files([extra], "jail")
    workspace.link()
    person = workspace.find_records("Okafor")[0].person
    other = Workspace.open(store_path, PASSPHRASE)
    try:
        with other.store.session() as busy:  # the other window's long write, not yet committed
            other._audit(busy, "source", source="ed")
            started = time.perf_counter()
            records = workspace.person_records(person)
            waited = time.perf_counter() - started
            assert len(records) == 2 and waited < 3.0  # the write lock would make it wait 120 s
        assert "view_person" not in [action for _user, action in _actions(other)]
        workspace.person_records(person)  # the store is free: both views are written now
        views = [e for e in workspace.audit_entries() if e["action"] == "view_person"]
        assert len(views) == 2 and all(json.loads(v["details"])["person"] == person for v in views)
        assert workspace.verify_audit().ok
    finally:
        other.close()
