"""Import: files -> tables -> mapped rows -> normalized records, prepared outside the store, then written in one
transaction by `write_prepared`.

Preparation does the slow parts (reading, normalizing whole columns) without touching the store, so a bad file
fails before anything is written; writing is bulk inserts below the ORM.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ddj_desktop.errors import ImportFileError
from ddj_desktop.importing import joins, mapping, readers
from ddj_desktop.importing import table as table_finder
from ddj_desktop.importing.model import Cell, Table
from ddj_desktop.importing.normalize import (
    NameParts,
    Quality,
    is_test_record,
    normalize_ethnicities,
    normalize_name_columns,
    normalize_races,
    normalize_sexes,
    normalize_ssns,
    normalize_yes_nos,
    normalize_zips,
    parse_dates,
    quality_from_code,
    split_full_names,
)
from ddj_desktop.progress import NullProgress, Progress, Stage, check_cancelled
from ddj_desktop.store.models import ImportBatch

SKIP_TEST_RECORD = "test record"
SKIP_DUPLICATE_IN_FILE = "repeated row in the file"
YES_NO_ATTRIBUTES = ("homeless", "serious_mental_illness", "substance_use")
QUALITY_FIELDS = ("name_quality", "dob_quality", "ssn_quality")
MAX_PROBLEMS_KEPT = 100_000  # per batch; beyond this only the counts are kept


@dataclass
class Problem:
    row_number: int
    reason: str  # never holds a name, DOB or SSN: it is shown in summaries and logs
    rejected: bool  # True: the row was not imported; False: imported without the field named in `reason`
    values: dict[str, Any] = field(default_factory=dict)  # the row as sent (rejected rows only)


@dataclass
class PreparedTable:
    """One table ready to write: its records (as column dicts), rows skipped, rows rejected, and the profile."""

    table: Table
    file: Path
    file_sha256: str
    profile: mapping.MappingProfile
    profile_from: str  # "file", "earlier import", "proposed"
    records: list[dict[str, Any]]
    skipped: Counter[str]
    problems: list[Problem]
    notes: list[str]

    @property
    def rows_read(self) -> int:
        return len(self.table.rows) + len(self.table.skipped)

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.problems if p.rejected)


@dataclass
class BatchSummary:
    """What one import batch did, in numbers a user checks."""

    batch_id: int
    label: str
    profile_name: str
    profile_from: str
    rows_read: int
    imported: int
    updated: int
    duplicate: int
    rejected: int
    skipped: dict[str, int]
    problems: list[tuple[int, str, bool]]  # (row, reason, rejected) - first few, for the screen
    notes: list[str]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- reading -------------------------------------------------------------------------------------------------
def read_tables(files: list[Path], sheet: str | None, progress: Progress) -> list[Table]:
    """Every data table in `files` (the named sheet only, if given), known multi-file exports joined."""
    tables: list[Table] = []
    for i, path in enumerate(files):
        check_cancelled(progress)
        progress.update(i / max(len(files), 1), f"Reading {path.name}")
        if not path.is_file():
            raise ImportFileError(f"{path} does not exist or is not a file.")
        for raw in readers.read_file(path, sheet):
            tables.append(table_finder.find_table(raw))
    return joins.join_tables(tables)


# -- mapping -------------------------------------------------------------------------------------------------
def choose_profile(
    table: Table, given: mapping.MappingProfile | None, earlier: list[mapping.MappingProfile]
) -> tuple[mapping.MappingProfile, str]:
    """The profile to use: the user's, else the one used for this source's earlier file, else a proposal."""
    if given is not None:
        return given, "file"
    for profile in earlier:
        if mapping.profile_fits(profile, table.source.file.name, table.header):
            return profile, "earlier import"
    return mapping.propose_mapping(table).profile, "proposed"


# -- normalizing ---------------------------------------------------------------------------------------------
class _Columns:
    """A table's columns as lists, looked up by the DDJ field or attribute a bound profile maps onto them.

    Normalizers work on whole columns, so the table is transposed once instead of mapped row by row.
    """

    def __init__(self, table: Table, bound: mapping.BoundProfile) -> None:
        self.table, self.bound, self.n = table, bound, len(table.rows)
        # A header with no data rows (this month's Exit.csv with no exits) has every column, empty.
        self.by_index = list(zip(*(r.values for r in table.rows))) if table.rows else [() for _ in table.header]
        self.flagged = {target: self._flags(pairs) for target, pairs in bound.flag_index.items()}

    def _flags(self, pairs: list[tuple[int, str]]) -> list[Cell]:
        """One code per row from yes/no flag columns (HMIS race and gender), several joined by ';'."""
        columns = [(self.by_index[i], code) for i, code in pairs]
        return [
            ";".join(dict.fromkeys(code for column, code in columns if mapping._is_yes(column[r]))) or None
            for r in range(self.n)
        ]

    def field(self, name: str) -> list[Cell] | None:
        index = self.bound.field_index.get(name)
        if index is not None:
            column: list[Cell] = list(self.by_index[index])
            flags = self.flagged.get(name)
            return column if flags is None else [f if _blank(v) else v for v, f in zip(column, flags)]
        return self.flagged.get(name)

    def text(self, name: str) -> list[str | None] | None:
        column = self.field(name)
        return None if column is None else [_text(v) for v in column]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused: building a million row dicts (none in a cycle) would otherwise set it
    scanning every live object again and again, which made large imports slower per row than small ones."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _blank(value: Cell) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@functools.lru_cache(maxsize=1 << 16)
def _is_test_record(parts: NameParts, raw_full_name: str | None) -> bool:
    return is_test_record(parts, raw_full_name)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(type(value).__name__)


# One encoder, made once: json.dumps with options would build a new one per call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode


def _coded(code_cell: Cell) -> Quality | None:
    return quality_from_code(code_cell) if code_cell is not None else None


def _distrusted(code_cell: Cell) -> bool:
    """Whether the agency's quality code says the value is not real (HMIS 8/9/99: a filler was typed in)."""
    return _coded(code_cell) in (Quality.DOESNT_KNOW, Quality.REFUSED, Quality.NOT_COLLECTED)


