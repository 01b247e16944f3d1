"""Users and roles: the first admin, a second user's password, and roles enforced in Workspace itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddj_desktop.errors import AuthenticationFailed, DdjError, PermissionDenied
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE


def test_first_admin_needs_no_second_password_until_a_second_user_exists(workspace: Workspace, store_path: Path):
    with pytest.raises(DdjError, match="Set a password for yourself"):
        workspace.add_user("rita", "reviewer", "rita's password")
    workspace.set_password("ana's password")
    workspace.add_user("rita", "reviewer", "rita's password")
    workspace.close()

    with pytest.raises(AuthenticationFailed, match="several users"):
        Workspace.open(store_path, PASSPHRASE)
    with pytest.raises(AuthenticationFailed, match="Wrong password"):
        Workspace.open(store_path, PASSPHRASE, user="rita", password="guess")
    with pytest.raises(AuthenticationFailed, match="no active user named"):
        Workspace.open(store_path, PASSPHRASE, user="mallory", password="x")
    with Workspace.open(store_path, PASSPHRASE, user="rita", password="rita's password") as rita:
        assert rita.role == "reviewer"
    with Workspace.open(store_path, PASSPHRASE, user="ana", password="ana's password") as ana:
        users = {(u.name, u.role) for u in ana.users()}
        assert users == {("ana", "admin"), ("rita", "reviewer")}
        assert ("ana", "unlock") in {(e["user"], e["action"]) for e in ana.audit_entries()}


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("viewer", ["sources", "batches"], ["export_persons", "set_source", "users", "verify_audit"]),
        ("reviewer", ["sources"], ["export_persons", "set_source", "users"]),
        ("analyst", ["sources", "export_persons", "set_source", "verify_audit"], ["users"]),
    ],
)
def test_roles_are_enforced_in_workspace(workspace: Workspace, store_path: Path, tmp_path, role, allowed, denied):
    workspace.set_password("ana's password")
    workspace.add_user("sam", role, "sam's password")
    workspace.close()
    calls = {
        "sources": lambda ws: ws.sources(),
        "batches": lambda ws: ws.batches(),
        "export_persons": lambda ws: ws.export_persons(tmp_path / "out.csv"),
        "set_source": lambda ws: ws.set_source("jail"),
        "users": lambda ws: ws.users(),
        "verify_audit": lambda ws: ws.verify_audit(),
    }
    with Workspace.open(store_path, PASSPHRASE, user="sam", password="sam's password") as sam:
        for name in allowed:
            calls[name](sam)
        for name in denied:
            with pytest.raises(PermissionDenied, match=f"Your role \\({role}\\) does not allow"):
                calls[name](sam)
    if "export_persons" in denied:
        assert not (tmp_path / "out.csv").exists()


def test_unknown_role_is_refused(workspace: Workspace):
    workspace.set_password("pw")
    with pytest.raises(DdjError, match="Unknown role"):
        workspace.add_user("x", "superuser", "pw")
