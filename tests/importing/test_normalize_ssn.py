"""SSNs: nine digits when real, last four when masked, nothing (and INVALID) when fake or impossible."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddj_desktop.importing.normalize import Quality, SsnResult, normalize_ssn, normalize_ssns


@pytest.mark.parametrize(
    "raw", ["234-56-7890", "234 56 7890", "234567890", 234567890, 234567890.0, "234567890.0", " 234.56.7890 "]
)
def test_full_ssn_in_any_spelling(raw):
    assert normalize_ssn(raw) == SsnResult("234567890", "7890", Quality.KNOWN)


def test_excel_lost_leading_zero_is_restored_for_eight_digits():
    assert normalize_ssn(12345678) == SsnResult("012345678", "5678", Quality.KNOWN)
    assert normalize_ssn("12345678") == SsnResult("012345678", "5678", Quality.KNOWN)
    assert normalize_ssn("23-45-6789") == SsnResult("023456789", "6789", Quality.KNOWN)  # formatted, not padded


@pytest.mark.parametrize("raw", ["123-45-678", "123 45 678", "12-345-678"])
def test_a_written_ssn_short_of_a_digit_is_not_padded(raw):
    """A dashed SSN with a digit missing at the end was mistyped: padding it would make another person's number."""
    found = normalize_ssn(raw)
    assert found.ssn is None and found.quality == Quality.INVALID and "9 digits" in found.problem


@pytest.mark.parametrize("raw", [1234567, "12345", 1234567890, "2345678901"])
def test_wrong_number_of_digits_is_invalid(raw):
    result = normalize_ssn(raw)
    assert (result.ssn, result.last4, result.quality) == (None, None, Quality.INVALID)
    assert "9 digits" in result.problem


@pytest.mark.parametrize("raw", ["xxx-xx-1234", "XXX-XX-1234", "***-**-1234", "xxxxx1234", "###-##-1234"])
def test_masked_ssn_keeps_the_last_four(raw):
    result = normalize_ssn(raw)
    assert (result.ssn, result.last4, result.quality, result.problem) == (None, "1234", Quality.PARTIAL, None)
    assert result.pattern == "xxxxx1234"


def test_hmis_unknown_digits_anywhere():
    result = normalize_ssn("23456xxxx")
    assert (result.ssn, result.last4, result.quality, result.pattern) == (None, None, Quality.PARTIAL, "23456xxxx")
    assert normalize_ssn("2345x7890") == SsnResult(None, "7890", Quality.PARTIAL, None, "2345x7890")
    assert normalize_ssn("xxx-xx-xxxx").quality is Quality.DOESNT_KNOW


def test_last_four_only():
    assert normalize_ssn("1234") == SsnResult(None, "1234", Quality.PARTIAL)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("000-12-3456", "area 000"),
        ("666-12-3456", "area 666"),
        ("900-12-3456", "900-999"),
        ("999-12-3456", "900-999"),
        ("234-00-5678", "group 00"),
        ("234-56-0000", "serial 0000"),
        ("123-45-6789", "example or fake"),
        ("078-05-1120", "example or fake"),
        ("219-09-9999", "example or fake"),
        ("111-11-1111", "all digits the same"),
        (999999999, "all digits the same"),
        ("xxx-xx-0000", "serial 0000"),
        ("abc", "not an SSN"),
        (True, "not an SSN"),
        (1.5, "not an SSN"),
    ],
)
def test_invalid_ssns_never_keep_digits(raw, why):
    result = normalize_ssn(raw)
    assert (result.ssn, result.last4, result.quality) == (None, None, Quality.INVALID)
    assert why in result.problem
    digits = re.sub(r"\D", "", str(raw))
    assert len(digits) < 9 or digits not in result.problem  # the reject report must not repeat the SSN


@pytest.mark.parametrize(
    ("raw", "quality"),
    [
        (None, Quality.MISSING),
        ("", Quality.MISSING),
        ("Refused", Quality.REFUSED),
        ("Unknown", Quality.DOESNT_KNOW),
        (7701003, Quality.NOT_COLLECTED),
        ("8801019", Quality.REFUSED),
    ],
)
def test_missing_and_reason_codes(raw, quality):
    assert normalize_ssn(raw) == SsnResult(None, None, quality)


def test_column_level_matches_per_value():
    column = ["234-56-7890", None, 234567890, "xxx-xx-1234", "234-56-7890"]
    assert normalize_ssns(column) == [normalize_ssn(v) for v in column]


@given(
    st.one_of(
        st.none(),
        st.text(max_size=15),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.from_regex(r"[0-9xX*]{3}-?[0-9xX*]{2}-?[0-9xX*]{4}", fullmatch=True),
    )
)
def test_normalize_ssn_never_raises_and_invalid_keeps_nothing(value):
    result = normalize_ssn(value)
    assert result.quality in Quality
    if result.ssn is not None:
        assert len(result.ssn) == 9 and result.ssn.isdigit() and result.last4 == result.ssn[5:]
        assert result.quality is Quality.KNOWN
    if result.quality is Quality.INVALID:
        assert result.ssn is None and result.last4 is None and result.problem
    if result.last4 is not None:
        assert len(result.last4) == 4 and result.last4.isdigit() and result.last4 != "0000"
