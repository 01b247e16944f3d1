"""Evaluating a rule on the events as of a date: every measure as one vector over all persons (numpy), the
criteria tree as boolean vectors, then the ranking and, for the people listed, why (the conditions, the values,
the records behind them).

Which events a measure sees:
- events, episodes, systems: events that start inside the window (first day .. as-of, both included);
- days, cost per day: events that overlap the window, clipped to it; a person's days are the calendar days covered
  (a day in jail counts once however many records cover it);
- `ongoing = true`: events open on the as-of date, whenever they started.
An event without an end lasts its start day, or (blank_end = "ongoing", and always with ongoing = true) runs until
the as-of date.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import math
from dataclasses import dataclass, field

import numpy as np

from ddj_desktop.utilizers.events import BLANK, EventTable, day_date, day_number
from ddj_desktop.utilizers.rule import Leaf, Measure, Node, Rule, _number

_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


@dataclass(frozen=True)
class EventRef:
    """One record behind a listed person's measure."""

    record_id: int
    source: str
    start: dt.date
    end: dt.date | None
    source_key: str = ""  # filled in from the store for the people listed


@dataclass(frozen=True)
class Reason:
    """One condition of the rule for one person: its text, whether it held, and how deep in the tree it sits."""

    text: str
    held: bool
    depth: int = 0
    measure: str | None = None
    value: float | None = None


@dataclass
class ListedPerson:
    rank: int
    person_id: int
    values: dict[str, float]  # measure name -> value
    first_event: dt.date | None  # first and latest event inside the rule's window
    last_event: dt.date | None
    reasons: list[Reason] = field(default_factory=list)
    evidence: dict[str, list[EventRef]] = field(default_factory=dict)  # measure name -> the records behind it

    def why(self) -> str:
        """The conditions that held, as one line (what the list's `reasons` column shows)."""
        return "; ".join(r.text for r in self.reasons if r.held and r.measure is not None)

    def records(self) -> list[EventRef]:
        """Every record behind any of the measures, by date."""
        seen: dict[int, EventRef] = {}
        for refs in self.evidence.values():
            for ref in refs:
                seen.setdefault(ref.record_id, ref)
        return sorted(seen.values(), key=lambda r: (r.start, r.source, r.source_key, r.record_id))


@dataclass
class UtilizerList:
    rule_name: str
    rule_version: int
    as_of: dt.date
    window_start: dt.date
    columns: list[str]  # the measures, in rule order
    people: list[ListedPerson]
    candidates: int  # people meeting the criteria and population filters, before top_n / top_percent
    persons_in_window: int  # people with any event in the window
    warnings: list[str]
    rule_text: str = ""
    run_id: int | None = None  # set when the run was saved in the store

    def __len__(self) -> int:
        return len(self.people)

    def person_ids(self) -> list[int]:
        return [p.person_id for p in self.people]


def evaluate(rule: Rule, events: EventTable, as_of: dt.date, *, explain: bool = True) -> UtilizerList:
    """The list of people `rule` selects from `events` as of `as_of`, ranked; with explanations if `explain`."""
    return _Evaluation(rule, events, as_of).run(explain)


def count(rule: Rule, events: EventTable, as_of: dt.date) -> int:
    """How many people `rule` lists as of `as_of` (what the rule editor shows while thresholds change)."""
    return len(_Evaluation(rule, events, as_of).run(explain=False).people)


