"""The command line as a script or an analyst uses it: messages, exit codes, and the store left as it was."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from ddj_desktop.cli import EXIT_AUDIT_BROKEN, build_parser, run
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE, file_digest

pytestmark = pytest.mark.usefixtures("cli_env")


def test_init_then_sources(tmp_path: Path, capsys):
    store = tmp_path / "county.ddj"
    assert run(["init", str(store), "--user", "ana"]) == 0
    assert "First user: ana (admin)" in capsys.readouterr().out
    assert run(["sources", str(store), "--set", "jail", "--agency", "Sheriff"]) == 0
    out = capsys.readouterr().out
    assert "jail" in out and "Jail" in out
    assert run(["sources", str(store), "--set", "mobile_crisis", "--intercept", "0"]) == 0
    out = capsys.readouterr().out
    assert "mobile_crisis" in out


def test_unknown_source_starts_with_intercept_unknown(tmp_path: Path, capsys):
    store = tmp_path / "c.ddj"
    run(["init", str(store)])
    run(["sources", str(store), "--set", "reentry_program"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("reentry_program"))
    assert "unknown" in line


def test_wrong_passphrase_exits_nonzero_and_leaves_the_file(tmp_path: Path, capsys, monkeypatch):
    store = tmp_path / "county.ddj"
    run(["init", str(store)])
    before = file_digest(store)
    monkeypatch.setenv("DDJ_PASSPHRASE", "not it")
    for command in (["sources"], ["batches"], ["audit", "verify"], ["export", "persons"]):
        argv = [*command, str(store)] + (["--out", str(tmp_path / "x.csv")] if command[0] == "export" else [])
        code = run(argv)
        assert code != 0
        assert "The passphrase does not open county.ddj" in capsys.readouterr().err
    assert file_digest(store) == before
    assert not (tmp_path / "x.csv").exists()


def test_passphrase_file(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("DDJ_PASSPHRASE")
    secret = tmp_path / "secret.txt"
    secret.write_text("from a file\n", encoding="utf-8")
    store = tmp_path / "c.ddj"
    assert run(["init", str(store), "--passphrase-file", str(secret)]) == 0
    with Workspace.open(store, "from a file") as ws:
        assert ws.user_name


def test_no_passphrase_without_a_terminal_says_how(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("DDJ_PASSPHRASE")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a tty
    assert run(["init", str(tmp_path / "c.ddj")]) != 0
    assert "--passphrase-file" in capsys.readouterr().err
    assert not (tmp_path / "c.ddj").exists()


def test_audit_verify_reports_the_first_broken_entry(tmp_path: Path, capsys):
    store = tmp_path / "county.ddj"
    run(["init", str(store)])
    run(["sources", str(store), "--set", "jail"])
    assert run(["audit", "verify", str(store)]) == 0
    assert "Audit log intact" in capsys.readouterr().out
    with Workspace.open(store, PASSPHRASE) as ws, ws.store.transaction_connection() as con:
        con.execute(text("UPDATE audit_event SET action = 'nothing' WHERE seq = 3"))
    assert run(["audit", "verify", str(store)]) == EXIT_AUDIT_BROKEN
    assert "BROKEN at entry 3" in capsys.readouterr().out


def test_export_persons_writes_the_header(tmp_path: Path, capsys):
    store = tmp_path / "county.ddj"
    run(["init", str(store)])
    out = tmp_path / "persons.csv"
    assert run(["export", "persons", str(store), "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as f:
        assert next(csv.reader(f)) == ["source", "source_key", "person_id"]


def test_export_into_a_missing_folder_is_a_clear_error(tmp_path: Path, capsys):
    store = tmp_path / "county.ddj"
    run(["init", str(store)])
    assert run(["export", "persons", str(store), "--out", str(tmp_path / "nope" / "p.csv")]) != 0
    assert "does not exist" in capsys.readouterr().err


def test_change_passphrase_from_the_command_line(tmp_path: Path, capsys, monkeypatch):
    store = tmp_path / "county.ddj"
    run(["init", str(store)])
    monkeypatch.setenv("DDJ_NEW_PASSPHRASE", "the new one, longer")
    assert run(["passphrase", str(store)]) == 0
    assert run(["sources", str(store)]) != 0
    monkeypatch.setenv("DDJ_PASSPHRASE", "the new one, longer")
    assert run(["sources", str(store)]) == 0


def test_second_user_must_say_who_they_are(tmp_path: Path, capsys, monkeypatch):
    store = tmp_path / "county.ddj"
    run(["init", str(store), "--user", "ana"])
    monkeypatch.setenv("DDJ_NEW_USER_PASSWORD", "ana-pw")
    assert run(["users", str(store), "--set-password", "ana"]) == 0
    monkeypatch.setenv("DDJ_USER", "ana")
    monkeypatch.setenv("DDJ_USER_PASSWORD", "ana-pw")
    monkeypatch.setenv("DDJ_NEW_USER_PASSWORD", "rita-pw")
    assert run(["users", str(store), "--add", "rita", "--role", "reviewer"]) == 0
    monkeypatch.delenv("DDJ_USER")
    monkeypatch.delenv("DDJ_USER_PASSWORD")
    capsys.readouterr()
    assert run(["sources", str(store)]) != 0
    assert "--user NAME" in capsys.readouterr().err
    monkeypatch.setenv("DDJ_USER_PASSWORD", "rita-pw")
    assert run(["sources", str(store), "--user", "rita"]) == 0
    assert run(["export", "persons", str(store), "--user", "rita", "--out", str(tmp_path / "p.csv")]) != 0
    assert "reviewer" in capsys.readouterr().err


def signed_in_admin(store: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A new store whose admin ana has a password, and the commands that follow signed in as her."""
    run(["init", str(store), "--user", "ana"])
    monkeypatch.setenv("DDJ_NEW_USER_PASSWORD", "ana-pw")
    assert run(["users", str(store), "--set-password", "ana"]) == 0
    monkeypatch.setenv("DDJ_USER", "ana")
    monkeypatch.setenv("DDJ_USER_PASSWORD", "ana-pw")


