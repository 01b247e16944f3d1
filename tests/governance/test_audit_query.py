"""Reading the audit log by page and filter, and exporting it: on a real store whose entries were written by the
real chain code (some with a chosen clock, so that day ranges can be tested across midnight), as each role."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
import types
from pathlib import Path

import openpyxl
import pytest

from ddj_desktop.errors import DdjError, PermissionDenied
from ddj_desktop.governance import audit
from ddj_desktop.governance.audit_query import AuditFilter
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE


class _Clock:
    """Stands in for the `dt` module inside governance.audit: entries are written at `at`."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at
        outer = self

        class _DateTime(dt.datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[no-untyped-def]
                return outer.at

        self.datetime, self.UTC = _DateTime, dt.UTC


@pytest.fixture
def local_chicago(monkeypatch: pytest.MonkeyPatch):
    """This computer's clock in Chicago (UTC-6 in winter), so a local day is not the UTC day."""
    monkeypatch.setenv("TZ", "America/Chicago")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="module")
def log_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log of 2 (init, and one source) + 600 entries: imports by ana and exports by rosa on three days; written
    once, each test gets a copy."""
    path = tmp_path_factory.mktemp("audit") / "county.ddj"
    clock = _Clock(dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC))
    with Workspace.create(path, PASSPHRASE, admin_name="ana") as ws, pytest.MonkeyPatch.context() as patch:
        ws.set_source("jail")
        patch.setattr(audit, "dt", types.SimpleNamespace(datetime=clock.datetime, UTC=dt.UTC))
        with ws.store.session() as session:
            for i in range(600):
                # 2026-11-02 12:00Z onwards, one entry every 6 minutes: 60 hours, across three Chicago days
                clock.at = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=6 * i)
                if i % 3 == 0:
                    audit.append(session, "rosa", "export", what="utilizer list", file=f"list {i}.xlsx", rows=i)
                else:
                    audit.append(session, "ana", "import", source="jail", file=f"bookings_{i:03d}.xlsx", batch=i)
    return path


@pytest.fixture
def log(log_store: Path, tmp_path: Path, local_chicago) -> Workspace:
    path = tmp_path / "county.ddj"
    shutil.copyfile(log_store, path)
    with Workspace.open(path, PASSPHRASE) as ws:
        assert ws.verify_audit().ok
        yield ws


def test_pages_come_newest_first_and_meet_without_gap_or_overlap(log: Workspace) -> None:
    first = log.audit_page(limit=250)
    assert [e.seq for e in first[:3]] == [603, 602, 601]
    seen = [e.seq for e in first]
    while len(page := log.audit_page(before=seen[-1], limit=250)):
        seen += [e.seq for e in page]
    assert seen == list(range(603, 0, -1))
    assert log.audit_count() == 603


def test_filter_by_action_user_and_words_in_the_details(log: Workspace) -> None:
    exports = log.audit_page(AuditFilter(action="export"), limit=1000)
    assert len(exports) == 200 and {e.user for e in exports} == {"rosa"}
    assert log.audit_count(AuditFilter(user="ana")) == 400 + 3  # her imports, init, the source and this unlock
    assert log.audit_count(AuditFilter(user="ana", action="export")) == 0
    found = log.audit_page(AuditFilter(text="BOOKINGS_017"))  # case does not matter
    assert [e.details["file"] for e in found] == ["bookings_017.xlsx"]
    assert log.audit_count(AuditFilter(text="bookings .xlsx")) == 400  # every word must appear
    assert log.audit_count(AuditFilter(text="50%")) == 0  # % and _ are letters here, not wildcards
    assert log.audit_count(AuditFilter(text="list_1")) == 0
    assert [e.seq for e in log.audit_page(AuditFilter(up_to=40, action="import"), limit=3)] == [40, 38, 37]
    actions, names = log.audit_choices()
    assert actions == ["export", "import", "init", "source", "unlock"] and names == ["ana", "rosa"]


def test_days_are_the_computers_local_days_both_ends_included(log: Workspace) -> None:
    # Entries run 2026-11-02 12:00Z .. 2026-11-04 23:54Z, i.e. 06:00 on the 2nd .. 17:54 on the 4th in Chicago.
    nov = {d: dt.date(2026, 11, d) for d in range(1, 6)}
    day2 = log.audit_page(AuditFilter(from_day=nov[2], to_day=nov[2]), limit=1000)
    assert len(day2) == 180  # 06:00 to 23:54 local, every 6 minutes
    assert day2[0].local_time == "2026-11-02 23:54:00" and day2[-1].local_time == "2026-11-02 06:00:00"
    assert day2[0].at.startswith("2026-11-03T05:54")  # already the 3rd in UTC
    assert log.audit_count(AuditFilter(from_day=nov[3], to_day=nov[3])) == 240
    assert log.audit_count(AuditFilter(from_day=nov[4])) == 180 + 3  # and today's init, source and unlock
    assert log.audit_count(AuditFilter(to_day=nov[1])) == 0
    assert log.audit_count(AuditFilter(action="export", from_day=nov[3], to_day=nov[3])) == 80
    with pytest.raises(DdjError, match="before it starts"):
        log.audit_count(AuditFilter(from_day=nov[4], to_day=nov[2]))


def test_export_writes_what_the_filter_finds_and_is_itself_audited(log: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    chosen = AuditFilter(action="export", text="list")
    assert log.export_audit(out, chosen) == 200
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 200 and {r["action"] for r in rows} == {"export"}
    assert int(rows[0]["seq"]) > int(rows[-1]["seq"])  # newest first
    assert '"file": "list 597.xlsx"' in rows[0]["details"] and len(rows[0]["hash"]) == 64
    newest = log.audit_page(limit=1)[0]
    assert (newest.user, newest.action) == ("ana", "export")
    assert newest.details == {"what": "audit log", "file": "audit.csv", "rows": 200,
                              "filter": {"action": "export", "text": "list"}}
    assert log.verify_audit().ok

    book = tmp_path / "audit.xlsx"
    assert log.export_audit(book) == 604  # the whole log, with the first export in it
    workbook = openpyxl.load_workbook(book, read_only=True)
    cells = list(workbook["Audit log"].iter_rows(values_only=True))
    workbook.close()  # read-only books keep their file open until closed
    assert cells[0][:5] == ("seq", "at_utc", "at_local", "user", "action") and len(cells) == 605
    assert cells[-1][3:5] == ("ana", "init")


def test_an_export_to_an_unknown_kind_of_file_writes_nothing(log: Workspace, tmp_path: Path) -> None:
    before = log.audit_count()
    with pytest.raises(DdjError, match=r"\.csv or \.xlsx"):
        log.export_audit(tmp_path / "audit.pdf")
    assert not (tmp_path / "audit.pdf").exists() and log.audit_count() == before


@pytest.mark.parametrize(("role", "reads", "exports"), [
    ("admin", True, True), ("analyst", True, True), ("reviewer", False, False), ("viewer", False, False),
])
def test_who_may_read_and_export_the_audit_log(workspace: Workspace, store_path: Path, tmp_path: Path,
                                               role: str, reads: bool, exports: bool) -> None:
    workspace.set_password("ana password")
    if role != "admin":
        workspace.add_user("sam", role, "sam password")
    workspace.close()
    name, password = ("ana", "ana password") if role == "admin" else ("sam", "sam password")
    with Workspace.open(store_path, PASSPHRASE, user=name, password=password) as ws:
        calls = (ws.audit_page, ws.audit_count, ws.audit_choices)
        if reads:
            assert ws.audit_page()[0].action == "unlock" and ws.audit_count() >= 3 and ws.audit_choices()[0]
        else:
            for call in calls:
                with pytest.raises(PermissionDenied):
                    call()
        out = tmp_path / "audit.csv"
        if exports:
            assert ws.export_audit(out) == ws.audit_count() - 1
        else:
            with pytest.raises(PermissionDenied):
                ws.export_audit(out)
            assert not out.exists()
