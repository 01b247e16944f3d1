"""The roi, consents, disclose and county commands, as a script would run them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from pypdf import PdfReader

from ddj_desktop.cli import run
from ddj_desktop.workspace import Workspace


@pytest.mark.usefixtures("cli_env")
def test_forms_consent_disclose_revoke_from_the_command_line(
    county: Workspace, maria: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(county.path)
    county.close()
    listing = tmp_path / "list.csv"
    listing.write_text(f"person_id,score\n{maria},3\n", encoding="utf-8")
    assert run(["roi", store, "--persons-file", str(listing), "--out-dir", str(tmp_path)]) == 0
    number = capsys.readouterr().out.split()[0]
    assert number.startswith("ROI-") and PdfReader(tmp_path / f"{maria}_{number}.pdf").get_fields()
    book = Workbook()
    book.active.append(["rank", "person_id", "bookings"])
    book.active.append([1, maria, 2])
    book.save(tmp_path / "list.xlsx")
    assert run(["roi", store, "--persons-file", str(tmp_path / "list.xlsx"), "--out", str(tmp_path / "all.pdf")]) == 0
    assert f"{maria}" in capsys.readouterr().out and (tmp_path / "all.pdf").exists()

    out = tmp_path / "to-ddj.pdf"
    assert run(["disclose", store, "--person", maria, "--to", "ddj", "--categories", "jail", "--out", str(out)]) == 1
    assert "no consent is recorded" in capsys.readouterr().err and not out.exists()
    signed = dt.date.today() - dt.timedelta(days=10)
    record = ["consents", store, "record", "--person", maria, "--form", number, "--pairs", "sheriff:ddj,coc:ddj",
              "--categories", "jail,hmis", "--purposes", "care_coordination", "--signed", signed.isoformat()]
    # the sample county's state allows 24 months at most: a later end date is refused, saying the latest one
    assert run([*record, "--expires", "2099-01-01"]) == 1
    latest = signed.replace(year=signed.year + 2) if (signed.month, signed.day) != (2, 29) else signed + dt.timedelta(730)
    assert f"ends on {latest.isoformat()} at the latest" in capsys.readouterr().err
    assert run(record) == 0  # no end date written: the form's one year
    assert "Recorded consent #1" in capsys.readouterr().out
    assert run(["disclose", store, "--person", maria, "--to", "ddj", "--categories", "jail", "--out", str(out)]) == 0
    assert "Wrote 2 records" in capsys.readouterr().out and out.exists()
    assert run(["disclose", store, "--person", maria, "--to", "coc", "--categories", "jail",
                "--out", str(tmp_path / "to-coc.pdf")]) == 1  # the grid has sheriff -> ddj, not sheriff -> coc
    assert "does not name coc" in capsys.readouterr().err
    assert run(["consents", store, "list"]) == 0
    assert "active" in capsys.readouterr().out
    assert run(["consents", store, "revoke", "1", "--method", "letter"]) == 0
    capsys.readouterr()
    assert run(["disclose", store, "--person", maria, "--to", "ddj", "--categories", "jail",
                "--out", str(tmp_path / "again.pdf")]) == 1
    assert "was revoked" in capsys.readouterr().err
    assert run(["audit", "list", store]) == 0
    log = capsys.readouterr().out
    assert "disclose " in log and "disclose_refused" in log and "consent_revoke" in log


@pytest.mark.usefixtures("cli_env")
def test_county_settings_round_trip(county: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(county.path)
    county.close()
    assert run(["county", store]) == 0
    shown = capsys.readouterr().out
    assert 'county = "Juniper County"' in shown and "[[party]]" in shown
    assert "[party.es]" in shown and "[[max_duration]]" in shown and "months = 24" in shown
    path = tmp_path / "county.toml"
    path.write_text(shown.replace("Juniper County\"", "Juniper County (test)\"", 1), encoding="utf-8")
    assert run(["county", store, "--load", str(path)]) == 0
    capsys.readouterr()
    assert run(["county", store]) == 0
    again = capsys.readouterr().out
    assert 'county = "Juniper County (test)"' in again
    assert again.replace("Juniper County (test)\"", "Juniper County\"", 1) == shown  # nothing lost on the way
    path.write_text('county = "X"\n', encoding="utf-8")
    assert run(["county", store, "--load", str(path)]) == 1
    assert "at least two parties" in capsys.readouterr().err
