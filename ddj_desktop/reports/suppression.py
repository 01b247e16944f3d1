"""Small-cell suppression for everything a report publishes: one ledger of counts and the sums that tie them.

Primary suppression hides every count from 1 to the threshold (shown as "<11" for the default 10). Complementary
suppression then hides further counts until no hidden count can be worked out from what is shown: a row or column
total minus the shown cells, a system's people minus its other overlap regions, the same number printed in a
second table. The ledger keeps each published number once (a key per number, shared by every table that prints
it), so complementary choices made for one table cannot be undone by another.

Which hidden counts could be recovered is exact linear algebra, not a rule of thumb: the published equations
(each a sum of counts equal to another count) restricted to the hidden counts form a matrix M; a hidden count is
recoverable by adding and subtracting published numbers exactly when every solution of M·x = 0 has x = 0 at that
count. We add the cheapest count (small, inside a table before a total, never zero when another will do) that
shares an equation with a recoverable one, and repeat. Zero is never hidden on its own: CMS allows zero.

What this does not protect against: bounds reasoning (a hidden pair known to sum to 12 with one of them "<11" and
the other at least 11); the method section of the report says so.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_THRESHOLD = 10
COMPLEMENTARY_MARK = "*"

# How much we would rather not hide a count: a table's inner cells first, its totals next, headline totals last.
INNER, TOTAL, HEADLINE = 0, 1, 2


def small_mark(threshold: int) -> str:
    """How a hidden small count is shown: "<11" for the default threshold of 10."""
    return f"<{threshold + 1}"


@dataclass
class Ledger:
    """The counts a report publishes, the equations between them, and (after `protect`) which are hidden."""

    threshold: int = DEFAULT_THRESHOLD
    values: list[int] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    keys: dict[Hashable, int] = field(default_factory=dict)
    equations: list[list[tuple[int, int]]] = field(default_factory=list)  # [(entry, coefficient)], sum = 0
    primary: set[int] = field(default_factory=set)
    complementary: set[int] = field(default_factory=set)
    protected: bool = False

    def count(self, key: Hashable, value: int, priority: int = INNER) -> Hashable:
        """Publish `value` under `key` (the same key twice must carry the same value); returns the key."""
        value = int(value)
        if value < 0:
            raise ValueError(f"negative count {value} for {key!r}")
        if key in self.keys:
            i = self.keys[key]
            if self.values[i] != value:
                raise ValueError(f"{key!r} published as {self.values[i]} and as {value}")
            self.priority[i] = max(self.priority[i], priority)
            return key
        if self.protected:
            raise RuntimeError("the ledger was already protected; publish every count first")
        self.keys[key] = len(self.values)
        self.values.append(value)
        self.priority.append(priority)
        return key

    def total(self, total_key: Hashable, parts: Iterable[Hashable]) -> None:
        """Declare that the counts `parts` add up to the count `total_key` (both already published)."""
        parts = list(parts)
        if sum(self.values[self.keys[p]] for p in parts) != self.values[self.keys[total_key]]:
            raise ValueError(f"the parts of {total_key!r} do not add up to it")
        self.equations.append([(self.keys[p], 1) for p in parts] + [(self.keys[total_key], -1)])

    def protect(self) -> None:
        """Hide the small counts and enough others that none of them can be recovered from what is shown."""
        self.primary = {i for i, v in enumerate(self.values) if 1 <= v <= self.threshold}
        hidden = set(self.primary)
        lines_of: dict[int, list[int]] = {}
        for n, eq in enumerate(self.equations):
            for i, _ in eq:
                lines_of.setdefault(i, []).append(n)
        while True:
            exposed = recoverable(self.equations, hidden)
            if not exposed:
                break
            target = min(exposed)
            # Greedy: among the counts that share a sum with the hidden counts tied to the exposed one, hide the one
            # that leaves the fewest counts exposed in that group (ties: the cheapest to lose).
            group = {h for h in hidden if h == target or h in _group_of(self.equations, hidden, target)}
            pool = {i for h in group for n in lines_of.get(h, ()) for i, _ in self.equations[n]} - hidden
            pick = min(pool, key=lambda c: (self.values[c] == 0, len(recoverable(self.equations, hidden | {c}, target)),
                                            self._cost(c)),
                       default=None)  # fmt: skip
            if pick is None:  # everything tied to it is hidden; cannot happen with consistent sums
                raise RuntimeError(f"cannot protect entry {target}")
            hidden.add(pick)
        self.complementary = hidden - self.primary
        self.protected = True

    def _cost(self, i: int) -> tuple[int, int, int]:
        return (self.values[i] == 0, self.priority[i], self.values[i])

    # -- reading the result ------------------------------------------------------------------------------------
    def _index(self, key: Hashable) -> int:
        if not self.protected:
            raise RuntimeError("protect() the ledger before reading it")
        return self.keys[key]

    def shown(self, key: Hashable) -> int | None:
        """The count, or None when it is hidden."""
        i = self._index(key)
        return None if i in self.primary or i in self.complementary else self.values[i]

    def hidden_kind(self, key: Hashable) -> str | None:
        i = self._index(key)
        return "small" if i in self.primary else "complementary" if i in self.complementary else None

    def text(self, key: Hashable) -> str:
        """The count as printed: "1,234", "<11" or "*"."""
        i = self._index(key)
        if i in self.primary:
            return small_mark(self.threshold)
        if i in self.complementary:
            return COMPLEMENTARY_MARK
        return f"{self.values[i]:,}"

    def rate(self, numerator: Hashable, denominator: Hashable, *, per: float = 100.0, digits: int = 1) -> str:
        """numerator / denominator × per as printed, or "—" when either count is hidden or the base is 0."""
        top, bottom = self.shown(numerator), self.shown(denominator)
        if top is None or bottom is None or bottom == 0:
            return "—"
        return f"{top * per / bottom:,.{digits}f}"

    def hidden_count(self) -> tuple[int, int]:
        return len(self.primary), len(self.complementary)


def _group_of(equations: Sequence[Sequence[tuple[int, int]]], hidden: set[int], entry: int) -> set[int]:
    """The hidden entries tied to `entry` through sums that hold hidden entries."""
    group, frontier = {entry}, [entry]
    by_entry: dict[int, list[Sequence[tuple[int, int]]]] = {}
    for eq in equations:
        for i, _ in eq:
            by_entry.setdefault(i, []).append(eq)
    while frontier:
        e = frontier.pop()
        for eq in by_entry.get(e, ()):
            for i, _ in eq:
                if i in hidden and i not in group:
                    group.add(i)
                    frontier.append(i)
    return group


def recoverable(equations: Sequence[Sequence[tuple[int, int]]], hidden: set[int], only: int | None = None) -> set[int]:
    """The hidden entries whose value follows exactly from the shown entries and the equations (with `only`: the
    answer for the group of hidden entries tied to that one, which is all a single new hiding can change)."""
    if not hidden:
        return set()
    # Hidden entries that share an equation belong together; each group is solved on its own (small matrices).
    parent = {h: h for h in hidden}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    touching: list[tuple[list[tuple[int, int]], list[int]]] = []
    for eq in equations:
        inside = [i for i, _ in eq if i in parent]
        if inside:
            touching.append((list(eq), inside))
            for other in inside[1:]:
                parent[find(other)] = find(inside[0])
    groups: dict[int, list[list[tuple[int, int]]]] = {}
    for eq, inside in touching:
        groups.setdefault(find(inside[0]), []).append(eq)
    wanted = find(only) if only is not None else None
    found: set[int] = set()
    for root, rows in groups.items():
        if wanted is not None and root != wanted:
            continue
        order = sorted({i for eq in rows for i, _ in eq if i in parent})
        column = {e: c for c, e in enumerate(order)}
        matrix = np.zeros((len(rows), len(order)))
        for r, eq in enumerate(rows):
            for i, coefficient in eq:
                if i in column:
                    matrix[r, column[i]] += coefficient
        # An entry is fixed by the equations iff its unit vector lies in their row space, i.e. its projection
        # onto an orthonormal basis of that space has length 1 (a thin SVD gives the basis).
        _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
        basis = vt[: int((singular > 1e-9).sum())]
        fixed = (basis**2).sum(axis=0) > 1 - 1e-9
        found.update(order[c] for c in np.flatnonzero(fixed))
    return found
