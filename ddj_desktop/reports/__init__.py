"""Coordinating-council reports (Qt-free): aggregate counts from the store, small-cell suppression, disparity
measures, charts, the printed PDF and the open-data workbook.

Entry points: `prepare_report` makes the report in memory (in a store read transaction), `save_report` writes
it; Workspace.council_report does both and audits the save.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.exporting import atomic_output
from ddj_desktop.progress import NullProgress, Progress, check_cancelled
from ddj_desktop.reports import compute, events, opendata, pdf, quality
from ddj_desktop.reports.compute import Cohort, ReportContent
from ddj_desktop.reports.settings import ReportSettings
from ddj_desktop.utilizers.events import EventTable

__all__ = ["Cohort", "CohortRule", "PreparedReport", "ReportContent", "ReportSettings", "ReportSummary",
           "content", "prepare_report", "save_report"]


@dataclass(frozen=True)
class ReportSummary:
    pdf: Path
    xlsx: Path | None
    pages: int
    tables: int
    period: tuple[dt.date, dt.date]
    hidden_small: int
    hidden_complementary: int
    cohort_rule: str | None


@dataclass(frozen=True)
class CohortRule:
    """A frequent-utilizer rule to find the cohort with, at the period end: the event fields it filters on (its
    attributes, and "event_type" if it filters on that), whether it asks ages, and its evaluation (event table,
    as-of date -> Cohort). Its events are read in the report's own pass over the records."""

    fields: frozenset[str]
    with_dob: bool
    evaluate: Callable[[EventTable, dt.date], Cohort]


Period = tuple[dt.date | None, dt.date | None]
CohortSource = Cohort | CohortRule | None


def content(session: Session, settings: ReportSettings, *, period: Period | None = None,
            cohort: CohortSource = None, progress: Progress | None = None,
            generated: dt.date | None = None) -> ReportContent:  # fmt: skip
    """Every table and figure of the report, suppressed (nothing written). A missing period end is the latest
    record's date, a missing start 12 months before the end; `cohort` may be a rule, evaluated at the period end."""
    progress = progress or NullProgress()
    progress.update(0.05, "Reading the records")
    rule = cohort if isinstance(cohort, CohortRule) else None
    columns = events.load(session, rule.fields if rule else None, rule_dob=bool(rule and rule.with_dob))
    check_cancelled(progress)
    start, end = period or (None, None)
    end = end or columns.last_day() or dt.date.today()
    start = start or compute.year_before(end)
    if start > end:
        raise DdjError(f"The period starts ({start}) after it ends ({end}).")
    period = (start, end)
    if rule is not None:
        progress.update(0.3, "Evaluating the frequent-utilizer rule")
        assert columns.rule_events is not None
        cohort = rule.evaluate(columns.rule_events, end)
        columns.rule_events = None  # not needed any more: free it before counting
    facts = quality.gather(session)
    facts["completeness"] = {s.name: (s.records, *s.filled) for s in columns.sources}
    progress.update(0.4, "Counting")
    result = compute.compute(columns, settings, period, cohort, facts, generated)
    display = {s.name: s.display_name for s in columns.sources}
    result.sections.append(quality.section(facts, display, settings.threshold,
                                           f"“{cohort.rule_name}”: {cohort.rule_text}" if cohort else None,
                                           result.warnings))  # fmt: skip
    check_cancelled(progress)
    return result


@dataclass(frozen=True)
class PreparedReport:
    """A report made but not saved: its content (for the open-data workbook) and the PDF as bytes, to preview."""

    content: ReportContent
    pdf: bytes
    pages: int


def prepare_report(session: Session, settings: ReportSettings, *, period: Period | None = None,
                   cohort: CohortSource = None, progress: Progress | None = None,
                   generated: dt.date | None = None) -> PreparedReport:  # fmt: skip
    """The report, made in memory (nothing written): to preview before `save_report`."""
    progress = progress or NullProgress()
    result = content(session, settings, period=period, cohort=cohort, progress=progress, generated=generated)
    progress.update(0.6, "Drawing the pages")
    data, pages = pdf.render_bytes(result)
    check_cancelled(progress)
    return PreparedReport(result, data, pages)


def save_report(prepared: PreparedReport, out: Path, *, xlsx: Path | None = None) -> ReportSummary:
    """Write a prepared report's PDF to `out` (atomically) and its open-data workbook to `xlsx`."""
    with atomic_output(Path(out), "wb") as handle:
        handle.write(prepared.pdf)
    result = prepared.content
    tables = opendata.write(result, Path(xlsx)) if xlsx is not None else 0
    small, complementary = result.ledger.hidden_count()
    return ReportSummary(Path(out), Path(xlsx) if xlsx else None, prepared.pages, tables or len(result.tables()),
                         result.period, small, complementary, result.cohort_rule)
