"""Workspace: the one facade over an open, unlocked store. The CLI, the GUI and the tests all call this.

Every call acts as `self.user`, checks that user's role, runs in one transaction, and writes one audit entry when
it changes the store, lets data out of it, or shows someone a person's records (person_records, review_person,
explain_person, expired_records). Searches (find_records) and the review queue's pair views are not logged one by
one: a search's text is often a name, which the never-purged log must not hold, and the desktop fetches pairs
ahead of the reviewer; the reviewer's decision on a pair is logged. Records of 42 CFR Part 2 sources reach only
the roles the county settings allow (governance.part2).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from ddj_desktop import exporting
from ddj_desktop.errors import AuthenticationFailed, DdjError, PermissionDenied, StoreBusy, WrongPassphrase
from ddj_desktop.governance import audit, part2, users
from ddj_desktop.importing import mapping, pipeline
from ddj_desktop.importing.normalize.names import normalize_name
from ddj_desktop.progress import NullProgress, Progress, Stage, check_cancelled
from ddj_desktop.store.models import Agreement, ImportBatch, Pair, Person, Record, RowProblem, Source, User
from ddj_desktop.store.store import Store

# Sequential Intercept Model intercepts for the source names counties use most; any other source starts unknown.
STANDARD_SOURCES: dict[str, tuple[str, int | None]] = {
    "police": ("Police / 911", 1),
    "ems": ("Emergency medical services", 0),
    "ed": ("Emergency department", 0),
    "bh": ("Behavioral health", 0),
    "shelter": ("Shelter / HMIS", 0),
    "pretrial": ("Pretrial services", 2),
    "jail": ("Jail", 3),
    "court": ("Court", 3),
    "probation": ("Probation", 5),
}


@dataclass(frozen=True)
class SourceInfo:
    name: str
    display_name: str
    intercept: int | None
    agency: str | None
    records: int
    agreement: str | None = None  # the data-sharing agreement it falls under
    retention_years: int | None = None  # records older than this (since created or last changed) are purged


def _source_info(source: Source, records: int, agreements: dict[int, str]) -> SourceInfo:
    return SourceInfo(source.name, source.display_name, source.intercept, source.agency, records,
                      agreements.get(source.agreement_id) if source.agreement_id else None, source.retention_years)


def _source_now(session: Session, source: Source) -> SourceInfo:
    """`source` as it stands in `session` (after a change), with its own record count only."""
    session.flush()
    records = session.scalar(select(func.count()).select_from(Record).where(Record.source_id == source.id))
    names = dict(session.execute(select(Agreement.id, Agreement.name)).all())
    return _source_info(source, records or 0, names)  # type: ignore[arg-type]


@dataclass(frozen=True)
class BatchInfo:
    id: int
    source: str
    file_name: str
    sheet: str | None
    file_sha256: str
    profile_name: str | None
    user_name: str
    imported_at: str
    rows_read: int
    rows_imported: int
    rows_updated: int
    rows_duplicate: int
    rows_rejected: int
    rows_skipped: int
    skipped: dict[str, int]
    notes: list[str]


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    active: bool
    has_password: bool


@dataclass(frozen=True)
class RecordRow:
    """One record as the People page lists it."""

    id: int
    person: str  # P000123
    source: str
    source_key: str
    last_name: str | None
    first_name: str | None
    dob: str | None
    sex: str | None
    event_type: str | None
    event_start: str | None
    event_end: str | None


RECORD_SORT_KEYS = ("person", "source", "source_key", "last_name", "first_name", "dob", "event_start")


VIEW_WAIT_MS = 200  # how long showing a person may wait for a busy store to log the view (see Workspace._audit_view)


def person_label(person_id: int | None) -> str:
    """How a person ID is shown and exported: P000123."""
    return "" if person_id is None else f"P{person_id:06d}"


class Workspace:
    """An open store and the user acting on it. Use `Workspace.create` or `Workspace.open`, then `close()`."""

    def __init__(self, store: Store, user: User) -> None:
        self.store = store
        self.user_name = user.name
        self.role = user.role
        self._pending_views: list[tuple[str, dict[str, Any]]] = []  # see _audit_view

    # -- opening and closing -------------------------------------------------------------------------------
    @classmethod
    def create(
        cls, path: Path, passphrase: str, *, admin_name: str | None = None, admin_password: str | None = None
    ) -> Workspace:
        """A new encrypted store at `path` with its first user, an admin."""
        store = Store.create(Path(path), passphrase)
        try:
            with store.session() as session:
                admin = users.add_user(session, admin_name or users.default_admin_name(), "admin", admin_password)
                audit.append(session, admin.name, "init", role="admin")
        except BaseException:
            store.close()
            Path(path).unlink(missing_ok=True)
            raise
        return cls(store, admin)

    @classmethod
    def open(
        cls, path: Path, passphrase: str, *, user: str | None = None, password: str | None = None
    ) -> Workspace:
        """The store at `path`, unlocked by `passphrase`, acting as `user`; logs the unlock."""
        store = Store.open(Path(path), passphrase)
        try:
            with store.session() as session:
                acting = users.authenticate(session, user, password)
                audit.append(session, acting.name, "unlock")
        except BaseException:
            store.close()
            raise
        return cls(store, acting)

    def close(self) -> None:
        try:
            self._write_views(None)  # views not yet logged (the store was busy): now, waiting as a write does
        finally:
            self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self.store.path

    def _require(self, permission: str) -> None:
        users.require(self.role, permission)

    def _audit(self, session: Session, action: str, **details: Any) -> None:
        audit.append(session, self.user_name, action, **details)

    def _audit_view(self, action: str, **details: Any) -> None:
        """Log that someone was shown records, without making the window wait: a view is only a read, and while an
        import or a link run (in a worker process) holds the store's write lock, waiting for it would freeze the
        window until the run ends. The entry (with the time of the view) is written at once if the store is free
        within VIEW_WAIT_MS, else kept and written with the next view, or when the workspace closes."""
        import datetime as dt

        self._pending_views.append((action, {**details, "viewed_at": dt.datetime.now(dt.UTC).isoformat(
            timespec="seconds")}))
        self._write_views(VIEW_WAIT_MS)

    def _write_views(self, wait_ms: int | None) -> None:
        if not self._pending_views:
            return
        try:
            with self.store.session(wait_ms=wait_ms) as session:
                for action, details in self._pending_views:
                    self._audit(session, action, **details)
        except StoreBusy:
            if wait_ms is None:
                raise
            return
        self._pending_views.clear()

    def _withheld(self, session: Session) -> part2.Withheld:
        """The 42 CFR Part 2 sources the acting role may not see (governance.part2): every path that returns
        records, their events or their identities leaves these out."""
        return part2.withheld(session, self.role)

    def _refuse_withheld(self, hidden: part2.Withheld, *sources: str) -> None:
        named = sorted({s.strip().lower() for s in sources if hidden.hides(s)})
        if named:
            raise PermissionDenied(
                f"The records of {', '.join(named)} are 42 CFR Part 2 records, which the county does not show to "
                f"your role ({self.role}).", hint="A user whose role may see them can do this.",
            )

    # -- sources -------------------------------------------------------------------------------------------
    def sources(self) -> list[SourceInfo]:
        """Every source with its record count, by name."""
        self._require("view_summary")
        with self.store.reading() as session:
            counts = dict(session.execute(select(Record.source_id, func.count()).group_by(Record.source_id)).all())
            names = dict(session.execute(select(Agreement.id, Agreement.name)).all())
            return [_source_info(s, counts.get(s.id, 0), names)  # type: ignore[arg-type]
                    for s in session.scalars(select(Source).order_by(Source.name))]

    def set_linkage_key(self, key_text: str) -> None:
        """Keep the county's HMAC linkage key (hex text, as `linkage.hashed.new_key` makes it) in the encrypted
        store: records of agencies that send only keyed hashes link with the county's own (HMAC mode)."""
        from ddj_desktop.linkage import hashed
        from ddj_desktop.store.models import Setting

        self._require("manage_agreements")
        hashed.parse_key(key_text)  # a clear error for a wrong file, before anything is kept
        with self.store.session() as session:
            session.merge(Setting(key=hashed.KEY_SETTING, value={"key": "".join(key_text.split()).lower()},
                                  updated_at=users.now(), updated_by=self.user_name))
            self._audit(session, "linkage key", change="set")  # never the key itself

    def export_hashed(self, source: str, path: Path, key_text: str | None = None) -> int:
        """Write `source`'s records as an agency in HMAC mode would send them: the row key, the keyed tokens
        (`hmac_*` columns, linkage/hashed.py) and the plain non-identifying fields; returns the rows written. With
        `key_text` the tokens use that key, else the store's."""
        import csv

        from ddj_desktop.linkage import hashed
        from ddj_desktop.linkage import run as linkage_run

        self._require("export")
        with self.store.session() as session:
            key = hashed.parse_key(key_text) if key_text else linkage_run.linkage_key(session)
            hasher = hashed.Hasher(key)
            rows = session.execute(
                select(Record.source_key, Record.first_name, Record.middle_name, Record.last_name, Record.dob,
                       Record.ssn, Record.ssn_last4, Record.address, Record.agency_person_id, Record.sex, Record.zip,
                       Record.name_suffix, Record.dob_quality)
                .join(Source, Source.id == Record.source_id).where(Source.name == source).order_by(Record.id)
            ).all()  # fmt: skip
            partial = Path(path).with_name(Path(path).name + ".part")
            with partial.open("w", newline="", encoding="utf-8") as f:
                out = csv.writer(f)
                out.writerow(["Record ID", *(hashed.COLUMN_PREFIX + t for t in hashed.TOKEN_FIELDS), "Sex", "Zip",
                              "Suffix", "DOB Quality"])
                for r in rows:
                    tokens = hasher.tokens(first_name=r[1], middle_name=r[2], last_name=r[3], dob=r[4], ssn=r[5],
                                           ssn_last4=r[6], address=r[7], agency_person_id=r[8])
                    out.writerow([r[0], *(tokens[t] for t in hashed.TOKEN_FIELDS), r[9] or "", r[10] or "",
                                  r[11] or "", r[12] or ""])
            partial.replace(path)
            self._audit(session, "export", kind="hashed identities", source=source, rows=len(rows))
        return len(rows)

    def set_source(
        self, name: str, *, display_name: str | None = None, intercept: int | None = None, agency: str | None = None
    ) -> SourceInfo:
        """Create or change the source `name`."""
        self._require("manage_sources")
        if intercept is not None and not 0 <= intercept <= 5:
            raise DdjError(f"Intercept {intercept} is not 0-5 (Sequential Intercept Model).")
        with self.store.session() as session:
            source = ensure_source(session, name)
            changes: dict[str, Any] = {}
            if display_name is not None:
                source.display_name = changes["display_name"] = display_name
            if intercept is not None:
                source.intercept = changes["intercept"] = intercept
            if agency is not None:
                source.agency = changes["agency"] = agency
            self._audit(session, "source", source=source.name, **changes)
            return _source_now(session, source)

    # -- imports -------------------------------------------------------------------------------------------
    def batches(self) -> list[BatchInfo]:
        """Every import batch, oldest first."""
        self._require("view_summary")
        with self.store.reading() as session:
            return [
                BatchInfo(
                    b.id, b.source.name, b.file_name, b.sheet, b.file_sha256, b.profile_name, b.user_name,
                    b.imported_at, b.rows_read, b.rows_imported, b.rows_updated, b.rows_duplicate, b.rows_rejected,
                    b.rows_skipped, dict(b.skipped), list(b.notes),
                )
                for b in session.scalars(select(ImportBatch).order_by(ImportBatch.id))
            ]

    def row_problems(self, batch_id: int, *, rejected_only: bool = False) -> list[tuple[str, int, str, bool]]:
        """(file, row number, reason, rejected?) of each row a batch rejected or took without a value."""
        self._require("view_summary")
        with self.store.reading() as session:
            query = select(RowProblem.file_name, RowProblem.row_number, RowProblem.reason, RowProblem.rejected)
            query = query.where(RowProblem.batch_id == batch_id, RowProblem.batch_id.in_(
                select(ImportBatch.id).where(self._withheld(session).visible(ImportBatch.source_id)))
            ).order_by(RowProblem.id)  # fmt: skip
            if rejected_only:
                query = query.where(RowProblem.rejected.is_(True))
            return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]

    def import_files(
        self,
        files: list[Path],
        source: str,
        *,
        mapping_file: Path | None = None,
        sheet: str | None = None,
        progress: Progress | None = None,
        workers: int | None = None,
    ) -> list[pipeline.BatchSummary]:
        """Import `files` into `source` in one transaction: all of it lands, or (on any error) none of it.

        `workers`: how many worker processes read and normalize the files (0: none); by default, as many as the
        files' size and the machine's cores call for (importing/parallel.py)."""
        import datetime as dt

        from ddj_desktop.governance import agreements

        self._require("import")
        progress = progress or NullProgress()
        profile = mapping.load_profile(Path(mapping_file)) if mapping_file else None
        today = dt.date.today()
        agreement = self._source_agreement(source)
        if agreement is not None:  # refused before the files are even read: nothing is written
            agreements.check_period(agreement, source.strip().lower(), today)
        # Paused from reading to commit: the prepared records (millions of objects) are then not scanned again
        # and again by the cycle collector, which a pause around each stage alone left to run between them.
        with pipeline.collector_paused():
            summaries = self._import_prepared(files, source, profile, sheet, agreement, workers, progress)
        progress.update(1.0, "Import finished")
        return summaries

    def _import_prepared(
        self, files: list[Path], source: str, profile: mapping.MappingProfile | None, sheet: str | None,
        agreement: Agreement | None, workers: int | None, progress: Progress,
    ) -> list[pipeline.BatchSummary]:
        from ddj_desktop.governance import agreements
        from ddj_desktop.importing import parallel

        files = [Path(f) for f in files]
        if workers := parallel.worker_count(files, workers):
            return self._import_in_workers(files, source, profile, sheet, agreement, workers, progress)
        prepared = pipeline.prepare_files(
            files, sheet=sheet, profile=profile, earlier=self._earlier_profiles(source),
            progress=Stage(progress, 0.0, 0.6),
        )  # fmt: skip
        if agreement is not None:
            agreements.check_fields(agreement, source.strip().lower(), {
                p.table.label: agreements.carried_fields(p.profile, p.table.header, p.table.label) for p in prepared
            })  # fmt: skip
        with self.store.session() as session, pipeline.import_page_cache(session):
            src = ensure_source(session, source)
            now = users.now()
            summaries = []
            for i, table in enumerate(prepared):
                stage = Stage(progress, 0.6 + 0.4 * i / len(prepared), 0.6 + 0.4 * (i + 1) / len(prepared))
                summaries.append(pipeline.write_prepared(session, table, src.id, self.user_name, now, stage))
            self._audit_import(session, src.name, summaries)
        return summaries

    def _import_in_workers(
        self, files: list[Path], source: str, profile: mapping.MappingProfile | None, sheet: str | None,
        agreement: Agreement | None, workers: int, progress: Progress,
    ) -> list[pipeline.BatchSummary]:
        """`_import_prepared` for large files: read and normalized by `workers` processes (importing/parallel.py),
        written here as their runs come, in the same one transaction."""
        from ddj_desktop.governance import agreements
        from ddj_desktop.importing import parallel

        progress.update(0.0, f"Reading {', '.join(f.name for f in files)} ({workers} worker processes)")
        with parallel.Workers(files, sheet, profile, self._earlier_profiles(source), workers, progress) as running:
            plan = running.plan()
            if agreement is not None:
                agreements.check_fields(agreement, source.strip().lower(), {
                    head.label: agreements.carried_fields(head.profile, header, head.label)
                    for head, header in zip(plan.heads, plan.headers)
                })  # fmt: skip
            total, done = max(sum(plan.runs), 1), 0
            with self.store.session() as session, pipeline.import_page_cache(session):
                src = ensure_source(session, source)
                now = users.now()
                summaries = []
                for index, head in enumerate(plan.heads):
                    writer = pipeline.BatchWriter(session, head, src.id, self.user_name, now)
                    for rows, numbers, skipped, problems in running.runs(index):
                        check_cancelled(progress)
                        progress.update(0.05 + 0.95 * done / total, f"Importing {head.label}")
                        writer.add(rows, numbers, skipped, problems)
                        done += 1
                    summaries.append(writer.finish())
                self._audit_import(session, src.name, summaries)
        return summaries

    def _audit_import(self, session: Session, source: str, summaries: list[pipeline.BatchSummary]) -> None:
        self._audit(
            session, "import", source=source, files=[b.label for b in summaries],
            batches=[b.batch_id for b in summaries], imported=sum(b.imported for b in summaries),
            updated=sum(b.updated for b in summaries), rejected=sum(b.rejected for b in summaries),
        )  # fmt: skip

    def _source_agreement(self, source: str) -> Agreement | None:
        """The agreement `source` is tied to, if any (detached: read only)."""
        with self.store.reading() as session:
            return session.scalar(
                select(Agreement).join(Source, Source.agreement_id == Agreement.id)
                .where(Source.name == source.strip().lower())
            )  # fmt: skip

    def _earlier_profiles(self, source: str) -> list[mapping.MappingProfile]:
        """The distinct profiles used for `source`, most recent first (offered again for next month's file)."""
        with self.store.reading() as session:
            texts = session.scalars(
                select(ImportBatch.profile_toml)
                .join(Source, Source.id == ImportBatch.source_id)
                .where(Source.name == source.strip().lower(), ImportBatch.profile_toml.is_not(None))
                .order_by(ImportBatch.id.desc())
            )
            return [mapping.MappingProfile.from_toml(t) for t in dict.fromkeys(texts)]

    def export_problems(self, batch_ids: list[int], out: Path) -> int:
        """Write the rejected rows (with their values) and dropped values of `batch_ids` to an xlsx file."""
        self._require("export")
        with self.store.session() as session:
            shown = select(ImportBatch.id).where(self._withheld(session).visible(ImportBatch.source_id))
            problems = list(session.scalars(
                select(RowProblem).where(RowProblem.batch_id.in_(batch_ids), RowProblem.batch_id.in_(shown))
                .order_by(RowProblem.id)
            ))  # fmt: skip
            count = exporting.write_problems_xlsx(Path(out), problems)
            self._audit(session, "export", what="rejected rows", file=Path(out).name, rows=count, batches=batch_ids)
        return count

    # -- persons -------------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many records, persons, sources and batches the store holds."""
        self._require("view_summary")
        with self.store.reading() as session:
            return {
                "records": session.scalar(select(func.count()).select_from(Record)) or 0,
                "persons": session.scalar(select(func.count(func.distinct(Record.person_id)))) or 0,
                "sources": session.scalar(select(func.count()).select_from(Source)) or 0,
                "batches": session.scalar(select(func.count()).select_from(ImportBatch)) or 0,
            }

    def export_persons(self, out: Path) -> int:
        """Write `source,source_key,person_id` for every record to `out`; returns the number of rows."""
        self._require("export")
        with self.store.session() as session:
            rows = session.execute(
                select(Source.name, Record.source_key, Record.person_id)
                .join(Source, Source.id == Record.source_id)
                .where(self._withheld(session).visible())
                .order_by(Source.name, Record.source_key)
            )
            count = exporting.write_csv(
                Path(out), ["source", "source_key", "person_id"],
                ((s, k, person_label(p)) for s, k, p in rows),
            )
            self._audit(session, "export", what="persons", file=Path(out).name, rows=count)
        return count

    def find_records(
        self, text: str = "", *, offset: int = 0, limit: int = 200, sort: str = "last_name", descending: bool = False,
        after: RecordRow | None = None,
    ) -> list[RecordRow]:
        """A page of the records that `text` finds (name prefixes, a date of birth, a source key or P-number).

        `after` (the last row of the previous page) pages by key instead of by offset, as fast deep in a million
        records as at the top when `sort` is an indexed column (person, last_name, dob).
        """
        self._require("view_identity")
        if sort not in RECORD_SORT_KEYS:
            raise ValueError(sort)
        with self.store.reading() as session:
            order = _RECORD_COLUMNS[sort]
            query = _record_query(select(*_RECORD_COLUMNS.values(), Record.id), text)
            query = query.where(self._withheld(session).visible())
            if after is not None:
                query = query.where(_after(order, _sort_value(after, sort), after.id, descending))
            by = (order.desc(), Record.id.desc()) if descending else (order, Record.id)
            query = query.order_by(*by).offset(offset).limit(limit)
            return [_record_row(r) for r in session.execute(query)]

    def count_records(self, text: str = "") -> int:
        """How many records `find_records(text)` finds in all."""
        self._require("view_identity")
        with self.store.reading() as session:
            query = _record_query(select(func.count(Record.id)), text).where(self._withheld(session).visible())
            return session.scalar(query) or 0

    def similar_names(self, text: str, limit: int = 8) -> list[str]:
        """Last names in the store spelled close to the first word of `text` (SMITH for "smiht"), closest first."""
        self._require("view_identity")
        words = text.split()
        word = normalize_name(words[0]) if words else None
        if not word or len(word) < 3 or any(c.isdigit() for c in word):
            return []
        from rapidfuzz import process
        from rapidfuzz.distance import JaroWinkler

        with self.store.reading() as session:
            names = list(session.scalars(select(Record.last_name).where(
                Record.last_name.is_not(None), self._withheld(session).visible()).distinct()))
        found = process.extract(word, names, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.85, limit=limit)
        return [name for name, _score, _index in found if name != word]

    def person_records(self, person: str | int) -> list[RecordRow]:
        """Every record of one person (P000123 or 123) the role may see, by event date. Audited (a view)."""
        self._require("view_identity")
        person_id = int(str(person).upper().lstrip("P") or 0)
        with self.store.reading() as session:
            query = _record_query(select(*_RECORD_COLUMNS.values(), Record.id), "")
            query = query.where(Record.person_id == person_id, self._withheld(session).visible())
            rows = [_record_row(r) for r in session.execute(query.order_by(Record.event_start, Record.id))]
        self._audit_view("view_person", person=person_label(person_id), records=len(rows))
        return rows

    # -- linkage -------------------------------------------------------------------------------------------
    def link(
        self,
        progress: Progress | None = None,
        *,
        settings: Any = None,
        must_link: list[tuple[tuple[str, str], tuple[str, str]]] | None = None,
        cannot_link: list[tuple[tuple[str, str], tuple[str, str]]] | None = None,
    ) -> Any:
        """Link every record into persons in one transaction (cancellable through `progress`); returns the
        run's LinkSummary. `must_link` / `cannot_link`: reviewer decisions as ((source, key), (source, key))."""
        from ddj_desktop.linkage import run as linkage_run
        from ddj_desktop.review import decisions

        self._require("link")
        progress = progress or NullProgress()
        with self.store.session() as session:
            decided_same, decided_apart = decisions.constraints(session)  # reviewer decisions bind every run
            must_link, cannot_link = [*(must_link or ()), *decided_same], [*(cannot_link or ()), *decided_apart]
            summary = linkage_run.link_store(
                session, self.user_name, users.now(), settings, must_link=must_link or (),
                cannot_link=cannot_link or (), progress=progress,
            )  # fmt: skip
            self._audit(
                session, "link", run=summary.run_id, records=summary.records, persons=summary.persons,
                review_pairs=summary.review_pairs, merges=summary.merges, splits=summary.splits,
                new_persons=summary.new_persons, changed_records=summary.changed_records,
            )  # fmt: skip
        return summary

    def explain(self, a: tuple[str, str], b: tuple[str, str]) -> Any:
        """Why records `a` and `b` ((source, key) each) are or are not one person: a PairExplanation."""
        from ddj_desktop.linkage import explain

        self._require("view_identity")
        with self.store.session() as session:
            self._refuse_withheld(self._withheld(session), a[0], b[0])
            result = explain.explain_pair(session, a, b)
            self._audit(session, "explain", a=f"{a[0]}:{a[1]}", b=f"{b[0]}:{b[1]}")
        return result

    def explain_person(self, person: int | tuple[str, str]) -> Any:
        """Why a person's records are together: a PersonExplanation. `person`: an ID, or one of its records."""
        from ddj_desktop.linkage import explain

        self._require("view_identity")
        with self.store.session() as session:
            hidden = self._withheld(session)
            if not isinstance(person, int):
                self._refuse_withheld(hidden, person[0])
                found = session.scalar(
                    select(Record.person_id).join(Source, Source.id == Record.source_id)
                    .where(Source.name == person[0].strip().lower(), Record.source_key == person[1].strip())
                )  # fmt: skip
                if found is None:
                    raise DdjError(f"There is no linked record {person[0]}:{person[1]}.")
                person = found
            result = explain.explain_person(session, person, visible=hidden.visible() if hidden else None)
            self._audit(session, "explain", person=person_label(person))
        return result

    # -- review queue (ddj_desktop.review) ---------------------------------------------------------------------
    def review_queue(self, *, list_impact: bool = True) -> Any:
        """The pairs left to review, most consequential first: a review.ReviewQueue (left, expected_wrong)."""
        from ddj_desktop.review import queue

        self._require("review")
        with self.store.reading() as session:
            flags, rule = self._review_list_impact(session) if list_impact else (None, None)
            result = queue.build_queue(session, flags, hidden=self._withheld(session))
        result.list_rule = rule
        return result

    def review_queue_left(self) -> int:
        """How many pairs wait for a reviewer (`review_queue().left`), without building the queue."""
        from ddj_desktop.review import queue

        self._require("review")
        with self.store.reading() as session:
            return queue.count_left(session)

    def _review_list_impact(self, session: Session) -> tuple[Any, str | None]:
        """The list-change test for the queue, with the county's chosen rule (else the generic DDJ rule)."""
        from ddj_desktop.reports import settings as report_settings
        from ddj_desktop.review import impact

        try:
            rule = self.utilizer_rule(report_settings.load(session).rule or "generic_ddj")
            table = self._utilizer_events(session, rule)
        except DdjError:
            return None, None
        latest = session.scalar(select(func.max(func.substr(Record.event_start, 1, 10))))
        if not latest:
            return None, None
        import datetime as dt

        as_of = dt.date.fromisoformat(latest)
        return (lambda pairs: impact.list_changes(rule, table, as_of, pairs)), rule.name

    def review_pair(self, pair_id: str) -> Any:
        """One pair as a reviewer sees it (review.PairView): identity fields side by side, each comparison's
        weight, the records already linked to each side. Event details only for roles with view_details."""
        from ddj_desktop.review import queue, service

        self._require("review")
        with self.store.reading() as session:
            hidden = self._withheld(session)
            if hidden and session.get(Pair, pair_id) is not None:
                self._refuse_withheld(hidden, *(ref[0] for ref in service.pair_refs(session, pair_id)))
            view = queue.pair_view(session, pair_id, details=self._may("view_details"), hidden=hidden)
        if view is None:
            raise DdjError(f"There is no review pair {pair_id!r}.")
        return view

    def review_decide(self, pair_id: str, decision: str, *, note: str | None = None) -> Any:
        """Answer a pair: same | different | unsure; applied to persons now and binding on every later link run."""
        from ddj_desktop.review import service

        self._require("review")
        with self.store.session() as session:
            hidden = self._withheld(session)
            if hidden:
                self._refuse_withheld(hidden, *(ref[0] for ref in service.pair_refs(session, pair_id)))
            done = service.decide(session, pair_id, decision, user=self.user_name, now=users.now(), note=note)
            self._audit(session, "review_decide", pair=pair_id, decision=done.decision, a=f"{done.a[0]}:{done.a[1]}",
                        b=f"{done.b[0]}:{done.b[1]}", **_note_mark(note), records_moved=done.persons_changed)
        return done

    def review_undo(self) -> Any:
        """Take back the latest review action (decision, split or merge), in order; None when nothing is left."""
        from ddj_desktop.review import decisions, service

        self._require("review")
        with self.store.session() as session:
            hidden = self._withheld(session)
            if hidden:
                self._refuse_withheld(hidden, *(ref[0] for row in decisions.last_action(session) for ref in (row.a, row.b)))
            done = service.undo(session, user=self.user_name, now=users.now())
            if done is not None:
                self._audit(session, "review_undo", undone_action=done.action, kind=done.kind, pair=done.pair_id,
                            decision=done.decision, records_moved=done.persons_changed)
        return done

    def review_person(self, person: int | str) -> Any:
        """One person's records (identity only; those the role may see) and its weak chains: a review.PersonReview.
        Audited (a view)."""
        from ddj_desktop.review import persons

        self._require("review")
        person_id = int(str(person).upper().lstrip("P") or 0)
        with self.store.reading() as session:
            review = persons.person_review(session, person_id, details=self._may("view_details"),
                                           hidden=self._withheld(session))
        self._audit_view("view_person", person=person_label(person_id), records=len(review.records), review=True)
        return review

    def review_split(self, person: int | str, records: list[tuple[str, str]], *, note: str | None = None) -> Any:
        """Split `records` off a person (they are one person, not the others'); binding and undoable."""
        from ddj_desktop.review import service

        self._require("review")
        person_id = int(str(person).upper().lstrip("P") or 0)
        with self.store.session() as session:
            self._refuse_withheld(self._withheld(session), *(source for source, _key in records))
            done = service.split(session, person_id, records, user=self.user_name, now=users.now(), note=note)
            self._audit(session, "review_split", person=person_label(person_id),
                        records=[f"{s}:{k}" for s, k in records], **_note_mark(note),
                        records_moved=done.persons_changed)
        return done

    def review_merge(self, person_a: int | str, person_b: int | str, *, note: str | None = None) -> Any:
        """Merge two persons (the older ID stays); binding and undoable."""
        from ddj_desktop.review import service

        self._require("review")
        ids = [int(str(p).upper().lstrip("P") or 0) for p in (person_a, person_b)]
        with self.store.session() as session:
            hidden = self._withheld(session)
            done = service.merge(session, ids[0], ids[1], user=self.user_name, now=users.now(), note=note,
                                 visible=hidden.visible() if hidden else None)
            self._audit(session, "review_merge", persons=[person_label(p) for p in ids], **_note_mark(note),
                        records_moved=done.persons_changed)
        return done

    def _may(self, permission: str) -> bool:
        return permission in users.PERMISSIONS.get(self.role, frozenset())

    def may(self, permission: str) -> bool:
        """Whether the acting user's role allows `permission` (so a window can say so before a button is pressed;
        every call still checks)."""
        return self._may(permission)

    # -- frequent-utilizer lists -----------------------------------------------------------------------------
    _utilizer_cache: Any = None  # (store fingerprint, attribute keys, with dob?, EventTable): reused while unchanged

    def utilizer_templates(self) -> list[Any]:
        """The shipped rule templates (TemplateInfo: key, name, version, description, citation)."""
        from ddj_desktop import utilizers

        self._require("view_summary")
        return utilizers.templates()

    def utilizer_rule(self, rule: Any) -> Any:
        """A Rule from a template key, a .toml path, TOML text (a rule editor's buffer) or a Rule; raises RuleError
        listing every problem. `utilizers.check_rule(text)` gives the problems without raising."""
        from ddj_desktop import utilizers

        if isinstance(rule, utilizers.Rule):
            return rule
        if isinstance(rule, str) and "\n" in rule:
            return utilizers.parse_rule(rule)
        return utilizers.load_rule(rule)

    def _utilizer_events(self, session: Session, rule: Any) -> Any:
        from ddj_desktop.utilizers import events

        hidden = self._withheld(session)
        fingerprint = (*events.store_fingerprint(session), tuple(sorted(hidden.ids)))
        keys, dob = rule.attribute_keys(), rule.needs_dob()
        cached = self._utilizer_cache
        if cached and cached[0] == fingerprint and keys <= cached[1] and (cached[2] or not dob):
            return cached[3]
        if cached and cached[0] == fingerprint:
            keys, dob = keys | cached[1], dob or cached[2]
        table = events.load_events(session, keys, with_dob=dob, without_sources=hidden.ids)
        self._utilizer_cache = (fingerprint, frozenset(keys), dob, table)
        return table

    def latest_event_date(self) -> Any:
        """The date of the latest event in the store (a sensible as-of date for data that stops in the past)."""
        import datetime as dt

        self._require("view_summary")
        with self.store.reading() as session:
            latest = session.scalar(select(func.max(func.substr(Record.event_start, 1, 10))))
        return dt.date.fromisoformat(latest) if latest else None

    def utilizer_list_size(self, rule: Any, as_of: Any = None) -> int:
        """How many people `rule` lists as of `as_of` (default today): a count for the rule editor, not audited."""
        import datetime as dt

        from ddj_desktop import utilizers

        self._require("view_summary")
        rule = self.utilizer_rule(rule)
        with self.store.reading() as session:
            table = self._utilizer_events(session, rule)
        return utilizers.count(rule, table, as_of or dt.date.today())

    def utilizer_list(self, rule: Any, as_of: Any = None, *, explain: bool = True, save: bool = False) -> Any:
        """The frequent-utilizer list of `rule` (template key, .toml path, TOML text or Rule) as of `as_of` (default
        today): a UtilizerList, each person with the conditions that held, the values and the records behind them.
        `save` keeps the run in the store for next month's comparison. Audited."""
        import datetime as dt

        from ddj_desktop import utilizers
        from ddj_desktop.utilizers import events, runs

        self._require("view_details")
        rule = self.utilizer_rule(rule)
        as_of = as_of or dt.date.today()
        with self.store.session() as session:
            result = utilizers.evaluate(rule, self._utilizer_events(session, rule), as_of, explain=explain)
            if explain:
                events.fill_source_keys(session, result.people)
            run_id = runs.save(session, result, self.user_name, users.now()).id if save else None
            self._audit(session, "utilizer_list", rule=rule.name, version=rule.version, as_of=as_of.isoformat(),
                        people=len(result.people), saved_run=run_id)
        result.run_id = run_id
        return result

    def utilizer_runs(self, rule_name: str | None = None) -> list[Any]:
        """The saved list runs (RunInfo), newest as-of first; only those of `rule_name` if given."""
        from ddj_desktop.utilizers import runs

        self._require("view_details")
        with self.store.reading() as session:
            return runs.runs(session, rule_name)

    def compare_utilizer_lists(
        self, rule: Any, as_of: Any = None, *, previous_as_of: Any = None, previous_run: int | None = None
    ) -> Any:
        """Who is new, dropped or moved between an earlier list and `rule`'s list as of `as_of` (default today).
        The earlier list: the saved run `previous_run`; else `rule` evaluated as of `previous_as_of`; else the
        latest saved run of the same rule before `as_of`; else `rule` as of one month before. Audited."""
        import datetime as dt

        from ddj_desktop import utilizers
        from ddj_desktop.utilizers import runs

        self._require("view_details")
        rule = self.utilizer_rule(rule)
        as_of = as_of or dt.date.today()
        with self.store.session() as session:
            table = self._utilizer_events(session, rule)
            now = utilizers.Snapshot.of(utilizers.evaluate(rule, table, as_of, explain=False))
            if previous_run is None and previous_as_of is None:
                earlier = [r for r in runs.runs(session, rule.name) if r.as_of < as_of]
                if earlier:
                    previous_run = earlier[0].id
                else:
                    previous_as_of = _month_before(as_of)
            if previous_run is not None:
                before, _ = runs.snapshot(session, previous_run)
            else:
                before = utilizers.Snapshot.of(utilizers.evaluate(rule, table, previous_as_of, explain=False))
            result = utilizers.compare(before, now)
            self._audit(session, "utilizer_compare", rule=rule.name, version=rule.version, before=before.label,
                        now=now.label, **{k.replace(" ", "_"): v for k, v in result.counts().items()})
        return result

    def reproduce_utilizer_run(self, run_id: int) -> Any:
        """The saved run `run_id` compared with its own rule text evaluated again as of its as-of date: a
        Comparison whose people are all `same` when the data behind the list has not changed. Audited."""
        from ddj_desktop import utilizers
        from ddj_desktop.utilizers import runs

        self._require("view_details")
        with self.store.session() as session:
            saved, text = runs.snapshot(session, run_id)
            rule = utilizers.parse_rule(text, origin=f"The rule of saved run {run_id}")
            again = utilizers.evaluate(rule, self._utilizer_events(session, rule), saved.as_of, explain=False)
            result = utilizers.compare(saved, utilizers.Snapshot.of(again))
            self._audit(session, "utilizer_compare", rule=rule.name, version=rule.version, before=saved.label,
                        now=f"reproduced as of {saved.as_of.isoformat()}",
                        **{k.replace(" ", "_"): v for k, v in result.counts().items()})
        return result

    def export_utilizer_list(
        self, rule: Any, out: Path, as_of: Any = None, *, save: bool = False
    ) -> Any:
        """Write `rule`'s list as of `as_of` (or an already made UtilizerList) to `out` (.xlsx or .csv); returns the
        list. Audited as an export."""
        from ddj_desktop.utilizers import UtilizerList, export

        self._require("export")
        result = rule if isinstance(rule, UtilizerList) else self.utilizer_list(rule, as_of, save=save)
        with self.store.session() as session:
            rows = export.write_list(Path(out), result, generated_by=self.user_name)
            self._audit(session, "export", what="utilizer list", rule=result.rule_name, version=result.rule_version,
                        as_of=result.as_of.isoformat(), file=Path(out).name, rows=rows)
        return result

    def export_utilizer_comparison(self, comparison: Any, out: Path) -> int:
        """Write a comparison (from compare_utilizer_lists) to `out` (.xlsx or .csv); returns rows. Audited."""
        from ddj_desktop.utilizers import export

        self._require("export")
        with self.store.session() as session:
            rows = export.write_comparison(Path(out), comparison)
            self._audit(session, "export", what="utilizer comparison", before=comparison.before.label,
                        now=comparison.now.label, file=Path(out).name, rows=rows)
        return rows

    # -- release of information and consents (ddj_desktop.consent) ----------------------------------------------
    def county_settings(self) -> Any:
        """The county settings the forms need (consent.settings.CountySettings), or None if not set yet."""
        from ddj_desktop.consent import register

        self._require("view_summary")
        with self.store.reading() as session:
            return register.county_settings(session)

    def set_county_settings(self, settings: Any) -> None:
        """Keep the county settings (a CountySettings, or the text of a county TOML file)."""
        from ddj_desktop.consent import register
        from ddj_desktop.consent import settings as county

        self._require("manage_sources")
        value = county.from_toml(settings) if isinstance(settings, str) else settings
        with self.store.session() as session:
            register.save_settings(session, value, self.user_name)
            self._audit(session, "county_settings", county=value.county, parties=[p.key for p in value.parties])

    def roi_forms(self, persons: list[str | int], *, out: Path | None = None, out_dir: Path | None = None,
                  template: str | None = None, progress: Progress | None = None) -> list[Any]:
        """Print numbered, pre-filled ROI forms: all into `out`, or one file each into `out_dir`."""
        from ddj_desktop.consent import identity, roi

        self._require("export")
        person_ids = [identity.parse_person(p) for p in persons]
        with self.store.session() as session:
            used, printed = roi.write_forms(session, person_ids, template_name=template, out=out, out_dir=out_dir,
                                            user=self.user_name, progress=progress,
                                            without_sources=self._withheld(session).ids)
            self._audit(session, "roi_forms", template=used.id, version=used.version,
                        forms={f.number: f.person for f in printed}, files=sorted({f.file.name for f in printed}))
        return printed

    def record_consent(self, person: str | int, *, today: Any = None, **details: Any) -> Any:
        """Record a signed ROI (see consent.register.record for the details); returns its ConsentInfo."""
        import datetime as dt

        from ddj_desktop.consent import identity, register, templates

        self._require("export")
        person_id = identity.parse_person(person)
        today = today or dt.date.today()
        name = details.pop("template", None)
        template = templates.load_template(name) if name else None
        with self.store.session() as session:
            if template is None and not details.get("form"):
                template = templates.load_template(register.require_settings(session).default_template)
            consent, notes = register.record(session, person_id=person_id, template=template, user=self.user_name,
                                             today=today, **details)
            self._audit(session, "consent", consent=consent.id, person=person_label(person_id),
                        template=consent.template_id, version=consent.template_version,
                        disclosing=consent.disclosing, receiving=consent.receiving, pairs=consent.pairs,
                        categories=[c["key"] for c in consent.categories], signed_on=consent.signed_on,
                        expires_on=consent.expires_on, artifact_sha256=consent.artifact_sha256)
            return register.info(consent, today, register.require_settings(session).expiring_days,
                                 person_label(person_id), notes)

    def consent_limit(self, template: str | None, categories: list[str], signed_on: Any) -> tuple[Any, str] | None:
        """(last day, the state's limit as words) for a consent on `template` covering `categories`, signed on
        `signed_on`, under the county's maximum durations; None when no limit applies."""
        from ddj_desktop.consent import register, templates

        self._require("view_summary")
        signed = register.parse_date(signed_on, "signing date")
        with self.store.reading() as session:
            county = register.require_settings(session)
        limit = register.latest_end(county, templates.load_template(template or county.default_template),
                                    categories, signed) if signed else None
        return (limit[0], limit[1].describe()) if limit else None

    def roi_templates(self) -> list[Any]:
        """The form templates in forms/ (consent.templates.RoiTemplate: id, version, language, categories ...)."""
        from ddj_desktop.consent import templates

        self._require("view_summary")
        return [templates.load_template(name) for name in templates.available_templates()]

    def consent_form(self, form: str) -> Any:
        """(person label, template id) of the printed form numbered `form` (ROI-000012); ConsentError if none."""
        from ddj_desktop.consent import register

        self._require("view_identity")
        with self.store.reading() as session:
            return register.printed_form(session, form)

    def revoke_consent(self, consent_id: int, *, on: Any = None, method: str, note: str | None = None,
                       today: Any = None) -> Any:
        """Record that consent `consent_id` was revoked (received on `on`, by `method`); returns its ConsentInfo."""
        import datetime as dt

        from ddj_desktop.consent import register

        self._require("export")
        today = today or dt.date.today()
        day = register.parse_date(on, "revocation date") or today
        with self.store.session() as session:
            consent = register.revoke(session, consent_id, on=day, method=method, note=note, user=self.user_name,
                                      today=today)
            self._audit(session, "consent_revoke", consent=consent_id, person=person_label(consent.person_id),
                        revoked_on=consent.revoked_on, method=method)
            return register.info(consent, today, register.require_settings(session).expiring_days,
                                 person_label(consent.person_id))

    def consents(self, person: str | int | None = None, *, on: Any = None, expiring_only: bool = False,
                 within_days: int | None = None) -> list[Any]:
        """Every consent (of `person`), with its status on day `on` (default today); `expiring_only`: those
        ending within `within_days` (default: the county's warning period, 30 days). A role that may not see 42 CFR
        Part 2 records does not see the consents that cover them either (a consent to share a treatment program's
        records all but says the person is its patient)."""
        import datetime as dt

        from ddj_desktop.consent import identity, register

        self._require("view_identity")
        day = register.parse_date(on, "date") or dt.date.today()
        person_id = identity.parse_person(person) if person is not None else None
        with self.store.reading() as session:
            county = register.county_settings(session)
            soon = within_days if within_days is not None else county.expiring_days if county else 30
            hidden = self._withheld(session)
            rows = [register.info(c, day, soon, person_label(c.person_id))
                    for c in register.consents_of(session, person_id) if not (hidden and c.part2)]
        return [r for r in rows if r.status == "expiring"] if expiring_only else rows

    def disclose(self, person: str | int, to: str, categories: list[str], out: Path, *, on: Any = None) -> Any:
        """Export a person's records of `categories` to party `to` as a PDF, only under an active consent that
        covers them (with the 42 CFR 2.32 notice when Part 2 records are in it); audited, refusals too."""
        import datetime as dt

        from ddj_desktop.consent import disclosure, identity, register

        self._require("export")
        person_id = identity.parse_person(person)
        day = register.parse_date(on, "date") or dt.date.today()
        try:
            with self.store.session() as session:
                result = disclosure.disclose(session, person_id, person_label(person_id), to, categories, Path(out),
                                             day, self.user_name, withheld=self._withheld(session))
                self._audit(session, "disclose", disclosure=result.id, consent=result.consent_id,
                            person=result.person, to=to, categories=result.categories, records=result.records,
                            part2=result.part2, file=Path(out).name, sha256=result.sha256, on=day.isoformat())
        except register.ConsentError as exc:
            with self.store.session() as session:
                self._audit(session, "disclose_refused", person=person_label(person_id), to=to,
                            categories=list(categories), on=day.isoformat(), reason=exc.message)
            raise
        return result

    # -- council reports (ddj_desktop.reports) ------------------------------------------------------------------
    def report_settings(self) -> Any:
        """The county's report settings (reports.ReportSettings: county, rule, per-day costs, population ...)."""
        from ddj_desktop.reports import settings as report_settings

        self._require("view_summary")
        with self.store.reading() as session:
            return report_settings.load(session)

    def set_report_settings(self, settings: Any = None, **changes: Any) -> Any:
        """Keep report settings: a whole ReportSettings (or the text of a report-settings TOML file), and/or single
        changes (county=, rule=, threshold=, cost_per_day={source: dollars}, population={group: residents}).
        Audited; returns the settings kept."""
        from ddj_desktop.reports import settings as report_settings

        self._require("report")
        if isinstance(settings, str):
            settings = report_settings.from_toml(settings)
        if changes.get("rule"):
            self.utilizer_rule(changes["rule"])  # an unknown rule is refused now, not when the report is due
        with self.store.session() as session:
            current = settings or report_settings.load(session, county_fallback=False)
            merged = dict(current.cost_per_day, **(changes.pop("cost_per_day", None) or {}))
            kept = current.changed(cost_per_day=merged, **changes)
            report_settings.save(session, kept, self.user_name, users.now())
            self._audit(session, "report_settings", county=kept.county, rule=kept.rule, threshold=kept.threshold,
                        costs=kept.cost_per_day, population_groups=len(kept.population))
        return kept

    def council_report(self, out: Path, *, period_from: Any = None, period_to: Any = None, rule: str | None = None,
                       xlsx: Path | None = None, progress: Progress | None = None) -> Any:
        """Write the de-identified council report PDF to `out` (and the suppressed aggregate tables to `xlsx`) for
        the period (default: the 12 months up to the latest record), with the frequent-utilizer cohort of `rule`
        (default: the county's chosen rule) as of the period end. Audited; returns a reports.ReportSummary."""
        progress = progress or NullProgress()
        prepared = self.prepare_council_report(period_from=period_from, period_to=period_to, rule=rule,
                                               progress=progress)  # fmt: skip
        check_cancelled(progress)
        summary = self.save_council_report(prepared, out, xlsx=xlsx)
        progress.update(1.0, "Report written")
        return summary

    def prepare_council_report(self, *, period_from: Any = None, period_to: Any = None, rule: str | None = None,
                               progress: Progress | None = None) -> Any:
        """The council report made in memory, to preview (reports.PreparedReport: content, PDF bytes, pages);
        nothing is written until `save_council_report`."""
        import datetime as dt

        from ddj_desktop import reports, utilizers
        from ddj_desktop.reports import settings as report_settings

        self._require("report")
        with self.store.reading() as session:
            settings = report_settings.load(session)
            rule_name = rule or settings.rule
            cohort = None
            if rule_name:
                parsed = self.utilizer_rule(rule_name)

                def evaluate(table: Any, as_of: dt.date) -> Any:
                    listed = utilizers.evaluate(parsed, table, as_of, explain=False)
                    # The rule as a council reads it: its plain-words description, not the TOML it is kept in.
                    return reports.Cohort(listed.rule_name, parsed.description.strip(), as_of,
                                          frozenset(listed.person_ids()))

                fields = {f.key for m in parsed.list_measures() for f in m.filters} & {"event_type"}
                cohort = reports.CohortRule(frozenset(parsed.attribute_keys() | fields), parsed.needs_dob(), evaluate)
            return reports.prepare_report(session, settings, period=(period_from, period_to), cohort=cohort,
                                          progress=progress)  # fmt: skip

    def save_council_report(self, prepared: Any, out: Path, *, xlsx: Path | None = None) -> Any:
        """Write a prepared council report to `out` (and its tables to `xlsx`). Audited; a reports.ReportSummary."""
        from ddj_desktop import reports

        self._require("report")
        summary = reports.save_report(prepared, Path(out), xlsx=Path(xlsx) if xlsx else None)
        start, end = summary.period
        with self.store.session() as session:
            self._audit(session, "report", what="council report", file=Path(out).name,
                        xlsx=Path(xlsx).name if xlsx else None, period=[start.isoformat(), end.isoformat()],
                        rule=summary.cohort_rule, pages=summary.pages, hidden_small=summary.hidden_small,
                        hidden_complementary=summary.hidden_complementary)
        return summary

    # -- data-sharing agreements (ddj_desktop.governance.agreements) ---------------------------------------------
    def agreements(self, *, on: Any = None) -> list[Any]:
        """Every data-sharing agreement (AgreementInfo) with its status on day `on` (default today), by name."""
        import datetime as dt

        from ddj_desktop.governance import agreements

        self._require("view_summary")
        day = agreements.parse_day(on, "date") or dt.date.today()
        with self.store.reading() as session:
            return [agreements.info(session, a, day) for a in session.scalars(select(Agreement).order_by(Agreement.name))]

    def add_agreement(self, name: str, *, parties: list[str], purpose: str, fields: list[str], starts_on: Any,
                      ends_on: Any = None) -> Any:
        """Record a data-sharing agreement (admins): parties, purpose, the fields it allows, its period."""
        import datetime as dt

        from ddj_desktop.governance import agreements

        self._require("manage_agreements")
        with self.store.session() as session:
            made = agreements.add(session, name=name, parties=parties, purpose=purpose, fields=fields,
                                  starts_on=starts_on, ends_on=ends_on, user=self.user_name, now=users.now())
            self._audit(session, "agreement_add", agreement=made.name, parties=made.parties, purpose=made.purpose,
                        fields=made.fields_allowed, starts_on=made.starts_on, ends_on=made.ends_on)
            return agreements.info(session, made, dt.date.today())

    def tie_agreement(self, source: str, agreement: str | None) -> SourceInfo:
        """Put `source` under `agreement` (None: under none); later imports into it must keep to it. Admins."""
        from ddj_desktop.governance import agreements

        self._require("manage_agreements")
        with self.store.session() as session:
            src = ensure_source(session, source)
            found = agreements.find(session, agreement) if agreement else None
            src.agreement_id = found.id if found else None
            self._audit(session, "agreement_tie", source=src.name, agreement=found.name if found else None)
            return _source_now(session, src)

    def end_agreement(self, name: str, *, on: Any = None, note: str | None = None) -> Any:
        """End agreement `name` on day `on` (default today, its last day): imports after it are refused. Admins."""
        import datetime as dt

        from ddj_desktop.governance import agreements

        self._require("manage_agreements")
        day = agreements.parse_day(on, "end date") or dt.date.today()
        with self.store.session() as session:
            ended = agreements.end(session, name, day, note, self.user_name, users.now())
            self._audit(session, "agreement_end", agreement=ended.name, ends_on=ended.ends_on)
            return agreements.info(session, ended, dt.date.today())

    # -- retention and purge (ddj_desktop.governance.retention) --------------------------------------------------
    def set_retention(self, source: str, years: int | None) -> SourceInfo:
        """Keep `source`'s records `years` after they were imported or last changed (None: until purged by hand).
        Admins."""
        self._require("manage_retention")
        if years is not None and not 1 <= years <= 100:
            raise DdjError(f"A retention of {years} years is not usable.", hint="Give 1-100 years, or none.")
        with self.store.session() as session:
            src = ensure_source(session, source)
            src.retention_years = years
            self._audit(session, "retention", source=src.name, years=years)
            return _source_now(session, src)

    def expired(self, *, on: Any = None) -> list[Any]:
        """Per source with a retention period: how many records (and rejected rows) are past it on day `on`."""
        import datetime as dt

        from ddj_desktop.governance import retention

        self._require("view_retention")
        with self.store.reading() as session:
            return retention.expired(session, _day(on) or dt.date.today())

    def expired_records(self, *, on: Any = None, limit: int = 1000) -> list[RecordRow]:
        """The records past retention on day `on` (the first `limit`), to look at before purging. Audited (a view)."""
        import datetime as dt

        from ddj_desktop.governance import retention

        self._require("view_retention")
        self._require("view_identity")
        day = _day(on) or dt.date.today()
        with self.store.reading() as session:
            ids = retention.expired_record_ids(session, day)[:limit]
            query = _record_query(select(*_RECORD_COLUMNS.values(), Record.id), "").where(
                Record.id.in_(ids), self._withheld(session).visible())
            rows = [_record_row(r) for r in session.execute(query.order_by(Source.name, Record.source_key))]
        self._audit_view("view_expired", on=day.isoformat(), records=len(rows))
        return rows

    def purge_expired(self, *, on: Any = None) -> Any:
        """Delete every record past its source's retention on day `on` (default today), and what names them; the
        file is vacuumed so nothing of them stays in free pages. Admins; audited with counts. PurgeCounts."""
        import datetime as dt

        from ddj_desktop.governance import retention

        self._require("purge")
        day = _day(on) or dt.date.today()
        with self.store.session() as session:
            counts = retention.purge_expired(session, day)
            self._audit(session, "purge", kind="expired", on=day.isoformat(), **counts.as_dict())
        self.store.vacuum()
        self._utilizer_cache = None
        return counts

    def purge_person(self, person: str | int) -> Any:
        """Delete every record of one person (P000123 or 123), and what names them (see governance.retention);
        the file is vacuumed. Admins; audited with counts, no identities. PurgeCounts."""
        from ddj_desktop.governance import retention

        self._require("purge")
        person_id = int(str(person).strip().upper().lstrip("P") or 0)
        with self.store.session() as session:
            if session.scalar(select(Person.id).where(Person.id == person_id)) is None:
                raise DdjError(f"There is no person {person_label(person_id)}.")
            counts = retention.purge_person(session, person_id)
            self._audit(session, "purge", kind="person", person=person_label(person_id), **counts.as_dict())
        self.store.vacuum()
        self._utilizer_cache = None
        return counts

    # -- users ---------------------------------------------------------------------------------------------
    def users(self) -> list[UserInfo]:
        self._require("manage_users")
        with self.store.reading() as session:
            return [
                UserInfo(u.name, u.role, u.active, u.password_hash is not None)
                for u in session.scalars(select(User).order_by(User.id))
            ]

    def add_user(self, name: str, role: str, password: str) -> UserInfo:
        """A new user; the acting admin must have a password of their own first (a shared laptop)."""
        self._require("manage_users")
        with self.store.session() as session:
            me = session.scalar(select(User).where(User.name == self.user_name))
            if me is not None and me.password_hash is None:
                raise DdjError(
                    "Set a password for yourself before adding other users.",
                    hint="Once a second user exists, everyone signs in with their own password.",
                )
            user = users.add_user(session, name, role, password)
            self._audit(session, "user_add", name=user.name, role=user.role)
            return UserInfo(user.name, user.role, user.active, True)

    def change_user(self, name: str, *, role: str | None = None, active: bool | None = None) -> UserInfo:
        """Give user `name` another role, or make them inactive (they can no longer sign in; their name stays in
        the audit log) or active again. Admins; the store always keeps an active admin."""
        self._require("manage_users")
        with self.store.session() as session:
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                raise DdjError(f"There is no user named {name!r}.")
            changes: dict[str, Any] = {}
            if role is not None and role != user.role:
                user.role = changes["role"] = users.check_role(role)
            if active is not None and active != user.active:
                user.active = changes["active"] = active
            session.flush()
            admins = session.scalar(select(func.count()).select_from(User).where(
                User.role == "admin", User.active.is_(True))) or 0
            if admins == 0:
                raise DdjError("The store would be left without an active admin; nothing was changed.",
                               hint="Make another user an admin first.")
            if changes:
                self._audit(session, "user_change", name=user.name, **changes)
            return UserInfo(user.name, user.role, user.active, user.password_hash is not None)

    def my_account(self) -> UserInfo:
        """The acting user: name, role, whether they have a password of their own."""
        with self.store.reading() as session:
            me = session.scalar(select(User).where(User.name == self.user_name))
            if me is None:
                raise DdjError(f"There is no user named {self.user_name!r}.")
            return UserInfo(me.name, me.role, me.active, me.password_hash is not None)

    def set_password(self, password: str, *, name: str | None = None, current_password: str | None = None) -> None:
        """Set the acting user's password, or (admins) another user's. With `current_password`, the acting user's
        present password must match it first (the desktop asks for it, in case someone else sits at the laptop)."""
        own = name is None or name == self.user_name
        if not own:
            self._require("manage_users")
        with self.store.session() as session:
            target = session.scalar(select(User).where(User.name == (name or self.user_name)))
            if target is None:
                raise DdjError(f"There is no user named {name!r}.")
            if own and current_password is not None and target.password_hash is not None \
                    and not users.password_matches(target, current_password):
                raise AuthenticationFailed("Your current password is not right; the password was not changed.")
            users.set_password(session, target, password)
            self._audit(session, "user_password", name=target.name)

    # -- store ---------------------------------------------------------------------------------------------
    def backup(self, destination: Path) -> Path:
        """Write an encrypted copy of the store (same passphrase) to `destination`, checked before it is kept."""
        self._require("backup")
        self.store.backup(Path(destination))
        with self.store.session() as session:
            self._audit(session, "backup", file=Path(destination).name)
        return Path(destination)

    @classmethod
    def restore(
        cls, backup: Path, destination: Path, passphrase: str, *, user: str | None = None,
        password: str | None = None, replace: bool = False,
    ) -> tuple[Workspace, Path | None]:
        """The store restored from `backup` at `destination` (an admin of the backup acting), and where the
        store it replaced was set aside. A backup that does not open is never restored."""
        from ddj_desktop.store.backup import restore_backup, undo_restore

        aside = restore_backup(Path(backup), Path(destination), passphrase, replace=replace)
        try:
            restored = cls.open(Path(destination), passphrase, user=user, password=password)
            try:
                restored._require("restore")
            except BaseException:
                restored.close()
                raise
        except BaseException:
            undo_restore(Path(destination), aside)  # the backup's users said no: put everything back
            raise
        with restored.store.session() as session:
            restored._audit(session, "restore", file=Path(backup).name, replaced=aside.name if aside else None)
        return restored, aside

    def change_passphrase(self, new_passphrase: str, *, current_passphrase: str | None = None) -> None:
        """Re-encrypt the store under a new passphrase (do this when someone who knew it leaves). With
        `current_passphrase`, it must be the passphrase the store was opened with, else nothing changes."""
        self._require("change_passphrase")
        if current_passphrase is not None and not hmac.compare_digest(
            current_passphrase.encode("utf-8"), self.store._passphrase.encode("utf-8")
        ):
            raise WrongPassphrase(
                "That is not the store's current passphrase; the passphrase was not changed.",
                hint="Type the passphrase you unlocked the store with.",
            )
        self.store.rekey(new_passphrase)
        with self.store.session() as session:
            self._audit(session, "rekey")

    def verify_audit(self) -> audit.Verification:
        self._require("audit")
        with self.store.reading() as session:
            return audit.verify(session)

    def audit_entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        self._require("audit")
        with self.store.reading() as session:
            return [
                {"seq": e.seq, "at": e.at, "user": e.user_name, "action": e.action, "details": e.details}
                for e in audit.entries(session, limit)
            ]

    # -- reading the audit log a page at a time (ddj_desktop.governance.audit_query; the desktop's Audit page) -----
    def audit_page(self, audit_filter: Any = None, *, before: int | None = None, limit: int = 200) -> list[Any]:
        """Up to `limit` audit entries (AuditEntry) that `audit_filter` (an AuditFilter) finds, newest first, older
        than entry `before`. Admins and analysts."""
        from ddj_desktop.governance import audit_query

        self._require("audit")
        with self.store.reading() as session:
            return audit_query.page(session, audit_filter or audit_query.AuditFilter(), before=before, limit=limit)

    def audit_count(self, audit_filter: Any = None) -> int:
        """How many audit entries `audit_filter` finds in all."""
        from ddj_desktop.governance import audit_query

        self._require("audit")
        with self.store.reading() as session:
            return audit_query.count(session, audit_filter or audit_query.AuditFilter())

    def audit_choices(self) -> tuple[list[str], list[str]]:
        """The actions and the user names that occur in the audit log, to filter by."""
        from ddj_desktop.governance import audit_query

        self._require("audit")
        with self.store.reading() as session:
            return audit_query.choices(session)

    def export_audit(self, out: Path, audit_filter: Any = None, *, progress: Progress | None = None) -> int:
        """Write the audit entries `audit_filter` finds to `out` (.csv or .xlsx, newest first, with their hashes);
        the number written. Needs both reading the log and exporting (admins, analysts); audited as an export."""
        from ddj_desktop.governance import audit_query

        self._require("audit")
        self._require("export")
        chosen = audit_filter or audit_query.AuditFilter()
        with self.store.session() as session:
            count = audit_query.export(session, chosen, Path(out), progress)
            self._audit(session, "export", what="audit log", file=Path(out).name, rows=count,
                        filter=chosen.describe() or None)
        return count


