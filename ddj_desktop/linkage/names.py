"""Name helpers for linkage: the nickname table, a phonetic code, and surname parts.

Names arrive normalized by the import (upper case ASCII, accents folded, apostrophes dropped, hyphens kept).
"""

from __future__ import annotations

import csv
import re
from functools import cache, lru_cache
from importlib import resources

from ddj_desktop.importing.normalize import names as normalize_names
from ddj_desktop.importing.normalize._text import fold_accents

NICKNAME_FILES = ("nicknames.csv", "nicknames_extra.csv")
PARTICLES = normalize_names.PARTICLES
# Generational suffixes: two different ones on the same name mean two people (father and son).
GENERATIONAL = frozenset({"JR", "SR", "II", "III", "IV", "V"})


def _clean(name: str) -> str:
    return re.sub(r"[^A-Z\- ]", "", fold_accents(name.strip()).upper())


@cache
def nickname_pairs() -> frozenset[tuple[str, str]]:
    """Every (name, nickname) pair of the shipped tables, in both directions, normalized like imported names.

    A line `name,a,b` relates `name` to `a` and to `b` only: the table is not transitive (BILL lists ROBERT
    and FRED, which are not nicknames of each other)."""
    pairs: set[tuple[str, str]] = set()
    folder = resources.files("ddj_desktop.linkage").joinpath("data")
    for file_name in NICKNAME_FILES:
        text = folder.joinpath(file_name).read_text(encoding="utf-8")
        for row in csv.reader(line for line in text.splitlines() if line and not line.startswith("#")):
            names = [n for n in (_clean(c) for c in row) if n]
            if len(names) < 2:
                continue
            head = names[0]
            for other in names[1:]:
                if other != head:
                    pairs.add((head, other))
                    pairs.add((other, head))
    return frozenset(pairs)


@cache
def given_names() -> frozenset[str]:
    """Every given name of the shipped nickname tables (JOHN, JACK, MARIA, CHUY ...), normalized like imported
    names."""
    return frozenset(name for pair in nickname_pairs() for name in pair)


_SOUNDEX_CODES = str.maketrans("AEIOUYHWBFPVCGJKQSXZDTLMNR", "000000**111122222222334556")


@lru_cache(maxsize=500_000)
def soundex(name: str) -> str:
    """American Soundex of the letters of `name` ('' when it has none): ROBERT and RUPERT give R163."""
    letters = "".join(c for c in name if "A" <= c <= "Z")
    if not letters:
        return ""
    codes = letters.translate(_SOUNDEX_CODES)
    out = [letters[0]]
    last = codes[0]
    for code in codes[1:]:
        if code == "*":  # H and W do not separate equal codes
            continue
        if code != last and code != "0":
            out.append(code)
        last = code
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")


@lru_cache(maxsize=500_000)
def surname_parts(last: str) -> tuple[str, ...]:
    """The words of a surname that can stand alone: GARCIA-LOPEZ and GARCIA LOPEZ give (GARCIA, LOPEZ);
    particles go (DE LA CRUZ gives (CRUZ,))."""
    words = [w for w in re.split(r"[\s\-]+", last) if w]
    kept = [w for w in words if w not in PARTICLES]
    return tuple(kept or words)
