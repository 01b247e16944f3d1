"""Import: files -> tables -> mapped rows -> normalized records, prepared outside the store, then written in one
transaction by `write_prepared`.

Preparation does the slow parts (reading, normalizing whole columns) without touching the store, so a bad file
fails before anything is written; writing is bulk inserts below the ORM.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections import Counter
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
IDENTITY_FIELDS = ("first_name", "last_name", "dob", "ssn")
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
        pattern_fits = profile.file_pattern is None or mapping.fnmatch.fnmatch(
            table.source.file.name.lower(), profile.file_pattern.lower()
        )
        if pattern_fits and all(mapping.resolve_column(c, table.header) is not None for c in profile.columns()):
            return profile, "earlier import"
    return mapping.propose_mapping(table).profile, "proposed"


# -- normalizing ---------------------------------------------------------------------------------------------
def _column(rows: list[mapping.MappedRow], name: str, attribute: bool = False) -> list[Cell] | None:
    bucket = "attributes" if attribute else "fields"
    if not any(name in getattr(r, bucket) for r in rows[:1]):
        return None
    return [getattr(r, bucket).get(name) for r in rows]


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@functools.lru_cache(maxsize=1 << 16)
def _is_test_record(parts: NameParts, raw_full_name: str | None) -> bool:
    return is_test_record(parts, raw_full_name)


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_cell(value: Cell) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


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


def _names(rows: list[mapping.MappedRow], profile: mapping.MappingProfile) -> list[NameParts]:
    columns = [_column(rows, f) for f in ("first_name", "middle_name", "last_name", "name_suffix")]
    full = _column(rows, "full_name")
    separate = normalize_name_columns(*columns) if any(c is not None for c in columns) else None
    if full is None:
        return separate or [NameParts() for _ in rows]
    split = split_full_names(full, profile.name_order)  # type: ignore[arg-type]
    if separate is None:
        return split
    # A file may carry both: separate columns win where they are filled.
    return [s if (s.first or s.last) else f for s, f in zip(separate, split)]


def normalize_rows(
    rows: list[mapping.MappedRow], raw_rows: list[list[Cell]], profile: mapping.MappingProfile, header: list[str]
) -> tuple[list[dict[str, Any]], Counter[str], list[Problem], list[str]]:
    """Records for `rows` (column dicts for the `record` table), rows skipped, problems found, and notes."""
    names = _names(rows, profile)
    day_first_of = profile.day_first_by_column
    fields = profile.fields

    def dates(name: str, kind: str):  # type: ignore[no-untyped-def]
        values = _column(rows, name)
        if values is None:
            return None
        day_first = day_first_of.get(fields.get(name, ""), profile.day_first)
        return parse_dates(values, kind=kind, day_first=day_first)  # type: ignore[arg-type]

    dob, start, end = dates("dob", "dob"), dates("event_start", "event"), dates("event_end", "event")
    notes = [
        f"{label} read {'day/month/year' if column.day_first else 'month/day/year'}"
        for label, column in (("dates of birth", dob), ("start dates", start), ("end dates", end))
        if column is not None and column.day_first is not None
    ]
    ssn_values = _column(rows, "ssn")
    ssns = normalize_ssns(ssn_values) if ssn_values is not None else None
    coded = {k: _column(rows, k) for k in ("sex", "race", "ethnicity", "zip")}
    sexes = normalize_sexes(coded["sex"]) if coded["sex"] is not None else None
    races = normalize_races(coded["race"]) if coded["race"] is not None else None
    ethnicities = normalize_ethnicities(coded["ethnicity"]) if coded["ethnicity"] is not None else None
    zips = normalize_zips(coded["zip"]) if coded["zip"] is not None else None
    quality_codes = {k: _column(rows, k) for k in ("name_quality", "dob_quality", "ssn_quality")}
    yes_no = {a: normalize_yes_nos(v) for a in YES_NO_ATTRIBUTES if (v := _column(rows, a, attribute=True))}

    records: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    problems: list[Problem] = []
    for i, row in enumerate(rows):
        parts = names[i]
        raw_full = row.fields.get("full_name")
        if _is_test_record(parts, raw_full if isinstance(raw_full, str) else None):
            skipped[SKIP_TEST_RECORD] += 1
            continue
        raw = {h: _json_cell(v) for h, v in zip(header, raw_rows[i]) if v is not None}
        record: dict[str, Any] = {
            "source_key": str(row.fields["source_key"]).strip(),
            "agency_person_id": _text(row.fields.get("agency_person_id")),
            "first_name": parts.first, "middle_name": parts.middle, "last_name": parts.last,
            "name_suffix": parts.suffix,
            "name_quality": _quality(_name_found(parts, row), _at(quality_codes["name_quality"], i)),
            "address": _text(row.fields.get("address")),
            "event_type": _text(row.fields.get("event_type")),
        }  # fmt: skip
        row_problems: list[str] = []
        if dob is not None:
            distrusted = _distrusted(_at(quality_codes["dob_quality"], i))
            record["dob"] = None if distrusted else _iso(dob.values[i])
            record["dob_year"] = None if distrusted else dob.years[i]
            record["dob_quality"] = _quality(dob.qualities[i], _at(quality_codes["dob_quality"], i))
            if dob.problems[i]:
                row_problems.append(f"date of birth not kept: {dob.problems[i]}")
        else:
            record["dob_quality"] = _quality(Quality.MISSING, _at(quality_codes["dob_quality"], i))
        if ssns is not None:
            s = ssns[i]
            if _distrusted(_at(quality_codes["ssn_quality"], i)):
                record.update(ssn=None, ssn_last4=None)
            else:
                record.update(ssn=s.ssn, ssn_last4=s.last4)
            record["ssn_quality"] = _quality(s.quality, _at(quality_codes["ssn_quality"], i))
            if s.problem:
                row_problems.append(f"SSN not kept: {s.problem}")
        else:
            record["ssn_quality"] = _quality(Quality.MISSING, _at(quality_codes["ssn_quality"], i))
        for name, column in (("event_start", start), ("event_end", end)):
            if column is not None:
                record[name] = _iso(column.values[i])
                if column.problems[i]:
                    row_problems.append(f"{name.replace('_', ' ')} not kept: {column.problems[i]}")
        record["sex"] = sexes[i] if sexes else None
        record["race"] = races[i] if races else None
        record["ethnicity"] = ethnicities[i] if ethnicities else None
        record["zip"] = zips[i] if zips else None
        attributes = {k: _json_cell(v) for k, v in row.attributes.items() if v is not None}
        for name, values in yes_no.items():
            attributes[name] = values[i]
        record["attributes"] = _dumps(attributes)
        record["raw"] = raw_text = _dumps(raw)
        record["row_hash"] = hashlib.sha1(raw_text.encode("utf-8"), usedforsecurity=False).hexdigest()

        if not _identifies_someone(record):
            problems.append(Problem(
                row.row_number, "no name, date of birth, SSN or agency person ID: cannot tell who this is",
                rejected=True, values=raw,
            ))  # fmt: skip
            continue
        if not record["source_key"]:
            problems.append(Problem(row.row_number, "the row key column is empty", rejected=True, values=raw))
            continue
        problems.extend(Problem(row.row_number, p, rejected=False) for p in row_problems)
        record["_row"] = row.row_number
        records.append(record)
    return records, skipped, problems, notes


def _text(value: Cell) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _name_found(parts: NameParts, row: mapping.MappedRow) -> Quality:
    if parts.first or parts.last:
        return Quality.KNOWN
    given = any(_text(row.fields.get(f)) for f in ("full_name", "first_name", "last_name"))
    return Quality.INVALID if given else Quality.MISSING  # "UNKNOWN", "NFN LNU": text, but no name


def _at(values: list[Cell] | None, i: int) -> Cell:
    return None if values is None else values[i]


def _identifies_someone(record: dict[str, Any]) -> bool:
    return bool(
        record["last_name"] or record["first_name"] or record.get("dob") or record.get("ssn")
        or record.get("ssn_last4") or record["agency_person_id"]
    )


def prepare_table(
    table: Table, profile: mapping.MappingProfile, profile_from: str, progress: Progress
) -> PreparedTable:
    """`table` mapped and normalized, ready to write; raises MappingError if the profile does not fit."""
    bound = mapping.bind_profile(profile, table.header, table.label)
    rows = []
    total = max(len(table.rows), 1)
    for n, table_row in enumerate(table.rows):
        if n % 20_000 == 0:
            check_cancelled(progress)
            progress.update(0.5 * n / total, f"Mapping {table.label}")
        rows.append(bound.map_row(table_row))
    progress.update(0.5, f"Normalizing {table.label}")
    raw_rows = [r.values for r in table.rows]
    records, skipped, problems, notes = (
        normalize_rows(rows, raw_rows, profile, table.header) if rows else ([], Counter(), [], [])
    )
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
    tables = read_tables(files, sheet, Stage(progress, 0.0, 0.3))
    prepared = []
    for i, table in enumerate(tables):
        chosen, origin = choose_profile(table, profile, earlier or [])
        span = 0.7 / max(len(tables), 1)
        prepared.append(prepare_table(table, chosen, origin, Stage(progress, 0.3 + i * span, 0.3 + (i + 1) * span)))
    return prepared
