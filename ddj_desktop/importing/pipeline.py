"""Import: files -> tables -> mapped rows -> normalized records, prepared outside the store, then written in one
transaction by `write_prepared`.

Preparation does the slow parts (reading, normalizing whole columns) without touching the store, so a bad file
fails before anything is written; writing is bulk inserts below the ORM.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import operator
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _encode_text  # what _dumps writes for a str
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddj_desktop.errors import ImportFileError
from ddj_desktop.importing import joins, mapping, readers
from ddj_desktop.importing import table as table_finder
from ddj_desktop.importing.model import Cell, Table
from ddj_desktop.importing.normalize import (
    NameParts,
    Quality,
    decide_day_first,
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
    sex_codes_of,
    split_full_names,
    with_times_of_day,
)
from ddj_desktop.importing.normalize._text import map_distinct
from ddj_desktop.progress import NullProgress, Progress, Stage, check_cancelled

if TYPE_CHECKING:  # (the ORM is not imported by import workers, which only read and normalize)
    from sqlalchemy.orm import Session

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
    """One table ready to write: its records, rows skipped, rows rejected, and the profile."""

    table: Table
    file: Path
    file_sha256: str
    profile: mapping.MappingProfile
    profile_from: str  # "file", "earlier import", "proposed"
    rows: list[tuple]  # one per record, values in RECORD_COLUMNS order
    row_numbers: list[int]  # the file's row number of each record
    skipped: Counter[str]
    problems: list[Problem]
    notes: list[str]

    @property
    def records(self) -> RecordDicts:
        """The records as column dicts (with "_row", the file's row number), made only for those looked at."""
        return RecordDicts(self.rows, self.row_numbers)

    @property
    def rows_read(self) -> int:
        return len(self.table.rows) + len(self.table.skipped)

    @property
    def head(self) -> TableHead:
        """What its batch records of it; the rows it skipped come with its records (`BatchWriter.add`)."""
        t = self.table
        return TableHead(t.label, t.source.sheet, self.file_sha256, self.profile, self.profile_from, self.rows_read,
                         Counter(), self.notes)  # fmt: skip

    @property
    def rejected(self) -> int:
        return sum(1 for p in self.problems if p.rejected)


class RecordDicts(Sequence):
    """A read-only list of records as dicts over the prepared tuples (the import preview shows a few)."""

    def __init__(self, rows: list[tuple], row_numbers: list[int]) -> None:
        self.rows, self.row_numbers = rows, row_numbers

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            return [self._dict(i) for i in range(*index.indices(len(self.rows)))]
        return self._dict(range(len(self.rows))[index])

    def _dict(self, i: int) -> dict[str, Any]:
        return {**dict(zip(RECORD_COLUMNS, self.rows[i])), "_row": self.row_numbers[i]}


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
        if column is None:
            return None
        if _TEXT_OR_NONE.issuperset(map(type, column)):  # a csv column: `_text` inlined
            return [None if v is None else (v.strip() or None) for v in column]
        return [_text(v) for v in column]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused: building a million row dicts (none in a cycle) would otherwise set it
    scanning every live object again and again, which made large imports slower per row than small ones.
    Nested pauses leave it paused until the outermost one ends."""
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


def _test_records(names: list[NameParts], full_names: list[Cell] | None) -> list[bool]:
    """Whether each row's name marks a test record, decided once per distinct name.

    The normalizers hand every row of one distinct name the same NameParts object, so the object's identity
    and the raw full name key the verdict, looked up at C speed (a NameParts hash is Python code).
    """
    fulls: list[Any] = [None] * len(names) if full_names is None else [f if f.__class__ is str else None for f in full_names]
    keys = list(zip(map(id, names), fulls))
    parts_of = dict(zip(map(id, names), names))
    found: dict[tuple[int, str | None], bool] = dict.fromkeys(keys)  # type: ignore[arg-type]
    for key in found:
        found[key] = is_test_record(parts_of[key[0]], key[1])
    return list(map(found.__getitem__, keys))


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


DATE_FIELDS = {"dob": ("dob", "dates of birth"), "event_start": ("event", "start dates"),
               "event_end": ("event", "end dates")}  # fmt: skip


@dataclass(frozen=True)
class ColumnDecisions:
    """What is decided once from a whole column, so that any run of the table's rows is read alike (a large
    table is normalized a run at a time, in worker processes)."""

    day_first: dict[str, bool | None]  # per date field: day/month order (None: no value needed the decision)
    charge_codes_kept: bool  # charge_level codes put in words ('F3' -> felony): the code is kept beside them
    sex_codes: str | None = None  # 'iso5218': the sex column's numbers are ISO/IEC 5218 codes (2 = female)

    @property
    def notes(self) -> list[str]:
        return [
            f"{label} read {'day/month/year' if self.day_first[name] else 'month/day/year'}"
            for name, (_, label) in DATE_FIELDS.items()
            if self.day_first.get(name) is not None
        ]


def decide_columns(
    table: Table, bound: mapping.BoundProfile, by_index: list[Sequence[Cell]] | None = None
) -> ColumnDecisions:
    """The decisions `normalize_table` takes from whole columns, taken from every row of `table` (`by_index`: its
    columns, when the caller has transposed it already)."""
    profile = bound.profile

    def cells(index: int) -> Sequence[Cell]:
        return by_index[index] if by_index is not None else [row.values[index] for row in table.rows]

    day_first: dict[str, bool | None] = {}
    for name in DATE_FIELDS:
        if (index := bound.field_index.get(name)) is not None:
            given = profile.day_first_by_column.get(profile.fields.get(name, ""), profile.day_first)
            day_first[name] = given if given is not None else decide_day_first(cells(index))
    kept = False
    if (at := bound.attribute_index.get("charge_level")) is not None:
        levels, codes = _charge_levels(cells(at))
        kept = any(level != cell for level, cell in zip(levels, codes) if not _blank(cell))
    sex = bound.field_index.get("sex")
    return ColumnDecisions(day_first, kept, sex_codes_of(cells(sex)) if sex is not None else None)


def _charge_levels(cells: Sequence[Cell]) -> tuple[list[Cell], Sequence[Cell]]:
    """charge_level in the fixed words (felony / misdemeanor / citation / other) where the source's code says
    which ('F3', 'M2', 'FEL', 'Misdemeanor A'), else as sent; and the cells."""
    return map_distinct(list(cells), lambda v: joins.charge_level_of(v) or v), cells


def _dates(columns: _Columns, decisions: ColumnDecisions, name: str, kind: str):  # type: ignore[no-untyped-def]
    values = columns.field(name)
    if values is None:
        return None
    column = parse_dates(values, kind=kind, day_first=decisions.day_first.get(name))  # type: ignore[arg-type]
    times = columns.field(f"{name}_time")  # 'Booking Time' beside 'Booking Date'
    return column if times is None else with_times_of_day(column, times)


def _or_nones(values: list[Any] | None, n: int) -> list[Any]:
    return values if values is not None else [None] * n


class _JsonColumn:
    """`"name":value` JSON text for the cells of one column ("" for a blank cell), as `_dumps` would write it.

    A row's attributes and original are JSON objects joined from these pieces instead of a dict per row. Each
    distinct value is encoded once while the column repeats itself (codes, names, dates); a column of mostly
    distinct values (IDs, event times) stops caching, which would only cost memory.
    """

    _NUMERIC = frozenset({int, float, bool})

    def __init__(self, name: str) -> None:
        self.prefix = _encode_text(name) + ":"
        self.cache: dict[Any, str] | None = {None: ""}
        self.numeric: set[type] = set()
        self.seen = 0
        self.set_pieces: dict[tuple[type, Any], str] = {}

    def encode(self, value: Cell) -> str:
        if value is None:
            return ""
        kind = value.__class__
        if kind is str:
            return self.prefix + _encode_text(value) if value.strip() else ""  # type: ignore[union-attr]
        if kind is int:
            return self.prefix + str(value)
        if kind in _ISO_CLASSES:  # what _dumps writes for them (via _json_default), without its Python-level loop
            return self.prefix + '"' + value.isoformat() + '"'  # type: ignore[union-attr]
        return self.prefix + _dumps(value)

    def pieces(self, values: Sequence[Cell]) -> list[str]:
        """The piece of every cell of `values` (a run of the column)."""
        cache = self.cache
        if cache is not None:
            self.numeric.update(self._NUMERIC.intersection(map(type, values)))
            if len(self.numeric) > 1:  # 1, 1.0 and True are one dict key but three JSON texts
                cache = self.cache = None
        if cache is None:
            return self._encoded(values)
        try:
            # The distinct values not met before, in C (dict.fromkeys), each encoded once, then every cell looked up.
            new = [v for v in dict.fromkeys(values) if v not in cache]
        except TypeError:  # an unhashable cell from a careless caller: no caching, same text
            self.cache = None
            return self.pieces(values)
        if new:
            cache.update(zip(new, self._encoded(new)))
        found = list(map(cache.__getitem__, values))
        self.seen += len(values)
        if len(cache) > 4096 and 2 * len(cache) > self.seen:
            self.cache = None
        return found

    def _encoded(self, values: Sequence[Cell]) -> list[str]:
        """`encode` of each value; for text and empty cells only (a csv column), or dates and empty cells only (a
        workbook's date column, every value distinct), with its test inlined."""
        kinds = set(map(type, values))
        if _TEXT_OR_NONE.issuperset(kinds):
            prefix, text = self.prefix, _encode_text
            return [prefix + text(v) if v is not None and v.strip() else "" for v in values]  # type: ignore[union-attr]
        if _DATES_OR_NONE.issuperset(kinds):
            quoted = self.prefix + '"'
            return [quoted + v.isoformat() + '"' if v is not None else "" for v in values]  # type: ignore[union-attr]
        encode = self.encode
        return [encode(v) for v in values]

    def piece(self, value: Any) -> str:
        """The piece of a value we set (a normalized yes/no, a flag code): None too is written, as null.

        Called once per row with a handful of distinct values: each is encoded once (keyed by its type too, as
        1, 1.0 and True are one dict key but three JSON texts).
        """
        key = (value.__class__, value)
        try:
            return self.set_pieces[key]
        except KeyError:
            text = self.prefix + _dumps(value)
            if len(self.set_pieces) < 4096:
                self.set_pieces[key] = text
            return text
        except TypeError:  # unhashable
            return self.prefix + _dumps(value)


_TEXT_OR_NONE = frozenset({str, type(None)})
_ISO_CLASSES = frozenset({dt.date, dt.datetime, dt.time})  # isoformat() holds nothing JSON escapes
_DATES_OR_NONE = _ISO_CLASSES | {type(None)}


def _json_objects(piece_columns: list[list[str]], count: int) -> list[str]:
    """One JSON object per row from its pieces (blank ones left out)."""
    if not piece_columns:
        return ["{}"] * count
    join = ",".join
    return ["{" + join(filter(None, row)) + "}" for row in zip(*piece_columns)]


def _take(column: Sequence[Any], rows: range | list[int]) -> Sequence[Any]:
    """The cells of `column` at `rows` (a range is sliced; a list picked at C speed)."""
    if isinstance(rows, range):
        return column[rows.start : rows.stop]
    if len(rows) == 1:
        return [column[rows[0]]]
    return operator.itemgetter(*rows)(column) if rows else []


def _coded_column(found: Sequence[Quality], codes: Sequence[Cell] | None) -> list[str]:
    """`_quality` for each row, computed once per distinct (found, code)."""
    if codes is None:
        by_found = {q: _quality(q, None) for q in set(found)}
        return [by_found[q] for q in found]
    cache: dict[Any, str] = {}
    out = []
    for q, code in zip(found, codes):
        key = (q, code.__class__, code)
        try:
            value = cache[key]
        except KeyError:
            value = cache[key] = _quality(q, code)
        except TypeError:
            value = _quality(q, code)
        out.append(value)
    return out


def _distrusted_column(codes: Sequence[Cell] | None) -> list[bool] | None:
    """For each row, whether its quality code says the value is a filler; None when no row has a code column."""
    if codes is None:
        return None
    verdict = {key: _distrusted(key[1]) for key in {(c.__class__, c) for c in codes}}  # 0 == False: typed keys
    out = [verdict[(c.__class__, c)] for c in codes]
    return out if any(out) else None


def _without(values: list[Any], distrusted: list[bool] | None) -> list[Any]:
    return values if distrusted is None else [None if d else v for v, d in zip(values, distrusted)]


def normalize_table(
    table: Table, bound: mapping.BoundProfile, decisions: ColumnDecisions | None = None
) -> tuple[list[tuple], list[int], Counter[str], list[Problem], list[str]]:
    """Records for the table's rows (tuples in RECORD_COLUMNS order), their row numbers, rows skipped, problems
    and notes.

    Everything is computed column by column (each distinct value once); only joining a row's attributes and
    original into JSON and hashing them is done per row. `decisions`: those taken from the whole table when
    `table` holds a run of its rows (default: taken from `table`).
    """
    profile, header, n = bound.profile, bound.header, len(table.rows)
    columns = _Columns(table, bound)
    decisions = decisions or decide_columns(table, bound, columns.by_index)
    names = _names(columns, profile)
    dob, start, end = (_dates(columns, decisions, name, kind) for name, (kind, _) in DATE_FIELDS.items())
    notes = decisions.notes
    ssn_values = columns.field("ssn")
    ssns = normalize_ssns(ssn_values) if ssn_values is not None else None
    sexes = _or_nones(normalize_sexes(v, decisions.sex_codes) if (v := columns.field("sex")) is not None else None, n)
    races = _or_nones(normalize_races(v) if (v := columns.field("race")) is not None else None, n)
    ethnicities = _or_nones(normalize_ethnicities(v) if (v := columns.field("ethnicity")) is not None else None, n)
    zips = _or_nones(normalize_zips(v) if (v := columns.field("zip")) is not None else None, n)
    name_codes, dob_codes, ssn_codes = (columns.field(k) for k in QUALITY_FIELDS)
    full_names = columns.field("full_name")
    keys = columns.text("source_key")
    if keys is None:  # no row key in this export: a fingerprint of the whole row is its key
        keys = [mapping.row_fingerprint(header, r.values) for r in table.rows]
    agency_ids = _or_nones(columns.text("agency_person_id"), n)
    addresses = _or_nones(columns.text("address"), n)
    event_types = columns.text("event_type") or [profile.event_type] * n

    tests = _test_records(names, full_names)  # skipped
    skipped: Counter[str] = Counter()
    if any(tests):
        skipped[SKIP_TEST_RECORD] = sum(tests)

    firsts = [p.first for p in names]
    lasts = [p.last for p in names]
    name_found = [Quality.KNOWN if f or la else Quality.MISSING for f, la in zip(firsts, lasts)]
    name_columns = [c for f in ("full_name", "first_name", "last_name") if (c := columns.field(f)) is not None]
    for i, found in enumerate(name_found):
        if found is Quality.MISSING and any(not _blank(c[i]) for c in name_columns):
            name_found[i] = Quality.INVALID  # a name was given, but nothing of it is a name
    name_quality = _coded_column(name_found, name_codes)

    # Identity fields, with values the agency's own quality code disowns dropped.
    by_row_problems: dict[int, list[str]] = {}
    nones = [None] * n
    if dob is not None:
        distrusted = _distrusted_column(dob_codes)
        dob_iso = _without(list(map(_iso, dob.values)), distrusted)
        dob_years = _without(dob.years, distrusted)
        dob_quality = _coded_column(dob.qualities, dob_codes)
        for i, p in enumerate(dob.problems):
            if p:
                by_row_problems.setdefault(i, []).append(f"date of birth not kept: {p}")
    else:
        dob_iso = dob_years = nones
        dob_quality = _coded_column([Quality.MISSING] * n, dob_codes)
    if ssns is not None:
        distrusted = _distrusted_column(ssn_codes)
        ssn_digits = _without([s.ssn for s in ssns], distrusted)
        ssn_last4 = _without([s.last4 for s in ssns], distrusted)
        ssn_quality = _coded_column([s.quality for s in ssns], ssn_codes)
        for i, s in enumerate(ssns):
            if s.problem:
                by_row_problems.setdefault(i, []).append(f"SSN not kept: {s.problem}")
    else:
        ssn_digits = ssn_last4 = nones
        ssn_quality = _coded_column([Quality.MISSING] * n, ssn_codes)
    event_columns = []
    for label, column in (("event start", start), ("event end", end)):
        if column is None:
            event_columns.append(nones)
            continue
        event_columns.append(list(map(_iso, column.values)))
        for i, p in enumerate(column.problems):
            if p:
                by_row_problems.setdefault(i, []).append(f"{label} not kept: {p}")

    # Which rows become records, which are rejected (and why), in row order.
    problems: list[Problem] = []
    accepted: list[int] = []
    rows = table.rows
    identifying = [lasts, firsts, dob_iso, ssn_digits, ssn_last4, agency_ids, _hashed_identity(columns, bound, n)]
    for i, (test, *identity) in enumerate(zip(tests, *identifying)):
        if test:
            continue
        if not any(identity):
            problems.append(Problem(
                rows[i].row_number, "no name, date of birth, SSN or agency person ID: cannot tell who this is",
                rejected=True, values=_whole_row(header, rows[i].values),
            ))  # fmt: skip
            continue
        if not keys[i]:
            problems.append(Problem(rows[i].row_number, "the row key column is empty", rejected=True,
                                    values=_whole_row(header, rows[i].values)))  # fmt: skip
            continue
        if i in by_row_problems:
            problems.extend(Problem(rows[i].row_number, p, rejected=False) for p in by_row_problems[i])
        accepted.append(i)
    kept: range | list[int] = range(n) if len(accepted) == n else accepted

    out_columns = [
        keys, agency_ids, firsts, [p.middle for p in names], lasts, [p.suffix for p in names], name_quality,
        dob_iso, dob_years, dob_quality, ssn_digits, ssn_last4, ssn_quality, sexes, races, ethnicities, addresses,
        zips, event_types, *event_columns,
    ]  # fmt: skip
    records: list[tuple] = []
    row_numbers = [r.row_number for r in _take(rows, kept)]
    objects = _ObjectBuilder(columns, bound, decisions)
    for run_start in range(0, len(kept), _RUN):
        run = kept[run_start : run_start + _RUN]
        attributes, raw = objects.build(run)
        hashes = [hashlib.sha1(f"{r}\x1e{a}".encode(), usedforsecurity=False).hexdigest() for r, a in zip(raw, attributes)]
        records.extend(zip(*(_take(c, run) for c in out_columns), attributes, raw, hashes))
    return records, row_numbers, skipped, problems, notes


_RUN = 50_000  # rows whose JSON pieces are held at once


def _hashed_identity(columns: _Columns, bound: mapping.BoundProfile, n: int) -> list[bool]:
    """Per row, whether it carries keyed hashes of identifiers (`hmac_*` columns, kept as attributes: an agency
    in HMAC mode, see linkage/hashed.py): such a row tells who it is without a plain name."""
    from ddj_desktop.linkage.hashed import COLUMN_PREFIX, TOKEN_FIELDS

    wanted = {COLUMN_PREFIX + f for f in TOKEN_FIELDS}
    cells = [columns.by_index[i] for a, i in (*bound.attribute_index.items(), *bound.other_index.items())
             if a.strip().lower() in wanted]
    if not cells:
        return [False] * n
    return [any(not _blank(c[i]) for c in cells) for i in range(n)]


class _ObjectBuilder:
    """The `attributes` and `raw` JSON text of rows, built from per-column pieces.

    The object keys come in the order the per-row dict once gave them, so row hashes of earlier imports still
    match: mapped and other attributes in column order (yes/no ones normalized), then flag attributes not
    already set, then yes/no attributes whose own cell was blank.
    """

    def __init__(self, columns: _Columns, bound: mapping.BoundProfile, decisions: ColumnDecisions) -> None:
        header, by_index = bound.header, columns.by_index
        names = [*bound.attribute_index, *bound.other_index]
        at = [*bound.attribute_index.values(), *bound.other_index.values()]
        self.slots = [(_JsonColumn(a), by_index[i], a) for a, i in zip(names, at)]
        self.flags = [(_JsonColumn(a), a, v) for a, v in columns.flagged.items() if a not in mapping.CANONICAL_FIELDS]
        self.yes_no = {a: normalize_yes_nos(by_index[i]) for a, i in bound.attribute_index.items()
                       if a in YES_NO_ATTRIBUTES}  # fmt: skip
        self.own_cell = {a: cells for _, cells, a in self.slots}
        self.flag_of = {a: v for _, a, v in self.flags}
        self.charge_levels, self.charge_codes = self._charge_words(bound, by_index, decisions)
        # Attributes written in the shared words instead of as sent: yes/no ones, and charge_level.
        self.in_words = {**self.yes_no, **({"charge_level": self.charge_levels} if self.charge_levels is not None else {})}
        # The original of every cell a DDJ field came from, beside its normalized form.
        self.raw = [(_JsonColumn(header[i]), by_index[i]) for i in dict.fromkeys(bound.field_index.values())]

    @staticmethod
    def _charge_words(
        bound: mapping.BoundProfile, by_index: list[Sequence[Cell]], decisions: ColumnDecisions
    ) -> tuple[list[Cell] | None, Any]:
        """charge_level in words (`_charge_levels`); and where the table's codes were put in words, the column (its
        own name, JSON encoder, cells) that keeps the code beside them."""
        at = bound.attribute_index.get("charge_level")
        if at is None:
            return None, None
        levels, cells = _charge_levels(by_index[at])
        name = bound.header[at]
        if mapping.normalize_header(name) == "chargelevel" or name in bound.attribute_index or not decisions.charge_codes_kept:
            return levels, None
        return levels, (_JsonColumn(name), cells)

    def build(self, run: range | list[int]) -> tuple[list[str], list[str]]:
        count = len(run)
        raw = _json_objects([encoder.pieces(_take(cells, run)) for encoder, cells in self.raw], count)
        pieces = []
        for encoder, cells, a in self.slots:
            if a in self.in_words:
                normalized = self.in_words[a]
                pieces.append([encoder.piece(normalized[i]) if not _blank(cells[i]) else "" for i in run])
            else:
                pieces.append(encoder.pieces(_take(cells, run)))
        for encoder, a, flags in self.flags:
            own = self.own_cell.get(a)
            normalized = self.yes_no.get(a)
            pieces.append([
                "" if flags[i] is None or (own is not None and not _blank(own[i]))
                else encoder.piece(normalized[i] if normalized is not None else flags[i])
                for i in run
            ])  # fmt: skip
        for a, normalized in self.yes_no.items():
            encoder, own, flags = _JsonColumn(a), self.own_cell[a], self.flag_of.get(a)
            pieces.append([
                "" if not _blank(own[i]) or (flags is not None and flags[i] is not None) else encoder.piece(normalized[i])
                for i in run
            ])  # fmt: skip
        if self.charge_codes is not None:  # the agency's own code, where charge_level put it in words
            encoder, cells = self.charge_codes
            levels = self.charge_levels
            pieces.append(["" if _blank(cells[i]) or levels[i] == cells[i] else encoder.piece(cells[i]) for i in run])
        return _json_objects(pieces, count), raw


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


def prepare_table(
    table: Table, profile: mapping.MappingProfile, profile_from: str, progress: Progress
) -> PreparedTable:
    """`table` mapped and normalized, ready to write; raises MappingError if the profile does not fit."""
    check_cancelled(progress)
    bound = mapping.bind_profile(profile, table.header, table.label)
    progress.update(0.1, f"Normalizing {table.label}")
    rows, row_numbers, skipped, problems, notes = normalize_table(table, bound)
    check_cancelled(progress)
    for s in table.skipped:
        skipped[s.reason] += 1
    rows, row_numbers = _drop_repeated_keys(rows, row_numbers, skipped, problems)
    progress.update(1.0, f"Prepared {table.label}")
    return PreparedTable(
        table, table.source.file, sha256_of(table.source.file), profile, profile_from, rows, row_numbers, skipped,
        problems, [*table.source.notes, *notes],
    )


def _drop_repeated_keys(
    rows: list[tuple], row_numbers: list[int], skipped: Counter[str], problems: list[Problem]
) -> tuple[list[tuple], list[int]]:
    """Records with each key once: an identical repeat is skipped; a conflicting repeat is rejected."""
    repeats = RepeatedKeys()
    kept = repeats.keep(rows, row_numbers)
    skipped.update(repeats.skipped)
    problems.extend(repeats.problems)
    return kept


class RepeatedKeys:
    """Each row key once, over a table's records given a run at a time in row order: a repeat identical to the
    first is skipped; one with other values is rejected, naming the row it repeats."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[str, int]] = {}  # key -> (row hash, row number) of its first record
        self.skipped: Counter[str] = Counter()
        self.problems: list[Problem] = []

    def keep(self, rows: list[tuple], row_numbers: list[int]) -> tuple[list[tuple], list[int]]:
        """The records of `rows` (and their row numbers) whose key was not met before."""
        first = self.first
        keys = list(map(operator.itemgetter(_KEY), rows))
        if len(set(keys)) == len(keys) and first.keys().isdisjoint(keys):  # the usual case, at C speed
            first.update(zip(keys, zip(map(operator.itemgetter(_HASH), rows), row_numbers)))
            return rows, row_numbers
        kept: list[tuple] = []
        kept_numbers: list[int] = []
        for row, number in zip(rows, row_numbers):
            seen = first.get(row[_KEY])
            if seen is None:
                first[row[_KEY]] = (row[_HASH], number)
                kept.append(row)
                kept_numbers.append(number)
            elif seen[0] == row[_HASH]:
                self.skipped[SKIP_DUPLICATE_IN_FILE] += 1
            else:
                self.problems.append(Problem(
                    number, f"row key {row[_KEY]!r} is also on row {seen[1]} with other values", rejected=True,
                    values=json.loads(row[_RAW]),
                ))  # fmt: skip
        return kept, kept_numbers


# -- writing -------------------------------------------------------------------------------------------------
RECORD_COLUMNS = (
    "source_key", "agency_person_id", "first_name", "middle_name", "last_name", "name_suffix", "name_quality",
    "dob", "dob_year", "dob_quality", "ssn", "ssn_last4", "ssn_quality", "sex", "race", "ethnicity", "address",
    "zip", "event_type", "event_start", "event_end", "attributes", "raw", "row_hash",
)  # fmt: skip
_KEY, _RAW, _HASH = (RECORD_COLUMNS.index(c) for c in ("source_key", "raw", "row_hash"))
CHUNK = 5_000
_INSERT_RECORD = (  # source and batch are filled in per batch (integers of our own), the person per row
    f"INSERT INTO record ({', '.join(RECORD_COLUMNS)}, source_id, batch_id, person_id) "
    f"VALUES ({', '.join('?' * len(RECORD_COLUMNS))}, {{source_id}}, {{batch_id}}, ?)"
)
_INSERT_PERSONS = (
    "WITH RECURSIVE n(id) AS (SELECT ? UNION ALL SELECT id + 1 FROM n WHERE id < ?) "
    "INSERT INTO person (id, created_at) SELECT id, ? FROM n"
)
_UPDATE_RECORD = (
    f"UPDATE record SET {', '.join(f'{c} = ?' for c in RECORD_COLUMNS[1:])}, batch_id = ? "
    "WHERE source_id = ? AND source_key = ?"
)


IMPORT_CACHE_KIB = 256 * 1024  # SQLite page cache while an import writes (the default is 8 MiB)


@contextlib.contextmanager
def import_page_cache(session: Session) -> Iterator[None]:
    """A larger page cache on the session's connection while an import writes.

    New records go into the indexes (person, date of birth, last name, row key) all over the index b-trees; with
    the default cache, every page pushed out and needed again is read and decrypted again. Only pages used take
    memory; the size is set back when the block ends, on the raw connection, so that a failed write is not
    hidden behind an error of the reset.
    """
    raw = session.connection().connection.driver_connection
    before = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            raw.execute(f"PRAGMA cache_size = {int(before)}")


def write_prepared(
    session: Session, prepared: PreparedTable, source_id: int, user_name: str, now: str, progress: Progress
) -> BatchSummary:
    """Write one prepared table as a batch inside the caller's transaction; returns what it did.

    Rows go in with the driver's executemany, below the ORM: a million rows would spend most of their time in
    ORM bookkeeping otherwise.
    """
    with collector_paused():
        # prepare_table dropped the repeated keys already (its preview counts them): not looked for again
        writer = BatchWriter(session, prepared.head, source_id, user_name, now, keys_unique=True)
        total = max(len(prepared.rows), 1)
        for start in range(0, len(prepared.rows), CHUNK):
            check_cancelled(progress)
            progress.update(start / total, f"Writing {prepared.table.label}")
            end = start + CHUNK
            writer.add(prepared.rows[start:end], prepared.row_numbers[start:end])
        writer.add([], [], prepared.skipped, prepared.problems)
        progress.update(1.0, f"Wrote {prepared.table.label}")
        return writer.finish()


@dataclass
class TableHead:
    """What an import batch records of its table that is known before the table's records are."""

    label: str
    sheet: str | None
    file_sha256: str
    profile: mapping.MappingProfile
    profile_from: str
    rows_read: int
    skipped: Counter[str]  # rows the table itself left out (blank, footers, repeated headers)
    notes: list[str]


class BatchWriter:
    """One table written as an import batch, its records given a run at a time in row order (a large table's
    runs come from worker processes as they are normalized): new keys are inserted, changed ones updated, the
    same ones counted; a key repeated inside the file is skipped or rejected (`RepeatedKeys`)."""

    def __init__(
        self, session: Session, head: TableHead, source_id: int, user_name: str, now: str, *, keys_unique: bool = False
    ) -> None:
        """`keys_unique`: the records will come with each key once (repeats dropped by `prepare_table`)."""
        from ddj_desktop.store.models import ImportBatch

        self.head, self.source_id, self.now = head, source_id, now
        self.batch = ImportBatch(
            source_id=source_id, file_name=head.label, file_sha256=head.file_sha256, sheet=head.sheet,
            profile_name=head.profile.name, profile_toml=head.profile.to_toml(), user_name=user_name,
            imported_at=now, rows_read=head.rows_read, skipped=dict(head.skipped), notes=head.notes,
        )  # fmt: skip
        session.add(self.batch)
        session.flush()
        self.con = con = session.connection()
        self.existing = dict(con.exec_driver_sql(
            "SELECT source_key, row_hash FROM record WHERE source_id = ?", (source_id,)
        ).all())  # fmt: skip
        self.next_person = (con.exec_driver_sql("SELECT max(id) FROM person").scalar() or 0) + 1
        self.insert_record = _INSERT_RECORD.format(source_id=int(source_id), batch_id=int(self.batch.id))
        self.repeats = None if keys_unique else RepeatedKeys()
        self.skipped: Counter[str] = Counter()
        self.problems: list[Problem] = []
        self.imported = self.updated = self.duplicate = 0

    def add(
        self, rows: list[tuple], row_numbers: list[int], skipped: Counter[str] | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        """The next run of the table's records (tuples in RECORD_COLUMNS order), with the rows the run skipped and
        its problems."""
        self.skipped.update(skipped or {})
        self.problems.extend(problems or [])
        if self.repeats is not None:
            rows, _ = self.repeats.keep(rows, row_numbers)
        new, changed = rows, []
        if self.existing:
            new = []
            for row in rows:
                before = self.existing.get(row[_KEY], _ABSENT)
                if before is _ABSENT:
                    new.append(row)
                elif before == row[_HASH]:
                    self.duplicate += 1
                else:
                    changed.append(row)
        con = self.con
        for start in range(0, len(new), CHUNK):
            chunk = new[start : start + CHUNK]
            first = self.next_person
            # One new person per new record (linkage merges them later), numbered in SQLite itself.
            con.exec_driver_sql(_INSERT_PERSONS, (first, first + len(chunk) - 1, self.now))
            con.exec_driver_sql(self.insert_record, [(*r, first + n) for n, r in enumerate(chunk)])
            self.next_person += len(chunk)
        if changed:
            # Next month's export may fill in what was blank (a release date): keep the person, take the values.
            batch_id, source_id = self.batch.id, self.source_id
            con.exec_driver_sql(_UPDATE_RECORD, [(*r[1:], batch_id, source_id, r[_KEY]) for r in changed])
        self.imported += len(new)
        self.updated += len(changed)

    def finish(self) -> BatchSummary:
        """The batch's counts and row problems written; what it did."""
        repeats = self.repeats or RepeatedKeys()
        problems = [*self.problems, *repeats.problems]
        skipped = self.skipped + self.head.skipped + repeats.skipped
        kept = problems[:MAX_PROBLEMS_KEPT]
        batch, label = self.batch, self.head.label
        if kept:
            self.con.exec_driver_sql(
                "INSERT INTO row_problem (batch_id, file_name, row_number, reason, rejected, \"values\") "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(batch.id, label, p.row_number, p.reason, p.rejected, _dumps(p.values)) for p in kept],
            )
        rejected = sum(1 for p in problems if p.rejected)
        batch.skipped = dict(skipped)
        batch.rows_imported = self.imported
        batch.rows_updated = self.updated
        batch.rows_duplicate = self.duplicate
        batch.rows_rejected = rejected
        batch.rows_skipped = sum(skipped.values())
        return BatchSummary(
            batch.id, label, self.head.profile.name, self.head.profile_from, self.head.rows_read, self.imported,
            self.updated, self.duplicate, rejected, dict(skipped),
            [(p.row_number, p.reason, p.rejected) for p in problems[:20]], self.head.notes,
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
    with collector_paused():
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
