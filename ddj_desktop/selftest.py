"""`ddj-desktop --self-test`: the installed program checks itself end to end, for the county IT person who just
installed it.

In a temporary folder it builds the sample county as the demo does (`ddj_desktop.demo`: a new encrypted store,
every bundled agency export imported, linked), writes a frequent-utilizer list, an ROI form and the council report,
and checks each as a user would notice: the store file is encrypted and a wrong passphrase is refused, the list
has people, each PDF opens with its pages (and the form its fillable fields). One line per check; the folder is
removed at the end, whatever happened. Only synthetic people are involved.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddj_desktop import __version__, demo
from ddj_desktop.errors import DdjError, WrongPassphrase
from ddj_desktop.workspace import Workspace, person_label

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every unencrypted SQLite file
ROI_PEOPLE = 2  # forms printed for the first people on the list (each form is a few pages)


class SelfTestFailed(DdjError):
    exit_code = 12


@dataclass(frozen=True)
class Check:
    name: str
    detail: str


class Run:
    """The checks done so far, each reported (one line) as it passes."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report
        self.checks: list[Check] = []

    @contextmanager
    def check(self, name: str) -> Iterator[list[str]]:
        """`with run.check(name) as detail: ...; detail.append(text)`; any exception fails the check."""
        detail: list[str] = []
        started = time.monotonic()
        try:
            yield detail
        except SelfTestFailed:
            raise
        except Exception as exc:  # the self-test reports whatever broke, as one line
            message = exc.message if isinstance(exc, DdjError) else f"{type(exc).__name__}: {exc}"
            self.report(f"FAILED  {name}: {message}")
            raise SelfTestFailed(f"The self-test failed at: {name}.", hint=_HINT) from exc
        self.checks.append(Check(name, "; ".join(detail)))
        self.report(f"ok      {name}: {'; '.join(detail)} ({time.monotonic() - started:.1f} s)")


_HINT = ("This installation of DDJ Desktop does not work as it should. Reinstall it; if the self-test still fails, "
         "send this output to whoever supports DDJ Desktop for your county.")


def require(condition: bool, problem: str) -> None:
    if not condition:
        raise AssertionError(problem)


