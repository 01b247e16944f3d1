"""Import end to end into a real encrypted store: what lands, what is skipped or rejected, and that a failed,
cancelled or repeated import leaves the store as it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event, select

from ddj_desktop.errors import DiskFull, ImportFileError, MappingError
from ddj_desktop.store.models import Record
from ddj_desktop.workspace import Workspace

HEADER = ["Booking #", "SO #", "Inmate Name", "DOB", "Sex", "Race", "Booking Date", "Release Date", "Homeless"]


def booking_rows() -> list[list]:
    return [
        ["B24-001", 10001, "SMITH, JOHN A", dt.datetime(1980, 3, 5), "M", "W", dt.datetime(2024, 1, 2, 13, 5),
         dt.datetime(2024, 1, 9, 8, 0), "Y"],
        ["B24-002", 10002, "NÚÑEZ GARCÍA, MARÍA", dt.datetime(1991, 12, 25), "F", "H", dt.datetime(2024, 2, 2, 1),
         None, "N"],
        ["B24-003", 10003, "TEST, PATIENT", dt.datetime(1990, 1, 1), "F", "W", dt.datetime(2024, 2, 3), None, "N"],
        ["B24-004", 10004, "O'BRIEN JR, PATRICK", "02/30/1985", "M", "W", dt.datetime(2024, 2, 4), None, "N"],
        ["B24-005", None, None, None, None, None, dt.datetime(2024, 2, 5), None, None],
    ]  # fmt: skip


def write_bookings(path: Path, rows: list[list], *, title: bool = True) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Bookings"
    if title:
        sheet.append(["Cumberland County Sheriff's Office - Booking Report"])
        sheet.append(["Run date: 11/01/2026"])
        sheet.append([])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    sheet.append([])
    sheet.append([f"Total bookings: {len(rows)}"])
    book.save(path)
    return path


def records(ws: Workspace) -> dict[str, Record]:
    with ws.store.reading() as session:
        return {r.source_key: r for r in session.scalars(select(Record))}


def import_export(ws: Workspace, path: Path, text: str, source: str):  # type: ignore[no-untyped-def]
    """`text` written as the export file `path` and imported into `source`: the batch, and the records by key."""
    path.write_text(text, encoding="utf-8")
    [batch] = ws.import_files([path], source)
    return batch, records(ws)


def test_a_booking_report_lands_normalized(workspace: Workspace, tmp_path: Path):
    path = write_bookings(tmp_path / "Booking_Report_2024-02.xlsx", booking_rows())
    [batch] = workspace.import_files([path], "jail")
    assert (batch.imported, batch.rejected, batch.duplicate) == (3, 1, 0)
    assert batch.skipped == {"test record": 1, "blank row": 1, "total or footer row": 1}
    assert (8, "date of birth not kept: impossible date 02/30/1985", False) in batch.problems
    rejected = [p for p in batch.problems if p[2]]
    assert [(row, "cannot tell who this is" in reason) for row, reason, _ in rejected] == [(9, True)]

    got = records(workspace)
    assert set(got) == {"B24-001", "B24-002", "B24-004"}
    smith = got["B24-001"]
    assert (smith.last_name, smith.first_name, smith.middle_name) == ("SMITH", "JOHN", "A")
    assert (smith.dob, smith.sex, smith.race, smith.agency_person_id) == ("1980-03-05", "male", "white", "10001")
    assert smith.event_start == "2024-01-02T13:05:00" and smith.event_end == "2024-01-09T08:00:00"
    assert smith.attributes["homeless"] is True
    assert smith.raw["Inmate Name"] == "SMITH, JOHN A"
    nunez = got["B24-002"]
    assert (nunez.last_name, nunez.first_name) == ("NUNEZ GARCIA", "MARIA")
    assert nunez.raw["Inmate Name"] == "NÚÑEZ GARCÍA, MARÍA"  # the original beside the normalized form
    obrien = got["B24-004"]
    assert (obrien.last_name, obrien.name_suffix, obrien.dob, obrien.dob_quality) == ("OBRIEN", "JR", None, "invalid")
    assert len({r.person_id for r in got.values()}) == 3  # one person per record until linkage


def test_reimport_adds_nothing_and_next_month_updates_and_adds(workspace: Workspace, tmp_path: Path):
    rows = booking_rows()
    first = write_bookings(tmp_path / "Booking_Report_2024-02.xlsx", rows)
    workspace.import_files([first], "jail")
    [again] = workspace.import_files([first], "jail")
    assert (again.imported, again.updated, again.duplicate) == (0, 0, 3)

    rows[1][7] = dt.datetime(2024, 2, 20, 9, 30)  # released since
    rows.append(["B24-006", 10006, "LEE, ANNA", dt.datetime(1975, 7, 1), "F", "A", dt.datetime(2024, 3, 1), None, "N"])
    person_before = records(workspace)["B24-002"].person_id
    march = write_bookings(tmp_path / "Booking_Report_2024-03.xlsx", rows)
    [batch] = workspace.import_files([march], "jail")
    assert (batch.imported, batch.updated, batch.duplicate) == (1, 1, 2)
    assert batch.profile_from == "earlier import"
    got = records(workspace)
    assert got["B24-002"].event_end == "2024-02-20T09:30:00"
    assert got["B24-002"].person_id == person_before
    assert workspace.counts()["records"] == 4


def test_csv_without_a_key_column_is_keyed_by_row_fingerprint(workspace: Workspace, tmp_path: Path):
    path = tmp_path / "calls.csv"
    path.write_text(
        "Call Time|First Name|Last Name|DOB|Nature\n"
        "03/01/2024 22:10|Ana|Lopez|04/12/1988|WELFARE CHECK\n"
        "03/02/2024 01:15|Bill|Jones|1/2/1970|DISTURBANCE\n",
        encoding="cp1252",
    )
    [batch] = workspace.import_files([path], "police")
    assert batch.imported == 2
    [again] = workspace.import_files([path], "police")
    assert (again.imported, again.duplicate) == (0, 2)
    assert all(len(k) == 64 for k in records(workspace))


def test_a_bad_file_among_good_ones_leaves_the_store_unchanged(workspace: Workspace, tmp_path: Path):
    good = write_bookings(tmp_path / "good.xlsx", booking_rows())
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a workbook")
    with pytest.raises(ImportFileError, match=r"bad\.xlsx"):
        workspace.import_files([good, bad], "jail")
    assert workspace.counts() == {"records": 0, "persons": 0, "sources": 0, "batches": 0}


def test_a_mapping_that_names_a_missing_column_is_refused(workspace: Workspace, tmp_path: Path):
    path = write_bookings(tmp_path / "b.xlsx", booking_rows())
    profile = tmp_path / "jail.toml"
    profile.write_text('name = "old jail"\n[fields]\nsource_key = "Arrest Number"\nfull_name = "Inmate Name"\n')
    with pytest.raises(MappingError, match=r'b\.xlsx.*"Arrest Number"'):
        workspace.import_files([path], "jail", mapping_file=profile)
    assert workspace.counts()["records"] == 0


def test_the_users_mapping_overrides_the_guess(workspace: Workspace, tmp_path: Path):
    path = write_bookings(tmp_path / "b.xlsx", booking_rows())
    profile = tmp_path / "jail.toml"
    profile.write_text(
        'name = "our jail"\nevent_type = "booking"\nname_order = "last_comma_first"\n'
        '[fields]\nsource_key = "Booking #"\nfull_name = "Inmate Name"\ndob = "DOB"\n'
    )
    [batch] = workspace.import_files([path], "jail", mapping_file=profile)
    assert (batch.profile_name, batch.profile_from) == ("our jail", "file")
    smith = records(workspace)["B24-001"]
    assert smith.event_type == "booking" and smith.sex is None  # Sex was not mapped: kept as an attribute
    assert smith.attributes["Sex"] == "M"


def _fill_the_disk(ws: Workspace) -> None:
    """Make every pooled connection see a full disk a few pages past the current size (SQLITE_FULL)."""

    @event.listens_for(ws.store.engine, "connect")
    def _limit(dbapi_con, _record):  # type: ignore[no-untyped-def]
        pages = dbapi_con.execute("PRAGMA page_count").fetchone()[0]
        dbapi_con.execute(f"PRAGMA max_page_count = {int(pages) + 3}")

    ws.store.engine.dispose()


def test_full_disk_is_a_clear_error_and_nothing_lands(workspace: Workspace, tmp_path: Path):
    rows = [[f"B{n:05d}", n, f"PERSON{n}, NAME", dt.datetime(1970, 1, 1) + dt.timedelta(days=n), "M", "W",
             dt.datetime(2024, 1, 1), None, "N"] for n in range(3000)]  # fmt: skip
    path = write_bookings(tmp_path / "big.xlsx", rows)
    _fill_the_disk(workspace)
    with pytest.raises(DiskFull, match="disk is full"):
        workspace.import_files([path], "jail")
    assert workspace.counts()["records"] == 0
    assert workspace.batches() == []


def test_cancel_while_writing_leaves_nothing(workspace: Workspace, tmp_path: Path):
    rows = [[f"B{n:05d}", n, f"PERSON{n}, NAME", dt.datetime(1970, 1, 1) + dt.timedelta(days=n), "M", "W",
             dt.datetime(2024, 1, 1), None, "N"] for n in range(12_000)]  # fmt: skip
    path = write_bookings(tmp_path / "big.xlsx", rows)

    class InterruptWhileWriting:
        def update(self, fraction: float, message: str = "") -> None:
            if message.startswith("Writing") and fraction > 0:
                raise KeyboardInterrupt  # what Ctrl+C does in the middle of the bulk insert

        def cancelled(self) -> bool:
            return False

    with pytest.raises(KeyboardInterrupt):
        workspace.import_files([path], "jail", progress=InterruptWhileWriting())
    assert workspace.counts()["records"] == 0
    assert workspace.batches() == []
    assert "import" not in {e["action"] for e in workspace.audit_entries()}


def test_every_sheet_or_the_one_named(workspace: Workspace, tmp_path: Path):
    book = openpyxl.Workbook()
    for title, prefix in (("January", "J"), ("February", "F")):
        sheet = book.create_sheet(title)
        sheet.append(HEADER)
        for n in range(3):
            sheet.append([f"{prefix}{n}", n, f"DOE{prefix}, ANN", dt.datetime(1980, 1, 1 + n), "F", "W",
                          dt.datetime(2024, 1, 1), None, "N"])  # fmt: skip
    book.remove(book["Sheet"])
    path = tmp_path / "two_months.xlsx"
    book.save(path)
    [february] = workspace.import_files([path], "jail", sheet="February")
    assert (february.label, february.imported) == ('two_months.xlsx, sheet "February"', 3)
    batches = workspace.import_files([path], "jail")
    assert [(b.label.split('"')[1], b.imported, b.duplicate) for b in batches] == [
        ("January", 3, 0), ("February", 0, 3)
    ]
    with pytest.raises(ImportFileError, match="March"):
        workspace.import_files([path], "jail", sheet="March")


def test_a_wide_flat_file_imports(workspace: Workspace, tmp_path: Path):
    """NEMSIS and HMIS flat files carry hundreds of columns; every one is kept."""
    extra = [f"eVitals.{n:02d}" for n in range(1, 400)]
    header = ["eRecord.01", "ePatient.02", "ePatient.03", "ePatient.17", *extra]
    lines = [",".join(header)]
    for n in range(50):
        last, first = ("ADAMS", "BAKER", "CRUZ", "DIAZ", "EVANS")[n % 5], ("ANA", "BO", "CY", "DEE")[n % 4]
        lines.append(",".join([f"R{n}", last, first, "1980-01-02", *(str(n) for _ in extra)]))
    path = tmp_path / "nemsis_flat.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [batch] = workspace.import_files([path], "ems")
    assert batch.imported == 50
    record = records(workspace)["R7"]
    assert (record.last_name, record.first_name, record.dob) == ("CRUZ", "DEE", "1980-01-02")
    assert len(record.attributes) == len(extra) and record.attributes["eVitals.399"] == "7"


def test_empty_fields_are_stored_as_null(workspace: Workspace, tmp_path: Path):
    # None is bound through an adapter of ours (for speed); what lands must still be SQL NULL, which every
    # "is missing" query of the application counts on.
    workspace.import_files([write_bookings(tmp_path / "b.xlsx", booking_rows())], "jail")
    with workspace.store.reading() as session:
        kinds = dict(session.connection().exec_driver_sql(
            "SELECT source_key, typeof(middle_name) || ' ' || typeof(event_end) FROM record"
        ).all())  # fmt: skip
    assert kinds == {"B24-001": "text text", "B24-002": "null null", "B24-004": "null null"}


def test_the_import_page_cache_is_given_back(workspace: Workspace, tmp_path: Path):
    def cache_sizes() -> set[int]:
        connections = [workspace.store.engine.raw_connection() for _ in range(5)]  # more than the pool keeps
        try:
            return {c.driver_connection.execute("PRAGMA cache_size").fetchone()[0] for c in connections}
        finally:
            for c in connections:
                c.close()

    before = cache_sizes()
    path = write_bookings(tmp_path / "b.xlsx", booking_rows())

    class CancelWhileWriting:
        def update(self, fraction: float, message: str = "") -> None:
            if message.startswith("Writing"):
                raise KeyboardInterrupt

        def cancelled(self) -> bool:
            return False

    with pytest.raises(KeyboardInterrupt):
        workspace.import_files([path], "jail", progress=CancelWhileWriting())
    assert cache_sizes() == before
    workspace.import_files([path], "jail")
    assert cache_sizes() == before and len(before) == 1


def test_two_agencies_may_use_the_same_row_keys(workspace: Workspace, tmp_path: Path):
    # Row keys are unique within a source only: a jail's booking 1001 and a court's case 1001 are two records.
    path = tmp_path / "rows.csv"
    path.write_text("Key,Last Name,First Name,DOB\n1001,Lopez,Ana,04/12/1988\n1002,Jones,Bill,01/02/1970\n")
    profile = tmp_path / "keyed.toml"
    profile.write_text('name = "keyed"\n[fields]\nsource_key = "Key"\nlast_name = "Last Name"\n'
                       'first_name = "First Name"\ndob = "DOB"\n')  # fmt: skip
    for source in ("jail", "court"):
        [batch] = workspace.import_files([path], source, mapping_file=profile)
        assert (batch.imported, batch.rejected) == (2, 0)
    assert workspace.counts()["records"] == 4


def test_an_ems_report_writer_export_lands_with_names_and_birth_dates(workspace: Workspace, tmp_path: Path):
    """A NEMSIS export with element IDs in its headers, as EMS report writers make them, and a Not Recorded
    code where a date of birth was not taken."""
    batch, landed = import_export(
        workspace,
        tmp_path / "EMS_PCR_Export_2024-04.csv",
        "Patient Care Report Number (eRecord.01),Patient Last Name (ePatient.02),Patient First Name (ePatient.03),"
        "Date of Birth (ePatient.17),Sex (ePatient.25),Unit Notified by Dispatch Date/Time (eTimes.03),"
        "Incident Patient Disposition (eDisposition.12)\n"
        'PCR-1,GARCÍA LÓPEZ,MARÍA,1975-11-30,9906001,2024-04-01T10:00:00-06:00,"Patient Treated, Transported by this '
        'EMS Unit"\n'
        'PCR-2,SMITH,JOHN,7701003,9906003,2024-04-02T11:30:00-06:00,"Patient Treated, Transported by this EMS Unit"\n',
        "ems",
    )
    assert (batch.imported, batch.rejected) == (2, 0)
    maria, john = landed["PCR-1"], landed["PCR-2"]
    assert (maria.last_name, maria.first_name, maria.dob, maria.sex) == ("GARCIA LOPEZ", "MARIA", "1975-11-30", "female")
    assert (john.last_name, john.first_name, john.dob, john.dob_quality) == ("SMITH", "JOHN", None, "not_collected")
    assert maria.attributes["disposition"] == "Patient Treated, Transported by this EMS Unit"


def test_a_jail_export_with_times_in_their_own_columns(workspace: Workspace, tmp_path: Path):
    """A database export: dates at midnight, the clock in 'Booking Time' / 'Release Time' (0930, 1:05 PM), ZIP
    codes that lost their leading zero in Excel."""
    batch, landed = import_export(
        workspace,
        tmp_path / "jms_export.csv",
        "Booking Number,Last Name,First Name,Date of Birth,Zip Code,Booking Date,Booking Time,Release Date,"
        "Release Time\n"
        "B1,SMITH,JOHN,3/4/1980,2134,2024-01-05 00:00:00.000,13:45,2024-01-07 00:00:00.000,0930\n"
        "B2,NGUYEN,THI,6/9/1985,02134,2024-02-05 00:00:00.000,1:05 PM,,\n",
        "jail",
    )
    assert (batch.imported, batch.rejected) == (2, 0)
    assert (landed["B1"].event_start, landed["B1"].event_end) == ("2024-01-05T13:45:00", "2024-01-07T09:30:00")
    assert (landed["B2"].event_start, landed["B2"].event_end) == ("2024-02-05T13:05:00", None)
    assert landed["B1"].zip == landed["B2"].zip == "02134"
    assert "Booking Time" not in landed["B1"].attributes  # a time, not an attribute; the original row keeps it
    assert landed["B1"].raw["Booking Time"] == "13:45"


def test_a_probation_export_with_last_first_names_and_no_comma(workspace: Workspace, tmp_path: Path):
    _, landed = import_export(
        workspace,
        tmp_path / "probation_active.csv",
        "Offender Number,Offender Name,Birth Date,Supervision Start,Supervision End\n"
        "P1,SMITH JOHN A,19800304,20240101,20241231\n"
        "P2,DE LA CRUZ ANA M,19690101,20240102,20241231\n"
        "P3,OBRIEN PATRICK,19900715,20240103,20241231\n",
        "probation",
    )
    names = {(r.first_name, r.middle_name, r.last_name) for r in landed.values()}
    assert names == {("JOHN", "A", "SMITH"), ("ANA", "M", "DE LA CRUZ"), ("PATRICK", None, "OBRIEN")}


def test_charge_levels_in_a_jails_own_codes_land_in_the_shared_words(workspace: Workspace, tmp_path: Path):
    """'F3', 'M2' in a 'Charge Degree' column: rules and reports filter on felony / misdemeanor, so those words
    land in charge_level, and the jail's own code is kept beside them; a code that says nothing stays as sent."""
    path = tmp_path / "bookings.csv"
    _, landed = import_export(
        workspace,
        path,
        "Booking #,Inmate Name,DOB,Booking Date,Top Charge,Charge Degree\n"
        "B1,\"SMITH, JOHN\",1980-03-04,2024-01-05,POSSESSION CONTROLLED SUBSTANCE,F3\n"
        "B2,\"DIAZ, ANA\",1981-03-04,2024-01-06,TRESPASS,M2\n"
        "B3,\"LEE, BO\",1982-03-04,2024-01-07,WARRANT,XYZ\n",
        "jail",
    )
    assert landed["B1"].attributes == {"charge": "POSSESSION CONTROLLED SUBSTANCE", "charge_level": "felony",
                                       "Charge Degree": "F3"}
    assert (landed["B2"].attributes["charge_level"], landed["B2"].attributes["Charge Degree"]) == ("misdemeanor", "M2")
    assert landed["B3"].attributes == {"charge": "WARRANT", "charge_level": "XYZ"}
    # the same file again changes nothing
    [again] = workspace.import_files([path], "jail")
    assert (again.imported, again.updated, again.duplicate) == (0, 0, 3)
