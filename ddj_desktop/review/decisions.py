"""Reviewer decisions (migration 0007): "same person", "not the same person" or "unsure" about two records.

A decision is about two records, named by (source, source key), so it outlives link runs and imports. One
*action* (a decision on a queue pair, a split or a merge in person review) writes one or more rows under one action
number; undo takes back the latest action that is not undone yet, in order, as often as asked. Rows are never
deleted: an undone row keeps who undid it and when. The decision in force for a pair of records is its latest row
not undone; "same" binds every later link run as a must-link, "different" as a cannot-link, "unsure" binds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import JSON, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ddj_desktop.linkage.run import RecordRef, pair_id
from ddj_desktop.store.models import Base

SAME, DIFFERENT, UNSURE = "same", "different", "unsure"
DECISIONS = (SAME, DIFFERENT, UNSURE)
PAIR, SPLIT, MERGE = "pair", "split", "merge"


class ReviewDecision(Base):
    """One decision about two records (migration 0007)."""

    __tablename__ = "review_decision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[int] = mapped_column(Integer, index=True)  # rows of one action share it; undo takes an action
    kind: Mapped[str] = mapped_column(String(16))  # pair | split | merge
    pair_id: Mapped[str] = mapped_column(String(32), index=True)  # linkage.pair_id of the two records
    a_source: Mapped[str] = mapped_column(Text)
    a_source_key: Mapped[str] = mapped_column(Text)
    b_source: Mapped[str] = mapped_column(Text)
    b_source_key: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))  # same | different | unsure
    user_name: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)  # the latest link run when decided
    moves: Mapped[list | None] = mapped_column(JSON)  # [[record id, person before, person after], ...] (first row)
    undone_at: Mapped[str | None] = mapped_column(Text)
    undone_by: Mapped[str | None] = mapped_column(Text)

    @property
    def a(self) -> RecordRef:
        return (self.a_source, self.a_source_key)

    @property
    def b(self) -> RecordRef:
        return (self.b_source, self.b_source_key)


@dataclass(frozen=True)
class DecisionInfo:
    """One action as the CLI and the desktop report it."""

    action: int
    kind: str
    decision: str
    pair_id: str
    a: RecordRef
    b: RecordRef
    user_name: str
    decided_at: str
    note: str | None
    rows: int  # decisions the action holds (a split holds one per record pair it separates)
    persons_changed: int  # records whose person changed (now, or back on undo)


def in_force(session: Session) -> dict[str, ReviewDecision]:
    """The decision in force per pair ID: the latest row not undone."""
    rows = session.scalars(
        select(ReviewDecision).where(ReviewDecision.undone_at.is_(None)).order_by(ReviewDecision.id)
    )
    latest: dict[str, ReviewDecision] = {}
    for row in rows:
        latest[row.pair_id] = row
    return latest


def constraints(session: Session) -> tuple[list[tuple[RecordRef, RecordRef]], list[tuple[RecordRef, RecordRef]]]:
    """(must-link, cannot-link) record pairs from the decisions in force."""
    must, cannot = [], []
    for row in in_force(session).values():
        if row.decision == SAME:
            must.append((row.a, row.b))
        elif row.decision == DIFFERENT:
            cannot.append((row.a, row.b))
    return must, cannot


def record_action(
    session: Session, kind: str, pairs: Iterable[tuple[RecordRef, RecordRef, str]], *, user: str, now: str,
    note: str | None, run_id: int | None,
) -> list[ReviewDecision]:
    """Write one action: a row per (record a, record b, decision); returns the rows (flushed)."""
    action = (session.scalar(select(func.max(ReviewDecision.action))) or 0) + 1
    rows = []
    for a, b, decision in pairs:
        if decision not in DECISIONS:
            raise ValueError(decision)
        first, second = sorted([tuple(a), tuple(b)])
        rows.append(ReviewDecision(
            action=action, kind=kind, pair_id=pair_id(first, second), a_source=first[0], a_source_key=first[1],
            b_source=second[0], b_source_key=second[1], decision=decision, user_name=user, decided_at=now,
            note=note or None, run_id=run_id,
        ))  # fmt: skip
    session.add_all(rows)
    session.flush()
    return rows


def last_action(session: Session) -> list[ReviewDecision]:
    """The rows of the latest action not undone yet (empty when there is none)."""
    action = session.scalar(select(func.max(ReviewDecision.action)).where(ReviewDecision.undone_at.is_(None)))
    if action is None:
        return []
    return list(session.scalars(select(ReviewDecision).where(ReviewDecision.action == action)
                                .order_by(ReviewDecision.id)))


def info(rows: list[ReviewDecision], persons_changed: int) -> DecisionInfo:
    first = rows[0]
    return DecisionInfo(first.action, first.kind, first.decision, first.pair_id, first.a, first.b, first.user_name,
                        first.decided_at, first.note, len(rows), persons_changed)
