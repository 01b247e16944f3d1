"""The review queue on the desktop: two records side by side, keyboard only.

S same person · D different people · U unsure · Z undo · N / → next · P / ← previous · O open the person ·
B blind mode (hide the probability). The next pair is rendered from views fetched ahead of time, and the decision
is written after it is on screen (on the single writer thread when the window has one), so no answer waits.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.errors import DdjError
from ddj_desktop.gui.messages import messages

PREFETCH = 3
KEYS = "S same · D different · U unsure · Z undo · N/→ next · P/← previous · O person · B blind"


def highlight(a: str, b: str) -> tuple[str, str]:
    """HTML of `a` and `b` with the characters that differ marked."""
    if a == b:
        return html.escape(a), html.escape(b)
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        part_a, part_b = html.escape(a[i1:i2]), html.escape(b[j1:j2])
        if op == "equal":
            out_a.append(part_a)
            out_b.append(part_b)
        else:
            mark = '<span style="background:#ffd27f">{}</span>'
            out_a.append(mark.format(part_a) if part_a else "")
            out_b.append(mark.format(part_b) if part_b else "")
    return "".join(out_a), "".join(out_b)


def _bar(weight: float, scale: float) -> str:
    width = int(min(abs(weight) / scale, 1.0) * 120)
    color = "#3a7d44" if weight >= 0 else "#b33a3a"
    return f'<span style="background:{color}">{"&nbsp;" * max(width // 6, 1)}</span>'


class ReviewPanel(QWidget):
    """One pair at a time from the workspace's review queue."""

    decided = Signal(str, str)  # pair ID, decision (after it is written)

    def __init__(self, workspace: Any, parent: QWidget | None = None, *,
                 run_write: Callable[[Callable[[], Any], Callable[[Any], None]], None] | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.run_write = run_write or (lambda work, done: done(work()))
        self.items: list[Any] = []
        self.index = 0
        self.answers: dict[str, str] = {}  # decided here, this session
        self.history: list[str] = []  # pair IDs in the order decided (undo pops)
        self.views: dict[str, Any] = {}
        self.blind = False
        self.expected_wrong = 0.0
        self.current: Any = None

        self.header = QLabel()
        self.header.setAccessibleName("Queue progress")
        self.probability = QLabel()
        self.probability.setAccessibleName("Match probability")
        self.fields = QLabel()
        self.fields.setTextFormat(Qt.TextFormat.RichText)
        self.fields.setAccessibleName("The two records side by side")
        self.evidence = QLabel()
        self.evidence.setTextFormat(Qt.TextFormat.RichText)
        self.evidence.setAccessibleName("Evidence per field")
        self.linked_a, self.linked_b = QLabel(), QLabel()
        for label in (self.linked_a, self.linked_b):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.keys = QLabel(KEYS)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.probability)
        middle = QHBoxLayout()
        middle.addWidget(self.fields, 3)
        middle.addWidget(self.evidence, 2)
        layout.addLayout(middle)
        linked = QHBoxLayout()
        linked.addWidget(self.linked_a)
        linked.addWidget(self.linked_b)
        layout.addLayout(linked)
        layout.addStretch(1)
        layout.addWidget(self.keys)
        key = Qt.Key
        self.bindings: dict[int, Callable[[], Any]] = {
            key.Key_S: lambda: self.decide("same"), key.Key_D: lambda: self.decide("different"),
            key.Key_U: lambda: self.decide("unsure"), key.Key_Z: self.undo, key.Key_N: self.next,
            key.Key_Right: self.next, key.Key_P: self.previous, key.Key_Left: self.previous,
            key.Key_O: self.open_person, key.Key_B: self.toggle_blind,
        }  # fmt: skip
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self.bindings.get(event.key())
        if action is None or event.modifiers() & ~(Qt.KeyboardModifier.ControlModifier
                                                   | Qt.KeyboardModifier.KeypadModifier):
            super().keyPressEvent(event)
            return
        action()

    # -- queue -------------------------------------------------------------------------------------------------
    def load(self) -> None:
        """Read the queue again (after a link run) and show its first pair."""
        queue = self.workspace.review_queue()
        self.items, self.index, self.views, self.answers = list(queue.items), 0, {}, {}
        self.expected_wrong = queue.expected_wrong
        self.show_current()

    def left(self) -> int:
        return len(self.items) - sum(1 for answer in self.answers.values() if answer != "unsure")

    def view(self, pair_id: str) -> Any:
        found = self.views.get(pair_id)
        if found is None:
            found = self.views[pair_id] = self.workspace.review_pair(pair_id)
        return found

    def prefetch(self) -> None:
        for item in self.items[self.index + 1:self.index + 1 + PREFETCH]:
            if item.pair_id not in self.views:
                self.view(item.pair_id)

    # -- showing -----------------------------------------------------------------------------------------------
    def show_current(self) -> None:
        if not self.items or self.index >= len(self.items):
            self.current = None
            self.header.setText(f"Nothing left to review ({len(self.answers)} answered).")
            for label in (self.probability, self.fields, self.evidence, self.linked_a, self.linked_b):
                label.clear()
            return
        item = self.items[self.index]
        self.current = view = self.view(item.pair_id)
        flag = " · would change the frequent-utilizer list" if item.changes_list else ""
        answered = self.answers.get(item.pair_id)
        self.header.setText(
            f"Pair {self.index + 1} of {len(self.items)} · {self.left()} left · if review stopped now about "
            f"{self.expected_wrong:.0f} true matches would stay unlinked{flag}"
            + (f" · answered: <b>{answered}</b>" if answered else "")
        )
        self.probability.setText(f"Match probability <b>{view.probability:.1%}</b>")
        self.probability.setVisible(not self.blind)
        rows = []
        for label, a, b in view.fields():
            ha, hb = highlight(a, b)
            rows.append(f"<tr><td><b>{html.escape(label)}</b></td><td>{ha}</td><td>{hb}</td></tr>")
        self.fields.setText('<table cellspacing="6"><tr><th></th><th>Record A</th><th>Record B</th></tr>'
                            + "".join(rows) + "</table>")
        scale = max([abs(e.weight) for e in view.evidence] + [abs(view.prior_weight), 1.0])
        running = view.prior_weight
        lines = [f"<tr><td>prior (any two records)</td><td></td><td>{view.prior_weight:+.1f}</td>"
                 f"<td>{_bar(view.prior_weight, scale)}</td></tr>"]
        for e in view.evidence:
            running += e.weight
            lines.append(f"<tr><td>{html.escape(e.comparison)}</td><td>{html.escape(e.level)}</td>"
                         f"<td>{e.weight:+.1f}</td><td>{_bar(e.weight, scale)}</td></tr>")
        total = "" if self.blind else f"<tr><td><b>total</b></td><td></td><td><b>{running:+.1f}</b></td></tr>"
        self.evidence.setText('<table cellspacing="4">' + "".join(lines) + total + "</table>")
        for label, others, count, side in ((self.linked_a, view.linked_a, view.linked_a_total, "A"),
                                           (self.linked_b, view.linked_b, view.linked_b_total, "B")):
            shown = "<br>".join(html.escape(r.one_line()) for r in others)
            more = f"<br>… and {count - len(others)} more" if count > len(others) else ""
            label.setText(f"<b>Already linked to {side}</b> ({count})<br>{shown}{more}")
        QTimer.singleShot(0, self.prefetch)

    # -- keys --------------------------------------------------------------------------------------------------
    def decide(self, decision: str) -> None:
        if self.current is None:
            return
        pair_id = self.current.pair_id
        self.answers[pair_id] = decision
        self.history.append(pair_id)
        self._advance()
        self.run_write(lambda: self.workspace.review_decide(pair_id, decision),
                       lambda _done: self.decided.emit(pair_id, decision))

    def undo(self) -> None:
        if not self.history:
            return
        pair_id = self.history.pop()
        self.answers.pop(pair_id, None)
        self.views.pop(pair_id, None)
        self.run_write(self.workspace.review_undo, lambda _done: self._back_to(pair_id))

    def _back_to(self, pair_id: str) -> None:
        self.views.pop(pair_id, None)
        positions = [k for k, item in enumerate(self.items) if item.pair_id == pair_id]
        if positions:
            self.index = positions[0]
        self.show_current()

    def _advance(self) -> None:
        k = self.index + 1
        while k < len(self.items) and self.items[k].pair_id in self.answers:
            k += 1
        self.index = k
        self.show_current()

    def next(self) -> None:
        if self.index < len(self.items):
            self.index += 1
            self.show_current()

    def previous(self) -> None:
        if self.index > 0:
            self.index -= 1
            self.show_current()

    def toggle_blind(self) -> None:
        self.blind = not self.blind
        self.show_current()

    def open_person(self) -> PersonDialog | None:
        if self.current is None or self.current.a.person_id is None:
            return None
        dialog = PersonDialog(self.workspace, self.current.a.person_id, self)
        dialog.show()
        return dialog


