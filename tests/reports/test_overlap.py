"""The overlap page of a county with two or three systems: a Venn diagram (not the UpSet chart), every region
counted right from the records, small regions hidden as "<11" and not recoverable from the totals."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from ddj_desktop import demo, reports
from ddj_desktop.reports import settings as report_settings
from ddj_desktop.reports.compute import Chart
from ddj_desktop.reports.suppression import recoverable
from ddj_desktop.workspace import Workspace

PERIOD = (dt.date(2026, 5, 1), dt.date(2026, 6, 30))


@pytest.fixture(scope="module", params=[2, 3], ids=["two systems", "three systems"])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The sample county with only its first two or three systems (jail, police, EMS), imported and linked."""
    folder = tmp_path_factory.mktemp(f"venn{request.param}")
    ws = Workspace.create(folder / "county.ddj", demo.DEMO_PASSPHRASE, admin_name="analyst")
    for source, files in demo.sample_files()[: request.param]:
        ws.import_files(files, source)
    ws.link()
    yield ws, request.param, folder
    ws.close()


def _regions_from_the_records(ws: Workspace, order: list[str]) -> Counter[int]:
    """People per exact combination of systems in PERIOD, straight from SQL (bit i = the i-th system of `order`)."""
    with ws.store.reading() as session:
        rows = session.execute(text(
            "SELECT coalesce(r.person_id, -r.id), s.display_name FROM record r JOIN source s ON s.id = r.source_id "
            "WHERE substr(r.event_start, 1, 10) BETWEEN :a AND :b"), {"a": str(PERIOD[0]), "b": str(PERIOD[1])})
        combos: dict[int, int] = {}
        for person, name in rows:
            combos[person] = combos.get(person, 0) | 1 << order.index(name)
    return Counter(combos.values())


def test_two_or_three_systems_get_a_venn_with_the_right_suppressed_counts(county, tmp_path: Path) -> None:
    ws, systems, _ = county
    with ws.store.reading() as session:
        content = reports.content(session, report_settings.load(session), period=PERIOD)
    overlap = next(s for s in content.sections if s.title == "Overlap between systems")
    kinds = [b.kind for b in overlap.blocks if isinstance(b, Chart)]
    assert kinds == ["venn"]
    venn = next(b for b in overlap.blocks if isinstance(b, Chart))
    assert len(venn.data["labels"]) == systems and sorted(venn.data["regions"]) == list(range(1, 1 << systems))
    expected = _regions_from_the_records(ws, venn.data["labels"])
    ledger = content.ledger
    assert sum(expected.values()) == ledger.values[ledger.keys[("people", "all")]]
    small = 0
    for mask, key in venn.data["regions"].items():
        value = ledger.values[ledger.keys[key]] if key in ledger.keys else 0
        assert value == expected.get(mask, 0), mask
        if 1 <= value <= 10:
            small += 1
            assert ledger.text(key) == "<11"
        elif key in ledger.keys and ledger.shown(key) is not None:
            assert ledger.text(key) == f"{value:,}"
    assert small, "the period should leave a small region to hide"
    hidden = ledger.primary | ledger.complementary
    assert not recoverable(ledger.equations, hidden)
    # The printed page shows the same marks, with the combinations table beside the diagram.
    out = tmp_path / "report.pdf"
    with ws.store.reading() as session:
        settings = report_settings.load(session)
        reports.save_report(reports.prepare_report(session, settings, period=PERIOD), out)
    page = next(p.extract_text() for p in PdfReader(out).pages if "Overlap between systems" in p.extract_text()
                and "combination" in p.extract_text())
    assert "Each circle is one system" in page and "dots below" not in page
    assert "People per combination of systems" in page and "<11" in page
    for name in venn.data["labels"]:
        assert name in page
