"""The review queue: the pairs the last link run left between the thresholds and no reviewer has decided, most
consequential first, and one pair as a reviewer sees it (identity fields only unless the role allows more).

Order: pairs whose answer would change who is on the county's frequent-utilizer list first, then pairs whose answer
merges (or keeps apart) persons holding many records, then the most uncertain. Pairs marked "unsure" wait at the
end. If review stopped now, each pair left would stay unlinked, so the expected number of wrong answers left is
the sum of their match probabilities (true matches missed).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session, aliased

from ddj_desktop.governance.part2 import Withheld
from ddj_desktop.linkage.compare import COMPARISONS
from ddj_desktop.linkage.run import REVIEW, RecordRef
from ddj_desktop.review.decisions import UNSURE, ReviewDecision, in_force
from ddj_desktop.store.models import Pair, Record, Source

LINKED_SHOWN = 8  # other records of each side shown for context
_TITLES = {c.name: c.title for c in COMPARISONS}


@dataclass(frozen=True, slots=True)
class QueueItem:
    pair_id: str
    probability: float
    a: RecordRef
    b: RecordRef
    person_a: int | None
    person_b: int | None
    records: int  # records in the two persons: how much the answer moves
    changes_list: bool  # the answer would change who is on the county's frequent-utilizer list
    unsure: bool  # a reviewer marked it unsure: asked again at the end

    def to_json(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id, "probability": round(self.probability, 6),
            "a": {"source": self.a[0], "source_key": self.a[1], "person_id": self.person_a},
            "b": {"source": self.b[0], "source_key": self.b[1], "person_id": self.person_b},
            "records": self.records, "changes_list": self.changes_list, "unsure": self.unsure,
        }  # fmt: skip


class QueueItems(Sequence[QueueItem]):
    """The queue's items in order, each made when it is asked for.

    Kept as columns (pair IDs and record keys as lists of strings, the numbers as numpy arrays) rather than 100,000
    QueueItems: a string is not tracked by the garbage collector and an array is one object, so a loaded queue adds
    next to nothing to the collector's passes. Those passes hold Python's lock, so a pass over 100,000 new items
    froze the window ~220 ms right after the worker handed the queue over (bench/review_latency.py).
    """

    def __init__(self, pair_ids: list[str], probability: np.ndarray, a_source: list[str], a_key: list[str],
                 b_source: list[str], b_key: list[str], person_a: np.ndarray, person_b: np.ndarray,
                 records: np.ndarray, changes_list: np.ndarray, unsure: np.ndarray) -> None:
        self.pair_ids = pair_ids
        self.probability = probability
        self._a_source, self._a_key, self._b_source, self._b_key = a_source, a_key, b_source, b_key
        self._person_a, self._person_b = person_a, person_b  # -1: the record has no person yet
        self._records, self._changes_list, self._unsure = records, changes_list, unsure

    def __len__(self) -> int:
        return len(self.pair_ids)

    @overload
    def __getitem__(self, k: int) -> QueueItem: ...

    @overload
    def __getitem__(self, k: slice) -> list[QueueItem]: ...

    def __getitem__(self, k: int | slice) -> QueueItem | list[QueueItem]:
        if isinstance(k, slice):
            return [self._item(i) for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self._item(k)

    def _item(self, k: int) -> QueueItem:
        pa, pb = int(self._person_a[k]), int(self._person_b[k])
        return QueueItem(self.pair_ids[k], float(self.probability[k]), (self._a_source[k], self._a_key[k]),
                         (self._b_source[k], self._b_key[k]), None if pa < 0 else pa, None if pb < 0 else pb,
                         int(self._records[k]), bool(self._changes_list[k]), bool(self._unsure[k]))

    def position(self, pair_id: str) -> int | None:
        """Where the pair with `pair_id` stands in the queue (None: not in it)."""
        try:
            return self.pair_ids.index(pair_id)
        except ValueError:
            return None


@dataclass
class ReviewQueue:
    items: Sequence[QueueItem]
    decided: int  # pairs with a same / different decision in force
    list_rule: str | None = None  # the frequent-utilizer rule used to find list-changing pairs
    withheld: int = 0  # pairs left out because a record of them is 42 CFR Part 2 and the role may not see it

    @property
    def left(self) -> int:
        return len(self.items)

    @property
    def expected_wrong(self) -> float:
        """Expected wrong links left if review stops now: every pair left stays apart, so each is a missed match
        with its own probability."""
        if isinstance(self.items, QueueItems):
            return float(self.items.probability.sum())
        return float(sum(item.probability for item in self.items))


LOOKUP_CHUNK = 900  # record IDs per query (under SQLite's 999 bound parameters)


def build_queue(
    session: Session, list_changes: Callable[[list[tuple[int | None, int | None]]], np.ndarray] | None = None,
    *, hidden: Withheld | None = None,
) -> ReviewQueue:
    """The queue, ordered; `list_changes` flags the (person a, person b) pairs whose answer changes the list.

    Read so that a big queue (100,000 pairs) neither takes long nor holds Python's lock for long (the window's
    worker thread runs this while the window must keep repainting): the review pairs' rows are read in file order
    (their row IDs from the status index, then the rows by ascending row ID, so each encrypted page is decrypted
    once, not once per pair as the index's probability order would), their records' persons by ascending record
    ID, and the order is made by numpy's lexsort, which lets go of Python's lock while it sorts (a list.sort of
    100,000 tuples holds it for a second or more). The garbage collector waits meanwhile: each of its full passes
    over the window's objects holds Python's lock for a few hundred ms on a busy laptop, and the build's hundreds
    of thousands of new rows and items would set off several of them.

    Pairs with a record of a `hidden` source are left out (and counted); so are those records in the sizes."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_queue(session, list_changes, hidden or Withheld())
    finally:
        if collecting:
            gc.enable()


def _build_queue(
    session: Session, list_changes: Callable[[list[tuple[int | None, int | None]]], np.ndarray] | None,
    hidden: Withheld,
) -> ReviewQueue:
    names = dict(session.execute(select(Source.id, Source.name)).all())
    rowid = literal_column(f"{Pair.__tablename__}.rowid")
    in_review = select(rowid).select_from(Pair).where(Pair.status == REVIEW)
    rows = session.execute(
        select(Pair.id, Pair.probability, Pair.a_source_id, Pair.a_source_key, Pair.b_source_id, Pair.b_source_key,
               Pair.a_record_id, Pair.b_record_id)
        .where(rowid.in_(in_review))
    ).all()  # fmt: skip
    record_ids = sorted({rid for r in rows for rid in (r[6], r[7]) if rid is not None})
    person_of: dict[int, int | None] = {}
    for start in range(0, len(record_ids), LOOKUP_CHUNK):
        part = record_ids[start:start + LOOKUP_CHUNK]
        person_of.update(session.execute(select(Record.id, Record.person_id).where(Record.id.in_(part))).all())
    decided = in_force(session)
    bound = {pid for pid, row in decided.items() if row.decision != UNSURE}
    kept = []
    for r in rows:
        pa, pb = person_of.get(r[6]), person_of.get(r[7])
        if r[0] not in bound and not (pa is not None and pa == pb):
            kept.append((r[0], float(r[1]), (names[r[2]], r[3]), (names[r[4]], r[5]), pa, pb))
    shown = [r for r in kept if not (hidden.hides(r[2][0]) or hidden.hides(r[3][0]))]
    withheld, kept = len(kept) - len(shown), shown
    persons = {p for r in kept for p in (r[4], r[5]) if p is not None}
    sizes: dict[int, int] = {}
    if persons:
        sizes = dict(session.execute(  # type: ignore[arg-type]
            select(Record.person_id, func.count()).where(Record.person_id.is_not(None), hidden.visible())
            .group_by(Record.person_id)
        ).all())
    flags = np.zeros(len(kept), dtype=bool)
    if list_changes is not None and kept:
        flags = np.asarray(list_changes([(r[4], r[5]) for r in kept]), dtype=bool)
    records = np.array([sizes.get(r[4], 1) + sizes.get(r[5], 1) for r in kept], dtype=np.int64)  # type: ignore[arg-type]
    unsure = np.array([r[0] in decided for r in kept], dtype=bool)
    closeness = np.abs(np.array([r[1] for r in kept], dtype=np.float64) - 0.5)
    ids = np.array([r[0] for r in kept], dtype=np.str_)
    # unsure last, then those changing the list, the most records, the most uncertain, by pair ID (last key first)
    order = np.lexsort((ids, closeness, -records, ~flags, unsure)) if kept else np.zeros(0, dtype=np.int64)
    at = order.tolist()
    probability = np.array([r[1] for r in kept], dtype=np.float64)[order]
    person = np.array([[-1 if r[4] is None else r[4], -1 if r[5] is None else r[5]] for r in kept],
                      dtype=np.int64).reshape(-1, 2)[order]
    items = QueueItems(
        [kept[k][0] for k in at], probability, [kept[k][2][0] for k in at], [kept[k][2][1] for k in at],
        [kept[k][3][0] for k in at], [kept[k][3][1] for k in at], person[:, 0], person[:, 1], records[order],
        flags[order], unsure[order],
    )  # fmt: skip
    return ReviewQueue(items, len(bound), withheld=withheld)


def count_left(session: Session) -> int:
    """How many pairs `build_queue` would list (its `left`), counted by SQLite alone: no row, item or sort in
    Python, so asking it (Home does on every visit) costs the window nothing even with 100,000 pairs waiting."""
    bound = [pid for pid, row in in_force(session).items() if row.decision != UNSURE]
    record_a, record_b = aliased(Record), aliased(Record)
    bound_ids = select(literal_column("value")).select_from(func.json_each(json.dumps(bound)))
    rowid = literal_column(f"{Pair.__tablename__}.rowid")  # pairs in file order, as in build_queue
    in_review = select(rowid).select_from(Pair).where(Pair.status == REVIEW)
    return int(session.scalar(
        select(func.count()).select_from(Pair)
        .outerjoin(record_a, record_a.id == Pair.a_record_id).outerjoin(record_b, record_b.id == Pair.b_record_id)
        .where(rowid.in_(in_review), Pair.id.not_in(bound_ids),
               ~(record_a.person_id.is_not(None) & (record_a.person_id == record_b.person_id)))
    ) or 0)  # fmt: skip


# -- one pair, as a reviewer sees it ------------------------------------------------------------------------------
IDENTITY_FIELDS = (
    ("first_name", "First name"), ("middle_name", "Middle name"), ("last_name", "Last name"),
    ("name_suffix", "Suffix"), ("dob", "Date of birth"), ("ssn_last4", "SSN last 4"), ("sex", "Sex"),
    ("source", "Source"), ("source_key", "Record"), ("event_start", "Event date"), ("event_end", "Event end"),
)  # fmt: skip


@dataclass(frozen=True)
class RecordView:
    """A record's identity fields; `details` (event type, charges, diagnoses ...) only for roles that may see them."""

    record_id: int
    person_id: int | None
    source: str
    source_key: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    name_suffix: str | None
    dob: str | None
    ssn_last4: str | None
    sex: str | None
    event_start: str | None
    event_end: str | None
    details: dict[str, Any] | None = None

    @property
    def ref(self) -> RecordRef:
        return (self.source, self.source_key)

    def value(self, name: str) -> str:
        value = getattr(self, name)
        return "" if value is None else str(value)

    def one_line(self) -> str:
        name = " ".join(x for x in (self.first_name, self.middle_name, self.last_name, self.name_suffix) if x)
        parts = [name or "(no name)", f"DOB {self.dob}" if self.dob else "no DOB"]
        if self.ssn_last4:
            parts.append(f"SSN …{self.ssn_last4}")
        parts.append(f"{self.source}:{self.source_key}")
        if self.event_start:
            parts.append(self.event_start[:10])
        return ", ".join(parts)


@dataclass(frozen=True)
class Evidence:
    comparison: str  # title, e.g. "date of birth"
    level: str
    weight: float


@dataclass
class PairView:
    pair_id: str
    probability: float
    match_weight: float
    prior_weight: float
    status: str
    a: RecordView
    b: RecordView
    evidence: list[Evidence]
    linked_a: list[RecordView] = field(default_factory=list)  # other records already in a's person
    linked_b: list[RecordView] = field(default_factory=list)
    linked_a_total: int = 0
    linked_b_total: int = 0
    decision: str | None = None  # the decision in force, if any

    def fields(self) -> list[tuple[str, str, str]]:
        """(label, value a, value b) per identity field, for the side-by-side view."""
        return [(label, self.a.value(name), self.b.value(name)) for name, label in IDENTITY_FIELDS]


_RECORD_COLUMNS = (
    Record.id, Record.person_id, Source.name, Record.source_key, Record.first_name, Record.middle_name,
    Record.last_name, Record.name_suffix, Record.dob, Record.ssn, Record.ssn_last4, Record.sex, Record.event_start,
    Record.event_end,
)  # fmt: skip


def _record_views(session: Session, where: Any, *, details: bool, limit: int | None = None) -> list[RecordView]:
    columns = (*_RECORD_COLUMNS, Record.event_type, Record.attributes) if details else _RECORD_COLUMNS
    query = select(*columns).join(Source, Source.id == Record.source_id).where(where)
    query = query.order_by(Record.event_start, Record.id)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for row in session.execute(query):
        rid, person, source, key, first, middle, last, suffix, dob, ssn, last4, sex, start, end = row[:14]
        extra = {"event_type": row[14], **(row[15] or {})} if details else None
        out.append(RecordView(rid, person, source, key, first, middle, last, suffix, dob,
                              (ssn or "")[-4:] or last4, sex, start, end, extra))
    return out


def pair_view(session: Session, pid: str, *, details: bool, hidden: Withheld | None = None) -> PairView | None:
    """The pair `pid` as a reviewer sees it, or None if there is no such pair (or a record of it is `hidden`); the
    records linked to each side leave out the `hidden` ones, in the lists and in their totals."""
    hidden = hidden or Withheld()
    pair = session.get(Pair, pid)
    if pair is None:
        return None
    records = {v.record_id: v for v in _record_views(
        session, Record.id.in_([pair.a_record_id, pair.b_record_id]) & hidden.visible(), details=details)}
    a, b = records.get(pair.a_record_id), records.get(pair.b_record_id)
    if a is None or b is None:
        return None
    evidence = []
    for name, item in (pair.evidence or {}).items():
        evidence.append(Evidence(_TITLES.get(name, name), str(item.get("label", "")), float(item.get("weight", 0))))
    order = {c.title: k for k, c in enumerate(COMPARISONS)}
    evidence.sort(key=lambda e: order.get(e.comparison, 99))
    view = PairView(pid, float(pair.probability), float(pair.match_weight),
                    float(pair.match_weight) - sum(e.weight for e in evidence), pair.status, a, b, evidence)
    for side, person, exclude in (("a", a.person_id, a.record_id), ("b", b.person_id, b.record_id)):
        if person is None:
            continue
        others = _record_views(session, (Record.person_id == person) & (Record.id != exclude) & hidden.visible(),
                               details=details, limit=LINKED_SHOWN)
        total = session.scalar(select(func.count()).select_from(Record)
                               .where(Record.person_id == person, hidden.visible())) or 1
        setattr(view, f"linked_{side}", others)
        setattr(view, f"linked_{side}_total", int(total) - 1)
    view.decision = session.scalar(
        select(ReviewDecision.decision).where(ReviewDecision.pair_id == pid, ReviewDecision.undone_at.is_(None))
        .order_by(ReviewDecision.id.desc()).limit(1)
    )  # fmt: skip
    return view


def record_views(session: Session, refs: list[RecordRef], *, details: bool) -> list[RecordView]:
    """Views of records given as (source, key)."""
    from sqlalchemy import and_, or_

    if not refs:
        return []
    where = or_(*(and_(Source.name == s, Record.source_key == k) for s, k in refs))
    return _record_views(session, where, details=details)


def person_views(session: Session, person_id: int, *, details: bool, hidden: Withheld | None = None) -> list[RecordView]:
    return _record_views(session, (Record.person_id == person_id) & (hidden or Withheld()).visible(), details=details)