def test_an_admin_changes_a_role_and_deactivates_a_user_who_left(tmp_path: Path, capsys, monkeypatch):
    store = tmp_path / "county.ddj"
    signed_in_admin(store, monkeypatch)
    monkeypatch.setenv("DDJ_NEW_USER_PASSWORD", "rita-pw")
    assert run(["users", str(store), "--add", "rita"]) == 0
    assert "rita                 analyst" in capsys.readouterr().out, "a new user is an analyst unless told"
    assert run(["users", str(store), "--change", "rita", "--role", "reviewer"]) == 0
    assert "rita is now reviewer." in capsys.readouterr().out
    assert run(["users", str(store), "--change", "rita", "--deactivate"]) == 0
    assert "rita is now reviewer (inactive)." in capsys.readouterr().out
    assert run(["users", str(store), "--change", "ana", "--role", "viewer"]) != 0
    assert "without an active admin" in capsys.readouterr().err
    monkeypatch.setenv("DDJ_USER_PASSWORD", "rita-pw")
    assert run(["sources", str(store), "--user", "rita"]) != 0
    assert "no active user named 'rita'" in capsys.readouterr().err


def _subcommand_paths(parser, prefix=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _subcommand_paths(sub, (*prefix, name))


def test_every_command_has_help(capsys):
    paths = list(_subcommand_paths(build_parser()))
    assert {("init",), ("sources",), ("batches",), ("export", "persons"), ("audit", "verify")} <= set(paths)
    for path in paths:
        with pytest.raises(SystemExit) as exit_info:
            run([*path, "--help"])
        assert exit_info.value.code == 0
        assert "usage: ddj-desktop" in capsys.readouterr().out


def test_console_script_runs_as_a_module(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "ddj_desktop", "--version"], capture_output=True, text=True,
                            check=False, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("ddj-desktop ")


def test_import_prints_a_summary_and_writes_the_rejects(tmp_path: Path, capsys):
    import openpyxl

    store = tmp_path / "county.ddj"
    run(["init", str(store)])
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "Incident Number,Call Time,First Name,Last Name,DOB\n"
        "24-1,2024-03-01 10:00,Ana,Lopez,04/12/1988\n"
        "24-2,2024-03-01 11:00,,,\n"
        "24-3,2024-03-01 12:00,Bo,Diaz,02/30/1990\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.xlsx"
    assert run(["import", str(store), str(calls), "--source", "police", "--rejects", str(rejects)]) == 0
    out = capsys.readouterr().out
    assert "rows read 3: new 2" in out and "rejected 1" in out
    assert "row 4: date of birth not kept: impossible date" in out
    sheet = openpyxl.load_workbook(rejects).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("File", "Row", "Problem", "Imported?")
    assert {(r[1], r[3]) for r in rows[1:]} == {(3, "no (rejected)"), (4, "yes, without that value")}
    assert oct(rejects.stat().st_mode & 0o777) == "0o600"
    assert run(["batches", str(store)]) == 0
    assert "calls.csv" in capsys.readouterr().out


def test_demo_prints_what_landed_per_source(tmp_path: Path, capsys):
    assert run(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    for source in ("jail", "police", "ems", "ed", "bh", "shelter", "court", "probation"):
        assert any(line.startswith(source) for line in out.splitlines()), source
    assert "records from 8 sources" in out
    assert (tmp_path / "demo" / "sample-county.ddj").exists()


def test_backup_and_restore_from_the_command_line(tmp_path: Path, capsys):
    store = tmp_path / "county.ddj"
    run(["init", str(store)])
    run(["sources", str(store), "--set", "jail"])
    backup = tmp_path / "county-backup.ddj"
    assert run(["backup", str(store), "--out", str(backup)]) == 0
    assert "checked" in capsys.readouterr().out
    run(["sources", str(store), "--set", "ems"])
    assert run(["restore", str(backup), str(store)]) != 0
    assert "already exists" in capsys.readouterr().err
    assert run(["restore", str(backup), str(store), "--replace"]) == 0
    out = capsys.readouterr().out
    assert "county.ddj.before-restore" in out
    with Workspace.open(store, PASSPHRASE) as ws:
        assert [s.name for s in ws.sources()] == ["jail"]
        assert "restore" in [e["action"] for e in ws.audit_entries()]
    with Workspace.open(tmp_path / "county.ddj.before-restore", PASSPHRASE) as before:
        assert "backup" in [e["action"] for e in before.audit_entries()]


def test_only_an_admin_of_the_backup_may_restore_it(tmp_path: Path, capsys, monkeypatch):
    store = tmp_path / "county.ddj"
    signed_in_admin(store, monkeypatch)
    monkeypatch.setenv("DDJ_NEW_USER_PASSWORD", "al-pw")
    run(["users", str(store), "--add", "al", "--role", "analyst"])
    backup = tmp_path / "b.ddj"
    monkeypatch.setenv("DDJ_USER", "al")
    monkeypatch.setenv("DDJ_USER_PASSWORD", "al-pw")
    assert run(["backup", str(store), "--out", str(backup)]) == 0
    before = file_digest(store)
    assert run(["restore", str(backup), str(store), "--replace"]) != 0
    assert "does not allow" in capsys.readouterr().err
    assert file_digest(store) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.ddj", "county.ddj"]
