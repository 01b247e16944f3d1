"""The hash-chained audit log: every entry holds the hash of the one before, so an edit, a deletion or a
reordering shows up in `verify`.

The chain's head (last sequence number and hash) is also kept in `store_meta`, written in the same transaction,
so that cutting entries off the end is caught too. Details must not carry personal data beyond IDs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddj_desktop.store.models import AuditEvent, StoreMeta

GENESIS = "0" * 64
HEAD_KEY = "audit_head"


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, seq: int, at: str, user_name: str, action: str, details: str) -> str:
    """SHA-256 over the previous hash and this entry's fields."""
    payload = json.dumps([prev_hash, seq, at, user_name, action, details], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _head(session: Session) -> tuple[int, str]:
    meta = session.get(StoreMeta, HEAD_KEY)
    if meta is None:
        return 0, GENESIS
    seq, digest = meta.value.split(":")
    return int(seq), digest


def append(session: Session, user_name: str, action: str, **details: Any) -> AuditEvent:
    """Add one entry to the log inside the caller's transaction and return it."""
    seq, prev = _head(session)
    seq += 1
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    text = _canonical(details)
    event = AuditEvent(
        seq=seq, at=at, user_name=user_name, action=action, details=text, prev_hash=prev,
        hash=entry_hash(prev, seq, at, user_name, action, text),
    )
    session.add(event)
    session.merge(StoreMeta(key=HEAD_KEY, value=f"{seq}:{event.hash}"))
    session.flush()
    return event


@dataclass
class Verification:
    ok: bool
    entries: int
    broken_seq: int | None = None
    problem: str | None = None

    def message(self) -> str:
        if self.ok:
            return f"Audit log intact: {self.entries} entries, chain verified."
        return f"Audit log BROKEN at entry {self.broken_seq}: {self.problem}"


def verify(session: Session) -> Verification:
    """Check every link of the chain and the recorded head; the first problem found is reported."""
    prev, expected_seq, count = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        if event.seq != expected_seq:
            return Verification(False, count, expected_seq, f"entry {expected_seq} is missing (next is {event.seq})")
        if event.prev_hash != prev:
            return Verification(False, count, event.seq, "it does not follow the entry before it (deleted or moved)")
        digest = entry_hash(prev, event.seq, event.at, event.user_name, event.action, event.details)
        if digest != event.hash:
            return Verification(False, count, event.seq, "its contents were changed after it was written")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head_seq, head_hash = _head(session)
    if (head_seq, head_hash) != (count, prev if count else GENESIS):
        return Verification(False, count, count + 1, f"the log ends at entry {count} but entry {head_seq} was written")
    return Verification(True, count)


def entries(session: Session, limit: int | None = None) -> list[AuditEvent]:
    """The latest entries first."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))
