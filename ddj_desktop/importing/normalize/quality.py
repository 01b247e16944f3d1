"""Data-quality codes: what an agency said about a value, mapped onto one `Quality` vocabulary."""

from __future__ import annotations

from enum import StrEnum

from ._text import code_key, load_table


class Quality(StrEnum):
    """How much we know about one identity value (name, DOB, SSN ...) of a record."""

    KNOWN = "known"
    PARTIAL = "partial"  # part of it is known: X digits in a DOB/SSN, a street name, HMIS code 2
    DOESNT_KNOW = "doesnt_know"
    REFUSED = "refused"
    NOT_COLLECTED = "not_collected"
    INVALID = "invalid"  # a value was given but is impossible, a placeholder or a known fake
    MISSING = "missing"  # the cell is empty


# What a reason-for-missing says about the value: none of these may take part in a match.
UNKNOWN_QUALITIES = frozenset(
    {Quality.DOESNT_KNOW, Quality.REFUSED, Quality.NOT_COLLECTED, Quality.INVALID, Quality.MISSING}
)


def _table(section: str) -> dict[str, Quality]:
    return {key: Quality(value) for key, value in load_table("quality_codes.toml")[section].items()}


_HMIS = _table("hmis")
_MISSING_REASONS = {**_table("nemsis"), **_table("jail"), **_table("words")}


def quality_from_code(value: object) -> Quality | None:
    """The Quality a data-quality cell states, or None when the cell is empty or not a code we know.

    Takes HMIS DataQuality codes 1/2/8/9/99, NEMSIS NOT values (7701001/3/5) and pertinent negatives
    (8801019 Refused ...), jail D/R/N and words ("Refused", "Unknown", "Client doesn't know").
    Use it on a *DataQuality column; on a value column use `missing_reason`, because there a 1 or a 2
    is a value (HMIS Sex 1 = Male), not a quality.
    """
    key = code_key(value)
    if key is None:
        return None
    return _HMIS.get(key) or _MISSING_REASONS.get(key)


def missing_reason(value: object) -> Quality | None:
    """Why a value cell holds no value ("Refused", 7701003, HMIS 8/9/99, jail D/R/N), or None if it does not say."""
    key = code_key(value)
    if key is None:
        return None
    if key in ("8", "9", "99"):  # HMIS reasons for missing data share these codes in every list
        return _HMIS[key]
    reason = _MISSING_REASONS.get(key)
    return reason if reason not in (Quality.KNOWN, Quality.PARTIAL) else None
