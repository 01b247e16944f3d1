"""Link runs against a real encrypted store: stable person IDs across imports, one transaction, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from ddj_desktop.cli import run
from ddj_desktop.errors import Cancelled
from ddj_desktop.linkage.run import assign_person_ids, pair_id
from ddj_desktop.store.models import LinkRun, Pair, Record, Source

HEADER = "Incident Number,Call Time,First Name,Last Name,DOB\n"
MONTH_1 = (
    "24-1,2024-03-01 10:00,Ana,Lopez,04/12/1988\n"
    "24-2,2024-03-01 11:00,Bo,Diaz,02/03/1990\n"
    "24-3,2024-03-02 12:00,Ana,Lopez,04/12/1988\n"
    "24-4,2024-03-02 13:00,Maria,Garcia Lopez,07/01/1975\n"
)
MONTH_2 = (
    "ED-1,2024-04-01 10:00,Anna,Lopez,04/12/1988\n"
    "ED-2,2024-04-01 11:00,Cy,Young,01/09/1970\n"
    "ED-3,2024-04-02 11:00,Maria,Garcia,07/01/1975\n"
)


def _import(workspace, tmp_path: Path, name: str, text: str, source: str) -> None:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    workspace.import_files([path], source)


def _persons(workspace) -> dict[str, int]:
    with workspace.store.reading() as session:
        rows = session.execute(select(Record.source_key, Record.person_id)).all()
    return dict(rows)  # type: ignore[arg-type]


def test_person_ids_stay_stable_when_next_months_records_arrive(workspace, tmp_path):
    _import(workspace, tmp_path, "march.csv", MONTH_1, "police")
    first = workspace.link()
    march = _persons(workspace)
    assert march["24-1"] == march["24-3"] != march["24-2"]
    assert first.persons == 3

    _import(workspace, tmp_path, "april.csv", MONTH_2, "ed")
    second = workspace.link()
    april = _persons(workspace)
    assert {k: april[k] for k in march} == march, "persons that existed keep their IDs"
    assert april["ED-1"] == march["24-1"], "Anna Lopez, same DOB, joins Ana Lopez"
    assert april["ED-3"] == march["24-4"], "one part of a double surname"
    assert april["ED-2"] not in march.values()
    assert second.merges == 0 and second.splits == 0 and second.persons == 4

    again = workspace.link()
    assert again.changed_records == 0 and _persons(workspace) == april
    entries = [e for e in workspace.audit_entries() if e["action"] == "link"]
    assert len(entries) == 3 and '"persons":4' in entries[0]["details"].replace(" ", "")


def test_a_merge_keeps_the_older_id_and_a_split_leaves_it_with_the_earliest_record():
    merged = assign_person_ids(np.array([1, 1, 2, 2, 3]), np.array([0, 0, 0, 0, 4]), next_id=10)
    assert merged.person.tolist() == [1, 1, 1, 1, 3]
    assert merged.merges == [(1, 2, 2)] and merged.splits == [] and merged.new_ids == []

    split = assign_person_ids(np.array([5, 5, 5, 6]), np.array([7, 3, 3, 3]), next_id=10)
    # Record 0 (the earliest) keeps 5 in its cluster; the other cluster already inherits 6.
    assert split.person.tolist() == [5, 6, 6, 6]
    assert split.splits == [(5, 6, 2)]

    fresh = assign_person_ids(np.array([5, 5]), np.array([0, 1]), next_id=10)
    assert fresh.person.tolist() == [5, 10] and fresh.new_ids == [10] and fresh.splits == [(5, 10, 1)]


def test_a_cancelled_link_changes_nothing(workspace, tmp_path):
    _import(workspace, tmp_path, "march.csv", MONTH_1, "police")
    before = _persons(workspace)

    class StopWhenClustering:
        def update(self, fraction: float, message: str = "") -> None:
            pass

        def cancelled(self) -> bool:
            return True

    with pytest.raises(Cancelled):
        workspace.link(progress=StopWhenClustering())
    assert _persons(workspace) == before
    with workspace.store.reading() as session:
        assert session.scalar(select(LinkRun.id)) is None


def test_review_pairs_are_identified_by_their_records(workspace, tmp_path):
    _import(workspace, tmp_path, "march.csv", "24-1,2024-03-01 10:00,Maria,Ortiz,04/12/1988\n", "police")
    _import(workspace, tmp_path, "april.csv", "ED-9,2024-04-01 10:00,Maria,Ortiz,\n", "ed")
    workspace.link()
    with workspace.store.reading() as session:
        pairs = session.execute(select(Pair.id, Pair.status, Pair.a_source_key, Pair.b_source_key)).all()
        names = dict(session.execute(select(Source.id, Source.name)).all())
    assert names
    for pid, status, a_key, b_key in pairs:  # whether the model queues it or links it, the ID is the records'
        assert status in ("review", "settled")
        assert pid == pair_id(("ed", "ED-9"), ("police", "24-1")) and {a_key, b_key} == {"ED-9", "24-1"}


def test_cli_link_and_explain(tmp_path: Path, capsys, cli_env):
    store = tmp_path / "county.ddj"
    assert run(["init", str(store)]) == 0
    for name, text, source in (("march.csv", MONTH_1, "police"), ("april.csv", MONTH_2, "ed")):
        (tmp_path / name).write_text(HEADER + text, encoding="utf-8")
        assert run(["import", str(store), str(tmp_path / name), "--source", source]) == 0
    capsys.readouterr()
    assert run(["link", str(store)]) == 0
    out = capsys.readouterr().out
    assert "into 4 persons" in out and "Review queue:" in out

    assert run(["explain", str(store), "police:24-1", "ed:ED-1"]) == 0
    out = capsys.readouterr().out
    for expected in ("first name", "ANA", "ANNA", "date of birth", "1988-04-12", "exact", "Match probability",
                     "Now: the same person"):
        assert expected in out, expected
    # Two records with one identity (a frequent caller keyed the same way twice) are one profile: certain.
    assert run(["explain", str(store), "police:24-1", "police:24-3"]) == 0
    out = capsys.readouterr().out
    assert "Match probability 1.0000" in out and ": link" in out and "one identity" in out
    assert "Now: the same person" in out
    assert run(["explain", str(store), "police:24-1"]) == 0
    out = capsys.readouterr().out
    assert "3 records" in out and "ed:ED-1" in out and "p=" in out
    assert run(["explain", str(store), "police:nope", "ed:ED-1"]) != 0
