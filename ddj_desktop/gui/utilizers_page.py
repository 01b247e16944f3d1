"""Frequent utilizers: pick a rule and adjust it (seeing the list size change), see who is on the list and why,
compare it with an earlier list, export either."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QFontDatabase, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ddj_desktop.gui.messages import messages
from ddj_desktop.gui.models import Column, ListTableModel
from ddj_desktop.gui.pages import Page, fit_columns, note, table_view
from ddj_desktop.utilizers import RuleError, template_text
from ddj_desktop.workspace import person_label

if TYPE_CHECKING:
    from ddj_desktop.gui.main_window import MainWindow

FIXED_BEFORE = (
    Column("#", lambda p: p.rank, align_right=True),
    Column("Person", lambda p: person_label(p.person_id)),
)
FIXED_AFTER = (
    Column("First", lambda p: p.first_event.isoformat() if p.first_event else ""),
    Column("Latest", lambda p: p.last_event.isoformat() if p.last_event else ""),
    Column("Reasons", lambda p: p.why(), stretch=True),
)
CHECK_DELAY_MS = 350  # typing pauses this long before the rule is checked and the list counted
GRAY = "color: palette(dark);"


def _value(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def measure_title(measure: str) -> str:
    """A measure's column title, on two lines when it has two words or more ("detox or\npiip"): its column then
    needs the width of its numbers, not of its name, and a list of five measures fits beside the reasons."""
    words = measure.replace("_", " ").split()
    if len(words) < 2 or len(measure) <= 8:
        return " ".join(words)
    # the break that makes the longer line shortest
    cut = min(range(1, len(words)), key=lambda k: max(len(" ".join(words[:k])), len(" ".join(words[k:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


def list_columns(measures: list[str]) -> tuple[Column, ...]:
    """The table's columns for a list whose rule has `measures`."""
    per_measure = tuple(
        Column(measure_title(m), lambda p, m=m: _value(p.values.get(m)), align_right=True) for m in measures
    )
    return (*FIXED_BEFORE, *per_measure, *FIXED_AFTER)


def comparison_columns(measures: list[str]) -> tuple[Column, ...]:
    """The comparison table's columns: the change, the person, both ranks and the measures (now, or before for
    someone who dropped off)."""
    per_measure = tuple(
        Column(measure_title(m), lambda c, m=m: _value((c.values_now or c.values_before).get(m)), align_right=True)
        for m in measures
    )
    return (
        Column("Change", lambda c: c.status),
        Column("Person", lambda c: person_label(c.person_id)),
        Column("Rank before", lambda c: c.rank_before, align_right=True),
        Column("Rank now", lambda c: c.rank_now, align_right=True),
        Column("Places moved", lambda c: f"{c.moved:+d}" if c.moved else "", align_right=True),
        *per_measure,
    )


# -- the rule's numbers, found in its TOML text so the form can change them without touching anything else ----
THRESHOLDS = {"at_least": "at least", "more_than": "more than", "at_most": "at most", "less_than": "less than"}
WINDOW_UNITS = {"window_days": "days", "window_months": "months", "window_years": "years"}
_NUMBER = re.compile(
    r"(?<![\w\"'.-])(version|window_days|window_months|window_years|gap_days|at_least|more_than|at_most|less_than"
    r"|min_age|max_age|top_n|top_percent)[ \t]*=[ \t]*(\d+(?:\.\d+)?)(?![\w.])"
)
_HEADER = re.compile(r"(?m)^[ \t]*(\[\[?)[ \t]*([^\]\n]+?)[ \t]*\]\]?")
_STRING_KEY = re.compile(r"(?<![\w\"'.-])(label|measure|sources)[ \t]*=[ \t]*(\"[^\"\n]*\"|\[[^\]\n]*\])")


@dataclass(frozen=True)
class RuleNumber:
    """A number in the rule text the form offers: where it is (`start`:`end`), its key and what it means."""

    start: int
    end: int
    key: str
    value: float
    is_float: bool
    label: str
    suffix: str = ""
    section: str = ""  # the form's heading it goes under


