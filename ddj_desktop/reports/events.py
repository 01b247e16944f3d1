"""The store's records as compact numpy columns for reporting: who, which system, when, and the few flags and
demographics a council report counts. Nothing that identifies a person leaves SQL: no names, dates of birth, keys or
free text; a person is only a row number here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from ddj_desktop.reports.settings import RACE_GROUPS

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
_FLAG_SQL = "CASE json_extract(attributes, '$.{0}') WHEN 1 THEN 1 WHEN 0 THEN 0 ELSE -1 END"

_QUERY = f"""
SELECT coalesce(person_id, -id), source_id,
       {_DAY_SQL.format("event_start", MISSING)}, {_DAY_SQL.format("event_end", MISSING)},
       {_FLAG_SQL.format("serious_mental_illness")}, {_FLAG_SQL.format("homeless")},
       {_RACE_SQL},
       CASE sex WHEN 'female' THEN 1 WHEN 'male' THEN 2 WHEN 'other' THEN 3 ELSE 0 END,
       ifnull(dob_year, 0)
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


@dataclass
class EventColumns:
    """One row per record. `person` is 0..persons-1 (records not yet linked count as a person each)."""

    person: np.ndarray
    source: np.ndarray  # index into `sources`
    start: np.ndarray  # day number, MISSING if none
    end: np.ndarray
    smi: np.ndarray  # 1 yes, 0 no, -1 not recorded
    homeless: np.ndarray
    race: np.ndarray  # index into RACE_CODES
    sex: np.ndarray  # index into SEX_CODES
    birth_year: np.ndarray  # 0 if unknown
    persons: int
    linked: bool  # whether any record has a person ID (linkage has run)
    sources: list[SourceMeta]
    person_ids: np.ndarray  # the store's person ID of each row number (negative: an unlinked record's -id)

    def __len__(self) -> int:
        return len(self.person)

    def source_index(self, name: str) -> int | None:
        return next((s.index for s in self.sources if s.name == name), None)


def load(session: Session) -> EventColumns:
    """Every record of the store as columns (one SQL pass; about a second per million records)."""
    sources_rows = session.execute(text(
        "SELECT s.id, s.name, s.display_name, s.intercept, "
        f"min({_DAY_SQL.format('r.event_start', 'NULL')}), max({_DAY_SQL.format('r.event_start', 'NULL')}) "
        "FROM source s LEFT JOIN record r ON r.source_id = s.id GROUP BY s.id"
    )).all()  # fmt: skip
    # Systems in Sequential Intercept order (0 community ... 5 community corrections, unknown last), then by name.
    sources_rows.sort(key=lambda r: (r[3] if r[3] is not None else 99, r[1]))
    sources = [SourceMeta(i, r[1], r[2], r[3], r[4], r[5]) for i, r in enumerate(sources_rows)]
    by_id = np.zeros(max((r[0] for r in sources_rows), default=0) + 1, dtype=np.int16)
    for meta, row in zip(sources, sources_rows):
        by_id[row[0]] = meta.index
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_QUERY)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    table = np.array(rows, dtype=np.int64).reshape(-1, 9)
    del rows
    person_ids, person = np.unique(table[:, 0], return_inverse=True)
    return EventColumns(
        person=person.astype(np.int32), source=by_id[table[:, 1]], start=table[:, 2].astype(np.int32),
        end=table[:, 3].astype(np.int32), smi=table[:, 4].astype(np.int8), homeless=table[:, 5].astype(np.int8),
        race=table[:, 6].astype(np.int8), sex=table[:, 7].astype(np.int8), birth_year=table[:, 8].astype(np.int16),
        persons=len(person_ids), linked=bool((person_ids > 0).any()), sources=sources, person_ids=person_ids,
    )  # fmt: skip


def person_mode(person: np.ndarray, code: np.ndarray, persons: int, codes: int) -> np.ndarray:
    """Each person's most frequent known code (code 0 = unknown is ignored; ties go to the lower code)."""
    known = code > 0
    counts = np.bincount(person[known].astype(np.int64) * codes + code[known], minlength=persons * codes)
    counts = counts.reshape(persons, codes)
    best = counts.argmax(axis=1)
    best[counts.max(axis=1) == 0] = 0
    return best