class PersonDialog(QDialog):
    """One person's records, records in weak chains marked; X splits off the selected records (Z undoes)."""

    def __init__(self, workspace: Any, person_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.person_id = person_id
        self.setWindowTitle(f"Person P{person_id:06d}")
        self.records = QListWidget()
        self.records.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.summary = QLabel()
        split = QPushButton("Split off selected (&X)")
        split.clicked.connect(self.split)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.records)
        layout.addWidget(split)
        QShortcut(QKeySequence("X"), self).activated.connect(self.split)
        QShortcut(QKeySequence("Z"), self).activated.connect(self.undo)
        self.reload()

    def reload(self) -> None:
        review = self.workspace.review_person(self.person_id)
        weak = review.weak_records()
        self.records.clear()
        for record in review.records:
            item = QListWidgetItem(("⚠ " if record.ref in weak else "") + record.one_line())
            item.setData(Qt.ItemDataRole.UserRole, record.ref)
            self.records.addItem(item)
        self.summary.setText(f"{len(review.records)} records; {len(review.weak)} weak chain(s) (A≈B, B≈C, A≉C) "
                             "marked ⚠")

    def split(self) -> None:
        refs = [item.data(Qt.ItemDataRole.UserRole) for item in self.records.selectedItems()]
        if not refs:
            return
        try:
            self.workspace.review_split(self.person_id, [tuple(r) for r in refs])
        except DdjError as err:
            messages().error(self, err)
            return
        self.reload()

    def undo(self) -> None:
        self.workspace.review_undo()
        self.reload()


class ReviewDialog(QDialog):
    """The review panel in a window of its own, opened from the Matching page."""

    def __init__(self, workspace: Any, parent: QWidget | None = None, *, workers: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review queue")
        self.resize(1000, 640)
        run_write = None
        if workers is not None:
            def run_write(work: Callable[[], Any], done: Callable[[Any], None]) -> None:
                workers.run(lambda _progress: work(), done, title="Saving a review decision", writes=True,
                            parent=self)
        self.panel = ReviewPanel(workspace, self, run_write=run_write)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        self.panel.load()
        self.panel.setFocus()
