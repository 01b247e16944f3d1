"""Blocking: which profile pairs are worth comparing at all.

Several rules are OR-ed, so a true pair with one bad field still meets under another rule. A rule gives each
profile a key (or none); profiles with the same key form a block and every pair inside a block is a candidate.
Blocks bigger than `max_block` (1,900 namesakes of SMITH born in 1980 at a million records) are not paired out
in full: inside them profiles are sorted by name and each is paired with its `window` nearest neighbours
(sorted neighbourhood), so the work stays linear in the number of records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ddj_desktop.linkage.frame import Frame

MISSING = -1


def _combine(*columns: np.ndarray) -> np.ndarray:
    """One int64 key from several non-negative int64 columns (any 0 = missing -> -1)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    missing = np.zeros(len(columns[0]), dtype=bool)
    for col in columns:
        col = np.asarray(col, dtype=np.int64)
        missing |= col <= 0
        key = key * 1_000_003 + col  # wraps on overflow: a rare shared key only adds a candidate pair
    key[missing] = MISSING
    return key


def _dob_key(f: Frame) -> np.ndarray:
    return np.where(f.dob_approx | (f.dob == 0), MISSING, f.dob)


def _surname_sound_year(f: Frame) -> np.ndarray:
    return _combine(f.last_sound, f.dob_year)


def _first_last(f: Frame) -> np.ndarray:
    return _combine(f.first_id, f.last_id)


def _swapped_names(f: Frame) -> np.ndarray:
    # The unordered pair of names: SMITH JOHN meets JOHN SMITH (and, again, JOHN SMITH).
    return _combine(np.minimum(f.first_id, f.last_id), np.maximum(f.first_id, f.last_id))


def _ssn(f: Frame) -> np.ndarray:
    return np.where(f.ssn > 0, f.ssn, MISSING)


def _ssn_last4_year(f: Frame) -> np.ndarray:
    return _combine(f.ssn_last4 + 1, f.dob_year)


def _address(f: Frame) -> np.ndarray:
    return np.where(f.address_id > 0, f.address_id, MISSING)


def _address_start(f: Frame) -> np.ndarray:
    return np.where(f.address_start > 0, f.address_start, MISSING)


def _address_end(f: Frame) -> np.ndarray:
    return np.where(f.address_end > 0, f.address_end, MISSING)


