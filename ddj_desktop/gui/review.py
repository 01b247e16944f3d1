"""The review queue on the desktop: two records side by side, keyboard only.

S same person · D different people · U unsure · Z undo · N / → next · P / ← previous · O open the person ·
B blind mode (hide the probability). The next pair is rendered from views fetched ahead of time, and the decision
is written after it is on screen (on the single writer thread when the window has one), so no answer waits.

The queue itself (ordering 100,000 pairs takes seconds) is read on a worker thread: the panel says "Loading the
queue…" meanwhile and shows the first pair as soon as the queue and its first views arrive. A decision the store
refuses (a "same" against an earlier "different") is taken back in the panel too: the pair is shown again,
unanswered, with the reason.
"""

from __future__ import annotations

import difflib
import html
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.errors import DdjError
from ddj_desktop.gui.messages import messages

PREFETCH = 3
# run_read / run_write: run `work()` (off the GUI thread when the window has workers), then `done(result)` or
# `failed(error)` on the GUI thread.
Runner = Callable[[Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]], None]


def run_here(work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[BaseException], None]) -> None:
    """Runs `work` at once on this thread (tests, the bench, a panel without workers)."""
    try:
        result = work()
    except DdjError as err:
        failed(err)
    else:
        done(result)


def workers_runner(workers: Any, parent: QWidget, *, writes: bool, title: str) -> Runner:
    """A runner on the window's worker pools (gui/workers.py): reads in parallel, writes one at a time."""

    def run(work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[BaseException], None]) -> None:
        workers.run(lambda _progress: work(), done, title=title, writes=writes, failed=failed, parent=parent)

    return run


def _reported(err: BaseException, parent: QWidget | None) -> str | None:
    """The user-facing text of a DdjError; anything else goes to the usual error path and gives None."""
    if isinstance(err, DdjError):
        return err.message + (f" {err.hint}" if err.hint else "")
    from ddj_desktop.gui.workers import report_error

    report_error(err, parent)
    return None

ANSWER_WORDS = {"same": "same person", "different": "not the same person", "unsure": "unsure"}
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


# Compared field by field, differing characters marked; the rest only says where each record comes from.
CONTEXT_FIELDS = frozenset({"Source", "Record", "Event date", "Event end"})
MISSING = '<span style="color:#8a8a8a">— not recorded</span>'
LEGEND = ('<span style="background:#ffd27f">&nbsp;&nbsp;&nbsp;</span> differs &nbsp;·&nbsp; '
          '<span style="color:#8a8a8a">— not recorded</span> (neither for nor against)')


def _when(value: str) -> str:
    """An event time as a case manager reads it: 2021-12-18 01:36, not 2021-12-18T01:36:01."""
    return value.replace("T", " ")[:16] if len(value) > 10 else value


def side_by_side(fields: list[tuple[str, str, str]]) -> str:
    """HTML table of the two records: identity fields compared, where they come from below in grey."""
    compared, context = [], []
    for label, a, b in fields:
        name = html.escape(label)
        if label in CONTEXT_FIELDS:
            if a or b:
                cells = [f'<span style="color:#555">{html.escape(_when(v))}</span>' if v else MISSING for v in (a, b)]
                context.append(f'<tr><td style="color:#555">{name}</td><td>{cells[0]}</td><td>{cells[1]}</td></tr>')
        elif a and b:
            ha, hb = highlight(a, b)
            compared.append(f"<tr><td><b>{name}</b></td><td>{ha}</td><td>{hb}</td></tr>")
        elif a or b:
            compared.append(f"<tr><td><b>{name}</b></td><td>{html.escape(a) or MISSING}</td>"
                            f"<td>{html.escape(b) or MISSING}</td></tr>")
    return ('<table cellspacing="6"><tr><th></th><th align="left">Record A</th><th align="left">Record B</th></tr>'
            + "".join(compared) + '<tr><td colspan="3"></td></tr>' + "".join(context) + "</table>"
            + f'<p style="color:#555">{LEGEND}</p>')


def _bar(weight: float, scale: float) -> str:
    width = int(min(abs(weight) / scale, 1.0) * 120)
    color = "#3a7d44" if weight >= 0 else "#b33a3a"
    return f'<span style="background:{color}">{"&nbsp;" * max(width // 6, 1)}</span>'


