"""Which review pairs could change who is on the county's frequent-utilizer list.

A pair changes the list when either person is on it (a "same" brings the other's records, and the human behind
them, onto the list, or makes two listed people one) or when the two persons, merged, would be listed though
neither is alone. The merged evaluation is done for many pairs at once: each round merges a set of pairs whose
persons are all distinct, so one evaluation answers them all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np

from ddj_desktop.utilizers import EventTable, Rule, evaluate

MAX_ROUNDS = 3


def list_changes(rule: Rule, table: EventTable, as_of: dt.date,
                 pairs: list[tuple[int | None, int | None]]) -> np.ndarray:
    """Per (person a, person b), whether its answer could change who `rule` lists as of `as_of`."""
    flags = np.zeros(len(pairs), dtype=bool)
    if not pairs or len(table) == 0:
        return flags
    listed = set(evaluate(rule, table, as_of, explain=False).person_ids())
    index = {int(p): k for k, p in enumerate(table.person_ids.tolist())}
    todo = []
    for k, (a, b) in enumerate(pairs):
        if a in listed or b in listed:
            flags[k] = True
        elif a in index and b in index:
            todo.append(k)
    for _round in range(MAX_ROUNDS):
        if not todo:
            break
        remap = np.arange(table.persons, dtype=np.int32)
        used: set[int] = set()
        this, later = [], []
        for k in todo:
            ia, ib = index[pairs[k][0]], index[pairs[k][1]]  # type: ignore[index]
            if ia in used or ib in used:
                later.append(k)
                continue
            used.update((ia, ib))
            remap[ib] = ia
            this.append(k)
        merged = replace(table, person=remap[table.person])
        now = set(evaluate(rule, merged, as_of, explain=False).person_ids())
        for k in this:
            flags[k] = pairs[k][0] in now
        todo = later
    return flags
