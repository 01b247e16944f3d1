"""Store work in a child process: the result, the progress, a user-fixable error and a cancel come back as if
the call had run on a thread."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from pathlib import Path

import pytest

from ddj_desktop.errors import Cancelled, ImportFileError
from ddj_desktop.gui.processes import StoreKey, call_in_process
from ddj_desktop.workspace import Workspace


class Recorder:
    def __init__(self, cancel_at: float | None = None) -> None:
        self.updates: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.cancel_at = cancel_at

    def update(self, fraction: float, message: str = "") -> None:
        self.updates.append((fraction, message))
        if self.cancel_at is not None and fraction >= self.cancel_at:
            self.stop.set()
        if self.stop.is_set():
            raise Cancelled()

    def cancelled(self) -> bool:
        return self.stop.is_set()


@pytest.fixture
def key(workspace: Workspace, store_path: Path, passphrase: str) -> StoreKey:
    return StoreKey(store_path, passphrase, workspace.user_name)


def test_an_import_in_a_child_process_lands_in_the_store(workspace: Workspace, key: StoreKey,
                                                         samples: Path) -> None:
    progress = Recorder()
    summaries = call_in_process(key, "import_files", [samples / "court_cases.csv"], "court", progress=progress)
    assert summaries[0].imported == workspace.counts()["records"] > 500
    assert progress.updates and progress.updates[-1][0] == 1.0
    assert "import" in [e["action"] for e in workspace.audit_entries()]


def test_a_large_import_in_the_child_process_starts_its_own_workers(workspace: Workspace, key: StoreKey,
                                                                    samples: Path, monkeypatch) -> None:
    """The desktop's import runs in a child process, which reads a large file with worker processes of its own
    (importing/parallel.py): a daemonic child could not start them."""
    monkeypatch.setenv("DDJ_IMPORT_WORKERS", "2")  # as for a file of 8 MB and more
    summaries = call_in_process(key, "import_files", [samples / "court_cases.csv"], "court", progress=Recorder())
    assert summaries[0].imported == workspace.counts()["records"] > 500


def test_a_user_fixable_error_in_the_child_comes_back_as_itself(key: StoreKey, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        call_in_process(key, "import_files", [tmp_path / "missing.csv"], "court", progress=Recorder())
    assert "missing.csv" in caught.value.message


def test_cancel_stops_the_child_and_nothing_is_kept(workspace: Workspace, key: StoreKey, samples: Path) -> None:
    with pytest.raises(Cancelled):
        call_in_process(key, "import_files", [samples / "ed_county_general.csv"], "ed",
                        progress=Recorder(cancel_at=0.2))
    assert workspace.counts()["records"] == 0


def _priority_after_lowering(conn) -> None:  # type: ignore[no-untyped-def]
    import os

    from ddj_desktop.gui.processes import _lower_priority

    before = os.nice(0)
    _lower_priority()
    conn.send((before, os.nice(0)))
    conn.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX niceness")
def test_the_worker_process_runs_below_the_windows_priority() -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_priority_after_lowering, args=(theirs,))
    child.start()
    try:
        assert ours.poll(60)
        before, after = ours.recv()
    finally:
        child.join(30)
    assert after > before  # the window (normal priority) gets the CPU first on a busy laptop