def _quality(found: Quality, code_cell: Cell) -> str:
    """The field's quality: what the value shows, refined by the agency's own quality code (HMIS 1/2/8/9/99)."""
    coded = _coded(code_cell)
    if found == Quality.KNOWN and coded in (Quality.DOESNT_KNOW, Quality.REFUSED, Quality.NOT_COLLECTED):
        return str(coded)  # the caller drops the value
    if coded is None or found in (Quality.INVALID, Quality.PARTIAL):
        return str(found)
    if found == Quality.MISSING:
        return str(coded if coded != Quality.KNOWN else found)
    return str(Quality.PARTIAL if coded == Quality.PARTIAL else found)


def _names(columns: _Columns, profile: mapping.MappingProfile) -> list[NameParts]:
    separate_columns = [columns.field(f) for f in ("first_name", "middle_name", "last_name", "name_suffix")]
    full = columns.field("full_name")
    separate = normalize_name_columns(*separate_columns) if any(c is not None for c in separate_columns) else None
    if full is None:
        return separate or [NameParts()] * columns.n
    split = split_full_names(full, profile.name_order)  # type: ignore[arg-type]
    if separate is None:
        return split
    # A file may carry both: separate columns win where they are filled.
    return [s if (s.first or s.last) else f for s, f in zip(separate, split)]


def _dates(columns: _Columns, profile: mapping.MappingProfile, name: str, kind: str):  # type: ignore[no-untyped-def]
    values = columns.field(name)
    if values is None:
        return None
    day_first = profile.day_first_by_column.get(profile.fields.get(name, ""), profile.day_first)
    return parse_dates(values, kind=kind, day_first=day_first)  # type: ignore[arg-type]


def _or_nones(values: list[Any] | None, n: int) -> list[Any]:
    return values if values is not None else [None] * n