class ReviewPanel(QWidget):
    """One pair at a time from the workspace's review queue."""

    decided = Signal(str, str)  # pair ID, decision (after it is written)
    refused = Signal(str, str)  # pair ID, why the store refused the answer
    loaded = Signal()  # the queue arrived and its first pair is on screen

    def __init__(self, workspace: Any, parent: QWidget | None = None, *, run_write: Runner | None = None,
                 run_read: Runner | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.run_write = run_write or run_here
        self.run_read = run_read or run_here
        self.items: Sequence[Any] = []
        self.index = 0
        self.answers: dict[str, str] = {}  # decided here, this session
        self.history: list[tuple[int, str]] = []  # (ticket, pair ID) in the order decided (undo pops)
        # Tickets of decisions the store accepted. Filled on the writer thread; an undo, queued behind its decision
        # on the same single writer, reads it there, so undoing a refused answer never undoes an older one.
        self._saved: set[int] = set()
        self._tickets = itertools.count(1)
        self._generation = 0  # a newer load() makes an older one's result stale
        self.loading = False
        self.views: dict[str, Any] = {}
        self.blind = False
        self.expected_wrong = 0.0
        self.current: Any = None
        self.notice_for: str | None = None  # the pair the notice is about

        self.header = QLabel()
        self.header.setAccessibleName("Queue progress")
        self.header.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no fractions to report: a moving bar says the queue is being read
        self.busy.setMaximumWidth(220)
        self.busy.setAccessibleName("Loading the queue")
        self.busy.hide()
        self.notice = QLabel()
        self.notice.setAccessibleName("Why the last answer was not saved")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background:#fde2e1; color:#7a1f1f; border:1px solid #d9a3a0; padding:6px;")
        self.notice.hide()
        self.probability = QLabel()
        self.probability.setAccessibleName("Match probability")
        self.fields = QLabel()
        self.fields.setTextFormat(Qt.TextFormat.RichText)
        self.fields.setAccessibleName("The two records side by side")
        self.fields.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.evidence = QLabel()
        self.evidence.setTextFormat(Qt.TextFormat.RichText)
        self.evidence.setAccessibleName("Evidence per field")
        self.evidence.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.linked_a, self.linked_b = QLabel(), QLabel()
        for label in (self.linked_a, self.linked_b):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.keys = QLabel(KEYS)
        self.keys.setAccessibleName("Keys")
        self.keys.setStyleSheet("color:#444;")
        # The answers as buttons too, each saying its key; they never take the focus, so the keys keep working.
        self.buttons: dict[str, QPushButton] = {}
        answers = QHBoxLayout()
        for name, text, slot in (
            ("same", "Same person (S)", lambda: self.decide("same")),
            ("different", "Not the same person (D)", lambda: self.decide("different")),
            ("unsure", "Unsure, ask later (U)", lambda: self.decide("unsure")),
            ("previous", "← Previous (P)", self.previous), ("next", "Next → (N)", self.next),
            ("undo", "Undo last answer (Z)", self.undo), ("person", "Open person (O)", self.open_person),
        ):
            button = QPushButton(text)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _checked=False, act=slot: self._clicked(act))
            if name in ("previous", "undo"):
                answers.addSpacing(16)
            answers.addWidget(button)
            self.buttons[name] = button
        answers.addStretch(1)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.busy)
        layout.addLayout(top)
        layout.addWidget(self.notice)
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
        layout.addLayout(answers)
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
        if self.loading and action != self.toggle_blind:
            return  # nothing to answer or move through until the queue is here
        action()

    def _clicked(self, action: Callable[[], Any]) -> None:
        if not self.loading:
            action()

    # -- queue -------------------------------------------------------------------------------------------------
    def load(self) -> None:
        """Read the queue again (after a link run): "Loading the queue…" until its first pair is on screen.

        The queue and the views of its first pairs are read together by `run_read` (a worker thread in the
        window), so the first pair shows the moment the ordering is done."""
        self._generation += 1
        generation = self._generation
        self.loading = True
        self.items, self.index, self.views, self.answers = [], 0, {}, {}
        self.current, self.notice_for = None, None
        self._clear_pair()
        self.header.setText("<b>Loading the queue…</b> The pairs are being put in order, those whose answer "
                            "changes most first. The first pair appears here as soon as it is ready.")
        self.busy.show()
        workspace = self.workspace

        def work() -> tuple[Any, dict[str, Any]]:
            queue = workspace.review_queue()
            first = {item.pair_id: workspace.review_pair(item.pair_id) for item in queue.items[:1 + PREFETCH]}
            return queue, first

        self.run_read(work, lambda result: self._loaded(generation, *result),
                      lambda err: self._load_failed(generation, err))

    def _loaded(self, generation: int, queue: Any, first: dict[str, Any]) -> None:
        if generation != self._generation:
            return  # a later load() is under way
        self.loading = False
        self.busy.hide()
        self.items, self.index, self.views = queue.items, 0, dict(first)  # (items made as they are shown)
        self.expected_wrong = queue.expected_wrong
        self.show_current()
        self.loaded.emit()

    def _load_failed(self, generation: int, err: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.busy.hide()
        why = _reported(err, self)
        self.header.setText("The queue could not be loaded." + (f" {html.escape(why)}" if why else ""))

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
    def _clear_pair(self) -> None:
        for label in (self.probability, self.fields, self.evidence, self.linked_a, self.linked_b):
            label.clear()
        self.notice.hide()

    def show_current(self) -> None:
        if not self.items or self.index >= len(self.items):
            self.current = None
            self.header.setText(f"Nothing left to review ({len(self.answers)} answered).")
            self._clear_pair()
            return
        item = self.items[self.index]
        self.current = view = self.view(item.pair_id)
        flag = " · would change the frequent-utilizer list" if item.changes_list else ""
        answered = self.answers.get(item.pair_id)
        self.header.setText(
            f"Pair {self.index + 1} of {len(self.items)} · {self.left()} left · if review stopped now about "
            f"{self.expected_wrong:.0f} true matches would stay unlinked{flag}"
            + (f" · answered: <b>{answered}</b>" if answered else "")
            + (" · <i>blind mode: probability hidden, B shows it</i>" if self.blind else "")
        )
        self.notice.setVisible(self.notice_for == item.pair_id)
        self.probability.setText(f"Match probability <b>{view.probability:.1%}</b>")
        self.probability.setVisible(not self.blind)
        self.fields.setText(side_by_side(view.fields()))
        scale = max([abs(e.weight) for e in view.evidence] + [abs(view.prior_weight), 1.0])
        running = view.prior_weight
        lines = ['<tr><th align="left">Evidence</th><th align="left">agreement</th><th align="right">weight</th>'
                 "<th></th></tr>",
                 f"<tr><td>prior (any two records)</td><td></td><td align=\"right\">{view.prior_weight:+.1f}</td>"
                 f"<td>{_bar(view.prior_weight, scale)}</td></tr>"]
        for e in view.evidence:
            running += e.weight
            lines.append(f"<tr><td>{html.escape(e.comparison)}</td><td>{html.escape(e.level)}</td>"
                         f"<td align=\"right\">{e.weight:+.1f}</td><td>{_bar(e.weight, scale)}</td></tr>")
        total = "" if self.blind else f"<tr><td><b>total</b></td><td></td><td><b>{running:+.1f}</b></td></tr>"
        self.evidence.setText('<table cellspacing="4">' + "".join(lines) + total + "</table>")
        for label, others, count, side in ((self.linked_a, view.linked_a, view.linked_a_total, "A"),
                                           (self.linked_b, view.linked_b, view.linked_b_total, "B")):
            shown = "<br>".join(html.escape(r.one_line()) for r in others)
            more = f"<br>… and {count - len(others)} more" if count > len(others) else ""
            if count:
                label.setText(f"<b>Already linked to {side}</b> ({count})<br>{shown}{more}")
            else:
                label.setText(f"<b>Record {side}</b> is not linked to any other record yet.")
        QTimer.singleShot(0, self.prefetch)

    # -- keys --------------------------------------------------------------------------------------------------
    def decide(self, decision: str) -> None:
        if self.current is None:
            return
        pair_id = self.current.pair_id
        ticket = next(self._tickets)
        self.answers[pair_id] = decision
        self.history.append((ticket, pair_id))
        self.notice_for = None
        self._advance()
        workspace, saved = self.workspace, self._saved

        def work() -> Any:
            done = workspace.review_decide(pair_id, decision)
            saved.add(ticket)
            return done

        self.run_write(work, lambda _done: self.decided.emit(pair_id, decision),
                       lambda err: self._refused(ticket, pair_id, decision, err))

    def _refused(self, ticket: int, pair_id: str, decision: str, err: BaseException) -> None:
        """The store did not take the answer: the pair is unanswered again, shown, with the reason."""
        self.history = [entry for entry in self.history if entry[0] != ticket]
        if all(pid != pair_id for _, pid in self.history):
            self.answers.pop(pair_id, None)
        why = _reported(err, self)
        if why is None:
            return
        self.notice_for = pair_id
        self.notice.setText(f"<b>Your answer “{ANSWER_WORDS.get(decision, decision)}” for this pair was not "
                            f"saved.</b> {html.escape(why)} The pair is still waiting for an answer.")
        self._back_to(pair_id)
        self.refused.emit(pair_id, why)

    def undo(self) -> None:
        if not self.history:
            return
        ticket, pair_id = self.history.pop()
        self.answers.pop(pair_id, None)
        self.views.pop(pair_id, None)
        workspace, saved = self.workspace, self._saved

        def work() -> Any:
            if ticket not in saved:
                return None  # the store refused that answer: there is nothing of it to take back
            saved.discard(ticket)
            return workspace.review_undo()

        self.run_write(work, lambda _done: self._back_to(pair_id), lambda err: self._undo_failed(pair_id, err))

    def _undo_failed(self, pair_id: str, err: BaseException) -> None:
        why = _reported(err, self)
        if why is not None:
            self.notice_for = pair_id
            self.notice.setText(f"<b>The answer could not be taken back.</b> {html.escape(why)}")
        self._back_to(pair_id)

    def _back_to(self, pair_id: str) -> None:
        self.views.pop(pair_id, None)
        position = getattr(self.items, "position", None)
        found = position(pair_id) if position is not None else next(
            (k for k, item in enumerate(self.items) if item.pair_id == pair_id), None)
        if found is not None:
            self.index = found
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
        if not self.loading:
            self.show_current()

    def open_person(self) -> PersonDialog | None:
        if self.current is None or self.current.a.person_id is None:
            return None
        dialog = PersonDialog(self.workspace, self.current.a.person_id, self)
        dialog.show()
        return dialog


class PersonDialog(QDialog):
    """One person's records, records in weak chains marked; X splits off the selected records, M merges another
    person in (by number, after a confirmation), Z undoes what was done here."""

    def __init__(self, workspace: Any, person_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.person_id = person_id
        self.done_here: list[int] = []  # person shown before each split or merge made here (undo goes back)
        self.resize(720, 420)
        self.records = QListWidget()
        self.records.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.records.setAccessibleName("The person's records")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.status = QLabel()
        self.status.setAccessibleName("What the last change did")
        self.status.setWordWrap(True)
        self.split_button = QPushButton("Split off selected (&X)")
        self.split_button.clicked.connect(self.split)
        self.merge_with = QLineEdit()
        self.merge_with.setPlaceholderText("e.g. P000123")
        self.merge_with.setMinimumWidth(140)
        self.merge_with.setAccessibleName("Number of the person to merge with")
        self.merge_with.returnPressed.connect(self.merge)
        self.merge_button = QPushButton("&Merge with person…")
        self.merge_button.setAccessibleName("Merge another person into this one")
        self.merge_button.clicked.connect(self.merge)
        self.undo_button = QPushButton("&Undo last change (Z)")
        self.undo_button.clicked.connect(self.undo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.records)
        actions = QHBoxLayout()
        actions.addWidget(self.split_button)
        actions.addSpacing(16)
        actions.addWidget(QLabel("Merge with:"))
        actions.addWidget(self.merge_with)
        actions.addWidget(self.merge_button)
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        QShortcut(QKeySequence("X"), self).activated.connect(self.split)
        QShortcut(QKeySequence("Z"), self).activated.connect(self.undo)
        QShortcut(QKeySequence("M"), self).activated.connect(self.merge_with.setFocus)
        self.reload()

    def reload(self) -> None:
        review = self.workspace.review_person(self.person_id)
        self.setWindowTitle(f"Person P{self.person_id:06d}")
        weak = review.weak_records()
        self.records.clear()
        for record in review.records:
            item = QListWidgetItem(("⚠ " if record.ref in weak else "") + record.one_line())
            item.setData(Qt.ItemDataRole.UserRole, record.ref)
            self.records.addItem(item)
        chains = (f"{len(review.weak)} weak chain(s) (A≈B, B≈C, but A≉C): their records are marked ⚠."
                  if review.weak else "No weak chains.")
        self.summary.setText(f"<b>P{self.person_id:06d}</b> · {len(review.records)} records. {chains}")
        self.undo_button.setEnabled(bool(self.done_here))

    def split(self) -> None:
        refs = [item.data(Qt.ItemDataRole.UserRole) for item in self.records.selectedItems()]
        if not refs:
            self.status.setText("Select the records to split off first (Shift or Ctrl with the arrow keys).")
            return
        try:
            done = self.workspace.review_split(self.person_id, [tuple(r) for r in refs])
        except DdjError as err:
            messages().error(self, err)
            return
        self.done_here.append(self.person_id)
        self.reload()
        self.status.setText(f"Split off {len(refs)} record(s); {done.persons_changed} record(s) changed person. "
                            "Z undoes.")

    def merge(self) -> None:
        """Nothing; merges the person whose number is typed into this one, once the reviewer confirms."""
        number = self.merge_with.text().strip().upper().lstrip("P")
        if not number.isdigit() or int(number) == 0:
            self.status.setText("Type the number of the person to merge with, e.g. P000123, then Merge.")
            self.merge_with.setFocus()
            return
        other = int(number)
        if other == self.person_id:
            self.status.setText(f"P{other:06d} is this person; type another person's number.")
            return
        try:
            theirs = self.workspace.review_person(other)
        except DdjError as err:
            self.status.setText(html.escape(err.message))
            return
        first = theirs.records[0].one_line() if theirs.records else ""
        question = (f"Merge P{other:06d} ({len(theirs.records)} record(s), e.g. {first}) into P{self.person_id:06d} "
                    f"({self.records.count()} record(s))?\n\nThey will be one person from now on, in every later "
                    "link run too. Undo takes it back.")
        if not messages().confirm(self, "Merge two persons", question):
            return
        try:
            done = self.workspace.review_merge(self.person_id, other)
        except DdjError as err:
            messages().error(self, err)
            return
        self.done_here.append(self.person_id)
        self.person_id = self._surviving(self.person_id, other)
        self.merge_with.clear()
        self.reload()
        self.status.setText(f"Merged P{other:06d} into this person: {done.persons_changed} record(s) changed "
                            "person. Z undoes.")

    def _surviving(self, mine: int, other: int) -> int:
        """The number the merged person kept."""
        try:
            self.workspace.review_person(mine)
        except DdjError:
            return other
        return mine

    def undo(self) -> None:
        """Nothing; takes back the latest split or merge made in this window (decisions are undone in the queue)."""
        if not self.done_here:
            self.status.setText("Nothing done here to take back. Answers in the queue are undone there, with Z.")
            return
        try:
            self.workspace.review_undo()
        except DdjError as err:
            messages().error(self, err)
            return
        self.person_id = self.done_here.pop()
        self.reload()
        self.status.setText("Taken back.")


class ReviewDialog(QDialog):
    """The review panel in a window of its own, opened from the Matching page."""

    def __init__(self, workspace: Any, parent: QWidget | None = None, *, workers: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review queue")
        self.resize(1000, 640)
        run_write = run_read = None
        if workers is not None:
            run_write = workers_runner(workers, self, writes=True, title="Saving a review decision")
            run_read = workers_runner(workers, self, writes=False, title="Loading the review queue")
        self.panel = ReviewPanel(workspace, self, run_write=run_write, run_read=run_read)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        self.panel.load()
        self.panel.setFocus()
