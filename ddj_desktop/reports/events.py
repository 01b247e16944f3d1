"""The store's records as compact numpy columns for reporting: who, which system, when, and the few flags and
demographics a council report counts. Nothing that identifies a person leaves SQL: no names, dates of birth, keys or
free text; a person is only a row number here.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from ddj_desktop.reports.settings import RACE_GROUPS
from ddj_desktop.utilizers.events import BLANK, EventTable, table_from_columns

MISSING = -(10**6)  # a day number meaning "no date"
EPOCH = dt.date(1970, 1, 1)

RACE_CODES = ("unknown", *RACE_GROUPS)  # index = code stored in EventColumns.race
SEX_CODES = ("unknown", "female", "male", "other")

_RACE_SQL = """CASE
  WHEN ethnicity = 'hispanic' OR race = 'hispanic_latinaeo' THEN {hispanic}
  WHEN race = 'white' THEN {white}
  WHEN race = 'black_af_american' THEN {black}
  WHEN race = 'am_ind_ak_native' THEN {am_ind_ak_native}
  WHEN race = 'asian' THEN {asian}
  WHEN race = 'native_hi_pacific' THEN {native_hi_pacific}
  WHEN race = 'mid_east_n_african' THEN {mid_east_n_african}
  WHEN race = 'multiple' THEN {multiple}
  WHEN race = 'other' THEN {other}
  ELSE 0 END""".format(**{g: RACE_CODES.index(g) for g in RACE_GROUPS})

_DAY_SQL = "ifnull(CAST(julianday(substr({0}, 1, 10)) - 2440587.5 AS INTEGER), {1})"

# One pass over the records (each full scan decrypts the whole table): who, when, and one packed integer holding the
# source, the SMI flag, race, sex, birth year and which identity fields are filled in (for the data-quality page).
_SHIFT_SMI, _SHIFT_RACE, _SHIFT_SEX, _SHIFT_BORN, _SHIFT_FILLED = 8, 10, 14, 16, 28
FILLED = ("dob", "ssn", "race", "sex", "event_end", "person")  # bits of the "filled in" field, in this order
_QUERY = """
SELECT coalesce(person_id, -id), {start}, {end},
       source_id
       + (CASE WHEN source_id IN ({smi_sources}) THEN CASE json_extract(attributes, '$.serious_mental_illness')
          WHEN 1 THEN 2 WHEN 0 THEN 1 ELSE 0 END ELSE 0 END << {smi})
       + ({race} << {race_shift})
       + ((CASE sex WHEN 'female' THEN 1 WHEN 'male' THEN 2 WHEN 'other' THEN 3 ELSE 0 END) << {sex})
       + ((ifnull(dob_year, 0) & 4095) << {born})
       + (((dob IS NOT NULL) + 2 * (ssn IS NOT NULL OR ssn_last4 IS NOT NULL) + 4 * (race IS NOT NULL)
          + 8 * (sex IS NOT NULL) + 16 * (event_end IS NOT NULL) + 32 * (person_id IS NOT NULL)) << {filled})
