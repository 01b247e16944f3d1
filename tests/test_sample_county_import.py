"""The bundled sample county through the real import into a real encrypted store: every real row in, nothing
false in, and none of the sample identities readable in the store file, its journal or anything beside it."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict

import pytest

from ddj_desktop import demo
from ddj_desktop.paths import data_dir

SAMPLES = data_dir("sample_workbooks")


def _truth() -> dict[str, dict[str, str]]:
    """source -> source_key -> kind (person, test, deleted, victim_service_provider)."""
    truth: dict[str, dict[str, str]] = defaultdict(dict)
    with (SAMPLES / "truth.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth[row["source"]][row["source_key"]] = row["kind"]
    return truth


def _identities() -> list[bytes]:
    """Byte strings that would betray a sample person: names, DOBs in common spellings, SSNs.

    Every fourth person: encryption hides all or nothing, and searching every identity costs a minute.
    """
    needles: set[bytes] = set()
    with (SAMPLES / "truth_people.csv").open(encoding="utf-8") as f:
        for person in list(csv.DictReader(f))[::4]:
            for name in (person["first_name"], person["last_name"]):
                if len(name) >= 5:
                    needles.update({name.upper().encode(), name.encode("utf-8")})
            if person["dob"]:
                dob = dt.date.fromisoformat(person["dob"])
                needles.update({dob.isoformat().encode(), dob.strftime("%m/%d/%Y").encode()})
            if person["ssn"]:
                ssn = person["ssn"]
                needles.update({ssn.encode(), f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}".encode()})
    return sorted(needles)


@pytest.fixture(scope="module")
def sample_county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county")
    seen_during_write: dict[str, bytes] = {}
    modes: dict[str, int] = {}

    class LookWhileWriting:
        """Copies every file in the store's folder while the last import is writing (the journal is open)."""

        def update(self, fraction: float, message: str = "") -> None:
            if message.startswith("Writing") and "probation" in message:
                for path in folder.iterdir():
                    seen_during_write[path.name] = path.read_bytes()
                    modes[path.name] = path.stat().st_mode & 0o777

        def cancelled(self) -> bool:
            return False

    result = demo.build_sample_county(folder, LookWhileWriting())
    result.workspace.export_persons(folder.parent / "persons.csv")
    result.workspace.close()
    assert modes and set(modes.values()) == {0o600}, f"store and journal are owner-only: {modes}"
    return folder, seen_during_write, folder.parent / "persons.csv"


def test_every_real_row_lands_and_nothing_false(sample_county):
    _folder, _seen, persons = sample_county
    got: dict[str, set[str]] = defaultdict(set)
    with persons.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            got[row["source"]].add(row["source_key"])
    truth = _truth()
    assert set(got) == set(truth)
    for source, keys in truth.items():
        real = {k for k, kind in keys.items() if kind == "person"}
        assert got[source] == real, f"{source}: missing {sorted(real - got[source])[:5]}, " \
                                    f"extra {sorted(got[source] - real)[:5]}"


def test_no_identity_is_readable_in_the_store_its_journal_or_beside_it(sample_county):
    folder, seen_during_write, _persons = sample_county
    assert any(name.endswith("-journal") for name in seen_during_write), "the journal was looked at mid-write"
    files = {**seen_during_write, **{p.name + " (after)": p.read_bytes() for p in folder.iterdir()}}
    needles = _identities()
    assert len(needles) > 1000
    plain = (SAMPLES / "court_cases.csv").read_bytes()
    assert sum(n in plain for n in needles) > 50, "the same search finds identities in a plaintext file"
    for name, data in files.items():
        found = [n for n in needles if n in data]
        assert not found, f"{name} holds plaintext identities, e.g. {found[:3]}"
    assert sorted(p.name for p in folder.iterdir()) == [demo.STORE_NAME]
