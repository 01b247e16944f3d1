"""Names: one spelling, split into parts from any column layout, test and unidentified records spotted."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddj_desktop.importing.normalize import (
    NameParts,
    is_test_record,
    is_unidentified_person,
    normalize_name,
    normalize_name_columns,
    split_full_name,
    split_full_names,
    split_name_columns,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Núñez", "NUNEZ"),
        ("Ďurková", "DURKOVA"),
        ("O'Brien", "OBRIEN"),
        ("O’Brien", "OBRIEN"),
        ("  mc\u00a0donald  ", "MC DONALD"),
        ("Smith  -  Jones", "SMITH-JONES"),
        ("Mary-Ann", "MARY-ANN"),
        ("St. John", "ST JOHN"),
        ("Strauß", "STRAUSS"),
        ("Łukasz", "LUKASZ"),
        ("J.", "J"),
        ("NA", "NA"),  # a real Korean surname
        ("Doe", "DOE"),
    ],
)
def test_normalize_name_gives_one_spelling(raw, expected):
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "UNKNOWN", "unk", "N/A", "#N/A", "NULL", "None", "NFN", "FNU", "NMN", "-", "?", "XXX", 12]
)
def test_normalize_name_drops_empty_and_placeholder_values(raw):
    assert normalize_name(raw) is None


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("SMITH, JOHN A", None, NameParts("JOHN", "A", "SMITH")),
        ("SMITH, JOHN ANDREW", None, NameParts("JOHN", "ANDREW", "SMITH")),
        ("SMITH,JOHN A.", None, NameParts("JOHN", "A", "SMITH")),
        ("SMITH JR, JOHN A", None, NameParts("JOHN", "A", "SMITH", "JR")),
        ("SMITH, JOHN A JR", None, NameParts("JOHN", "A", "SMITH", "JR")),
        ("SMITH, JOHN, III", None, NameParts("JOHN", None, "SMITH", "III")),
        ("John M. Smith, Jr", None, NameParts("JOHN", "M", "SMITH", "JR")),
        ("John M Smith Jr.", None, NameParts("JOHN", "M", "SMITH", "JR")),
        ("John Smith 3rd", None, NameParts("JOHN", None, "SMITH", "III")),
        ("John Smith", None, NameParts("JOHN", None, "SMITH")),
        ("John V Smith", None, NameParts("JOHN", "V", "SMITH")),  # V is an initial, not a suffix
        ("SMITH JOHN M", "last_first", NameParts("JOHN", "M", "SMITH")),
        ("SMITH JR JOHN A", "last_first", NameParts("JOHN", "A", "SMITH", "JR")),
        ("SMITH JOHN V", "last_first", NameParts("JOHN", "V", "SMITH")),
        ("SMITH JOHN", "last_comma_first", NameParts("JOHN", None, "SMITH")),  # comma forgotten
        ("SMITH, JOHN", "first_last", NameParts("JOHN", None, "SMITH")),  # a comma always means last first
        ("Juan de la Cruz", None, NameParts("JUAN", None, "DE LA CRUZ")),
        ("DE LA CRUZ, JUAN", None, NameParts("JUAN", None, "DE LA CRUZ")),
        ("DE LA CRUZ JUAN", "last_first", NameParts("JUAN", None, "DE LA CRUZ")),
        ("Ludwig van der Berg", None, NameParts("LUDWIG", None, "VAN DER BERG")),
        ("GARCIA LOPEZ, MARIA", None, NameParts("MARIA", None, "GARCIA LOPEZ")),
        ("García López, María José", None, NameParts("MARIA", "JOSE", "GARCIA LOPEZ")),
        ("Mary-Ann Smith-Jones", None, NameParts("MARY-ANN", None, "SMITH-JONES")),
        ("O'Neil, Shaquille", None, NameParts("SHAQUILLE", None, "ONEIL")),
        ("SMITH", None, NameParts(None, None, "SMITH")),
        ("SMITH,", None, NameParts(None, None, "SMITH")),
        # nicknames and aliases are not part of the name (the cell as sent is kept beside it)
        ('SMITH, JOHN A "JOHNNY"', None, NameParts("JOHN", "A", "SMITH")),
        ("SMITH, JOHN A (JOHNNY)", None, NameParts("JOHN", "A", "SMITH")),
        ('John "Jack" Smith', None, NameParts("JOHN", None, "SMITH")),
        ("SMITH, JOHN A AKA JOHNNY BROWN", None, NameParts("JOHN", "A", "SMITH")),
        ("SMITH, JOHN A, A/K/A BROWN, JOHNNY", None, NameParts("JOHN", "A", "SMITH")),
        ("John Smith aka Johnny Brown", None, NameParts("JOHN", None, "SMITH")),
        ("AKANDE, JOHN", None, NameParts("JOHN", None, "AKANDE")),
        ("AKA, JOHN", None, NameParts("JOHN", None, "AKA")),  # a surname, not an alias marker
        ("UNKNOWN", None, NameParts()),
        ("", None, NameParts()),
        (None, "last_first", NameParts()),
    ],
)
def test_split_full_name_reads_every_common_layout(raw, order, expected):
    assert split_full_name(raw, order) == expected


def test_split_full_name_rejects_an_unknown_order():
    with pytest.raises(ValueError, match="unknown name order"):
        split_full_name("SMITH, JOHN", "surname_first")


def test_split_full_names_gives_one_result_per_row():
    column = ["SMITH, JOHN", None, "SMITH, JOHN", "Jane Doe"]
    assert split_full_names(column) == [
        NameParts("JOHN", None, "SMITH"),
        NameParts(),
        NameParts("JOHN", None, "SMITH"),
        NameParts("JANE", None, "DOE"),
    ]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (("John", "a.", "Smith", "Jr."), NameParts("JOHN", "A", "SMITH", "JR")),
        (("John", None, "Smith Jr", None), NameParts("JOHN", None, "SMITH", "JR")),
        (("John", None, "Smith, Jr.", None), NameParts("JOHN", None, "SMITH", "JR")),
        (("John Jr", None, "Smith", None), NameParts("JOHN", None, "SMITH", "JR")),
        (("John A", None, "Smith", None), NameParts("JOHN", "A", "SMITH")),
        (("Mary Ann", None, "Smith", None), NameParts("MARY ANN", None, "SMITH")),
        (("John", "JR", "Smith", None), NameParts("JOHN", None, "SMITH", "JR")),
        (("John", "NMN", "Smith", "2nd"), NameParts("JOHN", None, "SMITH", "II")),
        (("John", None, "Smith", "N/A"), NameParts("JOHN", None, "SMITH")),
        ((None, None, "SMITH, JOHN A", None), NameParts("JOHN", "A", "SMITH")),
        (("FNU", None, "Núñez", None), NameParts(None, None, "NUNEZ")),
    ],
)
def test_split_name_columns_normalizes_and_pulls_out_suffixes(columns, expected):
    assert split_name_columns(*columns) == expected


def test_normalize_name_columns_accepts_missing_columns():
    result = normalize_name_columns(firsts=["John", "Ana"], lasts=["Smith Jr", "Núñez"])
    assert result == [NameParts("JOHN", None, "SMITH", "JR"), NameParts("ANA", None, "NUNEZ")]
    assert normalize_name_columns() == []


def test_normalize_name_columns_refuses_columns_of_different_length():
    with pytest.raises(ValueError, match="differ in length"):
        normalize_name_columns(firsts=["a"], lasts=["b", "c"])


@pytest.mark.parametrize(
    "raw",
    [
        "TEST PATIENT",
        "DOE, JOHN TEST",
        "TEST, TEST",
        "ZZTEST",
        "PATIENT, TEST",
        "ZZZ, ANNA",
        "TEST, PATIENT",
        "Dummy, Patient",
        "SMITH, JOHN DO NOT USE",
        "Mickey Mouse",
        "TESTING, ONE",
    ],
)
def test_test_records_are_recognized(raw):
    assert is_test_record(None, raw)
    assert is_test_record(split_full_name(raw))


@pytest.mark.parametrize(
    "raw",
    ["TESTA, MARIA", "Tester, John", "TEST, JOHN", "John Doe", "Contest, Ann", "Smith, John", "", None],
)
def test_real_people_with_testlike_names_are_not_test_records(raw):
    assert not is_test_record(None, raw)


def test_test_record_from_parts_of_separate_columns():
    assert is_test_record(split_name_columns("Test", None, "Smith"))
    assert not is_test_record(split_name_columns("Ann", None, "Test"))
    assert is_test_record(NameParts("ANN", "TEST", "SMITH"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JOHN DOE", True),
        ("DOE, JANE", True),
        ("TRAUMA, ALPHA", True),
        ("UNKNOWN, MALE", True),
        ("DOE, RICHARD", False),
        ("SMITH, JOHN", False),
        ("DOE", True),
    ],
)
def test_unidentified_person_names(raw, expected):
    assert is_unidentified_person(split_full_name(raw)) is expected


_CELLS = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(), st.booleans())


@given(_CELLS, st.sampled_from([None, "last_comma_first", "first_last", "last_first"]))
def test_name_functions_never_raise_and_give_clean_upper_case(value, order):
    parts = split_full_name(value, order)
    for part in (parts.first, parts.middle, parts.last, normalize_name(value)):
        assert part is None or (part == part.strip() and part.isascii() and part.upper() == part and "  " not in part)
    assert parts.suffix in (None, "JR", "SR", "II", "III", "IV", "V")
    is_test_record(parts, value if isinstance(value, str) else None)
    is_unidentified_person(parts)
