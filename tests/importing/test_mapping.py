"""Column auto-mapping, mapping profiles and the profile library, on tables shaped like real agency exports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ddj_desktop.errors import MappingError
from ddj_desktop.importing.mapping import (
    CANONICAL_FIELDS,
    MappingProfile,
    ProfileLibrary,
    apply_overrides,
    bind_profile,
    check_profile,
    file_pattern_for,
    load_profile,
    propose_mapping,
    row_fingerprint,
    save_profile,
)
from ddj_desktop.importing.model import Cell, RawSheet, Table, TableRow


def make_table(header: list[str], rows: list[list[Cell]], file_name: str = "export.csv") -> Table:
    sheet = RawSheet(file=Path(file_name), sheet=None, rows=[list(header), *rows])
    return Table(sheet, list(header), 1, [TableRow(i + 2, list(r)) for i, r in enumerate(rows)])


def assert_confidences(proposal) -> None:
    mapped = {*proposal.profile.fields, *proposal.profile.attributes, *proposal.profile.flags}
    assert mapped <= set(proposal.confidence)
    assert all(0.0 <= c <= 1.0 for c in proposal.confidence.values())
    assert mapped <= set(proposal.reasons)


HMIS_2024_CLIENT = [
    "PersonalID", "FirstName", "MiddleName", "LastName", "NameSuffix", "NameDataQuality", "SSN", "SSNDataQuality",
    "DOB", "DOBDataQuality", "AmIndAKNative", "Asian", "BlackAfAmerican", "HispanicLatinaeo", "MidEastNAfrican",
    "NativeHIPacific", "White", "RaceNone", "Woman", "Man", "NonBinary", "CulturallySpecific", "Transgender",
    "Questioning", "DifferentIdentity", "GenderNone", "VeteranStatus", "DateCreated", "DateUpdated", "UserID",
    "DateDeleted", "ExportID",
]  # fmt: skip


def hmis_2024_client_row(pid: str, first: str, last: str, *, woman: int, black: int, white: int) -> list[Cell]:
    flags = {"BlackAfAmerican": black, "White": white, "Woman": woman, "Man": 1 - woman}
    row: dict[str, Cell] = {
        "PersonalID": pid, "FirstName": first, "LastName": last, "NameDataQuality": 1, "SSN": "123-45-6789",
        "SSNDataQuality": 1, "DOB": "1980-04-02", "DOBDataQuality": 1, "VeteranStatus": 0,
        "DateCreated": "2024-01-02 10:00:00", "DateUpdated": "2024-01-02 10:00:00", "ExportID": "E1",
    }  # fmt: skip
    return [flags.get(h, row.get(h, 0 if h in HMIS_2024_CLIENT[10:26] else None)) for h in HMIS_2024_CLIENT]


def test_hmis_fy2024_client_maps_ids_names_quality_codes_and_flags() -> None:
    table = make_table(
        HMIS_2024_CLIENT,
        [
            hmis_2024_client_row("P1", "Ana", "Diaz", woman=1, black=0, white=1),
            hmis_2024_client_row("P2", "Bo", "Lee", woman=0, black=1, white=0),
        ],
        "Client.csv",
    )
    proposal = propose_mapping(table)
    fields = proposal.profile.fields
    assert proposal.layout == "hmis_fy2024_client"
    assert fields["agency_person_id"] == "PersonalID"
    assert fields["source_key"] == "PersonalID"
    assert (fields["first_name"], fields["last_name"], fields["name_suffix"]) == ("FirstName", "LastName", "NameSuffix")
    assert (fields["name_quality"], fields["ssn_quality"], fields["dob_quality"]) == (
        "NameDataQuality",
        "SSNDataQuality",
        "DOBDataQuality",
    )
    assert proposal.profile.flags["sex"] == {"Woman": "F", "Man": "M"}
    assert proposal.profile.flags["race"]["BlackAfAmerican"] == "B"
    assert "sex" not in fields  # FY2024 has no Sex column
    assert proposal.profile.source == "shelter"
    assert_confidences(proposal)
    mapped = bind_profile(proposal.profile, table.header, "Client.csv").map_row(table.rows[1])
    assert mapped.fields["sex"] == "M"
    assert mapped.fields["race"] == "B"
    assert mapped.fields["source_key"] == "P2"
    assert mapped.attributes["VeteranStatus"] == 0  # kept under its own name


def test_hmis_fy2026_client_uses_the_sex_column() -> None:
    header = ["PersonalID", "FirstName", "LastName", "NameDataQuality", "SSN", "SSNDataQuality", "DOB"]
    header += ["DOBDataQuality", "Sex", "VeteranStatus", "DateDeleted"]
    table = make_table(header, [["7", "Ana", "Diaz", 1, "", 99, "1980-04-02", 1, 0, 0, None]], "Client.csv")
    proposal = propose_mapping(table)
    assert proposal.layout == "hmis_fy2026_client"
    assert proposal.profile.fields["sex"] == "Sex"
    assert "sex" not in proposal.profile.flags
    # 0/1 with 8/9/99 are FY2026's sex codes: not "values that do not look like sex values" at 60 %
    many = make_table(header, [["7", "Ana", "Diaz", 1, "", 99, "1980-04-02", 1, sex, 0, None] for sex in (0, 1, 1, 99)],
                      "Client.csv")  # fmt: skip
    proposed = propose_mapping(many)
    assert proposed.confidence["sex"] > 0.9 and "do not look like" not in proposed.reasons["sex"]


def test_hmis_enrollment_alone_keys_on_enrollment_id() -> None:
    header = ["EnrollmentID", "PersonalID", "ProjectID", "EntryDate", "HouseholdID", "RelationshipToHoH"]
    header += ["LivingSituation", "DisablingCondition", "MoveInDate", "DateDeleted"]
    rows = [
        ["E1", "P1", "10", "2024-01-05", "H1", 1, 116, 0, None, None],
        ["E2", "P1", "10", "2024-03-01", "H2", 1, 116, 1, None, None],
    ]
    proposal = propose_mapping(make_table(header, rows, "Enrollment.csv"))
    assert proposal.layout == "hmis_enrollment"
    assert proposal.profile.fields["source_key"] == "EnrollmentID"
    assert proposal.profile.fields["agency_person_id"] == "PersonalID"
    assert proposal.profile.fields["event_start"] == "EntryDate"
    assert proposal.profile.event_type == "hmis_enrollment"


def test_nemsis_element_names() -> None:
    header = [
        "eRecord.01", "eResponse.03", "eResponse.05", "ePatient.02", "ePatient.03", "ePatient.04", "ePatient.09",
        "ePatient.12", "ePatient.14", "ePatient.17", "ePatient.25", "eTimes.03", "eTimes.05", "eTimes.13",
        "eSituation.11", "eDisposition.27",
    ]  # fmt: skip
    row = [
        "PCR-1", "INC-9", "2205001", "DIAZ", "ANA", "M", "97201", "123456789", "2106015", "1980-04-02", "9906001",
        "2024-02-01T22:14:00-08:00", "2024-02-01T22:16:00-08:00", "2024-02-01T23:40:00-08:00", "F10.129", "4227001",
    ]  # fmt: skip
    proposal = propose_mapping(make_table(header, [row], "ems.csv"))
    fields = proposal.profile.fields
    assert proposal.layout == "nemsis_v3"
    assert fields["source_key"] == "eRecord.01"
    assert (fields["last_name"], fields["first_name"], fields["middle_name"]) == (
        "ePatient.02",
        "ePatient.03",
        "ePatient.04",
    )
    assert (fields["dob"], fields["ssn"], fields["sex"], fields["race"]) == (
        "ePatient.17",
        "ePatient.12",
        "ePatient.25",
        "ePatient.14",
    )
    assert (fields["event_start"], fields["event_end"]) == ("eTimes.03", "eTimes.13")
    assert proposal.profile.attributes["disposition"] == "eDisposition.27"
    assert proposal.profile.event_type == "ems_response"


def test_dssg_jail_bookings_schema() -> None:
    header = [
        "internal_person_id", "internal_event_id", "inmate_number", "first_name", "middle_name", "last_name",
        "suffix", "dob", "ssn", "race", "ethnicity", "sex", "street_address", "postal_code", "booking_number",
        "jail_entry_date", "jail_exit_date", "homeless", "mental_health", "veteran", "bond_amount",
        "arresting_agency", "detention", "case_number",
    ]  # fmt: skip
    rows = [
        ["A1", "498376", "MA94816", "ANA", "", "DIAZ", "", "1980-04-XX", "12345678X", "W", "HISPANIC", "F",
         "1 Main St", "97201", "B-100", "2024-01-03T02:00:00-08:00", "2024-01-05T10:00:00-08:00", "Y", "N", "N",
         500, "PD", "PRETRIAL", "24CR1"],
        ["A2", "498377", "MA94817", "BO", "", "LEE", "JR", "1975-11-30", "", "B", "NOT HISPANIC", "M",
         "", "97203", "B-101", "2024-01-04T02:00:00-08:00", "", "N", "Y", "N", 0, "SO", "HOLD", "24CR2"],
    ]  # fmt: skip
    proposal = propose_mapping(make_table(header, rows, "bookings.csv"))
    fields, attributes = proposal.profile.fields, proposal.profile.attributes
    assert proposal.layout == "dssg_jail_bookings"
    assert fields["source_key"] == "booking_number"
    assert fields["agency_person_id"] == "internal_person_id"
    assert (fields["event_start"], fields["event_end"]) == ("jail_entry_date", "jail_exit_date")
    assert (fields["name_suffix"], fields["zip"], fields["address"]) == ("suffix", "postal_code", "street_address")
    assert attributes["homeless"] == "homeless"
    assert attributes["serious_mental_illness"] == "mental_health"
    assert attributes["booking_type"] == "detention"
    assert proposal.profile.event_type == "booking"
    assert "case_number" in proposal.unmapped  # kept as an attribute, not the row key
    assert_confidences(proposal)


def test_county_jail_booking_report_with_full_names() -> None:
    header = [
        "Booking #",
        "SO #",
        "Name",
        "DOB",
        "Race",
        "Sex",
        "Booking Date",
        "Release Date",
        "Charge",
        "Booking Type",
    ]
    rows = [
        ["24-0001", "S100", "DIAZ, ANA M", "04/02/1980", "W", "F", "01/03/2024 02:10", "01/05/2024 10:00", "DUI", "Booking"],
        ["24-0002", "S101", "LEE, BO", "11/30/1975", "B", "M", "01/04/2024 03:15", "", "THEFT 2", "Hold"],
        ["24-0003", "S100", "DIAZ, ANA", "04/02/1980", "W", "F", "02/10/2024 22:40", "02/11/2024 08:00", "DUI", "Booking"],
    ]  # fmt: skip
    proposal = propose_mapping(make_table(header, rows, "Booking Report 2024-01.xlsx"))
    profile = proposal.profile
    assert proposal.layout == "jail_bookings"
    assert profile.fields["source_key"] == "Booking #"
    assert profile.fields["agency_person_id"] == "SO #"
    assert profile.fields["full_name"] == "Name"
    assert profile.name_order == "last_comma_first"
    assert (profile.fields["event_start"], profile.fields["event_end"]) == ("Booking Date", "Release Date")
    assert profile.attributes == {"charge": "Charge", "booking_type": "Booking Type"}
    assert profile.event_type == "booking"
    assert profile.file_pattern == "Booking Report *.xlsx"
    assert "known name for dob" in proposal.reasons["dob"]
    assert proposal.confidence["dob"] > 0.9  # the header says so and the values agree


def test_emergency_department_visits() -> None:
    header = ["MRN", "Visit ID", "Last Name", "First Name", "DOB", "Sex", "Admit Date/Time", "Discharge Date/Time"]
    header += ["Chief Complaint", "Discharge Disposition", "Facility", "Patient Zip"]
    rows = [
        ["M77", "V1", "Diaz", "Ana", "1980-04-02", "F", "2024-02-01 23:50", "2024-02-02 04:10", "intox", "Home", "St Mary", "97201"],
        ["M77", "V2", "Diaz", "Ana", "1980-04-02", "F", "2024-03-11 01:20", "2024-03-11 06:00", "fall", "Home", "St Mary", "97201"],
    ]  # fmt: skip
    proposal = propose_mapping(make_table(header, rows, "ed.xlsx"))
    fields = proposal.profile.fields
    assert proposal.layout == "ed_visits"
    assert (fields["agency_person_id"], fields["source_key"]) == ("MRN", "Visit ID")
    assert (fields["event_start"], fields["event_end"]) == ("Admit Date/Time", "Discharge Date/Time")
    assert fields["zip"] == "Patient Zip"
    assert proposal.profile.attributes["disposition"] == "Discharge Disposition"
    assert proposal.profile.attributes["facility"] == "Facility"
    assert proposal.profile.event_type == "ed_visit"


def test_behavioral_health_services() -> None:
    header = ["Client ID", "Last Name", "First Name", "Birth Date", "Service Date", "Service Type", "Provider"]
    rows = [
        ["C1", "Diaz", "Ana", "1980-04-02", "2024-01-09", "detox", "Dr X"],
        ["C1", "Diaz", "Ana", "1980-04-02", "2024-01-10", "detox", "Dr X"],
    ]
    proposal = propose_mapping(make_table(header, rows, "bh.csv"))
    assert proposal.layout == "bh_services"
    assert proposal.profile.fields["agency_person_id"] == "Client ID"
    assert proposal.profile.fields["event_start"] == "Service Date"
    assert proposal.profile.attributes["service_type"] == "Service Type"
    assert "source_key" not in proposal.profile.fields  # Client ID repeats: rows are fingerprinted instead


def test_cad_calls_court_cases_and_probation() -> None:
    cad = propose_mapping(
        make_table(
            ["Incident Number", "Call Time", "Nature", "Disposition", "Address", "Priority"],
            [["I-1", "2024-01-01 03:00:00", "WELFARE CHECK", "TRANSPORT", "1 Main St", 2]],
            "cad.csv",
        )
    )
    assert cad.layout == "cad_calls"
    assert cad.profile.fields["source_key"] == "Incident Number"
    assert cad.profile.fields["event_start"] == "Call Time"
    assert cad.profile.attributes["service_type"] == "Nature"
    assert cad.profile.event_type == "call_for_service"
    court = propose_mapping(
        make_table(
            [
                "Case Number",
                "Defendant ID",
                "Defendant Name",
                "Filing Date",
                "Charge",
                "Disposition",
                "Disposition Date",
            ],
            [["24CR1", "D9", "DIAZ, ANA", "2024-01-04", "THEFT", "GUILTY", "2024-03-01"]],
            "court.csv",
        )
    )
    assert court.layout == "court_cases"
    assert court.profile.fields["source_key"] == "Case Number"
    assert court.profile.fields["agency_person_id"] == "Defendant ID"
    assert court.profile.fields["event_end"] == "Disposition Date"
    probation = propose_mapping(
        make_table(
            [
                "Offender ID",
                "Case Number",
                "Supervision Start Date",
                "Supervision End Date",
                "Supervision Level",
                "Officer",
            ],
            [["O1", "24CR1", "2024-03-02", "2025-03-02", "HIGH", "Smith"]],
            "probation.csv",
        )
    )
    assert probation.layout == "probation_caseload"
    assert probation.profile.fields["agency_person_id"] == "Offender ID"
    assert probation.profile.fields["event_start"] == "Supervision Start Date"
    assert probation.profile.attributes["service_type"] == "Supervision Level"


def test_headers_that_say_nothing_are_mapped_from_their_contents() -> None:
    header = [f"Col{i}" for i in range(1, 11)]
    people = [
        ("DIAZ, ANA", "04/02/1980", "F", "W"),
        ("LEE, BO", "11/30/1975", "M", "B"),
        ("ROE, CY", "06/15/1990", "M", "H"),
    ]
    rows = []
    for i in range(30):
        name, dob, sex, race = people[i % 3]
        rows.append([
            f"24-{i:04d}", name, dob, sex, race, f"01/{i % 28 + 1:02d}/2024 02:{i:02d}",
            f"02/{i % 28 + 1:02d}/2024 10:00", ["97201", "97203"][i % 2], f"{i:03d}-45-6789", "Y" if i % 4 else "N",
        ])  # fmt: skip
    proposal = propose_mapping(make_table(header, rows, "jail_dump.csv"))
    fields = proposal.profile.fields
    assert proposal.layout is None
    assert fields == {
        "source_key": "Col1",
        "full_name": "Col2",
        "dob": "Col3",
        "sex": "Col4",
        "race": "Col5",
        "event_start": "Col6",
        "event_end": "Col7",
        "zip": "Col8",
        "ssn": "Col9",
    }
    assert proposal.profile.name_order == "last_comma_first"
    assert proposal.unmapped == ["Col10"]
    assert "dates of birth" in proposal.reasons["dob"]
    assert all(proposal.confidence[f] < 0.9 for f in fields)  # guesses from contents are marked as such
    assert_confidences(proposal)


def test_content_puts_the_earlier_date_time_first() -> None:
    rows = [[f"2024-01-0{d} 10:00", f"2024-01-0{d} 08:{d:02d}", f"K{d}"] for d in range(1, 8)]
    proposal = propose_mapping(make_table(["A", "B", "C"], rows))
    assert proposal.profile.fields["event_start"] == "B"
    assert proposal.profile.fields["event_end"] == "A"


def test_a_row_key_only_where_the_column_is_unique_and_filled() -> None:
    header = ["Booking Number", "Name", "Booking Date", "Location"]
    rows = [
        ["B1", "DIAZ, ANA", "2024-01-01", "Cell 1"],
        ["B1", "DIAZ, ANA", "2024-01-01", "Cell 2"],  # DSSG-style: one row per location change
        ["B2", "LEE, BO", "2024-01-02", "Cell 1"],
    ]
    table = make_table(header, rows)
    proposal = propose_mapping(table)
    assert "source_key" not in proposal.profile.fields
    bound = bind_profile(proposal.profile, table.header, table.label)
    keys = [bound.map_row(r).fields["source_key"] for r in table.rows]
    assert all(bound.map_row(r).key_is_fingerprint for r in table.rows)
    assert len(set(keys)) == 3
    assert keys[0] == row_fingerprint(header, rows[0])


def test_row_fingerprint_is_stable_across_exports() -> None:
    header, values = ["ID", "Name", "Date"], ["12", "Ana  Diaz", dt.date(2024, 1, 2)]
    same = row_fingerprint(header, values)
    assert same == row_fingerprint(header, ["12", " Ana Diaz ", "2024-01-02"])  # csv vs xlsx cells
    assert same == row_fingerprint(header, [12.0, "Ana Diaz", dt.date(2024, 1, 2)])
    assert same == row_fingerprint(["Date", "ID", "Name", "Empty"], [dt.date(2024, 1, 2), 12, "Ana Diaz", None])
    assert same != row_fingerprint(header, ["13", "Ana Diaz", dt.date(2024, 1, 2)])
    assert len(same) == 64


def test_a_header_whose_values_disagree_gets_low_confidence() -> None:
    proposal = propose_mapping(make_table(["DOB", "Case"], [["unknown", "C1"], ["n/a", "C2"]]))
    assert proposal.profile.fields["dob"] == "DOB"
    assert proposal.confidence["dob"] <= 0.6
    assert "do not look like" in proposal.reasons["dob"]


def test_day_first_dates_are_noticed() -> None:
    rows = [["C1", "25/03/1980"], ["C2", "02/04/1975"]]
    proposal = propose_mapping(make_table(["Client ID", "Date of Birth"], rows))
    assert proposal.profile.day_first is True
    assert "day_first" in proposal.reasons


def test_overrides_replace_the_guess() -> None:
    header = ["Booking #", "Name", "DOB", "Other Date", "Charge"]
    rows = [
        ["B1", "DIAZ, ANA", "1980-04-02", "1981-01-01", "DUI"],
        ["B2", "LEE, BO", "1975-11-30", "1976-01-01", "DUI"],
    ]
    proposal = propose_mapping(make_table(header, rows))
    changed = apply_overrides(
        proposal, {"dob": "other date", "charge": None, "name_order": "first_last", "event_type": "arrest"}
    )
    assert changed.profile.fields["dob"] == "Other Date"
    assert "charge" not in changed.profile.attributes
    assert changed.confidence["dob"] == 1.0
    assert changed.reasons["dob"] == "set by the user"
    assert changed.profile.name_order == "first_last"
    assert changed.profile.event_type == "arrest"
    assert set(changed.unmapped) == {"DOB", "Charge"}
    assert proposal.profile.fields["dob"] == "DOB"  # the original proposal is untouched
    moved = apply_overrides(proposal, {"event_start": "DOB"})
    assert moved.profile.fields["event_start"] == "DOB"
    assert "dob" not in moved.profile.fields  # a column holds one field
    with pytest.raises(MappingError, match='no column "Birthday"'):
        apply_overrides(proposal, {"dob": "Birthday"})


def full_profile() -> MappingProfile:
    return MappingProfile(
        name="Jail bookings",
        source="jail",
        version=3,
        fields={"source_key": "Booking #", "full_name": 'Inmate "Name"', "dob": "DOB", "event_start": "Booked"},
        attributes={"charge": "Top Charge", "Bond $": "Bond $"},
        name_order="last_comma_first",
        day_first=False,
        event_type="booking",
        file_pattern="Booking*Report*.xlsx",
        layout="jail_bookings",
        keep_other_columns=False,
        day_first_by_column={"Booked": True},
        flags={"race": {"Race: White": "W", "Black": "B"}},
    )


def test_profile_toml_round_trip_is_commented_and_readable(tmp_path: Path) -> None:
    profile = full_profile()
    text = profile.to_toml()
    assert text.startswith("# DDJ Desktop mapping profile")
    assert 'source_key = "Booking #"' in text
    assert "# how full_name is written" in text
    assert MappingProfile.from_toml(text) == profile
    path = tmp_path / "profiles" / "jail.toml"
    save_profile(profile, path)
    assert load_profile(path) == profile


@settings(max_examples=60, deadline=None)
@given(columns=st.lists(st.text(min_size=1, max_size=12), min_size=2, max_size=2, unique=True))
def test_any_column_name_survives_the_round_trip(columns: list[str]) -> None:
    # Headers are never blank (the table finder names blank ones "Column N"); a profile's name is never blank.
    assume(all(c.strip() for c in columns))
    profile = MappingProfile(name=columns[0], fields={"dob": columns[0]}, attributes={columns[1]: columns[1]})
    assert MappingProfile.from_toml(profile.to_toml()) == profile


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name = "x"\n[fields]\ndob = DOB\n', "not valid TOML"),
        ('name = "x"\n[fields]\ndobb = "DOB"\n', 'unknown field "dobb" in \\[fields\\]. Did you mean "dob"'),
        ('name = "x"\n[fields]\ncharge = "Charge"\n', "move it under \\[attributes\\]"),
        ('name = "x"\nfeilds = 1\n', 'unknown setting "feilds". Did you mean "fields"'),
        ('name = "x"\nname_order = "surname first"\n', "name_order"),
        ('name = "x"\nday_first = "yes"\n', '"day_first" should be true or false'),
        ('[fields]\ndob = "DOB"\n', '"name" is missing'),
        ('name = "x"\n[flags.colour]\nRed = "R"\n', 'unknown field "colour" in \\[flags\\]'),
    ],
)
def test_bad_profiles_name_the_file_and_the_bad_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "county jail.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=expected) as caught:
        load_profile(path)
    assert "county jail.toml" in str(caught.value)


def test_check_profile_names_the_missing_column_and_the_closest() -> None:
    profile = MappingProfile(name="Jail", fields={"source_key": "Booking No", "dob": "DOB"})
    check_profile(profile, ["booking no", "DOB"], "jan.xlsx")  # case and spacing do not matter
    with pytest.raises(MappingError) as caught:
        check_profile(profile, ["Booking Nbr", "DOB", "Name"], "feb.xlsx")
    message = str(caught.value)
    assert "feb.xlsx" in message and '"Booking No"' in message and "'Booking Nbr'" in message
    assert '"DOB"' not in message


def test_library_offers_last_months_profile_again(tmp_path: Path) -> None:
    library = ProfileLibrary(tmp_path / "profiles")
    header = ["Booking #", "Name", "DOB", "Booking Date"]
    profile = MappingProfile(
        name="County jail bookings",
        fields={"source_key": "Booking #", "full_name": "Name", "dob": "DOB", "event_start": "Booking Date"},
        file_pattern=file_pattern_for("Booking Report 2024-01.xlsx"),
    )
    path = library.save(profile)
    assert path.name == "county_jail_bookings.toml"
    (tmp_path / "profiles" / "broken.toml").write_text("name = ", encoding="utf-8")
    assert library.suggest("Booking Report 2024-02.xlsx", header) == profile
    assert library.suggest("booking report 2024-02.XLSX", header) == profile
    assert library.suggest("Booking Report 2024-02.xlsx", header[:3]) is None  # a mapped column is gone
    assert library.suggest("calls 2024-02.xlsx", header) is None
    assert len(library.problems) == 1 and "broken.toml" in str(library.problems[0])


def test_every_canonical_field_has_synonyms() -> None:
    from ddj_desktop.importing.mapping import FIXED_ATTRIBUTES, synonyms

    fields, attributes = synonyms()
    assert set(fields) == set(CANONICAL_FIELDS)
    assert set(attributes) == set(FIXED_ATTRIBUTES)


def test_one_placeholder_birth_date_does_not_hide_a_dob_column() -> None:
    births = [dt.date(1950 + n % 50, 1 + n % 12, 1 + n % 28) for n in range(120)] + [dt.date(1900, 1, 1)]
    table = make_table(["Booking No", "Birth"], [[f"B{n}", d] for n, d in enumerate(births)], "bookings.xlsx")
    proposal = propose_mapping(table)
    assert proposal.profile.fields.get("dob") == "Birth"
    assert proposal.confidence["dob"] >= 0.6


def test_compact_birth_dates_are_recognised() -> None:
    rows = [[f"26CR{n:05d}", f"{1950 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}"] for n in range(100)]
    proposal = propose_mapping(make_table(["Case Number", "DOB"], rows, "court_cases.csv"))
    assert proposal.profile.fields.get("dob") == "DOB"
    assert proposal.confidence["dob"] > 0.9


def test_birth_dates_with_month_names_are_recognised() -> None:
    months = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    rows = [[f"V{n}", f"{1 + n % 28:02d}-{months[n % 12]}-{1950 + n % 50}"] for n in range(100)]
    proposal = propose_mapping(make_table(["Visit ID", "DOB"], rows, "ed.xlsx"))
    assert proposal.confidence["dob"] > 0.9


def test_nemsis_sex_codes_confirm_the_layout() -> None:
    rows = [[f"R{n}", ("9919001", "9919003", "9919005")[n % 3]] for n in range(60)]
    proposal = propose_mapping(make_table(["eRecord.01", "ePatient.25"], rows, "ems.csv"))
    assert proposal.profile.fields.get("sex") == "ePatient.25"
    assert proposal.confidence["sex"] > 0.9


def test_a_word_for_the_rows_person_before_a_known_name() -> None:
    """'Patient Last Name', 'Defendant DOB', 'Pt Zip': the person's fields, though no list names them so."""
    header = ["Visit ID", "Patient Last Name", "Patient First", "Patient Middle Initial", "Defendant DOB", "Pt Zip"]
    header += ["Patient Legal Last Name", "Victim Last Name", "Victim First Name", "Caller Name"]
    rows = [
        ["V1", "Núñez", "José", "A", "03/02/1985", "95051", "Núñez", "Smith", "Ann", "Bo Lee"],
        ["V2", "Diaz", "Ana", "", "04/05/1970", "95050", "Diaz", "Jones", "Tom", "Al Roe"],
    ]  # fmt: skip
    proposal = propose_mapping(make_table(header, rows, "visits.csv"))
    fields = proposal.profile.fields
    assert (fields["last_name"], fields["first_name"]) == ("Patient Last Name", "Patient First")
    assert fields["middle_name"] == "Patient Middle Initial"
    assert (fields["dob"], fields["zip"]) == ("Defendant DOB", "Pt Zip")
    assert "after a word for the person the row is about" in proposal.reasons["last_name"]
    # Another person's name in the row is never taken for the person's own.
    mapped = {*fields.values(), *proposal.profile.attributes.values()}
    assert not mapped & {"Victim Last Name", "Victim First Name", "Caller Name"}
    assert "full_name" not in fields


