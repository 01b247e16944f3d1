"""Reading the audit log a page at a time: by action, by user, by a range of (local) days and by words in the
entry's details, newest first; and writing what a filter finds to a CSV or xlsx file.

The log grows by every unlock, import and export, so it can hold 100,000 entries and more: pages are keyed on the
entry's sequence number (the primary key), so the page after entry 40,000 costs what the first page does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ddj_desktop import exporting
from ddj_desktop.errors import DdjError
from ddj_desktop.progress import NullProgress, Progress, check_cancelled
from ddj_desktop.store.models import AuditEvent

EXPORT_HEADER = ["seq", "at_utc", "at_local", "user", "action", "details", "prev_hash", "hash"]


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show. Days are local calendar days, both ends included; None means no limit."""

    action: str | None = None
    user: str | None = None
    from_day: dt.date | None = None
    to_day: dt.date | None = None
    text: str = ""  # every word must appear in the entry's details (case does not matter)
    up_to: int | None = None  # only entries numbered up to this one (to look at where a broken chain breaks)

    def is_empty(self) -> bool:
        return not (self.action or self.user or self.from_day or self.to_day or self.text.strip() or self.up_to)

    def describe(self) -> dict[str, str]:
        """The filter as the export's audit entry records it (only the parts that are set)."""
        parts = {"action": self.action, "user": self.user,
                 "from": self.from_day.isoformat() if self.from_day else None,
                 "to": self.to_day.isoformat() if self.to_day else None, "text": self.text.strip() or None,
                 "up_to": self.up_to}
        return {k: v for k, v in parts.items() if v}


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str  # UTC, ISO-8601, as written
    user: str
    action: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @property
    def local_time(self) -> str:
        """When, on this computer's clock: 2026-12-02 13:58:36."""
        return local_time(self.at)

    def details_text(self) -> str:
        """The details as a line a person reads: `file: jail.xlsx, rows: 120`."""
        return details_text(self.details)


def local_time(at: str) -> str:
    try:
        return dt.datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


def details_text(details: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(show(v) for v in value)
        if isinstance(value, dict):
            return "; ".join(f"{k} {show(v)}" for k, v in value.items())
        return "none" if value is None else str(value)

    return ", ".join(f"{k}: {show(v)}" for k, v in details.items())


def _entry(event: AuditEvent) -> AuditEntry:
    try:
        details = json.loads(event.details)
    except ValueError:  # an entry edited by hand: show what is there (verify reports it)
        details = {"text": event.details}
    if not isinstance(details, dict):
        details = {"value": details}
    return AuditEntry(event.seq, event.at, event.user_name, event.action, details, event.prev_hash, event.hash)


def _utc_start(day: dt.date) -> str:
    """The instant local day `day` begins, written as the log writes its times (UTC), for string comparison."""
    local = dt.datetime.combine(day, dt.time()).astimezone()
    return local.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(f: AuditFilter) -> list[Any]:
    if f.from_day and f.to_day and f.to_day < f.from_day:
        raise DdjError(f"The range ends ({f.to_day}) before it starts ({f.from_day}).",
                       hint="Pick a 'to' day on or after the 'from' day.")
    clauses: list[Any] = []
    if f.action:
        clauses.append(AuditEvent.action == f.action)
    if f.user:
        clauses.append(AuditEvent.user_name == f.user)
    if f.up_to is not None:
        clauses.append(AuditEvent.seq <= f.up_to)
    if f.from_day:
        clauses.append(AuditEvent.at >= _utc_start(f.from_day))
    if f.to_day:
        clauses.append(AuditEvent.at < _utc_start(f.to_day + dt.timedelta(days=1)))
    for word in f.text.split():
        # details are canonical JSON (ensure_ascii off); LIKE ignores ASCII case
        clauses.append(AuditEvent.details.like(_like(word), escape="\\"))
    return clauses


def page(session: Session, f: AuditFilter, *, before: int | None = None, limit: int = 200) -> list[AuditEntry]:
    """Up to `limit` entries that `f` finds, newest first, older than entry `before` (None: from the newest)."""
    clauses = _where(f)
    if before is not None:
        clauses.append(AuditEvent.seq < before)
    query = select(AuditEvent).where(and_(True, *clauses)).order_by(AuditEvent.seq.desc()).limit(limit)
    return [_entry(e) for e in session.scalars(query)]


def count(session: Session, f: AuditFilter) -> int:
    """How many entries `f` finds in all."""
    return session.scalar(select(func.count()).select_from(AuditEvent).where(and_(True, *_where(f)))) or 0


def choices(session: Session) -> tuple[list[str], list[str]]:
    """The actions and the user names that occur in the log, each sorted."""
    actions = list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    names = list(session.scalars(select(AuditEvent.user_name).distinct().order_by(AuditEvent.user_name)))
    return actions, names


EXPORT_PAGE = 2000


def _rows(session: Session, f: AuditFilter, progress: Progress, total: int) -> Iterator[list[Any]]:
    before, done = None, 0
    while True:
        entries = page(session, f, before=before, limit=EXPORT_PAGE)
        for e in entries:
            details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
            yield [e.seq, e.at, e.local_time, e.user, e.action, details, e.prev_hash, e.hash]
        done += len(entries)
        progress.update(min(done / total, 1.0) if total else 1.0, f"Writing entry {done:,} of {total:,}")
        check_cancelled(progress)
        if len(entries) < EXPORT_PAGE:
            return
        before = entries[-1].seq


def export(session: Session, f: AuditFilter, out: Path, progress: Progress | None = None) -> int:
    """The number of entries written: those `f` finds, newest first, to `out` (.csv or .xlsx), with each entry's
    hashes so that someone holding only the file can see the entries follow one another."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise DdjError(f"Cannot write the audit log as {out.name}.", hint="Give a file name ending in .csv or .xlsx.")
    rows = _rows(session, f, progress or NullProgress(), count(session, f))
    if suffix == ".csv":
        return exporting.write_csv(out, EXPORT_HEADER, rows)
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Audit log")
    sheet.append(EXPORT_HEADER)
    written = 0
    for row in rows:
        sheet.append([exporting.neutralize(v) for v in row])
        written += 1
    with exporting.atomic_output(out, "wb") as handle:
        book.save(handle)
    return written
