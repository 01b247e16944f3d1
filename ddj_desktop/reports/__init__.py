"""Coordinating-council reports (Qt-free): aggregate counts from the store, small-cell suppression, disparity
measures, charts, the printed PDF and the open-data workbook.

Entry point: `build_report` (Workspace.council_report calls it inside a store transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.progress import NullProgress, Progress, check_cancelled
from ddj_desktop.reports import compute, events, opendata, pdf, quality
from ddj_desktop.reports.compute import Cohort, ReportContent
from ddj_desktop.reports.settings import ReportSettings

__all__ = ["Cohort", "ReportContent", "ReportSettings", "ReportSummary", "build_report", "content"]


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


Period = tuple[dt.date | None, dt.date | None]
CohortSource = Cohort | Callable[[dt.date], Cohort | None] | None


def content(session: Session, settings: ReportSettings, *, period: Period | None = None,
            cohort: CohortSource = None, progress: Progress | None = None,
            generated: dt.date | None = None) -> ReportContent:  # fmt: skip
    """Every table and figure of the report, suppressed (nothing written). A missing period end is the latest
    record's date, a missing start 12 months before the end; `cohort` may be a function of the period end."""
    progress = progress or NullProgress()
    progress.update(0.05, "Reading the records")
    columns = events.load(session)
    check_cancelled(progress)
    start, end = period or (None, None)
    end = end or columns.last_day() or dt.date.today()
    start = start or compute.year_before(end)
    if start > end:
        raise DdjError(f"The period starts ({start}) after it ends ({end}).")
    period = (start, end)
    if callable(cohort):
        progress.update(0.2, "Evaluating the frequent-utilizer rule")
        cohort = cohort(end)
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


def build_report(session: Session, settings: ReportSettings, out: Path, *, xlsx: Path | None = None,
                 period: Period | None = None, cohort: CohortSource = None,
                 progress: Progress | None = None, generated: dt.date | None = None) -> ReportSummary:  # fmt: skip
    """Write the council report PDF to `out` (and the open-data workbook to `xlsx`)."""
    progress = progress or NullProgress()
    result = content(session, settings, period=period, cohort=cohort, progress=progress, generated=generated)
    progress.update(0.6, "Drawing the pages")
    pages = pdf.render(result, Path(out))
    tables = 0
    if xlsx is not None:
        check_cancelled(progress)
        tables = opendata.write(result, Path(xlsx))
    progress.update(1.0, "Report written")
    small, complementary = result.ledger.hidden_count()
    return ReportSummary(Path(out), Path(xlsx) if xlsx else None, pages, tables or len(result.tables()),
                         result.period, small, complementary, result.cohort_rule)
