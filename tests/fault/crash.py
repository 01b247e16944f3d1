"""Killing a real DDJ Desktop process mid-write, and checking the store it leaves behind.

Two ways to kill: from outside, like a power cut or the task manager (`kill_cli_at`: SIGKILL a `python -m
ddj_desktop ...` some time after it printed a progress line), and from inside, at an exact point of the work
(`SELF_KILL`: a child process whose Progress SIGKILLs itself on the n-th progress message that starts with a given
text), which hits the same point on any machine.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ddj_desktop.store import engine as store_engine
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
KILLED = -signal.SIGKILL

# argv: store, passphrase, what ("import FILE SOURCE" or "link"), kill message prefix, occurrence
SELF_KILL = r"""
import os, signal, sys
from pathlib import Path
from ddj_desktop.importing import pipeline
from ddj_desktop.workspace import Workspace

if os.environ.get("IMPORT_CACHE_KIB"):  # a small page cache, so that an import spills pages before its commit
    pipeline.IMPORT_CACHE_KIB = int(os.environ["IMPORT_CACHE_KIB"])
store, passphrase, prefix, occurrence, what = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]

class KillAt:
    seen = 0
    def update(self, fraction, message=""):
        if message.startswith(prefix):
            KillAt.seen += 1
            if KillAt.seen == occurrence:
                os.kill(os.getpid(), signal.SIGKILL)
    def cancelled(self):
        return False

ws = Workspace.open(Path(store), passphrase)
if what[0] == "import":
    ws.import_files([Path(what[1])], what[2], progress=KillAt())
else:
    ws.link(progress=KillAt())
KillAt().update(1.0, "Committed")
ws.close()
KillAt().update(1.0, "Closed")
sys.exit(3)  # the kill point was never reached
"""


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DDJ_PASSPHRASE": PASSPHRASE, "PYTHONUNBUFFERED": "1", **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    for name in ("DDJ_USER", "DDJ_USER_PASSWORD"):
        env.pop(name, None)
    return env


def self_kill(
    store: Path, prefix: str, occurrence: int, *what: str, passphrase: str = PASSPHRASE, cache_kib: int | None = None
) -> int:
    """Run `what` ("import", FILE, SOURCE or "link") in a child that SIGKILLs itself at the kill point; with
    `cache_kib`, the import's page cache is that small."""
    extra = {"IMPORT_CACHE_KIB": str(cache_kib)} if cache_kib else {}
    done = subprocess.run(
        [sys.executable, "-c", SELF_KILL, str(store), passphrase, prefix, str(occurrence), *what],
        capture_output=True, text=True, env=child_env(**extra), timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == KILLED, f"exit {done.returncode}, the kill point was not reached:\n{done.stderr}"
    return done.returncode


def kill_cli_at(args: list[str], line_text: str, delay: float) -> tuple[int, str]:
    """Run `python -m ddj_desktop ARGS`, SIGKILL it `delay` s after it prints a line holding `line_text`.

    Returns the exit code (-SIGKILL if it was killed, 0 if it finished first) and what it printed on stderr.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "ddj_desktop", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(), cwd=ROOT,
    )  # fmt: skip
    assert process.stderr is not None
    seen: list[str] = []
    try:
        for line in process.stderr:
            seen.append(line)
            if line_text in line:
                break
        assert any(line_text in line for line in seen), "".join(seen)
        time.sleep(delay)
    finally:  # never leave the child running, whatever happened above
        process.send_signal(signal.SIGKILL)
        _out, err = process.communicate(timeout=120)
    return process.returncode, "".join(seen) + err


def journal(store: Path) -> Path:
    return store.with_name(store.name + "-journal")


def beside(store: Path) -> list[str]:
    """Files SQLite may leave beside a store: journal, WAL, shared memory."""
    return sorted(p.name for p in store.parent.glob(store.name + "-*"))


@dataclass
class Checked:
    integrity: list[tuple[str, ...]]
    cipher_integrity: list[tuple[str, ...]]
    counts: dict[str, int]


def check_after_crash(store: Path, tables: tuple[str, ...]) -> Checked:
    """Unlock the store as the program does (rolling back a hot journal), then check every page of it."""
    store_engine.check_unlocks(store, PASSPHRASE)
    con = store_engine._raw_connect(store, PASSPHRASE, "ro")
    try:
        return Checked(
            integrity=con.execute("PRAGMA integrity_check").fetchall(),
            cipher_integrity=con.execute("PRAGMA cipher_integrity_check").fetchall(),
            counts={t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables},
        )
    finally:
        con.close()


def write_calls_csv(path: Path, rows: int, offset: int = 0) -> Path:
    """A CAD export of `rows` calls (synthetic names), big enough that writing it spills pages to the file."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Incident Number", "Call Time", "First Name", "Last Name", "DOB", "Nature"])
        for n in range(offset, offset + rows):
            writer.writerow([f"24-{n:07d}", f"2024-03-{1 + n % 28:02d} 10:{n % 60:02d}:00", f"NAME{n % 997}",
                             f"PERSON{n}", f"{1 + n % 12:02d}/{1 + n % 28:02d}/19{50 + n % 50}", "WELFARE CHECK"])
    return path
