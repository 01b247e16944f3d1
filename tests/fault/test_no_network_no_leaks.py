"""No network, ever, and no personal data outside the store: the demo command and the desktop application run
in a child process whose audit hook stops it at the first socket or name lookup, with temp, home and XDG folders
of its own; afterwards every file it wrote outside the store is searched for the sample county's identities."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ddj_desktop import demo
from tests.fault import guarded
from tests.fault.identities import identities_in, needles, readable

# Outputs of the demo that carry identities because that is what the user asked for: the release-of-information
# forms, pre-filled with the name and date of birth of each person on the list. Everything else - the frequent
# utilizer list (person IDs and record keys), the council report and its tables - must hold none.
ASKED_FOR_IDENTITIES = {"roi-forms.pdf"}


def test_the_guard_stops_a_connection_and_a_name_lookup(tmp_path: Path):
    """The hook works: the same child, made to connect or look a name up, stops with the guard's exit code."""
    for code in ("import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)",
                 "import socket; socket.getaddrinfo('localhost', 80)",
                 "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9/', timeout=1)"):  # fmt: skip
        script = guarded.GUARD.replace("import runpy", f"{code}\nimport runpy")
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-c", script, "--version"], capture_output=True, text=True, timeout=60)
        assert done.returncode == guarded.NETWORK_EXIT, (code, done.stderr)
        assert "NETWORK ACCESS" in done.stderr


def files_outside(run: guarded.Run, *folders: Path, skip: set[Path] = frozenset()) -> dict[str, bytes]:  # type: ignore[assignment]
    found = {"<stdout>": run.stdout.encode(), "<stderr>": run.stderr.encode()}
    for folder in (run.home, run.temp, *folders):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path not in skip:
                found[str(path.relative_to(folder.parent))] = readable(path)
    return found


@pytest.mark.slow
def test_demo_opens_no_socket_and_leaves_no_identity_outside_the_store(tmp_path: Path):
    out = tmp_path / "out"
    run = guarded.run_guarded(tmp_path, "demo", "--out", str(out))
    assert run.returncode == 0, run.stdout + run.stderr  # 97: it touched the network (stderr says where)
    assert (out / demo.STORE_NAME).is_file()
    outputs = {p.name for p in out.iterdir()}
    legit = {out / name for name in ASKED_FOR_IDENTITIES & outputs}
    assert len(needles()) > 5000
    for name in ASKED_FOR_IDENTITIES & outputs:  # the search itself works: these do name sample people
        assert identities_in(readable(out / name, max_pages=3)), f"{name} was expected to name people"
    searched = files_outside(run, out, skip={out / demo.STORE_NAME, *legit})
    assert any("council" in name for name in searched) or "council-report.pdf" not in outputs
    leaks = {name: identities_in(data)[:5] for name, data in searched.items()}
    assert not {k: v for k, v in leaks.items() if v}, f"identities outside the store: {leaks}"
    assert not list(run.temp.rglob("*")), "temporary files were left behind"


@pytest.mark.slow
def test_desktop_demo_opens_no_socket_loads_no_qt_network_and_logs_no_identity(tmp_path: Path):
    if importlib.util.find_spec("PySide6") is None or importlib.util.find_spec("ddj_desktop.gui.app") is None:
        pytest.skip("the desktop application is not importable here")
    run = guarded.run_guarded(
        tmp_path, "--demo", "--quit-after-demo",
        env={"QT_QPA_PLATFORM": "offscreen", "DDJ_TEST_FLAGS": "--report-modules"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    modules = run.stdout.rpartition("MODULES: ")[2].split()
    assert "PySide6.QtWidgets" in modules, "the window was built"
    assert not [m for m in modules if m.startswith(("PySide6.QtNetwork", "PySide6.QtWebEngine"))]
    searched = files_outside(run)
    assert any(name.endswith(".log") for name in searched), f"the log is written in the home folder: {list(searched)}"
    leaks = {name: identities_in(data)[:5] for name, data in searched.items()}
    assert not {k: v for k, v in leaks.items() if v}, f"identities outside the store: {leaks}"
    assert not list(run.temp.rglob("*")), "the demo's temporary store was removed on quit"
