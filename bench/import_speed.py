"""Import speed and memory on the sample county scaled up, side by side with python-calamine's bare read.

    python bench/import_speed.py                      # ~1,000,000 rows (180,000 people), seed 1
    python bench/import_speed.py --people 20000       # a quicker look
    python bench/import_speed.py --workers 0          # every import in one process (the default is the
                                                      # application's own choice: worker processes for files
                                                      # of 8 MB and more, importing/parallel.py)

Generates the county once into /tmp/ddj-bench/county-<people>-<seed>/ (reused by later runs), then imports it
into a fresh encrypted store in a child process, one import per agency as an analyst would do it, and prints:
rows/s per import, the end-to-end time of the xlsx imports next to calamine's bare read of the same files
(target: within 2x), csv rows/s (target: >= 100,000), and the import process's peak memory (target < 1.5 GB).

The machine these run on is shared: wall seconds depend on what else runs, so CPU seconds are printed beside
them (the import process's and its workers'; the steadier figure to compare two versions by).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import operator
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ddj_desktop.demo import SAMPLE_IMPORTS  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "ddj-bench"


def county(people: int, seed: int) -> Path:
    """The generated county folder (made once).

    Generated into a folder of its own and renamed into place when whole: the machine is shared, and another
    run that finds the folder must not read files still being written (truth.csv, once the marker, is written
    first).
    """
    folder = CACHE / f"county-{people}-{seed}"
    if (folder / ".complete").exists():
        return folder
    spec = importlib.util.spec_from_file_location("sample_county", ROOT / "sample_workbooks" / "generate.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    started = time.perf_counter()
    partial = folder.with_name(f"{folder.name}.part-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    module.generate(partial, people=people, seed=seed)
    (partial / ".complete").touch()
    shutil.rmtree(folder, ignore_errors=True)  # a folder left by an older version of this bench, or half made
    os.replace(partial, folder)
    print(f"generated {folder} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return folder


def calamine_seconds(paths: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds python-calamine alone takes to read every sheet of `paths` into Python lists."""
    from python_calamine import CalamineWorkbook

    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        with CalamineWorkbook.from_path(str(path)) as book:
            for name in book.sheet_names:
                book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - started, time.process_time() - cpu


class _StageClock:
    """Wall and CPU seconds of the import process spent inside the wrapped functions: reading + normalizing
    (prepare_files), or waiting for the workers that do it (Workers._receive); the inserts (BatchWriter.add);
    the rest of an import is mostly its commit."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    def wrap(self, name: str, function):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = self.seconds.setdefault(name, [0.0, 0.0])
                spent[0] += time.perf_counter() - wall
                spent[1] += time.process_time() - cpu

        return timed

    def take(self) -> dict[str, list[float]]:
        taken, self.seconds = self.seconds, {}
        return taken


def child_import(folder: Path) -> None:
    """Import the county into a new store; print one JSON line per import."""
    from ddj_desktop.importing import parallel, pipeline
    from ddj_desktop.workspace import Workspace

    clock = _StageClock()
    pipeline.prepare_files = clock.wrap("prepare", pipeline.prepare_files)
    parallel.Workers._receive = clock.wrap("prepare", parallel.Workers._receive)
    pipeline.BatchWriter.add = clock.wrap("write", pipeline.BatchWriter.add)
    workers_used: list[int] = []
    count = parallel.worker_count
    parallel.worker_count = lambda *args: workers_used.append(count(*args)) or workers_used[-1]  # type: ignore[func-returns-value]
    memory = _TreeMemory()
    with tempfile.TemporaryDirectory() as scratch:
        ws = Workspace.create(Path(scratch) / "bench.ddj", "bench passphrase", admin_name="bench")
        # (getattr: so that this bench also runs on versions from before page sizes were chosen, to compare)
        print(json.dumps({"page_size": getattr(ws.store, "page_size", 4096)}), flush=True)
        for source, names in SAMPLE_IMPORTS:
            files = [folder / n for n in names]
            started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            batches = ws.import_files(files, source)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(json.dumps({
                "source": source, "files": names, "seconds": seconds, "cpu": cpu, "stages": clock.take(),
                "rows": sum(b.rows_read for b in batches), "imported": sum(b.imported for b in batches),
                "workers": workers_used[-1], "workers_cpu": _children_cpu() - children,
            }), flush=True)  # fmt: skip
        # Peak memory of the imports, before the floor below reads every record back.
        print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                          "worker_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                          "tree_peak_kb": memory.close()}), flush=True)  # fmt: skip
        print(json.dumps({"floor": sqlcipher_floor(ws, Path(scratch))}), flush=True)
        ws.close()


class _TreeMemory:
    """The largest resident memory of this process and its worker processes together, sampled every 0.1 s in a
    thread (Linux /proc): the workers' own peaks come at different times from the importing process's."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        me = os.getpid()
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        while not self.stop.wait(0.1):
            total = 0
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    stat = Path(entry.path, "stat").read_text()
                    parent = int(stat.rsplit(")", 1)[1].split()[1])
                    if int(entry.name) == me or parent == me:
                        total += int(Path(entry.path, "statm").read_text().split()[1]) * page_kb
                except (OSError, ValueError, IndexError):
                    continue
            self.peak_kb = max(self.peak_kb, total)

    def close(self) -> int:
        self.stop.set()
        self.thread.join()
        return self.peak_kb


