"""Person names: one spelling per name (upper case, no accents or punctuation), split into parts.

Decisions (see also name_words.toml):
- A hyphen is kept as a hyphen inside a word ("SMITH-JONES", "MARY-ANN"), so "MARY-ANN SMITH" (first name
  MARY-ANN) stays different from "MARY ANN SMITH" (first MARY, middle ANN). Linkage compares both the whole
  part and its hyphen-split words.
- Apostrophes are dropped (O'Brien -> OBRIEN), periods and other punctuation become spaces, digits are
  dropped (they only matter to read "3RD" as a suffix).
- A comma always means "last name first", whatever order the mapping said, except when what follows the
  last comma is only a suffix ("John Smith, Jr").
- Without a comma, "first_last" takes the last word (with the particles just before it: "DE LA CRUZ") as the
  last name; "last_first" takes the first word (with particles before it). A double surname without a comma
  ("GARCIA LOPEZ MARIA") cannot be told apart from a middle name and is split as last GARCIA.
- One word alone is a last name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ._text import cell_text, fold_accents, load_table, map_distinct

NameOrder = Literal["last_comma_first", "first_last", "last_first"]
NAME_ORDERS: tuple[NameOrder, ...] = ("last_comma_first", "first_last", "last_first")


@dataclass(frozen=True, slots=True)
class NameParts:
    """A person's name in parts, each normalized (upper case ASCII) or None when not known."""

    first: str | None = None
    middle: str | None = None
    last: str | None = None
    suffix: str | None = None  # JR, SR, II, III, IV, V, or the source's own text for others

    @property
    def is_empty(self) -> bool:
        """True when neither first, middle nor last name is known."""
        return self.first is None and self.middle is None and self.last is None


NO_NAME = NameParts()

_WORDS = load_table("name_words.toml")
SUFFIXES: dict[str, str] = dict(_WORDS["suffixes"])
PARTICLES = frozenset(_WORDS["particles"]["words"])
PLACEHOLDER_NAMES = frozenset(_WORDS["placeholders"]["words"])
_TEST_ALWAYS = frozenset(_WORDS["test_records"]["always"])
_TEST_COMPANIONS = frozenset(_WORDS["test_records"]["companions"])
_TEST_PHRASES = tuple(_WORDS["test_records"]["phrases"])
_TEST_PAIRS = frozenset(tuple(pair) for pair in _WORDS["test_records"]["pairs"])
_DOE_FIRST = frozenset(_WORDS["unidentified"]["doe_first"])
_ALIAS_LAST = frozenset(_WORDS["unidentified"]["alias_last"])
_SEX_ONLY = frozenset(_WORDS["unidentified"]["sex_only"])

_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
_NOT_NAME = re.compile(r"[^A-Z0-9,\- ]+")
_HYPHENS = re.compile(r" *-[ -]*")
_DIGITS = re.compile(r"[0-9]+")


# What a name cell adds about the person that is not their name: a nickname in quotes or brackets ('JOHN
# "JACK" SMITH', 'SMITH, JOHN (JACK)'), and aliases after AKA ('SMITH, JOHN AKA JOHNNY BROWN'), as jail, court
# and CAD systems write them. The cell as sent is kept beside the name.
_ASIDES = re.compile(
    r'"[^"]*"|\([^)]*\)|\[[^\]]*\]|[\s,;]+(?:AKA|A/K/A|A\.K\.A\.?|ALIAS|NKA|FKA)\b[\s:.]*\S.*$', re.IGNORECASE | re.DOTALL
)


def _segments(text: str) -> list[list[str]]:
    """The comma-separated segments of a cleaned name, each a list of words (digits still in)."""
    text = _ASIDES.sub(" ", text)
    text = text.replace("'", "") if text.isascii() else text.translate(_APOSTROPHES)  # translate is slow
    cleaned = _NOT_NAME.sub(" ", fold_accents(text).upper())
    if "-" in cleaned:
        cleaned = _HYPHENS.sub("-", cleaned)
    segments = []
    for segment in cleaned.split(","):
        words = [w for w in (w.strip("-") for w in segment.split()) if w]
        if words:
            segments.append(words)
    return segments


def _finish(words: Sequence[str]) -> str | None:
    """The words as one normalized name, or None when nothing (or only a placeholder) is left."""
    name = " ".join(words)
    if _DIGITS.search(name):  # rare: digits only matter for reading "3RD" as a suffix
        name = " ".join(w for w in (_DIGITS.sub("", w).strip("-") for w in words) if w)
    return name if name and name not in PLACEHOLDER_NAMES else None


@lru_cache(maxsize=65536)
def _normalize_text(text: str) -> str | None:
    return _finish([w for segment in _segments(text) for w in segment])


def normalize_name(text: object) -> str | None:
    """The name in one spelling ('Núñez' -> 'NUNEZ', "O'Brien" -> 'OBRIEN'), or None if empty or a placeholder."""
    raw = cell_text(text)
    return None if raw is None else _normalize_text(raw)


