"""A large import read and normalized by worker processes (importing/parallel.py): the store ends exactly as a
one-process import leaves it, and a bad file, a worker that dies or a cancel leaves it as it was."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from ddj_desktop.errors import Cancelled, ImportFileError
from ddj_desktop.importing import mapping, parallel, pipeline
from ddj_desktop.progress import NullProgress
from ddj_desktop.workspace import Workspace

from ..conftest import PASSPHRASE

SAMPLE = Path(__file__).resolve().parents[2] / "sample_workbooks"
HMIS = [f"hmis/{n}.csv" for n in ("Export", "Organization", "Project", "Client", "Enrollment", "Exit")]
# An xlsx with a charges file joined to it, a multi-file HMIS export, and a csv with 'M/D/YYYY h:mm AM' times.
IMPORTS = [("jail", ["jail_bookings.xlsx", "jail_charges.csv"]), ("shelter", HMIS), ("ed", ["ed_county_general.csv"])]


def store_contents(ws: Workspace) -> dict[str, list[tuple]]:
    """Every record, batch (without its time) and row problem, as the store holds them."""
    batch_columns = ("id, source_id, file_name, sheet, file_sha256, profile_name, profile_toml, rows_read, "
                     "rows_imported, rows_updated, rows_duplicate, rows_rejected, rows_skipped, skipped, notes")  # fmt: skip
    with ws.store.reading() as session:
        con = session.connection()
        return {
            "record": [tuple(r) for r in con.exec_driver_sql("SELECT * FROM record ORDER BY id")],
            "import_batch": [tuple(r) for r in con.exec_driver_sql(f"SELECT {batch_columns} FROM import_batch ORDER BY id")],
            "row_problem": [tuple(r) for r in con.exec_driver_sql("SELECT * FROM row_problem ORDER BY id")],
        }  # fmt: skip


def write_calls(path: Path) -> Path:
    """A CAD export of 300 rows written day first, which only the first 40 rows show (their day is above 12), and
    with ISO/IEC 5218 sex codes, which only they show too;
    an incident repeats three runs later, once as it was and once changed; one row names nobody."""

    def row(n: int, first: str = "JOHN") -> str:
        day = n % 12 + 1 + (12 if n < 40 else 0)
        sex = 2 if n < 40 else n % 2  # ISO/IEC 5218 (0 not known, 2 female): only the first run has a 2
        return f"I{n:04d},SMITH{n},{first},{day:02d}/03/1980,{sex},30/06/2024 {n % 24}:15"

    lines = ["Incident,Last Name,First Name,DOB,Sex,Call Time", *(row(n) for n in range(300))]
    lines[250] = row(10)  # the same as row 11: skipped
    lines[260] = row(20, "JANE")  # other values under row 21's key: rejected
    lines[270] = "I9999,,,,,30/06/2024 10:15"  # nobody: rejected
    path.write_text("\n".join(lines) + "\n")
    return path


def undecided_mapping(calls: Path) -> Path:
    """The proposed mapping of `calls` without its day/month order, so that the import decides it from the data
    (as for a mapping file a user wrote)."""
    [table] = pipeline.read_tables([calls], None, NullProgress())
    profile = dataclasses.replace(mapping.propose_mapping(table).profile, day_first=None, day_first_by_column={})
    path = calls.with_suffix(".toml")
    path.write_text(profile.to_toml())
    return path


def import_sample(ws: Workspace, calls: Path) -> list[pipeline.BatchSummary]:
    summaries = []
    for source, names in IMPORTS:
        summaries += ws.import_files([SAMPLE / n for n in names], source)
    return summaries + ws.import_files([calls], "police", mapping_file=undecided_mapping(calls))


@pytest.fixture
def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers for any import, in runs of 97 rows (so the sample's tables come in many runs)."""
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "2")
    monkeypatch.setattr(parallel, "RUN_ROWS", 97)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[parallel.Workers]:
    """Every set of import workers started while the test runs."""
    started: list[parallel.Workers] = []
    start = parallel.Workers.__init__

    def remember(self: parallel.Workers, *args: Any) -> None:
        start(self, *args)
        started.append(self)

    monkeypatch.setattr(parallel.Workers, "__init__", remember)
    return started


