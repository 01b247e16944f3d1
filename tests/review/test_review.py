"""The review queue on the linked sample county: order, decisions that bind re-links, undo, person review, minimum
necessary for reviewers, and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from ddj_desktop import demo
from ddj_desktop.cli import run
from ddj_desktop.errors import PermissionDenied
from ddj_desktop.store.models import AuditEvent, LinkRun, Record, Source
from ddj_desktop.workspace import Workspace


@pytest.fixture(scope="module")
def county_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = demo.build_sample_county(tmp_path_factory.mktemp("county"))
    path = result.workspace.path
    result.workspace.close()
    return path


@pytest.fixture
def ws(county_file: Path, tmp_path: Path):
    path = tmp_path / county_file.name
    shutil.copy(county_file, path)
    workspace = Workspace.open(path, demo.DEMO_PASSPHRASE)
    yield workspace
    workspace.close()


def _person(ws: Workspace, ref: tuple[str, str]) -> int:
    with ws.store.reading() as session:
        return session.scalar(select(Record.person_id).join(Source, Source.id == Record.source_id)
                              .where(Source.name == ref[0], Record.source_key == ref[1]))


def test_queue_puts_consequential_pairs_first_and_says_what_is_left(ws):
    queue = ws.review_queue()
    assert queue.left > 20 and queue.decided == 0
    assert 0 < queue.expected_wrong < queue.left
    assert queue.list_rule, "the generic frequent-utilizer rule flags pairs that change the list"
    flags = [item.changes_list for item in queue.items]
    assert any(flags) and flags == sorted(flags, reverse=True), "list-changing pairs come first"
    listed = [item for item in queue.items if item.changes_list]
    sizes = [item.records for item in listed]
    assert sizes == sorted(sizes, reverse=True), "then persons holding more records"
    assert all(item.person_a != item.person_b for item in queue.items)


def test_the_count_of_pairs_left_is_the_queue_s_length_after_decisions(ws):
    items = ws.review_queue().items
    assert ws.review_queue_left() == len(items)
    ws.review_decide(items[0].pair_id, "same")  # merges two persons: other pairs between them may go too
    ws.review_decide(items[1].pair_id, "different")
    ws.review_decide(items[2].pair_id, "unsure")  # still asked, at the end
    left = ws.review_queue().left
    assert left < len(items) - 1
    assert ws.review_queue_left() == left


def test_same_merges_persons_now_and_undo_puts_them_back(ws):
    item = ws.review_queue().items[0]
    before = (_person(ws, item.a), _person(ws, item.b))
    done = ws.review_decide(item.pair_id, "same", note="same DOB on the booking sheet")
    assert done.persons_changed > 0
    assert _person(ws, item.a) == _person(ws, item.b) in before, "no new person ID for a merge"
    queue = ws.review_queue()
    assert item.pair_id not in {i.pair_id for i in queue.items} and queue.decided == 1

    undone = ws.review_undo()
    assert undone.pair_id == item.pair_id and undone.persons_changed == done.persons_changed
    assert (_person(ws, item.a), _person(ws, item.b)) == before
    assert item.pair_id in {i.pair_id for i in ws.review_queue().items}
    audited = [(e["action"], item.pair_id in str(e["details"])) for e in ws.audit_entries(5)]
    assert ("review_decide", True) in audited and ("review_undo", True) in audited
    assert ws.review_undo() is None, "nothing left to undo"


def test_a_reviewer_note_stays_out_of_the_audit_log_and_is_kept_where_a_purge_reaches_it(ws):
    from ddj_desktop.review.decisions import ReviewDecision

    note = "Spoke with Maria Delgado's case manager at Mercy; same woman, DOB 1980-04-02"
    items = ws.review_queue().items
    ws.review_decide(items[0].pair_id, "same", note=note)
    ws.review_merge(_person(ws, items[1].a), _person(ws, items[1].b), note=note)
    person = _person(ws, items[1].a)
    ws.review_split(person, [next(r.ref for r in ws.review_person(person).records if r.ref == items[1].b)], note=note)
    logged = [e for e in ws.audit_entries(3) if e["action"].startswith("review_")]
    assert logged and all(e["action"] in ("review_decide", "review_split", "review_merge") for e in logged)
    with ws.store.reading() as session:
        raw = " ".join(session.scalars(select(AuditEvent.details)))
        kept = list(session.scalars(select(ReviewDecision.note).where(ReviewDecision.note.is_not(None))))
    for word in ("Delgado", "Maria", "Mercy", "1980-04-02"):
        assert word not in raw, f"{word!r} of the note is in the audit log, which is never purged"
    for entry in logged:
        details = json.loads(entry["details"])
        assert details["note"] is True and details["note_chars"] == len(note)
    assert note in kept, "the note itself is kept with the decision"
    ws.purge_person(_person(ws, items[0].a))
    with ws.store.reading() as session:
        left = list(session.scalars(select(ReviewDecision.id).where(ReviewDecision.pair_id == items[0].pair_id)))
    assert left == [], "a purge of the person takes the decision, note and all"


def test_undo_goes_back_in_order_and_unsure_waits_at_the_end(ws):
    items = ws.review_queue().items
    ws.review_decide(items[0].pair_id, "different")
    ws.review_decide(items[1].pair_id, "unsure")
    ws.review_decide(items[2].pair_id, "same")
    queue = ws.review_queue()
    assert queue.items[-1].pair_id == items[1].pair_id and queue.items[-1].unsure
    assert [ws.review_undo().pair_id for _ in range(3)] == [items[2].pair_id, items[1].pair_id, items[0].pair_id]
    assert ws.review_queue().decided == 0


def test_decisions_bind_every_later_link_run_and_feed_the_model(ws):
    items = ws.review_queue().items
    same, apart = items[0], items[1]
    ws.review_decide(same.pair_id, "same")
    ws.review_decide(apart.pair_id, "different")
    for _ in range(2):
        ws.link()
        assert _person(ws, same.a) == _person(ws, same.b)
        assert _person(ws, apart.a) != _person(ws, apart.b)
        ids = {i.pair_id for i in ws.review_queue().items}
        assert same.pair_id not in ids and apart.pair_id not in ids, "a decided pair is never asked again"
    with ws.store.reading() as session:
        model = session.scalar(select(LinkRun).order_by(LinkRun.id.desc())).model
    assert any("reviewer-labelled" in h for h in model["history"])


def test_same_is_refused_against_a_different_in_force(ws):
    from ddj_desktop.errors import DdjError

    item = ws.review_queue().items[0]
    ws.review_decide(item.pair_id, "different")
    merge = ws.review_merge
    with pytest.raises(DdjError, match="not to be the same person"):
        merge(_person(ws, item.a), _person(ws, item.b))


def test_person_review_split_and_merge_bind_and_undo(ws):
    from collections import Counter

    def identity(r):  # type: ignore[no-untyped-def]
        return (r.source, r.first_name, r.middle_name, r.last_name, r.dob, r.ssn_last4, r.sex)

    queue = ws.review_queue().items
    person = max({i.person_a for i in queue}, key=lambda p: len(ws.review_person(p).records))
    review = ws.review_person(person)
    assert len(review.records) >= 3
    records = [r.ref for r in review.records]
    counts = Counter(identity(r) for r in review.records)
    off = next(r.ref for r in reversed(review.records) if counts[identity(r)] == 1 and r.ref != records[0])
    ws.review_split(person, [off], note="different DOB")
    assert _person(ws, off) != person and _person(ws, records[0]) == person
    ws.link()
    assert _person(ws, off) != _person(ws, records[0]), "a split binds the next link run"
    ws.review_undo()
    other = _person(ws, off)
    ws.review_merge(person, other)
    assert _person(ws, off) == _person(ws, records[0])
    ws.review_undo()
    assert _person(ws, off) == other


def test_weak_chains_are_found(ws):
    found = None
    for item in ws.review_queue().items[:40]:
        for p in (item.person_a, item.person_b):
            review = ws.review_person(p)
            if review.weak:
                found = review
                break
        if found:
            break
    if found is None:
        pytest.skip("no weak chain in the sample county's reviewed persons")
    weak = found.weak[0]
    assert weak.probability < 0.7 and weak.through is not None
    assert weak.a in found.weak_records()


def test_reviewer_sees_identity_only(ws):
    ws.set_password("analyst password 1")
    ws.add_user("rita", "reviewer", "reviewer password 1")
    item = ws.review_queue().items[0]
    assert ws.review_pair(item.pair_id).a.details is not None, "the analyst may see event details"
    reviewer = Workspace.open(ws.path, demo.DEMO_PASSPHRASE, user="rita", password="reviewer password 1")
    try:
        view = reviewer.review_pair(item.pair_id)
        assert view.a.details is None and view.b.details is None
        assert all(r.details is None for r in view.linked_a + view.linked_b)
        assert not hasattr(view.a, "ssn") and all(len(r.ssn_last4 or "") <= 4 for r in (view.a, view.b))
        assert all(r.details is None for r in reviewer.review_person(item.person_a).records)
        reviewer.review_decide(item.pair_id, "same")
        with pytest.raises(PermissionDenied):
            reviewer.link()
        with pytest.raises(PermissionDenied):
            reviewer.utilizer_list("generic_ddj")
    finally:
        reviewer.close()
    assert any(e["user"] == "rita" and e["action"] == "review_decide" for e in ws.audit_entries(5))


def test_cli_review_list_decide_undo(ws, monkeypatch, capsys):
    path = str(ws.path)
    ws.close()
    monkeypatch.setenv("DDJ_PASSPHRASE", demo.DEMO_PASSPHRASE)
    assert run(["review", "list", path, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    first = listed[0]
    assert {"pair_id", "probability", "a", "b"} <= set(first) and {"source", "source_key"} <= set(first["a"])
    assert run(["review", "decide", path, first["pair_id"], "different", "--note", "twins"]) == 0
    assert "different" in capsys.readouterr().out
    assert run(["review", "list", path, "--json"]) == 0
    assert first["pair_id"] not in {p["pair_id"] for p in json.loads(capsys.readouterr().out)}
    assert run(["review", "undo", path]) == 0
    assert "Undone" in capsys.readouterr().out
    assert run(["review", "decide", path, "0000000000000000", "same"]) != 0


def test_decisions_hold_after_a_new_import_and_re_link(tmp_path):
    imports = demo.sample_files()
    ws = Workspace.create(tmp_path / "county.ddj", "a passphrase for this test", admin_name="ana")
    try:
        for source, files in imports[:-1]:
            ws.import_files(files, source)
        ws.link()
        items = ws.review_queue().items
        same, apart = items[0], items[1]
        ws.review_decide(same.pair_id, "same")
        ws.review_decide(apart.pair_id, "different")
        source, files = imports[-1]  # a later month: another agency's records arrive
        ws.import_files(files, source)
        ws.link()
        assert _person(ws, same.a) == _person(ws, same.b)
        assert _person(ws, apart.a) != _person(ws, apart.b)
        ids = {i.pair_id for i in ws.review_queue().items}
        assert same.pair_id not in ids and apart.pair_id not in ids, "a decided pair is never asked again"
    finally:
        ws.close()


def test_queue_items_read_as_a_list_and_find_a_pair_by_id(ws: Workspace) -> None:
    queue = ws.review_queue()
    items = list(queue.items)
    assert len(items) == queue.left > 3
    assert queue.items[1:3] == items[1:3] and queue.items[-1] == items[-1]
    assert len({item.pair_id for item in items}) == len(items)
    assert queue.expected_wrong == pytest.approx(sum(item.probability for item in items))
    with ws.store.reading() as session:
        persons = dict(session.execute(select(Record.id, Record.person_id)).all())
    assert all(isinstance(item.person_a, int | None) and item.records >= 2 for item in items)
    assert {item.person_a for item in items} <= set(persons.values()) | {None}
    last = items[-1]
    assert queue.items.position(last.pair_id) == len(items) - 1  # type: ignore[attr-defined]
    assert queue.items.position("no such pair") is None  # type: ignore[attr-defined]
    assert json.loads(json.dumps([item.to_json() for item in queue.items]))[0]["pair_id"] == items[0].pair_id
