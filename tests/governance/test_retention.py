"""Retention and purge: what is past retention is listed and purged on request, one person can be purged, purges
are audited with counts and no identity, and purged identities are gone from the file - its live contents and
every decrypted page, free pages included - while the people not purged are still there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ddj_desktop.cli import run
from ddj_desktop.errors import PermissionDenied
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.governance.sqlcipher_pages import decrypted_pages, plaintext_export

PURGED = {"name": b"quixworth", "first": b"zebediah", "dob": b"1961-07-14", "ssn": b"412583391",
          "ssn_sent": b"412-58-3391"}
KEPT = {"name": b"vanterpool", "first": b"aloysius", "dob": b"1974-02-03", "ssn": b"523718842"}


def _shelter_file(tmp_path: Path) -> Path:
    path = tmp_path / "hmis_client.csv"
    path.write_text(
        "Record ID,FirstName,LastName,DOB,SSN,EntryDate\n"
        "S1,ZEBEDIAH,QUIXWORTH,1961-07-14,412-58-3391,2024-01-05\n"
        "S2,ZEBEDIAH,QUIXWORTH,1961-07-14,412-58-3391,2024-03-09\n"
        "S3,ALOYSIUS,VANTERPOOL,1974-02-03,523-71-8842,2024-02-01\n",
        encoding="utf-8",
    )
    return path


def _jail_file(tmp_path: Path) -> Path:
    path = tmp_path / "bookings.csv"
    path.write_text("Booking Number,First Name,Last Name,DOB,Booking Date\n"
                    "B1,ALOYSIUS,VANTERPOOL,1974-02-03,2024-04-01\n"
                    "B2,ZEBEDIAH,QUIXWORTH,1961-07-14,2024-05-01\n", encoding="utf-8")
    return path


def _person_of(ws: Workspace, source: str, key: str) -> str:
    return next(r.person for r in ws.find_records(key) if r.source == source)


def _found(blob: bytes, identity: dict[str, bytes]) -> list[str]:
    lowered = blob.lower()
    return [k for k, v in identity.items() if v in lowered]


@pytest.fixture
def county(workspace: Workspace, tmp_path: Path) -> Workspace:
    [shelter] = workspace.import_files([_shelter_file(tmp_path)], "shelter")
    assert (shelter.imported, shelter.rejected) == (3, 0)
    workspace.import_files([_jail_file(tmp_path)], "jail")
    workspace.link()
    # A reviewer says the three QUIXWORTH records are one person (five records are too few for the model).
    people = {r.source_key: r.person for r in workspace.find_records("")}
    for key in ("S2", "B2"):
        if people[key] != people["S1"]:
            workspace.review_merge(people["S1"], people[key])
            people = {r.source_key: r.person for r in workspace.find_records("")}
    return workspace


def test_purging_a_person_leaves_no_trace_in_the_file_or_its_free_pages(county: Workspace, store_path: Path,
                                                                       tmp_path: Path):
    person = _person_of(county, "shelter", "S1")
    assert _person_of(county, "jail", "B2") == person == _person_of(county, "shelter", "S2")
    county.close()
    assert _found(decrypted_pages(store_path, PASSPHRASE), PURGED)  # the decryption sees them before the purge
    with Workspace.open(store_path, PASSPHRASE) as ws:
        counts = ws.purge_person(person)
        assert (counts.records, counts.persons) == (3, 1)
        assert counts.by_source == {"shelter": 2, "jail": 1}
        assert ws.person_records(person) == []
        assert [r.source_key for r in ws.find_records("")] == ["B1", "S3"] or \
            sorted(r.source_key for r in ws.find_records("")) == ["B1", "S3"]
        [entry] = [e for e in ws.audit_entries() if e["action"] == "purge"]
        assert '"records":3' in entry["details"] and person in entry["details"]
        assert not _found(("".join(e["details"] for e in ws.audit_entries())).encode(), PURGED)
        assert ws.verify_audit().ok
    pages = decrypted_pages(store_path, PASSPHRASE)
    export = plaintext_export(store_path, PASSPHRASE, tmp_path / "plain.db")
    assert export.startswith(b"SQLite format 3")
    assert _found(pages, PURGED) == [] and _found(export, PURGED) == []
    assert _found(pages, KEPT) == list(KEPT) and _found(export, KEPT) == list(KEPT)


def test_records_past_retention_are_listed_then_purged(county: Workspace, store_path: Path, tmp_path: Path):
    sources = {s.name: s.retention_years for s in county.sources()}
    assert sources == {"shelter": 7, "jail": None}  # HMIS default 7 years, others none
    later = dt.date.today() + dt.timedelta(days=365 * 7 + 3)
    assert [e.records for e in county.expired()] == [0]
    [shelter] = county.expired(on=later)
    assert (shelter.source, shelter.records) == ("shelter", 3)
    assert sorted(r.source_key for r in county.expired_records(on=later)) == ["S1", "S2", "S3"]
    counts = county.purge_expired(on=later)
    assert (counts.records, counts.persons) == (3, 1)  # S3 was a person of its own; QUIXWORTH keeps B2
    assert sorted(r.source_key for r in county.find_records("")) == ["B1", "B2"]
    county.close()
    pages = decrypted_pages(store_path, PASSPHRASE)
    assert PURGED["ssn"] not in pages and KEPT["ssn"] not in pages  # SSNs came only with the shelter rows
    assert PURGED["ssn_sent"] not in pages
    assert KEPT["name"] in pages.lower()  # the jail record stays


def test_retention_is_configurable_per_source(county: Workspace):
    assert county.set_retention("jail", 2).retention_years == 2
    [jail, _shelter] = county.expired(on=dt.date.today() + dt.timedelta(days=365 * 2 + 2))
    assert (jail.source, jail.records) == ("jail", 2)
    assert county.set_retention("shelter", None).retention_years is None


@pytest.mark.parametrize("role", ["analyst", "reviewer", "viewer"])
def test_only_an_admin_purges(county: Workspace, store_path: Path, role: str):
    person = _person_of(county, "shelter", "S1")
    county.set_password("ana's password")
    county.add_user("sam", role, "sam's password")
    county.close()
    with Workspace.open(store_path, PASSPHRASE, user="sam", password="sam's password") as sam:
        for call in (lambda: sam.purge_person(person), lambda: sam.purge_expired(), lambda: sam.set_retention("jail", 1)):
            with pytest.raises(PermissionDenied):
                call()
        assert sam.counts()["records"] == 5


def test_cli_purge_asks_for_a_confirmation(county: Workspace, store_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("DDJ_PASSPHRASE", PASSPHRASE)
    person = _person_of(county, "jail", "B1")
    county.close()
    assert run(["purge", str(store_path), "--expired", "--dry-run"]) == 0
    assert "shelter" in capsys.readouterr().out
    assert run(["purge", str(store_path), "--person", person]) == 1  # no terminal to confirm on
    assert "--yes" in capsys.readouterr().err
    assert run(["purge", str(store_path), "--person", person, "--yes"]) == 0
    assert "Purged 1 records (jail 1)" in capsys.readouterr().out  # B1 was not linked to S3
