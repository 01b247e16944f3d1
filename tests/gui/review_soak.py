"""Run as a child process by tests/gui/test_qt_references.py: the review window as a user drives it, in a process of
its own so that an interpreter abort fails the test instead of killing pytest.

    python -m tests.gui.review_soak FOLDER PAIRS KEYS

Builds the sample county in FOLDER, pads its queue to PAIRS pairs, opens the review window with the desktop's
workers (the queue is read on a worker thread while the GUI thread runs its event loop), then moves through the
queue with KEYS presses of N / P. Prints one JSON line: how many references None, True and False lost on the GUI
thread meanwhile (a binding that drops them aborts Python 3.11 once the count reaches zero).
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(folder: Path, pairs: int, keys: int) -> None:
    faulthandler.enable()
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
    from review_latency import pad_queue

    from ddj_desktop import demo
    from ddj_desktop.gui.review import ReviewDialog
    from ddj_desktop.gui.workers import Workers

    app = QApplication.instance() or QApplication(sys.argv[:1])
    ws = demo.build_sample_county(folder).workspace
    try:
        pad_queue(ws, pairs)
        workers = Workers()
        counts = lambda: [sys.getrefcount(x) for x in (None, True, False)]  # noqa: E731
        before = counts()
        dialog = ReviewDialog(ws, workers=workers)
        dialog.show()
        panel = dialog.panel
        while panel.loading:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        for k in range(keys):
            key = Qt.Key.Key_N if (k // 10) % 2 == 0 else Qt.Key.Key_P
            panel.keyPressEvent(QKeyEvent(QKeyEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier))
            app.processEvents()
        workers.wait()
        app.processEvents()
        lost = [b - a for b, a in zip(before, counts(), strict=True)]
        print(json.dumps({"loaded": len(panel.items), "lost": dict(zip(("None", "True", "False"), lost, strict=True))}))
        dialog.close()
        del dialog, workers
    finally:
        ws.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
