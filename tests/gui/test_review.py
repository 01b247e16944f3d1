"""A reviewer works through the sample county's queue with the keyboard only, undoes an answer, and the answers
hold through a re-link."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ddj_desktop import demo
from ddj_desktop.gui.review import ReviewPanel, highlight
from ddj_desktop.review.decisions import in_force


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
        assert items[3].pair_id in listed, "the undone answer is asked again"
    finally:
        ws.close()
