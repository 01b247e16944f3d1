"""Data-sharing agreements: a source tied to one takes imports only inside its period and of the fields it allows;
a refused import leaves the store file byte for byte as it was. Only an admin manages agreements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ddj_desktop.cli import run
from ddj_desktop.errors import DdjError, PermissionDenied
from ddj_desktop.governance.agreements import AgreementError
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE, file_digest
from tests.importing.test_import import booking_rows, write_bookings

TODAY = dt.date.today()
JAIL_FIELDS = ["agency_person_id", "first_name", "last_name", "dob", "sex", "race", "event_start", "event_end",
               "homeless"]


def _bookings(tmp_path: Path) -> Path:
    return write_bookings(tmp_path / "Booking_Report_2024-02.xlsx", booking_rows())


def _agreement(ws: Workspace, name: str = "jail-mou", *, fields=JAIL_FIELDS, start=None, end=None):
    return ws.add_agreement(name, parties=["Sheriff's Office", "County Human Services"],
                            purpose="Identify frequent utilizers for care coordination", fields=fields,
                            starts_on=start or TODAY - dt.timedelta(days=365), ends_on=end)


def test_an_import_the_agreement_allows_lands(workspace: Workspace, tmp_path: Path):
    _agreement(workspace, end=TODAY + dt.timedelta(days=30))
    workspace.tie_agreement("jail", "jail-mou")
    [batch] = workspace.import_files([_bookings(tmp_path)], "jail")
    assert batch.imported == 3
    [info] = workspace.agreements()
    assert (info.status, info.sources) == ("active", ["jail"])
    assert next(s for s in workspace.sources() if s.name == "jail").agreement == "jail-mou"


def test_fields_the_agreement_does_not_allow_are_refused_and_named(workspace: Workspace, store_path: Path,
                                                                    tmp_path: Path):
    _agreement(workspace, fields=["first_name", "last_name", "dob", "event_start", "event_end"])
    workspace.tie_agreement("jail", "jail-mou")
    before = file_digest(store_path)
    with pytest.raises(AgreementError) as refused:
        workspace.import_files([_bookings(tmp_path)], "jail")
    message = refused.value.message
    assert "does not allow the fields agency_person_id, sex, race, homeless" in message
    assert "full_name" not in message  # stored as first and last name, which the agreement allows
    assert "Booking_Report_2024-02.xlsx" in message and "Nothing was imported" in message
    assert file_digest(store_path) == before
    assert workspace.counts()["records"] == 0 and workspace.batches() == []


def test_an_attribute_column_kept_under_its_own_name_counts_as_a_field(workspace: Workspace, tmp_path: Path):
    path = tmp_path / "ems.csv"
    path.write_text("Incident Number,Last Name,First Name,DOB,Call Date,Unit Notes\n"
                    "E1,DOE,JANE,1970-01-02,2024-03-04,transported\n", encoding="utf-8")
    _agreement(workspace, "ems-dsa", fields=["first_name", "last_name", "dob", "event_start"])
    workspace.tie_agreement("ems", "ems-dsa")
    with pytest.raises(AgreementError, match=r"does not allow the field Unit Notes\. Nothing was imported"):
        workspace.import_files([path], "ems")
    assert workspace.counts()["records"] == 0


def test_an_import_after_the_agreement_ended_is_refused(workspace: Workspace, store_path: Path, tmp_path: Path):
    _agreement(workspace, end=TODAY + dt.timedelta(days=90))
    workspace.tie_agreement("jail", "jail-mou")
    ended = workspace.end_agreement("jail-mou", on=TODAY - dt.timedelta(days=1), note="not renewed")
    assert ended.status == "ended"
    before = file_digest(store_path)
    with pytest.raises(AgreementError, match=f"agreement jail-mou, which ended on {TODAY - dt.timedelta(days=1)}"):
        workspace.import_files([_bookings(tmp_path)], "jail")
    assert file_digest(store_path) == before
    # Released from the agreement, the same file imports (the county's choice, audited).
    workspace.tie_agreement("jail", None)
    assert workspace.import_files([_bookings(tmp_path)], "jail")[0].imported == 3
    actions = [e["action"] for e in workspace.audit_entries()]
    assert {"agreement_add", "agreement_tie", "agreement_end"} <= set(actions)


def test_an_import_before_the_agreement_starts_is_refused(workspace: Workspace, tmp_path: Path):
    _agreement(workspace, start=TODAY + dt.timedelta(days=10))
    workspace.tie_agreement("jail", "jail-mou")
    with pytest.raises(AgreementError, match="which starts on"):
        workspace.import_files([_bookings(tmp_path)], "jail")
    assert workspace.agreements()[0].status == "not started"


def test_an_agreement_needs_its_parts(workspace: Workspace):
    with pytest.raises(AgreementError) as bad:
        workspace.add_agreement("x y", parties=["Jail"], purpose="", fields=[], starts_on="2025-05-01",
                                ends_on="2025-01-01")
    for part in ("a name of letters", "at least two parties", "a purpose", "the fields it allows"):
        assert part in bad.value.message
    _agreement(workspace, start=dt.date(2025, 5, 1))
    with pytest.raises(AgreementError, match="not already taken"):
        _agreement(workspace)
    with pytest.raises(AgreementError, match="end date on or after"):
        _agreement(workspace, "other", start=dt.date(2025, 5, 1), end=dt.date(2025, 4, 1))
    with pytest.raises(DdjError, match="no agreement named 'nope'"):
        workspace.tie_agreement("jail", "nope")


@pytest.mark.parametrize("role", ["analyst", "reviewer", "viewer"])
def test_only_an_admin_manages_agreements(workspace: Workspace, store_path: Path, role: str):
    _agreement(workspace)
    workspace.set_password("ana's password")
    workspace.add_user("sam", role, "sam's password")
    workspace.close()
    with Workspace.open(store_path, PASSPHRASE, user="sam", password="sam's password") as sam:
        assert [a.name for a in sam.agreements()] == ["jail-mou"]  # everyone may read them
        for call in (lambda: _agreement(sam, "other"), lambda: sam.tie_agreement("jail", "jail-mou"),
                     lambda: sam.end_agreement("jail-mou")):
            with pytest.raises(PermissionDenied):
                call()
        assert sam.agreements()[0].sources == []


def test_cli_agreements(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("DDJ_PASSPHRASE", PASSPHRASE)
    store = str(tmp_path / "c.ddj")
    assert run(["init", store]) == 0
    assert run(["agreements", store, "add", "jail-mou", "--parties", "Sheriff,Human Services", "--purpose",
                "care coordination", "--fields", "first_name,last_name,dob,event_start", "--start", "2024-01-01"]) == 0
    assert run(["agreements", store, "tie", "jail", "jail-mou"]) == 0
    assert "Source jail now falls under jail-mou" in capsys.readouterr().out
    assert run(["import", store, str(_bookings(tmp_path)), "--source", "jail"]) == 1
    err = capsys.readouterr().err
    assert "does not allow the fields agency_person_id, sex, race, event_end, homeless" in err
    assert run(["agreements", store, "end", "jail-mou", "--on", "2024-12-31"]) == 0
    assert run(["agreements", store, "list"]) == 0
    out = capsys.readouterr().out
    assert "jail-mou" in out and "ended" in out and "sources: jail" in out