def _pop_suffix(words: list[str], *, allow_v: bool, keep: int = 1) -> str | None:
    """Remove suffix words from the end of `words` (leaving at least `keep`); the first one found, canonical."""
    found = None
    while len(words) > keep and words[-1] in SUFFIXES and (allow_v or words[-1] != "V"):
        found = SUFFIXES[words.pop()]
    return found


def _last_name_start(words: list[str]) -> int:
    """Where the last name begins in first-last order: the last word and the particles just before it."""
    start = len(words) - 1
    while start > 1 and words[start - 1] in PARTICLES:
        start -= 1
    return start


def _parts(first: Sequence[str], middle: Sequence[str], last: Sequence[str], suffix: str | None) -> NameParts:
    return NameParts(_finish(first), _finish(middle), _finish(last), suffix)


def _split_last_comma_first(segments: list[list[str]], suffix: str | None) -> NameParts:
    last = list(segments[0])
    given = [w for segment in segments[1:] for w in segment]
    suffix = _pop_suffix(last, allow_v=True) or _pop_suffix(given, allow_v=False, keep=0) or suffix
    return _parts(given[:1], given[1:], last, suffix)


def _split_first_last(words: list[str], suffix: str | None) -> NameParts:
    suffix = _pop_suffix(words, allow_v=True, keep=2) or suffix
    if len(words) == 1:
        return _parts([], [], words, suffix)
    start = _last_name_start(words)
    return _parts(words[:1], words[1:start], words[start:], suffix)


def _split_last_first(words: list[str], suffix: str | None) -> NameParts:
    suffix = _pop_suffix(words, allow_v=False, keep=1) or suffix
    end = 0
    while end < len(words) - 1 and words[end] in PARTICLES:
        end += 1
    last, given = words[: end + 1], words[end + 1 :]
    if given and given[0] in SUFFIXES and given[0] != "V":  # "SMITH JR JOHN A"
        suffix = suffix or SUFFIXES[given.pop(0)]
    return _parts(given[:1], given[1:], last, suffix)


@lru_cache(maxsize=65536)
def _split_text(text: str, order: NameOrder | None) -> NameParts:
    segments = _segments(text)
    suffix = None
    # A trailing segment of suffixes only is not a given name: "John Smith, Jr", "SMITH, JOHN, III".
    while len(segments) > 1 and all(w in SUFFIXES for w in segments[-1]):
        suffix = SUFFIXES[segments.pop()[0]]
    if not segments:
        return NO_NAME
    if len(segments) > 1:
        return _split_last_comma_first(segments, suffix)
    if order in ("last_first", "last_comma_first"):
        return _split_last_first(segments[0], suffix)
    return _split_first_last(segments[0], suffix)


def split_full_name(text: object, order: NameOrder | None = None) -> NameParts:
    """The parts of a name given in one column: 'SMITH JR, JOHN A', 'John A. Smith, Jr', 'SMITH JOHN A' ...

    `order` is what the mapping says for the column ("last_comma_first", "first_last", "last_first") or
    None to decide per value (a comma means last name first, otherwise first name first).
    """
    if order is not None and order not in NAME_ORDERS:
        raise ValueError(f"unknown name order {order!r}; expected one of {', '.join(NAME_ORDERS)}")
    raw = cell_text(text)
    return NO_NAME if raw is None else _split_text(raw, order)


def split_full_names(values: Sequence[object], order: NameOrder | None = None) -> list[NameParts]:
    """The parts of every name in a full-name column (see `split_full_name`), one per value."""
    if order is not None and order not in NAME_ORDERS:
        raise ValueError(f"unknown name order {order!r}; expected one of {', '.join(NAME_ORDERS)}")
    return map_distinct(values, lambda value: split_full_name(value, order))


def _words(text: str | None) -> list[str]:
    return [] if text is None else list(_word_tuple(text))


@lru_cache(maxsize=65536)
def _word_tuple(text: str) -> tuple[str, ...]:
    """The cleaned words of one name part; a column repeats its first and last names, and each is read once."""
    return tuple(w for segment in _segments(text) for w in segment)


def _canonical_suffix(text: str | None) -> str | None:
    words = _words(text)
    if words and all(w in SUFFIXES for w in words):
        return SUFFIXES[words[0]]
    return _finish(words)


@lru_cache(maxsize=65536)
def _split_columns(first: str | None, middle: str | None, last: str | None, suffix: str | None) -> NameParts:
    if first is None and middle is None and last is not None and "," in last:
        return _split_text(last, "last_comma_first")  # the whole name sits in the last-name column
    suffix = _canonical_suffix(suffix)
    last_words, first_words, middle_words = _words(last), _words(first), _words(middle)
    pulled = _pop_suffix(last_words, allow_v=True) or _pop_suffix(first_words, allow_v=False)
    if middle_words and all(w in SUFFIXES and w != "V" for w in middle_words):  # "JR" typed as a middle name
        pulled = pulled or SUFFIXES[middle_words[0]]
        middle_words = []
    if not middle_words and len(first_words) > 1 and len(first_words[-1]) == 1:  # "JOHN A" in first name
        middle_words = [first_words.pop()]
    return _parts(first_words, middle_words, last_words, suffix or pulled)