_RECORD_COLUMNS = {
    "person": Record.person_id, "source": Source.name, "source_key": Record.source_key,
    "last_name": Record.last_name, "first_name": Record.first_name, "dob": Record.dob, "sex": Record.sex,
    "event_type": Record.event_type, "event_start": Record.event_start, "event_end": Record.event_end,
}  # fmt: skip
_DATE_TYPED = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})/(\d{4})")


def _record_query(query: Any, text: str) -> Any:
    """`query` over records joined to their source, narrowed to what `text` finds."""
    query = query.select_from(Record).join(Source, Source.id == Record.source_id)
    text = text.strip()
    if not text:
        return query
    date = _DATE_TYPED.fullmatch(text)
    if date:
        y, m, d = date.group(1, 2, 3) if date.group(1) else date.group(6, 4, 5)
        return query.where(Record.dob == f"{int(y):04d}-{int(m):02d}-{int(d):02d}")
    if re.fullmatch(r"[Pp]\d{1,9}", text):
        return query.where(Record.person_id == int(text[1:]))
    if any(c.isdigit() for c in text):  # names hold no digits: an agency's key or person number
        return query.where(or_(Record.source_key == text, Record.agency_person_id == text))
    # Names are stored upper case without accents (NUNEZ for Núñez): a word is a range on that. One word is the
    # start of a last name; with more, any one of them starts the last name and the others start the first
    # name. Each alternative leads with a last-name range, which the index serves at a million records.
    words = [w for w in (normalize_name(w) for w in re.split(r"[\s,]+", text)) if w]
    if not words:
        return query.where(false())

    def starts(column: Any, word: str) -> Any:
        return and_(column >= word, column < word + "\uffff")

    return query.where(or_(*(
        and_(starts(Record.last_name, last), *(starts(Record.first_name, w) for j, w in enumerate(words) if j != i))
        for i, last in enumerate(words)
    )))  # fmt: skip


