"""Dates of birth and event times from whatever a cell holds: date objects, Excel serials, text in many formats.

Decisions:
- Day/month order is decided per column (`parse_dates`): a first number above 12 proves day-first, a second
  number above 12 proves month-first; a column with no proof reads month-first (US). Values that contradict
  the decision are rejected as impossible.
- Two-digit years: a DOB is never in the future (05/03/24 is 2024 only if that is not after today); an event
  year is 20yy unless that is more than 10 years ahead.
- A DOB is a `date`. An event is a `datetime` when a time was given (timezone-aware when an offset was given,
  naive county-local time otherwise) and a `date` when only a date was given.
- DOBs before 1900, in the future, more than 115 years ago, or a known placeholder (1900-01-01 ...) are None
  with Quality.INVALID. Events outside 1950 .. today + 2 years are INVALID.
- Partial DOBs ("19XX-03-05", "03/XX/1985", a bare year) are None with Quality.PARTIAL; `year` keeps the
  birth year when it is known.
- Problems name the cell's own text (nothing else) so that the reject report can show it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ._text import _TEXT_OR_NONE, map_distinct
from .quality import Quality, missing_reason

DateKind = Literal["dob", "event"]

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # serial 61 and later; serials 1..59 are one day later (1900 bug)
_MAX_SERIAL = 2958465  # 9999-12-31
_FIRST_EVENT = dt.date(1950, 1, 1)
_OLDEST_AGE_YEARS = 115

# Dates that systems write when the real one is not known.
PLACEHOLDER_DOBS = frozenset(
    dt.date(*ymd)
    for ymd in [
        (1900, 1, 1),
        (1901, 1, 1),
        (1800, 1, 1),
        (1899, 12, 30),
        (1899, 12, 31),
        (1753, 1, 1),
        (1, 1, 1),
        (9999, 12, 31),
        (9999, 9, 9),
        (1111, 11, 11),
        (1234, 5, 6),
        (2222, 2, 2),
        (1000, 1, 1),
        (1850, 1, 1),
    ]
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("JAN", "JANUARY"),
            ("FEB", "FEBRUARY"),
            ("MAR", "MARCH"),
            ("APR", "APRIL"),
            ("MAY",),
            ("JUN", "JUNE"),
            ("JUL", "JULY"),
            ("AUG", "AUGUST"),
            ("SEP", "SEPT", "SEPTEMBER"),
            ("OCT", "OCTOBER"),
            ("NOV", "NOVEMBER"),
            ("DEC", "DECEMBER"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>[A-Z]{3,9})\.?"
_TIME = (
    r"(?:[T ]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r" *(?P<ampm>[AP]\.?M\.?)? *(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?"
)
_ISO = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME)
_NUMERIC = re.compile(r"(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})" + _TIME)
_DAY_MON_YEAR = re.compile(r"(?P<d>\d{1,2})[- ]?" + _MONTH + r"[- ,]*(?P<y>\d{4}|\d{2})" + _TIME)
_MON_DAY_YEAR = re.compile(_MONTH + r" *(?P<d>\d{1,2})(?:ST|ND|RD|TH)?,? *(?P<y>\d{4})" + _TIME)
_COMPACT = re.compile(r"(?P<digits>\d{8}|\d{6})(?:[T ]?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")
_YEAR_ONLY = re.compile(r"(?:18|19|20)\d{2}")
_PARTIAL_ISO = re.compile(r"(?P<y>[\dX]{4})[-/.](?P<m>[\dX]{1,2})[-/.](?P<d>[\dX]{1,2})")
_PARTIAL_NUMERIC = re.compile(r"(?P<a>[\dX]{1,2})[-/.](?P<b>[\dX]{1,2})[-/.](?P<y>[\dX]{4}|[\dX]{2})")
_PLAIN_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", re.ASCII)
_AMBIGUOUS_ORDER = re.compile(r"\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d{2}")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """One cell read as a date: the value (or None), its quality, the reason it was rejected, the year if known."""

    value: dt.date | dt.datetime | None
    quality: Quality
    problem: str | None = None
    year: int | None = None


@dataclass
class DateColumn:
    """A whole column read as dates, one entry per cell in each list."""

    values: list[dt.date | dt.datetime | None]
    qualities: list[Quality]
    problems: list[str | None]
    years: list[int | None]  # the year where known, also for partial DOBs ("1985-XX-XX" -> 1985)
    day_first: bool | None  # what was decided for the column; None when no value needed the decision


_MISSING = ParsedDate(None, Quality.MISSING)


class _Reject(ValueError):
    """A cell that is not a date; the message is the reason for the reject report."""


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _year_from_two_digits(yy: int, kind: DateKind, today: dt.date) -> int:
    if kind == "dob":
        return 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    return 2000 + yy if 2000 + yy <= today.year + 10 else 1900 + yy


def _make_date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _Reject(f"impossible date {_short(text)}") from None


def _time_of(match: re.Match[str], text: str) -> tuple[dt.time, bool] | None:
    """The time in a matched text and whether a timezone came with it, or None when there is no time."""
    if match.group("H") is None:
        return None
    hour, minute = int(match.group("H")), int(match.group("M"))
    second = int(match.group("S") or 0)
    fraction = (match.groupdict().get("f") or "").ljust(6, "0")[:6]
    ampm = (match.groupdict().get("ampm") or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise _Reject(f"impossible time {_short(text)}")
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Reject(f"impossible time {_short(text)}")
    tz = match.groupdict().get("tz")
    tzinfo = None
    if tz in ("Z", "UTC", "GMT"):
        tzinfo = dt.UTC
    elif tz:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset >= dt.timedelta(hours=24):
            raise _Reject(f"impossible time zone {_short(text)}")
        tzinfo = dt.timezone(sign * offset)
    return dt.time(hour, minute, second, int(fraction or 0), tzinfo=tzinfo), tzinfo is not None


def _with_time(day: dt.date, match: re.Match[str], text: str) -> dt.date | dt.datetime:
    timed = _time_of(match, text)
    return day if timed is None else dt.datetime.combine(day, timed[0])


def _from_serial(serial: float, text: str) -> dt.date | dt.datetime:
    if serial < 1 or serial > _MAX_SERIAL:
        raise _Reject(f"not a date: {_short(text)}")
    days = math.floor(serial)
    if days == 60:
        raise _Reject("impossible date 1900-02-29 (Excel serial 60)")
    base = _EXCEL_EPOCH if days > 60 else _EXCEL_EPOCH + dt.timedelta(days=1)
    moment = base + dt.timedelta(days=days, seconds=round((serial - days) * 86400))
    return moment if moment.time() != dt.time(0) else moment.date()


def _from_compact(
    match: re.Match[str], text: str, day_first: bool, kind: DateKind, today: dt.date
) -> dt.date | dt.datetime:
    digits = match.group("digits")
    if len(digits) == 8 and 1800 <= int(digits[:4]) <= 2200:  # YYYYMMDD
        day = _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]), text)
    else:  # MMDDYYYY / MMDDYY as old systems write them (DDMM... in a day-first column)
        a, b, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
        if len(digits) == 6:
            year = _year_from_two_digits(year, kind, today)
        month, mday = (b, a) if day_first else (a, b)
        day = _make_date(year, month, mday, text)
    if match.group("H") is None:
        return day
    hour, minute, second = int(match.group("H")), int(match.group("M")), int(match.group("S") or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Reject(f"impossible time {_short(text)}")
    return dt.datetime.combine(day, dt.time(hour, minute, second))


def _parse_text(text: str, kind: DateKind, day_first: bool, today: dt.date) -> dt.date | dt.datetime:
    """The date or datetime a text states; raises _Reject with the reason when it is not one."""
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        # ISO text is most of what machines export; the C parser reads it ten times faster than the patterns.
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            pass  # not quite ISO, or impossible: the patterns below say which
        else:
            return moment.date() if len(text) == 10 else moment
    upper = text.upper()
    if m := _ISO.fullmatch(upper):
        return _with_time(_make_date(int(m["y"]), int(m["m"]), int(m["d"]), text), m, text)
    if m := _NUMERIC.fullmatch(upper):
        a, b, y = int(m["a"]), int(m["b"]), m["y"]
        year = int(y) if len(y) == 4 else _year_from_two_digits(int(y), kind, today)
        month, mday = (b, a) if day_first else (a, b)
        return _with_time(_make_date(year, month, mday, text), m, text)
    for pattern in (_DAY_MON_YEAR, _MON_DAY_YEAR):
        if (m := pattern.fullmatch(upper)) and m["mon"] in _MONTHS:
            y = m["y"]
            year = int(y) if len(y) == 4 else _year_from_two_digits(int(y), kind, today)
            return _with_time(_make_date(year, _MONTHS[m["mon"]], int(m["d"]), text), m, text)
    if m := _COMPACT.fullmatch(upper):
        return _from_compact(m, text, day_first, kind, today)
    if _SERIAL_TEXT.fullmatch(upper):  # an Excel serial that went through a csv
        return _from_serial(float(upper), text)
    raise _Reject(f"not a date: {_short(text)}")


def _partial(text: str) -> ParsedDate | None:
    """A DOB with X for unknown digits: None with Quality.PARTIAL and the year if it is known."""
    upper = text.upper()
    if "X" not in upper:
        return None
    m = _PARTIAL_ISO.fullmatch(upper) or _PARTIAL_NUMERIC.fullmatch(upper)
    if m is None:
        return None
    y = m["y"]
    year = int(y) if y.isdigit() and len(y) == 4 and int(y) >= 1900 else None
    return ParsedDate(None, Quality.PARTIAL, None, year)


def _check(value: dt.date | dt.datetime, kind: DateKind, text: str, today: dt.date) -> ParsedDate:
    """The value with its quality once the sanity rules for its kind have been applied."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if kind == "dob":
        if day in PLACEHOLDER_DOBS:
            return ParsedDate(None, Quality.INVALID, f"placeholder date of birth {_short(text)}")
        if day > today:
            return ParsedDate(None, Quality.INVALID, f"date of birth in the future {_short(text)}")
        if day.year < 1900:
            return ParsedDate(None, Quality.INVALID, f"date of birth before 1900 {_short(text)}")
        if today.year - day.year > _OLDEST_AGE_YEARS:
            return ParsedDate(None, Quality.INVALID, f"date of birth over {_OLDEST_AGE_YEARS} years ago {_short(text)}")
        return ParsedDate(day, Quality.KNOWN, None, day.year)
    latest = today + _EVENT_AHEAD
    if not _FIRST_EVENT <= day <= latest:
        return ParsedDate(
            None, Quality.INVALID, f"event date outside {_FIRST_EVENT.year}..{latest.year} {_short(text)}"
        )
    return ParsedDate(value, Quality.KNOWN, None, day.year)