def run_self_test(report: Callable[[str], None] = print, *, folder: Path | None = None) -> list[Check]:
    """Run every check, reporting one line each; raises SelfTestFailed at the first that fails. The work happens
    in a new temporary folder (inside `folder` if given), removed before this returns."""
    run = Run(report)
    started = time.monotonic()
    report(f"DDJ Desktop {__version__} self-test (about a minute; only synthetic people are used)")
    scratch = Path(tempfile.mkdtemp(prefix="ddj-self-test-", dir=folder))
    try:
        _checks(run, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with run.check("clean up") as detail:
        require(not scratch.exists(), f"could not remove {scratch}")
        detail.append(f"the temporary folder {scratch} is removed")
    report(f"All {len(run.checks)} checks passed in {time.monotonic() - started:.0f} s.")
    return run.checks


def _checks(run: Run, folder: Path) -> None:
    with run.check("desktop libraries") as detail:
        importlib.import_module("ddj_desktop.gui.app")  # Qt's libraries load (no window is opened)
        detail.append(f"Qt {importlib.import_module('PySide6.QtCore').qVersion()} loads")

    with run.check("encrypted store, import and linkage") as detail:
        result = demo.build_sample_county(folder)
        ws = result.workspace
        ws.close()
        imported = sum(b.imported for _, batches in result.imports for b in batches)
        require(imported > 0, "no record was imported from the sample county")
        require(result.linkage is not None and 0 < result.linkage.persons < imported,
                "linking did not group the records into persons")
        detail.append(f"{imported} records from {len(result.imports)} agency exports, linked into "
                      f"{result.linkage.persons} persons")

    with run.check("import in worker processes") as detail:
        # Large files are read by worker processes (importing/parallel.py): in a frozen build they start the
        # program itself again, which must then work as a worker and not as the application.
        police = next(batches for source, batches in result.imports if source == "police")
        got = _import_in_workers(folder, next(paths for source, paths in demo.sample_files() if source == "police"))
        require([(b.imported, b.skipped) for b in got] == [(b.imported, b.skipped) for b in police],
                "the workers imported other records than the importing process")
        detail.append(f"{sum(b.imported for b in got)} records read by 2 worker processes, as imported above")

    store = folder / demo.STORE_NAME
    with run.check("the store is encrypted") as detail:
        check_encrypted(store, demo.DEMO_PASSPHRASE)
        detail.append("no plain SQLite header; a wrong passphrase is refused")

    ws: Workspace | None = None
    try:
        with run.check("the store opens again") as detail:
            ws = Workspace.open(store, demo.DEMO_PASSPHRASE)
            counts = ws.counts()
            require(counts["records"] == imported, f"{counts['records']} records found, {imported} were imported")
            audit = ws.verify_audit()
            require(audit.ok, audit.message())
            detail.append(f"{counts['records']} records; audit log intact ({audit.entries} entries)")
        _outputs(run, ws, folder)
    finally:
        if ws is not None:
            ws.close()


def _outputs(run: Run, ws: Workspace, folder: Path) -> None:
    with run.check("frequent-utilizer list") as detail:
        listed, list_file = demo.write_utilizer_list(ws, folder)
        require(len(listed.people) > 0, "the sample county's list has nobody on it")
        written = _listed_in_workbook(list_file)
        require(written == [person_label(p) for p in listed.person_ids()],
                f"{list_file.name} does not hold the {len(listed.people)} people listed")
        detail.append(f"{len(written)} people ({listed.rule_name}), written to an .xlsx that opens")

    with run.check("release-of-information form") as detail:
        forms = demo.write_roi_forms(ws, listed.person_ids()[:ROI_PEOPLE], folder)
        require(len(forms) == min(ROI_PEOPLE, len(listed.people)), "not every form was printed")
        pdf = read_pdf(forms[0].file)
        require(len(pdf.pages) >= len(forms), f"{len(pdf.pages)} pages for {len(forms)} forms")
        require(all(f.number in pdf.text for f in forms), "a form's number is not printed on it")
        require(len(pdf.fields) > 0, "the form has no fillable fields")
        detail.append(f"{len(forms)} forms: a PDF of {len(pdf.pages)} pages with {len(pdf.fields)} fillable "
                      f"fields")

    with run.check("council report") as detail:
        summary = demo.write_council_report(ws, folder)
        pdf = read_pdf(summary.pdf)
        require(len(pdf.pages) == summary.pages > 0, f"the PDF has {len(pdf.pages)} pages, {summary.pages} written")
        require("Juniper" in pdf.text, "the report does not name the county")
        tables = _sheet_names(summary.xlsx)
        require(len(tables) > 0, "the open-data workbook has no tables")
        detail.append(f"a PDF of {len(pdf.pages)} pages, and {len(tables)} open-data tables")


def _import_in_workers(folder: Path, files: list[Path]) -> list[Any]:
    ws = Workspace.create(folder / "workers.ddj", demo.DEMO_PASSPHRASE, admin_name="analyst")
    try:
        return ws.import_files(files, "police", workers=2)
    finally:
        ws.close()


def check_encrypted(store: Path, passphrase: str) -> None:
    """Raises AssertionError unless the file at `store` is unreadable without `passphrase`: its first bytes are
    not SQLite's plain header, and a wrong passphrase does not open it."""
    with open(store, "rb") as handle:
        require(handle.read(16) != SQLITE_HEADER, "the store file starts with a plain SQLite header")
    try:
        Workspace.open(store, passphrase + " (wrong)").close()
    except WrongPassphrase:
        return
    raise AssertionError("a wrong passphrase opened the store")


@dataclass
class Pdf:
    pages: list[Any]
    text: str
    fields: dict[str, Any]


def read_pdf(path: Path) -> Pdf:
    """The PDF at `path` as a reader opens it (pypdf, strict): its pages, text and form fields."""
    from pypdf import PdfReader

    reader = PdfReader(path, strict=True)
    pages = list(reader.pages)
    return Pdf(pages, "\n".join(page.extract_text() or "" for page in pages), reader.get_fields() or {})


def _listed_in_workbook(path: Path) -> list[str]:
    """The person IDs in the first column of the list's first sheet, in order."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        sheet = book.worksheets[0]
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        column = header.index("person_id")
        return [row[column] for row in sheet.iter_rows(min_row=2, values_only=True) if row[column]]
    finally:
        book.close()


def _sheet_names(path: Path | None) -> list[str]:
    from openpyxl import load_workbook

    require(path is not None and path.is_file(), "the open-data workbook was not written")
    book = load_workbook(path, read_only=True)
    try:
        return book.sheetnames
    finally:
        book.close()

