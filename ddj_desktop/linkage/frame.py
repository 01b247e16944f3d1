"""Records in columns, ready for vectorised linkage.

Records with exactly the same identity (same source, agency person ID, names, DOB, SSN and sex) are the same
person beyond doubt, so they are collapsed into one *profile* first: a frequent utilizer's forty ED visits under
one MRN become one or two profiles. The street address is part of the identity (it is strong evidence where
sources carry it); the ZIP is not (a profile keeps its earliest record's: ZIP alone says little, and splitting
profiles by it would multiply the work). Blocking, comparison, scoring and clustering work on profiles; every record
then follows its profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ddj_desktop.linkage import names

# The identity columns linkage reads, in this order (see `IdentityRow`).
IDENTITY_COLUMNS = (
    "id", "source", "source_key", "agency_person_id", "first_name", "middle_name", "last_name", "name_suffix",
    "dob", "dob_quality", "ssn", "ssn_last4", "sex", "person_id", "address", "zip",
)  # fmt: skip

SEX_CODES = {"female": 1, "male": 2}
_EPOCH = dt.date(1800, 1, 1).toordinal()
# House number and the start of the street name ("12 FUHRMAN SREET" and "12 FUHRMANS TREET": 12FUHRMA): a
# blocking key that survives a slip later in the address and words split or joined by a clerk.
ADDRESS_START = 8
# ... and its end (the locality, a unit: "...ROSEBAY"): a key that survives a slip in the house number or at the
# start of the street ("01 CALLISTERCRESCENT VILLA 2" / "162 CALLISTER CRESCENT VILLA 2").
ADDRESS_END = 8


@dataclass(frozen=True, slots=True)
class IdentityRow:
    """One record's identity, as the store holds it (normalized by the import)."""

    id: int
    source: str
    source_key: str
    agency_person_id: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    name_suffix: str | None = None
    dob: str | None = None  # ISO date
    dob_quality: str | None = None  # "partial" = approximate (HMIS: January 1 of the year)
    ssn: str | None = None  # 9 digits, valid (invalid ones arrive as None)
    ssn_last4: str | None = None
    sex: str | None = None
    person_id: int | None = None
    address: str | None = None
    zip: str | None = None