def _sound(value: dt.date, kind: DateKind, today: dt.date) -> ParsedDate | None:
    """A date or datetime cell (a workbook's) that passes `_check` for its kind, as `_check` reads it; None for
    any other, which the full path reads (and names in its reason) instead. Workbook date columns hold a
    million distinct datetimes: this skips their text, made only for a reason to show."""
    day = value.date() if value.__class__ is dt.datetime else value
    if kind == "dob":
        old_enough = day.year >= 1900 and today.year - day.year <= _OLDEST_AGE_YEARS
        if day not in PLACEHOLDER_DOBS and day <= today and old_enough:
            return ParsedDate(day, Quality.KNOWN, None, day.year)
        return None
    if _FIRST_EVENT <= day <= today + _EVENT_AHEAD:
        return ParsedDate(value, Quality.KNOWN, None, day.year)
    return None


_EVENT_AHEAD = dt.timedelta(days=731)
_DATE_CLASSES = (dt.date, dt.datetime)


def _parse_cell(value: object, kind: DateKind, day_first: bool, today: dt.date) -> ParsedDate:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _MISSING
    if value.__class__ in _DATE_CLASSES and (sound := _sound(value, kind, today)) is not None:  # type: ignore[arg-type]
        return sound
    text = str(value).strip()
    try:
        if isinstance(value, bool | dt.time):
            raise _Reject(f"not a date: {_short(text)}")
        if isinstance(value, dt.datetime):
            parsed: dt.date | dt.datetime = value
        elif isinstance(value, dt.date):
            parsed = value
        elif isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                raise _Reject(f"not a date: {_short(text)}")
            if (reason := missing_reason(value)) and value >= 1_000_000:  # NEMSIS 7701003 ...
                return ParsedDate(None, reason)
            if isinstance(value, int) and 10_000_000 <= value <= 99_999_999:  # YYYYMMDD stored as a number
                parsed = _parse_text(str(value), kind, day_first, today)
            elif kind == "dob" and float(value).is_integer() and 1800 <= value <= 2100:
                return ParsedDate(None, Quality.PARTIAL, None, int(value) if value >= 1900 else None)
            else:
                parsed = _from_serial(float(value), text)
        else:
            # Text that is three groups of digits ("03/05/1984", "1984-03-05") is neither a reason for missing
            # (every code is one word or one number) nor partial (no X) nor a bare year: straight to the parser.
            if not _PLAIN_DATE.fullmatch(text):
                # (Digits only are a code only as a 7-digit NEMSIS value: 19740414 is a date, not looked up.)
                if (not text.isdigit() or len(text) == 7) and (reason := missing_reason(text)) is not None:
                    return ParsedDate(None, reason)
                if kind == "dob" and (partial := _partial(text)):
                    return partial
                if kind == "dob" and _YEAR_ONLY.fullmatch(text):
                    return ParsedDate(None, Quality.PARTIAL, None, int(text) if int(text) >= 1900 else None)
            parsed = _parse_text(text, kind, day_first, today)
    except _Reject as reject:
        return ParsedDate(None, Quality.INVALID, str(reject))
    if kind == "dob" and isinstance(parsed, dt.datetime):
        parsed = parsed.date()
    return _check(parsed, kind, text, today)