class _Evaluation:
    def __init__(self, rule: Rule, events: EventTable, as_of: dt.date) -> None:
        self.rule, self.ev, self.as_of = rule, events, as_of
        self.a = day_number(as_of)
        self.window_start = rule.window.start(as_of)
        self.ws = day_number(self.window_start)
        self.p = events.persons
        self.warnings: list[str] = []
        self._measures: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._nodes: dict[int, np.ndarray] = {}
        self._warned: set[str] = set()
        self._has_end = events.end != BLANK

    def warn(self, text: str) -> None:
        if text not in self._warned:
            self._warned.add(text)
            self.warnings.append(text)

    # -- event selection -------------------------------------------------------------------------------------
    def systems_of(self, m: Measure) -> np.ndarray:
        """Per source code: the system it counts as for `m` (-1: not one of m's sources)."""
        names = self.ev.source_names
        out = np.full(len(names), -1, dtype=np.int64)
        for i, entry in reversed(list(enumerate(m.sources))):
            if entry == "*":
                out[:] = len(m.sources) + np.arange(len(names))
                continue
            members = self.rule.groups.get(entry, (entry,))
            for member in members:
                code = self.ev.source_code(member)
                if code is None:
                    self.warn(f"No records from a source named {member!r} (used by {m.name}).")
                else:
                    out[code] = i
        return out

    def filter_mask(self, m: Measure) -> np.ndarray:
        mask = np.ones(len(self.ev), dtype=bool)
        for f in m.filters:
            category = self.ev.event_type if f.key == "event_type" else self.ev.attributes.get(f.key)
            if category is None or not category.values:
                self.warn(f"No record has a value for {f.key!r} (used by {m.name}).")
                hit = np.zeros(len(self.ev), dtype=bool)
            else:
                wanted = np.array([any(_matches(v, w) for w in f.values) for v in category.values], dtype=bool)
                hit = category.lookup(wanted)
            if f.negate:
                hit = ~hit
            if f.scope is not None:
                in_scope = np.zeros(len(self.ev.source_names), dtype=bool)
                for member in self.rule.groups.get(f.scope, (f.scope,)):
                    code = self.ev.source_code(member)
                    if code is not None:
                        in_scope[code] = True
                hit |= ~in_scope[self.ev.source]
            mask &= hit
        return mask

    def ends(self, m: Measure) -> np.ndarray:
        """Each event's last day for `m`: its end, else its start (or the as-of date when blank means ongoing)."""
        blank_value = self.a if (m.ongoing or m.blank_end == "ongoing") else None
        end = np.where(self._has_end, self.ev.end, self.ev.start if blank_value is None else blank_value)
        return np.maximum(end, self.ev.start)

    def window_start_of(self, m: Measure) -> int:
        return day_number(m.window.start(self.as_of)) if m.window else self.ws

    # -- measures --------------------------------------------------------------------------------------------
    def measure(self, m: Measure) -> tuple[np.ndarray, np.ndarray]:
        """(value per person, the events behind it) for `m`, computed once per distinct measure."""
        key = m.identity()
        if key in self._measures:
            return self._measures[key]
        ev = self.ev
        system = self.systems_of(m)[ev.source]
        base = (system >= 0) & self.filter_mask(m)
        end = self.ends(m)
        ws = self.window_start_of(m)
        start = ev.start
        if m.ongoing:
            counted = base & (start <= self.a) & (end >= self.a)
            overlapping = counted
        else:
            counted = base & (start >= ws) & (start <= self.a)
            overlapping = base & (start <= self.a) & (end >= ws)
        person = ev.person
        if m.kind == "events":
            values = np.bincount(person[counted], minlength=self.p).astype(np.float64)
            behind = counted
        elif m.kind == "systems":
            base_n = len(m.sources) + len(ev.source_names) + 1
            pairs = np.unique(person[counted].astype(np.int64) * base_n + system[counted])
            values = np.bincount(pairs // base_n, minlength=self.p).astype(np.float64)
            behind = counted
        elif m.kind == "episodes":
            group, _, _ = _merge(person[counted], start[counted], end[counted], m.gap_days)
            values = np.bincount(group, minlength=self.p).astype(np.float64)
            behind = counted
        elif m.kind == "days":
            values = self.days(person, overlapping, start, end, ws)
            behind = overlapping
        else:  # cost
            values = np.zeros(self.p, dtype=np.float64)
            behind = np.zeros(len(ev), dtype=bool)
            if m.per_event:
                rates = self.rates(m, m.per_event)
                weighted = counted & (rates[ev.source] > 0)
                values += np.bincount(person[weighted], weights=rates[ev.source[weighted]], minlength=self.p)
                behind |= weighted
            if m.per_day:
                rates = self.rates(m, m.per_day)
                paid = overlapping & (rates[ev.source] > 0)
                n_sources = len(ev.source_names)
                group = person[paid].astype(np.int64) * n_sources + ev.source[paid]
                g, s, e = _merge(group, np.maximum(start[paid], ws), np.minimum(end[paid], self.a), 0)
                values += np.bincount(g // n_sources, weights=(e - s + 1) * rates[g % n_sources], minlength=self.p)
                behind |= paid
            values = np.round(values, 2)
        self._measures[key] = (values, behind)
        return values, behind

    def days(self, person: np.ndarray, mask: np.ndarray, start: np.ndarray, end: np.ndarray, ws: int) -> np.ndarray:
        g, s, e = _merge(person[mask], np.maximum(start[mask], ws), np.minimum(end[mask], self.a), 0)
        return np.bincount(g, weights=(e - s + 1).astype(np.float64), minlength=self.p)

    def rates(self, m: Measure, table: dict[str, float]) -> np.ndarray:
        """Per source code, the rate that applies (source name, then a group holding it, then "*")."""
        out = np.zeros(len(self.ev.source_names), dtype=np.float64)
        for code, name in enumerate(self.ev.source_names):
            groups = [g for g, members in self.rule.groups.items() if name in members]
            for key in (name, *groups, "*"):
                if key in table:
                    out[code] = table[key]
                    break
        return out

    # -- criteria --------------------------------------------------------------------------------------------
    def node(self, n: Node) -> np.ndarray:
        if id(n) in self._nodes:
            return self._nodes[id(n)]
        if isinstance(n, Leaf):
            values, _ = self.measure(n.measure)
            t = n.threshold
            held = {">=": values >= t, ">": values > t, "<=": values <= t, "<": values < t}[n.op]
        else:
            parts = [self.node(c) for c in n.children]
            if n.how == "all":
                held = np.logical_and.reduce(parts) if parts else np.ones(self.p, dtype=bool)
            elif n.how == "any":
                held = np.logical_or.reduce(parts)
            elif n.how == "not":
                held = ~parts[0]
            else:
                held = np.sum(parts, axis=0) >= n.k
        self._nodes[id(n)] = held
        return held

    def ages(self) -> np.ndarray | None:
        """Age in whole years on the as-of date per person (-1: unknown)."""
        dob = self.ev.dob
        if dob is None:
            return None
        known = dob != BLANK
        born = np.where(known, dob, 0).astype("datetime64[D]")
        years = born.astype("datetime64[Y]").astype(np.int64) + 1970
        before_birthday = _month_day(born) > self.as_of.month * 100 + self.as_of.day
        age = self.as_of.year - years - before_birthday
        return np.where(known, age, -1)

    # -- the list --------------------------------------------------------------------------------------------
    def run(self, explain: bool) -> UtilizerList:
        rule, ev = self.rule, self.ev
        window_events = (ev.start <= self.a) & (np.maximum(np.where(self._has_end, ev.end, ev.start), ev.start)
                                                >= self.ws)
        in_window = np.bincount(ev.person[window_events], minlength=self.p) > 0
        if len(ev) and int(ev.start.max()) < self.a - 31:
            self.warn(f"The latest record is from {day_date(int(ev.start.max())).isoformat()}, more than a month "
                      f"before the as-of date {self.as_of.isoformat()}: is a month's import missing, or should the "
                      "list be as of an earlier date?")
        selected = in_window & self.node(rule.criteria)
        pop = rule.population
        ages = None
        if pop.min_age is not None or pop.max_age is not None:
            ages = self.ages()
            if ages is None:
                self.warn("Ages were not loaded; the age limits were not applied.")
            else:
                unknown = ages < 0
                if (selected & unknown).any():
                    self.warn(f"{int((selected & unknown).sum())} listed people have no date of birth; "
                              "they are kept (check their age by hand).")
                if pop.min_age is not None:
                    selected &= unknown | (ages >= pop.min_age)
                if pop.max_age is not None:
                    selected &= unknown | (ages <= pop.max_age)
        for n in pop.require:
            selected &= self.node(n)
        for n in pop.exclude:
            selected &= ~self.node(n)

        measures = rule.list_measures()
        columns = _unique_names([m.name for m in measures])
        values = {name: self.measure(m)[0] for name, m in zip(columns, measures, strict=True)}
        by_name = {m.name: values[name] for name, m in zip(columns, measures, strict=True)}
        first, last = _first_last(ev.person[window_events], ev.start[window_events], self.p)

        chosen = np.flatnonzero(selected)
        by = rule.ranking.by or ((measures[0].name,) if measures else ())
        keys: list[np.ndarray] = [-by_name[name][chosen] for name in by]
        for tie in rule.ranking.tie_break:
            if tie == "person_id":
                keys.append(ev.person_ids[chosen])
            elif tie == "latest_event":
                keys.append(-last[chosen].astype(np.int64))
            elif tie == "earliest_event":
                keys.append(first[chosen].astype(np.int64))
            else:
                keys.append(-by_name[tie][chosen])
        keys.append(ev.person_ids[chosen])
        order = chosen[np.lexsort(tuple(reversed(keys)))]
        candidates = len(order)
        if rule.ranking.top_n is not None:
            order = order[: rule.ranking.top_n]
        elif rule.ranking.top_percent is not None:
            order = order[: math.ceil(rule.ranking.top_percent * candidates / 100 - 1e-9)]

        people = [
            ListedPerson(
                rank=i + 1, person_id=int(ev.person_ids[p]),
                values={name: float(values[name][p]) for name in columns},
                first_event=day_date(first[p]) if first[p] != BLANK else None,
                last_event=day_date(last[p]) if last[p] != BLANK else None,
            )
            for i, p in enumerate(order)
        ]
        if explain and people:
            self.explain(people, order, measures, columns, ages)
        return UtilizerList(
            rule.name, rule.version, self.as_of, self.window_start, columns, people, candidates,
            int(in_window.sum()), self.warnings, rule.text,
        )

    def explain(self, people: list[ListedPerson], order: np.ndarray, measures: list[Measure], columns: list[str],
                ages: np.ndarray | None) -> None:
        ev = self.ev
        listed = np.zeros(self.p, dtype=bool)
        listed[order] = True
        slot = np.full(self.p, -1, dtype=np.int64)
        slot[order] = np.arange(len(order))
        for name, m in zip(columns, measures, strict=True):
            _, behind = self.measure(m)
            idx = np.flatnonzero(behind & listed[ev.person])
            if not len(idx):
                continue
            idx = idx[np.argsort(slot[ev.person[idx]], kind="stable")]
            owners = slot[ev.person[idx]]
            cuts = np.flatnonzero(np.diff(owners)) + 1
            for chunk in np.split(idx, cuts):
                person = people[slot[ev.person[chunk[0]]]]
                person.evidence[name] = sorted(
                    (EventRef(int(ev.record_id[i]), ev.source_names[ev.source[i]], day_date(ev.start[i]),
                              day_date(ev.end[i]) if ev.end[i] != BLANK else None) for i in chunk),
                    key=lambda r: (r.start, r.record_id),
                )
        names = {m.identity(): name for name, m in zip(columns, measures, strict=True)}
        pop = self.rule.population
        for person, p in zip(people, order, strict=True):
            reasons: list[Reason] = []
            for child in self.rule.criteria.children:
                self.reasons(child, p, 0, names, reasons)
            if ages is not None:
                limits = f"{pop.min_age if pop.min_age is not None else ''}–{pop.max_age if pop.max_age is not None else ''}"
                age = int(ages[p])
                reasons.append(Reason(f"age {age if age >= 0 else 'unknown'} (limits {limits})", True))
            for n in pop.require:
                self.reasons(n, p, 0, names, reasons)
            for n in pop.exclude:
                reasons.append(Reason(f"not excluded by: {_describe(n)}", True))
            person.reasons = reasons

    def reasons(self, n: Node, p: int, depth: int, names: dict, out: list[Reason]) -> None:
        held = bool(self.node(n)[p])
        if isinstance(n, Leaf):
            values, _ = self.measure(n.measure)
            name = names.get(n.measure.identity(), n.measure.name)
            value = float(values[p])
            text = f"{n.label + ': ' if n.label else ''}{name} = {_number(value)} ({_OPS[n.op]} {_number(n.threshold)})"
            out.append(Reason(text, held, depth, name, value))
        else:
            out.append(Reason(n.describe(), held, depth))
            for child in n.children:
                self.reasons(child, p, depth + 1, names, out)


_OPS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}


def _describe(n: Node) -> str:
    if isinstance(n, Leaf):
        return n.describe()
    return f"{n.describe()} ({', '.join(_describe(c) for c in n.children)})"


def _matches(value: str, wanted: str) -> bool:
    if wanted in ("true", "false"):
        return value in (_TRUE if wanted == "true" else _FALSE)
    if "*" in wanted or "?" in wanted:
        return fnmatch.fnmatchcase(value, wanted)
    return value == wanted


def _month_day(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return month * 100 + day


def _merge(group: np.ndarray, start: np.ndarray, end: np.ndarray, gap: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals [start, end] (days) merged per group where the next starts at most `gap` days after the end so
    far: (group, start, end) of each merged interval, by group."""
    if not len(group):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    order = np.lexsort((start, group))
    g = group[order].astype(np.int64)
    s = start[order].astype(np.int64)
    e = end[order].astype(np.int64)
    low = min(int(s.min()), int(e.min()))
    span = max(int(s.max()), int(e.max())) - low + gap + 2
    # Offsetting each group by `span` lets one running maximum serve every group at once.
    running = np.maximum.accumulate(g * span + (e - low))
    new = np.empty(len(g), dtype=bool)
    new[0] = True
    new[1:] = (g[1:] != g[:-1]) | (g[1:] * span + (s[1:] - low) > running[:-1] + gap)
    first = np.flatnonzero(new)
    return g[first], s[first], np.maximum.reduceat(e, first)


def _first_last(person: np.ndarray, start: np.ndarray, persons: int) -> tuple[np.ndarray, np.ndarray]:
    first = np.full(persons, np.iinfo(np.int32).max, dtype=np.int64)
    last = np.full(persons, BLANK, dtype=np.int64)
    np.minimum.at(first, person, start)
    np.maximum.at(last, person, start)
    first[first == np.iinfo(np.int32).max] = BLANK
    return first, last


def _unique_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        candidate, n = name, 2
        while candidate in out:
            candidate, n = f"{name} #{n}", n + 1
        out.append(candidate)
    return out