def _code_only(text: str) -> str:
    """`text` with comments and the insides of strings blanked (same length, newlines kept)."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith('"""', i) or text.startswith("'''", i):
            quote = text[i:i + 3]
            end = i + 3
            while True:
                end = text.find(quote, end)
                if end < 0 or quote == "'''" or text[end - 1] != "\\":
                    break
                end += 1
            end = n if end < 0 else end
            blank(i + 3, end)
            i = end + 3
        elif c in "\"'":
            end = i + 1
            while end < n and text[end] != c and text[end] != "\n":
                end += 2 if c == '"' and text[end] == "\\" else 1
            blank(i + 1, end)
            i = end + 1
        else:
            i += 1
    return "".join(out)


def _scope(code: str, pos: int, header_end: int) -> tuple[int, int, bool]:
    """The span of the inline table around `pos` (or of its [table], from `header_end`), and whether inline."""
    depth = 0
    for k in range(pos - 1, header_end - 1, -1):
        if code[k] == "}":
            depth += 1
        elif code[k] == "{":
            if depth == 0:
                close, inner = k, 0
                for j in range(k, len(code)):
                    inner += {"{": 1, "}": -1}.get(code[j], 0)
                    if inner == 0:
                        close = j
                        break
                return k, close, True
            depth -= 1
    following = _HEADER.search(code, pos)
    return header_end, following.start() if following else len(code), False


def rule_numbers(text: str) -> list[RuleNumber]:
    """The thresholds, windows, gaps, ages, version and top-N of the rule in `text`, in file order, each with a
    label an analyst can read (an unreadable or half-typed text gives what can be found)."""
    code = _code_only(text)
    headers = [(m.start(), m.end(), m.group(2).strip()) for m in _HEADER.finditer(code)]
    found: list[RuleNumber] = []
    criteria_seen = 0
    criteria_index: dict[int, int] = {}
    for start, _, name in headers:
        if name == "criteria":
            criteria_seen += 1
            criteria_index[start] = criteria_seen
    for m in _NUMBER.finditer(code):
        key, raw = m.group(1), m.group(2)
        header = next((h for h in reversed(headers) if h[0] < m.start()), None)
        table = header[2] if header else ""
        a, b, inline = _scope(code, m.start(), header[1] if header else 0)
        strings = {s.group(1): text[s.start(2):s.end(2)] for s in _STRING_KEY.finditer(code, a, b)
                   if inline or s.start() < m.start() or key not in THRESHOLDS}
        label_text = strings.get("label", "").strip('"')
        measure = strings.get("measure", "").strip('"')
        sources = strings.get("sources", "")
        if measure in ("events", "episodes", "days", "cost", "systems") and sources:
            measure = f"{measure} in {sources.strip('[]').replace(chr(34), '')}"
        subject = (label_text or measure).replace("_", " ")
        suffix = ""
        if key == "version" and not header:
            label, section = "Version", "Rule"
        elif key in WINDOW_UNITS and not header:
            label, section, suffix = "Look-back window", "Rule", WINDOW_UNITS[key]
        elif table.startswith("measures."):
            what = table.removeprefix("measures.").replace("_", " ")
            section = "Measures"
            if key in WINDOW_UNITS:
                label, suffix = f"{what}: own window", WINDOW_UNITS[key]
            elif key == "gap_days":
                label, suffix = f"{what}: one episode if at most", "days apart"
            else:
                label = f"{what}: {key.replace('_', ' ')}"
        elif table == "recency":
            section = "Recency"
            label = "Recency window" if key in WINDOW_UNITS else f"Recency: {THRESHOLDS.get(key, key)}"
            suffix = WINDOW_UNITS.get(key, "events" if key in THRESHOLDS else "")
        elif table == "ranking":
            section = "Ranking"
            label, suffix = {"top_n": ("Only the top", "people"), "top_percent": ("Only the top", "%")}.get(
                key, (key.replace("_", " "), ""))
        elif table == "population" and key in ("min_age", "max_age"):
            section = "Population"
            label, suffix = ("Aged at least" if key == "min_age" else "Aged at most"), "years"
        else:
            section = "Population" if table == "population" else "Criteria"
            if key in THRESHOLDS:
                if not subject and "of" in strings.get("measure", "of"):
                    subject = "conditions that hold"
                label = f"{subject or 'condition'}: {THRESHOLDS[key]}"
            elif key in WINDOW_UNITS:
                label, suffix = f"{subject or 'condition'}: own window", WINDOW_UNITS[key]
            else:
                label, suffix = f"{subject or 'condition'}: one episode if at most", "days apart"
            if table == "criteria" and header and not inline and not subject:
                label = f"Criterion {criteria_index.get(header[0], 0)}: {THRESHOLDS.get(key, key)}"
        found.append(RuleNumber(m.start(2), m.end(2), key, float(raw), "." in raw, label, suffix, section))
    return found


