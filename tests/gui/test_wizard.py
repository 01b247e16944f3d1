"""The import wizard end to end on the sample county's jail export: files, the table found, the mapping (one
field changed by its drop-down, saved as a profile), the preview, the import, the summary and the rejects."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWizard

from ddj_desktop.gui import settings
from ddj_desktop.gui.wizard import RACE_WORDS, ImportWizard, guess_source
from ddj_desktop.gui.workers import Workers
from ddj_desktop.importing import mapping
from ddj_desktop.workspace import Workspace


def make_wizard(qtbot, ws: Workspace) -> ImportWizard:  # type: ignore[no-untyped-def]
    wizard = ImportWizard(ws, Workers())
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def next_page(qtbot, wizard: ImportWizard) -> None:  # type: ignore[no-untyped-def]
    button = wizard.button(QWizard.WizardButton.CommitButton)
    if not button.isVisible():
        button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.waitUntil(button.isEnabled, timeout=20_000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_import_a_jail_export_end_to_end(qtbot, workspace: Workspace, samples: Path, shown, tmp_path: Path) -> None:
    wizard = make_wizard(qtbot, workspace)
    files = wizard.files_page
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    shown.files_to_open = [samples / "jail_bookings.xlsx"]
    files._browse()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples / "jail_charges.csv"))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    files.dropEvent(drop)
    assert [p.name for p in files.files()] == ["jail_bookings.xlsx", "jail_charges.csv"]
    assert files.source_name() == "jail"  # guessed from the file name
    next_page(qtbot, wizard)

    table_page = wizard.table_page
    qtbot.waitUntil(lambda: table_page.done, timeout=20_000)
    assert "header on row 4" in table_page.summary.text()
    assert table_page.raw.data(table_page.raw.index(3, 0), Qt.ItemDataRole.FontRole).bold()
    next_page(qtbot, wizard)

    page = wizard.mapping_page
    assert wizard.plan.proposal is not None
    assert wizard.plan.proposal.profile.fields["source_key"]
    row_of = {page.table.item(r, 0).data(Qt.ItemDataRole.UserRole): r for r in range(page.table.rowCount())}
    assert page.table.item(row_of["source_key"], 2).text().endswith("%")
    assert page.name_order.currentData() == "last_comma_first"
    assert "names in 'Inmate Name' are written 'LAST, FIRST'" in page.name_order_why.text()  # and why
    facility_column = wizard.plan.table.header[-1]
    page.choose("facility", facility_column)  # the analyst's own choice
    assert wizard.plan.proposal.profile.attributes["facility"] == facility_column
    assert wizard.plan.proposal.confidence["facility"] == 1.0
    page.profile_name.setText("County jail bookings")
    saved = page.save_profile()
    assert saved.is_file() and mapping.load_profile(saved).attributes["facility"] == facility_column
    next_page(qtbot, wizard)

    preview = wizard.preview_page
    qtbot.waitUntil(lambda: preview.done, timeout=30_000)
    prepared = wizard.plan.prepared
    assert prepared is not None and preview.records.rowCount() == min(len(prepared.records), 500)
    rejected = sum(1 for p in prepared.problems if p.rejected)
    assert f"{len(prepared.records):,} to import" in preview.summary.text()
    assert preview.tabs.tabText(1) == f"Rows to reject ({rejected:,})"
    assert workspace.counts()["records"] == 0  # nothing written yet
    # what the analyst reads: races in words, times to the minute and whole at the wizard's own size
    column = {c.title: i for i, c in enumerate(preview.records.columns)}
    cells = [[preview.records.index(r, c).data() for c in range(len(column))] for r in range(preview.records.rowCount())]
    assert {row[column["Race"]] for row in cells} - {None, ""} <= set(RACE_WORDS.values())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[0][column["Start"]])
    view = preview.record_view
    assert view.horizontalScrollBar().maximum() == 0
    for c, title in ((column["Start"], "Start"), (column["End"], "End")):  # a long name may be cut (its tooltip)
        widest = max(view.fontMetrics().horizontalAdvance(str(row[c] or "")) for row in cells)
        assert view.columnWidth(c) >= widest, f"{title} is cut"
    next_page(qtbot, wizard)  # Import (the commit button)

    done = wizard.import_page
    qtbot.waitUntil(lambda: done.done, timeout=60_000)
    assert not shown.errors
    summaries = wizard.plan.summaries
    assert workspace.counts()["records"] == sum(b.imported for b in summaries) == len(prepared.records)
    assert f"{len(prepared.records):,} new records" in done.result.text()
    assert done.batches.rowCount() == len(summaries)
    assert workspace.batches()[-1].profile_name == "County jail bookings"
    assert settings.source_for_file("jail_bookings_2025-01.xlsx") == "jail"  # remembered by file-name pattern
    if rejected:
        shown.file_to_save = tmp_path / "rejects.xlsx"
        done.export_rejects()
        qtbot.waitUntil(lambda: "Wrote" in done.result.text(), timeout=10_000)
        assert openpyxl.load_workbook(tmp_path / "rejects.xlsx").worksheets[0].max_row > 1
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)


def test_the_saved_profile_is_offered_for_next_months_file(qtbot, workspace: Workspace, samples: Path) -> None:
    first = make_wizard(qtbot, workspace)
    first.files_page.add_files([samples / "bh_services.xlsx"])
    next_page(qtbot, first)
    qtbot.waitUntil(lambda: first.table_page.done, timeout=20_000)
    next_page(qtbot, first)
    first.mapping_page.choose("ssn", None)
    first.mapping_page.profile_name.setText("BH services")
    first.mapping_page.save_profile()

    second = make_wizard(qtbot, workspace)
    second.files_page.add_files([samples / "bh_services.xlsx"])
    assert second.files_page.source_name() == "bh"
    next_page(qtbot, second)
    qtbot.waitUntil(lambda: second.table_page.done, timeout=20_000)
    next_page(qtbot, second)
    proposal = second.plan.proposal
    assert proposal is not None and proposal.profile.name == "BH services"
    assert "ssn" not in proposal.profile.fields
    assert 'saved profile "BH services"' in set(proposal.reasons.values())


def test_a_file_that_cannot_be_read_says_so_and_nothing_is_written(qtbot, workspace: Workspace, shown,
                                                                   tmp_path: Path) -> None:
    empty = tmp_path / "calls.csv"
    empty.write_text("")
    wizard = make_wizard(qtbot, workspace)
    wizard.files_page.add_files([empty])
    wizard.files_page.set_source("police")
    next_page(qtbot, wizard)
    qtbot.waitUntil(lambda: bool(shown.errors), timeout=10_000)
    assert "calls.csv" in str(shown.errors[0])
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "could not be read" in wizard.table_page.summary.text()


def test_source_guess_from_file_names() -> None:
    assert guess_source("Booking_Report_Jan.xlsx") == "jail"
    assert guess_source("nemsis_export.csv") == "ems"
    assert guess_source("something.xlsx") is None


def test_cancel_during_the_import_keeps_nothing(qtbot, workspace: Workspace, samples: Path, shown) -> None:
    wizard = make_wizard(qtbot, workspace)
    wizard.files_page.add_files([samples / "ed_mercy_regional.xlsx"])
    next_page(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.table_page.done, timeout=20_000)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.preview_page.done, timeout=30_000)
    next_page(qtbot, wizard)  # Import
    page = wizard.import_page
    wizard.reject()  # closing the window while importing cancels, and the wizard stays open
    assert wizard.isVisible()
    qtbot.waitUntil(lambda: page.done, timeout=30_000)
    assert "Nothing was imported" in page.result.text()
    assert workspace.counts()["records"] == 0
    assert not shown.errors  # a cancel is not an error
