"""Each shipped template on the sample county (records given their true persons), checked against who the people
really are (truth_people.csv: tier, homeless), and on hand-made events where the sample county has nobody."""

from __future__ import annotations

import datetime as dt

from ddj_desktop.utilizers import EventTable, evaluate, load_rule

from .conftest import SAMPLE_AS_OF


def _check_explained(result) -> None:  # type: ignore[no-untyped-def]
    """Every listed person's reasons hold and the records behind each count are exactly that many."""
    for person in result.people:
        assert person.why()
        assert all(r.held for r in person.reasons if r.depth == 0)
        for name, refs in person.evidence.items():
            if name in person.values and not name.startswith(("days", "cost")) and "days" not in name:
                assert len(refs) >= person.values[name], (person.person_id, name)
            assert all(ref.source_key for ref in refs)
            assert all(result.window_start <= ref.start <= result.as_of or ref.end for ref in refs)


def test_generic_ddj_lists_the_sample_countys_frequent_utilizers(sample, people):
    result = sample.utilizer_list("generic_ddj", SAMPLE_AS_OF)
    assert len(result) == 86
    assert {people[p]["tier"] for p in result.person_ids()} == {"frequent"}
    for person in result.people:
        assert person.values["contacts"] >= 6 and person.values["systems_touched"] >= 2
        assert len(person.evidence["contacts"]) == person.values["contacts"]
        assert len({ref.source for ref in person.evidence["contacts"]}) == person.values["systems_touched"]
    ranked = [(-p.values["contacts"], -p.values["systems_touched"], -p.last_event.toordinal(), p.person_id)
              for p in result.people]
    assert ranked == sorted(ranked)
    _check_explained(result)


def test_long_beach_counts_bookings_and_citations_over_five_years(sample, people):
    result = sample.utilizer_list("long_beach", SAMPLE_AS_OF)
    assert len(result) == 12
    assert {people[p]["tier"] for p in result.person_ids()} == {"frequent"}
    for person in result.people:
        refs = person.evidence["bookings_and_citations"]
        assert len(refs) == person.values["bookings_and_citations"] >= 11
        assert {ref.source for ref in refs} <= {"jail", "police"}
        assert all(ref.start >= dt.date(2021, 7, 1) for ref in refs)
    _check_explained(result)


def test_denver_sib_lists_frequently_arrested_homeless_people(sample, people):
    result = sample.utilizer_list("denver_sib", SAMPLE_AS_OF)
    assert len(result) == 5
    assert {people[p]["tier"] for p in result.person_ids()} == {"frequent"}
    assert sum(people[p]["homeless"] == "1" for p in result.person_ids()) >= 4
    for person in result.people:
        assert person.values["arrests"] >= 8
        assert person.values["homeless_records"] + person.values["shelter_enrollments"] >= 1
        assert person.values["jail_days"] > 0
    assert any("booking_type" in w for w in result.warnings)  # the sample jail has no booking type: all count
    _check_explained(result)


def test_bernalillo_needs_bookings_and_a_detox_service_in_18_months(sample, people):
    result = sample.utilizer_list("bernalillo", SAMPLE_AS_OF)
    assert len(result) == 12
    assert {people[p]["tier"] for p in result.person_ids()} == {"frequent"}
    for person in result.people:
        assert person.values["bookings"] >= 2
        detox = person.evidence["detox_or_piip"]
        assert detox and {ref.source for ref in detox} == {"bh"}
        assert all(ref.start >= dt.date(2024, 12, 31) for ref in detox)
    _check_explained(result)


def test_hennepin_fuse_on_the_sample_county(sample):
    # Nobody in the sample county is on probation while cycling through jail and shelter that often.
    result = sample.utilizer_list("hennepin_fuse", SAMPLE_AS_OF)
    assert len(result) == 0
    assert result.persons_in_window > 1000


def _hennepin_person(person: int, *, probation: bool = True, booking_this_year: bool = True,
                     shelter_stays: int = 5, admission_this_year: bool = True) -> list[tuple]:
    rows = [(person, "jail", f"{2022 + i}-03-01", f"{2022 + i}-03-05") for i in range(3)]
    rows.append((person, "jail", "2026-02-01" if booking_this_year else "2025-02-01", "2026-02-03"))
    for i in range(shelter_stays):  # stays of 100 nights, spread over 3 years (a week apart at least)
        start = dt.date(2023, 7, 1) + dt.timedelta(days=150 * i)
        rows.append((person, "shelter", start.isoformat(), (start + dt.timedelta(days=100)).isoformat()))
    if admission_this_year:
        rows.append((person, "shelter", "2026-05-01", "2026-05-20"))
    if probation:
        rows.append((person, "probation", "2025-01-01", None))
    return rows


def test_hennepin_fuse_lists_exactly_who_meets_every_condition():
    rows = (_hennepin_person(1) + _hennepin_person(2, probation=False) + _hennepin_person(3, booking_this_year=False)
            + _hennepin_person(4, shelter_stays=3) + _hennepin_person(5, admission_this_year=False))
    events = EventTable.build(
        record_id=list(range(len(rows))), person_id=[r[0] for r in rows], source=[r[1] for r in rows],
        start=[r[2] for r in rows], end=[r[3] for r in rows],
    )
    result = evaluate(load_rule("hennepin_fuse"), events, SAMPLE_AS_OF)
    assert result.person_ids() == [1]
    person = result.people[0]
    assert person.values["shelter_stays"] == 6
    assert person.values["probation_open"] == 1
    assert "on probation: probation_open = 1 (at least 1)" in [r.text for r in person.reasons]