def test_a_plain_name_wins_over_one_with_a_subject_word() -> None:
    header = ["Client Last Name", "Last Name", "First Name", "DOB"]
    rows = [["Doe", "Roe", "Jim", "1980-01-01"], ["Poe", "Moe", "Al", "1981-01-01"]]
    fields = propose_mapping(make_table(header, rows)).profile.fields
    assert fields["last_name"] == "Last Name"


def test_nemsis_element_ids_inside_report_writer_headers() -> None:
    """EMS report writers head columns 'Patient Last Name (ePatient.02)' or 'ePatient.03 - First Name'; a
    disposition such as 'Patient Treated, Transported by this EMS Unit' is not a 'LAST, FIRST' name, and a Not
    Recorded code among the dates of birth does not hide them."""
    header = [
        "Incident Number (eResponse.03)", "Patient Care Report Number (eRecord.01)", "Patient Last Name (ePatient.02)",
        "ePatient.03 - First Name", "Date of Birth (ePatient.17)", "Sex (ePatient.25)", "SSN [ePatient.12]",
        "Unit Notified by Dispatch Date/Time (eTimes.03)", "Incident Patient Disposition (eDisposition.12)",
    ]  # fmt: skip
    rows = [
        [f"I-{n}", f"PCR-{n}", ("DIAZ", "LEE", "ROE")[n % 3], ("ANA", "BO", "CY")[n % 3],
         "7701003" if n % 4 == 0 else f"0{1 + n % 9}/1{n % 9}/19{60 + n}", "9906001", "7701003",
         f"2024-04-0{1 + n % 9}T10:00:00-06:00", "Patient Treated, Transported by this EMS Unit"]
        for n in range(12)
    ]  # fmt: skip
    proposal = propose_mapping(make_table(header, rows, "ems_report.csv"))
    fields = proposal.profile.fields
    assert proposal.layout == "nemsis_v3"
    assert (fields["source_key"], fields["last_name"], fields["first_name"]) == (
        "Patient Care Report Number (eRecord.01)", "Patient Last Name (ePatient.02)", "ePatient.03 - First Name",
    )  # fmt: skip
    assert (fields["dob"], fields["sex"], fields["ssn"]) == (
        "Date of Birth (ePatient.17)", "Sex (ePatient.25)", "SSN [ePatient.12]",
    )  # fmt: skip
    assert fields["event_start"] == "Unit Notified by Dispatch Date/Time (eTimes.03)"
    assert "full_name" not in fields
    assert proposal.profile.attributes["disposition"] == "Incident Patient Disposition (eDisposition.12)"


