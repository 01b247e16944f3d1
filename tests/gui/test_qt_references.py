"""PySide6 must not take references away from None, True and False.

PySide6 6.12.0 returns them from wrapped calls without a reference of their own (void methods such as
QLabel.setText or processEvents, and Signal.emit). On Python 3.11, where they are ordinary objects, each call takes
one reference away; the count reaches zero after a few thousand calls and the interpreter aborts ("Fatal Python
error: none_dealloc" / "bool_dealloc"). It first showed as a crash while the review queue loaded on a worker
thread, but threads have nothing to do with it: a reviewer pressing N about 6,000 times aborts the same way.
Both tests run in a child process, so an abort fails the test instead of killing pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[2]

PROBE = textwrap.dedent("""
    import json, os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QLabel

    class Sender(QObject):
        said = Signal(object)

    app = QApplication([])
    label, sender, heard = QLabel(), Sender(), []
    sender.said.connect(heard.append)
    calls = {"QLabel.setText": lambda: label.setText("x"), "QLabel.hide": label.hide,
             "QApplication.processEvents": app.processEvents, "Signal.emit": lambda: sender.said.emit(1)}
    lost = {}
    for name, call in calls.items():
        call()
        before = [sys.getrefcount(x) for x in (None, True, False)]
        for _ in range(500):
            call()
        lost[name] = [b - sys.getrefcount(x) for b, x in zip(before, (None, True, False))]
    print(json.dumps(lost))
    sys.stdout.flush()
    os._exit(0)
""")


def test_wrapped_calls_keep_the_references_of_none_true_and_false():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lost = json.loads(done.stdout.strip().splitlines()[-1])
    # 500 calls each: a binding that drops a reference per call loses 500 (a few may come and go meanwhile)
    assert all(abs(n) < 50 for counts in lost.values() for n in counts), (
        f"PySide6 drops references (per 500 calls, None/True/False): {lost}; pin another PySide6 in pyproject.toml")


def test_review_window_loading_a_big_queue_on_a_worker_then_browsing_does_not_abort(tmp_path):
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-m", "tests.gui.review_soak", str(tmp_path), "20000", "800"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, f"the review window's process died ({done.returncode}):\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] >= 19_000  # the padded queue arrived from the worker
    # 800 key presses through the queue: the GUI thread gave back every reference it took
    assert all(n < 100 for n in result["lost"].values()), result
