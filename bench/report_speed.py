"""Council-report speed and memory on a large synthetic county (target: < 10 s and < 1 GB peak for 1,000,000
records of 300,000 people).

    python bench/report_speed.py                         # 1,000,000 records / 300,000 persons
    python bench/report_speed.py --records 100000 --persons 30000
    python bench/report_speed.py --rule denver_sib       # the cohort under another rule (default: generic_ddj)

Each run writes the report twice, without a frequent-utilizer rule and with one (the cohort is found in the same
pass over the records), and prints both. CPU time is printed beside wall time: on a machine shared with other work
the wall time says more about the neighbours than about the report.

The store is synthesized straight into an encrypted store with executemany (made once under
/tmp/ddj-bench/report-<records>-<persons>.ddj, reused by later runs): eight sources, five years of events, a person
ID on every record, jail stays with releases, SMI and homeless flags, race, sex and birth year. The report (PDF and
open-data xlsx) is then written in a child process, whose wall time and peak memory (ru_maxrss) are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = Path(tempfile.gettempdir()) / "ddj-bench"
PASSPHRASE = "bench report passphrase"
SOURCES = ("jail", "police", "ems", "ed", "bh", "shelter", "court", "probation")
WEIGHTS = (0.14, 0.14, 0.16, 0.26, 0.1, 0.06, 0.08, 0.06)
RACES = ("white", "white", "white", "black_af_american", "hispanic_latinaeo", "am_ind_ak_native", "asian", None)
END = dt.date(2026, 6, 30)


def build_store(path: Path, records: int, persons: int, seed: int = 1) -> None:
    from ddj_desktop.governance import users
    from ddj_desktop.workspace import Workspace, ensure_source

    started = time.perf_counter()
    rng = random.Random(seed)
    ws = Workspace.create(path, PASSPHRASE, admin_name="bench")
    try:
        with ws.store.session() as session:
            ids = {name: ensure_source(session, name).id for name in SOURCES}
            conn = session.connection().connection.dbapi_connection
            now = users.now()
            conn.executemany("INSERT INTO person (id, created_at) VALUES (?, ?)",
                             ((p, now) for p in range(1, persons + 1)))
            batch = {}
            for name, sid in ids.items():
                cur = conn.execute(
                    "INSERT INTO import_batch (source_id, file_name, file_sha256, user_name, imported_at, rows_read, "
                    "rows_imported, rows_updated, rows_duplicate, rows_rejected, rows_skipped, skipped, notes) "
                    "VALUES (?, ?, ?, 'bench', ?, 0, 0, 0, 0, 0, 0, '{}', '[]')",
                    (sid, f"{name}.csv", "0" * 64, now))
                batch[name] = cur.lastrowid
            # Each person's fixed traits; a heavy-tailed number of contacts (a few people have very many).
            traits = [(rng.choice(RACES), rng.choice(("female", "male")), rng.randint(1945, 2006),
                       rng.random() < 0.2, rng.random() < 0.25) for _ in range(persons)]
            span = (END - dt.date(2021, 7, 1)).days

            def rows():  # type: ignore[no-untyped-def]
                for n in range(records):
                    person = int(persons * rng.random() ** 2.2)  # skewed: low numbers are frequent utilizers
                    race, sex, born, smi, homeless = traits[person]
                    source = rng.choices(SOURCES, WEIGHTS)[0]
                    start = dt.date(2021, 7, 1) + dt.timedelta(days=rng.randrange(span))
                    stay = source in ("jail", "shelter", "bh", "court", "probation")
                    end = start + dt.timedelta(days=int(rng.expovariate(1 / 20))) if stay and rng.random() > 0.03 \
                        else (start if not stay else None)
                    attributes = json.dumps({"serious_mental_illness": smi, "homeless": homeless,
                                             "charge_level": "misdemeanor"} if source == "jail" else
                                            {"serious_mental_illness": smi} if source == "bh" else {})
                    yield (ids[source], batch[source], f"{source[:2].upper()}{n:09d}", race,
                           "hispanic" if race == "hispanic_latinaeo" else None, sex, born,
                           start.isoformat() + ("T10:00:00" if not stay else ""),
                           end.isoformat() if end else None, attributes, person + 1)

            conn.executemany(
                "INSERT INTO record (source_id, batch_id, source_key, race, ethnicity, sex, dob_year, event_start, "
                "event_end, attributes, raw, person_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)", rows())
    finally:
        ws.close()
    print(f"synthesized {records:,} records of {persons:,} persons into {path} in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)


def child(path: Path, out: Path, rule: str | None) -> None:
    from ddj_desktop.workspace import Workspace

    ws = Workspace.open(path, PASSPHRASE)
    try:
        ws.set_report_settings(county="Bench County", cost_per_day={"jail": 112.5, "shelter": 38.0},
                               population={"white": 600000, "black": 90000, "hispanic": 250000,
                                           "am_ind_ak_native": 20000, "asian": 40000})
        started, cpu = time.perf_counter(), time.process_time()
        summary = ws.council_report(out / "report.pdf", xlsx=out / "report.xlsx", rule=rule)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        ws.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_bytes": peak, "pages": summary.pages,
                      "hidden_small": summary.hidden_small, "hidden_complementary": summary.hidden_complementary}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=300_000)
    parser.add_argument("--rule", default="generic_ddj", help="the frequent-utilizer rule of the second run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.rule or None)
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    store = CACHE / f"report-{args.records}-{args.persons}.ddj"
    if not store.exists():
        build_store(store, args.records, args.persons)
    ok = True
    for rule in (None, args.rule):
        ok = run(store, args, rule) and ok
    return 0 if ok else 1


def run(store: Path, args: argparse.Namespace, rule: str | None) -> bool:
    """One report in a child process; prints its figures and says whether both targets were met."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, __file__, "--child", str(store), out, "--records", str(args.records),
                   "--persons", str(args.persons)] + (["--rule", rule] if rule else ["--rule", ""])
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
    if result.returncode:
        print(result.stderr, file=sys.stderr)
        return False
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    ok_time, ok_memory = figures["seconds"] < 10, figures["peak_bytes"] < 2**30
    print(f"council report, {args.records:,} records / {args.persons:,} persons, "
          + (f"rule {rule}" if rule else "no rule"))
    print(f"  report (PDF + xlsx): {figures['seconds']:.2f} s wall, {figures['cpu_seconds']:.2f} s CPU  "
          f"(target < 10 s: {'ok' if ok_time else 'MISSED'})")
    print(f"  process wall time incl. start-up and unlock: {wall:.2f} s")
    print(f"  peak memory: {figures['peak_bytes'] / 2**20:,.0f} MB  (target < 1 GB: {'ok' if ok_memory else 'MISSED'})")
    print(f"  {figures['pages']} pages; small counts hidden {figures['hidden_small']}, "
          f"complementary {figures['hidden_complementary']}")
    return ok_time and ok_memory


if __name__ == "__main__":
    raise SystemExit(main())