def test_a_known_name_inside_a_longer_header() -> None:
    """'DOB (MM/DD/YYYY)', 'Last Name (Legal)': the name before the note counts where no header says it plainly;
    a note about someone else ('Last Name (AKA)') never does."""
    header = ["Case No", "Last Name (AKA)", "Last Name (Legal)", "First Name", "DOB (MM/DD/YYYY)"]
    rows = [[f"C{n}", "ROE", ("DIAZ", "LEE")[n % 2], ("ANA", "BO")[n % 2], f"0{1 + n}/12/1980"] for n in range(6)]
    fields = propose_mapping(make_table(header, rows, "court.csv")).profile.fields
    assert fields["last_name"] == "Last Name (Legal)"
    assert fields["dob"] == "DOB (MM/DD/YYYY)"
    assert "Last Name (AKA)" not in fields.values()
    # with a plain 'Last Name' beside it, the plain one wins
    fields = propose_mapping(make_table(["Last Name (Legal)", "Last Name"], [["A", "B"], ["C", "D"]])).profile.fields
    assert fields["last_name"] == "Last Name"


def test_a_time_column_beside_its_date_column() -> None:
    """'Booking Date' + 'Booking Time', 'Release Date' + 'Release Time': each time goes with its date; a 'time'
    column holding whole date-times is an event time of its own."""
    header = ["Booking Number", "Last Name", "First Name", "Booking Date", "Booking Time", "Release Date",
              "Release Time"]
    rows = [[f"B{n}", "DIAZ", "ANA", f"2024-01-{1 + n:02d} 00:00:00.000", f"{8 + n}:15", f"2024-02-{1 + n:02d}",
             f"{10 + n:02d}30"] for n in range(8)]
    proposal = propose_mapping(make_table(header, rows, "jail.csv"))
    fields = proposal.profile.fields
    assert (fields["event_start"], fields["event_start_time"]) == ("Booking Date", "Booking Time")
    assert (fields["event_end"], fields["event_end_time"]) == ("Release Date", "Release Time")
    assert "holds the time of day of 'Booking Date'" in proposal.reasons["event_start_time"]
    # dates that carry their own times take no time column; a 'Release Time' of whole date-times is the end
    rows = [[f"B{n}", f"2024-01-0{1 + n} 13:45", f"2024-01-0{2 + n} 09:30"] for n in range(6)]
    fields = propose_mapping(make_table(["Booking Number", "Booking Date", "Release Time"], rows)).profile.fields
    assert fields["event_start"] == "Booking Date"
    assert fields["event_end"] == "Release Time"
    assert "event_start_time" not in fields and "event_end_time" not in fields


