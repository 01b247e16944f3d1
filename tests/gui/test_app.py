"""The application as launched: `ddj-desktop --demo` opens the sample county, the log holds no personal data,
the bundled fonts are registered."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ddj_desktop.gui import app
from ddj_desktop.paths import data_dir


def test_demo_opens_the_sample_county_and_quits_on_the_flag(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(app, "user_log_dir", lambda: tmp_path / "logs")
    assert app.main(["--demo", "--quit-after-demo"]) == 0
    out = capsys.readouterr().out
    assert "sample county:" in out and "records" in out and "window 'DDJ Desktop" in out
    log_text = (tmp_path / "logs" / "ddj-desktop.log").read_text(encoding="utf-8")
    assert "started" in log_text
    with (data_dir("sample_workbooks") / "truth_people.csv").open(encoding="utf-8") as f:
        people = list(csv.DictReader(f))
    last_names = {v for row in people for k, v in row.items() if "last" in k.lower() and v and len(v) > 3}
    assert last_names and not [n for n in last_names if n in log_text]


def test_bundled_fonts_are_registered(qtbot) -> None:
    assert "DejaVu Sans" in app.register_fonts()


def test_gui_flags_are_read() -> None:
    args = app.parse_args(["--quit-after-demo", "--something-else"])
    assert args.demo and args.quit_after_demo and not args.quit_after_start