def test_workers_import_exactly_what_one_process_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "0")
    alone = Workspace.create(tmp_path / "alone.ddj", PASSPHRASE, admin_name="ana")
    calls = write_calls(tmp_path / "calls.csv")
    expected = import_sample(alone, calls)
    again_expected = alone.import_files([SAMPLE / "ed_county_general.csv"], "ed")
    monkeypatch.setenv(parallel.WORKERS_VARIABLE, "2")
    monkeypatch.setattr(parallel, "RUN_ROWS", 97)
    shared = Workspace.create(tmp_path / "shared.ddj", PASSPHRASE, admin_name="ana")
    got = import_sample(shared, calls)
    again = shared.import_files([SAMPLE / "ed_county_general.csv"], "ed")  # next month's file: all duplicates

    assert sum(s.imported for s in got) > 2000 and any(s.skipped for s in got)
    assert (got[-1].rejected, got[-1].skipped) == (2, {"repeated row in the file": 1})
    assert "dates of birth read day/month/year" in got[-1].notes
    assert got == expected
    assert again == again_expected and again[0].duplicate > 1000 and again[0].imported == 0
    assert store_contents(shared) == store_contents(alone)
    alone.close()
    shared.close()


@pytest.mark.usefixtures("in_workers")
def test_a_bad_file_gives_its_own_message_and_changes_nothing(workspace: Workspace, tmp_path: Path):
    fake = tmp_path / "bookings.xlsx"
    fake.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    with pytest.raises(ImportFileError, match=r"bookings\.xlsx"):
        workspace.import_files([fake], "jail")
    assert workspace.counts()["records"] == 0
    assert workspace.batches() == []


@pytest.mark.usefixtures("in_workers")
def test_a_worker_that_dies_fails_the_import_and_changes_nothing(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, started: list[parallel.Workers]
):
    add = pipeline.BatchWriter.add

    def kill_the_workers_after_the_first_run(self: pipeline.BatchWriter, *args: Any) -> None:
        add(self, *args)
        for process in started[0].processes:
            process.kill()

    monkeypatch.setattr(pipeline.BatchWriter, "add", kill_the_workers_after_the_first_run)
    with pytest.raises(parallel.WorkerBug, match="ended unexpectedly"):
        workspace.import_files([SAMPLE / "ems_nemsis.csv"], "ems")
    assert workspace.counts()["records"] == 0
    assert workspace.batches() == []
    assert "import" not in {e["action"] for e in workspace.audit_entries()}


@pytest.mark.usefixtures("in_workers")
def test_cancel_changes_nothing_and_stops_the_workers(workspace: Workspace, started: list[parallel.Workers]):
    class CancelAfterSomeRuns:
        updates = 0

        def update(self, fraction: float, message: str = "") -> None:
            self.updates += message.startswith("Importing")

        def cancelled(self) -> bool:
            return self.updates >= 3

    with pytest.raises(Cancelled):
        workspace.import_files([SAMPLE / "ems_nemsis.csv"], "ems", progress=CancelAfterSomeRuns())
    assert workspace.counts()["records"] == 0
    assert workspace.batches() == []
    assert not any(p.is_alive() for p in started[0].processes)


def test_small_files_are_imported_in_one_process(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(parallel.WORKERS_VARIABLE, raising=False)
    assert parallel.worker_count([SAMPLE / "ems_nemsis.csv"]) == 0
    monkeypatch.setattr(parallel, "MIN_BYTES", 1)
    assert parallel.worker_count([SAMPLE / "ems_nemsis.csv"]) == (0 if (os.cpu_count() or 1) < 2 else
                                                                   max(2, min(os.cpu_count() - 1, 4)))  # fmt: skip
