"""Who a form is about: the name, other names and date of birth of one person, from their linked records.

The store keeps names normalized (NUNEZ); the form prints them as the agencies wrote them (Núñez), taken from
each record's original cells through the mapping profile of its import.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.importing.mapping import MappingProfile
from ddj_desktop.importing.normalize._text import fold_accents
from ddj_desktop.store.models import ImportBatch, Record, Source

NAME_FIELDS = ("first_name", "middle_name", "last_name", "name_suffix", "full_name")


@dataclass(frozen=True)
class PersonIdentity:
    person_id: int
    label: str  # P000123
    name: str  # First Middle Last Suffix, as written by the agencies
    aliases: tuple[str, ...]
    dob: str | None  # ISO date
    sources: tuple[str, ...]


def parse_person(person: str | int) -> int:
    """The number of a person given as P000123 or 123."""
    text = str(person).strip().upper().removeprefix("P")
    if not text.isdigit():
        raise DdjError(f"{person!r} is not a person ID.", hint="Person IDs look like P000123.")
    return int(text)


def person_identity(session: Session, person_id: int, label: str, *, without_sources: Iterable[int] = ()
                    ) -> PersonIdentity:
    """The identity of person `person_id` from all their records (but those of `without_sources`: 42 CFR Part 2
    sources the acting role may not see); DdjError if they have none."""
    hidden = sorted(set(without_sources))
    mine = (Record.person_id == person_id) & Record.source_id.not_in(hidden) if hidden else Record.person_id == person_id
    rows = session.execute(
        select(Record.first_name, Record.middle_name, Record.last_name, Record.name_suffix, Record.dob,
               Record.raw, Record.event_start, Record.source_id, ImportBatch.profile_toml, Record.batch_id)
        .join(ImportBatch, ImportBatch.id == Record.batch_id)
        .where(mine)
    ).all()  # fmt: skip
    if not rows:
        raise DdjError(f"There is no person {label} in the store (or no records are linked to them).")
    profiles: dict[int, MappingProfile | None] = {}
    spellings: dict[str, Counter[str]] = {}
    names: Counter[tuple[str, str]] = Counter()
    latest: dict[tuple[str, str], str] = {}
    middles: dict[tuple[str, str], Counter[str]] = {}
    suffixes: dict[tuple[str, str], str] = {}
    dobs: Counter[str] = Counter()
    for first, middle, last, suffix, dob, raw, start, _source, profile_toml, batch_id in rows:
        if batch_id not in profiles:
            profiles[batch_id] = _profile(profile_toml)
        _collect_spellings(spellings, profiles[batch_id], raw or {})
        if dob:
            dobs[dob] += 1
        if not (first or last):
            continue
        key = (first or "", last or "")
        names[key] += 1
        latest[key] = max(latest.get(key, ""), start or "")
        if middle:
            middles.setdefault(key, Counter())[middle] += 1
        if suffix:
            suffixes[key] = suffix
    sources = tuple(sorted(set(session.scalars(
        select(Source.name).join(Record, Record.source_id == Source.id).where(mine)
    ))))  # fmt: skip
    ranked = sorted(names, key=lambda k: (-names[k], _neg(latest[k]), k))
    full = [
        _display(spellings, [k[0], (middles.get(k) or Counter()).most_common(1)[0][0] if middles.get(k) else "",
                             k[1], suffixes.get(k, "")])
        for k in ranked
    ]  # fmt: skip
    unique = list(dict.fromkeys(n for n in full if n))
    dob = sorted(dobs, key=lambda d: (-dobs[d], d))[0] if dobs else None
    return PersonIdentity(person_id, label, unique[0] if unique else label, tuple(unique[1:]), dob, sources)


def _neg(text: str) -> str:
    """A sort key that puts later ISO times first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _profile(profile_toml: str | None) -> MappingProfile | None:
    if not profile_toml:
        return None
    try:
        return MappingProfile.from_toml(profile_toml)
    except DdjError:
        return None


_WORD = re.compile(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*")


def _collect_spellings(spellings: dict[str, Counter[str]], profile: MappingProfile | None, raw: dict) -> None:
    """Count how each normalized name word was written in the record's original name cells."""
    columns = [profile.fields[f] for f in NAME_FIELDS if profile and f in profile.fields] if profile else []
    for column in columns:
        value = raw.get(column)
        if not isinstance(value, str):
            continue
        for word in _WORD.findall(value):
            key = re.sub(r"[^A-Z]", "", fold_accents(word).upper())
            if key:
                spellings.setdefault(key, Counter())[word] += 1


def _display(spellings: dict[str, Counter[str]], parts: list[str]) -> str:
    """The name parts as the agencies wrote them: accents back, capitals only where a name has them."""
    words = []
    for part in parts:
        for word in (part or "").split():
            seen = spellings.get(word)
            words.append(_best_spelling(seen) if seen else _title(word))
    return " ".join(words)


def _best_spelling(seen: Counter[str]) -> str:
    """The most informative way a word was written: with accents and mixed case over plain capitals."""
    def score(w: str) -> tuple[int, int, int]:
        return (not w.isascii(), not (w.isupper() or w.islower()), seen[w])

    best = max(seen, key=score)
    return _title(best) if best.isupper() or best.islower() else best


def _title(word: str) -> str:
    return "-".join(p[:1].upper() + p[1:].lower() for p in word.split("-"))