class Vocabulary:
    """Strings to small integers (0 = missing), shared by every name column so first/last can be compared."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {"": 0}
        self.words: list[str] = [""]

    def code(self, word: str | None) -> int:
        if not word:
            return 0
        found = self.ids.get(word)
        if found is None:
            found = self.ids[word] = len(self.words)
            self.words.append(word)
        return found

    def codes(self, words: Iterable[str | None]) -> np.ndarray:
        return np.fromiter((self.code(w) for w in words), dtype=np.int64)


def _dob_parts(dob: str | None) -> tuple[int, int]:
    """(YYYYMMDD, days since 1800-01-01) of an ISO date; (0, 0) when missing or unreadable."""
    if not dob:
        return 0, 0
    try:
        day = dt.date.fromisoformat(dob[:10])
    except ValueError:
        return 0, 0
    return day.year * 10000 + day.month * 100 + day.day, day.toordinal() - _EPOCH


@dataclass
class Frame:
    """Profiles in numpy columns (index = profile number) and the records that map onto them."""

    # records
    record_id: np.ndarray  # int64, store record IDs
    record_profile: np.ndarray  # int64, the profile of each record
    record_person: np.ndarray  # int64, the record's current person ID (0 = none)
    record_source: list[str]
    record_key: list[str]
    # profiles
    vocab: Vocabulary
    first: np.ndarray  # object: str ('' = missing)
    middle: np.ndarray
    last: np.ndarray
    first_id: np.ndarray  # int64 codes in `vocab`
    middle_id: np.ndarray
    last_id: np.ndarray
    last_part1: np.ndarray  # codes of the first and last standalone surname word (double surnames)
    last_part2: np.ndarray
    first_sound: np.ndarray  # codes of the Soundex of first / last name
    last_sound: np.ndarray
    first_initial: np.ndarray  # int32: code point of the first letter (0 = missing); negative when the name is
    middle_initial: np.ndarray  # only an initial ("J"), so initial-vs-name checks need no Python loop per pair
    last_initial: np.ndarray
    suffix: np.ndarray  # object: generational suffix or ''
    dob: np.ndarray  # int64 YYYYMMDD, 0 = missing
    dob_days: np.ndarray  # int64 days since 1800-01-01
    dob_approx: np.ndarray  # bool: only the year is trustworthy
    ssn: np.ndarray  # int64, -1 = missing
    ssn_last4: np.ndarray  # int64, -1 = missing
    sex: np.ndarray  # int8: 0 unknown, 1 female, 2 male
    source_code: np.ndarray  # int64
    agency_id: np.ndarray  # int64 code of (ID namespace, agency person ID), 0 = missing
    id_space: np.ndarray  # int64 code of the ID namespace: the source, or a group of sources that share IDs
    address: np.ndarray  # object: street address ('' = missing)
    address_id: np.ndarray  # int64 code of the address, 0 = missing
    address_start: np.ndarray  # int64 code of the address's first ADDRESS_START letters without spaces (blocking)
    address_end: np.ndarray  # int64 code of its last ADDRESS_END letters without spaces (blocking)
    address_squeezed: np.ndarray  # object: the address without spaces
    address_number: np.ndarray  # int64 code of the address's first word (house number), 0 = a one-word address
    zip: np.ndarray  # int64 ZIP / postcode digits, 0 = missing
    first_record: np.ndarray  # int64: index (into the record arrays) of each profile's earliest record
    size: np.ndarray  # int64: records per profile
    first_freq: np.ndarray  # float64: share of records with this first name (term frequency)
    last_freq: np.ndarray
    address_freq: np.ndarray
    # HMAC mode (see linkage/hashed.py): the name, DOB, SSN, address and agency-ID columns above hold codes of
    # keyed tokens, not values; `tokens` holds the codes of the other tokens (TOKEN_FIELDS: one column each, or
    # one row of several per profile) and `year_code` the birth year's. None in plain mode.
    tokens: dict[str, np.ndarray] | None = None
    year_code: np.ndarray | None = None

    @property
    def hashed(self) -> bool:
        return self.tokens is not None

    @property
    def profiles(self) -> int:
        return len(self.first)

    @property
    def records(self) -> int:
        return len(self.record_id)

    @property
    def dob_year(self) -> np.ndarray:
        return self.year_code if self.year_code is not None else self.dob // 10000


def build_frame(
    rows: Sequence[IdentityRow] | Sequence[tuple], id_namespaces: Iterable[Iterable[str]] = (),
    tokens: Mapping[int, Mapping[str, str]] | None = None,
) -> Frame:
    """A Frame of `rows` (IdentityRow or tuples in IDENTITY_COLUMNS order), records sorted by ID.

    `id_namespaces`: groups of sources whose agency person IDs are one namespace (two hospitals of one health
    system sharing MRNs); elsewhere an agency person ID means something only within its own source.
    `tokens`: HMAC mode, every record's tokens by record ID (hashed.TOKEN_FIELDS); the rows' plain identity
    values are then not used at all."""
    space_of = {source: "\x1e".join(sorted(group)) for group in id_namespaces for source in group}
    rows = sorted((r if isinstance(r, IdentityRow) else IdentityRow(*r) for r in rows), key=lambda r: r.id)
    row_tokens: list[Mapping[str, str]] = []
    if tokens is not None:
        row_tokens = [tokens[r.id] for r in rows]
        rows = [replace(r, first_name=t["first_name"] or None, middle_name=t["middle_name"] or None,
                        last_name=t["last_name"] or None, dob=None, ssn=None, ssn_last4=None,
                        address=t["address"] or None, agency_person_id=t["agency_person_id"] or None)
                for r, t in zip(rows, row_tokens, strict=True)]
    profile_of: dict[tuple, int] = {}
    record_profile = np.empty(len(rows), dtype=np.int64)
    reps: list[IdentityRow] = []
    first_record: list[int] = []
    for i, r in enumerate(rows):
        approx = r.dob_quality == "partial"
        key = (r.source, r.agency_person_id, r.first_name, r.middle_name, r.last_name, r.name_suffix, r.dob, approx,
               r.ssn, r.ssn_last4, r.sex, r.address)  # fmt: skip
        if row_tokens:
            key += tuple(row_tokens[i].values())
        p = profile_of.get(key)
        if p is None:
            p = profile_of[key] = len(reps)
            reps.append(r)
            first_record.append(i)
        record_profile[i] = p

    vocab = Vocabulary()
    n = len(reps)
    first = np.array([r.first_name or "" for r in reps], dtype=object)
    middle = np.array([r.middle_name or "" for r in reps], dtype=object)
    last = np.array([r.last_name or "" for r in reps], dtype=object)
    parts = [names.surname_parts(s) if s else () for s in last]
    dob_pairs = [_dob_parts(r.dob) for r in reps]
    sources: dict[str, int] = {}
    agency, spaces, addresses = Vocabulary(), Vocabulary(), Vocabulary()
    space = [space_of.get(r.source, r.source) for r in reps]
    address = np.array([" ".join((r.address or "").upper().split()) for r in reps], dtype=object)
    frame = Frame(
        record_id=np.fromiter((r.id for r in rows), dtype=np.int64, count=len(rows)),
        record_profile=record_profile,
        record_person=np.fromiter((r.person_id or 0 for r in rows), dtype=np.int64, count=len(rows)),
        record_source=[r.source for r in rows],
        record_key=[r.source_key for r in rows],
        vocab=vocab,
        first=first,
        middle=middle,
        last=last,
        first_id=vocab.codes(first),
        middle_id=vocab.codes(middle),
        last_id=vocab.codes(last),
        last_part1=vocab.codes(p[0] if p else "" for p in parts),
        last_part2=vocab.codes(p[-1] if p else "" for p in parts),
        first_sound=vocab.codes("#" + names.soundex(s) if s else "" for s in first),
        last_sound=vocab.codes("#" + names.soundex(s) if s else "" for s in last),
        first_initial=_initials(first),
        middle_initial=_initials(middle),
        last_initial=_initials(last),
        suffix=np.array([(r.name_suffix or "") if (r.name_suffix or "") in names.GENERATIONAL else ""
                         for r in reps], dtype=object),
        dob=np.fromiter((d[0] for d in dob_pairs), dtype=np.int64, count=n),
        dob_days=np.fromiter((d[1] for d in dob_pairs), dtype=np.int64, count=n),
        dob_approx=np.fromiter((r.dob_quality == "partial" and bool(r.dob) for r in reps), dtype=bool, count=n),
        ssn=np.fromiter((int(r.ssn) if r.ssn and r.ssn.isdigit() else -1 for r in reps), dtype=np.int64, count=n),
        ssn_last4=np.fromiter(
            (int(r.ssn_last4) if r.ssn_last4 and r.ssn_last4.isdigit() else (int(r.ssn[-4:]) if r.ssn else -1)
             for r in reps), dtype=np.int64, count=n),
        sex=np.fromiter((SEX_CODES.get(r.sex or "", 0) for r in reps), dtype=np.int8, count=n),
        source_code=np.fromiter((sources.setdefault(r.source, len(sources)) for r in reps), dtype=np.int64,
                                count=n),
        agency_id=agency.codes(f"{sp}\x1f{r.agency_person_id}" if r.agency_person_id else None
                               for sp, r in zip(space, reps)),
        id_space=spaces.codes(space),
        address=address,
        address_id=addresses.codes(address),
        address_start=Vocabulary().codes(address_start_key(a) for a in address),
        address_end=Vocabulary().codes(address_end_key(a) for a in address),
        address_squeezed=np.array([a.replace(" ", "") for a in address], dtype=object),
        address_number=Vocabulary().codes(a.split(" ", 1)[0] if " " in a else None for a in address),
        zip=np.fromiter((_zip_code(r.zip) for r in reps), dtype=np.int64, count=n),
        first_record=np.array(first_record, dtype=np.int64),
        size=np.bincount(record_profile, minlength=n).astype(np.int64),
        first_freq=np.zeros(n),
        last_freq=np.zeros(n),
        address_freq=np.zeros(n),
    )  # fmt: skip
    frame.first_freq = _term_frequency(frame.first_id, frame.size)
    frame.last_freq = _term_frequency(frame.last_id, frame.size)
    frame.address_freq = _term_frequency(frame.address_id, frame.size)
    if row_tokens:
        _use_tokens(frame, [row_tokens[i] for i in first_record], [r.dob_quality == "partial" for r in reps])
    return frame


def _use_tokens(frame: Frame, tokens: list[Mapping[str, str]], approx: list[bool]) -> None:
    """Fill the columns of an HMAC-mode frame from each profile's tokens (see Frame.tokens)."""
    from ddj_desktop.linkage.hashed import MULTI, TOKEN_FIELDS

    n, vocab = len(tokens), frame.vocab

    def column(field: str) -> np.ndarray:
        return vocab.codes(t[field] or None for t in tokens)

    def multi(field: str) -> np.ndarray:
        width = MULTI[field]
        out = np.zeros((n, width), dtype=np.int64)
        seen: dict[str, list[int]] = {}  # profiles repeat a DOB's or an SSN's variants
        for p, t in enumerate(tokens):
            if t[field]:
                codes = seen.get(t[field])
                if codes is None:
                    codes = seen[t[field]] = [vocab.code(x) for x in t[field].split()[:width]]
                out[p, :len(codes)] = codes
        return out

    found = {f: (multi(f) if f in MULTI else column(f)) for f in TOKEN_FIELDS}
    frame.tokens = found
    frame.first_sound, frame.last_sound = found["first_name_sound"], found["last_name_sound"]
    parts = found["last_name_parts"]
    frame.last_part1, frame.last_part2 = parts[:, 0], parts[:, 1]
    zeros = np.zeros(n, dtype=np.int32)
    frame.first_initial, frame.middle_initial, frame.last_initial = zeros, zeros.copy(), zeros.copy()
    frame.dob = found["dob"]
    frame.dob_days = np.zeros(n, dtype=np.int64)
    frame.dob_approx = np.array(approx, dtype=bool) & (frame.dob > 0)
    frame.year_code = found["dob_year"]
    frame.ssn = np.where(found["ssn"] > 0, found["ssn"], -1)
    frame.ssn_last4 = np.where(found["ssn_last4"] > 0, found["ssn_last4"], -1)
    frame.address_start, frame.address_end = found["address_start"], found["address_end"]
    frame.address_number = np.zeros(n, dtype=np.int64)


