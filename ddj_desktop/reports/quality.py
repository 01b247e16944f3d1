"""What the report says about the data behind it: per source, the rows imported, rejected and skipped and why,
how complete the identity fields are; and how the records were linked. Counts of rows, never their values.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ddj_desktop.reports.compute import Section
from ddj_desktop.reports.tables import Table

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”")
_NUMBER = re.compile(r"\d+")


def general_reason(reason: str) -> str:
    """A rejection reason with any quoted value or number taken out, so that reasons group and carry no data."""
    reason = _QUOTED.sub("…", reason)
    return _NUMBER.sub("N", reason).strip()


def gather(session: Session) -> dict[str, Any]:
    """Import, completeness and linkage facts from the store."""
    batches = session.execute(text(
        "SELECT s.name, count(*), sum(b.rows_read), sum(b.rows_imported + b.rows_updated), sum(b.rows_duplicate), "
        "sum(b.rows_rejected), sum(b.rows_skipped) FROM import_batch b JOIN source s ON s.id = b.source_id "
        "GROUP BY s.name"
    )).all()  # fmt: skip
    skipped: dict[str, Counter[str]] = {}
    for name, reasons in session.execute(text(
        "SELECT s.name, b.skipped FROM import_batch b JOIN source s ON s.id = b.source_id"
    )):  # fmt: skip
        for reason, count in (json.loads(reasons) if isinstance(reasons, str) else reasons or {}).items():
            skipped.setdefault(name, Counter())[reason] += int(count)
    rejected: dict[str, Counter[str]] = {}
    for name, reason, count in session.execute(text(
        "SELECT s.name, p.reason, count(*) FROM row_problem p JOIN import_batch b ON b.id = p.batch_id "
        "JOIN source s ON s.id = b.source_id WHERE p.rejected GROUP BY s.name, p.reason"
    )):  # fmt: skip
        rejected.setdefault(name, Counter())[general_reason(reason)] += int(count)
    tables = {r[0] for r in session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    linkage: dict[str, Any] | None = None
    if "link_run" in tables:
        run = session.execute(text(
            "SELECT finished_at, settings, counts FROM link_run ORDER BY id DESC LIMIT 1")).first()
        if run is not None:
            settings = json.loads(run[1]) if isinstance(run[1], str) else run[1] or {}
            counts = json.loads(run[2]) if isinstance(run[2], str) else run[2] or {}
            linkage = {"finished_at": run[0], "settings": settings, "counts": counts}
            if "pair" in tables:
                linkage["review_waiting"] = session.scalar(text("SELECT count(*) FROM pair WHERE status = 'review'"))
            for decisions in ("review_decision", "decision"):
                if decisions in tables:
                    linkage["reviewed"] = session.scalar(text(f"SELECT count(*) FROM {decisions}"))
                    break
    return {"batches": batches, "skipped": skipped, "rejected": rejected, "linkage": linkage}


def _pct(part: int | None, whole: int | None) -> str:
    return f"{100 * (part or 0) / whole:.0f}" if whole else "—"


def section(quality: dict[str, Any], display: dict[str, str], threshold: int, rule_text: str | None,
            warnings: list[str]) -> Section:  # fmt: skip
    """The data quality and method section."""
    out = Section("Data quality and method",
                  "How the numbers were made, and how far to trust them. Counts on this page are rows of the "
                  "agencies' files, not people.")
    imports = Table("imports", "Rows imported per source (all imports so far)",
                    ["Source", "Imports", "Rows read", "Imported", "Already in store", "Rejected", "Skipped"])
    for name, batches, read, imported, duplicate, rejected, skipped in quality.get("batches", []):
        imports.add(display.get(name, name), f"{batches:,}", f"{read or 0:,}", f"{imported or 0:,}",
                    f"{duplicate or 0:,}", f"{rejected or 0:,}", f"{skipped or 0:,}")
    out.blocks.append(imports)
    reasons = Table("import_reasons", "Why rows were rejected or skipped",
                    ["Source", "Reason", "Rows"],
                    note="Skipped rows are not data (titles, blank rows, footers, test records, rows deleted at the "
                    "agency, records of victim-service providers). Rejected rows could not be imported.")
    for kind, table in (("rejected", quality.get("rejected", {})), ("skipped", quality.get("skipped", {}))):
        for name in sorted(table):
            for reason, count in table[name].most_common(6):
                reasons.add(display.get(name, name), f"{kind}: {reason}", f"{count:,}")
    if reasons.rows:
        out.blocks.append(reasons)
    complete = Table("completeness", "How complete the records are (% of each source's records)",
                     ["Source", "Records", "Date of birth (%)", "SSN, full or last 4 (%)", "Race (%)", "Sex (%)",
                      "Event end (%)", "Linked (%)"],
                     note="Missing dates of birth and SSNs make linkage harder; missing race leaves people out of "
                     "the disparity rates; a missing event end (release, discharge) leaves a stay open.")
    for name, (records, dob, ssn, race, sex, end, linked) in quality.get("completeness", {}).items():
        complete.add(display.get(name, name), f"{records or 0:,}", _pct(dob, records), _pct(ssn, records),
                     _pct(race, records), _pct(sex, records), _pct(end, records), _pct(linked, records))
    out.blocks.append(complete)
    linkage = quality.get("linkage")
    if linkage is None:
        out.blocks.append("Linkage: the records have not been linked; every record counts as one person, so people "
                          "are overcounted and overlaps undercounted.")
    else:
        s, c = linkage["settings"], linkage["counts"]
        lines = [
            "Linkage: records of one person in different systems were matched on name, date of birth, SSN and the "
            "agency's own person number, with a probabilistic (Fellegi–Sunter) model estimated from the data "
            "itself. Exact SSN + date of birth + last name matches link first.",
            f"Last link run: {str(linkage['finished_at'])[:10]}. Link threshold: match probability ≥ "
            f"{s.get('link_threshold', '?')}; pairs between {s.get('review_threshold', '?')} and "
            f"{s.get('link_threshold', '?')} go to a person for review.",
            f"Records: {c.get('records', 0):,}, linked into {c.get('persons', 0):,} people. Candidate pairs "
            f"compared: {c.get('candidate_pairs', 0):,}; links made: {c.get('links', 0):,}; links refused as "
            f"conflicting: {c.get('refused', 0):,}.",
            f"Review: {linkage.get('review_waiting', c.get('review_pairs', 0)):,} uncertain pairs wait for review"
            + (f"; {linkage['reviewed']:,} decisions made by reviewers." if linkage.get("reviewed") is not None
               else "."),
        ]  # fmt: skip
        errors = {k: v for k, v in {**c, **linkage.get("settings", {})}.items()
                  if any(w in k for w in ("error", "false_match", "missed", "precision", "recall"))}
        if errors:
            lines.append("Estimated error rates: " + "; ".join(
                f"{k.replace('_', ' ')} {v:.1%}" if isinstance(v, float) else f"{k.replace('_', ' ')} {v}"
                for k, v in errors.items()) + ".")
        else:
            lines.append("Estimated error rates: not available from this link run. Pairs left below the review "
                         "threshold may be missed links (people counted twice); links above it may rarely join "
                         "two people.")
        out.blocks.extend(lines)
    if rule_text:
        out.blocks.append(f"Frequent-utilizer rule: {rule_text}")
    small = f"<{threshold + 1}"
    out.blocks += [
        f"Privacy: the report holds counts only, no names, dates of birth or record numbers. A count from 1 to "
        f"{threshold} is shown as “{small}”. A count marked “*” is hidden so that a small count cannot be worked "
        f"out by subtracting shown numbers from a total; a rate or average built on a hidden count shows “—”. Zero "
        "is shown. Hidden counts still add into the totals. The protection covers exact subtraction and addition "
        "across the tables; a reader who knows the rules may still narrow a hidden count to a range.",
        "Definitions: a contact is one record (arrest, call, visit, service, stay) that starts in the period, by the "
        "county date the agency recorded. A person is counted once per table however many contacts they had. "
        "Demographics use the value recorded most often for the person. Jail bed-days count each calendar day "
        "in custody once; a stay without a release date is treated as ongoing.",
        *[f"Caution: {w}" for w in warnings],
    ]
    return out
