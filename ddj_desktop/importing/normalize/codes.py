"""Coded identity fields (sex, race, ethnicity, yes/no, ZIP) mapped onto one HMIS-based vocabulary.

The caller keeps the source's own code next to ours; these functions only give the shared meaning.
Unknown or reason-for-missing values give None (use `missing_reason` for the why). Code tables live in
codes.toml with their sources.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Literal, get_args

from ._text import code_key, load_table, map_distinct

Sex = Literal["female", "male", "other"]
Race = Literal[
    "am_ind_ak_native",
    "asian",
    "black_af_american",
    "native_hi_pacific",
    "white",
    "hispanic_latinaeo",
    "mid_east_n_african",
    "multiple",
    "other",
]
Ethnicity = Literal["hispanic", "non_hispanic"]

# The closed output vocabularies, read off the types so the two cannot drift apart.
SEXES: tuple[str, ...] = get_args(Sex)
RACES: tuple[str, ...] = get_args(Race)
ETHNICITIES: tuple[str, ...] = get_args(Ethnicity)

_CODES = load_table("codes.toml")
_SEX: dict[str, str] = _CODES["sex"]
_RACE: dict[str, str] = _CODES["race"]
_ETHNICITY: dict[str, str] = _CODES["ethnicity"]
_YES_NO: dict[str, bool] = _CODES["yes_no"]

# HMIS FY2024 Client.csv flag columns, in the spec's order.
HMIS_RACE_FLAGS: dict[str, str] = {
    "AmIndAKNative": "am_ind_ak_native",
    "Asian": "asian",
    "BlackAfAmerican": "black_af_american",
    "NativeHIPacific": "native_hi_pacific",
    "White": "white",
    "MidEastNAfrican": "mid_east_n_african",
    "HispanicLatinaeo": "hispanic_latinaeo",
}
HMIS_GENDER_FLAGS = (
    "Woman",
    "Man",
    "NonBinary",
    "CulturallySpecific",
    "Transgender",
    "Questioning",
    "DifferentIdentity",
)
_LIST_SEPARATORS = re.compile(r"\s*[;,|/&+]\s*|\s+AND\s+", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _lookup(table: str, key: str) -> str | None:
    return _CODES[table].get(key)


def _code(value: object, table: str) -> str | None:
    key = code_key(value)
    return None if key is None else _lookup(table, key)


def normalize_sex(value: object) -> Sex | None:
    """'female', 'male' or 'other' for a sex code or word (F/M/MT/FT/O, HMIS 0/1, NEMSIS 9919001 ...), else None."""
    if isinstance(value, bool):
        return None
    return _code(value, "sex")  # type: ignore[return-value]


def normalize_race(value: object) -> Race | None:
    """The race category of a code or word (jail W/B/A/I/P/H/O, NEMSIS 2514xxx, words), 'multiple' for a list of two+."""
    if isinstance(value, bool):
        return None
    found = _code(value, "race")
    if found is not None or not isinstance(value, str):
        return found  # type: ignore[return-value]
    races = {_code(part, "race") for part in _LIST_SEPARATORS.split(value) if part.strip()} - {None}
    if len(races) > 1:  # as with the HMIS flags, Hispanic beside a race is the ethnicity, not a second race
        races.discard("hispanic_latinaeo")
    if len(races) > 1:
        return "multiple"
    return races.pop() if races else None  # type: ignore[return-value]


def normalize_ethnicity(value: object) -> Ethnicity | None:
    """'hispanic' or 'non_hispanic' for a code or word (H/N, HMIS 0/1, 'NOT HISPANIC', NEMSIS 2514007), else None."""
    if isinstance(value, bool):
        return "hispanic" if value else "non_hispanic"  # a "Hispanic?" yes/no column
    return _code(value, "ethnicity")  # type: ignore[return-value]


def normalize_yes_no(value: object) -> bool | None:
    """True or False for Y/N, Yes/No, 1/0, True/False, HMIS 1/0; None for 8/9/99, 'Unknown' and anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    key = code_key(value)
    return None if key is None else _YES_NO.get(key)


def _flag_set(row: Mapping[str, object], name: str) -> bool:
    value = row.get(name)
    if value is None:
        value = next((v for k, v in row.items() if k.lower() == name.lower()), None)
    return normalize_yes_no(value) is True


def race_from_hmis_flags(row: Mapping[str, object]) -> Race | None:
    """The race of an HMIS FY2024 Client row from its flag columns (AmIndAKNative ... White): one, 'multiple', or None.

    HispanicLatinaeo counts as a race only when no other race is ticked; otherwise it is the ethnicity
    (see `ethnicity_from_hmis_flags`), so 'White' + 'HispanicLatinaeo' is white and hispanic.
    """
    ticked = [race for flag, race in HMIS_RACE_FLAGS.items() if _flag_set(row, flag)]
    races = [r for r in ticked if r != "hispanic_latinaeo"]
    if len(races) > 1:
        return "multiple"
    if races:
        return races[0]  # type: ignore[return-value]
    return "hispanic_latinaeo" if ticked else None


