"""The sample county, end to end: a fresh encrypted store, every bundled agency export imported (and, as the
product grows, linked, listed, reported). Used by `ddj-desktop demo`, the desktop's "Try the sample county",
`--demo` and `--self-test`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ddj_desktop.importing.pipeline import BatchSummary
from ddj_desktop.paths import data_dir
from ddj_desktop.progress import NullProgress, Progress, Stage
from ddj_desktop.utilizers import UtilizerList
from ddj_desktop.workspace import Workspace

DEMO_PASSPHRASE = "sample county"  # the demo holds synthetic people only; printed so the store can be opened
STORE_NAME = "sample-county.ddj"

# (source, files relative to sample_workbooks/): one import each, as an analyst would do it.
SAMPLE_IMPORTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("jail", ("jail_bookings.xlsx", "jail_charges.csv")),
    ("police", ("cad_calls.txt",)),
    ("ems", ("ems_nemsis.csv",)),
    ("ed", ("ed_mercy_regional.xlsx",)),
    ("ed", ("ed_county_general.csv",)),
    ("bh", ("bh_services.xlsx",)),
    ("shelter", tuple(f"hmis/{n}.csv" for n in ("Export", "Organization", "Project", "Client", "Enrollment", "Exit"))),
    ("court", ("court_cases.csv",)),
    ("probation", ("probation_supervision.xlsx",)),
)


@dataclass
class DemoResult:
    workspace: Workspace
    imports: list[tuple[str, list[BatchSummary]]] = field(default_factory=list)
    linkage: Any = None  # the link run's LinkSummary (persons, review pairs ...), when linked


def sample_files(folder: Path | None = None) -> list[tuple[str, list[Path]]]:
    """The sample county's imports: (source, files) with full paths."""
    base = folder or data_dir("sample_workbooks")
    return [(source, [base / name for name in names]) for source, names in SAMPLE_IMPORTS]


def build_sample_county(folder: Path, progress: Progress | None = None, *, link: bool = True) -> DemoResult:
    """A new store in `folder` holding the imported (and, with `link`, linked) sample county; the caller closes
    `result.workspace`."""
    progress = progress or NullProgress()
    ws = Workspace.create(Path(folder) / STORE_NAME, DEMO_PASSPHRASE, admin_name="analyst")
    result = DemoResult(ws)
    try:
        imports = sample_files()
        share = 0.8 if link else 1.0
        for i, (source, files) in enumerate(imports):
            stage = Stage(progress, share * i / len(imports), share * (i + 1) / len(imports))
            result.imports.append((source, ws.import_files(files, source, progress=stage)))
        if link:
            result.linkage = ws.link(progress=Stage(progress, 0.8, 1.0))
    except BaseException:
        ws.close()
        raise
    progress.update(1.0, "Sample county ready")
    return result


UTILIZER_RULE = "generic_ddj"
UTILIZER_FILE = "frequent-utilizers.xlsx"


def write_utilizer_list(ws: Workspace, folder: Path) -> tuple[UtilizerList, Path]:
    """The sample county's frequent-utilizer list under the generic DDJ rule, as of its last event, written to
    `folder`/frequent-utilizers.xlsx and saved as a run (so next month's list can be compared with it):
    (UtilizerList, path)."""
    out = Path(folder) / UTILIZER_FILE
    result = ws.export_utilizer_list(UTILIZER_RULE, out, ws.latest_event_date(), save=True)
    return result, out


SAMPLE_COUNTY_SETTINGS = "county/juniper-county.toml"  # in forms/
ROI_FILE = "roi-forms.pdf"


def write_roi_forms(ws: Workspace, persons: list[str] | list[int], folder: Path) -> list:  # type: ignore[type-arg]
    """One combined PDF of pre-filled ROI forms for `persons` in `folder`/roi-forms.pdf (the sample county's
    settings are loaded first if the store has none); the printed forms."""
    if ws.county_settings() is None:
        ws.set_county_settings((data_dir("forms") / SAMPLE_COUNTY_SETTINGS).read_text(encoding="utf-8"))
    return ws.roi_forms(persons, out=Path(folder) / ROI_FILE)


REPORT_FILE = "council-report.pdf"
REPORT_TABLES_FILE = "council-report-tables.xlsx"


def write_council_report(ws: Workspace, folder: Path) -> Any:
    """The sample county's council report in `folder` (PDF and the open-data workbook), under the demo's rule and
    the made-up Juniper County costs and population; a reports.ReportSummary."""
    from ddj_desktop.reports import settings as report_settings

    sample = report_settings.from_toml(report_settings.EXAMPLE_TOML)
    ws.set_report_settings(sample.changed(rule=UTILIZER_RULE))
    return ws.council_report(Path(folder) / REPORT_FILE, xlsx=Path(folder) / REPORT_TABLES_FILE)
