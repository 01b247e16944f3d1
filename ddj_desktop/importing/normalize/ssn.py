"""Social Security numbers: nine digits, the last four of a masked one, or nothing when the number is fake.

Invalid numbers (SSA never issues them, or they are famous fakes) get Quality.INVALID and keep neither the
number nor its last four, so they can never contribute to a match. Problems never repeat the digits.
Rules: SSA "SSN randomization" FAQ (area 000, 666, 900-999; group 00; serial 0000); California Policy Lab
hashed-linkage bad-data flags (123456789, 078051120); 219099999 (SSA pamphlet specimen).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ._text import map_distinct
from .quality import Quality, missing_reason

KNOWN_FAKE_SSNS = frozenset({"123456789", "078051120", "219099999"})

_SEPARATORS = re.compile(r"[\s\-./]+")
_MASK = re.compile(r"[X*#?]")
_FLOAT_TAIL = re.compile(r"(?<=\d)\.0+$")  # "123456789.0": a float that became text


@dataclass(frozen=True, slots=True)
class SsnResult:
    """One SSN cell: the nine digits (or None), the last four (or None), its quality and the reason if rejected."""

    ssn: str | None
    last4: str | None
    quality: Quality
    problem: str | None = None
    pattern: str | None = None  # a masked SSN with x for the unknown digits, e.g. "12345xxxx"


_MISSING = SsnResult(None, None, Quality.MISSING)


def _invalid(problem: str) -> SsnResult:
    return SsnResult(None, None, Quality.INVALID, problem)


def ssn_problem(digits: str) -> str | None:
    """Why nine digits cannot be a real SSN, or None when they can."""
    if len(set(digits)) == 1:
        return "invalid SSN: all digits the same"
    if digits in KNOWN_FAKE_SSNS:
        return "invalid SSN: a well-known example or fake number"
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666"):
        return f"invalid SSN: area {area} is never issued"
    if area[0] == "9":
        return "invalid SSN: areas 900-999 are never issued"
    if group == "00":
        return "invalid SSN: group 00 is never issued"
    if serial == "0000":
        return "invalid SSN: serial 0000 is never issued"
    return None


def _from_digits(digits: str, *, as_number: bool = True) -> SsnResult:
    """`as_number`: the digits were written as a number (no dashes or spaces), which can have lost a leading zero."""
    if len(digits) == 8 and as_number:  # Excel dropped the leading zero of 0xx-xx-xxxx
        digits = "0" + digits
    if len(digits) != 9:
        return _invalid(f"an SSN has 9 digits, this one {len(digits)}")
    if problem := ssn_problem(digits):
        return _invalid(problem)
    return SsnResult(digits, digits[5:], Quality.KNOWN)


def _from_masked(text: str) -> SsnResult:
    pattern = _MASK.sub("x", text.upper())
    if len(pattern) != 9 or not all(c.isdigit() or c == "x" for c in pattern):
        return _invalid("not an SSN (masked, but not 9 characters)")
    if pattern == "x" * 9:
        return SsnResult(None, None, Quality.DOESNT_KNOW)
    last4 = pattern[5:]
    if not last4.isdigit():
        return SsnResult(None, None, Quality.PARTIAL, None, pattern)
    if last4 == "0000":
        return _invalid("invalid SSN: serial 0000 is never issued")
    return SsnResult(None, last4, Quality.PARTIAL, None, pattern)


_PLAIN_SSN = re.compile(r"(\d{3})[- ]?(\d{2})[- ]?(\d{4})")
_UNPADDED = re.compile(r"\d{2}[- ]\d{2}[- ]\d{4}")


@lru_cache(maxsize=65536)
def _from_text(text: str) -> SsnResult:
    if m := _PLAIN_SSN.fullmatch(text):  # the common case, without the slower checks below
        return _from_digits(m.group(1) + m.group(2) + m.group(3))
    if (reason := missing_reason(text)) and (not text.isdigit() or len(text) == 7):  # words, NEMSIS codes
        return SsnResult(None, None, reason)
    number = _FLOAT_TAIL.sub("", text)
    compact = _SEPARATORS.sub("", number)
    if compact.isdigit():
        if len(compact) == 4:  # some exports only ever carry the last four
            return (
                SsnResult(None, compact, Quality.PARTIAL)
                if compact != "0000"
                else _invalid("invalid SSN: serial 0000 is never issued")
            )
        # '123-45-678' lost a digit in typing, not a leading zero: only a bare number, or one formatted from a
        # number without padding ('23-45-6789'), is zero-padded
        return _from_digits(compact, as_number=compact == number or bool(_UNPADDED.fullmatch(text)))
    if _MASK.search(compact.upper()):
        return _from_masked(compact)
    return _invalid("not an SSN")


def normalize_ssn(value: object) -> SsnResult:
    """The SSN in a cell: '123-45-6789', 123456789, 12345678 (lost leading zero), 'xxx-xx-1234', 'Refused' ..."""
    if value is None or isinstance(value, bool):
        return _MISSING if value is None else _invalid("not an SSN")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return _invalid("not an SSN")
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            return _invalid("not an SSN")
        if 7_701_000 <= value <= 8_801_999 and (reason := missing_reason(value)):  # NEMSIS 7701003 ...
            return SsnResult(None, None, reason)
        return _from_digits(str(value))
    if not isinstance(value, str):
        return _invalid("not an SSN")
    text = value.strip()
    return _from_text(text) if text else _MISSING


def normalize_ssns(values: Sequence[object]) -> list[SsnResult]:
    """The SSN of every cell in a column (see `normalize_ssn`), one per value."""
    return map_distinct(values, normalize_ssn)