def split_name_columns(
    first: object = None, middle: object = None, last: object = None, suffix: object = None
) -> NameParts:
    """The name from separate columns, normalized, with a suffix pulled out of the last or first name ('SMITH JR')."""
    return _split_columns(cell_text(first), cell_text(middle), cell_text(last), cell_text(suffix))


def normalize_name_columns(
    firsts: Sequence[object] | None = None,
    middles: Sequence[object] | None = None,
    lasts: Sequence[object] | None = None,
    suffixes: Sequence[object] | None = None,
) -> list[NameParts]:
    """The name of every row from separate name columns (any may be None: not in the file), one per row."""
    columns = [firsts, middles, lasts, suffixes]
    lengths = {len(c) for c in columns if c is not None}
    if len(lengths) > 1:
        raise ValueError(f"name columns differ in length: {sorted(lengths)}")
    rows = lengths.pop() if lengths else 0
    filled = [c if c is not None else [None] * rows for c in columns]
    return map_distinct(zip(*filled), lambda row: split_name_columns(*row))


def _tokens(parts: NameParts) -> list[str]:
    return [w for part in (parts.first, parts.middle, parts.last) if part for w in part.replace("-", " ").split()]


def _clues() -> tuple[str, ...]:
    """Letters one of which every test-record name holds somewhere (each rule below needs one of its words):
    ZZ, TEST, the 'always' tokens, and the longest word of each phrase; a clue inside another is enough."""
    clues = {"ZZ", "TEST", *_TEST_ALWAYS, *(max(p.split(), key=len) for p in _TEST_PHRASES)}
    return tuple(sorted(c for c in clues if not any(o != c and o in c for o in clues)))


_TEST_CLUES = _clues()
_TEST_CLUE = re.compile("|".join(map(re.escape, _TEST_CLUES)))  # any clue, searched for in C


def _may_be_test_record(parts: NameParts, raw_full_name: str | None) -> bool:
    """False only when `is_test_record` is surely False: no clue in the name's parts or its raw text (cleaned as
    `_segments` cleans it, up to splitting, which only ever takes letters apart), and not a training pair. Most
    names are real: this spares them the full check's second parse of the raw name."""
    if (parts.first, parts.last) in _TEST_PAIRS:
        return True
    text = f"{parts.first} {parts.middle} {parts.last}"
    raw = cell_text(raw_full_name)
    if raw is not None:
        raw = raw.replace("'", "") if raw.isascii() else raw.translate(_APOSTROPHES)
        text += " " + fold_accents(raw).upper()
    return _TEST_CLUE.search(text) is not None


def is_test_record(parts: NameParts | None, raw_full_name: str | None = None) -> bool:
    """True when the name marks a test or training record: 'TEST PATIENT', 'DOE, JOHN TEST', 'ZZTEST' ...

    TEST as a first or middle name is a test record; as a last name (a real surname) only together with
    another test word (PATIENT, CLIENT, DOE, TEST ...). Surnames like Testa or Tester never count. "John Doe"
    alone is not a test record but an unidentified person: see `is_unidentified_person`.
    """
    if parts is None:
        parts = split_full_name(raw_full_name) if raw_full_name else NO_NAME
    if not _may_be_test_record(parts, raw_full_name):
        return False
    from_parts = _tokens(parts)
    from_raw = " ".join(_words(cell_text(raw_full_name))).replace("-", " ").split()
    words = set(from_parts) | set(from_raw)
    if not words:
        return False
    if any(w.startswith("ZZ") for w in words) or _TEST_ALWAYS.intersection(words):
        return True
    for text in (" ".join(from_parts), " ".join(from_raw)):
        if any(f" {phrase} " in f" {text} " for phrase in _TEST_PHRASES):
            return True
    if (parts.first, parts.last) in _TEST_PAIRS:
        return True
    given = (parts.first or "").split() + (parts.middle or "").split()
    if "TEST" in given:
        return True
    if "TEST" in words:  # a surname TEST needs company: "TEST, TEST", "TEST, PATIENT"
        tests = max(from_parts.count("TEST"), from_raw.count("TEST"))
        return tests > 1 or bool(_TEST_COMPANIONS.intersection(words - {"TEST"}))
    return False


def is_unidentified_person(parts: NameParts) -> bool:
    """True when the name stands for a person not identified yet: JOHN DOE, JANE DOE, 'TRAUMA, ALPHA', 'UNKNOWN, MALE'.

    Such a record is a real event; keep it, but its name must not take part in linkage.
    """
    if parts.last == "DOE" and (parts.first is None or parts.first in _DOE_FIRST):
        return True
    if parts.last in _ALIAS_LAST:
        return True
    return parts.last is None and parts.middle is None and parts.first in _SEX_ONLY
