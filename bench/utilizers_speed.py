"""Frequent-utilizer rule evaluation speed and memory: every shipped template on 1,000,000 events of 300,000
persons (synthetic, built directly as the columns the evaluation reads).

    python bench/utilizers_speed.py                               # 1,000,000 events / 300,000 persons
    python bench/utilizers_speed.py --events 200000 --persons 60000
    python bench/utilizers_speed.py --from-store                  # also: load the events from an encrypted store

Prints, per template: the best of --repeat runs in wall and CPU seconds (with explanations for everyone listed),
people listed, and the peak memory one evaluation allocated (tracemalloc, numpy included, in a separate run); then
the process's peak RSS. Targets: < 2 s per
rule, < 1 GB. With --from-store it first writes the events into a fresh SQLCipher store (a minute or two) and
times the one query that loads them (what the Workspace does once, then caches).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ddj_desktop.utilizers import evaluate, load_rule, templates  # noqa: E402
from ddj_desktop.utilizers.events import BLANK, Categorical, EventTable, day_number  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
SOURCES = ["jail", "police", "ems", "ed", "bh", "shelter", "court", "probation"]
SOURCE_SHARE = [0.16, 0.13, 0.17, 0.29, 0.10, 0.06, 0.06, 0.03]
EVENT_TYPES = ["booking", "call_for_service", "ems_response", "ed_visit", "bh_service", "hmis_enrollment",
               "court_case", "supervision"]
# How long an event lasts, in days (low, high) per source.
DURATION = {"jail": (0, 60), "police": (0, 0), "ems": (0, 0), "ed": (0, 1), "bh": (0, 7), "shelter": (1, 120),
            "court": (30, 400), "probation": (180, 1100)}


def synthetic_events(events: int, persons: int, seed: int = 1) -> EventTable:
    """`events` events of `persons` people over five years; a few people have many events (Zipf-like)."""
    rng = np.random.default_rng(seed)
    # Person of each event: a heavy tail, so that some hundreds of people cross the templates' thresholds.
    weights = 1.0 / np.arange(1, persons + 1) ** 0.55
    person = rng.choice(persons, size=events, p=weights / weights.sum()).astype(np.int32)
    person[:persons] = np.arange(persons)  # everyone has at least one event
    source = rng.choice(len(SOURCES), size=events, p=SOURCE_SHARE).astype(np.int16)
    first_day = day_number(AS_OF) - 5 * 365 - 30
    start = (first_day + rng.integers(0, 5 * 365 + 30, size=events)).astype(np.int32)
    low = np.array([DURATION[s][0] for s in SOURCES])[source]
    high = np.array([DURATION[s][1] for s in SOURCES])[source]
    end = (start + low + (rng.random(events) * (high - low + 1)).astype(np.int32)).astype(np.int32)
    end[(rng.random(events) < 0.05) & np.isin(source, [0, 7])] = BLANK  # still in custody / on probation
    end[source == 1] = BLANK  # 911 calls have no end

    def attribute(values: list[str], p: list[float], only: list[int] | None = None) -> Categorical:
        codes = rng.choice(len(values), size=events, p=p).astype(np.int32)
        if only is not None:
            codes[~np.isin(source, only)] = -1
        return Categorical(codes, values)

    # Frequent people are more often homeless: tie the flag to the person's number (small = frequent).
    homeless = np.where(rng.random(events) < np.where(person < persons // 20, 0.6, 0.1), 0, 1).astype(np.int32)
    return EventTable(
        record_id=np.arange(1, events + 1, dtype=np.int64),
        person=person,
        person_ids=np.arange(1, persons + 1, dtype=np.int64),
        source=source,
        source_names=list(SOURCES),
        event_type=Categorical(source.astype(np.int32), list(EVENT_TYPES)),
        start=start,
        end=end,
        attributes={
            "homeless": Categorical(homeless, ["true", "false"]),
            "serious_mental_illness": attribute(["true", "false"], [0.2, 0.8]),
            "substance_use": attribute(["true", "false"], [0.3, 0.7]),
            "charge_level": attribute(["felony", "misdemeanor", "citation", "other"], [0.3, 0.45, 0.15, 0.1],
                                      [0, 6]),
            "booking_type": attribute(["booking", "citation", "arrest", "hold"], [0.6, 0.1, 0.2, 0.1], [0]),
            "service_type": attribute(["detox", "crisis", "outpatient", "inpatient", "piip"],
                                      [0.2, 0.2, 0.45, 0.1, 0.05], [4]),
            "disposition": attribute(["cit", "arr", "adv", "goa", "rpt"], [0.12, 0.15, 0.25, 0.2, 0.28], [1]),
        },
    )


def evaluate_all(table: EventTable, repeat: int) -> list[tuple[str, float, float, int, int, float]]:
    """Per template: (key, best wall seconds, its CPU seconds, listed, meeting the criteria, peak MB allocated)."""
    rows = []
    for info in templates():
        rule = load_rule(info.key)
        best = (float("inf"), 0.0)
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            result = evaluate(rule, table, AS_OF)
            best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
        tracemalloc.start()  # a separate run: tracing slows numpy's allocations down
        evaluate(rule, table, AS_OF)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append((info.key, *best, len(result.people), result.candidates, peak / 2**20))
    return rows


def load_from_store(table: EventTable) -> None:
    """Write `table` into a fresh encrypted store, then time the one query that loads it back."""
    from sqlalchemy import text

    from ddj_desktop.utilizers.events import day_date, load_events, store_fingerprint
    from ddj_desktop.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="ddj-bench-") as folder:
        started = time.perf_counter()
        ws = Workspace.create(Path(folder) / "bench.ddj", "bench passphrase", admin_name="bench")
        with ws.store.session() as session:
            for name in table.source_names:
                session.execute(text("INSERT INTO source (name, display_name, created_at) VALUES (:n, :n, '')"),
                                {"n": name})
            session.execute(text("INSERT INTO import_batch (id, source_id, file_name, file_sha256, user_name, "
                                 "imported_at, rows_read, rows_imported, rows_updated, rows_duplicate, rows_rejected, "
                                 "rows_skipped, skipped, notes) VALUES (1, 1, 'bench', '', 'bench', '', 0, 0, 0, 0, "
                                 "0, 0, '{}', '[]')"))
            raw = session.connection().connection.driver_connection
            raw.executemany("INSERT INTO person (id, created_at) VALUES (?, '')",
                            ((int(p),) for p in table.person_ids))
            attrs = table.attributes
            import json

            def rows():
                for i in range(len(table)):
                    values = {k: c.values[c.codes[i]] for k, c in attrs.items() if c.codes[i] >= 0}
                    end = table.end[i]
                    yield (int(table.record_id[i]), int(table.source[i]) + 1, f"K{i}",
                           table.event_type.values[table.event_type.codes[i]], day_date(table.start[i]).isoformat(),
                           None if end == BLANK else day_date(end).isoformat(), json.dumps(values),
                           int(table.person_ids[table.person[i]]))

            raw.executemany(
                "INSERT INTO record (id, source_id, batch_id, source_key, event_type, event_start, event_end, "
                "attributes, raw, person_id) VALUES (?, ?, 1, ?, ?, ?, ?, ?, '{}', ?)", rows())
        print(f"wrote {len(table):,} records into an encrypted store in {time.perf_counter() - started:.0f} s")
        keys = set().union(*(load_rule(t.key).attribute_keys() for t in templates()))
        with ws.store.reading() as session:
            started, cpu = time.perf_counter(), time.process_time()
            store_fingerprint(session)
            print(f"store_fingerprint (is the cache stale?): {time.perf_counter() - started:.2f} s")
            started, cpu = time.perf_counter(), time.process_time()
            loaded = load_events(session, keys)
            print(f"load_events ({len(keys)} attributes): {time.perf_counter() - started:.2f} s wall, "
                  f"{time.process_time() - cpu:.2f} s CPU for {len(loaded):,} events / {loaded.persons:,} persons "
                  "(once; the Workspace keeps them until the store fingerprint changes)")
        ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per rule; the best is shown (default 3)")
    parser.add_argument("--from-store", action="store_true", help="also time loading the events from a store")
    args = parser.parse_args()

    started = time.perf_counter()
    table = synthetic_events(args.events, args.persons)
    print(f"synthetic events: {len(table):,} events / {table.persons:,} persons, built in "
          f"{time.perf_counter() - started:.1f} s; as of {AS_OF.isoformat()}")
    print(f"{'template':<16} {'wall s':>8} {'cpu s':>8} {'listed':>8} {'meeting':>8} {'peak MB':>8}")
    for key, seconds, cpu, listed, meeting, peak in evaluate_all(table, args.repeat):
        flag = "" if seconds < 2 else "  (over the 2 s target)"
        print(f"{key:<16} {seconds:>8.3f} {cpu:>8.3f} {listed:>8,} {meeting:>8,} {peak:>8.0f}{flag}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS of this process: {rss:.0f} MB (target < 1024 MB)")
    if args.from_store:
        load_from_store(table)
        print(f"peak RSS after the store round trip: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
