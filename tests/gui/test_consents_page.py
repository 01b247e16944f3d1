"""Forms & consents page: recording a signed form through the dialog (the grid, categories with dates, the state's
maximum), revoking it, and the expiring-soon list."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from PySide6.QtCore import QDate, Qt

from ddj_desktop.gui.consent_dialogs import RecordConsentDialog
from ddj_desktop.gui.main_window import MainWindow
from ddj_desktop.workspace import Workspace
from tests.consent.conftest import county, maria  # noqa: F401  (fixtures: the sample county's store, María)

SHOTS = os.environ.get("DDJ_SCREENSHOTS")  # a folder: the test saves what it shows there, to be looked at


def _window(qtbot, ws: Workspace) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    return window


def test_record_a_signed_form_in_the_dialog_then_revoke_it(qtbot, county: Workspace, maria: str, shown,  # noqa: F811
                                                          tmp_path: Path) -> None:
    [printed] = county.roi_forms([maria], out=tmp_path / "roi.pdf")
    window = _window(qtbot, county)
    page = window.show_page("Forms & consents")
    assert page.record_button.isEnabled() and not page.revoke_button.isEnabled()
    dialog = page.record_consent()
    dialog.form_number.setText(printed.number)
    dialog.form_number.editingFinished.emit()
    assert dialog.person.text() == maria and not dialog.template.isEnabled()
    dialog.pairs[("sheriff", "ddj")].setChecked(True)
    dialog.pairs[("coc", "ddj")].setChecked(True)
    assert ("sheriff", "sheriff") not in dialog.pairs  # no box where a party meets itself
    box, start, _end = dialog.category_rows["jail"]
    box.setChecked(True)
    qtbot.keyClicks(start, "2024-03-01")
    dialog.category_rows["hmis"][0].setChecked(True)
    dialog.purpose_boxes["care_coordination"].setChecked(True)
    signed = dt.date.today() - dt.timedelta(days=3)
    dialog.signed.setDate(QDate(signed.year, signed.month, signed.day))
    # the sample state's 24 months: the dialog says so and keeps the end date within it
    assert "State maximum" in dialog.limit.text() and "24 months" in dialog.limit.text()
    dialog.ends.setDate(QDate(2099, 1, 1))
    assert dialog.ends.date() < QDate(2099, 1, 1)
    if SHOTS:
        qtbot.wait(100)  # widgets of the template's categories show on the next turn of the event loop
        dialog.grab().save(str(Path(SHOTS) / "record_consent.png"))
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert dialog.recorded is not None, dialog.problem.text()
    [consent] = county.consents()
    assert consent.form_number == printed.number and consent.pairs == [("coc", "ddj"), ("sheriff", "ddj")]
    assert consent.categories[0] == {"key": "jail", "from": "2024-03-01", "to": None}
    assert consent.signed_on == signed.isoformat() and consent.status == "active"
    assert page.consents.rowCount() == 1 and "Recorded consent #1" in window.message.text()
    assert "sheriff→ddj" in page.consents.index(0, 6).data()

    page.view.selectRow(0)
    assert page.revoke_button.isEnabled() and page.disclose_button.isEnabled()
    send = page.disclose_selected()
    assert [send.party.itemData(i) for i in range(send.party.count())] == ["ddj"]  # the only receiving party
    send.categories["jail"].setChecked(True)
    shown.file_to_save = tmp_path / "to-ddj.pdf"
    qtbot.mouseClick(send.send_button, Qt.MouseButton.LeftButton)
    assert send.result_ is not None, send.problem.text()
    assert send.result_.records == 1 and (tmp_path / "to-ddj.pdf").exists()  # B2 only: jail from 2024-03-01
    assert "Wrote 1 records" in window.message.text()
    revoke = page.revoke_selected()
    revoke.method.setCurrentText("letter")
    if SHOTS:
        revoke.grab().save(str(Path(SHOTS) / "revoke_consent.png"))
    qtbot.mouseClick(revoke.revoke_button, Qt.MouseButton.LeftButton)
    [consent] = county.consents()
    assert (consent.status, consent.revocation_method) == ("revoked", "letter")
    assert page.consents.index(0, 1).data() == "revoked" and not shown.errors


def test_a_refused_consent_keeps_the_dialog_open_saying_why(qtbot, county: Workspace, maria: str) -> None:  # noqa: F811
    page = _window(qtbot, county).show_page("Forms & consents")
    dialog = page.record_consent(maria)
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert "Tick at least one box" in dialog.problem.text() and dialog.isVisible()
    dialog.pairs[("bh", "ddj")].setChecked(True)
    qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
    assert "no information category" in dialog.problem.text() and "no purpose" in dialog.problem.text()
    assert county.consents() == [] and dialog.isVisible()


def test_expiring_soon_list_on_the_page_and_home(qtbot, county: Workspace, maria: str) -> None:  # noqa: F811
    today = dt.date.today()
    for days in (10, 200):
        county.record_consent(maria, template="multiparty-en", pairs=["sheriff:ddj"], categories=["jail"],
                              purposes=["care_coordination"], signed_on=today.isoformat(),
                              expires_on=(today + dt.timedelta(days=days)).isoformat(), expiry_event=None,
                              form=None, representative=None, representative_authority=None, artifact=None,
                              note=None)
    window = _window(qtbot, county)
    home = window.show_page("Home")
    with qtbot.waitSignal(home.attention_ready, timeout=20_000):  # looked up on a worker
        home.refresh()
    soon = (today + dt.timedelta(days=10)).isoformat()
    assert "1 consent expire soon" in home.attention.text() and f"{maria} on {soon}" in home.attention.text()
    page = window.show_page("Forms & consents")
    assert "1 expiring soon" in page.summary.text() and f"{maria} (#1) ends {soon}" in page.summary.text()
    assert page.consents.rowCount() == 2
    page.expiring_only.setChecked(True)
    assert page.consents.rowCount() == 1 and page.consents.index(0, 1).data() == "expiring"
    if SHOTS:
        window.grab().save(str(Path(SHOTS) / "consents_page.png"))


def test_a_person_page_opens_the_dialog_for_that_person(qtbot, county: Workspace, maria: str) -> None:  # noqa: F811
    window = _window(qtbot, county)
    people = window.show_page("People")
    assert not people.consent_button.isEnabled()
    people.show_person(maria)
    qtbot.mouseClick(people.consent_button, Qt.MouseButton.LeftButton)
    assert window.current_page().title == "Forms & consents"
    dialog = next(w for w in window.current_page().findChildren(RecordConsentDialog) if w.isVisible())
    assert dialog.person.text() == maria
    dialog.reject()
