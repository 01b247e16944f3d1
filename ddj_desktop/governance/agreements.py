"""Data-sharing agreements (MOUs / DSAs): parties, purpose, the fields an agency agreed to share, and the period.

Agreements are optional. A source tied to one only takes imports inside the agreement's period, and only of the
fields it allows: the canonical fields and event attributes a mapping carries into the store (DOMAIN.md §5,
item 30). A refused import writes nothing; the error lists every field it would have carried in breach.

Fields that come with another: the row key (`source_key`) is always allowed, since the store cannot keep a row
without one; a quality code (`dob_quality` ...) is allowed with the field it grades; `full_name` is allowed when
both `first_name` and `last_name` are, since it is stored as those parts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddj_desktop import dates
from ddj_desktop.errors import DdjError
from ddj_desktop.importing import mapping
from ddj_desktop.store.models import Agreement, Source

ALWAYS_ALLOWED = frozenset({"source_key"})
COMES_WITH: dict[str, tuple[str, ...]] = {  # field -> any one of these allows it
    "name_quality": ("first_name", "last_name", "full_name"),
    "dob_quality": ("dob",),
    "ssn_quality": ("ssn",),
    "event_start_time": ("event_start",),
    "event_end_time": ("event_end",),
}


class AgreementError(DdjError):
    """An agreement that cannot be made as asked, or an import it does not allow."""


@dataclass(frozen=True)
class AgreementInfo:
    name: str
    parties: list[str]
    purpose: str
    fields_allowed: list[str]
    starts_on: str
    ends_on: str | None
    status: str  # active | not started | ended
    sources: list[str]
    end_note: str | None = None


def _key(field: str) -> str:
    """How field names are compared: case and surrounding spaces do not matter ("Charge Desc" == "charge desc")."""
    return " ".join(str(field).split()).lower()


def parse_day(value: Any, what: str) -> dt.date | None:
    return dates.parse_day(value, what, AgreementError)


def status(agreement: Agreement, on: dt.date) -> str:
    if on.isoformat() < agreement.starts_on:
        return "not started"
    if agreement.ends_on is not None and on.isoformat() > agreement.ends_on:
        return "ended"
    return "active"


def info(session: Session, agreement: Agreement, on: dt.date) -> AgreementInfo:
    sources = list(session.scalars(select(Source.name).where(Source.agreement_id == agreement.id).order_by(Source.name)))
    return AgreementInfo(agreement.name, list(agreement.parties), agreement.purpose, list(agreement.fields_allowed),
                         agreement.starts_on, agreement.ends_on, status(agreement, on), sources, agreement.end_note)


def find(session: Session, name: str) -> Agreement:
    found = session.scalar(select(Agreement).where(Agreement.name == name.strip().lower()))
    if found is None:
        names = list(session.scalars(select(Agreement.name).order_by(Agreement.name)))
        raise AgreementError(f"There is no agreement named {name!r}.",
                             hint=f"Agreements: {', '.join(names)}." if names else "Add one with `agreements add`.")
    return found


def add(session: Session, *, name: str, parties: list[str], purpose: str, fields: list[str], starts_on: Any,
        ends_on: Any = None, user: str, now: str) -> Agreement:
    """A new agreement; AgreementError listing everything that is missing or wrong."""
    key = (name or "").strip().lower()
    problems = []
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", key):
        problems.append("a name of letters, digits, '-', '_' or '.' (e.g. hmis-mou-2025)")
    elif session.scalar(select(Agreement.id).where(Agreement.name == key)) is not None:
        problems.append(f"a name not already taken ({key} is)")
    parties = [p.strip() for p in parties if p and p.strip()]
    if len(parties) < 2:
        problems.append("at least two parties (the agency sharing its data and the county receiving it)")
    if not (purpose or "").strip():
        problems.append("a purpose")
    allowed = list(dict.fromkeys(" ".join(f.split()) for f in fields if f and f.strip()))
    if not allowed:
        problems.append("the fields it allows (canonical fields such as last_name, dob, event_start, or attributes "
                        "such as charge)")
    start = parse_day(starts_on, "start date")
    end = parse_day(ends_on, "end date")
    if start is None:
        problems.append("a start date")
    elif end is not None and end < start:
        problems.append(f"an end date on or after the start date ({end} is before {start})")
    if problems:
        raise AgreementError("The agreement needs " + "; ".join(problems) + ".")
    assert start is not None
    agreement = Agreement(name=key, parties=parties, purpose=purpose.strip(), fields_allowed=allowed,
                          starts_on=start.isoformat(), ends_on=end.isoformat() if end else None, created_at=now,
                          created_by=user)
    session.add(agreement)
    session.flush()
    return agreement


def end(session: Session, name: str, on: dt.date, note: str | None, user: str, now: str) -> Agreement:
    """End `name` on day `on` (its last day): imports after it are refused."""
    agreement = find(session, name)
    if on.isoformat() < agreement.starts_on:
        raise AgreementError(f"Agreement {agreement.name} starts on {agreement.starts_on}; it cannot end before that.")
    agreement.ends_on = on.isoformat()
    agreement.ended_at, agreement.ended_by, agreement.end_note = now, user, (note or "").strip() or None
    return agreement


def carried_fields(profile: mapping.MappingProfile, header: list[str], label: str) -> list[str]:
    """The canonical fields and attribute names an import with `profile` carries into the store from a table with
    `header`, in profile order."""
    bound = mapping.bind_profile(profile, header, label)
    carried = [*bound.field_index, *bound.attribute_index, *bound.flag_index, *bound.other_index]
    return list(dict.fromkeys(carried))


def not_allowed(agreement: Agreement, carried: list[str]) -> list[str]:
    """The fields of `carried` that `agreement` does not allow."""
    allowed = {_key(f) for f in agreement.fields_allowed}
    out = []
    for field in carried:
        if field in ALWAYS_ALLOWED or _key(field) in allowed:
            continue
        if field in COMES_WITH and any(f in allowed for f in COMES_WITH[field]):
            continue
        if field == "full_name" and {"first_name", "last_name"} <= allowed:
            continue
        out.append(field)
    return out


def check_period(agreement: Agreement, source: str, on: dt.date) -> None:
    """Refuse an import into `source` on day `on` outside the agreement's period."""
    state = status(agreement, on)
    if state == "ended":
        raise AgreementError(
            f"Import refused: source {source} falls under agreement {agreement.name}, which ended on "
            f"{agreement.ends_on}. Nothing was imported.",
            hint="Import again once the agreement is renewed (an admin records it with `agreements add` and "
            "`agreements tie`).",
        )
    if state == "not started":
        raise AgreementError(
            f"Import refused: source {source} falls under agreement {agreement.name}, which starts on "
            f"{agreement.starts_on}. Nothing was imported.",
            hint="Import on or after that day.",
        )


def check_fields(agreement: Agreement, source: str, carried: dict[str, list[str]]) -> None:
    """Refuse an import whose tables (label -> carried fields) carry fields the agreement does not allow."""
    breaches = {label: bad for label, fields in carried.items() if (bad := not_allowed(agreement, fields))}
    if not breaches:
        return
    every = list(dict.fromkeys(f for bad in breaches.values() for f in bad))
    per_file = "; ".join(f"{label}: {', '.join(bad)}" for label, bad in breaches.items())
    raise AgreementError(
        f"Import refused: agreement {agreement.name} (source {source}) does not allow the field"
        f"{'s' if len(every) > 1 else ''} {', '.join(every)}. Nothing was imported. ({per_file})",
        hint="Leave those columns out of the mapping (set keep_other_columns = false in the profile and remove "
        "them), or have the agreement amended to allow them.",
    )
