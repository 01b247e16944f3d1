"""How the audit log reads at size: the Audit page's first page, a page deep in the log, filter counts, the chain
check and the export, on an encrypted store holding N entries.

    python bench/audit_log.py --entries 100000
    python bench/audit_log.py --entries 100000 --store /tmp/audit100k.ddj   # keep the store for another run

Entries are chained with the real hash code (governance.audit) 5,000 per insert: imports, exports, person views
and unlocks by four users; the chain check must find them intact. Prints seconds per step.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ddj_desktop.governance import audit  # noqa: E402
from ddj_desktop.governance.audit_query import AuditFilter  # noqa: E402
from ddj_desktop.workspace import Workspace  # noqa: E402

PASSPHRASE = "bench audit log passphrase"
USERS = ("ana", "rosa", "lee", "kim")


def _details(i: int) -> tuple[str, dict[str, object]]:
    kind = i % 10
    if kind < 5:
        return "view_person", {"person": f"P{i % 30000:06d}"}
    if kind < 8:
        return "import", {"source": "jail", "file": f"bookings {i}.xlsx", "rows": i % 900}
    if kind == 8:
        return "export", {"what": "utilizer list", "file": f"list {i}.xlsx", "rows": 40}
    return "unlock", {}


def fill(ws: Workspace, entries: int) -> None:
    """Chain entries onto the log as governance.audit.append does (same hashes, same head), 5,000 per insert:
    append itself flushes once per entry, ~10 ms each here, which is right for one action but slow for 100,000."""
    import datetime as dt

    from sqlalchemy import insert

    from ddj_desktop.store.models import AuditEvent, StoreMeta

    done = ws.audit_count()
    while done < entries:
        with ws.store.session() as session:
            seq, prev = audit._head(session)
            rows = []
            for i in range(done, min(done + 5000, entries)):
                action, details = _details(i)
                seq += 1
                at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
                text = audit._canonical(details)
                digest = audit.entry_hash(prev, seq, at, USERS[i % 4], action, text)
                rows.append({"seq": seq, "at": at, "user_name": USERS[i % 4], "action": action, "details": text,
                             "prev_hash": prev, "hash": digest})
                prev = digest
            session.execute(insert(AuditEvent), rows)
            session.merge(StoreMeta(key=audit.HEAD_KEY, value=f"{seq}:{prev}"))
        done = min(done + 5000, entries)
    print(f"{entries:,} entries in the log")


def timed(label: str, call):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = call()
    print(f"{label:<48} {time.perf_counter() - start:7.3f} s   {result}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--store", type=Path, help="where to keep the store (default: a temporary folder)")
    args = parser.parse_args(argv)
    scratch = tempfile.TemporaryDirectory()
    path = args.store or Path(scratch.name) / "audit.ddj"
    if not path.exists():
        Workspace.create(path, PASSPHRASE, admin_name="ana").close()
    with Workspace.open(path, PASSPHRASE) as ws:
        start = time.perf_counter()
        fill(ws, args.entries)
        print(f"{'writing the entries':<48} {time.perf_counter() - start:7.3f} s")
        total = timed("count, no filter", ws.audit_count)
        first = timed("first page (200), no filter", lambda: len(ws.audit_page()))
        assert first == 200
        timed("page of 200 before entry N/2", lambda: len(ws.audit_page(before=total // 2)))
        timed("page of 200 before entry 300", lambda: len(ws.audit_page(before=300)))
        words = AuditFilter(text="bookings 4246")
        timed("first page, words in details", lambda: len(ws.audit_page(words)))
        timed("count, words in details", lambda: ws.audit_count(words))
        timed("count, words that match nothing", lambda: ws.audit_count(AuditFilter(text="no such words")))
        exports = AuditFilter(action="export", user="lee")
        timed("first page, action + user", lambda: len(ws.audit_page(exports)))
        timed("count, action + user", lambda: ws.audit_count(exports))
        timed("choices (actions, users)", lambda: tuple(len(c) for c in ws.audit_choices()))
        timed("verify the chain", lambda: ws.verify_audit().message())
        timed("export everything to CSV", lambda: ws.export_audit(Path(scratch.name) / "audit.csv"))
        timed("export everything to xlsx", lambda: ws.export_audit(Path(scratch.name) / "audit.xlsx"))
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
