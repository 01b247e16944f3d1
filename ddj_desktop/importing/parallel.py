"""A large import read and normalized by worker processes while the importing process writes.

Each worker reads the files itself (sending it a million rows would cost more than reading them again), finds
the same tables, maps them with the same profile, takes the whole-column decisions from every row
(`pipeline.decide_columns`), and normalizes its share of each table's runs: run i goes to worker i % workers.
The importing process writes the runs in row order as they come, inside the import's one transaction, so the
records, problems and counts are those of a one-process import, and a worker's error, a cancel or a crash leaves
the store as it was. Workers are spawned (not forked: Windows has no fork, and the desktop runs Qt threads) and
talk over pipes only: no file holds a record on the way.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddj_desktop import errors
from ddj_desktop.errors import DdjError
from ddj_desktop.importing import mapping, pipeline
from ddj_desktop.importing.model import Table
from ddj_desktop.progress import NullProgress, Progress, check_cancelled

RUN_ROWS = 20_000  # rows normalized and sent at once
MIN_BYTES = 8 << 20  # smaller imports run in one process: starting workers costs about half a second
MAX_WORKERS = 4  # each worker reads the whole file again; more would spend more on reading than they save
WORKERS_VARIABLE = "DDJ_IMPORT_WORKERS"  # a number of workers to use whatever the size (0: one process)
POLL_SECONDS = 0.5


class WorkerBug(RuntimeError):
    """A worker process failed on something that is not the input's fault (a bug), or ended unexpectedly."""


def worker_count(files: list[Path], wanted: int | None = None) -> int:
    """How many workers to import `files` with: `wanted` if given, else WORKERS_VARIABLE's number if set; else
    none (one process) for small files or a one-core machine; else one fewer than the cores, but two on two
    cores, and at most MAX_WORKERS. (On 2 cores the importing process and two workers share them: the 1M-row
    county's nine imports, bench/import_speed.py, 71 s with --workers 0, 52 s with two.)"""
    if wanted is not None:
        return wanted
    variable = os.environ.get(WORKERS_VARIABLE, "").strip()
    if variable.isdigit():
        return int(variable)
    if multiprocessing.current_process().daemon:  # a daemonic process may not start others
        return 0
    cores = os.cpu_count() or 1
    size = sum(f.stat().st_size for f in files if f.is_file())
    return 0 if cores < 2 or size < MIN_BYTES else max(2, min(cores - 1, MAX_WORKERS))


@dataclass
class Plan:
    """What the first worker tells the importing process before any record: each table's batch head and header."""

    heads: list[pipeline.TableHead]
    headers: list[list[str]]
    runs: list[int]  # how many runs each table comes in


