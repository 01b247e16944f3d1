"""The sample county imported once per test session, with each record given its true person (as perfect linkage
would), so the templates can be checked against who the people really are."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ddj_desktop import demo
from ddj_desktop.paths import data_dir
from ddj_desktop.store.models import Record, Source
from ddj_desktop.workspace import Workspace

SAMPLE_AS_OF = dt.date(2026, 6, 30)  # the sample county's last day
SAMPLES = data_dir("sample_workbooks")


def truth_people() -> dict[int, dict[str, str]]:
    with (SAMPLES / "truth_people.csv").open(encoding="utf-8") as f:
        return {int(row["true_person_id"][1:]): row for row in csv.DictReader(f)}


@pytest.fixture(scope="session")
def people() -> dict[int, dict[str, str]]:
    return truth_people()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample county, imported and truly linked (person_id = the true person's number)."""
    path = tmp_path_factory.mktemp("sample-county") / demo.STORE_NAME
    ws = Workspace.create(path, demo.DEMO_PASSPHRASE, admin_name="analyst")
    for source, files in demo.sample_files():
        ws.import_files(files, source)
    with (SAMPLES / "truth.csv").open(encoding="utf-8") as f:
        truth = {(r["source"], r["source_key"]): int(r["true_person_id"][1:])
                 for r in csv.DictReader(f) if r["true_person_id"]}
    with ws, ws.store.session() as session:
        rows = session.execute(select(Record.id, Source.name, Record.source_key).join(Source)).all()
        session.execute(update(Record), [
            {"id": record_id, "person_id": truth[(source, key)]}
            for record_id, source, key in rows if (source, key) in truth
        ])  # fmt: skip
    return path


@pytest.fixture(scope="module")
def sample(sample_store: Path):
    """A read-only workspace on the truly linked sample county (tests must not change it)."""
    ws = Workspace.open(sample_store, demo.DEMO_PASSPHRASE)
    yield ws
    ws.close()