def parse_date(
    value: object, *, kind: DateKind, day_first: bool | None = None, today: dt.date | None = None
) -> ParsedDate:
    """One cell read as a date of birth or an event time (see the module docstring for the rules).

    `day_first` None reads an ambiguous 03/05/2024 month-first; pass the column's decision from
    `decide_day_first` when reading cell by cell.
    """
    return _parse_cell(value, kind, bool(day_first), today or dt.date.today())


def decide_day_first(values: Sequence[object]) -> bool | None:
    """Whether a column writes the day first (True), the month first (False), or None if no value tells or needs it.

    A first number above 12 proves day-first and a second number above 12 proves month-first; when a column
    has both, the majority wins. Only text like 03/05/2024 needs the decision.
    """
    votes: Counter[bool] = Counter()
    ambiguous = False
    for text in {v for v in values if isinstance(v, str)}:
        if m := _AMBIGUOUS_ORDER.match(text):
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 >= b:
                votes[True] += 1
            elif b > 12 >= a:
                votes[False] += 1
            ambiguous = True
    if not ambiguous:
        return None
    return votes[True] > votes[False]


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.(\d{1,6}))?\s*(AM|PM|A\.M\.|P\.M\.)?")


class _DateTimeSplitter:
    """Reads "3/5/2024 2:22 PM" as its day and its clock, each parsed once per distinct value.

    Anything it cannot split cleanly (time zones, month names with spaces, impossible parts) goes to the full
    parser, so the answer is always the full parser's.
    """

    def __init__(self, full: Callable[[object], ParsedDate], today: dt.date) -> None:
        self.full, self.today = full, today
        self.days: dict[str, ParsedDate] = {}
        self.clocks: dict[str, dt.time | None] = {}

    def parse(self, value: object) -> ParsedDate:
        if value.__class__ is not str:
            return self.full(value)
        text = value.strip()  # type: ignore[union-attr]
        if len(text) > 10 and text[4] == "-" and text[7] == "-" and text[10] == "T":
            try:  # ISO 8601 with a T, often with an offset (NEMSIS): the C parser reads it whole
                return _check(dt.datetime.fromisoformat(text), "event", text, self.today)
            except ValueError:
                return self.full(value)
        day_text, space, clock_text = text.partition(" ")
        if not space or not day_text[:1].isdigit():
            return self.full(value)
        day = self.days.get(day_text)
        if day is None:
            day = self.days[day_text] = self.full(day_text)
        if day.quality != Quality.KNOWN or isinstance(day.value, dt.datetime):
            return self.full(value)
        clock = self.clocks.get(clock_text, _UNSEEN)
        if clock is _UNSEEN:
            clock = self.clocks[clock_text] = _clock(clock_text)
        if clock is None:
            return self.full(value)
        return ParsedDate(dt.datetime.combine(day.value, clock), Quality.KNOWN, None, day.year)  # type: ignore[arg-type]


