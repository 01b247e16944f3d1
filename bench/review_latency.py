"""Review queue latency with 100,000 pairs in the queue.

The sample county is built and linked, then the queue is padded with synthetic review pairs (random record pairs
of different persons, carrying a real pair's evidence) up to --pairs. Measured, offscreen Qt:
- next pair: from the key press of a decision to the next pair rendered (median, p99); the decision itself is
  written after the next pair is on screen, as the desktop does;
- decision written: Workspace.review_decide per decision (one transaction, the audit entry, and for "same" the
  touched persons re-clustered: the decision's effect on persons, visible once it returns);
- queue load: Workspace.review_queue over the whole queue (once per session), then the same load as the window
  does it, on a worker thread: time to the first pair on screen and the event loop's longest stall meanwhile.
  (This aborted Python 3.11 under PySide6 6.12.0, which drops a reference to None per wrapped void call; see
  tests/gui/test_qt_references.py. The bench also prints how many references None lost over the run.)

    python bench/review_latency.py [--pairs 100000] [--decisions 200]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pad_queue(ws, pairs: int, seed: int = 7) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert, select

    from ddj_desktop.linkage.run import REVIEW, pair_id
    from ddj_desktop.store.models import Pair, Record, Source

    with ws.store.session() as session:
        template = session.scalar(select(Pair).where(Pair.status == REVIEW).limit(1))
        existing = set(session.scalars(select(Pair.id)))
        rows = session.execute(select(Record.id, Record.source_id, Source.name, Record.source_key, Record.person_id)
                               .join(Source, Source.id == Record.source_id)).all()
        rng = np.random.default_rng(seed)
        need = pairs - len(existing)
        fresh: dict[str, dict] = {}
        while len(fresh) < need:
            for i, j in rng.integers(0, len(rows), size=(need, 2)).tolist():
                a, b = sorted([rows[i], rows[j]], key=lambda r: (r[2], r[3]))
                if a[4] == b[4]:
                    continue
                pid = pair_id((a[2], a[3]), (b[2], b[3]))
                if pid in existing or pid in fresh:
                    continue
                p = float(rng.uniform(0.70, 0.95))
                fresh[pid] = {
                    "id": pid, "a_source_id": a[1], "a_source_key": a[3], "a_record_id": a[0], "b_source_id": b[1],
                    "b_source_key": b[3], "b_record_id": b[0], "probability": p,
                    "match_weight": float(np.log2(p / (1 - p))), "evidence": template.evidence, "status": REVIEW,
                    "first_run_id": template.run_id, "run_id": template.run_id,
                }  # fmt: skip
                if len(fresh) >= need:
                    break
        values = list(fresh.values())
        for start in range(0, len(values), 20_000):
            session.execute(insert(Pair), values[start:start + 20_000])
    return len(existing) + len(fresh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=200)
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from ddj_desktop import demo
    from ddj_desktop.errors import DdjError
    from ddj_desktop.gui.review import ReviewPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    none_refs = sys.getrefcount(None)
    with tempfile.TemporaryDirectory() as folder:
        clock = time.perf_counter()
        ws = demo.build_sample_county(Path(folder)).workspace
        print(f"sample county built and linked in {time.perf_counter() - clock:.1f} s")
        try:
            total = pad_queue(ws, args.pairs)
            clock = time.perf_counter()
            queue = ws.review_queue()
            load = time.perf_counter() - clock
            print(f"queue: {queue.left:,} pairs ({total:,} review pairs in the store); loaded and ordered in "
                  f"{load:.2f} s; expected wrong links if review stopped now: {queue.expected_wrong:,.0f}")

            from ddj_desktop.gui.review import workers_runner
            from ddj_desktop.gui.workers import Workers

            workers = Workers()
            loader = ReviewPanel(ws, run_read=workers_runner(workers, None, writes=False, title="Loading"))  # type: ignore[arg-type]
            ticks: list[float] = []
            passes: list[tuple[int, float, str]] = []  # collector passes meanwhile: generation, ms, thread
            began = [0.0]

            def watch(phase: str, info: dict) -> None:  # type: ignore[type-arg]
                if phase == "start":
                    began[0] = time.perf_counter()
                else:
                    passes.append((info["generation"], (time.perf_counter() - began[0]) * 1000,
                                   threading.current_thread().name))

            gc.callbacks.append(watch)
            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
            timer.start()
            clock = time.perf_counter()
            loader.load()
            while loader.loading:
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
            first_pair = time.perf_counter() - clock
            settle = time.perf_counter() + 2.0  # and the two seconds after it, while the reviewer starts reading
            while time.perf_counter() < settle:
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
            timer.stop()
            gc.callbacks.remove(watch)
            stall = max(np.diff([clock, *ticks]), default=0.0)
            print(f"queue loaded by the window's worker: first pair on screen after {first_pair:.2f} s; longest "
                  f"event-loop stall meanwhile and in the 2 s after {stall * 1000:.0f} ms (a 10 ms timer)")
            slow = sorted(passes, key=lambda p: -p[1])[:5]
            print(f"collector passes meanwhile: {len(passes)}; slowest: "
                  + ", ".join(f"gen {g} {ms:.0f} ms on {thread}" for g, ms, thread in slow))
            workers.wait()
            app.processEvents()
            del loader, workers, timer  # torn down now, not by the interpreter at exit

            pending: list = []
            panel = ReviewPanel(ws, run_write=lambda work, done, failed: pending.append((work, done, failed)))
            panel.resize(1000, 640)
            panel.show()
            panel.load()
            app.processEvents()
            keys = [Qt.Key.Key_D, Qt.Key.Key_S, Qt.Key.Key_U]
            render, write, same_write = [], [], []
            refused = 0
            for k in range(args.decisions):
                app.processEvents()  # the prefetch of the next pairs runs while the reviewer reads
                key = keys[k % len(keys)]
                event = QKeyEvent(QKeyEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
                clock = time.perf_counter()
                panel.keyPressEvent(event)
                panel.repaint()  # rendered: labels laid out and painted
                render.append(time.perf_counter() - clock)
                for work, done, failed in pending:
                    clock = time.perf_counter()
                    try:
                        result = work()
                    except DdjError as err:  # random pairs contradict earlier answers: refused, as the desktop
                        refused += 1
                        failed(err)  # the panel takes the answer back and shows the pair again
                    else:
                        done(result)
                    (same_write if key == Qt.Key.Key_S else write).append(time.perf_counter() - clock)
                pending.clear()
        finally:
            ws.close()

    def ms(values: list[float], q: float) -> float:
        return float(np.percentile(np.array(values) * 1000, q))

    print(f"next pair rendered after a decision ({len(render)} decisions): median {ms(render, 50):.1f} ms, "
          f"p99 {ms(render, 99):.1f} ms  (target: median < 30 ms, p99 < 100 ms)")
    print(f"decision written, different/unsure: median {ms(write, 50):.1f} ms, p99 {ms(write, 99):.1f} ms")
    print(f"decision written, same (touched persons re-clustered, effect on persons visible): median "
          f"{ms(same_write, 50):.1f} ms, p99 {ms(same_write, 99):.1f} ms, max {max(same_write) * 1000:.0f} ms "
          f"(target < 1 s)")
    print(f"({refused} synthetic 'same' answers refused as contradicting an earlier 'different')")
    print(f"references to None over the run: {sys.getrefcount(None) - none_refs:+,} (held by cached views; a binding "
          "that drops them makes this fall by thousands and aborts Python 3.11 at zero)")
    print(f"mean over all writes {statistics.mean(write + same_write) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
