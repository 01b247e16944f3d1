"""HMAC mode: linking on keyed hashes of identifiers (DOMAIN.md, governance, "Hashed matching").

An agency that may not send names, DOBs or SSNs sends, per record, keyed hashes (HMAC-SHA256 with a secret key
the county holds under the MOU) of its normalized identifiers and of the parts and variants fuzzy matching needs
(as the California Policy Lab's hashed linkage does: name prefixes and Soundex, DOB parts, SSN variants). No
comparison can be fuzzy on a hash, so each fuzzy level of the plain comparisons is replaced by the equality of a
token built for it:

- names (first, middle, last and each part of a double surname) hash as one kind, so a first name can equal a
  last name (first and last swapped); plus Soundex, the first four letters, the middle initial, and the names
  the nickname table relates to the first name (BILL carries WILLIAM's token);
- DOB: the date, the date with day and month swapped, the date one year on, year, year+month, month+day, and the
  date with each of its eight digits left out in turn (one digit differs);
- SSN: the number, its last four, the number with each pair of adjacent digits swapped (a transposition) and with
  each digit left out in turn (one digit differs: siblings);
- address: the address, without spaces, its words sorted, its start (house number and street), its end (the
  locality), each word;
- agency person ID: the normalized value.

Sex, ZIP, name suffix and the data-quality codes are not identifiers and stay plain. Unsalted hashes of SSNs or
DOBs can be brute-forced; a keyed HMAC cannot without the key. In a store with any hashed records, every record
(the county's own plain ones too) is linked on these tokens, made from the store's key, so all records are
compared alike. Tokens are hex (80 bits each: collisions are negligible at millions of records).

A hashed export is a CSV whose identity columns are `hmac_<token>` (TOKEN_FIELDS; several tokens in one cell are
separated by spaces) beside the usual row key and event columns; the importer keeps them as attributes.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Iterable
from functools import lru_cache

from ddj_desktop.errors import DdjError
from ddj_desktop.linkage import names

COLUMN_PREFIX = "hmac_"
KEY_SETTING = "linkage_hmac_key"
TOKEN_HEX = 20  # 80 bits
KEY_BYTES = 32
# The tokens of one record, by column (without COLUMN_PREFIX). Multi-token cells hold space-separated tokens.
TOKEN_FIELDS: tuple[str, ...] = (
    "first_name", "first_name_sound", "first_name_prefix", "first_name_nicknames", "middle_name", "middle_initial",
    "last_name", "last_name_sound", "last_name_prefix", "last_name_parts",
    "dob", "dob_swapped", "dob_next_year", "dob_year", "dob_year_month", "dob_month_day", "dob_drops",
    "ssn", "ssn_last4", "ssn_swaps", "ssn_drops",
    "address", "address_squeezed", "address_sorted", "address_start", "address_end", "address_words",
    "agency_person_id",
)  # fmt: skip
MULTI = {"address_words": 8, "first_name_nicknames": 12, "last_name_parts": 2, "dob_drops": 8, "ssn_swaps": 8, "ssn_drops": 9}


class LinkageKeyError(DdjError):
    """The HMAC key is missing or malformed."""


def new_key() -> str:
    """A new random key, as the hex text a county keeps (and gives agencies under the MOU)."""
    return secrets.token_hex(KEY_BYTES)


def parse_key(text: str) -> bytes:
    """The key bytes of key text (hex, 32 bytes or more); a clear error otherwise."""
    cleaned = "".join(text.split())
    try:
        key = bytes.fromhex(cleaned)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise LinkageKeyError("That is not a linkage key: expected at least 32 hexadecimal digits.",
                        hint="Use the key file made by `ddj-desktop hmac-key new`, unchanged.")
    return key


class Hasher:
    """Keyed tokens of normalized identity values (cached: a county repeats the same names and dates)."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._names: dict[str, tuple[str, str, str, str]] = {}
        self._nicks: dict[str, str] = {}
        self._dobs: dict[str, dict[str, str]] = {}
        self._ssns: dict[str, dict[str, str]] = {}  # a person's records repeat their SSN

    def token(self, kind: str, value: str) -> str:
        return hmac.digest(self._key, f"{kind}\x1f{value}".encode(), "sha256").hex()[:TOKEN_HEX]

    def tokens(
        self, *, first_name: str | None = None, middle_name: str | None = None, last_name: str | None = None,
        dob: str | None = None, ssn: str | None = None, ssn_last4: str | None = None, address: str | None = None,
        agency_person_id: str | None = None,
    ) -> dict[str, str]:
        """The TOKEN_FIELDS of one record's normalized identity ('' where a value is missing)."""
        out = dict.fromkeys(TOKEN_FIELDS, "")
        if first_name:
            out["first_name"], out["first_name_sound"], out["first_name_prefix"], _ = self._name(first_name)
            out["first_name_nicknames"] = self._nicknames(first_name)
        if last_name:
            out["last_name"], out["last_name_sound"], out["last_name_prefix"], out["last_name_parts"] = \
                self._name(last_name)
        if middle_name:
            out["middle_name"] = self.token("name", middle_name)
            out["middle_initial"] = self.token("initial", middle_name[0])
        if dob:
            out.update(self._dob(dob[:10]))
        if ssn and len(ssn) == 9 and ssn.isdigit():
            out.update(self._ssn(ssn))
            ssn_last4 = ssn[-4:]
        if ssn_last4 and len(ssn_last4) == 4 and ssn_last4.isdigit():
            out["ssn_last4"] = self.token("last4", ssn_last4)
        if address:
            out.update(self._address(" ".join(address.upper().split())))
        if agency_person_id:
            out["agency_person_id"] = self.token("agency", agency_person_id)
        return out

    def _name(self, value: str) -> tuple[str, str, str, str]:
        """(name, Soundex, first four letters, surname parts) tokens of a name, computed once per name."""
        found = self._names.get(value)
        if found is None:
            t = self.token
            sound = names.soundex(value)
            parts = names.surname_parts(value)
            found = self._names[value] = (t("name", value), t("sound", sound) if sound else "", t("prefix", value[:4]),
                                          " ".join(t("name", p) for p in (parts[0], parts[-1])))
        return found

    def _nicknames(self, value: str) -> str:
        """Name tokens of the names the nickname table relates to `value` (at most MULTI of them)."""
        found = self._nicks.get(value)
        if found is None:
            related = sorted(_nickname_partners().get(value, ()))[:MULTI["first_name_nicknames"]]
            found = self._nicks[value] = " ".join(self.token("name", n) for n in related)
        return found

    def _dob(self, iso: str) -> dict[str, str]:
        found = self._dobs.get(iso)
        if found is not None:
            return found
        found = {}
        day = _date(iso)
        if day is not None:
            t = self.token
            iso = day.isoformat()
            found["dob"] = t("dob", iso)
            swapped = _date(f"{day.year:04d}-{day.day:02d}-{day.month:02d}")
            if swapped is not None and swapped != day:
                found["dob_swapped"] = t("dob", swapped.isoformat())
            later = _date(f"{day.year + 1:04d}-{day.month:02d}-{day.day:02d}")
            if later is not None:
                found["dob_next_year"] = t("dob", later.isoformat())
            found["dob_year"] = t("year", iso[:4])
            found["dob_year_month"] = t("year_month", iso[:7])
            found["dob_month_day"] = t("month_day", iso[5:])
            digits = iso.replace("-", "")
            found["dob_drops"] = " ".join(t(f"dob_drop{i}", digits[:i] + digits[i + 1:]) for i in range(8))
        self._dobs[iso] = found
        return found

    def _address(self, address: str) -> dict[str, str]:
        """The address; without spaces; its words in sorted order; its first ADDRESS_START letters without
        spaces (house number and street start) and its last ADDRESS_END (the locality); each of its words (at
        most 8)."""
        from ddj_desktop.linkage.frame import address_end_key, address_start_key

        t = self.token
        squeezed = address.replace(" ", "")
        words = sorted(set(address.split()))
        start, end = address_start_key(address), address_end_key(address)
        return {"address": t("address", address), "address_squeezed": t("address_squeezed", squeezed),
                "address_sorted": t("address_sorted", " ".join(sorted(address.split()))),
                "address_start": t("address_start", start) if start else "",
                "address_end": t("address_end", end) if end else "",
                "address_words": " ".join(t("word", w) for w in words[:MULTI["address_words"]])}

    def _ssn(self, ssn: str) -> dict[str, str]:
        found = self._ssns.get(ssn)
        if found is None:
            t = self.token
            found = self._ssns[ssn] = {
                "ssn": t("ssn", ssn),
                "ssn_swaps": " ".join(t("ssn", ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2:]) for i in range(8)),
                "ssn_drops": " ".join(t(f"ssn_drop{i}", ssn[:i] + ssn[i + 1:]) for i in range(9)),
            }
        return found


@lru_cache(maxsize=1)
def _nickname_partners() -> dict[str, frozenset[str]]:
    partners: dict[str, set[str]] = {}
    for a, b in names.nickname_pairs():
        partners.setdefault(a, set()).add(b)
    return {k: frozenset(v) for k, v in partners.items()}


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def tokens_from_attributes(attributes: dict) -> dict[str, str] | None:
    """The tokens a hashed record's attributes hold (from its `hmac_*` columns), None when it holds none."""
    lowered = {str(k).strip().lower(): v for k, v in attributes.items()}
    found = {f: str(lowered.get(COLUMN_PREFIX + f) or "").strip().lower() for f in TOKEN_FIELDS}
    return found if any(found.values()) else None


def has_tokens(columns: Iterable[str]) -> bool:
    return any(c.startswith(COLUMN_PREFIX) and c[len(COLUMN_PREFIX):] in TOKEN_FIELDS for c in columns)
