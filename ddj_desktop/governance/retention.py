"""Retention per source and purging: records past their source's retention, or every record of one person.

A record's age runs from when the store last wrote it: its import, or the later import that changed it (HUD's
HMIS standard: 7 years after the PPI was created or last changed). A re-import of an unchanged row does not
renew it.

What a purge removes, and what it keeps (nothing kept holds a name, date of birth or SSN):
- record rows (identity, event, attributes, the row as sent): deleted;
- rejected rows of the reject reports (`row_problem`, which hold the row as sent): of an expired purge, those of
  the source's batches imported before the cut-off; of a person purge, the rejected rows that carry one of the
  person's SSNs or agency IDs, or both one of their names and one of their dates of birth, as sent;
- review pairs naming a purged record: deleted (the question is about a record that is gone);
- review decisions naming a purged record: deleted, with their notes; the moves kept for undo lose the purged
  records (an undo puts back only records that still exist);
- persons left without records: deleted, unless a printed form, a consent or a disclosure names them (then the
  bare number stays, as those registers need it; a person row holds no identity);
- a person purge also removes the person from saved frequent-utilizer runs, and from the consent register
  clears the scanned signed form, representative and notes, and the disclosure file names (the consent's terms
  and the accounting of disclosures stay, under the person number);
- the audit log keeps its entries (they hold IDs and counts, never identities, nor a reviewer's note: only that
  there was one and its length); the purge adds one with counts.
Free pages: every connection runs with `secure_delete`, and the caller vacuums after the purge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ddj_desktop.store.models import (
    Consent,
    Disclosure,
    ImportBatch,
    Pair,
    Person,
    Record,
    RoiForm,
    RowProblem,
    Source,
)

HMIS_SOURCES = ("shelter", "hmis")
HMIS_RETENTION_YEARS = 7
CHUNK = 500


def default_retention(source_name: str) -> int | None:
    return HMIS_RETENTION_YEARS if source_name in HMIS_SOURCES else None


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class ExpiredSource:
    source: str
    retention_years: int
    cutoff: str  # records last written before this day are past retention
    records: int
    rejected_rows: int
    oldest: str | None


@dataclass
class PurgeCounts:
    records: int = 0
    persons: int = 0
    rejected_rows: int = 0
    pairs: int = 0
    decisions: int = 0
    utilizer_entries: int = 0
    consents_cleared: int = 0
    by_source: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"records": self.records, "persons": self.persons, "rejected_rows": self.rejected_rows,
                "pairs": self.pairs, "decisions": self.decisions, "utilizer_entries": self.utilizer_entries,
                "consents_cleared": self.consents_cleared, "by_source": dict(self.by_source)}


def _expired_query(source: Source, cutoff: str):  # type: ignore[no-untyped-def]
    return (select(Record.id).join(ImportBatch, ImportBatch.id == Record.batch_id)
            .where(Record.source_id == source.id, ImportBatch.imported_at < cutoff))


def expired(session: Session, on: dt.date) -> list[ExpiredSource]:
    """Per source with a retention period, what is past it on day `on`."""
    out = []
    for source in session.scalars(select(Source).where(Source.retention_years.is_not(None)).order_by(Source.name)):
        cutoff = years_before(on, source.retention_years or 0).isoformat()
        ids = _expired_query(source, cutoff).subquery()
        records = session.scalar(select(func.count()).select_from(ids)) or 0
        oldest = session.scalar(select(func.min(ImportBatch.imported_at)).join(Record, Record.batch_id == ImportBatch.id)
                                .where(Record.source_id == source.id, ImportBatch.imported_at < cutoff))
        rejected = session.scalar(
            select(func.count()).select_from(RowProblem).join(ImportBatch, ImportBatch.id == RowProblem.batch_id)
            .where(ImportBatch.source_id == source.id, ImportBatch.imported_at < cutoff, RowProblem.rejected.is_(True))
        ) or 0  # fmt: skip
        out.append(ExpiredSource(source.name, source.retention_years or 0, cutoff, records, rejected,
                                 oldest[:10] if oldest else None))
    return out


def expired_record_ids(session: Session, on: dt.date) -> list[int]:
    ids: list[int] = []
    for source in session.scalars(select(Source).where(Source.retention_years.is_not(None))):
        ids += session.scalars(_expired_query(source, years_before(on, source.retention_years or 0).isoformat()))
    return ids


def purge_expired(session: Session, on: dt.date) -> PurgeCounts:
    counts = PurgeCounts()
    for source in session.scalars(select(Source).where(Source.retention_years.is_not(None))):
        cutoff = years_before(on, source.retention_years or 0).isoformat()
        batches = select(ImportBatch.id).where(ImportBatch.source_id == source.id, ImportBatch.imported_at < cutoff)
        counts.rejected_rows += session.execute(
            delete(RowProblem).where(RowProblem.batch_id.in_(batches), RowProblem.rejected.is_(True))
        ).rowcount  # fmt: skip
    ids = expired_record_ids(session, on)
    _purge_records(session, ids, counts)
    return counts


def purge_person(session: Session, person_id: int) -> PurgeCounts:
    counts = PurgeCounts()
    records = list(session.scalars(select(Record).where(Record.person_id == person_id)))
    counts.rejected_rows = _purge_rejected_rows_of(session, records)
    _purge_records(session, [r.id for r in records], counts, persons={person_id})
    _drop_from_utilizer_runs(session, person_id, counts)
    for consent in session.scalars(select(Consent).where(Consent.person_id == person_id)):
        consent.artifact = consent.artifact_name = consent.representative = None
        consent.representative_authority = consent.note = consent.revocation_note = None
        counts.consents_cleared += 1
    session.execute(update(Disclosure).where(Disclosure.person_id == person_id).values(file_name="(purged)"))
    return counts


def _identity_values(records: list[Record]) -> tuple[set[str], set[str], set[str]]:
    """(keys: SSNs and agency IDs, names, dates of birth) of `records` as the agency sent them."""
    keys: set[str] = set()
    names: set[str] = set()
    dobs: set[str] = set()
    for r in records:
        keys |= {v for v in (r.ssn, r.agency_person_id) if v}
        names |= {v for v in (r.last_name, r.first_name) if v}
        if r.dob:
            dobs.add(r.dob)
        for column, value in (r.raw or {}).items():
            text = str(value).strip()
            lowered = column.lower()
            if "dob" in lowered or "birth" in lowered:
                dobs.add(text[:10])
            elif "ssn" in lowered or "social" in lowered:
                keys.add(text)
            elif "name" in lowered:
                names |= {w.strip(",").upper() for w in text.split() if len(w.strip(",")) > 1}
    return keys, names, dobs


def _purge_rejected_rows_of(session: Session, records: list[Record]) -> int:
    if not records:
        return 0
    keys, names, dobs = _identity_values(records)
    sources = {r.source_id for r in records}
    doomed = []
    query = (select(RowProblem).join(ImportBatch, ImportBatch.id == RowProblem.batch_id)
             .where(RowProblem.rejected.is_(True), ImportBatch.source_id.in_(sources)))
    for problem in session.scalars(query):
        values = [str(v).strip() for v in (problem.values or {}).values()]
        words = {w.strip(",").upper() for v in values for w in v.split()}
        if (keys & set(values)) or (names & words and any(v[:10] in dobs for v in values)):
            doomed.append(problem.id)
    for i in range(0, len(doomed), CHUNK):
        session.execute(delete(RowProblem).where(RowProblem.id.in_(doomed[i:i + CHUNK])))
    return len(doomed)


def _purge_records(session: Session, ids: list[int], counts: PurgeCounts, persons: set[int] | None = None) -> None:
    from ddj_desktop.review.decisions import ReviewDecision

    if not ids:
        if persons:
            _drop_persons(session, persons, counts)
        return
    persons = set(persons or ())
    keys: set[tuple[str, str]] = set()
    by_source: dict[str, int] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        for person, source, key in session.execute(
            select(Record.person_id, Source.name, Record.source_key).join(Source, Source.id == Record.source_id)
            .where(Record.id.in_(chunk))
        ):  # fmt: skip
            if person is not None:
                persons.add(person)
            keys.add((source, key))
            by_source[source] = by_source.get(source, 0) + 1
        counts.pairs += session.execute(
            delete(Pair).where(Pair.a_record_id.in_(chunk) | Pair.b_record_id.in_(chunk))
        ).rowcount  # fmt: skip
    names = dict(session.execute(select(Source.id, Source.name)).all())
    for pair in session.scalars(select(Pair)):  # pairs left by key only (their record IDs cleared by a re-link)
        if (names.get(pair.a_source_id), pair.a_source_key) in keys or (names.get(pair.b_source_id), pair.b_source_key) in keys:
            session.delete(pair)
            counts.pairs += 1
    purged = set(ids)
    for decision in list(session.scalars(select(ReviewDecision))):
        if decision.a in keys or decision.b in keys:
            kept = [m for m in (decision.moves or []) if m[0] not in purged]
            session.delete(decision)
            counts.decisions += 1
            heir = session.scalar(select(ReviewDecision).where(ReviewDecision.action == decision.action,
                                                               ReviewDecision.id != decision.id)
                                  .order_by(ReviewDecision.id).limit(1))
            if heir is not None and kept and not heir.moves:
                heir.moves = kept
        elif decision.moves and any(m[0] in purged for m in decision.moves):
            decision.moves = [m for m in decision.moves if m[0] not in purged]
    session.flush()
    for i in range(0, len(ids), CHUNK):
        session.execute(delete(Record).where(Record.id.in_(ids[i:i + CHUNK])))
    counts.records += len(ids)
    for source, n in by_source.items():
        counts.by_source[source] = counts.by_source.get(source, 0) + n
    _drop_persons(session, persons, counts)


def _drop_persons(session: Session, persons: set[int], counts: PurgeCounts) -> None:
    """Delete the persons of `persons` left without records that no register names."""
    for person_id in sorted(persons):
        if session.scalar(select(Record.id).where(Record.person_id == person_id).limit(1)) is not None:
            continue
        named = any(session.scalar(select(model.id).where(model.person_id == person_id).limit(1)) is not None
                    for model in (RoiForm, Consent, Disclosure))
        if not named:
            session.execute(delete(Person).where(Person.id == person_id))
            counts.persons += 1


def _drop_from_utilizer_runs(session: Session, person_id: int, counts: PurgeCounts) -> None:
    from ddj_desktop.utilizers.runs import UtilizerRun

    for run in session.scalars(select(UtilizerRun)):
        entries = run.entries or []
        kept = [e for e in entries if int(e[0]) != person_id]
        if len(kept) != len(entries):
            counts.utilizer_entries += len(entries) - len(kept)
            run.entries = kept
            run.people = len(kept)