def _children_cpu() -> float:
    """CPU seconds of the worker processes ended so far (an import joins its workers before it returns)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def sqlcipher_floor(ws, scratch: Path) -> dict:  # type: ignore[no-untyped-def]
    """Rows/s of SQLCipher alone inserting the record rows just imported (read back) into a new store, one
    transaction, the import's own statements and page cache: the floor under any import of these rows.

    Each row goes in under its own source and batch, as imported (keys are unique per source only: at a
    million rows, two agencies' keys do meet). Rows are streamed back a chunk at a time; only the inserts are
    timed.
    """
    import itertools

    from ddj_desktop.importing import pipeline
    from ddj_desktop.store.models import ImportBatch, Source
    from ddj_desktop.workspace import Workspace

    target = Workspace.create(scratch / "floor.ddj", "bench passphrase", admin_name="bench")
    seconds, count = 0.0, 0
    by_batch = operator.itemgetter(0, 1)
    # With the import's own page cache too (pipeline.import_page_cache), so that only the reading and
    # normalizing differ between the import and this floor.
    with ws.store.reading() as reading, target.store.session() as session, pipeline.import_page_cache(session):
        source = reading.connection()
        batches = source.exec_driver_sql("SELECT id, source_id FROM import_batch ORDER BY id").all()
        for source_id in sorted({s for _, s in batches}):
            session.add(Source(id=source_id, name=f"floor{source_id}", display_name="floor", created_at="now"))
        session.flush()
        for batch_id, source_id in batches:
            session.add(ImportBatch(id=batch_id, source_id=source_id, file_name="f", file_sha256="0", user_name="b",
                                    imported_at="now"))  # fmt: skip
        session.flush()
        con = session.connection()
        cursor = source.exec_driver_sql(
            f"SELECT source_id, batch_id, {', '.join(pipeline.RECORD_COLUMNS)} FROM record ORDER BY id"
        )
        while rows := cursor.fetchmany(pipeline.CHUNK):
            groups = [(key, [tuple(r)[2:] for r in group]) for key, group in itertools.groupby(rows, by_batch)]
            started = time.perf_counter()
            for (source_id, batch_id), chunk in groups:
                insert = pipeline._INSERT_RECORD.format(source_id=source_id, batch_id=batch_id)
                con.exec_driver_sql(pipeline._INSERT_PERSONS, (count + 1, count + len(chunk), "now"))
                con.exec_driver_sql(insert, [(*r, count + 1 + n) for n, r in enumerate(chunk)])
                count += len(chunk)
            seconds += time.perf_counter() - started
        started = time.perf_counter()
    seconds += time.perf_counter() - started  # the commit
    target.close()
    return {"rows": count, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=180_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, help="worker processes per import (0: one process); default: the "
                        "application's own choice")  # fmt: skip
    parser.add_argument("--child-import", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(args.child_import)
        return

    folder = county(args.people, args.seed)
    started = time.perf_counter()
    env = dict(os.environ)
    if args.workers is not None:
        env["DDJ_IMPORT_WORKERS"] = str(args.workers)
    child = subprocess.run([sys.executable, __file__, "--child-import", str(folder)], capture_output=True, text=True,
                           env=env)  # fmt: skip
    wall = time.perf_counter() - started
    if child.returncode != 0:
        # What the child got through, then why it stopped (its traceback), instead of a bare CalledProcessError.
        sys.stderr.write(child.stdout)
        sys.stderr.write(child.stderr)
        sys.exit(f"the import child exited with {child.returncode} after {wall:.0f} s (its output is above)")
    results = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
    floor = next(r["floor"] for r in results if "floor" in r)
    page_size = next(r["page_size"] for r in results if "page_size" in r)
    peak_mb = next(r["peak_kb"] for r in results if "peak_kb" in r) / 1024  # Linux: kilobytes
    worker_peak_mb = next(r["worker_peak_kb"] for r in results if "peak_kb" in r) / 1024
    tree_peak_mb = next(r["tree_peak_kb"] for r in results if "peak_kb" in r) / 1024
    results = [r for r in results if "source" in r]

    total_rows = sum(r["rows"] for r in results)
    print(f"sample county: {args.people:,} people, seed {args.seed}, {total_rows:,} rows in {len(results)} imports "
          f"into a store of {page_size // 1024} KiB pages")  # fmt: skip
    print("seconds wall / CPU of the import process: the whole import; 'read+normalize' (prepare_files, or waiting "
          "for the worker processes that do it), 'insert' (BatchWriter.add), 'commit etc.' (the rest); 'workers': "
          "how many, and their CPU seconds")
    print(f"{'source':<10} {'kind':<5} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'CPU s':>8} "
          f"{'read+normalize':>15} {'insert':>12} {'commit etc.':>12} {'workers':>14}")  # fmt: skip
    stage_totals = {"prepare": [0.0, 0.0], "write": [0.0, 0.0], "rest": [0.0, 0.0]}
    xlsx_seconds = xlsx_cpu = csv_seconds = csv_cpu = 0.0
    xlsx_files: list[Path] = []
    csv_rows = 0
    for r in results:
        is_xlsx = any(n.endswith(".xlsx") for n in r["files"])
        kind = "xlsx" if is_xlsx else "csv"
        stages = {name: r["stages"].get(name, [0.0, 0.0]) for name in ("prepare", "write")}
        stages["rest"] = [r["seconds"] - stages["prepare"][0] - stages["write"][0],
                          r["cpu"] - stages["prepare"][1] - stages["write"][1]]  # fmt: skip
        for name, (wall_s, cpu_s) in stages.items():
            stage_totals[name][0] += wall_s
            stage_totals[name][1] += cpu_s
        shown = " ".join(f"{w:>6.2f}/{c:<5.2f}".rjust(width) for (w, c), width in zip(stages.values(), (15, 12, 12)))
        print(f"{r['source']:<10} {kind:<5} {r['rows']:>9,} {r['seconds']:>8.2f} {r['rows'] / r['seconds']:>9,.0f} "
              f"{r['cpu']:>8.2f} {shown} {r['workers']:>4} {r['workers_cpu']:>8.2f}s")  # fmt: skip
        if is_xlsx:
            xlsx_seconds += r["seconds"]
            xlsx_cpu += r["cpu"] + r["workers_cpu"]
            xlsx_files += [folder / n for n in r["files"] if n.endswith(".xlsx")]
        else:
            csv_seconds += r["seconds"]
            csv_cpu += r["cpu"] + r["workers_cpu"]
            csv_rows += r["rows"]
    bare, bare_cpu = calamine_seconds(xlsx_files)
    shown = " ".join(f"{w:>6.2f}/{c:<5.2f}".rjust(width) for (w, c), width in zip(stage_totals.values(), (15, 12, 12)))
    all_seconds, all_cpu = sum(r["seconds"] for r in results), sum(r["cpu"] for r in results)
    workers_cpu = sum(r["workers_cpu"] for r in results)
    print(f"{'total':<16} {total_rows:>9,} {all_seconds:>8.2f} {total_rows / all_seconds:>9,.0f} {all_cpu:>8.2f} {shown}"
          f" {workers_cpu:>13.2f}s")  # fmt: skip
    print()
    print(f"all imports:      {total_rows / sum(r['seconds'] for r in results):>10,.0f} rows/s "
          f"({wall:.1f} s wall, including store creation)")  # fmt: skip
    print(f"xlsx imports:     {xlsx_seconds:>10.2f} s end to end | python-calamine bare read of the same files: "
          f"{bare:.2f} s | ratio {xlsx_seconds / bare:.2f} (target <= 2.0)")  # fmt: skip
    print(f"  in CPU seconds: {xlsx_cpu:>10.2f} s of the import process and its workers | calamine: {bare_cpu:.2f} s "
          f"| ratio {xlsx_cpu / bare_cpu:.2f}")  # fmt: skip
    print(f"csv imports:      {csv_rows / csv_seconds:>10,.0f} rows/s (target >= 100,000); "
          f"{csv_rows / csv_cpu:,.0f} rows per CPU-second of the import process and its workers")  # fmt: skip
    print(f"SQLCipher alone:  {floor['rows'] / floor['seconds']:>10,.0f} rows/s inserting the same {floor['rows']:,} "
          "record rows into a new store (the floor under any import)")  # fmt: skip
    print(f"peak memory:      {tree_peak_mb:>10,.0f} MB the import process and its workers together (target < 1,536 MB);"
          f" alone: {peak_mb:,.0f} MB the import process, {worker_peak_mb:,.0f} MB its largest worker")  # fmt: skip


if __name__ == "__main__":
    main()
