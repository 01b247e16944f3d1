"""Everything the council report counts, computed from the event columns, published through one suppression
ledger and laid out as tables. The PDF and the open-data workbook only render what this returns.

Definitions (repeated in the report's method section):
- a contact is a record whose event starts inside the period (county local date as written by the agency);
- a person is a linked person ID (records not linked yet count one person each);
- a jail stay runs from booking to release; a stay without a release is still open and counts to the period end;
- bed-days are the calendar days of the period a person spent in custody (a day counts once);
- a return to jail is a new booking within N days after a release.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ddj_desktop.reports.events import (
    MISSING,
    RACE_CODES,
    SEX_CODES,
    EventColumns,
    SourceMeta,
    day_date,
    day_number,
    person_mode,
)
from ddj_desktop.reports.settings import RACE_GROUPS, REFERENCE_GROUP, ReportSettings
from ddj_desktop.reports.suppression import HEADLINE, INNER, TOTAL, Ledger
from ddj_desktop.reports.tables import Amount, Count, Later, Rate, Table

INTERCEPTS = {
    0: "0 Community services and crisis",
    1: "1 Law enforcement",
    2: "2 Initial detention and first hearing",
    3: "3 Jails and courts",
    4: "4 Reentry",
    5: "5 Community corrections",
    None: "Intercept not set",
}
LOS_BUCKETS = ((0, 0, "Released the same day"), (1, 1, "1 day"), (2, 3, "2–3 days"), (4, 7, "4–7 days"),
               (8, 30, "8–30 days"), (31, 90, "31–90 days"), (91, 365, "91–365 days"),
               (366, 10**6, "More than 1 year"))  # fmt: skip
AGE_GROUPS = ((0, 17, "Under 18"), (18, 24, "18–24"), (25, 34, "25–34"), (35, 44, "35–44"), (45, 54, "45–54"),
              (55, 64, "55–64"), (65, 200, "65 and over"))  # fmt: skip
RETURN_WINDOWS = (30, 90, 365)
TREATMENT_DAYS = 30
STAY_SOURCES = ("jail", "shelter")  # sources whose records are stays (bed-days) even without a per-day cost
RRI_MIN_SHARE = 0.01
# Column headings for wide tables (the standard sources; a county's own source keeps its display name).
SHORT_NAMES = {"bh": "Behav. health", "ed": "ED", "ems": "EMS", "shelter": "Shelter", "police": "Police",
               "court": "Court", "jail": "Jail", "probation": "Probation", "pretrial": "Pretrial"}


@dataclass(frozen=True)
class Cohort:
    """The frequent-utilizer list under the county's rule: who is on it (store person IDs) and how the rule reads."""

    rule_name: str
    rule_text: str
    as_of: dt.date
    person_ids: frozenset[int]
    note: str = ""


@dataclass
class Chart:
    kind: str  # bars | lines | venn | upset | los
    title: str
    data: dict[str, Any]


@dataclass
class Section:
    title: str
    intro: str = ""
    blocks: list[Table | Chart | str] = field(default_factory=list)


@dataclass
class ReportContent:
    county: str
    period: tuple[dt.date, dt.date]
    data_end: dt.date | None
    generated: dt.date
    threshold: int
    ledger: Ledger
    sources: list[tuple[str, str, str, str]]  # display name, intercept, first, last event date
    key_figures: list[tuple[str, Any, str]]  # label, Cell, explanation
    sections: list[Section]
    cohort_rule: str | None
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]


def default_period(events: EventColumns) -> tuple[dt.date, dt.date]:
    """The 12 months up to the latest event in the store (or up to today when it is empty)."""
    last = [s.last_day for s in events.sources if s.last_day is not None]
    end = day_date(max(last)) if last else dt.date.today()
    return year_before(end), end