def ethnicity_from_hmis_flags(row: Mapping[str, object]) -> Ethnicity | None:
    """'hispanic' when the HMIS FY2024 HispanicLatinaeo flag is ticked, 'non_hispanic' when another race is, else None."""
    if _flag_set(row, "HispanicLatinaeo"):
        return "hispanic"
    return "non_hispanic" if race_from_hmis_flags(row) is not None else None


def sex_from_hmis_gender_flags(row: Mapping[str, object]) -> Sex | None:
    """'female' for Woman alone, 'male' for Man alone, 'other' for any other ticked gender, None for none (FY2024).

    Gender identity is not sex; these flags are the only sex-like data an FY2024 export has, and a person who
    ticked more than Woman or Man gets 'other' so that linkage neither agrees nor disagrees on sex.
    """
    ticked = [flag for flag in HMIS_GENDER_FLAGS if _flag_set(row, flag)]
    if ticked == ["Woman"]:
        return "female"
    if ticked == ["Man"]:
        return "male"
    return "other" if ticked else None


_ZIP = re.compile(r"(?:[A-Z]{2}\.? +)?(\d{5})(?:[- ]?\d{4}|-)?", re.IGNORECASE)  # 'CO 80521', '80521-1234', '80521-'
_PLACEHOLDER_ZIPS = frozenset({"00000", "99999"})  # never assigned; 12345 is real (Schenectady)


def normalize_zip(value: object) -> str | None:
    """The 5-digit ZIP code ('02134-1234' -> '02134', 2134 -> '02134'), or None when there is none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        if value <= 0:
            return None
        digits = str(value)
        # Excel drops leading zeros: 2134 is 02134, 21341234 is 02134-1234.
        digits = digits.zfill(5) if len(digits) <= 5 else digits.zfill(9) if len(digits) <= 9 else ""
        zip5 = digits[:5]
    else:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and 3 <= len(text) <= 4:
            text = text.zfill(5)  # the same lost leading zero, in a csv saved from Excel: '2134' is 02134
        m = _ZIP.fullmatch(text)
        if m is None:
            return None
        zip5 = m.group(1)
    return zip5 if zip5 and zip5 not in _PLACEHOLDER_ZIPS else None


# ISO/IEC 5218 (and NCHS, hospital discharge data): 1 male, 2 female, 0 and 9 not known. HMIS FY2026 writes
# 0 for female: a column is read as ISO 5218 only when it holds a 2 and no number other than 0, 1, 2 and 9.
_ISO_5218 = {"0": None, "1": "male", "2": "female", "9": None}


def sex_codes_of(values: Sequence[object]) -> str | None:
    """'iso5218' when a sex column's numbers are ISO/IEC 5218 codes (see _ISO_5218), else None (the table)."""
    # Distinct cells by type too (True and 1 are one set member, but True is no code), then each one's code.
    cells = set(zip(map(type, values), values))
    numbers = {key for _, v in cells if (key := code_key(v)) is not None and key.isdigit()}
    return "iso5218" if "2" in numbers and numbers <= _ISO_5218.keys() else None


def normalize_sexes(values: Sequence[object], codes: str | None = None) -> list[Sex | None]:
    """`normalize_sex` for every value of a column; `codes` 'iso5218' reads its numbers as ISO/IEC 5218 (decided
    from the whole column by `sex_codes_of`)."""
    if codes != "iso5218":
        return map_distinct(values, normalize_sex)

    def iso(value: object) -> Sex | None:
        key = code_key(value)  # (None for True and False)
        return _ISO_5218.get(key) if key in _ISO_5218 else normalize_sex(value)  # type: ignore[return-value]

    return map_distinct(values, iso)


def normalize_races(values: Sequence[object]) -> list[Race | None]:
    """`normalize_race` for every value of a column."""
    return map_distinct(values, normalize_race)


def normalize_ethnicities(values: Sequence[object]) -> list[Ethnicity | None]:
    """`normalize_ethnicity` for every value of a column."""
    return map_distinct(values, normalize_ethnicity)


def normalize_yes_nos(values: Sequence[object]) -> list[bool | None]:
    """`normalize_yes_no` for every value of a column."""
    return map_distinct(values, normalize_yes_no)


def normalize_zips(values: Sequence[object]) -> list[str | None]:
    """`normalize_zip` for every value of a column."""
    return map_distinct(values, normalize_zip)
