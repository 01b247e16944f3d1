"""Every page, every step of the import wizard and every dialog, as a screen reader and a keyboard user meet them:
each control a user can reach has a name to be read out (its own accessible name, its text, or the label it is the
buddy of), and Tab reaches it."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabWidget,
    QTextEdit,
    QWidget,
    QWizard,
)

from ddj_desktop import demo
from ddj_desktop.gui.crash import CrashDialog
from ddj_desktop.gui.main_window import PAGE_ORDER, MainWindow
from ddj_desktop.gui.store_dialogs import CreateStoreDialog, UnlockDialog, WelcomeDialog
from ddj_desktop.gui.wizard import ImportWizard
from ddj_desktop.gui.workers import Workers
from ddj_desktop.workspace import Workspace
from tests.consent.conftest import county_toml

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
        if isinstance(widget, QHeaderView | QScrollBar) or widget.objectName() == "qt_tableview_cornerbutton":
            continue  # part of its table or scroll area, which carries the name
        if widget.parent() is not None and isinstance(widget.parent(), QComboBox | QAbstractSpinBox):
            continue  # the line edit inside a combo box or spin box: the box carries the name
        found.append(widget)
    return found


def mnemonics(page: QWidget) -> dict[str, list[str]]:
    """The Alt+letter keys the page's buttons, labels and tabs offer, each with the texts that offer it."""
    texts = [w.text() for kind in (QAbstractButton, QLabel) for w in page.findChildren(kind) if w.isVisibleTo(page)]
    texts += [tabs.tabText(i) for tabs in page.findChildren(QTabWidget) if tabs.isVisibleTo(page)
              for i in range(tabs.count())]
    keys: dict[str, list[str]] = {}
    for text in texts:
        if (found := re.search(r"&([^&\s])", text.replace("&&", ""))) and "<" not in text:
            keys.setdefault(found[1].lower(), []).append(text)
    return keys


def describe(widget: QWidget) -> str:
    text = getattr(widget, "text", lambda: "")()
    return f"{type(widget).__name__} {widget.objectName()!r} {text!r}"


