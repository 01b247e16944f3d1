"""How fast the encrypted store itself takes imported records, whatever reads and normalizes them: the floor
under the import's csv target (issue 3: >= 100,000 rows/s).

    python bench/sqlcipher_floor.py                   # the csv exports of the ~1,000,000-row county (488k rows)
    python bench/sqlcipher_floor.py --people 20000    # a quicker look

The csv exports of the generated county (bench/import_speed.py's, generated there if missing) are prepared once
(read and normalized, not timed), then their record rows are inserted into a new store, in one transaction with
the import's own statements, page cache and commit, four ways:

- as the import writes them (foreign keys checked, the record table's indexes kept up as rows go in);
- without foreign-key checks (the import could not: SQLite refuses to switch them inside a transaction);
- with the indexes built after the rows instead of kept up (one sort per index);
- with empty JSON for the rows' attributes and originals (what the rows would cost without them).

Rows/s are wall time on an otherwise quiet machine; CPU seconds are printed beside them.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_speed import county  # noqa: E402
from ddj_desktop.demo import SAMPLE_IMPORTS  # noqa: E402
from ddj_desktop.importing import pipeline  # noqa: E402

SECONDARY_INDEXES = {"ix_record_person": "person_id", "ix_record_dob": "dob", "ix_record_last_name": "last_name"}


def prepared_rows(folder: Path) -> list[tuple]:
    """The record rows of the county's csv exports, each key once (keys repeat across agencies)."""
    rows: list[tuple] = []
    for _source, names in SAMPLE_IMPORTS:
        if all(not n.endswith(".xlsx") for n in names):
            for table in pipeline.prepare_files([folder / n for n in names]):
                rows += table.rows
    seen: set[str] = set()
    return [r for r in rows if r[0] not in seen and not seen.add(r[0])]  # type: ignore[func-returns-value]


def insert(rows: list[tuple], variant: str) -> tuple[float, float]:
    """Wall and CPU seconds to insert `rows` into a new store and commit, the `variant` way."""
    from sqlalchemy import event

    from ddj_desktop.store.models import ImportBatch, Source
    from ddj_desktop.workspace import Workspace

    with tempfile.TemporaryDirectory() as scratch:
        ws = Workspace.create(Path(scratch) / "floor.ddj", "bench passphrase", admin_name="bench")
        if variant == "no foreign-key checks":
            ws.store.engine.dispose()

            @event.listens_for(ws.store.engine, "connect")
            def _off(dbapi_con, _record):  # type: ignore[no-untyped-def]
                dbapi_con.execute("PRAGMA foreign_keys = OFF")

        if variant == "empty JSON":
            rows = [(*r[:-3], "{}", "{}", r[-1]) for r in rows]
        wall, cpu = time.perf_counter(), time.process_time()
        with ws.store.session() as session, pipeline.import_page_cache(session):
            session.add(Source(id=1, name="floor", display_name="floor", created_at="now"))
            session.flush()
            session.add(ImportBatch(id=1, source_id=1, file_name="f", file_sha256="0", user_name="bench",
                                    imported_at="now"))  # fmt: skip
            session.flush()
            con = session.connection()
            if variant == "indexes built after":
                for name in SECONDARY_INDEXES:
                    con.exec_driver_sql(f"DROP INDEX {name}")
            statement = pipeline._INSERT_RECORD.format(source_id=1, batch_id=1)
            for start in range(0, len(rows), pipeline.CHUNK):
                chunk = rows[start : start + pipeline.CHUNK]
                con.exec_driver_sql(pipeline._INSERT_PERSONS, (start + 1, start + len(chunk), "now"))
                con.exec_driver_sql(statement, [(*r, start + 1 + n) for n, r in enumerate(chunk)])
            if variant == "indexes built after":
                for name, column in SECONDARY_INDEXES.items():
                    con.exec_driver_sql(f"CREATE INDEX {name} ON record ({column})")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ws.close()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=180_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    gc.disable()  # as the import does while it writes
    rows = prepared_rows(county(args.people, args.seed))
    print(f"{len(rows):,} record rows of the csv exports ({args.people:,} people), into a new store, one transaction")
    print(f"{'variant':<26} {'seconds':>8} {'CPU s':>7} {'rows/s':>9}")
    for variant in ("as the import writes", "no foreign-key checks", "indexes built after", "empty JSON"):
        wall, cpu = insert(rows, variant)
        print(f"{variant:<26} {wall:>8.2f} {cpu:>7.2f} {len(rows) / wall:>9,.0f}")
    print("target of the csv import (issue 3): 100,000 rows/s, reading and normalizing included")


if __name__ == "__main__":
    main()
