"""Long Workspace calls run on a thread pool; their result or error comes back on the GUI thread.

As in Picard's `run_task`: `Workers.run(func, done)` calls `func(progress)` on a pool thread and `done(result)`
on the GUI thread. Writes go to a pool of one thread, so two writes never race for the store. A `DdjError`
(something the user can fix) becomes a dialog that says what to do next; `Cancelled` is reported quietly;
anything else is a bug and goes to sys.excepthook (the crash dialog).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from ddj_desktop.errors import Cancelled, DdjError
from ddj_desktop.gui.messages import messages

log = logging.getLogger(__name__)


class WorkerProgress(QObject):
    """A `Progress` (progress.py) for work on another thread: reports arrive on the GUI thread as signals."""

    changed = Signal(float, str)

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()

    def update(self, fraction: float, message: str = "") -> None:
        self.changed.emit(float(fraction), message)
        if self._stop.is_set():
            raise Cancelled()

    def cancelled(self) -> bool:
        return self._stop.is_set()

    def cancel(self) -> None:
        self._stop.set()


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, func: Callable[[WorkerProgress], Any], progress: WorkerProgress) -> None:
        super().__init__()
        self.func = func
        self.progress = progress
        self.signals = _Signals()
        self.setAutoDelete(False)  # the Job holds it until the result is delivered

    def run(self) -> None:
        try:
            result = self.func(self.progress)
        except BaseException as err:
            self.signals.failed.emit(err)
        else:
            self.signals.finished.emit(result)


class Job(QObject):
    """One piece of work: its progress, and `ended` once its result or error has been handled."""

    ended = Signal()

    def __init__(
        self,
        func: Callable[[WorkerProgress], Any],
        title: str,
        done: Callable[[Any], None] | None,
        failed: Callable[[BaseException], None] | None,
        parent_widget: QWidget | None,
        writes: bool = False,
    ) -> None:
        super().__init__()
        self.title = title
        self.writes = writes
        self.discarded = False
        self.progress = WorkerProgress()
        self.task = _Task(func, self.progress)
        self.running = True
        self._done, self._failed, self._parent_widget = done, failed, parent_widget
        # Slots of this object (which lives on the GUI thread): the pool thread's signals arrive queued.
        self.task.signals.finished.connect(self._on_finished)
        self.task.signals.failed.connect(self._on_failed)

    def cancel(self) -> None:
        self.progress.cancel()

    def discard(self) -> None:
        """Cancel, and drop whatever the work still brings back (a lookup whose answer is no longer wanted, as
        when the window locks): neither `done` nor `failed` is called."""
        self.discarded = True
        self.cancel()

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self._end()
        if self._done is not None and not self.discarded:
            self._done(result)

    @Slot(object)
    def _on_failed(self, err: BaseException) -> None:
        self._end()
        if self.discarded:
            log.info("Discarded work ended with %s", type(err).__name__)
        elif self._failed is not None:
            self._failed(err)
        else:
            report_error(err, self._parent_widget)

    def _end(self) -> None:
        self.running = False
        self.ended.emit()


class Workers(QObject):
    """Runs work off the GUI thread: reads in parallel, writes one at a time."""

    started = Signal(object)  # Job

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.read_pool = QThreadPool(self)
        self.read_pool.setMaxThreadCount(2)
        self.write_pool = QThreadPool(self)
        self.write_pool.setMaxThreadCount(1)  # one writer at a time: no two transactions race for the store
        self.jobs: list[Job] = []

    def run(
        self,
        func: Callable[[WorkerProgress], Any],
        done: Callable[[Any], None] | None = None,
        *,
        title: str = "Working",
        writes: bool = False,
        failed: Callable[[BaseException], None] | None = None,
        parent: QWidget | None = None,
    ) -> Job:
        """The job running `func(progress)`; `done(result)` or `failed(error)` is then called on the GUI thread.

        Without `failed`, a DdjError is shown as a message and anything else goes to the crash dialog.
        """
        job = Job(func, title, done, failed, parent, writes)
        job.ended.connect(lambda: self.jobs.remove(job) if job in self.jobs else None)
        if parent is not None:  # a page or dialog closed meanwhile: its answer has nowhere to go
            parent.destroyed.connect(job.discard)
        self.jobs.append(job)
        self.started.emit(job)
        (self.write_pool if writes else self.read_pool).start(job.task)
        return job

    def busy(self) -> bool:
        return bool(self.jobs)

    def writing(self) -> list[Job]:
        """The running jobs that change the store (imports, link runs, saves)."""
        return [job for job in self.jobs if job.writes]

    def wait(self, msecs: int = -1) -> bool:
        """Whether both pools finished within `msecs` (used when quitting)."""
        return self.read_pool.waitForDone(msecs) and self.write_pool.waitForDone(msecs)


def report_error(err: BaseException, parent: QWidget | None = None) -> None:
    """Nothing; a user-fixable error becomes a message, a cancel a log line, anything else the crash dialog."""
    if isinstance(err, Cancelled):
        log.info("Work cancelled")
    elif isinstance(err, DdjError):
        log.info("%s: %s", type(err).__name__, err.message)
        messages().error(parent, err)
    else:
        sys.excepthook(type(err), err, err.__traceback__)


class ProgressPanel(QWidget):
    """A progress bar, a status line and a Cancel button following one job at a time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job: Job | None = None
        self.label = QLabel()
        self.label.setAccessibleName("Progress message")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(220)
        self.bar.setAccessibleName("Progress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the running work")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def follow(self, job: Job) -> None:
        self.job = job
        self.label.setText(job.title)
        self.bar.setValue(0)
        self.cancel_button.setEnabled(True)
        job.progress.changed.connect(self._show)
        job.ended.connect(self._ended)
        self.show()

    @Slot(float, str)
    def _show(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(1000 * min(max(fraction, 0.0), 1.0)))
        if message:
            self.label.setText(message)

    def _ended(self) -> None:
        if self.job is not None and not self.job.running:
            self.job = None
            self.hide()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText("Cancelling...")
