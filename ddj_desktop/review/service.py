"""Decide, undo, split and merge: each one action in the caller's transaction, with its effect on persons applied at
once (the touched persons re-clustered under every decision in force) and taken back in order by undo."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.linkage.run import RecordRef
from ddj_desktop.review import persons as person_ops
from ddj_desktop.review.decisions import (
    DECISIONS,
    DIFFERENT,
    MERGE,
    PAIR,
    SAME,
    SPLIT,
    DecisionInfo,
    constraints,
    in_force,
    info,
    last_action,
    record_action,
)
from ddj_desktop.store.models import Pair, Record, Source


def _label(person: int | None) -> str:
    return f"P{person:06d}" if person else "(none)"


def pair_refs(session: Session, pid: str) -> tuple[RecordRef, RecordRef]:
    pair = session.get(Pair, pid)
    if pair is None:
        raise DdjError(f"There is no review pair {pid!r}.", hint="`ddj-desktop review list STORE` shows the queue.")
    names = dict(session.execute(select(Source.id, Source.name)).all())
    return (names[pair.a_source_id], pair.a_source_key), (names[pair.b_source_id], pair.b_source_key)


def _refuse_contradiction(session: Session, person_a: int | None, person_b: int | None) -> None:
    """A "same" between two persons that a decision in force keeps apart is refused: undo that decision first."""
    if not person_a or not person_b or person_a == person_b:
        return
    apart = [row for row in in_force(session).values() if row.decision == DIFFERENT]
    if not apart:
        return
    where = person_ops.persons_of(session, [ref for row in apart for ref in (row.a, row.b)])
    for row in apart:
        if {where.get(row.a), where.get(row.b)} == {person_a, person_b}:
            raise DdjError(
                f"{_label(person_a)} and {_label(person_b)} were decided not to be the same person "
                f"({row.a[0]}:{row.a[1]} vs {row.b[0]}:{row.b[1]}, by {row.user_name} on {row.decided_at[:10]}).",
                hint="Undo that decision first, or review the persons in person review.",
            )


def _apply(session: Session, person_ids: set[int | None], now: str) -> list[list[int]]:
    must, cannot = constraints(session)
    return person_ops.recluster(session, {p for p in person_ids if p}, must, cannot, now)


def _run_id(session: Session) -> int | None:
    run = person_ops.latest_run(session)
    return run.id if run is not None else None


def decide(session: Session, pid: str, decision: str, *, user: str, now: str, note: str | None = None) -> DecisionInfo:
    """Record a reviewer's answer about pair `pid` and apply it to persons."""
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise DdjError(f"{decision!r} is not a decision.", hint="Say same, different or unsure.")
    a, b = pair_refs(session, pid)
    where = person_ops.persons_of(session, [a, b])
    pa, pb = where[a], where[b]
    if decision == SAME:
        _refuse_contradiction(session, pa, pb)
    rows = record_action(session, PAIR, [(a, b, decision)], user=user, now=now, note=note, run_id=_run_id(session))
    moves: list[list[int]] = []
    if decision == SAME and pa != pb:
        moves = _apply(session, {pa, pb}, now)
    elif decision == DIFFERENT and pa is not None and pa == pb:
        moves = _apply(session, {pa}, now)
        after = person_ops.persons_of(session, [a, b])
        if after[a] == after[b]:
            raise DdjError(f"{a[0]}:{a[1]} and {b[0]}:{b[1]} cannot be separated: a decision in force or an "
                           "identical identity holds them together.", hint="Open the person and split it there.")
    rows[0].moves = moves
    return info(rows, len(moves))


def undo(session: Session, *, user: str, now: str) -> DecisionInfo | None:
    """Take back the latest action not undone yet (None when there is none). Persons go back as they were when no
    link run came in between; otherwise the next link run applies the change."""
    rows = last_action(session)
    if not rows:
        return None
    for row in rows:
        row.undone_at, row.undone_by = now, user
    moves = rows[0].moves or []
    restored = 0
    if moves and rows[0].run_id == _run_id(session):
        current = dict(session.execute(
            select(Record.id, Record.person_id).where(Record.id.in_([m[0] for m in moves]))).all())
        still = [m for m in moves if current.get(m[0]) == m[2]]
        restored = person_ops.apply_moves(session, still, backwards=True)
    session.flush()
    return info(rows, restored)


def split(session: Session, person_id: int, refs: list[RecordRef], *, user: str, now: str,
          note: str | None = None) -> DecisionInfo:
    """Split records `refs` off person `person_id`: they are one person, not the same as the person's others."""
    records = [r.ref for r in person_ops.person_review(session, person_id).records]
    chosen = [tuple(r) for r in refs]
    if not chosen or any(r not in records for r in chosen):
        raise DdjError(f"Choose records of {_label(person_id)} to split off.")
    rest = [r for r in records if r not in chosen]
    if not rest:
        raise DdjError("Splitting off every record changes nothing.", hint="Leave at least one record behind.")
    head = chosen[0]
    pairs = [(head, other, SAME) for other in chosen[1:]] + [(head, other, DIFFERENT) for other in rest]
    rows = record_action(session, SPLIT, pairs, user=user, now=now, note=note, run_id=_run_id(session))
    moves = _apply(session, {person_id}, now)
    where = person_ops.persons_of(session, records)
    if any(where[head] == where[r] for r in rest):
        raise DdjError(f"The records cannot be split off {_label(person_id)}: a decision in force or an identical "
                       "identity ties them to the others.", hint="Undo that decision first.")
    rows[0].moves = moves
    return info(rows, len(moves))


def merge(session: Session, person_a: int, person_b: int, *, user: str, now: str,
          note: str | None = None, visible=None) -> DecisionInfo:  # type: ignore[no-untyped-def]
    """Merge two persons: their earliest records (of those `visible`, a WHERE clause, keeps) are the same person."""
    if person_a == person_b:
        raise DdjError("Choose two different persons to merge.")
    heads = []
    for person in (person_a, person_b):
        first = session.execute(
            select(Source.name, Record.source_key).join(Source, Source.id == Record.source_id)
            .where(Record.person_id == person, *(() if visible is None else (visible,))).order_by(Record.id).limit(1)
        ).first()  # fmt: skip
        if first is None:
            raise DdjError(f"There is no person {_label(person)}.")
        heads.append((first[0], first[1]))
    _refuse_contradiction(session, person_a, person_b)
    rows = record_action(session, MERGE, [(heads[0], heads[1], SAME)], user=user, now=now, note=note,
                         run_id=_run_id(session))
    moves = _apply(session, {person_a, person_b}, now)
    rows[0].moves = moves
    return info(rows, len(moves))