_UNSEEN = dt.time(0, 0, 0, 1)


def _clock(text: str) -> dt.time | None:
    """The time of day in `text` ("14:22", "2:22:05 PM"), or None when it is anything else."""
    match = _CLOCK.fullmatch(text.strip().upper())
    if match is None:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    microsecond = int((match[4] or "").ljust(6, "0"))
    if match[5]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[5].startswith("P") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second, microsecond)


def parse_dates(
    values: Sequence[object], *, kind: DateKind, day_first: bool | None = None, today: dt.date | None = None
) -> DateColumn:
    """A whole column read as dates of birth (kind="dob") or event times (kind="event").

    `day_first` None decides the day/month order from the column itself; True/False forces it.
    """
    if kind not in ("dob", "event"):
        raise ValueError(f"unknown date kind {kind!r}; expected 'dob' or 'event'")
    decided = decide_day_first(values) if day_first is None else day_first
    today = today or dt.date.today()

    def parse(value: object) -> ParsedDate:
        return _parse_cell(value, kind, bool(decided), today)

    if (fast := _sound_column(values, kind, parse, today)) is not None:
        return replace(fast, day_first=decided)
    if kind == "event":
        parse = _DateTimeSplitter(parse, today).parse  # event times are all distinct; their days and clocks are not
    results = map_distinct(values, parse)
    return DateColumn(
        values=[r.value for r in results],
        qualities=[r.quality for r in results],
        problems=[r.problem for r in results],
        years=[r.year for r in results],
        day_first=decided,
    )


