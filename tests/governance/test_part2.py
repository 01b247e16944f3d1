"""42 CFR Part 2: the records of the county's Part 2 sources (the sample county's behavioral-health extract, `bh`)
reach only the roles the county allows (default admin and analyst). Each test signs in as each role on a copy of
the linked sample county and looks at what Workspace hands back."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ddj_desktop import demo
from ddj_desktop.consent import settings as county_settings
from ddj_desktop.errors import DdjError, PermissionDenied
from ddj_desktop.paths import data_dir
from ddj_desktop.store.models import Record, Source
from ddj_desktop.workspace import Workspace

PASSWORDS = {"analyst": "admin password 1", "alan": "analyst password 1", "rita": "reviewer password 1",
             "val": "viewer password 1"}  # fmt: skip


def county_toml(**changes: str) -> str:
    text = (data_dir("forms") / demo.SAMPLE_COUNTY_SETTINGS).read_text(encoding="utf-8")
    for key, value in changes.items():
        lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
        text = "\n".join([f"{key} = {value}", *lines]) + "\n"
    return text


@pytest.fixture(scope="module")
def county_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The linked sample county with its settings and one user of each role (the admin is called "analyst")."""
    result = demo.build_sample_county(tmp_path_factory.mktemp("part2"))
    ws = result.workspace
    try:
        ws.set_county_settings(county_toml())
        ws.set_password(PASSWORDS["analyst"])
        for name, role in (("alan", "analyst"), ("rita", "reviewer"), ("val", "viewer")):
            ws.add_user(name, role, PASSWORDS[name])
        return ws.path
    finally:
        ws.close()


