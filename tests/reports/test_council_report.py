"""The council report of the sample county: what is on the pages, that nobody in it can be found there, the
open-data workbook, the settings, the CLI and the audit entry."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ddj_desktop import cli, demo, utilizers
from ddj_desktop.paths import data_dir
from ddj_desktop.reports import events
from ddj_desktop.reports import settings as report_settings
from ddj_desktop.utilizers import events as utilizer_events


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    """The sample county, imported and linked, with its report written (PDF and xlsx) once for the module."""
    folder = tmp_path_factory.mktemp("county")
    result = demo.build_sample_county(folder)
    ws = result.workspace
    summary = demo.write_council_report(ws, folder)
    text = "\n".join(page.extract_text() for page in PdfReader(summary.pdf).pages)
    yield ws, summary, text, folder
    ws.close()


def _truth(name: str) -> list[dict[str, str]]:
    with open(data_dir("sample_workbooks") / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_report_has_every_section_with_page_numbers_and_the_as_of_date(county) -> None:
    _, summary, text, _ = county
    for heading in ("Juniper County", "Key figures", "People and contacts per system", "Overlap between systems",
                    "Which systems people share", "Monthly trends", "Frequent utilizers", "Length of stay",
                    "Returns to jail after release", "Stepping Up", "Sequential Intercept Model",
                    "Race and ethnicity", "relative rate index", "Data quality and method", "Linkage"):
        assert heading in text, heading
    pages = PdfReader(summary.pdf).pages
    assert summary.pages == len(pages) >= 8
    for n, page in enumerate(pages, 1):
        page_text = page.extract_text()
        assert f"Page {n} of {len(pages)}" in page_text
        assert "Data as of 30 June 2026" in page_text
    assert "Generic DDJ" in text  # the county's rule, named on the cover
    assert "in at least 2 different systems" in text  # and described in words,
    assert "[measures" not in text and "at_least" not in text  # not as the TOML it is kept in
    assert "$" in text and "112.50" in text  # bed-day cost at the county's rate


def test_no_sample_identity_or_record_key_appears_in_the_report(county) -> None:
    _, summary, text, _ = county
    book = load_workbook(summary.xlsx, read_only=True)
    cells = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    book.close()  # read-only books keep their file open until closed
    for where, content in (("pdf", text), ("xlsx", cells)):
        tokens = set(re.findall(r"[\w.'-]+", content))
        words = {w.lower() for w in re.findall(r"[^\W\d_]+", content)}
        for person in _truth("truth_people.csv"):
            first, last = person["first_name"], person["last_name"]
            for full in (f"{first} {last}", f"{last}, {first}", f"{last.upper()}, {first.upper()}"):
                assert full.lower() not in content.lower(), (where, full)
            if person["ssn"]:
                ssn = person["ssn"]
                assert ssn not in tokens and f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}" not in content, where
            if person["dob"]:
                dob = dt.date.fromisoformat(person["dob"])
                for shown in (dob.isoformat(), f"{dob:%m/%d/%Y}", f"{dob.month}/{dob.day}/{dob.year}",
                              f"{dob:%d %b %Y}", f"{dob:%d %B %Y}", f"{dob:%Y%m%d}"):
                    assert shown not in content, (where, shown)
        # A name word may only be one of the report's own words (e.g. the race category "White").
        names = {part.lower() for p in _truth("truth_people.csv")
                 for f in ("first_name", "middle_name", "last_name", "maiden_name")
                 for part in re.split(r"[\s'-]+", p[f]) if len(part) > 1}  # fmt: skip
        assert words & names <= {"white", "black", "young", "hall", "price", "rich", "day", "long"}, where
        for row in _truth("truth.csv"):
            assert row["source_key"] not in tokens, (where, row["source"], row["source_key"])
            if row["agency_person_id"]:
                assert row["agency_person_id"] not in tokens or len(row["agency_person_id"]) < 4, where


def test_small_counts_are_hidden_everywhere(county) -> None:
    _, summary, text, _ = county
    assert "<11" in text
    book = load_workbook(summary.xlsx, read_only=True)
    sheets = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}
    book.close()  # read-only books keep their file open until closed
    for title, rows in sheets.items():
        if title in ("About", "imports", "import_reasons", "completeness"):
            continue  # rows of files, not people
        counts = [i for i, h in enumerate(rows[1]) if h and ("(count)" in h or "(people)" in h)]
        for row in rows[2:]:
            for i in counts:
                if i < len(row) and isinstance(row[i], int | float):
                    assert not 1 <= row[i] <= 10, (title, row)
    assert summary.hidden_small > 0


def test_the_report_is_audited(county) -> None:
    ws, summary, *_ = county
    entries = [e for e in ws.audit_entries(20) if e["action"] == "report"]
    assert entries and summary.pdf.name in entries[0]["details"]


def test_settings_round_trip_and_refuse_nonsense() -> None:
    sample = report_settings.from_toml(report_settings.EXAMPLE_TOML)
    assert report_settings.from_toml(sample.to_toml()) == sample
    assert sample.population["white"] == 41250
    with pytest.raises(report_settings.ReportSettingsError, match="threshold"):
        report_settings.from_dict({"threshold": 0})
    with pytest.raises(report_settings.ReportSettingsError, match="martian"):
        report_settings.from_dict({"population": {"martian": 3}})
    assert report_settings.population_from_csv("group,population\nwhite,\"1,200\"\nblack,30\n") == {
        "white": 1200, "black": 30}


def test_cli_sets_the_settings_and_writes_the_report(county, tmp_path: Path, monkeypatch, capsys) -> None:
    _, _, _, folder = county
    monkeypatch.setenv("DDJ_PASSPHRASE", demo.DEMO_PASSPHRASE)
    store = str(folder / demo.STORE_NAME)
    population = tmp_path / "population.csv"
    population.write_text("group,population\nwhite,40000\nblack,2000\nhispanic,15000\n", encoding="utf-8")
    assert cli.run(["report-settings", store, "--county", "Cedar County", "--cost", "jail=99.5",
                    "--population", str(population), "--threshold", "12"]) == 0
    shown = capsys.readouterr().out
    assert 'county = "Cedar County"' in shown and "jail = 99.50" in shown and "black = 2000" in shown
    out = tmp_path / "report.pdf"
    assert cli.run(["report", store, "--from", "2026-01-01", "--to", "2026-06-30", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "period 2026-01-01 to 2026-06-30" in printed
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Cedar County" in text and "<13" in text and "99.50" in text
    assert cli.run(["report", store, "--from", "2026-07-01", "--to", "2026-06-30", "--out", str(out)]) != 0


@pytest.mark.parametrize("template", ["generic_ddj", "bernalillo", "denver_sib", "long_beach", "hennepin_fuse"])
def test_the_report_pass_reads_the_same_events_and_cohort_as_the_utilizer_list(county, template: str) -> None:
    ws, *_ = county
    rule = ws.utilizer_rule(template)
    fields = rule.attribute_keys() | {"event_type"}
    with ws.store.reading() as session:
        ours = events.load(session, fields, rule_dob=True).rule_events
        theirs = utilizer_events.load_events(session, rule.attribute_keys(), with_dob=True)
    assert ours is not None and len(ours) == len(theirs) > 1000
    for name in ("record_id", "person", "person_ids", "source", "start", "end", "dob"):
        assert np.array_equal(getattr(ours, name), getattr(theirs, name)), name
    assert ours.source_names == theirs.source_names
    assert (ours.dropped_without_date, ours.dropped_without_person) == (theirs.dropped_without_date,
                                                                         theirs.dropped_without_person)
    for key in ("event_type", *rule.attribute_keys()):
        a = ours.event_type if key == "event_type" else ours.attributes[key]
        b = theirs.event_type if key == "event_type" else theirs.attributes[key]
        decoded_a = [a.values[c] if c >= 0 else None for c in a.codes]
        decoded_b = [b.values[c] if c >= 0 else None for c in b.codes]
        assert decoded_a == decoded_b, key
    as_of = ws.latest_event_date()
    listed = utilizers.evaluate(rule, theirs, as_of, explain=False)
    assert utilizers.evaluate(rule, ours, as_of, explain=False).person_ids() == listed.person_ids()
    # Without "event_type" among the fields the column is not read, and the table says nobody has one.
    with ws.store.reading() as session:
        bare = events.load(session, ()).rule_events
    assert bare is not None and len(bare) == len(theirs) and (bare.event_type.codes == -1).all()