# Whole columns in the shapes machines export, matched in one pass over the column's text: ISO date-times
# (NEMSIS, HMIS, database dumps), and a day then a clock ('6/30/2021 12:01 AM', '2021-06-30 00:10').
_ISO_MOMENTS = re.compile(r"(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:Z|[+-]\d\d:\d\d)?\n)*", re.ASCII)
_DAY_CLOCKS = re.compile(
    r"(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4} \d{1,2}:\d\d(?::\d\d)?(?: [AP]M)?\n)*", re.ASCII | re.IGNORECASE
)
_DATE_OBJECTS = (frozenset({dt.datetime, type(None)}), frozenset({dt.date, type(None)}))


def _sound_column(
    values: Sequence[object], kind: DateKind, parse: Callable[[object], ParsedDate], today: dt.date
) -> DateColumn | None:
    """The column as `_parse_cell` reads it, cell by cell, when every cell is blank (None) or sound in one of the
    shapes machines export: read with C loops instead of a Python call per cell. None when any cell is in
    another shape or not sound (impossible, out of range, a placeholder): the cell-by-cell path then reads the
    whole column and gives each cell its reason.
    """
    if values.__class__ is not list or not values:
        return None
    kinds = set(map(type, values))
    present = [v for v in values if v is not None] if type(None) in kinds else values
    if not present:
        return None
    if kinds <= _TEXT_OR_NONE and kind == "event":
        read = _sound_texts(present, parse, today)
    elif any(kinds <= objects for objects in _DATE_OBJECTS):
        read = _sound_objects(present, kind, today)  # a workbook's date cells
    else:
        return None
    if read is None:
        return None
    moments, years = read
    if len(present) != len(values):  # blanks back in their places
        found, known = iter(moments), iter(years)
        moments = [next(found) if v is not None else None for v in values]
        years = [next(known) if v is not None else None for v in values]
    qualities = [Quality.KNOWN if v is not None else Quality.MISSING for v in values]
    return DateColumn(moments, qualities, [None] * len(values), years, None)  # type: ignore[arg-type]