def _number_text(value: float, is_float: bool) -> str:
    if not is_float:
        return str(int(value))
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


class RuleEditor(QWidget):
    """The rule's numbers as spin boxes over its TOML text; both edit the same text."""

    SECTIONS = ("Rule", "Measures", "Criteria", "Recency", "Population", "Ranking")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.numbers: list[RuleNumber] = []
        self.spins: list[QSpinBox | QDoubleSpinBox] = []
        self._writing = False  # the form is changing the text: keep the form as it is
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        scroll.setAccessibleName("Rule settings")
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Rule text (TOML)")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setTabChangesFocus(True)
        self.text.textChanged.connect(self._text_changed)
        text_label = QLabel("Rule &text - everything else (sources, filters, conditions) is edited here:")
        text_label.setBuddy(self.text)
        text_label.setWordWrap(True)
        text_label.setMinimumWidth(220)
        text_label.setStyleSheet(GRAY)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(scroll)
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 4, 0, 0)
        box.addWidget(text_label)
        box.addWidget(self.text, 1)
        splitter.addWidget(holder)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.on_change: list[Any] = []  # called with no arguments whenever the text changes

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)

    def toml(self) -> str:
        return self.text.toPlainText()

    def _text_changed(self) -> None:
        numbers = rule_numbers(self.toml())
        shape = [(n.key, n.label, n.is_float) for n in numbers]
        if not self._writing and shape != [(n.key, n.label, n.is_float) for n in self.numbers]:
            self.numbers = numbers
            self._build_form()
        else:
            self.numbers = numbers
            if not self._writing:
                for number, spin in zip(numbers, self.spins, strict=True):
                    spin.blockSignals(True)
                    spin.setValue(number.value)
                    spin.blockSignals(False)
        for callback in self.on_change:
            callback()

    def _build_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.spins = []
        spacing = max(self.form.verticalSpacing(), 6)
        height = 2 * spacing + 4
        for section in self.SECTIONS:
            members = [(i, n) for i, n in enumerate(self.numbers) if n.section == section]
            if not members:
                continue
            heading = QLabel(f"<b>{section}</b>")
            self.form.addRow(heading)
            height += heading.sizeHint().height() + spacing
            for i, number in members:
                spin = self._spin(number)
                spin.valueChanged.connect(lambda value, i=i: self._spin_changed(i, value))
                label = QLabel(html.escape(number.label))
                label.setBuddy(spin)
                self.form.addRow(label, spin)
                self.spins.append(spin)
                height += max(spin.sizeHint().height(), label.sizeHint().height()) + spacing
        # spins were added section by section; keep them in the order of `numbers`
        order = sorted(range(len(self.numbers)), key=lambda i: (self.SECTIONS.index(self.numbers[i].section), i))
        by_number: list[Any] = [None] * len(self.numbers)
        for spin, i in zip(self.spins, order, strict=True):
            by_number[i] = spin
        self.spins = by_number
        if not self.numbers:
            self.form.addRow(QLabel("No thresholds or windows found in the rule text."))
        # the form shows whole (up to a point) and the text takes the rest
        self.scroll.setMinimumHeight(min(height, 330))

    def _spin(self, number: RuleNumber) -> QSpinBox | QDoubleSpinBox:
        spin: QSpinBox | QDoubleSpinBox
        if number.is_float:
            spin = QDoubleSpinBox()
            spin.setDecimals(2)
            spin.setRange(0, 100 if number.key == "top_percent" else 1_000_000_000)
        else:
            spin = QSpinBox()
            spin.setRange(1 if number.key == "version" else 0, 1_000_000)
        spin.setValue(number.value)
        spin.setAccessibleName(number.label)
        if number.suffix:
            spin.setSuffix(f" {number.suffix}")
        spin.setKeyboardTracking(False)  # typed digits count once Enter or focus leaves, not on each keystroke
        spin.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
        spin.setMinimumWidth(110)
        return spin

    def _spin_changed(self, i: int, value: float) -> None:
        if i >= len(self.numbers):
            return
        number = self.numbers[i]
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(number.start)
        cursor.setPosition(number.end, QTextCursor.MoveMode.KeepAnchor)
        self._writing = True
        try:
            cursor.insertText(_number_text(value, number.is_float))
        finally:
            self._writing = False