def test_names_without_a_comma_are_read_in_the_order_their_given_names_show() -> None:
    """'SMITH JOHN A' (a probation system's LAST FIRST M) and 'John A. Smith' are told apart by which word is a
    given name; names that say nothing ('LEE JAMES') leave the guess to be checked."""
    last_first = ["OBRIEN PATRICK", "DE LA CRUZ ANA M", "GARCIA LOPEZ MARIA", "NGUYEN THI", "WASHINGTON DEREK JR"]
    proposal = propose_mapping(make_table(["Offender Name"], [[n] for n in last_first], "probation.csv"))
    assert proposal.profile.name_order == "last_first"
    assert "read as 'LAST FIRST'" in proposal.reasons["name_order"]
    first_last = ["Patrick O'Brien", "Ana M. De La Cruz", "Derek Washington Jr", "Thi Nguyen"]
    proposal = propose_mapping(make_table(["Client Name"], [[n] for n in first_last], "bh.csv"))
    assert proposal.profile.name_order == "first_last"
    assert "check this" not in proposal.reasons["name_order"]
    proposal = propose_mapping(make_table(["Client Name"], [["LEE JAMES"], ["THOMAS HENRY"]], "bh.csv"))
    assert proposal.profile.name_order == "first_last"
    assert "check this" in proposal.reasons["name_order"]


@pytest.mark.parametrize("header", ["Charge Severity", "Grade", "Offense Degree", "Crime Class"])
def test_the_names_courts_give_a_charges_level(header: str) -> None:
    rows = [["24CR1", "THEFT", "Felony Class 4"], ["24CR2", "DUI", "Misdemeanor Class A"], ["24CR3", "X", "M2"]]
    proposal = propose_mapping(make_table(["Case Number", "Charge Description", header], rows, "court.csv"))
    assert proposal.profile.attributes["charge_level"] == header


def test_a_header_of_punctuation_only_does_not_stop_the_proposal() -> None:
    proposal = propose_mapping(make_table([":", "(ePatient.02)", "[]"], [["a", "DIAZ", "x"], ["b", "LEE", "y"]]))
    assert proposal.profile.fields.get("last_name") == "(ePatient.02)"
