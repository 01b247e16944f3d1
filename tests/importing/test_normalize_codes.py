"""Codes: sex, race, ethnicity, yes/no, ZIP and data-quality codes mapped onto one vocabulary."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddj_desktop.importing.normalize import (
    ETHNICITIES,
    RACES,
    SEXES,
    Quality,
    ethnicity_from_hmis_flags,
    missing_reason,
    normalize_ethnicities,
    normalize_ethnicity,
    normalize_race,
    normalize_races,
    normalize_sex,
    normalize_sexes,
    normalize_yes_no,
    normalize_yes_nos,
    normalize_zip,
    normalize_zips,
    quality_from_code,
    race_from_hmis_flags,
    sex_codes_of,
    sex_from_hmis_gender_flags,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("F", "female"),
        ("f", "female"),
        ("Female", "female"),
        (" FEMALE ", "female"),
        (0, "female"),
        ("0", "female"),
        (9919001, "female"),
        ("9919001", "female"),
        (9906001, "female"),
        ("M", "male"),
        ("Male", "male"),
        (1, "male"),
        (1.0, "male"),
        (9919003, "male"),
        (9906003, "male"),
        ("MT", "other"),
        ("FT", "other"),
        ("O", "other"),
        ("Non-binary", "other"),
        ("D", None),
        ("R", None),
        ("N", None),
        (8, None),
        (9, None),
        (99, None),
        (9919005, None),
        ("Unknown", None),
        (None, None),
        ("", None),
        (True, None),
    ],
)
def test_normalize_sex(raw, expected):
    assert normalize_sex(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("W", "white"),
        ("White", "white"),
        ("CAUCASIAN", "white"),
        (2514011, "white"),
        ("2106-3", "white"),
        ("B", "black_af_american"),
        ("Black or African American", "black_af_american"),
        (2514005, "black_af_american"),
        ("A", "asian"),
        (2514003, "asian"),
        ("I", "am_ind_ak_native"),
        (2514001, "am_ind_ak_native"),
        ("P", "native_hi_pacific"),
        (2514009, "native_hi_pacific"),
        ("H", "hispanic_latinaeo"),
        (2514007, "hispanic_latinaeo"),
        (2514013, "mid_east_n_african"),
        ("Middle Eastern", "mid_east_n_african"),
        ("O", "other"),
        ("Two or more races", "multiple"),
        ("Multi", "multiple"),
        ("AI/AN", "am_ind_ak_native"),
        ("Asian Indian", "asian"),
        ("Chinese", "asian"),
        ("Samoan", "native_hi_pacific"),
        ("Arab", "mid_east_n_african"),
        ("Indian", None),  # American or Asian Indian: cannot be told
        ("White; Black", "multiple"),
        ("W,B,A", "multiple"),
        ("White/Hispanic", "white"),
        ("D", None),
        ("R", None),
        ("N", None),
        ("Unknown", None),
        (7701003, None),
        (None, None),
        (True, None),
    ],
)
def test_normalize_race(raw, expected):
    assert normalize_race(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HISPANIC", "hispanic"),
        ("H", "hispanic"),
        ("Hispanic/Latin(a)(o)(x)", "hispanic"),
        ("Hispanic/Latina/e/o", "hispanic"),  # HUD's label since FY2024
        ("Not Hispanic or Latina/e/o", "non_hispanic"),
        ("Non Hisp", "non_hispanic"),
        (1, "hispanic"),
        (2514007, "hispanic"),
        ("2135-2", "hispanic"),
        ("Y", "hispanic"),
        (True, "hispanic"),
        ("NOT HISPANIC", "non_hispanic"),
        ("Non-Hispanic", "non_hispanic"),
        ("N", "non_hispanic"),
        (0, "non_hispanic"),
        ("Non-Hispanic/Non-Latin(a)(o)(x)", "non_hispanic"),
        ("2186-5", "non_hispanic"),
        ("INMATE DOESN'T KNOW", None),
        ("INMATE REFUSED", None),
        ("DATA NOT COLLECTED", None),
        (8, None),
        (None, None),
    ],
)
def test_normalize_ethnicity(raw, expected):
    assert normalize_ethnicity(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Y", True),
        ("yes", True),
        (1, True),
        (1.0, True),
        ("1", True),
        ("TRUE", True),
        (True, True),
        ("X", True),
        ("N", False),
        ("No", False),
        (0, False),
        ("0", False),
        ("false", False),
        (False, False),
        (8, None),
        (9, None),
        (99, None),
        ("99", None),
        ("Unknown", None),
        ("Refused", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        ("maybe", None),
    ],
)
def test_normalize_yes_no(raw, expected):
    assert normalize_yes_no(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02134", "02134"),
        ("02134-1234", "02134"),
        ("MA 02134", "02134"),  # with the state, as an address export writes it
        ("02134-", "02134"),  # a ZIP+4 left empty
        ("ABC 02134", None),
        ("021341234", "02134"),
        (2134, "02134"),
        (2134.0, "02134"),
        (21341234, "02134"),
        (90210, "90210"),
        (" 90210 ", "90210"),
        ("12345", "12345"),
        ("2134", "02134"),  # a csv saved from Excel, its leading zero lost
        ("501", "00501"),
        ("21", None),
        ("00000", None),
        ("99999", None),
        ("ABC12", None),
        ("K1A 0B1", None),
        ("", None),
        (None, None),
        (0, None),
        (-1, None),
        (1.5, None),
        (True, None),
        (1234567890, None),
    ],
)
def test_normalize_zip(raw, expected):
    assert normalize_zip(raw) == expected


def test_race_and_ethnicity_from_hmis_flags():
    assert race_from_hmis_flags({"White": 1, "Asian": 0}) == "white"
    assert race_from_hmis_flags({"White": "1", "BlackAfAmerican": "1"}) == "multiple"
    assert race_from_hmis_flags({"White": 1, "HispanicLatinaeo": 1}) == "white"
    assert ethnicity_from_hmis_flags({"White": 1, "HispanicLatinaeo": 1}) == "hispanic"
    assert race_from_hmis_flags({"HispanicLatinaeo": 1}) == "hispanic_latinaeo"
    assert ethnicity_from_hmis_flags({"White": 1}) == "non_hispanic"
    assert race_from_hmis_flags({"RaceNone": 9, "White": 0}) is None
    assert ethnicity_from_hmis_flags({"RaceNone": 9}) is None
    assert race_from_hmis_flags({"white": "1"}) == "white"  # header case varies between exports


def test_sex_from_hmis_gender_flags():
    assert sex_from_hmis_gender_flags({"Woman": 1, "Man": 0}) == "female"
    assert sex_from_hmis_gender_flags({"Man": "1"}) == "male"
    assert sex_from_hmis_gender_flags({"Woman": 1, "Transgender": 1}) == "other"
    assert sex_from_hmis_gender_flags({"NonBinary": 1}) == "other"
    assert sex_from_hmis_gender_flags({"GenderNone": 8, "Woman": 0}) is None
    assert sex_from_hmis_gender_flags({}) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, Quality.KNOWN),
        ("1", Quality.KNOWN),
        (2, Quality.PARTIAL),
        (8, Quality.DOESNT_KNOW),
        (9, Quality.REFUSED),
        (99, Quality.NOT_COLLECTED),
        ("99", Quality.NOT_COLLECTED),
        (99.0, Quality.NOT_COLLECTED),
        (7701001, Quality.NOT_COLLECTED),
        (7701003, Quality.NOT_COLLECTED),
        ("7701005", Quality.NOT_COLLECTED),
        (8801019, Quality.REFUSED),
        ("D", Quality.DOESNT_KNOW),
        ("R", Quality.REFUSED),
        ("N", Quality.NOT_COLLECTED),
        ("Refused", Quality.REFUSED),
        ("Unknown", Quality.DOESNT_KNOW),
        ("Client doesn't know", Quality.DOESNT_KNOW),
        ("Client prefers not to answer", Quality.REFUSED),
        ("Data not collected", Quality.NOT_COLLECTED),
        ("Full name reported", Quality.KNOWN),
        ("Partial, street name, or code name reported", Quality.PARTIAL),
        (None, None),
        ("", None),
        ("SMITH", None),
        (3, None),
    ],
)
def test_quality_from_code(raw, expected):
    assert quality_from_code(raw) == expected


def test_missing_reason_ignores_values_that_look_like_quality_codes():
    assert missing_reason(1) is None  # HMIS Sex 1 = Male, not "known"
    assert missing_reason("Full DOB reported") is None
    assert missing_reason(99) is Quality.NOT_COLLECTED
    assert missing_reason("Refused") is Quality.REFUSED


def test_a_column_of_iso_5218_sex_codes_reads_0_as_not_known():
    """ISO/IEC 5218 (and NCHS hospital data): 1 male, 2 female, 0 and 9 not known; HMIS FY2026 writes 0 for female.
    The column tells which: a 2, and no other number than 0, 1, 2 and 9."""
    iso = [0, 1, 2, 9, "2", 1.0, None, "M"]
    assert sex_codes_of(iso) == "iso5218"
    assert normalize_sexes(iso, sex_codes_of(iso)) == [None, "male", "female", None, "female", "male", None, "male"]
    hmis = [0, 1, 99, "1"]
    assert sex_codes_of(hmis) is None
    assert normalize_sexes(hmis, sex_codes_of(hmis)) == ["female", "male", None, "male"]
    assert sex_codes_of([1, 2, 3]) is None and sex_codes_of(["M", "F"]) is None


def test_column_functions_match_per_value():
    column = ["F", 1, None, "F", True, "W;B"]
    assert normalize_sexes(column) == [normalize_sex(v) for v in column]
    assert normalize_races(column) == [normalize_race(v) for v in column]
    assert normalize_ethnicities(column) == [normalize_ethnicity(v) for v in column]
    assert normalize_yes_nos(column) == [normalize_yes_no(v) for v in column]
    assert normalize_zips([2134, "02134-1", None]) == ["02134", None, None]


_CELLS = st.one_of(st.none(), st.text(max_size=20), st.integers(), st.floats(), st.booleans())


@given(_CELLS)
def test_code_functions_never_raise_and_stay_in_vocabulary(value):
    assert normalize_sex(value) in (*SEXES, None)
    assert normalize_race(value) in (*RACES, None)
    assert normalize_ethnicity(value) in (*ETHNICITIES, None)
    assert normalize_yes_no(value) in (True, False, None)
    zip5 = normalize_zip(value)
    assert zip5 is None or (len(zip5) == 5 and zip5.isdigit())
    assert quality_from_code(value) in (*Quality, None)
    assert missing_reason(value) in (*Quality, None)