class UtilizersPage(Page):
    title = "Frequent utilizers"
    description = ("Who keeps cycling through jail, the emergency department, EMS and shelters. Start from a "
                   "published rule, adjust its thresholds and windows (the list size follows as you edit), then "
                   "make the list: each person shows the conditions that put them on it.")

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.rule = QComboBox()
        self.rule.setAccessibleName("Start from rule")
        self.rule.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.rule.setMinimumContentsLength(40)
        self.rule.currentIndexChanged.connect(self._rule_chosen)
        self.open_rule_button = QPushButton("&Open rule file...")
        self.open_rule_button.clicked.connect(self.open_rule_file)
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setAccessibleName("List as of")
        self.as_of.dateChanged.connect(self._schedule_check)
        self.make_button = QPushButton("&Make the list")
        self.make_button.clicked.connect(self.make_list)
        self.keep_run = QCheckBox("&Keep for next month's comparison")
        self.keep_run.setAccessibleName("Keep the list for next month's comparison")
        self.export_button = QPushButton("&Export to Excel...")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_list)
        row = QHBoxLayout()
        rule_label = QLabel("&Rule:")
        rule_label.setBuddy(self.rule)
        as_of_label = QLabel("&As of:")
        as_of_label.setBuddy(self.as_of)
        for widget in (rule_label, self.rule, as_of_label, self.as_of, self.make_button,
                       self.keep_run, self.export_button):
            row.addWidget(widget)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.rule_text = note("")
        self.rule_text.setStyleSheet(GRAY)
        self.layout_.addWidget(self.rule_text)

        # Left: the rule editor with its size and problems; right: the list and the comparison
        self.editor = RuleEditor()
        self.editor.on_change.append(self._schedule_check)
        self.size = note("")
        self.size.setAccessibleName("List size")
        self.problems = note("")
        self.problems.setAccessibleName("Rule problems")
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_rule_button = QPushButton("&Save rule as...")
        self.save_rule_button.clicked.connect(self.save_rule)
        self.reset_button = QPushButton("Back to the tem&plate")
        self.reset_button.clicked.connect(lambda: self._rule_chosen(self.rule.currentIndex()))
        buttons = QGridLayout()  # two rows: in one, the buttons would keep the list from the width it needs
        buttons.addWidget(self.save_rule_button, 0, 0)
        buttons.addWidget(self.open_rule_button, 0, 1)
        buttons.addWidget(self.reset_button, 1, 0)
        buttons.setColumnStretch(2, 1)
        for label in (self.size, self.problems):  # wrapped text must not set the editor's width
            label.setMinimumWidth(220)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 6, 0)
        left_box.addWidget(self.size)
        left_box.addWidget(self.problems)
        left_box.addWidget(self.editor, 1)
        left_box.addLayout(buttons)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("List and comparison")
        self.tabs.addTab(self._list_tab(), "The &list")
        self.tabs.addTab(self._comparison_tab(), "Compared &with an earlier list")
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        self.layout_.addWidget(splitter, 1)

        self.result: Any = None
        self.comparison: Any = None
        self.parsed: Any = None  # the Rule in the editor, when it has no problems
        self._templates: list[Any] = []
        self._files: dict[int, Path] = {}  # combo index -> a rule file opened from disk
        self._original: tuple[str, int | None] = ("", None)  # the text and version as picked, before edits
        self._count_running = False
        self._count_again = False
        self._last_size: int | None = None
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_rule)
        self._split = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._split:  # once laid out at its real width: the list, what most visits are for, gets the larger part
            self._split = True
            QTimer.singleShot(0, self._split_for_the_list)

    def _split_for_the_list(self) -> None:
        width = self.splitter.width()
        self.splitter.setSizes([width * 32 // 100, width * 68 // 100])  # (the rule editor keeps its minimum width)

    def _list_tab(self) -> QWidget:
        tab = QWidget()
        box = QVBoxLayout(tab)
        self.summary = note("Press <b>Make the list</b> to see who is on it and why.")
        self.summary.setAccessibleName("List summary")
        box.addWidget(self.summary)
        self.people = ListTableModel(list_columns([]))
        self.view = table_view(self.people, "People on the list")
        self.view.doubleClicked.connect(self._open_person)
        self.view.activated.connect(self._open_person)
        box.addWidget(self.view, 1)
        # the reasons of the person picked, in full: the table's column has room for their start only
        self.reasons = note("")
        self.reasons.setAccessibleName("Why the selected person is on the list")
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.reasons)
        hint = note("Double-click a person (or press Enter) to see all their records on the People page.")
        hint.setStyleSheet(GRAY)
        box.addWidget(hint)
        return tab

    def _person_picked(self) -> None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        if not rows:
            self.reasons.setText("Select a person to see in full why they are on the list.")
            return
        person = self.people.row_at(rows[0].row())
        self.reasons.setText(f"<b>{person_label(person.person_id)}</b> is on the list: {html.escape(person.why())}")

    def _comparison_tab(self) -> QWidget:
        tab = QWidget()
        box = QVBoxLayout(tab)
        self.compare_with = QComboBox()
        self.compare_with.setAccessibleName("Compare with")
        self.compare_with.currentIndexChanged.connect(self._compare_with_chosen)
        self.earlier = QDateEdit()
        self.earlier.setCalendarPopup(True)
        self.earlier.setDisplayFormat("yyyy-MM-dd")
        self.earlier.setAccessibleName("Earlier as-of date")
        self.compare_button = QPushButton("&Compare")
        self.compare_button.clicked.connect(self.compare)
        self.export_comparison_button = QPushButton("E&xport comparison...")
        self.export_comparison_button.setEnabled(False)
        self.export_comparison_button.clicked.connect(self.export_comparison)
        self.compare_with.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row = QHBoxLayout()
        with_label = QLabel("Compare &with:")
        with_label.setBuddy(self.compare_with)
        row.addWidget(with_label)
        row.addWidget(self.compare_with, 1)
        row.addWidget(self.earlier)
        box.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.compare_button)
        row.addWidget(self.export_comparison_button)
        row.addStretch(1)
        box.addLayout(row)
        self.comparison_summary = note("")
        self.comparison_summary.setAccessibleName("Comparison summary")
        box.addWidget(self.comparison_summary)
        show_row = QHBoxLayout()
        self.show_status = QComboBox()
        self.show_status.setAccessibleName("Show changes")
        for text, data in (("Everyone who changed", "changed"), ("New", "new"), ("Dropped off", "dropped"),
                           ("Moved up", "moved up"), ("Moved down", "moved down"), ("Everyone", "all")):
            self.show_status.addItem(text, data)
        self.show_status.currentIndexChanged.connect(self._show_changes)
        show_label = QLabel("S&how:")
        show_label.setBuddy(self.show_status)
        show_row.addWidget(show_label)
        show_row.addWidget(self.show_status)
        show_row.addStretch(1)
        box.addLayout(show_row)
        self.changes = ListTableModel(comparison_columns([]))
        self.changes_view = table_view(self.changes, "Changes since the earlier list")
        self.changes_view.doubleClicked.connect(self._open_changed_person)
        self.changes_view.activated.connect(self._open_changed_person)
        box.addWidget(self.changes_view, 1)
        return tab

    # -- picking and editing the rule ----------------------------------------------------------------------
    def refresh(self) -> None:
        if not self._templates:
            self._templates = self.workspace.utilizer_templates()
            self.rule.blockSignals(True)
            for template in self._templates:
                self.rule.addItem(template.name, template.key)
            self.rule.blockSignals(False)
            latest = self.workspace.latest_event_date() or dt.date.today()
            self.as_of.setDate(QDate(latest.year, latest.month, latest.day))
            self._rule_chosen(0)
        self._fill_compare_with()

    def _rule_chosen(self, index: int) -> None:
        if index in self._files:
            text = self._files[index].read_text(encoding="utf-8")
        elif 0 <= index < len(self._templates):
            text = template_text(self._templates[index].key)
        else:
            return
        self._original = (text, None)
        self._last_size = None
        self.editor.set_text(text)
        self.check_rule()
        self._original = (text, self.parsed.version if self.parsed is not None else None)
        self._fill_compare_with()

    def open_rule_file(self) -> None:
        files = messages().open_files(self, "Open a rule", "Rule (*.toml)")
        if not files:
            return
        index = self.rule.count()
        self._files[index] = files[0]
        self.rule.addItem(f"File: {files[0].name}", str(files[0]))
        self.rule.setCurrentIndex(index)

    def _schedule_check(self) -> None:
        self._check_timer.start()

    def check_rule(self) -> None:
        """Check the editor's rule now (shows its problems) and, if it can be used, count its list."""
        self._check_timer.stop()
        if self.window_.workspace is None:  # locked meanwhile
            return
        text = self.editor.toml()
        try:
            rule = self.workspace.utilizer_rule(text if "\n" in text else text + "\n")
        except RuleError as err:
            self.parsed = None
            items = "".join(f"<br>&bull; {html.escape(p)}" for p in err.problems)
            self.problems.setText(f"<span style='color:#b00020'><b>The rule cannot be used yet:</b>{items}</span>")
            self.problems.show()
            self.size.setText("<span style='color:gray'>The list size shows once the rule is fixed.</span>")
            self.make_button.setEnabled(False)
            self.compare_button.setEnabled(False)
            self.save_rule_button.setEnabled(False)
            return
        self.parsed = rule
        self.make_button.setEnabled(True)
        self.compare_button.setEnabled(True)
        self.save_rule_button.setEnabled(True)
        original_text, original_version = self._original
        if text != original_text and original_version is not None and rule.version == original_version:
            self.problems.setText(f"<span style='color:#8a5a00'>You changed the rule: raise its version (now "
                                  f"{rule.version}) before you keep a list or save the rule, so a saved list says "
                                  f"which rule made it.</span>")
            self.problems.show()
        else:
            self.problems.clear()
            self.problems.hide()
        self.rule_text.setText(html.escape(rule.description)
                               + (f" <i>({html.escape(rule.citation)})</i>" if rule.citation else ""))
        self._count()

    def _count(self) -> None:
        if self._count_running:  # one count at a time; the newest rule is counted once this one ends
            self._count_again = True
            return
        if self.window_.workspace is None:  # locked meanwhile
            return
        ws, rule, as_of = self.workspace, self.parsed, self._as_of()
        if rule is None:
            return
        self._count_running, self._count_again = True, False
        shown = self.size.text()
        if "Counting" not in shown:
            self.size.setText(f"{shown} <span style='color:gray'>Counting...</span>" if self._last_size is not None
                              else "<span style='color:gray'>Counting...</span>")
        self.window_.workers.run(
            lambda progress: (ws.utilizer_list_size(rule, as_of), rule, as_of), self._counted,
            title="Counting the list", failed=self._count_failed, parent=self,
        )  # fmt: skip

    def _counted(self, answer: tuple[int, Any, dt.date]) -> None:
        self._count_running = False
        size, rule, as_of = answer
        if self._count_again or rule is not self.parsed or as_of != self._as_of():
            self._count_again = False
            self._count()
            return
        change = ""
        if self._last_size is not None and size != self._last_size:
            change = f" <span style='color:gray'>(was {self._last_size:,} before this change)</span>"
        self._last_size = size
        self.size.setText(f"<b>{size:,} {'person' if size == 1 else 'people'}</b> would be on the list as of "
                          f"{as_of.isoformat()}.{change}")

    def _count_failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self._count_running = False
        self.size.setText("<span style='color:gray'>The list could not be counted.</span>")
        report_error(err, self)

    def save_rule(self) -> None:
        if self.parsed is None:
            return
        slug = re.sub(r"[^a-z0-9]+", "_", self.parsed.name.lower()).strip("_")[:60] or "rule"
        out = messages().save_file(self, "Save the rule", f"{slug}.toml", "Rule (*.toml)")
        if out is None:
            return
        out = out if out.suffix == ".toml" else out.with_suffix(".toml")
        out.write_text(self.editor.toml(), encoding="utf-8")
        self.window_.status(f"Saved the rule to {out.name}.")

    def _as_of(self) -> dt.date:
        return self.as_of.date().toPython()  # type: ignore[no-any-return]

    # -- the list ----------------------------------------------------------------------------------------------
    def make_list(self) -> None:
        if self.parsed is None:
            self.check_rule()
            if self.parsed is None:
                return
        ws, rule, as_of, keep = self.workspace, self.parsed, self._as_of(), self.keep_run.isChecked()
        self.make_button.setEnabled(False)
        self.summary.setText("Making the list...")
        self.tabs.setCurrentIndex(0)
        self.window_.workers.run(
            lambda progress: ws.utilizer_list(rule, as_of, save=keep), self._listed, title="Making the list",
            writes=True, failed=self._failed, parent=self,
        )  # fmt: skip

    def _failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self.make_button.setEnabled(self.parsed is not None)
        self.summary.setText("")
        report_error(err, self)

    def _listed(self, result: Any) -> None:
        self.make_button.setEnabled(self.parsed is not None)
        self.result = result
        self.people = ListTableModel(list_columns(list(result.columns)))
        self.view.setModel(self.people)
        self.view.selectionModel().selectionChanged.connect(self._person_picked)
        self.people.set_rows(result.people)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        fit_columns(self.view, 160)
        self._person_picked()
        warnings = "".join(f"<br><span style='color:#8a5a00'>{html.escape(w)}</span>" for w in result.warnings)
        kept = " Kept for next month's comparison." if result.run_id is not None else ""
        self.summary.setText(
            f"<b>{len(result.people):,} people</b> on the list as of {result.as_of.isoformat()} "
            f"({result.candidates:,} met the criteria; {result.persons_in_window:,} people had any record from "
            f"{result.window_start.isoformat()}).{kept}{warnings}"
        )
        self.export_button.setEnabled(bool(result.people))
        if result.run_id is not None:
            self._fill_compare_with()

    def export_list(self) -> None:
        if self.result is None:
            return
        suggested = f"frequent utilizers {self.result.as_of.isoformat()}.xlsx"
        out = messages().save_file(self, "Export the list", suggested, "Excel workbook (*.xlsx);;CSV (*.csv)")
        if out is None:
            return
        ws, result = self.workspace, self.result
        self.window_.workers.run(
            lambda progress: ws.export_utilizer_list(result, out),
            lambda _: self.window_.status(f"Wrote the list to {Path(out).name}."),
            title="Exporting the list", writes=True, parent=self,
        )  # fmt: skip

    def _open_person(self, index: Any) -> None:
        self._show_person(self.people.row_at(index.row()).person_id)

    def _show_person(self, person_id: int) -> None:
        page = self.window_.show_page("People")
        page.search.setText(person_label(person_id))  # type: ignore[attr-defined]
        page.run_search()  # type: ignore[attr-defined]

    # -- the comparison ------------------------------------------------------------------------------------
    def _fill_compare_with(self) -> None:
        """The saved runs of the editor's rule (newest first), then "the list as of an earlier date"."""
        if self.window_.workspace is None:
            return
        name = self.parsed.name if self.parsed is not None else None
        runs = self.workspace.utilizer_runs(name) if name else []
        # the user's choice stays; else the newest kept list
        chosen = self.compare_with.currentData() if self.compare_with.count() > 1 else None
        self.compare_with.blockSignals(True)
        self.compare_with.clear()
        for run in runs:
            self.compare_with.addItem(f"the kept list as of {run.as_of.isoformat()} (v{run.rule_version}, "
                                      f"{run.people:,} people, kept {run.saved_at[:10]})", run.id)
        self.compare_with.addItem("this rule's list as of", "date")
        position = self.compare_with.findData(chosen)
        self.compare_with.setCurrentIndex(max(position, 0))
        self.compare_with.blockSignals(False)
        as_of = self._as_of()
        earlier = _month_before(as_of)
        if self.earlier.date().toPython() >= as_of or self.earlier.date() == QDate(2000, 1, 1):
            self.earlier.setDate(QDate(earlier.year, earlier.month, earlier.day))
        self._compare_with_chosen()
        if not runs:
            self.compare_with.setToolTip("No list of this rule has been kept yet: tick \"Keep it for next month's "
                                         "comparison\" when you make the list.")
        else:
            self.compare_with.setToolTip("")

    def _compare_with_chosen(self, _index: int = 0) -> None:
        self.earlier.setEnabled(self.compare_with.currentData() == "date")

    def compare(self) -> None:
        if self.parsed is None:
            return
        ws, rule, as_of = self.workspace, self.parsed, self._as_of()
        chosen = self.compare_with.currentData()
        if chosen == "date":
            earlier = self.earlier.date().toPython()
            job = lambda progress: ws.compare_utilizer_lists(rule, as_of, previous_as_of=earlier)  # noqa: E731
        else:
            job = lambda progress: ws.compare_utilizer_lists(rule, as_of, previous_run=chosen)  # noqa: E731
        self.compare_button.setEnabled(False)
        self.comparison_summary.setText("Comparing...")
        self.tabs.setCurrentIndex(1)
        self.window_.workers.run(job, self._compared, title="Comparing the lists", writes=True,
                                 failed=self._compare_failed, parent=self)

    def _compare_failed(self, err: BaseException) -> None:
        from ddj_desktop.gui.workers import report_error

        self.compare_button.setEnabled(self.parsed is not None)
        self.comparison_summary.setText("")
        report_error(err, self)

    def _compared(self, comparison: Any) -> None:
        self.compare_button.setEnabled(self.parsed is not None)
        self.comparison = comparison
        counts = comparison.counts()
        measures = [m.name for m in self.parsed.list_measures()] if self.parsed is not None else []
        self.changes = ListTableModel(comparison_columns(measures))
        self.changes_view.setModel(self.changes)
        self._show_changes()
        notes = "".join(f"<br><span style='color:#8a5a00'>{html.escape(n)}</span>" for n in comparison.notes())
        self.comparison_summary.setText(
            f"<b>{counts['new']:,} new</b>, <b>{counts['dropped']:,} dropped off</b>, "
            f"<b>{counts['moved up']:,} moved up</b>, {counts['moved down']:,} moved down, {counts['same']:,} "
            f"kept their place.<br>Before: {html.escape(comparison.before.label)} "
            f"({len(comparison.before.entries):,} people).<br>Now: {html.escape(comparison.now.label)} "
            f"({len(comparison.now.entries):,} people).{notes}"
        )
        self.export_comparison_button.setEnabled(bool(comparison.changes))

    def _show_changes(self, _index: int = 0) -> None:
        if self.comparison is None:
            return
        status = self.show_status.currentData()
        changes = self.comparison.changes
        if status == "changed":
            changes = [c for c in changes if c.status != "same"]
        elif status != "all":
            changes = [c for c in changes if c.status == status]
        self.changes.set_rows(changes)
        if self.changes.sorted_by is None:  # rank now: the list's order, then those who dropped off
            self.changes_view.sortByColumn(3, Qt.SortOrder.AscendingOrder)
        fit_columns(self.changes_view, 200)

    def _open_changed_person(self, index: Any) -> None:
        self._show_person(self.changes.row_at(index.row()).person_id)

    def export_comparison(self) -> None:
        if self.comparison is None:
            return
        suggested = f"frequent utilizers {self.comparison.now.as_of.isoformat()} compared.xlsx"
        out = messages().save_file(self, "Export the comparison", suggested, "Excel workbook (*.xlsx);;CSV (*.csv)")
        if out is None:
            return
        ws, comparison = self.workspace, self.comparison
        self.window_.workers.run(
            lambda progress: ws.export_utilizer_comparison(comparison, out),
            lambda _: self.window_.status(f"Wrote the comparison to {Path(out).name}."),
            title="Exporting the comparison", writes=True, parent=self,
        )  # fmt: skip


def _month_before(day: dt.date) -> dt.date:
    """The same day a month earlier (the month's last day when it has no such day)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))
