"""The events a rule is evaluated on, as columns (numpy arrays): who, which source, when, and the attributes the
rule filters on. Loaded from the store in one query, or built directly (tests, benchmark).

Days are whole days since 1970-01-01 on the source's own clock: an event time keeps its UTC offset in the store,
and its date as written is the county's local date (DOMAIN.md §6 item 7).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

BLANK = np.iinfo(np.int32).min  # a blank end date, or an unknown date of birth
EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def day_date(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


@dataclass
class Categorical:
    """One attribute as codes into `values` (lowercased text); -1 where the event does not have it."""

    codes: np.ndarray
    values: list[str]

    def lookup(self, wanted: np.ndarray) -> np.ndarray:
        """A boolean per event: does its value's code have `wanted[code]`? (missing -> False)."""
        table = np.zeros(len(self.values) + 1, dtype=bool)
        table[1:] = wanted
        return table[self.codes + 1]


@dataclass
class EventTable:
    record_id: np.ndarray  # int64
    person: np.ndarray  # int32, index into person_ids
    person_ids: np.ndarray  # int64, sorted
    source: np.ndarray  # int16, index into source_names
    source_names: list[str]
    event_type: Categorical
    start: np.ndarray  # int32 day number
    end: np.ndarray  # int32 day number, BLANK where the source left it blank
    attributes: dict[str, Categorical] = field(default_factory=dict)
    dob: np.ndarray | None = None  # int32 day number per person (BLANK: unknown); loaded when a rule asks ages
    dropped_without_date: int = 0  # records left out: no event date (a rule cannot place them in a window)
    dropped_without_person: int = 0

    def __len__(self) -> int:
        return len(self.record_id)

    @property
    def persons(self) -> int:
        return len(self.person_ids)

    def source_code(self, name: str) -> int | None:
        try:
            return self.source_names.index(name)
        except ValueError:
            return None

    @classmethod
    def build(
        cls,
        *,
        record_id: Sequence[int],
        person_id: Sequence[int | None],
        source: Sequence[str],
        start: Sequence[str | dt.date | None],
        end: Sequence[str | dt.date | None] | None = None,
        event_type: Sequence[str | None] | None = None,
        attributes: dict[str, Sequence[Any]] | None = None,
        dob: Sequence[str | dt.date | None] | None = None,
    ) -> EventTable:
        """A table from plain per-record lists (ISO text or dates); records without a start or person are left out.
        `dob` is per record too: each person gets the date of birth most of their records give."""
        starts = parse_days(start)
        keep = (starts != BLANK) & np.array([p is not None for p in person_id], dtype=bool)
        idx = np.flatnonzero(keep)
        persons = np.array([person_id[i] for i in idx], dtype=np.int64)
        person_ids, person = np.unique(persons, return_inverse=True)
        src_codes, src_names = factorize([source[i] for i in idx], lower=True)
        table = cls(
            record_id=np.asarray(record_id, dtype=np.int64)[idx],
            person=person.astype(np.int32),
            person_ids=person_ids,
            source=src_codes.astype(np.int16),
            source_names=src_names,
            event_type=Categorical(*factorize([event_type[i] for i in idx] if event_type else [None] * len(idx))),
            start=starts[idx],
            end=(parse_days(end)[idx] if end is not None else np.full(len(idx), BLANK, dtype=np.int32)),
            dropped_without_date=int(np.count_nonzero(starts == BLANK)),
            dropped_without_person=int(np.count_nonzero(starts != BLANK) - len(idx)),
        )
        for key, values in (attributes or {}).items():
            table.attributes[key] = Categorical(*factorize([values[i] for i in idx]))
        if dob is not None:
            table.dob = person_dob(table.person, parse_days([dob[i] for i in idx]), table.persons)
        return table


def factorize(values: Iterable[Any], *, lower: bool = True) -> tuple[np.ndarray, list[str]]:
    """(codes, distinct values): codes index the values in first-seen order; None and "" get -1."""
    index: dict[Any, int] = {}
    raw_codes = [-1 if v is None or v == "" else index.setdefault(v, len(index)) for v in values]
    raw = list(index)
    names = [_text(v, lower) for v in raw]
    codes = np.array(raw_codes, dtype=np.int32)
    if len(set(names)) == len(names):
        return codes, names
    # Two raw values with the same text ("Felony", "felony"): one category.
    merged: dict[str, int] = {}
    remap = np.array([merged.setdefault(name, len(merged)) for name in names] + [-1], dtype=np.int32)
    return remap[codes], list(merged)


