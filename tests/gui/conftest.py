"""GUI tests: offscreen Qt, each test with its own settings, profile folder and a message service that records
what would have been shown instead of opening modal boxes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings

from ddj_desktop.errors import DdjError
from ddj_desktop.gui import messages as messages_module
from ddj_desktop.paths import data_dir
from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE

# The offscreen platform says so when a window asks for what only a real screen does; not our problem.
OFFSCREEN_NOISE = (r"This plugin does not support", r"propagateSizeHints")
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.gui)
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


class RecordingMessages(messages_module.Messages):
    """Remembers every message; answers file dialogs and questions from what the test set beforehand."""

    def __init__(self) -> None:
        self.errors: list[DdjError] = []
        self.infos: list[str] = []
        self.questions: list[str] = []
        self.answer = True
        self.files_to_open: list[Path] = []
        self.file_to_save: Path | None = None

    def error(self, parent, err: DdjError) -> None:  # type: ignore[no-untyped-def]
        self.errors.append(err)

    def info(self, parent, title: str, text: str) -> None:  # type: ignore[no-untyped-def]
        self.infos.append(text)

    def confirm(self, parent, title: str, text: str) -> bool:  # type: ignore[no-untyped-def]
        self.questions.append(text)
        return self.answer

    def open_files(self, parent, title: str, filter_text: str) -> list[Path]:  # type: ignore[no-untyped-def]
        return list(self.files_to_open)

    def save_file(self, parent, title: str, suggested: str, filter_text: str) -> Path | None:  # type: ignore[no-untyped-def]
        return self.file_to_save

    def open_store(self, parent) -> Path | None:  # type: ignore[no-untyped-def]
        return self.files_to_open[0] if self.files_to_open else None


@pytest.fixture(autouse=True)
def gui_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings in an ini file under tmp_path, profiles in tmp_path, and recorded messages."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setattr("ddj_desktop.gui.wizard.profiles_dir", lambda: tmp_path / "profiles")
    recorder = RecordingMessages()
    previous = messages_module.set_messages(recorder)
    yield recorder
    messages_module.set_messages(previous)


@pytest.fixture
def shown(gui_isolation: RecordingMessages) -> RecordingMessages:
    return gui_isolation


@pytest.fixture
def samples() -> Path:
    return data_dir("sample_workbooks")


@pytest.fixture(scope="session")
def jail_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the sample county's jail bookings, imported once; tests get a copy each."""
    path = tmp_path_factory.mktemp("jail") / "county.ddj"
    samples = data_dir("sample_workbooks")
    with Workspace.create(path, PASSPHRASE, admin_name="ana") as ws:
        ws.import_files([samples / "jail_bookings.xlsx", samples / "jail_charges.csv"], "jail")
    return path


@pytest.fixture
def jail_workspace(jail_store: Path, store_path: Path):
    """A fresh copy of the jail store, open."""
    shutil.copyfile(jail_store, store_path)
    ws = Workspace.open(store_path, PASSPHRASE)
    yield ws
    ws.close()