def address_start_key(address: str) -> str | None:
    """The first ADDRESS_START letters of `address` without spaces (the house number and street start), or None
    when it is shorter. The plain frame codes it, HMAC mode hashes it."""
    squeezed = address.replace(" ", "")
    return squeezed[:ADDRESS_START] if len(squeezed) >= ADDRESS_START else None


def address_end_key(address: str) -> str | None:
    """The last ADDRESS_END letters of `address` without spaces (the locality, a unit), or None unless it is
    longer (an address that short is all start and meets on it)."""
    squeezed = address.replace(" ", "")
    return squeezed[-ADDRESS_END:] if len(squeezed) > ADDRESS_END else None


def _zip_code(text: str | None) -> int:
    """The digits of a ZIP or postcode (ZIP+4 keeps its first five), 0 when there are none."""
    digits = "".join(ch for ch in (text or "") if ch.isdigit())[:5]
    return int(digits) if digits and int(digits) > 0 else 0


def _initials(words: np.ndarray) -> np.ndarray:
    """Code point of each word's first letter, negated for a one-letter word; 0 for a missing word."""
    return np.fromiter(((-ord(w[0]) if len(w) == 1 else ord(w[0])) if w else 0 for w in words), dtype=np.int32,
                       count=len(words))


def _term_frequency(codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per profile, the share of records (among those with a value) that carry the same value."""
    counts = np.bincount(codes, weights=weights)
    counts[0] = 0
    total = max(counts.sum(), 1.0)
    return counts[codes] / total