def normalize_table(
    table: Table, bound: mapping.BoundProfile
) -> tuple[list[dict[str, Any]], Counter[str], list[Problem], list[str]]:
    """Records for the table's rows (column dicts for the `record` table), rows skipped, problems, and notes."""
    profile, header, n = bound.profile, bound.header, len(table.rows)
    columns = _Columns(table, bound)
    names = _names(columns, profile)
    dob = _dates(columns, profile, "dob", "dob")
    start = _dates(columns, profile, "event_start", "event")
    end = _dates(columns, profile, "event_end", "event")
    notes = [
        f"{label} read {'day/month/year' if column.day_first else 'month/day/year'}"
        for label, column in (("dates of birth", dob), ("start dates", start), ("end dates", end))
        if column is not None and column.day_first is not None
    ]
    ssn_values = columns.field("ssn")
    ssns = normalize_ssns(ssn_values) if ssn_values is not None else None
    sexes = _or_nones(normalize_sexes(v) if (v := columns.field("sex")) is not None else None, n)
    races = _or_nones(normalize_races(v) if (v := columns.field("race")) is not None else None, n)
    ethnicities = _or_nones(normalize_ethnicities(v) if (v := columns.field("ethnicity")) is not None else None, n)
    zips = _or_nones(normalize_zips(v) if (v := columns.field("zip")) is not None else None, n)
    name_codes, dob_codes, ssn_codes = (_or_nones(columns.field(k), n) for k in QUALITY_FIELDS)
    full_names = _or_nones(columns.field("full_name"), n)
    given_names = [
        any(not _blank(v) for v in cells)
        for cells in zip(*(_or_nones(columns.field(f), n) for f in ("full_name", "first_name", "last_name")))
    ]
    keys = columns.text("source_key")
    if keys is None:  # no row key in this export: a fingerprint of the whole row is its key
        keys = [mapping.row_fingerprint(header, r.values) for r in table.rows]
    agency_ids = _or_nones(columns.text("agency_person_id"), n)
    addresses = _or_nones(columns.text("address"), n)
    event_types = columns.text("event_type") or [profile.event_type] * n

    # Event attributes: mapped ones, flags, other columns under their own names; yes/no ones normalized.
    attribute_names = [*bound.attribute_index, *bound.other_index]
    attribute_at = [*bound.attribute_index.values(), *bound.other_index.values()]
    flag_attributes = [(a, v) for a, v in columns.flagged.items() if a not in mapping.CANONICAL_FIELDS]
    yes_no = {a: normalize_yes_nos(columns.by_index[i]) for a, i in bound.attribute_index.items()
              if a in YES_NO_ATTRIBUTES}  # fmt: skip
    # The original of every cell a DDJ field came from, beside its normalized form.
    raw_names = [header[i] for i in dict.fromkeys(bound.field_index.values())]
    raw_at = [header.index(h) for h in raw_names]

    records: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    problems: list[Problem] = []
    for i, row in enumerate(table.rows):
        parts = names[i]
        full = full_names[i]
        if _is_test_record(parts, full if isinstance(full, str) else None):
            skipped[SKIP_TEST_RECORD] += 1
            continue
        values = row.values
        attributes = {a: values[at] for a, at in zip(attribute_names, attribute_at) if not _blank(values[at])}
        for a, flags in flag_attributes:
            if flags[i] is not None:
                attributes.setdefault(a, flags[i])
        for a, normalized in yes_no.items():
            attributes[a] = normalized[i]
        raw = {h: values[at] for h, at in zip(raw_names, raw_at) if not _blank(values[at])}
        row_problems: list[str] = []
        record: dict[str, Any] = {
            "source_key": keys[i], "agency_person_id": agency_ids[i],
            "first_name": parts.first, "middle_name": parts.middle, "last_name": parts.last,
            "name_suffix": parts.suffix,
            "name_quality": _quality(
                Quality.KNOWN if parts.first or parts.last else Quality.INVALID if given_names[i] else Quality.MISSING,
                name_codes[i],
            ),
            "address": addresses[i], "event_type": event_types[i],
            "sex": sexes[i], "race": races[i], "ethnicity": ethnicities[i], "zip": zips[i],
        }  # fmt: skip
        if dob is not None:
            distrusted = _distrusted(dob_codes[i])
            record["dob"] = None if distrusted else _iso(dob.values[i])
            record["dob_year"] = None if distrusted else dob.years[i]
            record["dob_quality"] = _quality(dob.qualities[i], dob_codes[i])
            if dob.problems[i]:
                row_problems.append(f"date of birth not kept: {dob.problems[i]}")
        else:
            record["dob_quality"] = _quality(Quality.MISSING, dob_codes[i])
        if ssns is not None:
            s = ssns[i]
            if _distrusted(ssn_codes[i]):
                record["ssn"] = record["ssn_last4"] = None
            else:
                record["ssn"], record["ssn_last4"] = s.ssn, s.last4
            record["ssn_quality"] = _quality(s.quality, ssn_codes[i])
            if s.problem:
                row_problems.append(f"SSN not kept: {s.problem}")
        else:
            record["ssn_quality"] = _quality(Quality.MISSING, ssn_codes[i])
        for name, column in (("event_start", start), ("event_end", end)):
            if column is not None:
                record[name] = _iso(column.values[i])
                if column.problems[i]:
                    row_problems.append(f"{name.replace('_', ' ')} not kept: {column.problems[i]}")
        if not _identifies_someone(record):
            problems.append(Problem(
                row.row_number, "no name, date of birth, SSN or agency person ID: cannot tell who this is",
                rejected=True, values=_whole_row(header, values),
            ))  # fmt: skip
            continue
        if not record["source_key"]:
            problems.append(Problem(row.row_number, "the row key column is empty", rejected=True,
                                    values=_whole_row(header, values)))  # fmt: skip
            continue
        record["attributes"] = attributes_text = _dumps(attributes)
        record["raw"] = raw_text = _dumps(raw)
        record["row_hash"] = hashlib.sha1(
            f"{raw_text}\x1e{attributes_text}".encode(), usedforsecurity=False
        ).hexdigest()
        problems.extend(Problem(row.row_number, p, rejected=False) for p in row_problems)
        record["_row"] = row.row_number
        records.append(record)
    return records, skipped, problems, notes


