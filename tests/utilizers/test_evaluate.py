"""Evaluation on small hand-made event tables: each measure, filter, criteria form, population filter and ranking
gives the list a county analyst would work out by hand."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from ddj_desktop.utilizers import EventTable, evaluate, parse_rule

AS_OF = dt.date(2026, 6, 30)


def table(rows: list[tuple], dob: dict[int, str] | None = None) -> EventTable:
    """rows: (person, source, start, end, attributes) — record IDs follow the order."""
    keys = sorted({k for r in rows for k in (r[4] if len(r) > 4 else {})})
    return EventTable.build(
        record_id=list(range(1, len(rows) + 1)),
        person_id=[r[0] for r in rows],
        source=[r[1] for r in rows],
        start=[r[2] for r in rows],
        end=[r[3] for r in rows],
        event_type=[(r[4] if len(r) > 4 else {}).get("event_type") for r in rows],
        attributes={k: [(r[4] if len(r) > 4 else {}).get(k) for r in rows] for k in keys},
        dob=[(dob or {}).get(r[0]) for r in rows] if dob is not None else None,
    )


def rule(body: str, window: str = "window_days = 365") -> object:
    return parse_rule(f'name = "test"\nversion = 1\n{window}\n' + textwrap.dedent(body))


def listed(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [p.person_id for p in result.people]


def test_simplest_rule_counts_events_in_the_window_only():
    events = table(
        [(1, "jail", f"2026-0{m}-01", None) for m in range(1, 4)]  # 3 in the window
        + [(1, "jail", "2025-06-30", None)]  # one day before the 365-day window
        + [(1, "jail", "2026-07-01", None)]  # after the as-of date
        + [(2, "ed", "2025-07-01", None), (2, "ed", "2026-06-30T23:59:00-06:00", None), (2, "ems", "2026-01-01", None)]
    )
    r = rule('[[criteria]]\nmeasure = "events"\nsources = ["*"]\nat_least = 3\n')
    result = evaluate(r, events, AS_OF)
    assert sorted(listed(result)) == [1, 2]
    values = {p.person_id: p.values for p in result.people}
    assert values[1] == {"events(*)": 3.0}
    assert values[2] == {"events(*)": 3.0}
    # The same rule one day earlier: person 2's event of the 30th is not there yet, the 2025-07-01 one still is.
    assert listed(evaluate(r, events, dt.date(2026, 6, 29))) == [1]


def test_episodes_merge_events_at_most_gap_days_apart():
    nights = [(1, "shelter", f"2026-03-{d:02d}", None) for d in (1, 2, 3, 10, 11, 20)]  # stays: 1-3, 10-11, 20
    r = rule('[[criteria]]\nmeasure = "episodes"\nsources = ["shelter"]\ngap_days = 1\nat_least = 3\n')
    assert evaluate(r, table(nights), AS_OF).people[0].values["episodes(shelter)"] == 3
    wide = rule('[[criteria]]\nmeasure = "episodes"\nsources = ["shelter"]\ngap_days = 7\nat_least = 1\n')
    assert evaluate(wide, table(nights), AS_OF).people[0].values["episodes(shelter)"] == 2  # 1-11, 20


def test_days_are_calendar_days_covered_clipped_to_the_window():
    events = table([
        (1, "jail", "2025-06-25", "2025-07-05"),  # window starts 2025-07-01: 5 days inside
        (1, "jail", "2026-01-10", "2026-01-12"),  # 3 days
        (1, "jail", "2026-01-11", "2026-01-14"),  # overlaps: 2 more days
        (1, "jail", "2026-06-28", None),  # still in custody: runs to the as-of date (3 days)
    ])
    r = rule('[[criteria]]\nmeasure = "days"\nsources = ["jail"]\nblank_end = "ongoing"\nat_least = 1\n')
    assert evaluate(r, events, AS_OF).people[0].values["days(jail)"] == 5 + 3 + 2 + 3
    one_day = rule('[[criteria]]\nmeasure = "days"\nsources = ["jail"]\nat_least = 1\n')
    assert evaluate(one_day, events, AS_OF).people[0].values["days(jail)"] == 5 + 3 + 2 + 1


def test_cost_is_days_times_per_diem_plus_events_times_rate():
    events = table([
        (1, "jail", "2026-01-01", "2026-01-10"),  # 10 days x 100
        (1, "ed", "2026-02-01", "2026-02-01"),  # 1 visit x 1500
        (1, "ed", "2026-03-01", "2026-03-01"),
        (1, "police", "2026-03-01", None),  # no rate: free
    ])
    r = rule("""
        [measures.dollars]
        measure = "cost"
        sources = ["*"]
        per_day = { jail = 100 }
        per_event = { ed = 1500 }
        [[criteria]]
        measure = "dollars"
        at_least = 4000
    """)
    person = evaluate(r, events, AS_OF).people[0]
    assert person.values["dollars"] == 10 * 100 + 2 * 1500
    assert {ref.source for ref in person.evidence["dollars"]} == {"jail", "ed"}


def test_systems_count_sources_and_a_group_counts_once():
    events = table([(1, "jail", "2026-01-01", None), (1, "court", "2026-01-02", None), (1, "ed", "2026-01-03", None),
                    (2, "jail", "2026-01-01", None), (2, "court", "2026-01-02", None)])
    by_source = rule('[[criteria]]\nmeasure = "systems"\nsources = ["*"]\nat_least = 2\n')
    assert sorted(listed(evaluate(by_source, events, AS_OF))) == [1, 2]
    grouped = rule("""
        [groups]
        justice = ["jail", "court"]
        health = ["ed", "ems", "bh"]
        [[criteria]]
        measure = "systems"
        sources = ["justice", "health"]
        at_least = 2
    """)
    assert listed(evaluate(grouped, events, AS_OF)) == [1]


def test_filters_values_wildcards_booleans_negation_and_scope():
    events = table([
        (1, "jail", "2026-01-01", None, {"charge_level": "Felony", "homeless": True}),
        (1, "jail", "2026-01-02", None, {"charge_level": "misdemeanor", "homeless": False}),
        (1, "police", "2026-01-03", None, {"disposition": "CIT"}),
        (1, "police", "2026-01-04", None, {"disposition": "ARR"}),
        (1, "bh", "2026-01-05", None, {"service_type": "Public Inebriate Program"}),
        (1, "bh", "2026-01-06", None, {"homeless": "Y"}),
    ])

    def value(body: str) -> float:
        return evaluate(rule(f"[[criteria]]\n{body}\nat_least = 0\n"), events, AS_OF).people[0].values.popitem()[1]

    assert value('measure = "events"\nsources = ["jail"]\nwhere = { charge_level = "felony" }') == 1
    assert value('measure = "events"\nsources = ["jail"]\nwhere_not = { charge_level = ["felony"] }') == 1
    assert value('measure = "events"\nwhere = { homeless = true }') == 2  # True and "Y"
    assert value('measure = "events"\nwhere = { service_type = "*inebriate*" }') == 1
    # Every booking, and police contacts only when they ended in a citation.
    assert value('measure = "events"\nsources = ["jail", "police"]\nwhere = { "police:disposition" = "cit" }') == 3


def test_criteria_tree_any_not_and_at_least_k_of_n():
    events = table([(1, "jail", "2026-01-01", None), (2, "ed", "2026-01-01", None), (3, "shelter", "2026-01-01", None),
                    (3, "jail", "2026-01-02", None), (4, "bh", "2026-01-01", None)])
    any_rule = rule("""
        [[criteria]]
        any_of = [
          { measure = "events", sources = ["jail"], at_least = 1 },
          { measure = "events", sources = ["shelter"], at_least = 1 },
        ]
        [[criteria]]
        not = { measure = "events", sources = ["ed"], at_least = 1 }
    """)
    assert sorted(listed(evaluate(any_rule, events, AS_OF))) == [1, 3]
    k_of_n = rule("""
        [[criteria]]
        at_least = 2
        of = [
          { measure = "events", sources = ["jail"], at_least = 1 },
          { measure = "events", sources = ["shelter"], at_least = 1 },
          { measure = "events", sources = ["bh"], at_least = 1 },
        ]
    """)
    assert listed(evaluate(k_of_n, events, AS_OF)) == [3]


def test_recency_and_per_measure_windows():
    events = table([(1, "jail", "2022-01-01", None)] * 4 + [(1, "jail", "2026-03-01", None)]
                   + [(2, "jail", "2022-01-01", None)] * 5)
    r = rule("""
        [[criteria]]
        measure = "events"
        sources = ["jail"]
        at_least = 4
        [recency]
        window_months = 12
    """, window="window_years = 5")
    result = evaluate(r, events, AS_OF)
    assert listed(result) == [1]
    assert "recency" in result.people[0].why()


def test_ongoing_events_are_open_on_the_as_of_date_whenever_they_started():
    events = table([
        (1, "probation", "2020-01-01", None),  # open, started long before the window
        (2, "probation", "2025-01-01", "2026-01-01"),  # ended
        (3, "probation", "2026-01-01", "2027-01-01"),  # open
        (1, "jail", "2026-01-01", None), (2, "jail", "2026-01-01", None), (3, "jail", "2026-01-01", None),
    ])
    r = rule('[[criteria]]\nmeasure = "events"\nsources = ["probation"]\nongoing = true\nat_least = 1\n')
    assert sorted(listed(evaluate(r, events, AS_OF))) == [1, 3]


def test_population_ages_and_exclusions():
    rows = [(p, "jail", "2026-01-01", None) for p in (1, 2, 3, 4)] + [(4, "ems", "2026-02-01", None,
                                                                      {"disposition": "Dead at scene"})]
    dob = {1: "2000-07-01", 2: "2008-07-01", 3: None, 4: "1980-01-01"}  # 1 turns 26 tomorrow; 2 is 17
    r = rule("""
        [[criteria]]
        measure = "events"
        sources = ["jail"]
        at_least = 1
        [population]
        min_age = 18
        exclude = [{ measure = "events", where = { disposition = "dead*" }, at_least = 1, label = "deceased" }]
    """)
    result = evaluate(r, table(rows, dob), AS_OF)
    assert sorted(listed(result)) == [1, 3]  # 3: unknown age is kept, with a warning
    assert any("no date of birth" in w for w in result.warnings)
    person_1 = next(p for p in result.people if p.person_id == 1)
    assert any(reason.text.startswith("age 25") for reason in person_1.reasons)


def test_top_n_and_top_percent_are_deterministic_under_the_declared_tie_break():
    # Persons 10..19 have 3 events each, person 5 has 4; latest events differ for some.
    rows = [(5, "jail", f"2026-01-0{d}", None) for d in range(1, 5)]
    for p in range(10, 20):
        rows += [(p, "jail", "2026-01-01", None), (p, "jail", "2026-01-02", None),
                 (p, "ed", f"2026-02-{p - 5:02d}" if p in (12, 17) else "2026-01-03", None)]
    body = """
        [measures.contacts]
        measure = "events"
        [[criteria]]
        measure = "contacts"
        at_least = 1
        [ranking]
        by = ["contacts"]
        {size}
        tie_break = ["latest_event", "person_id"]
    """
    top3 = rule(body.replace("{size}", "top_n = 3"))
    events = table(rows)
    assert listed(evaluate(top3, events, AS_OF)) == [5, 17, 12]
    shuffled = table(list(reversed(rows)))  # the order records come in changes nothing
    assert listed(evaluate(top3, shuffled, AS_OF)) == [5, 17, 12]
    top_percent = rule(body.replace("{size}", "top_percent = 30"))  # 30% of 11 people -> 4
    assert listed(evaluate(top_percent, events, AS_OF)) == [5, 17, 12, 10]
    ranks = [p.rank for p in evaluate(top_percent, events, AS_OF).people]
    assert ranks == [1, 2, 3, 4]


def test_explanations_name_the_conditions_values_and_records():
    events = table([(7, "jail", "2026-01-01", "2026-01-03"), (7, "jail", "2026-02-01", None),
                    (7, "ed", "2026-03-01", None), (7, "jail", "2020-01-01", None)])
    r = rule("""
        [measures.bookings]
        measure = "events"
        sources = ["jail"]
        [[criteria]]
        measure = "bookings"
        at_least = 2
        [[criteria]]
        label = "not only jail"
        not = { measure = "events", sources = ["ed"], at_least = 5 }
    """)
    person = evaluate(r, events, AS_OF).people[0]
    assert person.values["bookings"] == 2
    assert person.why() == "bookings = 2 (at least 2)"
    texts = [(reason.text, reason.held, reason.depth) for reason in person.reasons]
    assert ("not only jail", True, 0) in texts
    assert ("events(ed) = 1 (at least 5)", False, 1) in texts
    assert [(ref.record_id, ref.source, ref.start) for ref in person.evidence["bookings"]] == [
        (1, "jail", dt.date(2026, 1, 1)), (2, "jail", dt.date(2026, 2, 1))]
    assert person.first_event == dt.date(2026, 1, 1)
    assert person.last_event == dt.date(2026, 3, 1)


def test_unknown_sources_and_attributes_are_warnings_not_errors():
    r = rule('[[criteria]]\nmeasure = "events"\nsources = ["pretrial"]\nwhere = { booking_type = "arrest" }\n'
             "at_least = 1\n")
    result = evaluate(r, table([(1, "jail", "2026-01-01", None)]), AS_OF)
    assert result.people == []
    assert any("pretrial" in w for w in result.warnings)
    assert any("booking_type" in w for w in result.warnings)


@pytest.mark.parametrize("as_of", [dt.date(2026, 6, 30), dt.date(2025, 12, 31)])
def test_the_same_rule_as_of_the_same_date_gives_the_same_list_row_for_row(as_of):
    rows = [(p % 37, ("jail", "ed", "ems", "shelter")[p % 4], f"{2024 + p % 3}-{1 + p % 12:02d}-{1 + p % 28:02d}",
             None) for p in range(600)]
    r = rule('[[criteria]]\nmeasure = "events"\nat_least = 3\n[ranking]\nby = ["events"]\ntop_n = 10\n'
             'tie_break = ["person_id"]\n'.replace('by = ["events"]', 'by = ["n"]')
             .replace('[[criteria]]\nmeasure = "events"', '[measures.n]\nmeasure = "events"\n[[criteria]]\n'
                      'measure = "n"'))
    first = evaluate(r, table(rows), as_of)
    again = evaluate(r, table(rows[::-1]), as_of)
    assert [(p.rank, p.person_id, p.values, p.why()) for p in first.people] == [
        (p.rank, p.person_id, p.values, p.why()) for p in again.people]


def test_an_as_of_date_long_after_the_data_is_flagged():
    events = table([(1, "jail", "2026-01-01", None)])
    r = rule('[[criteria]]\nmeasure = "events"\nat_least = 1\n')
    assert not evaluate(r, events, dt.date(2026, 1, 31)).warnings
    late = evaluate(r, events, dt.date(2026, 6, 30))
    assert any("latest record is from 2026-01-01" in w for w in late.warnings)