def _runs(table: Table, run_rows: int) -> int:
    return -(-len(table.rows) // run_rows)


def _work(
    files: list[Path], sheet: str | None, profile: mapping.MappingProfile | None,
    earlier: list[mapping.MappingProfile], share: int, workers: int, run_rows: int,
    conn: multiprocessing.connection.Connection,
) -> None:  # fmt: skip
    """A worker: read, map and decide as every worker does; normalize runs share, share + workers, ...; send them."""
    try:
        with pipeline.collector_paused():
            tables = pipeline.read_tables(files, sheet, NullProgress())
            bound = []
            for table in tables:
                chosen, origin = pipeline.choose_profile(table, profile, earlier)
                bound.append((mapping.bind_profile(chosen, table.header, table.label), origin))
            decisions = [pipeline.decide_columns(t, b) for t, (b, _) in zip(tables, bound)]
            if share == 0:
                heads = [
                    pipeline.TableHead(
                        t.label, t.source.sheet, pipeline.sha256_of(t.source.file), b.profile, origin,
                        len(t.rows) + len(t.skipped), t.skipped_counts(), [*t.source.notes, *d.notes],
                    )
                    for t, (b, origin), d in zip(tables, bound, decisions)
                ]  # fmt: skip
                conn.send(Plan(heads, [t.header for t in tables], [_runs(t, run_rows) for t in tables]))
            # Only this worker's runs are kept: the rest of each table, and the sheets as read, are let go.
            shares = [
                [Table(t.source, t.header, t.header_row_number, t.rows[run * run_rows : (run + 1) * run_rows])
                 for run in range(share, _runs(t, run_rows), workers)]
                for t in tables
            ]  # fmt: skip
            for table in tables:
                table.rows = []
                table.source.rows = []
            del tables
            for index, ((b, _), d, parts) in enumerate(zip(bound, decisions, shares)):
                for k, run in enumerate(range(share, share + workers * len(parts), workers)):
                    rows, numbers, skipped, problems, _ = pipeline.normalize_table(parts[k], b, d)
                    parts[k] = None  # type: ignore[call-overload]
                    conn.send((index, run, rows, numbers, skipped, problems))
        conn.send(None)
    except DdjError as err:
        conn.send(("error", type(err).__name__, err.message, err.hint))
    except BaseException as err:
        conn.send(("bug", _bug_text(err)))
    finally:
        conn.close()


def _bug_text(err: BaseException) -> str:
    """Where a worker failed: the exception's type and the frames, never its message (it may quote a cell)."""
    frames = "".join(traceback.format_list(traceback.extract_tb(err.__traceback__)))
    return f"{type(err).__name__} in an import worker\n{frames}"


class Workers:
    """The worker processes of one import; use as a context manager (they are stopped when it ends)."""

    def __init__(
        self, files: list[Path], sheet: str | None, profile: mapping.MappingProfile | None,
        earlier: list[mapping.MappingProfile], count: int, progress: Progress,
    ) -> None:  # fmt: skip
        self.progress = progress  # checked for a cancel while waiting, too (reading a large file takes a while)
        context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = []
        self.conns: list[multiprocessing.connection.Connection] = []
        for share in range(count):
            ours, theirs = context.Pipe(duplex=False)
            process = context.Process(
                target=_work, args=(files, sheet, profile, earlier, share, count, RUN_ROWS, theirs), daemon=True,
                name=f"ddj-import-{share}",
            )  # fmt: skip
            process.start()
            theirs.close()
            self.processes.append(process)
            self.conns.append(ours)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join(5)

    def _receive(self, share: int) -> Any:
        conn, process = self.conns[share], self.processes[share]
        while not conn.poll(POLL_SECONDS):
            check_cancelled(self.progress)
            if not process.is_alive() and not conn.poll(0):
                raise WorkerBug(f"An import worker ended unexpectedly (exit code {process.exitcode}).")
        try:
            message = conn.recv()
        except (EOFError, OSError):  # it died before or while sending ("got end of file during message")
            process.join(5)
            raise WorkerBug(f"An import worker ended unexpectedly (exit code {process.exitcode}).") from None
        if isinstance(message, tuple) and message and message[0] == "error":
            raise errors.rebuild(*message[1:])
        if isinstance(message, tuple) and message and message[0] == "bug":
            raise WorkerBug(message[1])
        return message

    def plan(self) -> Plan:
        """The tables to come (the first worker's message: files read, profiles chosen and bound)."""
        plan = self._receive(0)
        if not isinstance(plan, Plan):
            raise WorkerBug("An import worker sent records before its plan.")
        self.plan_ = plan
        return plan

    def runs(self, index: int) -> Iterator[tuple[list[tuple], list[int], Counter[str], list[pipeline.Problem]]]:
        """Table `index`'s runs in row order: (records, row numbers, rows skipped, problems)."""
        for run in range(self.plan_.runs[index]):
            message = self._receive(run % len(self.processes))
            if message is None or message[:2] != (index, run):
                raise WorkerBug(f"An import worker sent run {message and message[:2]} where ({index}, {run}) was due.")
            yield message[2:]