def year_before(end: dt.date) -> dt.date:
    """The first day of the 12 months that end on `end`."""
    try:
        return end.replace(year=end.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return end.replace(year=end.year - 1, day=28) + dt.timedelta(days=1)


class _Builder:
    def __init__(self, events: EventColumns, settings: ReportSettings, period: tuple[dt.date, dt.date],
                 cohort: Cohort | None, quality: dict[str, Any]) -> None:  # fmt: skip
        self.ev, self.settings, self.cohort_in, self.quality = events, settings, cohort, quality
        self.ledger = Ledger(settings.threshold)
        self.a, self.b = day_number(period[0]), day_number(period[1])
        self.period = period
        ev = events
        self.in_period = (ev.start >= self.a) & (ev.start <= self.b)
        self.sources = ev.sources
        ends = [s.last_day for s in ev.sources if s.last_day is not None]
        self.data_end = max(ends) if ends else self.b
        self.cohort = np.zeros(ev.persons, dtype=bool)
        if cohort is not None and len(cohort.person_ids):
            wanted = np.fromiter(cohort.person_ids, dtype=np.int64)
            self.cohort[np.isin(ev.person_ids, wanted)] = True
        self.warnings: list[str] = []
        self.sections: list[Section] = []
        self.key_figures: list[tuple[str, Any, str]] = []
        # Per-person demographics from all their records (the most frequent value they were recorded with).
        self.race = person_mode(ev.person, ev.race.astype(np.int64), ev.persons, len(RACE_CODES))
        self.sex = person_mode(ev.person, ev.sex.astype(np.int64), ev.persons, len(SEX_CODES))
        birth = np.zeros(ev.persons, dtype=np.int16)
        np.maximum.at(birth, ev.person, ev.birth_year)
        self.birth_year = birth
        self.jail = ev.source_index("jail")
        self.bh = ev.source_index("bh")

    # -- helpers ---------------------------------------------------------------------------------------------
    def count(self, key: Any, value: int | np.integer, priority: int = INNER) -> Count:
        return Count(self.ledger.count(key, int(value), priority))

    def nested(self, whole: Any, part: Any, rest_key: Any) -> None:
        """Publish `whole − part` too (it can be worked out by subtraction) and tie the three together."""
        ledger = self.ledger
        rest = ledger.values[ledger.keys[whole]] - ledger.values[ledger.keys[part]]
        ledger.count(rest_key, rest)
        ledger.total(whole, [part, rest_key])

    def people(self, mask: np.ndarray) -> np.ndarray:
        """Which persons have at least one record in `mask` (a boolean vector over persons)."""
        out = np.zeros(self.ev.persons, dtype=bool)
        out[self.ev.person[mask]] = True
        return out

    def names(self) -> list[tuple[SourceMeta, np.ndarray]]:
        return [(s, self.ev.source == s.index) for s in self.sources]

    # -- sections --------------------------------------------------------------------------------------------
    def build(self) -> list[Section]:
        self.systems()
        self.overlap()
        self.trends()
        self.stays_all = self.jail_stays()
        self.frequent_utilizers()
        self.stepping_up()
        self.intercepts()
        self.demographics()
        return self.sections

    def systems(self) -> None:
        ledger = self.ledger
        m = self.in_period
        self.active = self.people(m)
        self.total_people = self.count(("people", "all"), self.active.sum(), HEADLINE)
        self.total_contacts = self.count(("contacts", "all"), m.sum(), HEADLINE)
        table = Table("systems", "People and contacts per system",
                      ["System", "SIM intercept", "People (count)", "Contacts (count)", "Contacts per person"],
                      note="A person with records in several systems is counted once in each; the total counts "
                      "each person once, so the people column does not add up to it.")  # fmt: skip
        self.system_people: dict[int, np.ndarray] = {}
        contact_keys = []
        for s, is_source in self.names():
            sel = m & is_source
            who = self.people(sel)
            self.system_people[s.index] = who
            people = self.count(("people", s.name), who.sum(), TOTAL)
            contacts = self.count(("contacts", s.name), sel.sum())
            contact_keys.append(contacts.key)
            self.nested(self.total_people.key, people.key, ("people_not_in", s.name))
            table.add(s.display_name, INTERCEPTS.get(s.intercept, "")[:1] or "not set", people, contacts,
                      Rate(contacts.key, people.key, per=1, digits=1))
        ledger.total(self.total_contacts.key, contact_keys)
        table.add("All systems", "", self.total_people, self.total_contacts,
                  Rate(self.total_contacts.key, self.total_people.key, per=1, digits=1))
        table.total_rows = 1
        chart = Chart("bars", "People per system in the period", {
            "labels": [s.display_name for s in self.sources],
            "keys": [("people", s.name) for s in self.sources], "unit": "people"})
        self.sections.append(Section(
            "People and contacts per system",
            f"Everyone with at least one contact in the period, by the system that recorded it. {self._period_text()}",
            [table, chart]))
        self.key_figures += [
            ("People with any contact", self.total_people, "distinct people across all systems"),
            ("Contacts", self.total_contacts, "records of an arrest, visit, service, stay ... in the period"),
        ]

    def _period_text(self) -> str:
        return f"Period: {self.period[0]:%d %b %Y} to {self.period[1]:%d %b %Y}."

    def overlap(self) -> None:
        ev, ledger = self.ev, self.ledger
        n = len(self.sources)
        combo = np.zeros(ev.persons, dtype=np.int64)
        for index, who in self.system_people.items():
            combo[who] |= 1 << index
        active = combo > 0
        regions, sizes = np.unique(combo[active], return_counts=True)
        size_of = dict(zip(regions.tolist(), sizes.tolist()))
        # Two or three systems: every region of the Venn. More: the combinations above the threshold (at most 15,
        # largest first) and one count for all the others, so that dozens of tiny combinations need no hiding.
        if n <= 3:
            published = sorted(size_of)
        else:
            published = sorted((r for r, c in size_of.items() if c > ledger.threshold), key=lambda r: (-size_of[r], r))
            published = published[:15]
        region_keys = {r: self.count(("region", r), size_of[r]).key for r in published}
        rest = [r for r in size_of if r not in region_keys]
        parts = list(region_keys.values())
        if rest:
            parts.append(self.count(("region", "other"), sum(size_of[r] for r in rest)).key)
        ledger.total(self.total_people.key, parts)
        for s in self.sources:
            if not any(r >> s.index & 1 for r in rest):
                members = [k for r, k in region_keys.items() if r >> s.index & 1]
                if members:
                    ledger.total(("people", s.name), members)
        systems_per_person = np.array([bin(r).count("1") for r in regions.tolist()], dtype=np.int64)
        table = Table("overlap_count", "People by the number of systems they appear in",
                      ["Systems", "People (count)", "Share of people (%)"])  # fmt: skip
        by_k = []
        for k in range(1, n + 1):
            size = int(sizes[systems_per_person == k].sum())
            key = self.count(("systems_per_person", k), size)
            by_k.append(key.key)
            of_k = [r for r in size_of if bin(r).count("1") == k]
            if of_k and all(r in region_keys for r in of_k):
                ledger.total(key.key, [region_keys[r] for r in of_k])
            table.add(f"{k} system{'s' if k > 1 else ''}", key, Rate(key.key, self.total_people.key))
        ledger.total(self.total_people.key, by_k)
        table.add("All people", self.total_people, Rate(self.total_people.key, self.total_people.key, digits=0))
        table.total_rows = 1
        multi = int(sizes[systems_per_person >= 2].sum())
        multi_key = self.count(("people", "2+ systems"), multi, TOTAL)
        self.nested(self.total_people.key, multi_key.key, ("systems_per_person", 1))
        self.key_figures.append(("People in two or more systems", multi_key,
                                 "the people whom coordination between agencies could help"))
        blocks: list[Table | Chart | str] = [table]
        names = [s.display_name for s in self.sources]
        if n >= 2:
            combos = Table("overlap_combinations", "People per combination of systems",
                           ["Systems (only these)", "People (count)", "Share of people (%)"],
                           note="Each person is counted in exactly one row: the systems they appear in, and no "
                           "others." + (f" Combinations of {ledger.threshold} people or fewer, and any beyond the 15 "
                                        "largest, are counted together." if n > 3 else ""))  # fmt: skip
            for r in published:
                label = " + ".join(s.display_name for s in self.sources if r >> s.index & 1)
                combos.add(label + (" only" if bin(r).count("1") == 1 else ""), Count(region_keys[r]),
                           Rate(region_keys[r], self.total_people.key))
            if rest:
                combos.add(f"All other combinations ({len(rest)})", Count(("region", "other")),
                           Rate(("region", "other"), self.total_people.key))
            combos.add("All people", self.total_people, "100")
            combos.total_rows = 1
            blocks.insert(0, combos)
        if 2 <= n <= 3:
            blocks.insert(0, Chart("venn", "Overlap between the systems (people)", {
                "labels": names, "regions": {r: ("region", r) for r in range(1, 1 << n)}}))
            intro = ("How many people appear in more than one system in the period. Each circle is one system; "
                     "the number in each part of the diagram is the people seen by exactly those systems, so each "
                     "person is counted once.")
        else:
            if n > 3:
                blocks.insert(0, Chart("upset", "Which systems people share (largest combinations)", {
                    "labels": names, "regions": [(r, region_keys[r]) for r in published], "more": len(rest)}))
            intro = ("How many people appear in more than one system in the period. Each bar is one combination of "
                     "systems (the dots below it); each person is counted in exactly one combination.")
        self.sections.append(Section("Overlap between systems", intro, blocks))

    def trends(self) -> None:
        ev, ledger = self.ev, self.ledger
        m = self.in_period
        first = self.period[0]
        months = []
        day = dt.date(first.year, first.month, 1)
        while day <= self.period[1]:
            months.append(day)
            day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        bounds = np.array([day_number(d) for d in months] + [self.b + 1])
        month_of = np.searchsorted(bounds, ev.start[m], side="right") - 1
        src = ev.source[m].astype(np.int64)
        counts = np.bincount(month_of * len(self.sources) + src, minlength=len(months) * len(self.sources))
        counts = counts.reshape(len(months), len(self.sources))
        person_month = np.unique(ev.person[m].astype(np.int64) * len(months) + month_of)
        people_month = np.bincount(person_month % len(months), minlength=len(months))
        table = Table("monthly", "Contacts per month, by system",
                      ["Month", *[SHORT_NAMES.get(s.name, s.display_name) for s in self.sources], "All (contacts)",
                       "People (count)"],
                      note="Counts of contacts, except People: distinct people with a contact that month. "
                      "ED: emergency department; EMS: emergency medical services.")  # fmt: skip
        columns: dict[int, list[Any]] = {s.index: [] for s in self.sources}
        row_totals = []
        for i, month in enumerate(months):
            cells = []
            for s in self.sources:
                c = self.count(("month_contacts", i, s.name), counts[i, s.index])
                columns[s.index].append(c.key)
                cells.append(c)
            total = self.count(("month_contacts", i, "all"), counts[i].sum(), TOTAL)
            row_totals.append(total.key)
            ledger.total(total.key, [c.key for c in cells])
            people = self.count(("month_people", i), people_month[i], TOTAL)
            table.add(f"{month:%b %Y}", *cells, total, people)
        for s in self.sources:
            ledger.total(("contacts", s.name), columns[s.index])
        ledger.total(self.total_contacts.key, row_totals)
        table.add("Period", *[Count(("contacts", s.name)) for s in self.sources], self.total_contacts,
                  self.total_people)
        table.total_rows = 1
        chart = Chart("lines", "Contacts per month", {
            "x": [f"{m:%b}\n{m:%Y}" if i == 0 or m.month == 1 else f"{m:%b}" for i, m in enumerate(months)],
            "series": [(s.display_name, [("month_contacts", i, s.name) for i in range(len(months))])
                       for s in self.sources],
            "unit": "contacts"})
        self.sections.append(Section(
            "Monthly trends", "Contacts per month in each system, each on its own scale. A dot (·) in place of a bar "
            "is a month whose count is hidden (a small count, or one hidden to protect a small count).",
            [chart, table]))

    def jail_stays(self) -> dict[str, np.ndarray] | None:
        """Every jail stay (all time): person, booking day, release day (open stays: MISSING), next booking."""
        if self.jail is None:
            return None
        ev = self.ev
        sel = (ev.source == self.jail) & (ev.start != MISSING)
        person, start, end = ev.person[sel], ev.start[sel], ev.end[sel]
        order = np.lexsort((start, person))
        person, start, end = person[order], start[order], end[order]
        end = np.where((end != MISSING) & (end < start), start, end)
        same_next = np.r_[person[1:] == person[:-1], False]
        next_start = np.where(same_next, np.r_[start[1:], 0], MISSING)
        return {"person": person, "start": start, "end": end, "next": next_start,
                "smi": ev.smi[sel][order]}  # fmt: skip

    def bed_days(self, who: np.ndarray, source: SourceMeta) -> tuple[int, int]:
        """(calendar days in the period covered by stays of `who` in `source`, people with such days)."""
        ev = self.ev
        sel = (ev.source == source.index) & (ev.start != MISSING) & (ev.start <= self.b) & who[ev.person]
        person, start, end = ev.person[sel].astype(np.int64), ev.start[sel], ev.end[sel]
        end = np.where(end == MISSING, np.where(source.name in STAY_SOURCES, self.b, start), end)
        start, end = np.maximum(start, self.a), np.minimum(np.maximum(end, start), self.b)
        keep = end >= start
        person, start, end = person[keep], start[keep].astype(np.int64), end[keep].astype(np.int64)
        if not len(person):
            return 0, 0
        order = np.lexsort((start, person))
        person, start, end = person[order], start[order], end[order]
        # A day counts once per person: each stay adds only the days after the latest end of the person's stays
        # before it (running maximum within the person, offset so that persons never mix).
        offset = person * 10**7
        running = np.maximum.accumulate(end + offset) - offset
        previous = np.r_[-(10**7), running[:-1]]
        previous[np.r_[True, person[1:] != person[:-1]]] = -(10**7)
        days = np.clip(end - np.maximum(start, previous + 1) + 1, 0, None)
        return int(days.sum()), len(np.unique(person))

    def frequent_utilizers(self) -> None:
        ev, ledger, cohort_in = self.ev, self.ledger, self.cohort_in
        section = Section("Frequent utilizers")
        self.sections.append(section)
        if cohort_in is None:
            section.intro = ("No frequent-utilizer rule is chosen, so this section is empty. Choose the county's "
                             "rule with `ddj-desktop report-settings STORE --rule NAME` or in Settings.")
            self.cohort_people = None
            return
        cohort = self.cohort
        self.cohort_people = self.count(("cohort", "people"), cohort.sum(), HEADLINE)
        section.intro = (f"People on the frequent-utilizer list under the county's rule “{cohort_in.rule_name}”, "
                         f"evaluated as of {cohort_in.as_of:%d %b %Y}. {cohort_in.rule_text} "
                         f"{cohort_in.note}").strip()
        self.key_figures.append(("Frequent utilizers", self.cohort_people, f"rule: {cohort_in.rule_name}"))
        m = self.in_period & cohort[ev.person]
        table = Table("cohort_systems", "Frequent utilizers: people and contacts per system in the period",
                      ["System", "People (count)", "Contacts (count)", "Share of the system's contacts (%)"])
        keys = []
        for s, is_source in self.names():
            sel = m & is_source
            people = self.count(("cohort_people", s.name), self.people(sel).sum())
            contacts = self.count(("cohort_contacts", s.name), sel.sum())
            keys.append(contacts.key)
            self.nested(("people", s.name), people.key, ("cohort_people_not", s.name))
            self.nested(("contacts", s.name), contacts.key, ("cohort_contacts_not", s.name))
            table.add(s.display_name, people, contacts, Rate(contacts.key, ("contacts", s.name)))
        total = self.count(("cohort_contacts", "all"), m.sum(), TOTAL)
        ledger.total(total.key, keys)
        self.nested(self.total_contacts.key, total.key, ("cohort_contacts_not", "all"))
        table.add("All systems", self.cohort_people, total, Rate(total.key, self.total_contacts.key))
        table.total_rows = 1
        section.blocks.append(table)
        self.key_figures.append(("Their share of all contacts (%)", Rate(total.key, self.total_contacts.key),
                                 "contacts of frequent utilizers ÷ all contacts in the period"))
        # Days and cost per system with stays (jail, shelter) or a per-day cost.
        costs = self.settings.cost_per_day
        days_table = Table("cohort_days", "Days in custody or in a program, and their cost, in the period",
                           ["System", "Group", "People with days (count)", "Days", "Cost per day ($)",
                            "Cost ($)"],
                           note="Days: calendar days of the period covered by a stay (booking to release, entry "
                           "to exit); an open stay counts to the period end; a day counts once per person. "
                           "Cost = days × the county's cost per day. “—”: hidden because the count of people "
                           "behind it is hidden, or no cost per day was entered.")  # fmt: skip
        for s in self.sources:
            if s.name not in STAY_SOURCES and s.name not in costs:
                continue
            for group, who in (("Frequent utilizers", cohort), ("Everyone", np.ones(ev.persons, dtype=bool))):
                days, people = self.bed_days(who, s)
                basis = self.count(("days_people", s.name, group), people)
                rate = costs.get(s.name)
                days_table.add(s.display_name, group, basis, Amount(days, basis.key),
                               f"{rate:,.2f}" if rate is not None else "—",
                               Amount(days * rate, basis.key, prefix="$") if rate is not None else "—")
                if s.name == "jail" and group == "Frequent utilizers":
                    self.key_figures.append(("Jail bed-days of frequent utilizers", Amount(days, basis.key),
                                             "days in custody in the period"))
                    if rate is not None:
                        self.key_figures.append(("Their cost of jail", Amount(days * rate, basis.key, prefix="$"),
                                                 f"bed-days × ${rate:,.2f} per day"))
        if days_table.rows:
            section.blocks.append(days_table)
        self.length_of_stay(section)
        self.returns(section)

    def length_of_stay(self, section: Section) -> None:
        stays = self.stays_all
        if stays is None:
            section.blocks.append("Length of stay and returns to jail: the store has no jail source.")
            return
        released = (stays["end"] != MISSING) & (stays["end"] >= self.a) & (stays["end"] <= self.b)
        los = (stays["end"] - stays["start"])[released]
        in_cohort = self.cohort[stays["person"][released]]
        table = Table("length_of_stay", "Length of stay of jail stays that ended in the period",
                      ["Length of stay", "All releases (count)", "Frequent utilizers (count)"],
                      note="Days from booking to release.")
        keys: dict[str, list[Any]] = {"all": [], "cohort": []}
        chart_rows = []
        for low, high, label in LOS_BUCKETS:
            inside = (los >= low) & (los <= high)
            cells = []
            for group, mask in (("all", np.ones(len(los), dtype=bool)), ("cohort", in_cohort)):
                c = self.count(("los", label, group), (inside & mask).sum())
                keys[group].append(c.key)
                cells.append(c)
            self.nested(cells[0].key, cells[1].key, ("los", label, "others"))
            table.add(label, *cells)
            chart_rows.append((label, [c.key for c in cells]))
        totals = []
        for group, mask in (("all", np.ones(len(los), dtype=bool)), ("cohort", in_cohort)):
            total = self.count(("releases", group), mask.sum(), TOTAL)
            self.ledger.total(total.key, keys[group])
            totals.append(total)
        self.nested(totals[0].key, totals[1].key, ("releases", "others"))
        table.add("All releases", *totals)
        table.total_rows = 1
        averages = Table("length_of_stay_average", "Average and median length of stay",
                         ["Length of stay (days)", "All releases", "Frequent utilizers"],
                         note="Shown only when the number of releases behind it is shown.")
        averages.add("Average (days)", Amount(float(los.mean()) if len(los) else 0.0, totals[0].key, 1),
                     Amount(float(los[in_cohort].mean()) if in_cohort.any() else 0.0, totals[1].key, 1))
        averages.add("Median (days)", Amount(float(np.median(los)) if len(los) else 0.0, totals[0].key, 1),
                     Amount(float(np.median(los[in_cohort])) if in_cohort.any() else 0.0, totals[1].key, 1))
        section.blocks.append(Chart("los", "Length of stay of jail releases in the period", {
            "rows": chart_rows, "groups": ["All releases", "Frequent utilizers"],
            "totals": [t.key for t in totals]}))
        section.blocks += [table, averages]

    def returns(self, section: Section, smi_split: bool = False) -> None:
        stays = self.stays_all
        if stays is None:
            return
        table = Table("returns", "Returns to jail after release",
                      ["Within", "Group", "Releases followed (count)", "Returned (count)", "Returned (%)"],
                      note="Releases in the 12 months ending N days before the period end, so every release is "
                      "followed for the full N days; a return is a new booking within N days after release.")
        for n in RETURN_WINDOWS:
            lo, hi = self.a - n, min(self.b, self.data_end) - n
            released = (stays["end"] != MISSING) & (stays["end"] >= lo) & (stays["end"] <= hi)
            back = released & (stays["next"] != MISSING) & (stays["next"] > stays["end"]) & (
                stays["next"] <= stays["end"] + n)
            for group, mask in (("All releases", np.ones(len(released), dtype=bool)),
                                ("Frequent utilizers", self.cohort[stays["person"]])):
                base = self.count(("return_base", n, group), (released & mask).sum())
                yes = self.count(("return_yes", n, group), (back & mask).sum())
                self.nested(base.key, yes.key, ("return_no", n, group))
                table.add(f"{n} days", group, base, yes, Rate(yes.key, base.key))
            self.nested(("return_base", n, "All releases"), ("return_base", n, "Frequent utilizers"),
                        ("return_base", n, "others"))
            self.nested(("return_yes", n, "All releases"), ("return_yes", n, "Frequent utilizers"),
                        ("return_yes", n, "others"))
            if n == 90:
                self.key_figures.append(("Back in jail within 90 days (%)",
                                         Rate(("return_yes", n, "All releases"), ("return_base", n, "All releases")),
                                         "of jail releases followed for 90 days"))
        section.blocks.append(table)

    def stepping_up(self) -> None:
        ev = self.ev
        section = Section("Stepping Up: people with serious mental illness in jail",
                          "The four key measures of the Stepping Up initiative, as far as the data allow. "
                          "Serious mental illness (SMI): flagged at booking, or in any behavioral-health record.")
        self.sections.append(section)
        stays = self.stays_all
        if stays is None:
            section.blocks.append("Not available: the store has no jail source.")
            return
        smi_person = np.zeros(ev.persons, dtype=bool)
        flagged = (ev.smi == 1) & (ev.start <= self.b)
        if self.bh is not None:
            flagged &= (ev.source == self.jail) | (ev.source == self.bh)
        else:
            flagged &= ev.source == self.jail
        smi_person[ev.person[flagged]] = True
        booked_in = (stays["start"] >= self.a) & (stays["start"] <= self.b)
        booked = np.zeros(ev.persons, dtype=bool)
        booked[stays["person"][booked_in]] = True
        table = Table("stepping_up", "Stepping Up's four measures",
                      ["Measure", "People with SMI", "Other people", "All"],
                      note="Length of stay: days from booking to release, for stays that ended in the period. "
                      "Connected to treatment: a behavioral-health service within 30 days after a release in "
                      "the period. Returned: a new booking within 365 days of a release (releases followed for "
                      "a full year).")  # fmt: skip
        all_booked = self.count(("people", "jail"), booked.sum(), TOTAL)
        smi_booked = self.count(("su_booked", "smi"), (booked & smi_person).sum())
        self.nested(all_booked.key, smi_booked.key, ("su_booked", "other"))
        table.add("1. People booked into jail (count)", smi_booked, Count(("su_booked", "other")), all_booked)
        table.add("   Share of people booked (%)", Rate(smi_booked.key, all_booked.key),
                  Rate(("su_booked", "other"), all_booked.key), Rate(all_booked.key, all_booked.key, digits=0))
        self.key_figures.append(("People booked with serious mental illness (%)",
                                 Rate(smi_booked.key, all_booked.key), "of everyone booked into jail"))
        released = (stays["end"] != MISSING) & (stays["end"] >= self.a) & (stays["end"] <= self.b)
        los = (stays["end"] - stays["start"]).astype(float)
        cells = []
        for group, mask in (("smi", smi_person[stays["person"]]), ("other", ~smi_person[stays["person"]]),
                            ("all", np.ones(len(los), dtype=bool))):
            sel = released & mask
            basis = self.count(("releases", "all") if group == "all" else ("su_releases", group), sel.sum())
            cells.append(Amount(float(los[sel].mean()) if sel.any() else 0.0, basis.key, 1))
        self.ledger.total(("releases", "all"), [("su_releases", "smi"), ("su_releases", "other")])
        table.add("2. Average length of stay (days)", *cells)
        if self.bh is not None:
            treat_end = min(self.b, self.data_end - TREATMENT_DAYS)
            rel = released & (stays["end"] <= treat_end)
            bh = (ev.source == self.bh) & (ev.start != MISSING)
            bh_person, bh_start = ev.person[bh].astype(np.int64), ev.start[bh].astype(np.int64)
            order = np.lexsort((bh_start, bh_person))
            key = bh_person[order] * 10**7 + bh_start[order]
            rel_person = stays["person"][rel].astype(np.int64)
            rel_end = stays["end"][rel].astype(np.int64)
            # The first behavioral-health service after each release: one binary search over (person, day).
            found = np.searchsorted(key, rel_person * 10**7 + rel_end, side="left")
            found_key = np.r_[key, [np.iinfo(np.int64).max]][found]
            treated_release = (found_key // 10**7 == rel_person) & (found_key % 10**7 <= rel_end + TREATMENT_DAYS)
            released_smi = np.zeros(ev.persons, dtype=bool)
            released_smi[rel_person[smi_person[rel_person]]] = True
            treated = np.zeros(ev.persons, dtype=bool)
            treated[rel_person[treated_release & smi_person[rel_person]]] = True
            base = self.count(("su_treat_base", "smi"), released_smi.sum())
            yes = self.count(("su_treat_yes", "smi"), treated.sum())
            self.nested(base.key, yes.key, ("su_treat_no", "smi"))
            table.add("3. Connected to treatment within 30 days of release (%)", Rate(yes.key, base.key), "—", "—")
            table.add("   People with SMI released (count)", base, "—", "—")
        else:
            table.add("3. Connected to treatment (%)", "not available: no behavioral-health source", "", "")
        n = 365
        lo, hi = self.a - n, min(self.b, self.data_end) - n
        rel = (stays["end"] != MISSING) & (stays["end"] >= lo) & (stays["end"] <= hi)
        back = rel & (stays["next"] != MISSING) & (stays["next"] > stays["end"]) & (stays["next"] <= stays["end"] + n)
        cells = []
        for group, mask in (("smi", smi_person[stays["person"]]), ("other", ~smi_person[stays["person"]])):
            base = self.count(("su_recid_base", group), (rel & mask).sum())
            yes = self.count(("su_recid_yes", group), (back & mask).sum())
            self.nested(base.key, yes.key, ("su_recid_no", group))
            cells.append(Rate(yes.key, base.key))
        # The same numbers as the "all releases" row of the returns table (same keys), published here if not there.
        self.count(("return_base", n, "All releases"), rel.sum())
        self.count(("return_yes", n, "All releases"), back.sum())
        self.ledger.total(("return_base", n, "All releases"), [("su_recid_base", "smi"), ("su_recid_base", "other")])
        self.ledger.total(("return_yes", n, "All releases"), [("su_recid_yes", "smi"), ("su_recid_yes", "other")])
        table.add("4. Returned to jail within a year (%)", *cells,
                  Rate(("return_yes", n, "All releases"), ("return_base", n, "All releases")))
        section.blocks.append(table)

    def intercepts(self) -> None:
        ev = self.ev
        m = self.in_period
        table = Table("intercepts", "Contacts by Sequential Intercept Model intercept",
                      ["Intercept", "Systems", "People (count)", "Contacts (count)", "Share of contacts (%)"],
                      note="Each system is tagged with the intercept where it meets people (set per source).")
        keys, labels, chart_keys = [], [], []
        for intercept in (0, 1, 2, 3, 4, 5, None):
            members = [s for s in self.sources if s.intercept == intercept]
            if not members and intercept is None:
                continue
            indexes = [s.index for s in members]
            sel = m & np.isin(ev.source, indexes)
            # One system alone at an intercept: the same numbers as its own row elsewhere, so the same keys.
            one = members[0].name if len(members) == 1 else None
            people = self.count(("people", one) if one else ("sim_people", intercept), self.people(sel).sum())
            contacts = self.count(("contacts", one) if one else ("sim_contacts", intercept), sel.sum())
            if len(members) > 1:
                self.ledger.total(contacts.key, [("contacts", s.name) for s in members])
            keys.append(contacts.key)
            table.add(INTERCEPTS[intercept], ", ".join(s.display_name for s in members) or "none",
                      people, contacts, Rate(contacts.key, self.total_contacts.key))
            labels.append(INTERCEPTS[intercept])
            chart_keys.append(contacts.key)
        self.ledger.total(self.total_contacts.key, keys)
        table.add("All intercepts", "", self.total_people, self.total_contacts,
                  Rate(self.total_contacts.key, self.total_contacts.key, digits=0))
        table.total_rows = 1
        self.sections.append(Section(
            "Contacts by Sequential Intercept Model intercept",
            "Where along the Sequential Intercept Model people met the county's systems: from community services "
            "and crisis response (0) to community corrections (5).",
            [Chart("bars", "Contacts per intercept", {"labels": labels, "keys": chart_keys, "unit": "contacts"}),
             table]))

    def demographics(self) -> None:
        ev = self.ev
        section = Section("Demographics and racial and ethnic disparity",
                          "People by race and ethnicity, sex and age, for everyone with a contact, everyone booked "
                          "into jail, and the frequent utilizers. Each person is counted once, under the value "
                          "most often recorded for them.")
        self.sections.append(section)
        booked = np.zeros(ev.persons, dtype=bool)
        if self.stays_all is not None:
            stays = self.stays_all
            booked[stays["person"][(stays["start"] >= self.a) & (stays["start"] <= self.b)]] = True
        groups: list[tuple[str, Any, np.ndarray]] = [("all", self.total_people.key, self.active)]
        if self.jail is not None:
            groups.append(("jail", ("people", "jail"), booked))
        if self.cohort_people is not None:
            groups.append(("cohort", self.cohort_people.key, self.cohort))
        headings = {"all": "Any contact (people)", "jail": "Booked into jail (people)",
                    "cohort": "Frequent utilizers (people)"}
        age = np.where(self.birth_year > 0, self.period[1].year - self.birth_year.astype(np.int64), -1)
        dimensions = [
            ("race", "Race and ethnicity",
             [(RACE_GROUPS[g], self.race == RACE_CODES.index(g)) for g in RACE_GROUPS] +
             [("Not recorded", self.race == 0)]),
            ("sex", "Sex", [("Female", self.sex == 1), ("Male", self.sex == 2), ("Other", self.sex == 3),
                            ("Not recorded", self.sex == 0)]),
            ("age", "Age at the end of the period",
             [(label, (age >= lo) & (age <= hi)) for lo, hi, label in AGE_GROUPS] + [("Not recorded", age < 0)]),
        ]  # fmt: skip
        for dim, title, rows in dimensions:
            table = Table(f"demographics_{dim}", f"{title}",
                          [title, *[headings[g] for g, _, _ in groups], *[f"{headings[g].split(' (')[0]} (%)"
                                                                            for g, _, _ in groups]])
            parts: dict[str, list[Any]] = {g: [] for g, _, _ in groups}
            for label, members in rows:
                counts = []
                for g, _, who in groups:
                    c = self.count(("demo", dim, label, g), (members & who).sum())
                    parts[g].append(c.key)
                    counts.append(c)
                for c in counts[1:]:
                    self.nested(counts[0].key, c.key, (*c.key, "rest"))
                if all(self.ledger.values[self.ledger.keys[c.key]] == 0 for c in counts) and label != "Not recorded":
                    continue
                table.add(label, *counts, *[Rate(c.key, total) for c, (_, total, _) in zip(counts, groups)])
            for g, total, _ in groups:
                self.ledger.total(total, parts[g])
            table.add("All", *[Count(total) for _, total, _ in groups], *["100" for _ in groups])
            table.total_rows = 1
            section.blocks.append(table)
        self.rri(section, groups)

    def rri(self, section: Section, groups: list[tuple[str, Any, np.ndarray]]) -> None:
        population = self.settings.population
        if not population:
            section.blocks.append("Relative rate index (RRI): enter the county population by race and ethnicity "
                                  "(`ddj-desktop report-settings STORE --population FILE.csv`) to compare rates.")
            return
        total_pop = sum(population.values())
        reference = population.get(REFERENCE_GROUP, 0)
        headings = {"all": "Any contact", "jail": "Jail", "cohort": "Listed"}
        table = Table("rri", "Rates per 1,000 residents and relative rate index (RRI)",
                      ["Group", "Residents (share)",
                       *[f"{headings[g]} per 1,000" for g, _, _ in groups],
                       *[f"{headings[g]} RRI" for g, _, _ in groups]],
                      note="Rate = people in the group ÷ residents of the group × 1,000. RRI = the group's rate ÷ "
                      "the rate of White (not Hispanic) residents; 1.0 = parity. Shown only for groups of at least "
                      "1% of the population whose counts are not hidden (“—” otherwise). People whose race is not "
                      "recorded are left out, so every rate is a floor. Jail: booked into jail in the period; "
                      "listed: on the frequent-utilizer list. A group nobody was recorded in shows “—”.")  # fmt: skip
        reference_label = RACE_GROUPS[REFERENCE_GROUP]
        reference_ok = bool(reference) and reference / total_pop >= RRI_MIN_SHARE
        for group, label in RACE_GROUPS.items():
            residents = population.get(group)
            if not residents:
                continue
            share = residents / total_pop if total_pop else 0
            rates, ratios = [], []
            for g, _, _ in groups:
                rate = _rate_later(("demo", "race", label, g), residents, share)
                rates.append(Later(rate))
                ref_rate = _rate_later(("demo", "race", reference_label, g), reference, 1.0 if reference_ok else 0)
                ratios.append(Later(_ratio(rate, ref_rate), 2))
            table.add(label, f"{residents:,} ({share:.1%})", *rates, *ratios)
        section.blocks.append(table)


def _rate_later(key: Any, residents: int, share: float) -> Any:
    """People of `key` per 1,000 residents, once the ledger is protected; None when hidden or the group is small."""

    def rate(ledger: Ledger) -> float | None:
        shown = ledger.shown(key)
        if not shown or not residents or share < RRI_MIN_SHARE:
            return None
        return shown * 1000 / residents

    return rate


def _ratio(rate: Any, reference: Any) -> Any:
    def ratio(ledger: Ledger) -> float | None:
        top, bottom = rate(ledger), reference(ledger)
        return None if top is None or not bottom else top / bottom

    return ratio


def compute(events: EventColumns, settings: ReportSettings, period: tuple[dt.date, dt.date] | None = None,
            cohort: Cohort | None = None, quality: dict[str, Any] | None = None,
            generated: dt.date | None = None) -> ReportContent:  # fmt: skip
    """Every count of the report, suppressed, laid out in sections."""
    period = period or default_period(events)
    builder = _Builder(events, settings, period, cohort, quality or {})
    sections = builder.build()
    builder.ledger.protect()
    sources = [(s.display_name, INTERCEPTS.get(s.intercept, "not set"),
                f"{day_date(s.first_day):%d %b %Y}" if s.first_day is not None else "no records",
                f"{day_date(s.last_day):%d %b %Y}" if s.last_day is not None else "")
               for s in events.sources]  # fmt: skip
    warnings = list(builder.warnings)
    if not events.linked and len(events):
        warnings.append("Records are not linked yet: each record counts as one person. Run `ddj-desktop link`.")
    return ReportContent(
        county=settings.county or "County", period=period,
        data_end=day_date(builder.data_end) if events.sources and len(events) else None,
        generated=generated or dt.date.today(), threshold=settings.threshold, ledger=builder.ledger,
        sources=sources, key_figures=builder.key_figures, sections=sections,
        cohort_rule=cohort.rule_name if cohort else None, warnings=warnings,
    )  # fmt: skip
