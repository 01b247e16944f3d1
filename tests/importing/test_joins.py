"""Joins of multi-file exports: an HMIS CSV export (files written to disk as HMIS writes them), jail bookings +
charges."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ddj_desktop.errors import ImportFileError, MappingError
from ddj_desktop.importing.joins import (
    SKIP_CLIENT_MISSING,
    SKIP_DELETED_IN_HMIS,
    charge_level_of,
    detect_export_set,
    hmis_version,
    join_tables,
)
from ddj_desktop.importing.mapping import propose_mapping
from ddj_desktop.importing.model import Cell, RawSheet, Table, TableRow


def make_table(header: list[str], rows: list[list[Cell]], file_name: str) -> Table:
    sheet = RawSheet(file=Path(file_name), sheet=None, rows=[list(header), *rows])
    return Table(sheet, list(header), 1, [TableRow(i + 2, list(r)) for i, r in enumerate(rows)])


def write_and_read_csv(folder: Path, name: str, header: list[str], rows: list[dict[str, Cell]]) -> Table:
    """The table of a csv written as HMIS software writes it (every cell text, empty cells empty)."""
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    with path.open(newline="", encoding="utf-8") as given:
        lines = list(csv.reader(given))
    sheet = RawSheet(file=path, sheet=None, rows=[list(line) for line in lines])
    return Table(sheet, lines[0], 1, [TableRow(i + 2, list(r)) for i, r in enumerate(lines[1:])])


CLIENT_2024 = [
    "PersonalID", "FirstName", "MiddleName", "LastName", "NameSuffix", "NameDataQuality", "SSN", "SSNDataQuality",
    "DOB", "DOBDataQuality", "AmIndAKNative", "Asian", "BlackAfAmerican", "HispanicLatinaeo", "MidEastNAfrican",
    "NativeHIPacific", "White", "RaceNone", "Woman", "Man", "NonBinary", "VeteranStatus", "DateCreated",
    "DateUpdated", "UserID", "DateDeleted", "ExportID",
]  # fmt: skip
CLIENT_2026 = [h for h in CLIENT_2024 if h not in ("Woman", "Man", "NonBinary")] + ["Sex"]
ENROLLMENT = [
    "EnrollmentID", "PersonalID", "ProjectID", "EntryDate", "HouseholdID", "RelationshipToHoH", "LivingSituation",
    "DisablingCondition", "DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID",
]  # fmt: skip
EXIT = ["ExitID", "EnrollmentID", "PersonalID", "ExitDate", "Destination", "DateCreated", "DateUpdated", "UserID"]
EXIT += ["DateDeleted", "ExportID"]
EXPORT = ["ExportID", "SourceType", "ExportDate", "ExportStartDate", "ExportEndDate", "SoftwareName", "CSVVersion"]
EXPORT += ["HashStatus"]
ORGANIZATION = ["OrganizationID", "OrganizationName", "VictimServiceProvider", "DateCreated", "DateDeleted"]
PROJECT = ["ProjectID", "OrganizationID", "ProjectName", "ProjectType", "DateCreated", "DateDeleted"]


def client(pid: str, first: str, last: str, *, deleted: str = "", sex: str = "") -> dict[str, Cell]:
    return {
        "PersonalID": pid, "FirstName": first, "LastName": last, "NameDataQuality": "1", "SSN": "",
        "SSNDataQuality": "99", "DOB": "1980-04-02", "DOBDataQuality": "1", "White": "1", "Woman": "1", "Man": "0",
        "Sex": sex, "DateCreated": "2023-05-01 10:00:00", "DateDeleted": deleted, "ExportID": "X1",
    }  # fmt: skip


def enrollment(eid: str, pid: str, entry: str, *, project: str = "10", deleted: str = "") -> dict[str, Cell]:
    return {"EnrollmentID": eid, "PersonalID": pid, "ProjectID": project, "EntryDate": entry, "DateDeleted": deleted}


def hmis_export(folder: Path, version: str = "2024 v1.3", *, client_header: list[str] = CLIENT_2024) -> list[Table]:
    clients = [client("101", "Ana", "Diaz"), client("102", "Bo", "Lee", deleted="2024-02-01 09:00:00")]
    clients += [client("103", "Cy", "Roe")]
    enrollments = [
        enrollment("E1", "101", "2024-01-05"),
        enrollment("E2", "102", "2024-01-06"),  # client deleted
        enrollment("E3", "999", "2024-01-07"),  # client not in Client.csv
        enrollment("E4", "103", "2024-01-08"),
        enrollment("E5", "103", "2024-02-08", deleted="2024-02-09 12:00:00"),
    ]
    exits = [
        {"ExitID": "X1", "EnrollmentID": "E1", "PersonalID": "101", "ExitDate": "2024-01-20", "Destination": "116"},
        {"ExitID": "X2", "EnrollmentID": "E4", "PersonalID": "103", "ExitDate": "2024-01-09", "Destination": "1",
         "DateDeleted": "2024-01-10 00:00:00"},
    ]  # fmt: skip
    return [
        write_and_read_csv(folder, "Export.csv", EXPORT, [{"ExportID": "X1", "CSVVersion": version}]),
        write_and_read_csv(folder, "Client.csv", client_header, [{k: v for k, v in c.items() if k in client_header} for c in clients]),
        write_and_read_csv(folder, "Enrollment.csv", ENROLLMENT, enrollments),
        write_and_read_csv(folder, "Exit.csv", EXIT, exits),
    ]  # fmt: skip


def test_hmis_export_becomes_one_table_of_enrollments_with_identity_and_exit(tmp_path: Path) -> None:
    tables = hmis_export(tmp_path)
    plans = detect_export_set(tables)
    assert [p.kind for p in plans] == ["hmis"]
    assert hmis_version(plans[0]) == "FY2024"
    [joined] = join_tables(tables)
    assert joined.label == "Enrollment.csv"
    by_id = {r.values[0]: dict(zip(joined.header, r.values)) for r in joined.rows}
    assert set(by_id) == {"E1", "E4"}
    assert by_id["E1"]["FirstName"] == "Ana" and by_id["E1"]["ExitDate"] == "2024-01-20"
    assert by_id["E4"]["ExitDate"] is None  # its only exit was deleted in HMIS
    assert {(s.row_number, s.reason) for s in joined.skipped} == {
        (3, SKIP_DELETED_IN_HMIS),
        (4, SKIP_CLIENT_MISSING),
        (6, SKIP_DELETED_IN_HMIS),
    }
    assert joined.header.count("DateCreated") == 1  # the client's bookkeeping columns are not copied
    assert any("FY2024" in note for note in joined.source.notes)

    proposal = propose_mapping(joined)
    fields = proposal.profile.fields
    assert proposal.layout == "hmis_fy2024_enrollment_client"
    assert (fields["source_key"], fields["agency_person_id"]) == ("EnrollmentID", "PersonalID")
    assert (fields["first_name"], fields["dob"], fields["name_quality"]) == ("FirstName", "DOB", "NameDataQuality")
    assert (fields["event_start"], fields["event_end"]) == ("EntryDate", "ExitDate")
    assert proposal.profile.attributes["disposition"] == "Destination"
    assert proposal.profile.flags["sex"] == {"Woman": "F", "Man": "M"}


def test_hmis_fy2026_is_told_by_export_csv_version(tmp_path: Path) -> None:
    tables = hmis_export(tmp_path, "2026 v1.0", client_header=CLIENT_2026)
    assert hmis_version(detect_export_set(tables)[0]) == "FY2026"
    [joined] = join_tables(tables)
    assert any("FY2026" in note for note in joined.source.notes)
    proposal = propose_mapping(joined)
    assert proposal.layout == "hmis_fy2026_enrollment_client"
    assert proposal.profile.fields["sex"] == "Sex"


def test_hmis_services_carry_the_client_too(tmp_path: Path) -> None:
    tables = hmis_export(tmp_path)
    header = ["ServicesID", "EnrollmentID", "PersonalID", "DateProvided", "RecordType", "TypeProvided", "DateDeleted"]
    services = [
        {"ServicesID": "S1", "EnrollmentID": "E1", "PersonalID": "101", "DateProvided": "2024-01-06", "RecordType": "200"},
        {"ServicesID": "S2", "EnrollmentID": "E2", "PersonalID": "102", "DateProvided": "2024-01-07", "RecordType": "200"},
    ]  # fmt: skip
    tables.append(write_and_read_csv(tmp_path, "Services.csv", header, services))
    _enrollments, joined_services = join_tables(tables)
    assert [r.values[0] for r in joined_services.rows] == ["S1"]
    assert dict(zip(joined_services.header, joined_services.rows[0].values))["LastName"] == "Diaz"
    assert [s.reason for s in joined_services.skipped] == [SKIP_DELETED_IN_HMIS]


def test_victim_service_provider_records_are_left_out(tmp_path: Path) -> None:
    tables = hmis_export(tmp_path)
    organizations = [
        {"OrganizationID": "1", "OrganizationName": "County shelter", "VictimServiceProvider": "0"},
        {"OrganizationID": "2", "OrganizationName": "Safe house", "VictimServiceProvider": "1"},
    ]
    projects = [
        {"ProjectID": "10", "OrganizationID": "1", "ProjectName": "Night shelter", "ProjectType": "1"},
        {"ProjectID": "20", "OrganizationID": "2", "ProjectName": "DV shelter", "ProjectType": "1"},
    ]
    org = write_and_read_csv(tmp_path, "Organization.csv", ORGANIZATION, organizations)
    project = write_and_read_csv(tmp_path, "Project.csv", PROJECT, projects)
    # No enrollment in the provider's project yet: the export is fine, and the project name comes along.
    [joined] = join_tables([*tables, org, project])
    assert dict(zip(joined.header, joined.rows[0].values))["ProjectName"] == "Night shelter"
    enrollments = tables[2]
    enrollments.rows.append(TableRow(7, ["E6", "101", "20", "2024-03-01"] + [""] * 9))
    [joined] = join_tables([*tables, org, project])
    assert "E6" not in {row.values[0] for row in joined.rows}
    assert [s.row_number for s in joined.skipped if "victim service provider" in s.reason] == [7]
    with pytest.raises(ImportFileError, match=r"Project\.csv"):
        join_tables([*tables, org])


def test_lone_and_unrelated_tables_pass_through(tmp_path: Path) -> None:
    _export, client_table, enrollment_table, exit_table = hmis_export(tmp_path)
    calls = make_table(["Incident Number", "Call Time"], [["I1", "2024-01-01 02:00"]], "calls.csv")
    result = join_tables([calls, client_table])
    assert result[0] is calls
    assert [r.values[0] for r in result[1].rows] == ["101", "103"]  # 102 was deleted in HMIS
    assert [s.reason for s in result[1].skipped] == [SKIP_DELETED_IN_HMIS]
    assert join_tables([enrollment_table, exit_table])[0].rows == enrollment_table.rows[:4]


def test_two_client_files_are_refused(tmp_path: Path) -> None:
    tables = hmis_export(tmp_path)
    with pytest.raises(MappingError, match="Two HMIS client files"):
        join_tables([*tables, tables[1]])


BOOKINGS = ["Booking #", "SO #", "Name", "DOB", "Booking Date", "Release Date", "Charge"]
CHARGES = ["Booking #", "Statute", "Charge Description", "Charge Class"]


def jail_tables() -> tuple[Table, Table]:
    bookings = make_table(
        BOOKINGS,
        [
            [240001, "S1", "DIAZ, ANA", "1980-04-02", "2024-01-03 02:10", "2024-01-05 10:00", "see charges"],
            [240002, "S2", "LEE, BO", "1975-11-30", "2024-01-04 03:15", None, None],
            [240003, "S3", "ROE, CY", "1990-06-15", "2024-01-05 04:00", None, None],
        ],
        "Bookings Jan.xlsx",
    )
    charges = make_table(
        CHARGES,
        [
            ["0240001", "811.2", "DUI", "M1"],
            ["0240001", "164.055", "THEFT I", "F3"],
            ["0240001", "475.894", "POSSESSION", "F1"],
            ["240002", "166.025", "DISORDERLY CONDUCT", "MISD"],
            ["240002", "811.11", "SPEEDING", "Citation"],
            ["999999", "164.043", "THEFT III", "M3"],
        ],
        "Charges Jan.xlsx",
    )
    return bookings, charges


def test_jail_bookings_get_their_most_serious_charge() -> None:
    bookings, charges = jail_tables()
    plans = detect_export_set([charges, bookings])
    assert [p.kind for p in plans] == ["jail"]
    [joined] = join_tables([charges, bookings])
    assert joined.label == "Bookings Jan.xlsx"
    rows = [dict(zip(joined.header, r.values)) for r in joined.rows]
    assert rows[0]["charge"] == "POSSESSION" and rows[0]["charge_level"] == "felony"  # F1 beats F3
    assert rows[0]["charges"] == "DUI; THEFT I; POSSESSION"
    assert rows[0]["Charge (bookings file)"] == "see charges"
    assert (rows[1]["charge"], rows[1]["charge_level"]) == ("DISORDERLY CONDUCT", "misdemeanor")
    assert rows[2]["charge"] is None and rows[2]["charges"] is None
    assert any("1 charge(s) name a booking" in n for n in joined.source.notes)
    proposal = propose_mapping(joined)
    assert proposal.profile.attributes["charge"] == "charge"
    assert proposal.profile.attributes["charge_level"] == "charge_level"
    assert proposal.profile.fields["source_key"] == "Booking #"


def test_a_bookings_file_no_charge_names_keeps_its_own_charge_columns() -> None:
    """Given with this month's bookings and charges, another export's bookings (its own 'Charge' column, none of
    its booking numbers in the charges file) are not overwritten by empty joined columns."""
    bookings, charges = jail_tables()
    other = make_table(BOOKINGS, [[250001, "S9", "POE, AL", "1970-01-01", "2025-01-03 02:10", None, "TRESPASS"]],
                       "Releases 2025.xlsx")
    joined, lone = join_tables([charges, bookings, other])
    assert joined.label == "Bookings Jan.xlsx" and "charge" in joined.header
    assert lone.header == other.header and lone.rows[0].values[-1] == "TRESPASS"
    assert any("none joined" in n for n in lone.source.notes)
    assert propose_mapping(lone).profile.attributes["charge"] == "Charge"


def test_dssg_bookings_and_charges_are_recognised() -> None:
    bookings = make_table(
        ["internal_person_id", "booking_number", "full_name", "dob", "jail_entry_date", "jail_exit_date"],
        [["A1", "B-1", "ANA DIAZ", "1980-04-02", "2024-01-03T02:00:00-08:00", ""]],
        "jail_bookings.csv",
    )
    charges = make_table(
        ["internal_charge_id", "booking_number", "full_name", "charge_date", "statute", "charge_desc",
         "charge_type", "offense_category", "charge_class"],
        [["C1", "B-1", "ANA DIAZ", "2024-01-03T02:00:00-08:00", "811.2", "DUI", "M", "TRAFFIC", "A"],
         ["C2", "B-1", "ANA DIAZ", "2024-01-03T02:00:00-08:00", "164.055", "THEFT", "F", "PROPERTY", "C"]],
        "jail_charges.csv",
    )  # fmt: skip
    [joined] = join_tables([bookings, charges])
    row = dict(zip(joined.header, joined.rows[0].values))
    assert (row["charge"], row["charge_level"], row["charges"]) == ("THEFT", "felony", "DUI; THEFT")


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("F1", "felony"), ("Felony", "felony"), ("FEL", "felony"), ("Felony 3rd degree", "felony"),
        ("M2", "misdemeanor"), ("MISD", "misdemeanor"), ("Misdemeanor A", "misdemeanor"), ("GM", "misdemeanor"),
        ("C", "citation"), ("Citation", "citation"), ("INFRACTION", "citation"), ("T", "citation"),
        ("O", "other"), ("HOLD", "other"), ("", None), ("PROPERTY", None),
    ],
)  # fmt: skip
def test_charge_levels(code: str, level: str | None) -> None:
    assert charge_level_of(code) == level
