"""A reviewer works through the sample county's queue with the keyboard only, undoes an answer, and the answers
hold through a re-link."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QTimer

from ddj_desktop import demo
from ddj_desktop.gui.review import PersonDialog, ReviewDialog, ReviewPanel, highlight
from ddj_desktop.gui.workers import Workers
from ddj_desktop.linkage.run import REVIEW
from ddj_desktop.review.decisions import in_force
from ddj_desktop.store.models import Pair


@pytest.fixture
def county(tmp_path):
    ws = demo.build_sample_county(tmp_path).workspace
    yield ws
    ws.close()


def test_highlight_marks_only_the_differing_characters():
    a, b = highlight("GARCIA", "GARZIA")
    assert a.count("<span") == 1 and "C</span>" in a and "Z</span>" in b
    assert highlight("ANA", "ANA") == ("ANA", "ANA")


def test_reviewer_keyboard_through_queue_undo_and_relink(qtbot, tmp_path):
    ws = demo.build_sample_county(tmp_path).workspace
    try:
        panel = ReviewPanel(ws)
        qtbot.addWidget(panel)
        panel.show()
        panel.load()
        panel.setFocus()
        items = panel.items
        assert "Record A" in panel.fields.text() and "prior" in panel.evidence.text()
        assert panel.probability.isVisible() is False or panel.probability.text()

        qtbot.keyClick(panel, Qt.Key.Key_B)  # blind mode hides the probability
        assert panel.probability.isHidden() and "total" not in panel.evidence.text()
        assert "blind mode" in panel.header.text()
        qtbot.keyClick(panel, Qt.Key.Key_S)  # same
        qtbot.keyClick(panel, Qt.Key.Key_D)  # different
        qtbot.keyClick(panel, Qt.Key.Key_U)  # unsure
        qtbot.keyClick(panel, Qt.Key.Key_D)  # different, then taken back
        assert panel.current.pair_id == items[4].pair_id
        qtbot.keyClick(panel, Qt.Key.Key_Z)
        assert panel.current.pair_id == items[3].pair_id, "undo goes back to the pair"
        qtbot.keyClick(panel, Qt.Key.Key_N)
        qtbot.keyClick(panel, Qt.Key.Key_P)
        assert panel.current.pair_id == items[3].pair_id
        dialog = panel.open_person()
        assert dialog is not None and dialog.records.count() >= 1
        dialog.close()

        with ws.store.reading() as session:
            held = {pid: row.decision for pid, row in in_force(session).items()}
        assert held == {items[0].pair_id: "same", items[1].pair_id: "different", items[2].pair_id: "unsure"}

        ws.link()
        with ws.store.reading() as session:
            assert {pid: row.decision for pid, row in in_force(session).items()} == held
        same_a = ws.explain_person(items[0].a).person_id
        assert same_a == ws.explain_person(items[0].b).person_id
        assert ws.explain_person(items[1].a).person_id != ws.explain_person(items[1].b).person_id
        panel.load()
        listed = [item.pair_id for item in panel.items]
        assert items[0].pair_id not in listed and items[1].pair_id not in listed
        with ws.store.reading() as session:
            still_uncertain = session.get(Pair, items[3].pair_id).status == REVIEW
        # the undone answer binds nothing: asked again whenever the re-link still finds the pair uncertain
        assert (items[3].pair_id in listed) == still_uncertain
    finally:
        ws.close()


def test_the_queue_loads_on_a_worker_while_the_window_keeps_running(qtbot, county, monkeypatch):
    slow = county.review_queue

    def slow_queue(**kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.6)  # as a 100,000-pair queue takes seconds to order
        return slow(**kwargs)

    monkeypatch.setattr(county, "review_queue", slow_queue)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    workers = Workers()
    clock = time.perf_counter()
    dialog = ReviewDialog(county, workers=workers)
    qtbot.addWidget(dialog)
    dialog.show()
    panel = dialog.panel
    assert time.perf_counter() - clock < 0.4, "opening the window does not wait for the queue"
    assert panel.loading and "Loading the queue" in panel.header.text() and panel.busy.isVisible()
    qtbot.keyClick(panel, Qt.Key.Key_S)  # nothing to answer yet: ignored
    with qtbot.waitSignal(panel.loaded, timeout=15000):
        pass
    timer.stop()
    assert len([t for t in ticks if t < clock + 0.6]) >= 10, "the event loop kept running while the queue loaded"
    assert not panel.busy.isVisible() and "Pair 1 of" in panel.header.text()
    assert panel.current.pair_id == panel.items[0].pair_id and "Record A" in panel.fields.text()
    assert not panel.answers
    qtbot.waitUntil(lambda: not workers.busy(), timeout=5000)


def test_a_refused_answer_leaves_the_pair_unanswered_and_says_why(qtbot, county):
    panel = ReviewPanel(county)
    qtbot.addWidget(panel)
    panel.show()
    panel.load()
    first = panel.items[0]
    county.review_decide(first.pair_id, "different")  # meanwhile, another reviewer keeps the two apart
    with qtbot.waitSignal(panel.refused, timeout=5000):
        qtbot.keyClick(panel, Qt.Key.Key_S)
    assert first.pair_id not in panel.answers and not panel.history
    assert panel.current.pair_id == first.pair_id, "the refused pair is shown again"
    assert panel.notice.isVisible()
    assert "“same person” for this pair was not saved" in panel.notice.text()
    assert "decided not to be the same person" in panel.notice.text()
    assert "answered" not in panel.header.text()
    qtbot.keyClick(panel, Qt.Key.Key_N)
    assert panel.notice.isHidden(), "the notice belongs to the refused pair"
    qtbot.keyClick(panel, Qt.Key.Key_Z)  # nothing of the refused answer to undo: the other reviewer's answer holds
    with county.store.reading() as session:
        assert in_force(session)[first.pair_id].decision == "different"


def test_an_undo_queued_behind_a_refused_answer_takes_back_nothing(qtbot, county):
    writes: list = []
    panel = ReviewPanel(county, run_write=lambda work, done, failed: writes.append((work, done, failed)))
    qtbot.addWidget(panel)
    panel.load()
    first = panel.items[0]
    county.review_decide(first.pair_id, "different")
    qtbot.keyClick(panel, Qt.Key.Key_S)
    qtbot.keyClick(panel, Qt.Key.Key_Z)  # before the writer has even tried the answer
    for work, done, failed in writes:  # the single writer, in order
        try:
            result = work()
        except Exception as err:  # handed back as the window's workers do
            failed(err)
        else:
            done(result)
    with county.store.reading() as session:
        assert in_force(session)[first.pair_id].decision == "different"
    assert panel.current.pair_id == first.pair_id and first.pair_id not in panel.answers


def test_person_window_merges_another_person_by_number_and_undoes(qtbot, county, shown):
    item = next(i for i in county.review_queue().items if i.person_a and i.person_b)
    mine, theirs = item.person_a, item.person_b
    before = county.review_person(mine).records
    other = county.review_person(theirs).records
    dialog = PersonDialog(county, mine)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.records.count() == len(before)
    qtbot.keyClicks(dialog.merge_with, f"P{theirs:06d}")
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert shown.questions and f"Merge P{theirs:06d}" in shown.questions[0]
    assert dialog.records.count() == len(before) + len(other)
    assert "Merged" in dialog.status.text() and dialog.undo_button.isEnabled()
    assert {r.ref for r in county.review_person(dialog.person_id).records} == {r.ref for r in before + other}

    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.isActiveWindow(), timeout=2000)
    qtbot.keyClick(dialog.records, Qt.Key.Key_Z)  # the shortcut wins over the list's type-to-search
    assert "Taken back" in dialog.status.text()
    assert dialog.person_id == mine and dialog.records.count() == len(before)
    assert {r.ref for r in county.review_person(theirs).records} == {r.ref for r in other}
    assert not dialog.undo_button.isEnabled()


def test_merge_asks_first_and_a_no_changes_nothing(qtbot, county, shown):
    item = next(i for i in county.review_queue().items if i.person_a and i.person_b)
    dialog = PersonDialog(county, item.person_a)
    qtbot.addWidget(dialog)
    count = dialog.records.count()
    shown.answer = False
    qtbot.keyClicks(dialog.merge_with, str(item.person_b))
    qtbot.keyClick(dialog.merge_with, Qt.Key.Key_Return)
    assert shown.questions and dialog.records.count() == count
    qtbot.keyClicks(dialog.merge_with, "x")
    dialog.merge_with.setText("abc")
    dialog.merge()
    assert "Type the number" in dialog.status.text()


def test_answer_buttons_answer_and_leave_the_keys_working(qtbot, county):
    panel = ReviewPanel(county)
    qtbot.addWidget(panel)
    panel.show()
    panel.load()
    panel.setFocus()
    items = panel.items
    assert "(S)" in panel.buttons["same"].text() and "(D)" in panel.buttons["different"].text()
    qtbot.mouseClick(panel.buttons["different"], Qt.MouseButton.LeftButton)
    assert panel.answers == {items[0].pair_id: "different"}
    assert panel.current.pair_id == items[1].pair_id
    qtbot.keyClick(panel, Qt.Key.Key_U)  # the click did not take the keys away from the panel
    assert panel.answers[items[1].pair_id] == "unsure"
    qtbot.mouseClick(panel.buttons["undo"], Qt.MouseButton.LeftButton)
    assert items[1].pair_id not in panel.answers and panel.current.pair_id == items[1].pair_id
    with county.store.reading() as session:
        assert {pid: row.decision for pid, row in in_force(session).items()} == {items[0].pair_id: "different"}
    unlinked = [label.text() for label in (panel.linked_a, panel.linked_b)]
    assert all("Already linked" in text or "not linked to any other record yet" in text for text in unlinked)


def test_matching_page_says_how_many_pairs_wait(qtbot, county):
    from tests.gui.windows import make_window

    window = make_window(qtbot, county, size=(1280, 800))
    page = window.show_page("Matching")
    left = county.review_queue_left()
    assert left > 0
    qtbot.waitUntil(lambda: f"{left:,} pairs wait for a reviewer" in page.waiting.text(), timeout=20_000)
    assert page.review_button.width() < page.width() / 2  # a button, not a bar across the page
