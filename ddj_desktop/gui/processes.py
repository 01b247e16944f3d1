"""Long store work in a child process, so the window never waits for Python's lock.

Reading a workbook (a Rust parser), a full garbage collection over a million rows, or a numpy sort in the link
run can hold the interpreter lock for seconds; on a thread that freezes the window as surely as running it on the
GUI thread would. `call_in_process` opens the same store in a spawned child process, calls one Workspace method
there and relays its progress, cancellation, result and errors. It runs on a worker thread (gui/workers.py),
which only waits on a pipe, so the one-writer-at-a-time rule of the write pool still holds.

No Qt here: the child imports only the core. The passphrase travels over the pipe, never on a command line or in
the environment.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddj_desktop import errors
from ddj_desktop.errors import Cancelled, DdjError
from ddj_desktop.progress import Progress

POLL_SECONDS = 0.1
PROGRESS_EVERY = 0.05  # seconds between progress messages from the child


@dataclass(frozen=True)
class StoreKey:
    """What a child process needs to open the store as the same user."""

    path: Path
    passphrase: str
    user: str | None = None
    password: str | None = None


class ChildProcessBug(RuntimeError):
    """The child process hit a bug; the message is its traceback (frames and exception class, no data)."""


class _PipeProgress:
    """The child's Progress: reports go up the pipe (a few per second), cancellation comes down as an event."""

    def __init__(self, conn: multiprocessing.connection.Connection, cancel: Any) -> None:
        self.conn, self.cancel = conn, cancel
        self.last = 0.0

    def update(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY or fraction >= 1.0:
            self.last = now
            self.conn.send(("progress", float(fraction), message))
        if self.cancel.is_set():
            raise Cancelled()

    def cancelled(self) -> bool:
        return bool(self.cancel.is_set())


def _bug_report(err: BaseException) -> str:
    """The traceback's frames and the exception's class; its message only if it is ours (no cell values)."""
    frames = "".join(traceback.format_tb(err.__traceback__))
    kind = type(err)
    ours = kind.__module__.startswith("ddj_desktop")
    headline = f"{kind.__name__}: {err}" if ours else f"{kind.__module__}.{kind.__name__}"
    return f"In the worker process:\nTraceback (most recent call last):\n{frames}{headline}"


def _lower_priority() -> None:
    """Run this process below normal priority: on a busy laptop the window, not the background work, gets the CPU
    first (the link run's comparisons use every core)."""
    try:
        if sys.platform == "win32":
            import ctypes

            BELOW_NORMAL_PRIORITY_CLASS = 0x4000
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), BELOW_NORMAL_PRIORITY_CLASS)
        else:
            import os

            os.nice(5)
    except (OSError, AttributeError):
        pass  # not allowed here: run at normal priority


def _child(key: StoreKey, method: str, args: tuple, kwargs: dict, conn: Any, cancel: Any) -> None:
    """The child process: open the store, call `method`, send back ("done", result) or ("failed", ...)."""
    from ddj_desktop.workspace import Workspace

    _lower_priority()
    try:
        ws = Workspace.open(key.path, key.passphrase, user=key.user, password=key.password)
        try:
            result = getattr(ws, method)(*args, progress=_PipeProgress(conn, cancel), **kwargs)
            conn.send(("progress", 1.0, "Saved"))  # the method's transaction is committed
        finally:
            ws.close()
        conn.send(("progress", 1.0, "Closing"))
        conn.send(("done", result))
    except DdjError as err:
        conn.send(("error", type(err).__name__, err.message, err.hint))
    except BaseException as err:
        conn.send(("bug", _bug_report(err)))
    finally:
        conn.close()


def call_in_process(key: StoreKey, method: str, *args: Any, progress: Progress, **kwargs: Any) -> Any:
    """`Workspace.<method>(*args, progress=..., **kwargs)` run in a child process on the store `key` opens."""
    context = multiprocessing.get_context("spawn")  # never fork a process that runs Qt threads
    ours, theirs = context.Pipe(duplex=False)
    cancel = context.Event()
    # Not daemonic: a large import starts worker processes of its own (importing/parallel.py), which a daemonic
    # process may not. It is still never left behind: the finally below joins it, then terminates it.
    child = context.Process(target=_child, args=(key, method, args, kwargs, theirs, cancel), daemon=False,
                            name=f"ddj-{method}")
    child.start()
    theirs.close()
    try:
        while True:
            if progress.cancelled():
                cancel.set()
            if not ours.poll(POLL_SECONDS):
                if not child.is_alive() and not ours.poll(0):
                    raise ChildProcessBug(f"The worker process ended unexpectedly (exit code {child.exitcode}).")
                continue
            try:
                message = ours.recv()
            except EOFError:
                child.join(5)
                raise ChildProcessBug(f"The worker process ended unexpectedly (exit code {child.exitcode}).") from None
            kind = message[0]
            if kind == "progress":
                try:
                    progress.update(message[1], message[2])
                except Cancelled:
                    cancel.set()  # the child stops at its next progress report and rolls back
            elif kind == "done":
                return message[1]
            elif kind == "error":
                raise errors.rebuild(message[1], message[2], message[3])
            else:
                raise ChildProcessBug(message[1])
    finally:
        ours.close()
        child.join(30)
        if child.is_alive():
            child.terminate()


def freeze_support() -> None:
    """In a frozen build, let a spawned child run `_child` instead of the application (call first in main)."""
    if getattr(sys, "frozen", False):
        multiprocessing.freeze_support()