def _zip_area_name_sounds(f: Frame) -> np.ndarray:
    # The unordered pair of Soundex codes: a slip in each name, or names swapped, and no DOB to meet on. Names
    # alone are weak (the review queue would fill with JOHN SMITHs without a DOB), so within one ZIP area (the
    # first three digits: a slip in the ZIP is usually further on).
    return _combine(f.zip // 100, np.minimum(f.first_sound, f.last_sound), np.maximum(f.first_sound, f.last_sound))


def _zip_initials(f: Frame) -> np.ndarray:
    # Slips in both names that change their sound (DONALDSON / DONALWSON), names swapped, no DOB: the ZIP and the
    # two initials, in either order.
    a, b = np.abs(f.first_initial).astype(np.int64), np.abs(f.last_initial).astype(np.int64)
    return _combine(f.zip, np.minimum(a, b), np.maximum(a, b))


def _zip_surname_sound(f: Frame) -> np.ndarray:
    return _combine(f.zip, f.last_sound)


def _zip_first_sound(f: Frame) -> np.ndarray:
    return _combine(f.zip, f.first_sound)


def _agency_id(f: Frame) -> np.ndarray:
    return np.where(f.agency_id > 0, f.agency_id, MISSING)


@dataclass(frozen=True)
class BlockingRule:
    name: str
    description: str
    key: Callable[[Frame], np.ndarray]
    # How profiles are sorted inside a block too big to pair out in full: by what the key does *not* already
    # hold, so that neighbours are likely the same person ("name": last and first name; "dob": date of birth).
    order: str = "name"


RULES: tuple[BlockingRule, ...] = (
    BlockingRule("dob", "same date of birth", _dob_key),
    BlockingRule("surname_sound_year", "surname sounds alike (Soundex) and same birth year", _surname_sound_year),
    BlockingRule("first_last", "same first and last name", _first_last, order="dob"),
    BlockingRule("swapped_names", "same two names in either order (first and last swapped)", _swapped_names,
                 order="dob"),
    BlockingRule("ssn", "same full SSN", _ssn),
    BlockingRule("ssn_last4_year", "same SSN last four and birth year", _ssn_last4_year),
    BlockingRule("agency_id", "same agency person ID within one source (SO #, MRN, PersonalID ...)", _agency_id),
    BlockingRule("address", "same street address", _address, order="dob"),
    BlockingRule("address_start", "address starts alike (house number and the first letters of the street)",
                 _address_start),
    BlockingRule("address_end", "address ends alike (its last letters: the locality or unit), for a slip in the "
                 "house number or the street", _address_end),
    BlockingRule("zip_area_name_sounds", "same ZIP area (first 3 digits) and both names sound alike (Soundex), in "
                 "either order", _zip_area_name_sounds, order="dob"),
    BlockingRule("zip_initials", "same ZIP code and the same two initials, in either order", _zip_initials),
    BlockingRule("zip_surname_sound", "same ZIP code and surname sounds alike", _zip_surname_sound),
    BlockingRule("zip_first_sound", "same ZIP code and first name sounds alike", _zip_first_sound),
)


def block_pairs(keys: np.ndarray, order: np.ndarray, max_block: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) profile indexes, left < right, of the pairs that share a key (MISSING never pairs).

    Inside blocks larger than `max_block`, profiles sorted by `order` are paired with the next `window` only."""
    valid = np.flatnonzero(keys != MISSING)
    if valid.size < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    sorter = np.lexsort((order[valid], keys[valid]))
    idx = valid[sorter]
    ks = keys[idx]
    n = idx.size
    starts = np.r_[0, np.flatnonzero(ks[1:] != ks[:-1]) + 1]
    sizes = np.diff(np.r_[starts, n])
    size_at = np.repeat(sizes, sizes)
    end_at = np.repeat(starts + sizes, sizes)
    reach = np.minimum(end_at - 1 - np.arange(n), np.where(size_at > max_block, window, n))
    lefts, rights = [], []
    pos = np.flatnonzero(reach >= 1)
    step = 1
    while pos.size:
        lefts.append(idx[pos])
        rights.append(idx[pos + step])
        step += 1
        pos = pos[reach[pos] >= step]
    if not lefts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = np.concatenate(lefts), np.concatenate(rights)
    return np.minimum(a, b), np.maximum(a, b)


def _rank(order: np.ndarray) -> np.ndarray:
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank


@dataclass
class Candidates:
    left: np.ndarray  # int64 profile indexes, left < right, unique pairs
    right: np.ndarray
    per_rule: dict[str, int]  # pairs each rule yields (they overlap)

    def __len__(self) -> int:
        return len(self.left)


def candidate_pairs(
    frame: Frame, rules: tuple[BlockingRule, ...] = RULES, *, max_block: int = 50, window: int = 10
) -> Candidates:
    """The unique candidate pairs of `frame` under the OR of `rules`, with the count each rule gave.

    The pair count grows with n x (block size); `max_block` and `window` keep that near-linear as the county
    grows (a bigger county has bigger blocks of namesakes and shared birthdays, not more pairs per person)."""
    ranks = {
        "name": _rank(np.lexsort((frame.dob, frame.first_id, frame.last_id))),
        "dob": _rank(np.lexsort((frame.middle_id, frame.first_id, frame.dob))),
    }
    n = max(frame.profiles, 1)
    codes, per_rule = [], {}
    for rule in rules:
        a, b = block_pairs(rule.key(frame), ranks[rule.order], max_block, window)
        per_rule[rule.name] = int(a.size)
        codes.append(a * n + b)
    if not codes:
        return Candidates(np.empty(0, np.int64), np.empty(0, np.int64), per_rule)
    unique = np.concatenate(codes)
    unique.sort()  # a plain sort and a mask: np.unique's hashing is several times slower on millions of codes
    unique = unique[np.r_[True, unique[1:] != unique[:-1]]] if unique.size else unique
    return Candidates(unique // n, unique % n, per_rule)