def tab_walk(top: QWidget, start: QWidget, stop: QWidget | None = None) -> set[QWidget]:
    """The widgets Tab gives focus to, from `start` round `top` until it comes back (or reaches `stop`)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    met = {start}
    for _ in range(400):
        top.focusNextPrevChild(True)  # type: ignore[attr-defined]
        focused = top.focusWidget()
        if focused is None or focused is start or focused is stop:
            break
        met.add(focused)
    return met


def reachable(widget: QWidget, met: set[QWidget]) -> bool:
    return (not widget.isEnabled() or not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or widget in met
            or widget.focusProxy() in met)


class Findings:
    """What a walk found: controls without a name, and controls Tab never reaches."""

    def __init__(self) -> None:
        self.nameless: list[str] = []
        self.unreachable: list[str] = []

    def check(self, qtbot, title: str, top: QWidget) -> None:  # type: ignore[no-untyped-def]
        """Show `top` (a dialog or wizard), walk it with Tab and note what a keyboard or screen reader user misses."""
        if not top.isVisible():
            top.show()
        top.activateWindow()
        qtbot.waitUntil(top.isActiveWindow, timeout=5000)
        found = controls(top)
        assert found, f"no control found on {title}: the walk is broken"
        self.nameless += [f"{title}: {describe(w)}" for w in found if not spoken_name(w)]
        start = next((w for w in found if w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus), found[0])
        met = tab_walk(top, start)
        self.unreachable += [f"{title}: {describe(w)}" for w in found if not reachable(w, met)]

    def assert_clean(self) -> None:
        assert not self.nameless and not self.unreachable, (
            "controls a screen reader cannot name:\n" + "\n".join(self.nameless)
            + "\ncontrols Tab never reaches:\n" + "\n".join(self.unreachable))


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
    clashes: list[str] = []
    for title in PAGE_ORDER:
        page = window.show_page(title)
        qtbot.waitUntil(lambda: not window.workers.busy(), timeout=30_000)
        clashes += [f"{title}: Alt+{key.upper()} for {texts}" for key, texts in mnemonics(page).items() if len(texts) > 1]
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
    assert not clashes, "one Alt+letter for two controls on a page:\n" + "\n".join(clashes)


def test_every_step_of_the_import_wizard(qtbot, workspace: Workspace, samples, shown) -> None:  # type: ignore[no-untyped-def]
    wizard = ImportWizard(workspace, Workers())
    qtbot.addWidget(wizard)
    wizard.resize(1100, 760)
    wizard.show()
    findings = Findings()
    findings.check(qtbot, "Files (none chosen)", wizard)
    shown.files_to_open = [samples / "jail_bookings.xlsx", samples / "jail_charges.csv"]
    wizard.files_page._browse()
    findings.check(qtbot, "Files", wizard)
    steps = [("Table", wizard.table_page), ("Mapping", wizard.mapping_page), ("Preview", wizard.preview_page),
             ("Import", wizard.import_page)]
    for title, step in steps:
        button = wizard.button(QWizard.WizardButton.CommitButton)
        if not button.isVisible():
            button = wizard.button(QWizard.WizardButton.NextButton)
        qtbot.waitUntil(button.isEnabled, timeout=30_000)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert wizard.currentPage() is step
        qtbot.waitUntil(lambda s=step: getattr(s, "done", True), timeout=60_000)
        findings.check(qtbot, title, wizard)
    findings.assert_clean()


def test_the_store_dialogs_and_the_crash_dialog(qtbot, store_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    Workspace.create(store_path, "a long enough passphrase", admin_name="ana").close()
    findings = Findings()
    for title, dialog in (("Welcome", WelcomeDialog()), ("Create a store", CreateStoreDialog()),
                          ("Unlock", UnlockDialog(store_path)),
                          ("Crash", CrashDialog("Traceback ...\nValueError: a bug", tmp_path / "ddj.log"))):
        qtbot.addWidget(dialog)
        findings.check(qtbot, title, dialog)
        dialog.close()
    findings.assert_clean()


def test_every_dialog_a_window_opens(qtbot, tmp_path, shown) -> None:  # type: ignore[no-untyped-def]
    ws = demo.build_sample_county(tmp_path).workspace
    try:
        ws.set_county_settings(county_toml())
        person = ws.find_records(limit=1)[0].person
        ws.record_consent(person, template="multiparty-en", pairs=["sheriff:ddj"], categories=["jail"],
                          purposes=["care_coordination"], signed_on="2026-01-05", expires_on="2027-12-01",
                          expiry_event=None, form=None, representative=None, representative_authority=None,
                          artifact=None, note=None)
        ws.add_agreement("jail-mou", parties=["County Sheriff", "DDJ"], purpose="frequent-utilizer list",
                         fields=["first_name", "last_name"], starts_on="2026-01-01")
        ws.set_password("ana password 1")
        ws.add_user("rita", "reviewer", "a long enough password")
        window = MainWindow(ws)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitUntil(lambda: not window.workers.busy(), timeout=30_000)
        findings = Findings()

        def check(title: str, dialog: QWidget) -> None:
            assert dialog is not None, title
            qtbot.waitUntil(lambda: not window.workers.busy(), timeout=30_000)
            findings.check(qtbot, title, dialog)
            dialog.close()

        settings = window.show_page("Settings")
        check("Add a user", settings.add_user())
        settings.users_view.selectRow(next(r for r in range(settings.users.rowCount())
                                           if settings.users.row_at(r).name == "rita"))
        check("Reset a password", settings.reset_password())
        check("Change your password", settings.change_password())
        check("Change the store passphrase", settings.change_passphrase())
        check("Add an agreement", settings.add_agreement())
        settings.agreements_view.selectRow(0)
        check("End an agreement", settings.end_agreement())

        consents = window.show_page("Forms & consents")
        check("Record a consent", consents.record_consent(person))
        consents.view.selectRow(0)
        check("Disclose", consents.disclose_selected())
        check("Revoke a consent", consents.revoke_selected())

        matching = window.show_page("Matching")
        review = matching.open_review()
        qtbot.waitUntil(lambda: not review.panel.loading, timeout=30_000)
        check("Review", review)
        people = window.show_page("People")
        qtbot.waitUntil(lambda: people.model.rowCount() > 0, timeout=30_000)
        people.view.selectRow(0)
        check("A person's records", people.review_person())
        findings.assert_clean()
    finally:
        ws.close()
