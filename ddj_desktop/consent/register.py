"""The consent register: signed forms, revocations, status on the day of use, and disclosures under a consent.

Who may share with whom is a set of (disclosing party, receiving party) pairs: the boxes of the form's grid that
the client initialled. Consents recorded before the grid (no pairs stored) allow every disclosing party to share
with every receiving party, as their form said.

Status is computed, never stored: on a given day a consent is `revoked` (from the day its written revocation was
received), `expired` (after its end date), `expiring` (active, ending within the county's warning period, 30 days
by default) or `active`. A revocation applies going forward only: earlier disclosures stay in the register and in
the audit log (45 CFR 164.508(b)(5)).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddj_desktop import dates
from ddj_desktop.consent import templates
from ddj_desktop.consent.settings import CountySettings, MaxDuration, from_dict
from ddj_desktop.consent.templates import RoiTemplate
from ddj_desktop.errors import DdjError
from ddj_desktop.governance.users import now
from ddj_desktop.store.models import Consent, RoiForm, RoiTemplateText, Setting
from ddj_desktop.store.models import Person as PersonRow

STATUSES = ("active", "expiring", "expired", "revoked")
REVOCATION_METHODS = ("letter", "revocation form", "email", "in person", "verbal", "other")


class ConsentError(DdjError):
    """A consent that cannot be recorded or used as asked."""


@dataclass(frozen=True)
class ConsentInfo:
    id: int
    person: str  # P000123
    template_id: str
    template_version: str
    form_number: str | None
    disclosing: list[str]
    receiving: list[str]
    categories: list[dict[str, Any]]  # {key, from, to}
    purposes: list[str]
    part2: bool
    signed_on: str
    expires_on: str | None
    expiry_event: str | None
    revoked_on: str | None
    revocation_method: str | None
    artifact_sha256: str | None
    status: str
    days_left: int | None  # until expires_on, on the day asked
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (disclosing, receiving) party keys
    notes: tuple[str, ...] = ()  # what recording it changed or assumed (an end date capped by state law ...)


def form_number(form_id: int) -> str:
    return f"ROI-{form_id:06d}"


def parse_form_number(text: str) -> int:
    digits = str(text).strip().upper().removeprefix("ROI-")
    if not digits.isdigit():
        raise ConsentError(f"{text!r} is not a form number.", hint="Form numbers look like ROI-000012.")
    return int(digits)


def parse_date(text: str | dt.date | None, what: str) -> dt.date | None:
    return dates.parse_day(text, what, ConsentError)


# -- county settings -------------------------------------------------------------------------------------------
def county_settings(session: Session) -> CountySettings | None:
    row = session.get(Setting, "county")
    return from_dict(row.value) if row else None


def require_settings(session: Session) -> CountySettings:
    settings = county_settings(session)
    if settings is None:
        raise ConsentError(
            "The county settings (county name, partner agencies) are not set yet; forms need them.",
            hint="Write them with `ddj-desktop county STORE --example > county.toml`, edit, then "
            "`ddj-desktop county STORE --load county.toml`.",
        )
    return settings


def save_settings(session: Session, settings: CountySettings, user: str) -> None:
    session.merge(Setting(key="county", value=settings.to_dict(), updated_at=now(), updated_by=user))


# -- templates and forms ---------------------------------------------------------------------------------------
def keep_template(session: Session, template: RoiTemplate) -> str:
    """Keep the exact wording of `template` in the store (once); returns its SHA-256."""
    if session.get(RoiTemplateText, template.sha256) is None:
        session.add(RoiTemplateText(sha256=template.sha256, template_id=template.id, version=template.version,
                                    language=template.language, text=template.text, first_used_at=now()))
        session.flush()
    return template.sha256


def stored_template(session: Session, sha256: str) -> RoiTemplate:
    row = session.get(RoiTemplateText, sha256)
    if row is None:
        raise ConsentError(f"The template text {sha256[:12]} is not in the store.")
    return templates.parse_template(row.text, row.template_id)


def new_form(session: Session, person_id: int, template: RoiTemplate, user: str) -> RoiForm:
    form = RoiForm(person_id=person_id, template_sha256=keep_template(session, template), generated_at=now(),
                   generated_by=user)
    session.add(form)
    session.flush()
    return form


def printed_form(session: Session, number: str) -> tuple[str, str, str]:
    """(person P000123, template id, template version) of the printed form `number`; ConsentError if none."""
    form = session.get(RoiForm, parse_form_number(number))
    if form is None:
        raise ConsentError(f"There is no form {number} in the store.",
                           hint="The number is printed at the top right of each page of the form.")
    text = session.get(RoiTemplateText, form.template_sha256)
    return f"P{form.person_id:06d}", text.template_id if text else "", text.version if text else ""


# -- status --------------------------------------------------------------------------------------------------
def status_on(consent: Consent, on: dt.date, soon_days: int) -> tuple[str, int | None]:
    """(status, days until the end date) of `consent` on day `on`."""
    if consent.revoked_on and dt.date.fromisoformat(consent.revoked_on) <= on:
        return "revoked", None
    if consent.expires_on:
        days = (dt.date.fromisoformat(consent.expires_on) - on).days
        if days < 0:
            return "expired", days
        return ("expiring" if days <= soon_days else "active"), days
    return "active", None


def allowed_pairs(consent: Consent) -> set[tuple[str, str]]:
    """The (disclosing, receiving) pairs `consent` allows; a consent recorded before the grid: every pair."""
    if consent.pairs is None:
        return set(itertools.product(consent.disclosing, consent.receiving))
    return {(a, b) for a, b in consent.pairs}


def info(consent: Consent, on: dt.date, soon_days: int, label: str, notes: Iterable[str] = ()) -> ConsentInfo:
    state, days = status_on(consent, on, soon_days)
    return ConsentInfo(
        consent.id, label, consent.template_id, consent.template_version,
        form_number(consent.form_id) if consent.form_id else None, list(consent.disclosing),
        list(consent.receiving), list(consent.categories), list(consent.purposes), consent.part2, consent.signed_on,
        consent.expires_on, consent.expiry_event, consent.revoked_on, consent.revocation_method,
        consent.artifact_sha256, state, days, sorted(allowed_pairs(consent)), tuple(notes),
    )  # fmt: skip


def parse_pairs(pairs: Iterable[str | tuple[str, str] | list[str]]) -> list[tuple[str, str]]:
    """Pairs given as ("sheriff", "ddj") or "sheriff:ddj"; ConsentError for one that is neither."""
    out = []
    for pair in pairs:
        if isinstance(pair, str):
            a, sep, b = pair.partition(":")
            if not sep:
                raise ConsentError(f"{pair!r} is not a pair of parties.",
                                   hint="Write each box of the grid as SHARING:RECEIVING, e.g. sheriff:ddj.")
        else:
            a, b = pair
        out.append((a.strip().lower(), b.strip().lower()))
    return out


# -- the state's maximum durations -----------------------------------------------------------------------------
def latest_end(county: CountySettings, template: RoiTemplate, categories: Iterable[str],
               signed: dt.date) -> tuple[dt.date, MaxDuration] | None:
    """The last day a consent on `template` covering `categories`, signed on `signed`, may hold under the county's
    maximum durations, with the limit that sets it; None if no limit applies."""
    limits = county.limits(template.id, template.name, set(categories))
    if not limits:
        return None
    return min(((m.last_day(signed), m) for m in limits), key=lambda item: item[0])


# -- recording -------------------------------------------------------------------------------------------------
def record(
    session: Session,
    *,
    person_id: int,
    template: RoiTemplate | None,
    form: str | None,
    disclosing: list[str] | None = None,
    receiving: list[str] | None = None,
    pairs: Iterable[str | tuple[str, str] | list[str]] | None = None,
    categories: list[str] | list[dict[str, Any]],
    purposes: list[str],
    signed_on: str | dt.date,
    expires_on: str | dt.date | None,
    expiry_event: str | None,
    representative: str | None,
    representative_authority: str | None,
    artifact: tuple[str, bytes] | None,
    note: str | None,
    user: str,
    today: dt.date,
) -> tuple[Consent, list[str]]:
    """Record a signed form: the consent and notes on what was assumed (an end date set by the state's maximum).

    Who may share with whom is `pairs` (the initialled boxes of the grid); without pairs, every `disclosing` party
    may share with every other party of `receiving`. ConsentError says what does not hold together, and refuses
    an end date beyond the state's maximum duration (saying the latest date allowed).
    """
    county = require_settings(session)
    form_row = None
    if form:
        form_row = session.get(RoiForm, parse_form_number(form))
        if form_row is None:
            raise ConsentError(f"There is no form {form} in the store.")
        if form_row.person_id != person_id:
            raise ConsentError(f"Form {form} was printed for another person.")
        template = stored_template(session, form_row.template_sha256)
    if template is None:
        raise ConsentError("Say which form was signed: its form number, or the template it was printed from.")
    if session.get(PersonRow, person_id) is None:
        raise ConsentError(f"There is no person P{person_id:06d} in the store.")
    problems: list[str] = []
    notes: list[str] = []
    parties = {p.key for p in county.parties}
    if pairs:
        grid = sorted(set(parse_pairs(pairs)))
        disclosing, receiving = sorted({a for a, _ in grid}), sorted({b for _, b in grid})
        problems += [f"{a} cannot share with itself" for a, b in grid if a == b]
    else:
        disclosing, receiving = list(disclosing or ()), list(receiving or ())
        grid = sorted((a, b) for a in set(disclosing) for b in set(receiving) if a != b)
    for role, keys in (("disclosing", disclosing), ("receiving", receiving)):
        if not keys:
            problems.append(f"no {role} party")
        unknown = sorted({k for k in keys if k not in parties})
        if unknown:
            problems.append(f"unknown {role} part{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}")
    if disclosing and receiving and not grid:
        problems.append("no agency may share with another one (a party cannot share with itself)")
    cats = _categories(categories)
    if not cats:
        problems.append("no information category")
    for c in cats:
        if template.category(c["key"]) is None:
            problems.append(f"category {c['key']} is not on template {template.id}")
        start, end = parse_date(c.get("from"), "start date"), parse_date(c.get("to"), "end date")
        if start and end and end < start:
            problems.append(f"category {c['key']} ends before it starts")
    known_purposes = {p.key for p in template.purposes}
    purposes = [p.strip() for p in purposes if p.strip()]
    if not purposes:
        problems.append("no purpose")
    problems += [f"purpose {p} is not on template {template.id} (write other:TEXT for another purpose)"
                 for p in purposes if p not in known_purposes and not p.startswith("other:")]  # fmt: skip
    signed = parse_date(signed_on, "signing date")
    if signed is None:
        problems.append("no signing date")
    elif signed > today:
        problems.append("the signing date is in the future")
    ends = parse_date(expires_on, "end date")
    if signed and ends and ends < signed:
        problems.append("it ends before it was signed")
    event = (expiry_event or "").strip()
    defaulted = bool(signed and ends is None and not event)
    if defaulted:
        ends = signed + dt.timedelta(days=template.default_duration_days)  # type: ignore[operator]  # the form's rule
        notes.append(f"No end date or event was written: it ends {ends}, {template.default_duration_days} days after "
                     "signing, as the form says.")
    limit = latest_end(county, template, [c["key"] for c in cats], signed) if signed else None
    if limit and not problems:
        latest, rule = limit
        if ends is None:
            ends = latest
            notes.append(f"It ends at the event written on the form, or on {latest} at the latest: the state's "
                         f"maximum is {rule.describe()}.")
        elif ends > latest and defaulted:  # the form's default is longer than the state allows
            ends = latest
            notes[-1] = (f"No end date or event was written: it ends {latest}, the state's maximum of "
                         f"{rule.describe()}, sooner than the form's {template.default_duration_days} days.")
        elif ends > latest:
            problems.append(f"it would end {ends}, after the state's maximum of {rule.describe()}: signed {signed}, "
                            f"it ends on {latest} at the latest (record that date, or an earlier one)")
    if problems:
        raise ConsentError("The consent cannot be recorded: " + "; ".join(problems) + ".")
    part2 = any(template.category(c["key"]).part2 for c in cats)  # type: ignore[union-attr]
    consent = Consent(
        person_id=person_id, form_id=form_row.id if form_row else None,
        template_sha256=keep_template(session, template), template_id=template.id,
        template_version=template.version, disclosing=sorted(set(disclosing)), receiving=sorted(set(receiving)),
        pairs=[list(pair) for pair in grid], categories=cats, purposes=purposes, part2=part2, signed_on=signed.isoformat(),  # type: ignore[union-attr]
        expires_on=ends.isoformat() if ends else None, expiry_event=event or None,
        representative=representative or None, representative_authority=representative_authority or None,
        artifact_name=artifact[0] if artifact else None,
        artifact_sha256=hashlib.sha256(artifact[1]).hexdigest() if artifact else None,
        artifact=artifact[1] if artifact else None, note=note or None, recorded_at=now(), recorded_by=user,
    )  # fmt: skip
    session.add(consent)
    session.flush()
    return consent, notes


def _categories(categories: list[str] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Categories as [{key, from, to}]; "jail" or "jail:2024-01-01..2025-12-31" or dicts."""
    out = []
    for c in categories:
        if isinstance(c, dict):
            item = {"key": c["key"], "from": c.get("from"), "to": c.get("to")}
        else:
            key, _, period = str(c).partition(":")
            start, _, end = period.partition("..")
            item = {"key": key.strip(), "from": start.strip() or None, "to": end.strip() or None}
        if item["key"]:
            out.append(item)
    return out


def revoke(session: Session, consent_id: int, *, on: dt.date, method: str, note: str | None, user: str,
           today: dt.date) -> Consent:
    """Record the revocation of consent `consent_id`, received on `on` by `method`."""
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise ConsentError(f"There is no consent #{consent_id}.")
    if consent.revoked_on:
        raise ConsentError(f"Consent #{consent_id} was already revoked on {consent.revoked_on}.")
    if method not in REVOCATION_METHODS:
        raise ConsentError(f"{method!r} is not a revocation method.", hint=f"Use one of: {', '.join(REVOCATION_METHODS)}.")
    if on > today:
        raise ConsentError("A revocation cannot be dated in the future.")
    if on < dt.date.fromisoformat(consent.signed_on):
        raise ConsentError("A revocation cannot be dated before the consent was signed.")
    consent.revoked_on, consent.revocation_method = on.isoformat(), method
    consent.revocation_note = note or None
    consent.revocation_recorded_at, consent.revocation_recorded_by = now(), user
    return consent


def consents_of(session: Session, person_id: int | None = None) -> list[Consent]:
    query = select(Consent).order_by(Consent.person_id, Consent.signed_on, Consent.id)
    if person_id is not None:
        query = query.where(Consent.person_id == person_id)
    return list(session.scalars(query))


def covering_consent(session: Session, person_id: int, party: str, categories: list[str], disclosers: set[str],
                     on: dt.date, soon_days: int) -> Consent:
    """The consent that allows `disclosers` to give `party` these `categories` of the person on day `on`.

    ConsentError explains, without personal data, why none does (no consent, revoked, expired, not this party,
    not these categories).
    """
    reasons = []
    for consent in reversed(consents_of(session, person_id)):
        state, _ = status_on(consent, on, soon_days)
        covered = {c["key"] for c in consent.categories}
        if state in ("revoked", "expired"):
            when = consent.revoked_on if state == "revoked" else consent.expires_on
            reasons.append(f"consent #{consent.id} {'was revoked' if state == 'revoked' else 'expired'} on {when}")
        elif dt.date.fromisoformat(consent.signed_on) > on:
            reasons.append(f"consent #{consent.id} was signed later ({consent.signed_on})")
        elif party not in {b for _, b in allowed_pairs(consent)}:
            reasons.append(f"consent #{consent.id} does not name {party} as a receiving party")
        elif not set(categories) <= covered:
            reasons.append(f"consent #{consent.id} does not cover {', '.join(sorted(set(categories) - covered))}")
        elif not {(d, party) for d in disclosers} <= allowed_pairs(consent):
            missing = ", ".join(sorted(d for d in disclosers if (d, party) not in allowed_pairs(consent)))
            reasons.append(f"consent #{consent.id} does not let {missing} share with {party}")
        else:
            return consent
    raise ConsentError(
        f"Disclosure refused: no active consent of P{person_id:06d} allows it"
        + (f" ({'; '.join(reasons)})." if reasons else " (no consent is recorded)."),
        hint="Record a signed release of information with `ddj-desktop consents STORE record ...` first.",
    )
