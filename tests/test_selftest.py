"""`ddj-desktop --self-test` as the county IT person runs it after installing: one line per check, exit 0, and
nothing left behind; a broken installation fails with a message saying what to do."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from ddj_desktop import demo, selftest
from ddj_desktop.cli import run
from ddj_desktop.paths import data_dir


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The self-test's temporary folders land here, to see that none is left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.slow
def test_self_test_passes_and_leaves_nothing(scratch: Path, capsys):
    assert run(["--self-test"]) == 0
    out = capsys.readouterr().out.splitlines()
    checks = [line for line in out if line.startswith("ok")]
    names = [line.split(":")[0].removeprefix("ok").strip() for line in checks]
    assert names == ["desktop libraries", "encrypted store, import and linkage", "import in worker processes",
                     "the store is encrypted",
                     "the store opens again", "frequent-utilizer list", "release-of-information form",
                     "council report", "clean up"]
    listed = next(line for line in checks if line.startswith("ok      frequent-utilizer list"))
    assert int(listed.split(": ")[1].split()[0]) > 0  # "85 people (...)"
    assert "fillable fields" in next(line for line in checks if "release-of-information" in line)
    assert out[-1].startswith(f"All {len(checks)} checks passed")
    assert list(scratch.iterdir()) == []


def test_a_broken_installation_fails_clearly_and_cleans_up(scratch: Path, tmp_path: Path, capsys,
                                                           monkeypatch: pytest.MonkeyPatch):
    broken = tmp_path / "sample_workbooks"
    shutil.copytree(data_dir("sample_workbooks"), broken)
    (broken / "cad_calls.txt").unlink()  # an installation that lost one of its files
    monkeypatch.setattr(demo, "data_dir", lambda name: broken)

    assert run(["--self-test"]) == selftest.SelfTestFailed.exit_code != 0
    captured = capsys.readouterr()
    assert "FAILED  encrypted store, import and linkage: " in captured.out
    assert "cad_calls.txt" in captured.out
    assert "The self-test failed at: encrypted store, import and linkage." in captured.err
    assert "Reinstall it" in captured.err
    assert list(scratch.iterdir()) == []


def test_the_encryption_check_catches_a_plain_sqlite_file(tmp_path: Path):
    plain = tmp_path / "plain.ddj"
    with sqlite3.connect(plain) as con:
        con.execute("CREATE TABLE person (name TEXT)")
    con.close()
    with pytest.raises(AssertionError, match="plain SQLite header"):
        selftest.check_encrypted(plain, demo.DEMO_PASSPHRASE)


def test_the_encryption_check_passes_a_store(workspace, store_path: Path, passphrase: str):
    workspace.close()
    selftest.check_encrypted(store_path, passphrase)
