"""A wrong passphrase, again and again, through every kind of command: a clear message each time, exit code 4,
and the store file byte for byte as it was, with no journal or WAL beside it and nothing written elsewhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ddj_desktop import cli
from ddj_desktop.errors import StoreError, WrongPassphrase
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE, file_digest
from tests.fault import crash

# (A passphrase file's trailing line breaks are not part of the passphrase; tabs and spaces are.)
ATTEMPTS = [
    "wrong", PASSPHRASE.upper(), PASSPHRASE + " ", " " + PASSPHRASE, PASSPHRASE[:-1], PASSPHRASE.replace(" ", ""),
    "blue heron at the old mill 43", "'; DROP TABLE record; --", "x'; PRAGMA key = 'y", "Ñúñez ünïcödé 🔑",
    "\t", "a" * 10_000, "blue heron at the old mill 42\t", "NULL", "0", "x" * 64, "\"quoted\"", "blue\x00heron",
    "BLUE HERON AT THE OLD MILL 42", "password",
]  # fmt: skip
COMMANDS = [
    ["sources"], ["batches"], ["sources", "--set", "jail"], ["audit", "verify"], ["users"], ["link"],
    ["export", "persons", "--out", "{out}"], ["import", "{csv}", "--source", "police"],
    ["passphrase", "--new-passphrase-file", "{new}"],
]


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    store = tmp_path / "store" / "county.ddj"
    store.parent.mkdir()
    with Workspace.create(store, PASSPHRASE, admin_name="ana") as ws:
        ws.import_files([crash.write_calls_csv(tmp_path / "calls.csv", 50)], "police")
    return store


def _argv(command: list[str], store: Path, tmp_path: Path) -> list[str]:
    fill = {"out": str(tmp_path / "persons.csv"), "csv": str(tmp_path / "calls.csv"), "new": str(tmp_path / "new")}
    name, rest = (command[:2], command[2:]) if command[0] in ("audit", "export") else (command[:1], command[1:])
    return [*name, str(store), "--passphrase-file", str(tmp_path / "attempt"), *(a.format(**fill) for a in rest)]


def test_twenty_wrong_passphrases_through_the_cli_change_nothing(filled: Path, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("DDJ_PASSPHRASE", raising=False)
    (tmp_path / "new").write_text("a new passphrase for the store", encoding="utf-8")
    (tmp_path / "attempt").write_text("", encoding="utf-8")
    before = (file_digest(filled), filled.stat().st_mtime_ns, filled.stat().st_size)
    around = sorted(p.name for p in tmp_path.rglob("*"))
    if not hasattr(Workspace, "link"):
        COMMANDS.remove(["link"])
    for n, attempt in enumerate(ATTEMPTS):
        (tmp_path / "attempt").write_text(attempt, encoding="utf-8")
        argv = _argv(COMMANDS[n % len(COMMANDS)], filled, tmp_path)
        code = cli.run(argv)
        err = capsys.readouterr().err
        assert code == WrongPassphrase.exit_code, (argv, err)
        assert err.startswith("error: The passphrase does not open county.ddj."), err
        assert "case-sensitive" in err and "Traceback" not in err
        assert attempt.strip() not in err or not attempt.strip(), "the message never repeats the passphrase"
        assert (file_digest(filled), filled.stat().st_mtime_ns, filled.stat().st_size) == before, argv
        assert crash.beside(filled) == [], f"no journal or WAL after {argv}"
    assert sorted(p.name for p in tmp_path.rglob("*")) == around, "no export, no reject file, nothing else written"
    with Workspace.open(filled, PASSPHRASE) as ws:  # and the right one still opens it, all there
        assert ws.counts()["records"] == 50
        assert ws.verify_audit().ok


def test_found_a_nul_in_the_passphrase_is_a_wrong_passphrase_not_a_crash(filled: Path, tmp_path: Path):
    # sqlite3 refused the PRAGMA with ValueError ("embedded null character"): a traceback instead of a message.
    before = file_digest(filled)
    with pytest.raises(WrongPassphrase):
        Workspace.open(filled, PASSPHRASE + "\x00")
    with pytest.raises(StoreError, match="NUL"):
        Workspace.create(tmp_path / "new.ddj", "nul\x00in it")
    assert not (tmp_path / "new.ddj").exists() and file_digest(filled) == before


def test_an_empty_passphrase_file_says_none_was_given(filled: Path, tmp_path: Path, capsys):
    (tmp_path / "attempt").write_text("", encoding="utf-8")
    before = file_digest(filled)
    assert cli.run(_argv(["sources"], filled, tmp_path)) == WrongPassphrase.exit_code
    assert "No passphrase was given for county.ddj" in capsys.readouterr().err
    assert file_digest(filled) == before


def test_a_wrong_passphrase_in_a_real_process_exits_4_without_a_traceback(filled: Path, tmp_path: Path):
    before = file_digest(filled)
    for attempt in ("wrong", PASSPHRASE.upper()):
        done = subprocess.run(
            [sys.executable, "-m", "ddj_desktop", "batches", str(filled)], capture_output=True, text=True,
            env=crash.child_env(DDJ_PASSPHRASE=attempt), cwd=crash.ROOT, timeout=120,
        )  # fmt: skip
        assert done.returncode == WrongPassphrase.exit_code, done.stderr
        assert done.stderr.startswith("error: The passphrase does not open county.ddj."), done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
        assert file_digest(filled) == before and crash.beside(filled) == []
