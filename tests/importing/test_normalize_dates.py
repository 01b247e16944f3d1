"""Dates: DOBs and event times from Excel objects, serials and text; day/month order decided per column."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddj_desktop.importing.normalize import (
    Quality,
    decide_day_first,
    parse_date,
    parse_dates,
    time_of_day,
    with_times_of_day,
)

TODAY = dt.date(2026, 6, 15)
EST = dt.timezone(dt.timedelta(hours=-5))


def dob(value, **kw):
    return parse_date(value, kind="dob", today=TODAY, **kw)


def event(value, **kw):
    return parse_date(value, kind="event", today=TODAY, **kw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (dt.date(1985, 3, 5), dt.date(1985, 3, 5)),
        (dt.datetime(1985, 3, 5, 0, 0), dt.date(1985, 3, 5)),
        (31111, dt.date(1985, 3, 5)),  # Excel serial
        (31111.0, dt.date(1985, 3, 5)),
        ("03/05/1985", dt.date(1985, 3, 5)),
        ("3/5/85", dt.date(1985, 3, 5)),
        ("1985-03-05", dt.date(1985, 3, 5)),
        ("1985/3/5", dt.date(1985, 3, 5)),
        ("19850305", dt.date(1985, 3, 5)),
        (19850305, dt.date(1985, 3, 5)),
        ("03051985", dt.date(1985, 3, 5)),
        ("05-Mar-1985", dt.date(1985, 3, 5)),
        ("05-MAR-85", dt.date(1985, 3, 5)),
        ("5 March 1985", dt.date(1985, 3, 5)),
        ("March 5, 1985", dt.date(1985, 3, 5)),
        ("Mar. 5th 1985", dt.date(1985, 3, 5)),
        ("1985-03-05 00:00:00.000", dt.date(1985, 3, 5)),
        ("3/5/24", dt.date(2024, 3, 5)),  # two-digit year: 2024 is not in the future
        ("3/5/30", dt.date(1930, 3, 5)),  # 2030 would be: a DOB is never in the future
    ],
)
def test_dob_formats(raw, expected):
    result = dob(raw)
    assert (result.value, result.quality, result.problem, result.year) == (expected, Quality.KNOWN, None, expected.year)
    assert type(result.value) is dt.date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3/5/2024 14:22", dt.datetime(2024, 3, 5, 14, 22)),
        ("3/5/2024 2:22 PM", dt.datetime(2024, 3, 5, 14, 22)),
        ("3/5/2024 12:05 AM", dt.datetime(2024, 3, 5, 0, 5)),
        ("2024-03-05 14:22:00.000", dt.datetime(2024, 3, 5, 14, 22)),
        ("2024-03-05T14:22:00-05:00", dt.datetime(2024, 3, 5, 14, 22, tzinfo=EST)),
        ("2024-03-05T19:22:00Z", dt.datetime(2024, 3, 5, 19, 22, tzinfo=dt.UTC)),
        ("2024-03-05 14:22:00 -0500", dt.datetime(2024, 3, 5, 14, 22, tzinfo=EST)),
        ("2024-03-05T14:22:00.123456", dt.datetime(2024, 3, 5, 14, 22, 0, 123456)),
        ("20240305142200", dt.datetime(2024, 3, 5, 14, 22)),
        ("05-Mar-2024", dt.date(2024, 3, 5)),
        ("3/5/24", dt.date(2024, 3, 5)),
        (45356, dt.date(2024, 3, 5)),
        (45356.6, dt.datetime(2024, 3, 5, 14, 24)),  # the time fraction of a serial is kept
        ("45356.5", dt.datetime(2024, 3, 5, 12, 0)),  # a serial that went through a csv
        (dt.datetime(2024, 3, 5, 14, 22, tzinfo=EST), dt.datetime(2024, 3, 5, 14, 22, tzinfo=EST)),
    ],
)
def test_event_formats_keep_time_and_offset(raw, expected):
    result = event(raw)
    assert (result.value, result.quality) == (expected, Quality.KNOWN)
    assert type(result.value) is type(expected)
    if isinstance(expected, dt.datetime):
        assert result.value.utcoffset() == expected.utcoffset()


def test_naive_event_stays_naive_county_time():
    assert event("2024-03-05 14:22").value.tzinfo is None


@pytest.mark.parametrize(
    ("serial", "expected"),
    [(1, dt.date(1900, 1, 1)), (59, dt.date(1900, 2, 28)), (61, dt.date(1900, 3, 1)), (2958465, dt.date(9999, 12, 31))],
)
def test_excel_1900_leap_year_bug(serial, expected):
    from ddj_desktop.importing.normalize.dates import _from_serial

    assert _from_serial(serial, str(serial)) == expected


def test_excel_serial_60_is_the_day_that_never_was():
    result = dob(60)
    assert result.quality is Quality.INVALID and "1900-02-29" in result.problem


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("02/30/1985", "impossible date 02/30/1985"),
        ("13/13/1985", "impossible date 13/13/1985"),
        ("1985-02-29", "impossible date 1985-02-29"),
        ("3/5/1985 25:00", "impossible time 3/5/1985 25:00"),
        ("12/31/2030", "date of birth in the future 12/31/2030"),
        ("1899-05-01", "date of birth before 1900 1899-05-01"),
        ("1905-05-01", "date of birth over 115 years ago 1905-05-01"),
        ("yesterday", "not a date: yesterday"),
        (True, "not a date: True"),
        (dt.time(14, 22), "not a date: 14:22:00"),
        (-5, "not a date: -5"),
        (float("nan"), "not a date: nan"),
    ],
)
def test_impossible_dobs_are_invalid_with_a_reason(raw, problem):
    result = dob(raw)
    assert (result.value, result.quality, result.problem) == (None, Quality.INVALID, problem)


@pytest.mark.parametrize(
    "raw",
    [
        "1900-01-01",
        "01/01/1900",
        "1901-01-01",
        "01/01/1901",
        "1800-01-01",
        "9999-12-31",
        "1111-11-11",
        dt.date(1900, 1, 1),
        1,
    ],
)
def test_placeholder_dobs_are_invalid(raw):
    result = dob(raw)
    assert result.value is None and result.quality is Quality.INVALID and result.problem


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("19XX-03-05", None),
        ("03/XX/1985", 1985),
        ("1985-XX-XX", 1985),
        ("xx/xx/1985", 1985),
        ("1985", 1985),
        (1985, 1985),
        ("XX/XX/XXXX", None),
    ],
)
def test_partial_dobs_keep_the_year(raw, year):
    result = dob(raw)
    assert (result.value, result.quality, result.problem, result.year) == (None, Quality.PARTIAL, None, year)


@pytest.mark.parametrize(
    ("raw", "quality"),
    [
        (None, Quality.MISSING),
        ("", Quality.MISSING),
        ("  ", Quality.MISSING),
        ("Refused", Quality.REFUSED),
        ("Unknown", Quality.DOESNT_KNOW),
        (7701003, Quality.NOT_COLLECTED),
        ("7701001", Quality.NOT_COLLECTED),
    ],
)
def test_missing_and_reason_codes(raw, quality):
    result = dob(raw)
    assert (result.value, result.quality, result.problem) == (None, quality, None)


def test_events_outside_the_sane_window_are_invalid():
    assert event("1900-01-01").quality is Quality.INVALID
    assert event("2099-01-01").quality is Quality.INVALID
    assert event("3/5/35").quality is Quality.INVALID  # 2035: two-digit years run to 10 years ahead
    assert event("3/5/99").value == dt.date(1999, 3, 5)
    assert event("3/5/26").value == dt.date(2026, 3, 5)


def test_event_column_with_a_day_above_12_reads_day_first():
    column = parse_dates(["05/03/2024", "25/03/2024", None, "05/03/2024"], kind="event", today=TODAY)
    assert column.day_first is True
    assert column.values == [dt.date(2024, 3, 5), dt.date(2024, 3, 25), None, dt.date(2024, 3, 5)]
    assert column.qualities == [Quality.KNOWN, Quality.KNOWN, Quality.MISSING, Quality.KNOWN]


def test_ambiguous_column_reads_month_first():
    column = parse_dates(["05/03/2024", "01/02/2024"], kind="event", today=TODAY)
    assert column.day_first is False
    assert column.values == [dt.date(2024, 5, 3), dt.date(2024, 1, 2)]


def test_a_value_that_contradicts_the_column_order_is_rejected():
    column = parse_dates(["25/03/2024", "26/03/2024", "03/27/2024"], kind="event", today=TODAY)
    assert column.day_first is True
    assert column.values[2] is None
    assert column.problems[2] == "impossible date 03/27/2024"


def test_forced_order_wins_over_the_data():
    column = parse_dates(["05/03/2024"], kind="event", day_first=True, today=TODAY)
    assert column.day_first is True and column.values == [dt.date(2024, 3, 5)]


def test_column_of_iso_dates_needs_no_order():
    assert decide_day_first(["2024-03-05", None, 45356]) is None
    column = parse_dates(["2024-03-05", "1985-XX-XX"], kind="dob", today=TODAY)
    assert column.day_first is None
    assert column.years == [2024, 1985]
    assert column.qualities == [Quality.KNOWN, Quality.PARTIAL]


def test_parse_dates_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown date kind"):
        parse_dates([], kind="birthday")


_CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.from_regex(r"[0-9X]{1,4}[-/.][0-9X]{1,2}[-/.][0-9X]{2,4}( [0-9]{1,2}:[0-9]{2}( [AP]M)?)?", fullmatch=True),
)


@given(st.lists(_CELLS, max_size=5), st.sampled_from(["dob", "event"]))
def test_parse_dates_never_raises_and_stays_consistent(values, kind):
    column = parse_dates(values, kind=kind, today=TODAY)
    assert len(column.values) == len(column.qualities) == len(column.problems) == len(column.years) == len(values)
    for value, quality, problem in zip(column.values, column.qualities, column.problems, strict=True):
        assert (value is not None) == (quality is Quality.KNOWN)
        assert (problem is not None) == (quality is Quality.INVALID)
        if kind == "dob" and value is not None:
            assert type(value) is dt.date and dt.date(1900, 1, 1) < value <= TODAY


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1951, 1, 1), max_value=dt.date(2026, 1, 1)),
    clock=st.times(),
    style=st.sampled_from(["%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S", "%m/%d/%y %H:%M:%S",
                           "%Y-%m-%d %H:%M:%S.%f", "%d-%b-%Y %H:%M", "%Y-%m-%dT%H:%M:%S-06:00",
                           "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M"]),
)
def test_event_columns_read_split_date_times_exactly_as_the_full_parser(day, clock, style):
    text = dt.datetime.combine(day, clock).strftime(style)
    column = parse_dates([text, text], kind="event", day_first=False)
    single = parse_date(text, kind="event", day_first=False)
    assert column.values == [single.value, single.value]
    assert column.problems[0] == single.problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13:45", dt.time(13, 45)),
        ("1:05 PM", dt.time(13, 5)),
        ("12:10 am", dt.time(0, 10)),
        ("23:59:30", dt.time(23, 59, 30)),
        ("0930", dt.time(9, 30)),  # jail systems' clock without a colon
        ("930", dt.time(9, 30)),
        (1345, dt.time(13, 45)),
        (0.5, dt.time(12, 0)),  # an Excel time cell read as a fraction of a day
        (dt.time(7, 15), dt.time(7, 15)),
        (dt.datetime(1899, 12, 30, 22, 5), dt.time(22, 5)),  # an Excel time cell read with its epoch day
        ("2460", None),
        ("25:00", None),
        ("01/05/2024", None),
        (1.5, None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_time_of_day_on_its_own(raw, expected):
    assert time_of_day(raw) == expected


def test_a_time_column_gives_the_dates_beside_it_their_time():
    dates = parse_dates(["2024-01-05 00:00:00.000", "01/06/2024", "2024-01-07T08:00:00-06:00", "2024-01-08", None],
                        kind="event", today=TODAY)
    timed = with_times_of_day(dates, ["13:45", "0930", "10:00", None, "11:00"])
    assert timed.values == [
        dt.datetime(2024, 1, 5, 13, 45),
        dt.datetime(2024, 1, 6, 9, 30),
        dt.datetime(2024, 1, 7, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6))),  # had its own time: kept
        dt.date(2024, 1, 8),  # no time given: the day alone
        None,
    ]
    assert timed.qualities == dates.qualities


_MACHINE_CELLS = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1890, 1, 1), max_value=dt.datetime(2029, 1, 1)).map(
        lambda m: m.strftime(_STYLES[m.microsecond % len(_STYLES)])
    ),
)
_STYLES = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S-06:00", "%Y-%m-%dT%H:%MZ", "%m/%d/%Y %I:%M %p",
           "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M"]  # fmt: skip
_PLACEHOLDER_DAYS = st.sampled_from([dt.date(1900, 1, 1), dt.date(1901, 1, 1), dt.date(1899, 12, 31)])
_PLACEHOLDER_MOMENTS = _PLACEHOLDER_DAYS.map(lambda d: dt.datetime.combine(d, dt.time()))
_ODD_CELLS = st.sampled_from(["2024-02-30 10:00:00", "2024-03-05 25:10", "13/13/2024 10:00", "  ", "1900-01-01",
                              "2024-03-05 10:00 PM", "2024-03-05T10:00:00+25:00"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.lists(_MACHINE_CELLS, min_size=1, max_size=8),
        st.lists(st.one_of(_MACHINE_CELLS, _ODD_CELLS), min_size=1, max_size=8),
        st.lists(st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1890, 1, 1)), _PLACEHOLDER_MOMENTS),
                 min_size=1, max_size=8),
        st.lists(st.one_of(st.none(), st.dates(min_value=dt.date(1890, 1, 1)), _PLACEHOLDER_DAYS), min_size=1,
                 max_size=8),
    ),
    st.sampled_from(["dob", "event"]),
)
def test_a_column_read_whole_reads_as_each_cell_on_its_own(values, kind):
    """Columns in the shapes machines export are read in bulk (C loops); any cell must come out as it would
    alone, with the column's day/month order."""
    column = parse_dates(values, kind=kind, today=TODAY)
    cells = [parse_date(v, kind=kind, day_first=column.day_first, today=TODAY) for v in values]
    assert column.values == [c.value for c in cells]
    assert [type(v) for v in column.values] == [type(c.value) for c in cells]
    assert column.qualities == [c.quality for c in cells]
    assert column.problems == [c.problem for c in cells]
    assert column.years == [c.year for c in cells]
