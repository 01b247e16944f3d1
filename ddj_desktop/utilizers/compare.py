"""Tracking a list month to month: who is new, who dropped off, who moved up or down."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ddj_desktop.utilizers.evaluation import UtilizerList

STATUSES = ("new", "moved up", "moved down", "same", "dropped")


@dataclass(frozen=True)
class Snapshot:
    """A list as it was: its rule and as-of date, and (person, rank, measure values) in rank order."""

    rule_name: str
    rule_version: int
    as_of: dt.date
    entries: tuple[tuple[int, int, dict[str, float]], ...]
    run_id: int | None = None  # a saved run, or None for a list evaluated now

    @property
    def label(self) -> str:
        saved = f", saved run {self.run_id}" if self.run_id is not None else ""
        return f"{self.rule_name} v{self.rule_version} as of {self.as_of.isoformat()}{saved}"

    @classmethod
    def of(cls, result: UtilizerList, run_id: int | None = None) -> Snapshot:
        return cls(result.rule_name, result.rule_version, result.as_of,
                   tuple((p.person_id, p.rank, dict(p.values)) for p in result.people), run_id)


@dataclass(frozen=True)
class Change:
    person_id: int
    status: str  # new | moved up | moved down | same | dropped
    rank_before: int | None
    rank_now: int | None
    values_before: dict[str, float]
    values_now: dict[str, float]

    @property
    def moved(self) -> int:
        """Places gained (positive) or lost (negative); 0 for new and dropped people."""
        if self.rank_before is None or self.rank_now is None:
            return 0
        return self.rank_before - self.rank_now


@dataclass
class Comparison:
    before: Snapshot
    now: Snapshot
    changes: list[Change] = field(default_factory=list)  # the current list in rank order, then the dropped

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for c in self.changes:
            out[c.status] += 1
        return out

    def of_status(self, status: str) -> list[Change]:
        return [c for c in self.changes if c.status == status]

    def notes(self) -> list[str]:
        """What a reader must know to trust the comparison."""
        out = []
        if (self.before.rule_name, self.before.rule_version) != (self.now.rule_name, self.now.rule_version):
            out.append(f"The two lists come from different rules ({self.before.rule_name} v{self.before.rule_version}"
                       f" and {self.now.rule_name} v{self.now.rule_version}): changes may come from the rule.")
        if self.before.as_of > self.now.as_of:
            out.append("The 'before' list is as of a later date than the 'now' list.")
        return out


def compare(before: Snapshot, now: Snapshot) -> Comparison:
    """Who is new on `now`, who dropped off since `before`, and who moved up or down (rank)."""
    old = {person: (rank, values) for person, rank, values in before.entries}
    result = Comparison(before, now)
    seen = set()
    for person, rank, values in now.entries:
        seen.add(person)
        if person not in old:
            result.changes.append(Change(person, "new", None, rank, {}, values))
            continue
        old_rank, old_values = old[person]
        status = "moved up" if rank < old_rank else "moved down" if rank > old_rank else "same"
        result.changes.append(Change(person, status, old_rank, rank, old_values, values))
    for person, rank, values in before.entries:
        if person not in seen:
            result.changes.append(Change(person, "dropped", rank, None, values, {}))
    return result