def _sort_value(row: RecordRow, sort: str) -> Any:
    if sort == "person":
        return int(row.person[1:]) if row.person else None
    return getattr(row, sort)


def _after(column: Any, value: Any, record_id: int, descending: bool) -> Any:
    """Rows after (value, record_id) in the order (column, id), NULLs first ascending and last descending."""
    if descending:
        if value is None:
            return and_(column.is_(None), Record.id < record_id)
        return or_(column < value, and_(column == value, Record.id < record_id), column.is_(None))
    if value is None:
        return or_(and_(column.is_(None), Record.id > record_id), column.is_not(None))
    return or_(column > value, and_(column == value, Record.id > record_id))


def _record_row(row: Any) -> RecordRow:
    person, source, key, last, first, dob, sex, event_type, start, end, record_id = row
    return RecordRow(record_id, person_label(person), source, key, last, first, dob, sex, event_type, start, end)


def _note_mark(note: str | None) -> dict[str, Any]:
    """What the audit log keeps of a reviewer's note: that there is one, and its length. The note itself may name
    people, and audit entries are never purged; it stays in `review_decision`, which a purge reaches."""
    text = (note or "").strip()
    return {"note": bool(text), "note_chars": len(text)}


def _day(value: Any) -> Any:
    from ddj_desktop.dates import parse_day

    return parse_day(value, "date")


def _month_before(day: Any) -> Any:
    """The same day one month earlier (the last day of that month when it is shorter)."""
    import calendar
    import datetime as dt

    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ensure_source(session: Session, name: str) -> Source:
    """The source called `name`, created (with the standard intercept if it is a standard name) if new."""
    name = name.strip().lower()
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise DdjError(
            f"{name!r} is not a usable source name.", hint="Use letters, digits, '-' or '_', e.g. jail or ed."
        )
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        display, intercept = STANDARD_SOURCES.get(name, (name.capitalize(), None))
        from ddj_desktop.governance.retention import default_retention

        source = Source(name=name, display_name=display, intercept=intercept, created_at=users.now(),
                        retention_years=default_retention(name))
        session.add(source)
        session.flush()
    return source


def new_person(session: Session) -> Person:
    person = Person(created_at=users.now())
    session.add(person)
    return person
