"""Ctrl+C in the middle of a real import, in a real process: exit 130, and the store as it was before."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ddj_desktop.workspace import Workspace
from tests.conftest import PASSPHRASE


def test_ctrl_c_during_import_leaves_the_store_as_it_was(tmp_path: Path):
    store = tmp_path / "county.ddj"
    Workspace.create(store, PASSPHRASE, admin_name="ana").close()
    calls = tmp_path / "calls.csv"
    with calls.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Incident Number", "Call Time", "First Name", "Last Name", "DOB", "Nature"])
        for n in range(80_000):
            writer.writerow([f"24-{n:06d}", f"2024-03-{1 + n % 28:02d} 10:{n % 60:02d}:00", f"NAME{n % 997}",
                             f"PERSON{n}", f"{1 + n % 12:02d}/{1 + n % 28:02d}/19{50 + n % 50}", "WELFARE CHECK"])
    env = {**os.environ, "DDJ_PASSPHRASE": PASSPHRASE, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ddj_desktop", "import", str(store), str(calls), "--source", "police"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.monotonic() + 120
    assert process.stderr is not None
    for line in process.stderr:
        if "Writing" in line or time.monotonic() > deadline:
            break
    time.sleep(0.3)  # well inside the bulk insert
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "the store is as it was" in err
    with Workspace.open(store, PASSPHRASE) as ws:
        assert ws.counts()["records"] == 0
        assert ws.batches() == []
        assert ws.verify_audit().ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv", "county.ddj"]