def _whole_row(header: list[str], values: list[Cell]) -> dict[str, Any]:
    """The row as sent, JSON-ready, for the reject report."""
    return json.loads(_dumps({h: v for h, v in zip(header, values) if not _blank(v)}))


def _text(value: Cell) -> str | None:
    if value is None:
        return None
    if value.__class__ is str:
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _identifies_someone(record: dict[str, Any]) -> bool:
    return bool(
        record["last_name"] or record["first_name"] or record.get("dob") or record.get("ssn")
        or record.get("ssn_last4") or record["agency_person_id"]
    )


def prepare_table(
    table: Table, profile: mapping.MappingProfile, profile_from: str, progress: Progress
) -> PreparedTable:
    """`table` mapped and normalized, ready to write; raises MappingError if the profile does not fit."""
    check_cancelled(progress)
    bound = mapping.bind_profile(profile, table.header, table.label)
    progress.update(0.1, f"Normalizing {table.label}")
    records, skipped, problems, notes = normalize_table(table, bound)
    check_cancelled(progress)
    for s in table.skipped:
        skipped[s.reason] += 1
    records = _drop_repeated_keys(records, skipped, problems)
    progress.update(1.0, f"Prepared {table.label}")
    return PreparedTable(
        table, table.source.file, sha256_of(table.source.file), profile, profile_from, records, skipped, problems,
        [*table.source.notes, *notes],
    )


def _drop_repeated_keys(records: list[dict], skipped: Counter[str], problems: list[Problem]) -> list[dict]:
    """Records with each key once: an identical repeat is skipped; a conflicting repeat is rejected."""
    seen: dict[str, dict] = {}
    kept = []
    for record in records:
        key = record["source_key"]
        first = seen.get(key)
        if first is None:
            seen[key] = record
            kept.append(record)
        elif first["row_hash"] == record["row_hash"]:
            skipped[SKIP_DUPLICATE_IN_FILE] += 1
        else:
            problems.append(Problem(
                record["_row"], f"row key {key!r} is also on row {first['_row']} with other values", rejected=True,
                values=json.loads(record["raw"]),
            ))
    return kept


# -- writing -------------------------------------------------------------------------------------------------
RECORD_COLUMNS = (
    "source_key", "agency_person_id", "first_name", "middle_name", "last_name", "name_suffix", "name_quality",
    "dob", "dob_year", "dob_quality", "ssn", "ssn_last4", "ssn_quality", "sex", "race", "ethnicity", "address",
    "zip", "event_type", "event_start", "event_end", "attributes", "raw", "row_hash",
)  # fmt: skip
CHUNK = 5_000
_INSERT_RECORD = (
    f"INSERT INTO record ({', '.join(RECORD_COLUMNS)}, source_id, batch_id, person_id) "
    f"VALUES ({', '.join('?' * (len(RECORD_COLUMNS) + 3))})"
)
_UPDATE_RECORD = (
    f"UPDATE record SET {', '.join(f'{c} = ?' for c in RECORD_COLUMNS[1:])}, batch_id = ? "
    "WHERE source_id = ? AND source_key = ?"
)


def write_prepared(
    session: Session, prepared: PreparedTable, source_id: int, user_name: str, now: str, progress: Progress
) -> BatchSummary:
    """Write one prepared table as a batch inside the caller's transaction; returns what it did.

    Rows go in with the driver's executemany, below the ORM: a million rows would spend most of their time in
    ORM bookkeeping otherwise.
    """
    with _collector_paused():
        return _write_prepared(session, prepared, source_id, user_name, now, progress)