def _text(value: Any, lower: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out.lower() if lower else out


def parse_days(values: Sequence[str | dt.date | None]) -> np.ndarray:
    """Day numbers of ISO dates or date-times (the date as written, offset or not); BLANK for blanks."""
    texts = [
        "NaT" if not v else (v.isoformat()[:10] if isinstance(v, dt.date) else str(v)[:10])
        for v in values
    ]
    days = np.array(texts, dtype="datetime64[D]").astype(np.int64)
    nat = np.datetime64("NaT").astype(np.int64)
    days[days == nat] = BLANK
    return days.astype(np.int32)


def person_dob(person: np.ndarray, dob: np.ndarray, persons: int) -> np.ndarray:
    """Per person, the date of birth most of their records give (ties: the earliest); BLANK if none does."""
    out = np.full(persons, BLANK, dtype=np.int32)
    known = dob != BLANK
    if not known.any():
        return out
    pairs = np.unique(person[known].astype(np.int64) * (1 << 32) + (dob[known].astype(np.int64) + (1 << 31)),
                      return_counts=True)
    keys, counts = pairs
    who = (keys >> 32).astype(np.int64)
    when = ((keys & 0xFFFFFFFF) - (1 << 31)).astype(np.int32)
    # Sort by person, then most records, then earliest date: the first row of each person wins.
    order = np.lexsort((when, -counts, who))
    who, when = who[order], when[order]
    first = np.ones(len(who), dtype=bool)
    first[1:] = who[1:] != who[:-1]
    out[who[first]] = when[first]
    return out


def load_events(session: Session, attribute_keys: Iterable[str] = (), *, with_dob: bool = False,
                chunk: int = 50_000, without_sources: Iterable[int] = ()) -> EventTable:
    """Every record of the store with a person and an event date, with the attributes named: one query, read in
    chunks straight into arrays (dates become day numbers in SQL; each attribute is coded as it streams by).
    `without_sources`: source IDs whose records are left out (42 CFR Part 2 sources the role may not see)."""
    keys = sorted(set(attribute_keys))
    sources = {int(i): str(name) for i, name in session.execute(text("SELECT id, name FROM source"))}
    day = "CAST(julianday(substr({}, 1, 10)) - 2440587.5 AS INTEGER)"
    columns = ["r.id", "r.person_id", "r.source_id", "r.event_type", day.format("r.event_start"),
               day.format("r.event_end")]
    if with_dob:
        columns.append(day.format("r.dob"))
    columns += [f"json_extract(r.attributes, :k{i})" for i in range(len(keys))]
    params = {f"k{i}": '$."' + key.replace('"', '\\"') + '"' for i, key in enumerate(keys)}
    hidden = sorted({int(i) for i in without_sources})
    where = f" WHERE r.source_id NOT IN ({', '.join(map(str, hidden))})" if hidden else ""
    result = session.execute(text(f"SELECT {', '.join(columns)} FROM record r{where} ORDER BY r.id"), params)
    numbers: list[list[np.ndarray]] = [[] for _ in range(6 + with_dob)]
    coded: list[tuple[dict[Any, int], list[np.ndarray]]] = [({}, []) for _ in range(1 + len(keys))]
    collecting = gc.isenabled()
    gc.disable()  # a million short-lived tuples: the collector would walk them again and again
    try:
        while rows := result.fetchmany(chunk):
            cols = list(zip(*rows, strict=True))
            for i in (0, 1, 2, 4, 5, *((6,) if with_dob else ())):
                numbers[i].append(np.array(cols[i], dtype=np.float64))  # None -> nan
            for j, i in enumerate((3, *range(6 + with_dob, len(cols)))):
                index, parts = coded[j]
                parts.append(np.array([-1 if v is None or v == "" else index.setdefault(v, len(index))
                                       for v in cols[i]], dtype=np.int32))
    finally:
        if collecting:
            gc.enable()

    def joined(i: int) -> np.ndarray:
        return np.concatenate(numbers[i]) if numbers[i] else np.zeros(0)

    def days(i: int) -> np.ndarray:
        values = joined(i)
        return np.where(np.isnan(values), BLANK, np.nan_to_num(values)).astype(np.int32)

    person_id = joined(1)
    linked = ~np.isnan(person_id)
    return table_from_columns(
        record_id=joined(0).astype(np.int64), person_id=np.nan_to_num(person_id).astype(np.int64), linked=linked,
        source_id=joined(2).astype(np.int64), source_names=sources, start=days(4), end=days(5),
        coded={"event_type": coded[0], **{key: coded[1 + i] for i, key in enumerate(keys)}},
        dob=days(6) if with_dob else None,
    )  # fmt: skip


def table_from_columns(*, record_id: np.ndarray, person_id: np.ndarray, linked: np.ndarray, source_id: np.ndarray,
                       source_names: dict[int, str], start: np.ndarray, end: np.ndarray,
                       coded: dict[str, tuple[dict[Any, int], list[np.ndarray]]],
                       dob: np.ndarray | None = None) -> EventTable:  # fmt: skip
    """The table from columns over every record (dates as day numbers, BLANK for none; `linked` says which records
    have a person ID) and the text columns coded as they streamed by (`coded`: "event_type" and each attribute, as
    (value -> code, code chunks); a column not given or not read is all missing). Records without a start or a
    person are left out and counted."""
    keep = (start != BLANK) & linked
    person_ids, person = np.unique(person_id[keep], return_inverse=True)
    source_ids, source_code = np.unique(source_id[keep], return_inverse=True)

    def categorical(name: str) -> Categorical:
        index, parts = coded[name]
        codes = np.concatenate(parts)[keep] if parts else np.full(int(keep.sum()), -1, dtype=np.int32)
        names = [_text(v, True) for v in index]
        merged: dict[str, int] = {}
        remap = np.array([merged.setdefault(name, len(merged)) for name in names] + [-1], dtype=np.int32)
        return Categorical(remap[codes], list(merged))

    table = EventTable(
        record_id=record_id[keep],
        person=person.astype(np.int32),
        person_ids=person_ids,
        source=source_code.astype(np.int16),
        source_names=[str(source_names[int(i)]) for i in source_ids],
        event_type=categorical("event_type") if "event_type" in coded else Categorical(
            np.full(int(keep.sum()), -1, dtype=np.int32), []),
        start=start[keep],
        end=end[keep],
        attributes={key: categorical(key) for key in coded if key != "event_type"},
        dropped_without_date=int(np.count_nonzero(start == BLANK)),
        dropped_without_person=int(np.count_nonzero((start != BLANK) & ~linked)),
    )
    if dob is not None:
        table.dob = person_dob(table.person, dob[keep], table.persons)
    return table


def store_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever records are imported, changed, purged or re-linked (to know when loaded events are stale);
    reads only the person index, not the records."""
    row = session.execute(text(
        "SELECT count(*), max(id), total(coalesce(person_id, 0) * (id % 1000003)), "
        "(SELECT max(id) FROM import_batch) FROM record"
    )).one()
    return tuple(row)


def fill_source_keys(session: Session, people: Iterable[Any]) -> None:
    """Set `source_key` on every record behind the listed `people` (ListedPerson), from the store."""
    import dataclasses

    people = list(people)
    ids = sorted({ref.record_id for p in people for refs in p.evidence.values() for ref in refs})
    keys: dict[int, str] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        marks = ", ".join(f":i{j}" for j in range(len(chunk)))
        rows = session.execute(text(f"SELECT id, source_key FROM record WHERE id IN ({marks})"),
                               {f"i{j}": v for j, v in enumerate(chunk)})
        keys.update((int(r[0]), str(r[1])) for r in rows)
    for p in people:
        p.evidence = {name: [dataclasses.replace(ref, source_key=keys.get(ref.record_id, "")) for ref in refs]
                      for name, refs in p.evidence.items()}
