"""Disclosing a person's records to a named party, only under an active consent that covers it.

A disclosure that contains 42 CFR Part 2 records carries the 42 CFR 2.32 notice and a copy of the consent's
scope; every disclosure is kept in the register (table `disclosure`) and the caller audits it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddj_desktop.consent import pdf, register
from ddj_desktop.consent.identity import person_identity
from ddj_desktop.consent.register import ConsentError
from ddj_desktop.exporting import atomic_output
from ddj_desktop.governance.part2 import Withheld
from ddj_desktop.governance.users import now
from ddj_desktop.store.models import Disclosure, Record, Source

DETAIL_ATTRIBUTES = ("charge", "charge_level", "booking_type", "service_type", "disposition", "facility")


@dataclass(frozen=True)
class DisclosureResult:
    id: int
    consent_id: int
    person: str
    party: str
    categories: list[str]
    records: int
    part2: bool
    file: Path
    sha256: str


def disclose(session: Session, person_id: int, label: str, party: str, categories: list[str], out: Path,
             on: dt.date, user: str, *, withheld: Withheld | None = None) -> DisclosureResult:
    """Write the person's records of `categories` for `party` to `out` (PDF) under a covering consent. Refused when
    it would hold records of a `withheld` source (42 CFR Part 2, which the acting role may not see): the user would
    see them in the file, and a disclosure quietly short of what the consent covers would mislead its recipient."""
    withheld = withheld or Withheld()
    county = register.require_settings(session)
    recipient = county.party(party)
    categories = list(dict.fromkeys(c.strip() for c in categories if c.strip()))
    if not categories:
        raise ConsentError("Say which information categories to disclose (--categories jail,ems ...).")
    unknown = [c for c in categories if c not in county.category_sources]
    if unknown:
        raise ConsentError(f"Unknown information categor{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}.",
                           hint=f"Categories: {', '.join(county.category_sources)}.")
    wanted_sources = {s: c for c in categories for s in county.category_sources[c]}
    rows = session.execute(
        select(Record, Source.name).join(Source, Source.id == Record.source_id)
        .where(Record.person_id == person_id, Source.name.in_(wanted_sources))
        .order_by(Record.event_start, Record.id)
    ).all()  # fmt: skip
    sources = {name for _, name in rows}
    if any(withheld.hides(s) for s in sources):
        raise ConsentError(
            f"Disclosure refused: it would hold records of {', '.join(sorted(s for s in sources if withheld.hides(s)))}"
            ", 42 CFR Part 2 records that the county does not show to your role.",
            hint="A user whose role may see them (the county settings' part2_roles) can make this disclosure.",
        )
    owners = {s: county.owner_of(s) for s in sources}
    orphans = sorted(s for s, o in owners.items() if o is None)
    if orphans:
        raise ConsentError(f"No party of the county settings holds the source(s) {', '.join(orphans)}, so no "
                           "consent can cover their records.", hint="Add them to a party's sources.")
    part2_sources = sorted(sources & set(county.part2_sources))
    consent = register.covering_consent(
        session, person_id, party, categories, {o.key for o in owners.values() if o}, on, county.expiring_days
    )
    template = register.stored_template(session, consent.template_sha256)
    if part2_sources:
        part2_keys = {c.key for c in template.categories if c.part2}
        if not (part2_keys & set(categories)) or not consent.part2:
            raise ConsentError(
                f"Disclosure refused: the records of {', '.join(part2_sources)} are 42 CFR Part 2 records; the "
                "substance use disorder category must be consented to and asked for.",
                hint=f"Ask for {', '.join(sorted(part2_keys)) or 'the Part 2 category'} too, under a consent that has it.",
            )
    ranges = {c["key"]: (c.get("from"), c.get("to")) for c in consent.categories}
    kept = []
    for record, source in rows:
        start, end = ranges.get(wanted_sources[source], (None, None))
        day = (record.event_start or "")[:10]
        if day and ((start and day < start) or (end and day > end)):
            continue
        kept.append((record, source))
    identity = person_identity(session, person_id, label, without_sources=withheld.ids)
    consent_info = register.info(consent, on, county.expiring_days, label)
    content = _content(identity, recipient.name, categories, kept, consent_info, template, county, on, bool(part2_sources))
    buffer = io.BytesIO()
    pdf.write_disclosure_pdf(buffer, content)
    data = buffer.getvalue()
    with atomic_output(out, "wb") as handle:
        handle.write(data)
    digest = hashlib.sha256(data).hexdigest()
    row = Disclosure(consent_id=consent.id, person_id=person_id, party=party, categories=categories,
                     records=len(kept), part2=bool(part2_sources), file_name=Path(out).name, file_sha256=digest,
                     disclosed_at=now(), disclosed_by=user)
    session.add(row)
    session.flush()
    return DisclosureResult(row.id, consent.id, label, party, categories, len(kept), bool(part2_sources), Path(out),
                            digest)


def _content(identity, recipient, categories, kept, consent, template, county, on, part2) -> pdf.DisclosureContent:  # type: ignore[no-untyped-def]
    label = {c.key: c.label for c in template.categories}
    parties = {p.key: p.name for p in county.parties}
    facts = [
        ("To", recipient), ("From", f"{county.program}, {county.county}"), ("Date", on.isoformat()),
        ("About", f"{identity.name} ({identity.label})"), ("Date of birth", identity.dob or "—"),
        ("Information", "; ".join(label.get(c, c) for c in categories)), ("Records", str(len(kept))),
        ("Under consent", f"#{consent.id}, signed {consent.signed_on}"),
    ]  # fmt: skip
    scope = [
        ("Form", f"{consent.form_number or '—'}; template {consent.template_id} {consent.template_version}"),
        ("Signed", consent.signed_on),
        ("Ends", consent.expires_on or consent.expiry_event or "—"),
        ("Status on " + on.isoformat(), consent.status),
        ("Who may share with whom", "; ".join(f"{parties.get(a, a)} → {parties.get(b, b)}" for a, b in consent.pairs)),
        ("Information", "; ".join(
            label.get(c["key"], c["key"]) + (f" ({c.get('from') or '…'} to {c.get('to') or '…'})"
                                              if c.get("from") or c.get("to") else "")
            for c in consent.categories)),
        ("Purposes", "; ".join(next((p.label for p in template.purposes if p.key == k), k.removeprefix("other:"))
                               for k in consent.purposes)),
        ("Revocation", template.statements["revocation"].format(**county.placeholders())),
        ("Redisclosure", template.statements["redisclosure"]),
    ]  # fmt: skip
    if consent.part2:
        scope.append(("42 CFR Part 2", template.statements["part2_redisclosure"]))
    if consent.artifact_sha256:
        scope.append(("Signed copy on file", f"SHA-256 {consent.artifact_sha256}"))
    header = ["Source", "Record", "Event", "Start", "End", "Details"]
    records = []
    for record, source in kept:
        details = "; ".join(f"{k}: {record.attributes[k]}" for k in DETAIL_ATTRIBUTES if record.attributes.get(k))
        records.append([source, record.source_key, record.event_type or "", (record.event_start or "")[:16],
                        (record.event_end or "")[:16], details])
    notice = template.statements.get("part2_notice") if part2 else None
    return pdf.DisclosureContent(
        title=f"Disclosure of records — {identity.name}", facts=facts, notice=notice,
        consent_title="Copy of the consent (its scope)", consent_facts=scope, record_header=header,
        records=records, footer=f"Confidential · {identity.label} · consent #{consent.id} · to {recipient}",
    )