def _write_prepared(
    session: Session, prepared: PreparedTable, source_id: int, user_name: str, now: str, progress: Progress
) -> BatchSummary:
    batch = ImportBatch(
        source_id=source_id, file_name=prepared.table.label, file_sha256=prepared.file_sha256,
        sheet=prepared.table.source.sheet, profile_name=prepared.profile.name,
        profile_toml=prepared.profile.to_toml(), user_name=user_name, imported_at=now,
        rows_read=prepared.rows_read, skipped=dict(prepared.skipped), notes=prepared.notes,
    )  # fmt: skip
    session.add(batch)
    session.flush()
    con = session.connection()

    existing = dict(con.exec_driver_sql(
        "SELECT source_key, row_hash FROM record WHERE source_id = ?", (source_id,)
    ).all())  # fmt: skip
    new, changed, duplicate = [], [], 0
    for record in prepared.records:
        before = existing.get(record["source_key"], _ABSENT)
        if before is _ABSENT:
            new.append(record)
        elif before == record["row_hash"]:
            duplicate += 1
        else:
            changed.append(record)

    next_person = (con.exec_driver_sql("SELECT max(id) FROM person").scalar() or 0) + 1
    total = max(len(new) + len(changed), 1)
    for start in range(0, len(new), CHUNK):
        check_cancelled(progress)
        progress.update(start / total, f"Writing {prepared.table.label}")
        chunk = new[start : start + CHUNK]
        first = next_person + start
        con.exec_driver_sql("INSERT INTO person (id, created_at) VALUES (?, ?)",
                            [(first + n, now) for n in range(len(chunk))])  # fmt: skip
        con.exec_driver_sql(_INSERT_RECORD, [
            (*(r.get(c) for c in RECORD_COLUMNS), source_id, batch.id, first + n) for n, r in enumerate(chunk)
        ])  # fmt: skip
    if changed:
        # Next month's export may fill in what was blank (a release date): keep the person, take the values.
        con.exec_driver_sql(_UPDATE_RECORD, [
            (*(r.get(c) for c in RECORD_COLUMNS[1:]), batch.id, source_id, r["source_key"]) for r in changed
        ])  # fmt: skip
    kept = prepared.problems[:MAX_PROBLEMS_KEPT]
    if kept:
        con.exec_driver_sql(
            "INSERT INTO row_problem (batch_id, file_name, row_number, reason, rejected, \"values\") "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(batch.id, prepared.table.label, p.row_number, p.reason, p.rejected, _dumps(p.values)) for p in kept],
        )
    batch.rows_imported = len(new)
    batch.rows_updated = len(changed)
    batch.rows_duplicate = duplicate
    batch.rows_rejected = prepared.rejected
    batch.rows_skipped = sum(prepared.skipped.values())
    progress.update(1.0, f"Wrote {prepared.table.label}")
    return BatchSummary(
        batch.id, prepared.table.label, prepared.profile.name, prepared.profile_from, prepared.rows_read, len(new),
        len(changed), duplicate, prepared.rejected, dict(prepared.skipped),
        [(p.row_number, p.reason, p.rejected) for p in prepared.problems[:20]], prepared.notes,
    )


_ABSENT = object()


def prepare_files(
    files: list[Path],
    *,
    sheet: str | None = None,
    profile: mapping.MappingProfile | None = None,
    earlier: list[mapping.MappingProfile] | None = None,
    progress: Progress | None = None,
) -> list[PreparedTable]:
    """Read, map and normalize `files`; nothing is written. Raises ImportFileError/MappingError on bad input."""
    progress = progress or NullProgress()
    with _collector_paused():
        return _prepare_files(files, sheet, profile, earlier or [], progress)


def _prepare_files(
    files: list[Path], sheet: str | None, profile: mapping.MappingProfile | None,
    earlier: list[mapping.MappingProfile], progress: Progress,
) -> list[PreparedTable]:
    tables = read_tables(files, sheet, Stage(progress, 0.0, 0.3))
    prepared = []
    for i, table in enumerate(tables):
        chosen, origin = choose_profile(table, profile, earlier)
        span = 0.7 / max(len(tables), 1)
        prepared.append(prepare_table(table, chosen, origin, Stage(progress, 0.3 + i * span, 0.3 + (i + 1) * span)))
    return prepared
