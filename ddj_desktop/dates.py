"""A day as a user gives it (YYYY-MM-DD on the command line, in a setting or a dialog), for every package."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ddj_desktop.errors import DdjError


def parse_day(value: Any, what: str, error: type[DdjError] = DdjError) -> dt.date | None:
    """The day `value` names (a date, a datetime's day, or YYYY-MM-DD text); None when it is blank; `error` naming
    `what` ("end date") when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise error(f"The {what} {value!r} is not a date.", hint="Write dates as YYYY-MM-DD.") from exc
