"""Filled release-of-information forms for one person or a whole list: one PDF per person, or one combined PDF."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ddj_desktop.consent import pdf, register, templates
from ddj_desktop.consent.identity import person_identity
from ddj_desktop.consent.settings import CountySettings
from ddj_desktop.errors import Cancelled, DdjError
from ddj_desktop.exporting import atomic_output
from ddj_desktop.progress import NullProgress, Progress


@dataclass(frozen=True)
class PrintedForm:
    person: str  # P000123
    number: str  # ROI-000012
    file: Path


def write_forms(
    session: Session,
    person_ids: list[int],
    *,
    template_name: str | None,
    out: Path | None,
    out_dir: Path | None,
    user: str,
    progress: Progress | None = None,
    without_sources: frozenset[int] = frozenset(),
) -> tuple[templates.RoiTemplate, list[PrintedForm]]:
    """Print a numbered form for each person: into `out_dir` one file each, or all into `out`. Names come from the
    person's records but those of `without_sources` (42 CFR Part 2 sources the acting role may not see)."""
    progress = progress or NullProgress()
    if (out is None) == (out_dir is None):
        raise DdjError("Give either one output file (all forms in it) or a folder (one file per person).")
    if out_dir is not None and not Path(out_dir).is_dir():
        raise DdjError(f"The folder {out_dir} does not exist.", hint="Pick an existing folder for the forms.")
    if not person_ids:
        raise DdjError("No person to print a form for.")
    county = register.require_settings(session)
    template = templates.load_template(template_name or county.default_template)
    check_default_duration(template, county, dt.date.today())
    inputs = []
    for i, person_id in enumerate(dict.fromkeys(person_ids)):
        if progress.cancelled():
            raise Cancelled()
        label = f"P{person_id:06d}"
        identity = person_identity(session, person_id, label, without_sources=without_sources)
        form = register.new_form(session, person_id, template, user)
        inputs.append(pdf.FormInput(register.form_number(form.id), identity))
        progress.update(0.3 * (i + 1) / len(person_ids), "Gathering names")
    printed = []
    if out is not None:
        _write(Path(out), inputs, template, county)
        printed = [PrintedForm(f.identity.label, f.number, Path(out)) for f in inputs]
    else:
        for i, form in enumerate(inputs):
            path = Path(out_dir) / f"{form.identity.label}_{form.number}.pdf"  # type: ignore[arg-type]
            _write(path, [form], template, county)
            printed.append(PrintedForm(form.identity.label, form.number, path))
            progress.update(0.3 + 0.7 * (i + 1) / len(inputs), f"Form {i + 1} of {len(inputs)}")
    progress.update(1.0, "Forms written")
    return template, printed


def check_default_duration(template: templates.RoiTemplate, county: CountySettings, today: dt.date) -> None:
    """Refuse a template whose wording says that a form without an end date lasts longer than the state allows
    for every consent on it (the form would promise what the law does not give)."""
    default_end = today + dt.timedelta(days=template.default_duration_days)
    for limit in county.limits(template.id, template.name, None):
        if not limit.categories and limit.last_day(today) < default_end:
            raise DdjError(
                f"The form template {template.id} says a form signed without an end date lasts "
                f"{template.default_duration_days} days, longer than the state's maximum of {limit.describe()}.",
                hint="Have the template's expiration statement and its default_duration_days changed to the state's "
                "maximum (forms/ folder), or correct the county's max_duration setting.",
            )


def _write(path: Path, forms: list[pdf.FormInput], template: templates.RoiTemplate, county) -> None:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    pdf.write_roi_pdf(buffer, forms, template, county)
    with atomic_output(path, "wb") as handle:
        handle.write(buffer.getvalue())