@pytest.fixture
def store(county_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / county_file.name
    shutil.copy(county_file, path)
    return path


def sign_in(path: Path, name: str) -> Workspace:
    return Workspace.open(path, demo.DEMO_PASSPHRASE, user=name, password=PASSWORDS[name])


def bh_facts(path: Path) -> dict:
    """What the tests look for: the bh record keys, and a person known only to bh under a last name no other
    source has (their identity is Part 2 information through and through)."""
    with sign_in(path, "analyst") as ws, ws.store.reading() as session:
        bh = session.scalar(select(Source.id).where(Source.name == "bh"))
        keys = set(session.scalars(select(Record.source_key).where(Record.source_id == bh)))
        elsewhere = set(session.scalars(select(Record.last_name).where(Record.source_id != bh)))
        only_bh = select(Record.person_id).group_by(Record.person_id).having(
            func.max(Record.source_id) == bh, func.min(Record.source_id) == bh)
        person, last, key = next(
            (p, last, k) for p, last, k in session.execute(
                select(Record.person_id, Record.last_name, Record.source_key)
                .where(Record.person_id.in_(only_bh)).order_by(Record.id))
            if last and last.isalpha() and last not in elsewhere)  # fmt: skip
        mixed = session.scalar(
            select(Record.person_id).group_by(Record.person_id)
            .having(func.sum(Record.source_id == bh) >= 1, func.sum(Record.source_id != bh) >= 3)
            .order_by(Record.person_id).limit(1))  # fmt: skip
    return {"keys": keys, "person": person, "last": last, "key": key, "mixed": mixed}


def test_the_setting_defaults_to_admin_and_analyst_and_refuses_an_unknown_role():
    default = county_settings.from_toml(county_toml().replace('part2_roles = ["admin", "analyst"]', ""))
    assert default.part2_roles == ("admin", "analyst")
    chosen = county_settings.from_toml(county_toml(part2_roles='["admin"]'))
    assert chosen.part2_roles == ("admin",)
    assert county_settings.from_toml(chosen.to_toml()).part2_roles == ("admin",), "kept through the TOML file"
    with pytest.raises(DdjError, match=r"unknown role.*clinician"):
        county_settings.from_toml(county_toml(part2_roles='["admin", "clinician"]'))


def test_a_reviewer_finds_no_part2_record_and_an_analyst_does(store: Path):
    facts = bh_facts(store)
    with sign_in(store, "alan") as analyst:
        found = analyst.find_records(facts["last"], limit=100_000)
        assert any(r.source == "bh" and r.source_key == facts["key"] for r in found)
        assert [r.source for r in analyst.person_records(facts["person"])] == ["bh"]
        mixed = analyst.person_records(facts["mixed"])
        assert "bh" in {r.source for r in mixed}
        everyone = analyst.count_records()
    with sign_in(store, "rita") as reviewer:
        shown = reviewer.find_records(facts["last"], limit=100_000)
        assert all(r.last_name != facts["last"] for r in shown), "a person known only to Part 2 is not there for her"
        assert reviewer.find_records(facts["key"]) == [] and reviewer.count_records(facts["key"]) == 0
        assert facts["last"] not in reviewer.similar_names(facts["last"][:-1] + "X")
        assert reviewer.person_records(facts["person"]) == []
        theirs = reviewer.person_records(facts["mixed"])
        assert theirs and "bh" not in {r.source for r in theirs}
        assert len(theirs) == len(mixed) - sum(r.source == "bh" for r in mixed), "the other records are all there"
        rows = reviewer.find_records("", limit=100_000)
        assert rows and not {r.source_key for r in rows if r.source == "bh"} and all(r.source != "bh" for r in rows)
        assert reviewer.count_records() == len(rows) == everyone - len(facts["keys"]), "counts agree with rows"
        review = reviewer.review_person(facts["mixed"])
        assert review.records and all(r.source != "bh" for r in review.records)
        assert all("bh" not in (w.a[0], w.c[0]) for w in review.weak)
        with pytest.raises(DdjError, match="no person"):
            reviewer.review_person(facts["person"])
        explained = reviewer.explain_person(facts["mixed"])
        assert explained.records and all(ref[0] != "bh" for ref, _line in explained.records)
        with pytest.raises(PermissionDenied, match="42 CFR Part 2"):
            reviewer.explain(("bh", facts["key"]), ("jail", "2022000066"))
        assert reviewer.counts()["records"] == everyone, "the store's totals (no one named) stay honest"
    with sign_in(store, "val") as viewer:
        with pytest.raises(PermissionDenied):
            viewer.find_records(facts["last"])
        assert viewer.counts()["records"] == everyone


def test_the_review_queue_holds_part2_pairs_back_from_a_reviewer_and_says_how_many(store: Path):
    with sign_in(store, "alan") as analyst:
        queue = analyst.review_queue()
        bh_pairs = [i for i in queue.items if "bh" in (i.a[0], i.b[0])]
        assert bh_pairs and queue.withheld == 0
        view = analyst.review_pair(bh_pairs[0].pair_id)
        assert "bh" in (view.a.source, view.b.source) and view.a.details is not None
        plain = next(i for i in queue.items if "bh" not in (i.a[0], i.b[0]) and _bh_records(store, i.person_a))
        linked = analyst.review_pair(plain.pair_id)
    with sign_in(store, "rita") as reviewer:
        theirs = reviewer.review_queue()
        assert theirs.withheld == len(bh_pairs)
        assert theirs.left == queue.left - len(bh_pairs)
        assert all("bh" not in (i.a[0], i.b[0]) for i in theirs.items)
        for action in (lambda: reviewer.review_pair(bh_pairs[0].pair_id),
                       lambda: reviewer.review_decide(bh_pairs[0].pair_id, "same")):
            with pytest.raises(PermissionDenied, match="42 CFR Part 2"):
                action()
        view = reviewer.review_pair(plain.pair_id)
        shown = view.linked_a + view.linked_b
        assert all(r.source != "bh" for r in shown)
        for side in ("a", "b"):
            person = getattr(linked, side).person_id
            assert getattr(view, f"linked_{side}_total") == getattr(linked, f"linked_{side}_total") - _bh_records(
                store, person), "the totals leave them out too"
    with sign_in(store, "alan") as analyst:
        analyst.review_decide(bh_pairs[0].pair_id, "different")
    with sign_in(store, "rita") as reviewer, pytest.raises(PermissionDenied, match="42 CFR Part 2"):
        reviewer.review_undo()  # the latest decision is about a record she may not see


def _bh_records(path: Path, person: int | None) -> int:
    with sign_in(path, "analyst") as ws, ws.store.reading() as session:
        return session.scalar(select(func.count()).select_from(Record).join(Source, Source.id == Record.source_id)
                              .where(Record.person_id == person, Source.name == "bh")) or 0


def test_a_county_that_allows_only_admins_keeps_part2_out_of_the_analysts_lists_and_exports(
    store: Path, tmp_path: Path
):
    facts = bh_facts(store)
    with sign_in(store, "analyst") as admin:
        admin.set_county_settings(county_toml(part2_roles='["admin"]'))
        listed = admin.utilizer_list("generic_ddj", admin.latest_event_date())
        admin.export_persons(tmp_path / "admin.csv")
        bh_batch = next(b.id for b in admin.batches() if b.source == "bh")
        assert admin.row_problems(bh_batch), "the sample's bh extract has rows it took without a value"
    with sign_in(store, "alan") as analyst:
        assert analyst.person_records(facts["person"]) == []
        assert all(r.source != "bh" for r in analyst.person_records(facts["mixed"]))
        theirs = analyst.utilizer_list("generic_ddj", analyst.latest_event_date())
        refs = [ref for p in theirs.people for found in p.evidence.values() for ref in found]
        assert refs and all(ref.source != "bh" for ref in refs)
        assert any(ref.source == "bh" for p in listed.people for found in p.evidence.values() for ref in found)
        analyst.export_persons(tmp_path / "analyst.csv")
        assert analyst.row_problems(bh_batch) == []
        assert analyst.export_problems([bh_batch], tmp_path / "rejects.xlsx") == 0

    def sources(name: str) -> set[str]:
        with open(tmp_path / name, newline="", encoding="utf-8-sig") as handle:
            return {row["source"] for row in csv.DictReader(handle)}

    assert "bh" in sources("admin.csv") and "bh" not in sources("analyst.csv")
    assert sources("analyst.csv") == sources("admin.csv") - {"bh"}
