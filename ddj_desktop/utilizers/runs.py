"""Saved list runs: a list as it was produced (rule text and version, as-of date, people and ranks), kept in the
store so next month's list can be compared with it, and the list reproduced from its rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import JSON, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ddj_desktop.errors import DdjError
from ddj_desktop.store.models import Base
from ddj_desktop.utilizers.compare import Snapshot
from ddj_desktop.utilizers.evaluation import UtilizerList


class UtilizerRun(Base):
    """One saved frequent-utilizer list (migration 0006)."""

    __tablename__ = "utilizer_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_name: Mapped[str] = mapped_column(Text)
    rule_version: Mapped[int] = mapped_column(Integer)
    rule_text: Mapped[str] = mapped_column(Text)
    as_of: Mapped[str] = mapped_column(String(10))
    saved_at: Mapped[str] = mapped_column(Text)
    user_name: Mapped[str] = mapped_column(Text)
    people: Mapped[int] = mapped_column(Integer)
    entries: Mapped[list] = mapped_column(JSON, default=list)  # [[person_id, rank, {measure: value}], ...]


@dataclass(frozen=True)
class RunInfo:
    id: int
    rule_name: str
    rule_version: int
    as_of: dt.date
    saved_at: str
    user_name: str
    people: int


def save(session: Session, result: UtilizerList, user_name: str, saved_at: str) -> UtilizerRun:
    run = UtilizerRun(
        rule_name=result.rule_name, rule_version=result.rule_version, rule_text=result.rule_text,
        as_of=result.as_of.isoformat(), saved_at=saved_at, user_name=user_name, people=len(result.people),
        entries=[[p.person_id, p.rank, p.values] for p in result.people],
    )
    session.add(run)
    session.flush()
    return run


def runs(session: Session, rule_name: str | None = None) -> list[RunInfo]:
    """Saved runs, newest as-of date first (then newest saved)."""
    query = select(UtilizerRun).order_by(UtilizerRun.as_of.desc(), UtilizerRun.id.desc())
    if rule_name is not None:
        query = query.where(UtilizerRun.rule_name == rule_name)
    return [RunInfo(r.id, r.rule_name, r.rule_version, dt.date.fromisoformat(r.as_of), r.saved_at, r.user_name,
                    r.people) for r in session.scalars(query)]


def snapshot(session: Session, run_id: int) -> tuple[Snapshot, str]:
    """The saved run `run_id` as a snapshot, and the rule text it was made with."""
    run = session.get(UtilizerRun, run_id)
    if run is None:
        raise DdjError(f"There is no saved list run {run_id}.", hint="See the saved runs with `utilizers runs`.")
    entries = tuple((int(p), int(rank), {k: float(v) for k, v in values.items()}) for p, rank, values in run.entries)
    return Snapshot(run.rule_name, run.rule_version, dt.date.fromisoformat(run.as_of), entries, run.id), run.rule_text
