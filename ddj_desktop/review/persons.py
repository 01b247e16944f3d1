"""Persons after a decision: re-cluster only the persons a decision touches, at once, with the last run's model and
every decision in force; and person review (one person's records, its weak chains).

The next full link run is authoritative; re-clustering the touched persons makes a decision visible in persons
right away (well under a second), with the same clustering code, model and stable-ID rules as a link run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.governance.part2 import Withheld
from ddj_desktop.linkage.engine import LinkSettings, exact_identity, link_frame
from ddj_desktop.linkage.explain import _frame, _identity_rows, _score
from ddj_desktop.linkage.model import Model, probability
from ddj_desktop.linkage.run import RecordRef, _profile_pairs, assign_person_ids
from ddj_desktop.store.models import LinkRun, Person, Record

if TYPE_CHECKING:
    from ddj_desktop.review.queue import RecordView

MAX_PERSON_RECORDS = 2_000  # person review compares every two distinct identities of a person up to this


def latest_run(session: Session) -> LinkRun | None:
    return session.scalar(select(LinkRun).order_by(LinkRun.id.desc()).limit(1))


def run_settings(run: LinkRun) -> LinkSettings:
    return LinkSettings(**{k: v for k, v in run.settings.items() if k in LinkSettings.__dataclass_fields__})


def recluster(
    session: Session, person_ids: Iterable[int], must: list[tuple[RecordRef, RecordRef]],
    cannot: list[tuple[RecordRef, RecordRef]], now: str,
) -> list[list[int]]:
    """Cluster the records of `person_ids` again under the decisions `must` / `cannot`; returns the moves
    [[record id, person before, person after], ...] it wrote. Person IDs follow the link run's rules."""
    run = latest_run(session)
    ids = sorted({int(p) for p in person_ids if p})
    if run is None or not ids:
        return []
    rows = _identity_rows(session, Record.person_id.in_(ids))
    if len(rows) < 2:
        return []
    frame = _frame(session, rows, run_settings(run))  # plain or HMAC mode, as the run linked
    outcome = link_frame(frame, run_settings(run), model=Model.from_json(run.model),
                         must_link=_profile_pairs(frame, must), cannot_link=_profile_pairs(frame, cannot))
    labels = outcome.labels[frame.record_profile]
    next_id = (session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1)) or 0) + 1
    assignment = assign_person_ids(frame.record_person, labels, next_id)
    if assignment.new_ids:
        session.execute(insert(Person), [{"id": pid, "created_at": now} for pid in assignment.new_ids])
    changed = np.flatnonzero(assignment.person != frame.record_person)
    moves = [[int(frame.record_id[i]), int(frame.record_person[i]), int(assignment.person[i])] for i in changed]
    apply_moves(session, moves)
    return moves


def apply_moves(session: Session, moves: list[list[int]], *, backwards: bool = False) -> int:
    """Put records in their new persons (or, `backwards`, back in their old ones); returns how many moved."""
    if not moves:
        return 0
    if backwards:
        existing = set(session.scalars(select(Person.id).where(Person.id.in_({m[1] for m in moves}))))
        missing = sorted({m[1] for m in moves} - existing)
        if missing:
            session.execute(insert(Person), [{"id": pid, "created_at": ""} for pid in missing])
    statement = update(Record).where(Record.id == bindparam("rid")).values(person_id=bindparam("pid"))
    session.connection().execute(statement.execution_options(synchronize_session=False), [
        {"rid": rid, "pid": before if backwards else after} for rid, before, after in moves
    ])  # fmt: skip
    return len(moves)


def persons_of(session: Session, refs: Iterable[RecordRef]) -> dict[RecordRef, int | None]:
    """The current person of each record (source, key)."""
    from ddj_desktop.store.models import Source

    out: dict[RecordRef, int | None] = {}
    for source, key in set(refs):
        out[(source, key)] = session.scalar(
            select(Record.person_id).join(Source, Source.id == Record.source_id)
            .where(Source.name == source, Record.source_key == key)
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class WeakChain:
    """Two records of one person that do not look alike (A≉C) but are held together through a third (A≈B≈C)."""

    a: RecordRef
    c: RecordRef
    probability: float  # of A and C on their own
    through: RecordRef | None  # the record that joins them most strongly
    through_probability: float  # the weaker of A≈B and B≈C


@dataclass
class PersonReview:
    person_id: int
    records: list[RecordView]  # identity only (event details only for roles that may see them), by event date
    weak: list[WeakChain] = field(default_factory=list)
    too_large: bool = False  # more records than person review compares

    def weak_records(self) -> set[RecordRef]:
        return {ref for w in self.weak for ref in (w.a, w.c)}


def person_review(session: Session, person_id: int, *, details: bool = False,
                  hidden: Withheld | None = None) -> PersonReview:
    """A person's records and its weak chains (pairs below the review threshold joined through others), leaving out
    the records of `hidden` sources (42 CFR Part 2 records the role may not see) as if they were not there."""
    from ddj_desktop.review.queue import person_views

    hidden = hidden or Withheld()
    rows = sorted(_identity_rows(session, (Record.person_id == person_id) & hidden.visible()), key=lambda r: r.id)
    if not rows:
        raise DdjError(f"There is no person P{person_id:06d}.")
    review = PersonReview(person_id, person_views(session, person_id, details=details, hidden=hidden))
    run = latest_run(session)
    if run is None or len(rows) < 3:
        return review
    if len(rows) > MAX_PERSON_RECORDS:
        review.too_large = True
        return review
    settings = run_settings(run)
    model = Model.from_json(run.model)
    frame = _frame(session, rows, settings)
    n = frame.profiles
    if n < 3:
        return review
    left, right = np.triu_indices(n, k=1)
    _levels, weights = _score(model, frame, left, right)
    probs = np.asarray(probability(model.prior_weight() + weights.sum(axis=1)))
    probs = np.where(exact_identity(frame, left, right), 1.0, probs)
    matrix = np.eye(n)
    matrix[left, right] = probs
    matrix[right, left] = probs

    def ref(p: int) -> RecordRef:
        i = int(frame.first_record[p])
        return (frame.record_source[i], frame.record_key[i])

    for k in np.flatnonzero(probs < settings.review_threshold).tolist():
        a, c = int(left[k]), int(right[k])
        via = np.minimum(matrix[a], matrix[c])
        via[[a, c]] = -1
        b = int(np.argmax(via))
        review.weak.append(WeakChain(ref(a), ref(c), float(probs[k]), ref(b) if via[b] > 0 else None,
                                     float(max(via[b], 0.0))))
    review.weak.sort(key=lambda w: w.probability)
    return review
