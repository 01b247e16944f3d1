"""Fixtures shared by every test: a fresh encrypted store per test, and the passphrase that opens it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ddj_desktop.workspace import Workspace

PASSPHRASE = "blue heron at the old mill 42"


@pytest.fixture
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "county.ddj"


@pytest.fixture
def workspace(store_path: Path):
    ws = Workspace.create(store_path, PASSPHRASE, admin_name="ana")
    yield ws
    ws.close()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the passphrase from the environment, as a script would."""
    monkeypatch.setenv("DDJ_PASSPHRASE", PASSPHRASE)
    for name in ("DDJ_USER", "DDJ_USER_PASSWORD", "DDJ_NEW_PASSPHRASE", "DDJ_NEW_USER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
