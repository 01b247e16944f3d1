"""The Reports page on the sample county: the report is made on a worker, its pages are shown before anything is
saved, Save... writes the PDF (and its tables) and is audited, a changed period asks for the report again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt

from ddj_desktop import demo
from ddj_desktop.gui.main_window import MainWindow
from ddj_desktop.gui.reports_page import ReportsPage
from ddj_desktop.workspace import Workspace


@pytest.fixture(scope="session")
def county_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = demo.build_sample_county(tmp_path_factory.mktemp("county"))
    path = result.workspace.path
    result.workspace.close()
    return Path(path)


@pytest.fixture
def page(qtbot, county_store: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    copy = tmp_path / "county.ddj"
    shutil.copyfile(county_store, copy)
    ws = Workspace.open(copy, demo.DEMO_PASSPHRASE)
    ws.set_report_settings(county="Juniper County", rule="generic_ddj")
    window = MainWindow(ws)
    qtbot.addWidget(window)
    window.show()
    shown = window.show_page("Reports")
    assert isinstance(shown, ReportsPage)
    yield shown
    window.workers.wait(30_000)
    ws.close()


def test_the_pages_are_previewed_before_saving_and_save_writes_the_same_report(qtbot, page: ReportsPage, shown,
                                                                               tmp_path: Path) -> None:
    assert page.rule.currentData() == "generic_ddj"  # the county's rule is the default
    assert not page.save_button.isEnabled()
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.save_button.isEnabled(), timeout=60_000)
    pages = page.prepared.pages
    assert pages >= 8 and len(page.page_labels) == pages
    assert f"{pages} pages" in page.result.text()
    first = page.page_labels[0].pixmap()
    assert first.width() == round(8.5 * 80) and first.height() == 11 * 80  # a letter page at 80 dpi
    assert [label.accessibleName() for label in page.page_labels][-1] == f"Page {pages} of {pages}"
    page.window().grab().save(str(tmp_path / "reports-page.png"))
    assert not list(tmp_path.glob("*.pdf"))  # nothing written by the preview
    shown.file_to_save = tmp_path / "council"
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.open_button.isVisible(), timeout=30_000)
    out = tmp_path / "council.pdf"
    assert len(PdfReader(out).pages) == pages and out.with_suffix(".xlsx").exists()
    assert out.read_bytes() == page.prepared.pdf
    entry = next(e for e in page.workspace.audit_entries(5) if e["action"] == "report")
    assert "council.pdf" in entry["details"] and "Generic DDJ" in entry["details"]


def test_changing_the_period_asks_for_the_report_again_and_a_backwards_period_is_refused(qtbot,
                                                                                      page: ReportsPage) -> None:
    qtbot.mouseClick(page.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.save_button.isEnabled(), timeout=60_000)
    page.period_from.setDate(QDate(2026, 1, 1))
    assert not page.save_button.isEnabled() and "make the report again" in page.result.text()
    page.period_from.setDate(QDate(2027, 1, 1))
    page.make_report()
    assert "starts after it ends" in page.result.text() and page.make_button.isEnabled()