FROM record
"""


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def day_date(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


@dataclass(frozen=True)
class SourceMeta:
    index: int
    name: str
    display_name: str
    intercept: int | None
    first_day: int | None  # first and last event start of the source in the store
    last_day: int | None
    records: int = 0
    filled: tuple[int, ...] = ()  # records with each field of FILLED filled in


@dataclass
class EventColumns:
    """One row per record. `person` is 0..persons-1 (records not yet linked count as a person each)."""

    person: np.ndarray
    source: np.ndarray  # index into `sources`
    start: np.ndarray  # day number, MISSING if none
    end: np.ndarray
    smi: np.ndarray  # 1 yes, 0 no, -1 not recorded
    race: np.ndarray  # index into RACE_CODES
    sex: np.ndarray  # index into SEX_CODES
    birth_year: np.ndarray  # 0 if unknown
    persons: int
    linked: bool  # whether any record has a person ID (linkage has run)
    sources: list[SourceMeta]
    person_ids: np.ndarray  # the store's person ID of each row number (negative: an unlinked record's -id)
    rule_events: EventTable | None = None  # a frequent-utilizer rule's event table, read in the same pass

    def __len__(self) -> int:
        return len(self.person)

    def source_index(self, name: str) -> int | None:
        return next((s.index for s in self.sources if s.name == name), None)

    def last_day(self) -> dt.date | None:
        days = [s.last_day for s in self.sources if s.last_day is not None]
        return day_date(max(days)) if days else None


def load(session: Session, rule_fields: Iterable[str] | None = None, *, rule_dob: bool = False) -> EventColumns:
    """Every record of the store as columns, in one SQL pass. With `rule_fields` (the event attributes a
    frequent-utilizer rule filters on, and "event_type" if it does; possibly none) the same pass also gives the
    rule's event table (`rule_events`): the records are decrypted and read once for report and cohort alike."""
    source_rows = session.execute(text("SELECT id, name, display_name, intercept FROM source")).all()
    # Systems in Sequential Intercept order (0 community ... 5 community corrections, unknown last), then by name.
    source_rows.sort(key=lambda r: (r[3] if r[3] is not None else 99, r[1]))
    smi_sources = ",".join(str(r[0]) for r in source_rows if r[1] in ("jail", "bh")) or "NULL"
    query = _QUERY.format(
        start=_DAY_SQL.format("event_start", MISSING), end=_DAY_SQL.format("event_end", MISSING),
        smi_sources=smi_sources, smi=_SHIFT_SMI, race=_RACE_SQL, race_shift=_SHIFT_RACE, sex=_SHIFT_SEX,
        born=_SHIFT_BORN, filled=_SHIFT_FILLED,
    )  # fmt: skip
    fields = set(rule_fields) if rule_fields is not None else None
    keys = sorted(fields - {"event_type"}) if fields is not None else None
    texts = (["event_type"] if fields and "event_type" in fields else []) + (keys or [])
    if keys is not None:
        extra = ["id", _DAY_SQL.format("dob", MISSING) if rule_dob else "0"]
        extra += ["event_type"] * (texts[:1] == ["event_type"]) + ["json_extract(attributes, ?)"] * len(keys)
        query = query.replace("\nFROM record", ", " + ", ".join(extra) + "\nFROM record ORDER BY id")
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    coded: dict[str, tuple[dict[Any, int], list[np.ndarray]]] = {}
    try:
        if keys is None:
            cursor.execute(query)
            rows = cursor.fetchall()
            table = np.array(rows, dtype=np.int64).reshape(-1, 4)
            del rows
        else:
            cursor.execute(query, ['$."' + key.replace('"', '\\"') + '"' for key in keys])
            table, coded = _read_with_rule_columns(cursor, texts)
    finally:
        cursor.close()
    packed = table[:, 3]
    by_id = np.zeros(max((r[0] for r in source_rows), default=0) + 1, dtype=np.int16)
    for index, row in enumerate(source_rows):
        by_id[row[0]] = index
    source = by_id[packed & 255]
    start, end = table[:, 1].astype(np.int32), table[:, 2].astype(np.int32)
    filled = (packed >> _SHIFT_FILLED) & 63
    sources = []
    for index, row in enumerate(source_rows):
        mine = source == index
        starts = start[mine & (start != MISSING)]
        bits = filled[mine]
        sources.append(SourceMeta(
            index, row[1], row[2], row[3], int(starts.min()) if len(starts) else None,
            int(starts.max()) if len(starts) else None, int(mine.sum()),
            tuple(int(((bits >> b) & 1).sum()) for b in range(len(FILLED))),
        ))  # fmt: skip
    person_ids, person = np.unique(table[:, 0], return_inverse=True)
    smi = ((packed >> _SHIFT_SMI) & 3).astype(np.int8) - 1
    rule_events = None
    if keys is not None:
        def blank(days: np.ndarray) -> np.ndarray:
            return np.where(days == MISSING, BLANK, days).astype(np.int32)

        rule_events = table_from_columns(
            record_id=table[:, 4], person_id=table[:, 0], linked=table[:, 0] > 0, source_id=packed & 255,
            source_names={int(r[0]): str(r[1]) for r in source_rows}, start=blank(start), end=blank(end),
            coded=coded, dob=blank(table[:, 5]) if rule_dob else None,
        )  # fmt: skip
    return EventColumns(
        person=person.astype(np.int32), source=source, start=start, end=end, smi=smi,
        race=((packed >> _SHIFT_RACE) & 15).astype(np.int8), sex=((packed >> _SHIFT_SEX) & 3).astype(np.int8),
        birth_year=((packed >> _SHIFT_BORN) & 4095).astype(np.int16), persons=len(person_ids),
        linked=bool((person_ids > 0).any()), sources=sources, person_ids=person_ids, rule_events=rule_events,
    )  # fmt: skip


def _read_with_rule_columns(cursor: Any, names: list[str], chunk: int = 100_000,
                            ) -> tuple[np.ndarray, dict[str, tuple[dict[Any, int], list[np.ndarray]]]]:  # fmt: skip
    """The six number columns as one array, and the text columns after them coded as they stream by."""
    numbers: list[np.ndarray] = []
    coded: dict[str, tuple[dict[Any, int], list[np.ndarray]]] = {name: ({}, []) for name in names}
    collecting = gc.isenabled()
    gc.disable()  # a million short-lived tuples: the collector would walk them again and again
    try:
        while rows := cursor.fetchmany(chunk):
            columns = list(zip(*rows, strict=True))
            numbers.append(np.array(columns[:6], dtype=np.int64).T)
            for name, values in zip(names, columns[6:], strict=True):
                index, parts = coded[name]
                parts.append(np.array([-1 if v is None or v == "" else index.setdefault(v, len(index))
                                       for v in values], dtype=np.int32))
    finally:
        if collecting:
            gc.enable()
    table = np.concatenate(numbers) if numbers else np.zeros((0, 6), dtype=np.int64)
    return table, coded


def person_mode(person: np.ndarray, code: np.ndarray, persons: int, codes: int) -> np.ndarray:
    """Each person's most frequent known code (code 0 = unknown is ignored; ties go to the lower code)."""
    known = code > 0
    counts = np.bincount(person[known].astype(np.int64) * codes + code[known], minlength=persons * codes)
    counts = counts.reshape(persons, codes)
    best = counts.argmax(axis=1)
    best[counts.max(axis=1) == 0] = 0
    return best
