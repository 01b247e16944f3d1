"""The main window as the page tests open it: shown, and settled (Home's look for pairs and consents done)."""

from __future__ import annotations

from ddj_desktop.gui.main_window import MainWindow
from ddj_desktop.workspace import Workspace


def make_window(qtbot, ws: Workspace, *, size: tuple[int, int] | None = None, **kwargs) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(ws, **kwargs)
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    qtbot.waitUntil(lambda: not window.workers.busy(), timeout=10_000)
    return window