def _sound_texts(
    texts: list[str], parse: Callable[[object], ParsedDate], today: dt.date
) -> tuple[list[dt.datetime], list[int]] | None:
    joined = "\n".join(texts) + "\n"
    if _ISO_MOMENTS.fullmatch(joined):
        try:
            moments = list(map(dt.datetime.fromisoformat, texts))
        except ValueError:  # an impossible date or time: its reason comes from the full path
            return None
        if not _all_sound(set(map(dt.datetime.date, moments)), "event", today):
            return None
        return moments, [m.year for m in moments]
    if _DAY_CLOCKS.fullmatch(joined):  # as _DateTimeSplitter reads it: the day by the full parser, then the clock
        halves = list(map(str.partition, texts, itertools.repeat(" ")))
        days = map_distinct(list(map(operator.itemgetter(0), halves)), parse)
        clocks = map_distinct(list(map(operator.itemgetter(2), halves)), _clock)
        distinct = dict(zip(map(id, days), days)).values()  # one object per distinct day text
        if None in clocks or any(d.quality != Quality.KNOWN or d.value.__class__ is not dt.date for d in distinct):
            return None
        day_values = list(map(operator.attrgetter("value"), days))
        return list(map(dt.datetime.combine, day_values, clocks)), list(map(operator.attrgetter("year"), days))
    return None


def _sound_objects(cells: list[dt.date], kind: DateKind, today: dt.date) -> tuple[list[dt.date], list[int]] | None:
    """Date or date-time cells (one class in the column) that `_sound` would pass, as it reads them."""
    days = list(map(dt.datetime.date, cells)) if cells[0].__class__ is dt.datetime else cells
    if not _all_sound(set(days), kind, today):
        return None
    return days if kind == "dob" else cells, [d.year for d in days]


def _all_sound(days: set[dt.date], kind: DateKind, today: dt.date) -> bool:
    """Whether `_sound` passes every one of the distinct days of a column (its rules are checked per day, not per
    cell: a column of a million date-times holds a few thousand days)."""
    return all(_sound(day, kind, today) is not None for day in days)


_MILITARY = re.compile(r"(\d{1,2})(\d{2})")  # 0930, 930, 2359: a clock without its colon, as jail systems write it


def time_of_day(value: object) -> dt.time | None:
    """The time of day a cell gives on its own ("13:45", "1:05 PM", "0930", 930, an Excel time such as 0.5729,
    a time or date-time cell), or None when it gives none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.timedelta):
        value = value.total_seconds() / 86400
    if isinstance(value, float):
        if not math.isfinite(value) or not 0 <= value < 1:
            return None
        seconds = round(value * 86400)
        return None if seconds >= 86400 else dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    text = str(value).strip()
    if match := _MILITARY.fullmatch(text):
        hour, minute = int(match[1]), int(match[2])
        return dt.time(hour, minute) if hour <= 23 and minute <= 59 else None
    return _clock(text.upper())


def with_times_of_day(column: DateColumn, times: Sequence[object]) -> DateColumn:
    """`column` with each date that has no time of its own given the time of day from `times`: a 'Booking Time'
    column beside 'Booking Date'. A date that already has a time, and a row with no time, stay as they are."""
    clocks = map_distinct(times, time_of_day)
    values = [
        dt.datetime.combine(value, clock) if clock is not None and value is not None and _midnight(value) else value
        for value, clock in zip(column.values, clocks)
    ]
    return replace(column, values=values)


def _midnight(value: dt.date | dt.datetime) -> bool:
    """True for a plain date, or a date-time at 00:00:00 with no zone (how databases export a date alone)."""
    return not isinstance(value, dt.datetime) or (value.tzinfo is None and value.time() == dt.time(0))
