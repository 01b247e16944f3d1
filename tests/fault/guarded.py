"""Run DDJ Desktop in a child process that may not touch the network, with every folder it could write to
(temp, home, XDG config/data/cache/state/runtime) pointed into one fresh folder, so a test can then read
everything it wrote outside the store.

The child installs an audit hook (PEP 578) before anything of the program is imported: any socket created for,
connecting to, binding to or sending over a network, and any name lookup, makes it print NETWORK ACCESS and exit
97 at once, so that no `except` in the program can swallow it. Unix-domain sockets (local IPC) are allowed.
Audit hooks see Python's own socket calls; a C++ library opening its own sockets (Qt's network module) would not
show here, which is why the GUI test also checks that QtNetwork was never loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fault.crash import ROOT

NETWORK_EXIT = 97

GUARD = r"""
import os, socket, sys, traceback

_NETWORK_EVENTS = {
    "socket.__new__", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo",
    "http.client.connect", "urllib.Request", "ftplib.connect", "smtplib.connect", "poplib.connect",
    "imaplib.open", "nntplib.connect", "webbrowser.open",
}
_LOCAL = (getattr(socket, "AF_UNIX", None),)


def _is_local(event, args):
    if event == "socket.__new__":
        return args[1] in _LOCAL
    if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
        return getattr(args[0], "family", None) in _LOCAL
    return False


def _no_network(event, args):
    if event in _NETWORK_EVENTS and not _is_local(event, args):
        os.write(2, f"NETWORK ACCESS: {event} {args!r}\n{''.join(traceback.format_stack())}".encode())
        os._exit(97)


sys.addaudithook(_no_network)
sys.argv = ["ddj-desktop", *sys.argv[1:]]
import runpy
try:
    runpy.run_module("ddj_desktop", run_name="__main__", alter_sys=True)
finally:
    if "--report-modules" in os.environ.get("DDJ_TEST_FLAGS", ""):
        os.write(1, ("\nMODULES: " + " ".join(sorted(sys.modules))).encode())
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    home: Path  # HOME; XDG folders sit inside it
    temp: Path  # TMPDIR


def run_guarded(folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    """`python -m ddj_desktop ARGS` under the network guard, with temp and home folders inside `folder`."""
    home, temp = folder / "home", folder / "tmp"
    for path in (home, temp):
        path.mkdir(parents=True, exist_ok=True)
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    child_env = {
        **os.environ, "HOME": str(home), "USERPROFILE": str(home), "TMPDIR": str(temp), "TEMP": str(temp),
        "TMP": str(temp), "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"), "XDG_STATE_HOME": str(home / "state"),
        "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", **(env or {}),
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", GUARD, *args], capture_output=True, text=True, env=child_env, cwd=folder,
        timeout=timeout,
    )  # fmt: skip
    return Run(done.returncode, done.stdout, done.stderr, home, temp)
