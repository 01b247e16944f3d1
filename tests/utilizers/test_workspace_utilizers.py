"""Lists through the Workspace and the CLI: audited runs and exports, xlsx and csv a county can open safely, saved
runs compared month to month, and a past list reproduced row for row."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ddj_desktop import cli, demo
from ddj_desktop.errors import PermissionDenied
from ddj_desktop.utilizers import RuleError
from ddj_desktop.workspace import Workspace

from .conftest import SAMPLE_AS_OF

RULE_WITH_FORMULA = """
name = "=HYPERLINK(\\"http://x\\")"
version = 3
window_months = 12
[[criteria]]
measure = "events"
label = "@SUM(1)"
at_least = 8
"""


@pytest.fixture
def county(sample_store: Path, tmp_path: Path):
    """A private copy of the truly linked sample county (these tests save runs and write audit entries)."""
    path = tmp_path / "county.ddj"
    shutil.copyfile(sample_store, path)
    ws = Workspace.open(path, demo.DEMO_PASSPHRASE)
    yield ws
    ws.close()


def _audit(ws: Workspace, action: str) -> list[dict]:
    return [json.loads(e["details"]) for e in ws.audit_entries() if e["action"] == action]


def test_xlsx_export_is_filterable_dated_and_audited(county, tmp_path):
    out = tmp_path / "list.xlsx"
    result = county.export_utilizer_list("generic_ddj", out, SAMPLE_AS_OF)
    book = load_workbook(out)
    sheet = book["Frequent utilizers"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:H{len(result) + 1}"
    header = [c.value for c in sheet[1]]
    assert header == ["rank", "person_id", "contacts", "systems_touched", "first_event", "latest_event", "reasons",
                      "records"]
    first = [c.value for c in sheet[2]]
    assert first[:4] == [1, f"P{result.people[0].person_id:06d}", 17, 5]
    assert isinstance(first[5], dt.datetime) and sheet.cell(2, 6).number_format == "yyyy-mm-dd"
    assert all(sheet.column_dimensions[col].width >= 8 for col in "ABCDEFGH")
    assert sheet.max_row == len(result) + 1
    behind = book["Records behind"]
    assert behind.max_row - 1 == sum(len(refs) for p in result.people for refs in p.evidence.values())
    assert "generic_ddj" not in [c.value for c in book["Rule"]["A"]]  # the rule text itself, not its key
    entry = _audit(county, "export")[-1]
    assert entry == {"what": "utilizer list", "rule": result.rule_name, "version": 1, "as_of": "2026-06-30",
                     "file": "list.xlsx", "rows": len(result)}
    assert _audit(county, "utilizer_list")[-1]["people"] == len(result)


def test_csv_and_xlsx_neutralize_formulas(county, tmp_path):
    result = county.export_utilizer_list(RULE_WITH_FORMULA, tmp_path / "list.csv", SAMPLE_AS_OF)
    assert len(result) > 0
    with (tmp_path / "list.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][2] == "'@SUM(1)"  # the measure's label is a column name
    assert rows[1][0] == "1" and rows[1][1].startswith("P")
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    county.export_utilizer_list(result, tmp_path / "list.xlsx")
    book = load_workbook(tmp_path / "list.xlsx")
    about = {row[0]: row[1] for row in book["About this list"].iter_rows(min_row=2, values_only=True)}
    assert about["rule"] == "'=HYPERLINK(\"http://x\")"
    assert book["Frequent utilizers"]["C1"].value == "'@SUM(1)"


def test_a_past_list_is_reproduced_row_for_row(county, tmp_path):
    first = county.utilizer_list("long_beach", dt.date(2025, 12, 31), save=True)
    again = county.utilizer_list("long_beach", dt.date(2025, 12, 31))
    rows = lambda r: [(p.rank, p.person_id, p.values, p.why(), [x.source_key for x in p.records()])  # noqa: E731
                      for p in r.people]
    assert rows(first) == rows(again)
    county.export_utilizer_list(first, tmp_path / "a.csv")
    county.export_utilizer_list(again, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_saved_runs_are_compared_month_to_month(county):
    may = county.utilizer_list("generic_ddj", dt.date(2026, 5, 31), save=True)
    assert may.run_id is not None
    june = county.utilizer_list("generic_ddj", SAMPLE_AS_OF)
    comparison = county.compare_utilizer_lists("generic_ddj", SAMPLE_AS_OF)  # against the saved May run
    assert comparison.before.run_id == may.run_id
    before, now = set(may.person_ids()), set(june.person_ids())
    counts = comparison.counts()
    assert {c.person_id for c in comparison.of_status("new")} == now - before
    assert {c.person_id for c in comparison.of_status("dropped")} == before - now
    assert counts["moved up"] + counts["moved down"] + counts["same"] == len(before & now)
    for change in comparison.of_status("moved up"):
        assert change.rank_now < change.rank_before and change.moved > 0
    assert counts["new"] > 0 and counts["dropped"] > 0 and counts["moved up"] > 0
    assert [r.id for r in county.utilizer_runs("Generic DDJ: 6+ contacts across 2+ systems in 12 months")] == [
        may.run_id]
    # Without a saved run before the date: the same rule a month earlier.
    earlier = county.compare_utilizer_lists("long_beach", SAMPLE_AS_OF)
    assert earlier.before.as_of == dt.date(2026, 5, 30) and earlier.before.run_id is None
    assert _audit(county, "utilizer_compare")[-1]["now"].endswith("as of 2026-06-30")


def test_the_rule_editor_can_check_a_rule_and_see_the_list_size(county):
    assert [t.key for t in county.utilizer_templates()][:2] == ["bernalillo", "denver_sib"]
    lists_run = len(_audit(county, "utilizer_list"))
    text = demo_text = county.utilizer_rule("generic_ddj").text
    assert county.utilizer_list_size(text, SAMPLE_AS_OF) == 86
    looser = text.replace("at_least = 6", "at_least = 4")
    assert county.utilizer_list_size(looser, SAMPLE_AS_OF) > 86
    with pytest.raises(RuleError) as err:
        county.utilizer_rule(demo_text.replace("window_months = 12", "window_weeks = 3"))
    assert any("window" in p for p in err.value.problems)
    assert len(_audit(county, "utilizer_list")) == lists_run  # sizes are counts, not lists: not audited


def test_viewers_cannot_run_or_export_lists(county, tmp_path):
    # The sample store's admin has no password yet: give one, then add a viewer.
    county.set_password("analyst password 1")
    county.add_user("vera", "viewer", "viewer password 1")
    with Workspace.open(county.path, demo.DEMO_PASSPHRASE, user="vera", password="viewer password 1") as viewer:
        assert viewer.utilizer_list_size("generic_ddj", SAMPLE_AS_OF) == 86
        with pytest.raises(PermissionDenied):
            viewer.utilizer_list("generic_ddj", SAMPLE_AS_OF)
        with pytest.raises(PermissionDenied):
            viewer.export_utilizer_list("generic_ddj", tmp_path / "x.csv", SAMPLE_AS_OF)
    assert not (tmp_path / "x.csv").exists()


def test_cli_writes_a_list_and_compares(county, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DDJ_PASSPHRASE", demo.DEMO_PASSPHRASE)
    for name in ("DDJ_USER", "DDJ_USER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    store = str(county.path)
    out = tmp_path / "bern.xlsx"
    assert cli.run(["utilizers", store, "--rule", "bernalillo", "--as-of", "2026-06-30", "--out", str(out),
                    "--save"]) == 0
    printed = capsys.readouterr().out
    assert "12 people listed" in printed and "saved as run" in printed
    assert load_workbook(out)["Frequent utilizers"].max_row == 13
    rule_file = tmp_path / "ours.toml"
    rule_file.write_text(county.utilizer_rule("bernalillo").text.replace("at_least = 2", "at_least = 3"),
                         encoding="utf-8")
    assert cli.run(["utilizers", "compare", store, "--rule", "bernalillo", "--as-of", "2026-06-30",
                    "--previous-as-of", "2025-06-30", "--out", str(tmp_path / "cmp.csv")]) == 0
    printed = capsys.readouterr().out
    assert "new " in printed and "dropped " in printed
    with (tmp_path / "cmp.csv").open(encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    assert header[:5] == ["person_id", "status", "rank_before", "rank_now", "places_moved"]
    assert cli.run(["utilizers", store, "--rule", str(rule_file), "--out", str(tmp_path / "o.csv"),
                    "--as-of", "2026-06-30"]) == 0
    assert cli.run(["utilizers", store, "--runs"]) == 0
    assert "Bernalillo" in capsys.readouterr().out
    assert cli.run(["utilizers", store, "--rule", "nope", "--out", str(tmp_path / "n.csv")]) == 1
    assert "no rule template named 'nope'" in capsys.readouterr().err
    assert cli.run(["utilizers", store, "--rule", "generic_ddj", "--as-of", "30/06/2026", "--out", "x.csv"]) == 1


def test_a_saved_run_is_reproduced_from_its_own_rule_text(county):
    run = county.utilizer_list("denver_sib", SAMPLE_AS_OF, save=True)
    check = county.reproduce_utilizer_run(run.run_id)
    assert check.counts()["same"] == len(run) and len(check.changes) == len(run)
    assert all(c.values_before == c.values_now for c in check.changes)
