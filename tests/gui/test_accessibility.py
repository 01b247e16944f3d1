"""Every page, as a screen reader and a keyboard user meet it: each control a user can reach has a name to be read
out (its own accessible name, its text, or the label it is the buddy of), and Tab reaches it."""

from __future__ import annotations

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
)

from ddj_desktop.gui.main_window import PAGE_ORDER, MainWindow
from ddj_desktop.workspace import Workspace

INTERACTIVE = (QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit,
               QPlainTextEdit, QTextEdit)


def spoken_name(widget: QWidget) -> str:
    """What a screen reader says for `widget`: Qt's accessible name (accessibleName, else the button's text or
    the buddy label's text)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def controls(page: QWidget) -> list[QWidget]:
    found = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or not widget.isVisibleTo(page):
            continue
        if isinstance(widget, QAbstractSpinBox | QComboBox) and widget.parent() is not None and isinstance(
                widget.parent(), QAbstractItemView):
            continue  # an editor a table opened for one cell
        if isinstance(widget, QHeaderView | QScrollBar):
            continue  # part of its table or scroll area, which carries the name
        if widget.parent() is not None and isinstance(widget.parent(), QComboBox | QAbstractSpinBox):
            continue  # the line edit inside a combo box or spin box: the box carries the name
        found.append(widget)
    return found


def describe(widget: QWidget) -> str:
    text = getattr(widget, "text", lambda: "")()
    return f"{type(widget).__name__} {widget.objectName()!r} {text!r}"


def test_every_control_on_every_page_has_a_name_and_tab_reaches_it(qtbot, jail_workspace: Workspace) -> None:
    jail_workspace.link()  # so that Matching and People have something to show
    window = MainWindow(jail_workspace)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    nameless: list[str] = []
    unreachable: list[str] = []
    for title in PAGE_ORDER:
        page = window.show_page(title)
        qtbot.waitUntil(lambda: not window.workers.busy(), timeout=30_000)
        found = controls(page)
        assert found, f"no control found on {title}: the walk is broken"
        nameless += [f"{title}: {describe(w)}" for w in found if not spoken_name(w)]
        # Tab from the navigation list through the whole window: every enabled control on the page is met.
        window.nav.setFocus()
        met = set()
        for _ in range(400):
            window.focusNextPrevChild(True)
            focused = window.focusWidget()
            if focused is window.nav:
                break
            met.add(focused)
        unreachable += [f"{title}: {describe(w)}" for w in found
                        if w.isEnabled() and w.focusPolicy() & w.focusPolicy().TabFocus
                        and w not in met and w.focusProxy() not in met]
    assert not nameless, "controls a screen reader cannot name:\n" + "\n".join(nameless)
    assert not unreachable, "controls Tab never reaches:\n" + "\n".join(unreachable)
