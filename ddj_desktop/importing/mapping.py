"""Column auto-mapping and mapping profiles: which column of an agency export holds which DDJ field.

A `MappingProfile` says, for one kind of export, which column holds each canonical field (DESIGN.md,
"Canonical import fields") and each event attribute. `propose_mapping` guesses a profile for a new table from
its header names (synonym lists and known layouts kept as data in `layouts/*.toml`) and from its cell contents;
the analyst checks the guess, overrides what is wrong, and saves the profile in a `ProfileLibrary` so next
month's file is mapped the same way. Profiles are plain TOML that a user can edit in Notepad.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import hashlib
import json
import re
import statistics
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ddj_desktop.errors import MappingError
from ddj_desktop.importing.model import Cell, Table, TableRow
from ddj_desktop.importing.normalize.dates import time_of_day
from ddj_desktop.importing.normalize.quality import missing_reason

CANONICAL_FIELDS: tuple[str, ...] = (
    "source_key", "agency_person_id", "first_name", "middle_name", "last_name", "name_suffix", "full_name",
    "dob", "ssn", "sex", "race", "ethnicity", "address", "zip", "name_quality", "dob_quality", "ssn_quality",
    "event_type", "event_start", "event_end", "event_start_time", "event_end_time",
)  # fmt: skip
FIXED_ATTRIBUTES: tuple[str, ...] = (
    "homeless", "serious_mental_illness", "substance_use", "charge", "charge_level", "booking_type",
    "service_type", "disposition", "facility",
)  # fmt: skip
NAME_ORDERS: tuple[str, ...] = ("last_comma_first", "first_last", "last_first")
SAMPLE_ROWS = 200  # enough to judge a column's contents, few enough to stay instant on a 100k-row file

# Confidence of each kind of evidence, so the GUI can mark the guesses worth a second look.
CONFIDENCE_LAYOUT = 0.95
CONFIDENCE_SYNONYM = 0.9
CONFIDENCE_USER = 1.0


# --------------------------------------------------------------------------------------------------------------
# Mapping profiles
# --------------------------------------------------------------------------------------------------------------


@dataclass
class MappingProfile:
    """How the columns of one kind of export map onto DDJ fields and event attributes."""

    name: str
    source: str | None = None  # the source this export usually belongs to: jail, ems, shelter ...
    version: int = 1
    fields: dict[str, str] = field(default_factory=dict)  # canonical field -> column
    attributes: dict[str, str] = field(default_factory=dict)  # attribute name -> column
    name_order: str | None = None  # how full_name is written: one of NAME_ORDERS
    day_first: bool | None = None  # True: 03/04/2024 is 3 April; None: the reader's default (US)
    event_type: str | None = None  # the event type of every row when no column gives it
    file_pattern: str | None = None  # glob on the file name, to offer the profile again next month
    layout: str | None = None  # the known layout it came from (layouts/*.toml), if any
    keep_other_columns: bool = True  # keep every unmapped column as an attribute under its own name
    day_first_by_column: dict[str, bool] = field(default_factory=dict)  # when date columns disagree
    # field or attribute -> {yes/no column -> code}: HMIS FY2024 race and gender flags become one value.
    flags: dict[str, dict[str, str]] = field(default_factory=dict)

    def columns(self) -> list[str]:
        """Every column the profile names, each once, in profile order."""
        named = [*self.fields.values(), *self.attributes.values(), *self.day_first_by_column]
        for flag_columns in self.flags.values():
            named.extend(flag_columns)
        return list(dict.fromkeys(named))

    def to_toml(self) -> str:
        """The profile as commented TOML that a user can read and edit."""
        return _profile_to_toml(self)

    @classmethod
    def from_toml(cls, text: str, origin: str = "mapping profile") -> MappingProfile:
        """The profile written in `text`; MappingError naming `origin` and the bad key if it is malformed."""
        return _profile_from_toml(text, origin)


def load_profile(path: Path) -> MappingProfile:
    """The profile stored in the TOML file at `path`."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # Notepad may add a byte-order mark
    except OSError as err:
        raise MappingError(f"Cannot read the mapping profile {Path(path).name}: {err.strerror}.") from err
    except UnicodeDecodeError as err:
        raise MappingError(
            f"Mapping profile {Path(path).name} is not a text file in UTF-8.",
            hint="Save it again from Notepad with the encoding set to UTF-8.",
        ) from err
    return MappingProfile.from_toml(text, origin=Path(path).name)


def save_profile(profile: MappingProfile, path: Path) -> None:
    """Nothing; writes `profile` to `path` as TOML (replacing the file only once it is fully written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(profile.to_toml(), encoding="utf-8")
    partial.replace(path)


_PROFILE_HEAD = """\
# DDJ Desktop mapping profile: which column of an agency export holds which DDJ field.
# Edit with any text editor. Keep the quotes around names; a line starting with # is a comment.
# Under [fields], write  field = "Column name as in the file's header". Delete a line to leave a field empty.
# DDJ fields: {fields}.
# Under [attributes], the event details rules and reports use: {attributes}
# (and any other name you like).
"""

_SETTING_COMMENTS = {
    "name_order": "how full_name is written: last_comma_first, first_last or last_first",
    "day_first": "true: 03/04/2024 is 3 April; false: 4 March",
    "event_type": "the event type of every row, when no column gives it",
    "file_pattern": "file names this profile is offered for (* matches anything)",
    "layout": "the known export layout this profile came from",
    "keep_other_columns": "true: keep every other column as an event attribute under its own name",
}


def _profile_to_toml(profile: MappingProfile) -> str:
    lines = [_PROFILE_HEAD.format(fields=", ".join(CANONICAL_FIELDS), attributes=", ".join(FIXED_ATTRIBUTES))]
    lines.append(f"name = {_toml_string(profile.name)}")
    if profile.source is not None:
        lines.append(f"source = {_toml_string(profile.source)}")
    lines.append(f"version = {int(profile.version)}")
    settings: list[tuple[str, Any]] = [
        ("layout", profile.layout),
        ("file_pattern", profile.file_pattern),
        ("event_type", profile.event_type),
        ("name_order", profile.name_order),
        ("day_first", profile.day_first),
        ("keep_other_columns", profile.keep_other_columns),
    ]
    for key, value in settings:
        if value is not None:
            lines.append(f"{key} = {_toml_value(value)}  # {_SETTING_COMMENTS[key]}")
    lines.append("\n[fields]")
    ordered = sorted(profile.fields.items(), key=lambda kv: CANONICAL_FIELDS.index(kv[0]))
    lines.extend(f"{key} = {_toml_string(column)}" for key, column in ordered)
    lines.append("\n[attributes]")
    lines.extend(f"{_toml_key(key)} = {_toml_string(column)}" for key, column in profile.attributes.items())
    if profile.day_first_by_column:
        lines.append("\n# Date columns whose day/month order differs from day_first above.")
        lines.append("[day_first_by_column]")
        lines.extend(f"{_toml_key(c)} = {_toml_value(v)}" for c, v in profile.day_first_by_column.items())
    for target, flag_columns in profile.flags.items():
        lines.append(f"\n# Yes/no columns (1, Y, Yes, True) that each give a code of {target}.")
        lines.append(f"[flags.{_toml_key(target)}]")
        lines.extend(f"{_toml_key(c)} = {_toml_string(code)}" for c, code in flag_columns.items())
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL character.
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _toml_string(value)


_TOP_LEVEL_KEYS = (
    "name", "source", "version", "fields", "attributes", "name_order", "day_first", "event_type",
    "file_pattern", "layout", "keep_other_columns", "day_first_by_column", "flags",
)  # fmt: skip


def _profile_from_toml(text: str, origin: str) -> MappingProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise MappingError(
            f"Mapping profile {origin} is not valid TOML: {err}.",
            hint='Each line should read  name = "value"  with the value in double quotes.',
        ) from err
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            raise MappingError(f'Mapping profile {origin}: unknown setting "{key}".{_closest(key, _TOP_LEVEL_KEYS)}')
    fields = _string_table(data, "fields", origin)
    for key in fields:
        _check_field_name(key, origin)
    flags_raw = data.get("flags", {})
    if not isinstance(flags_raw, dict):
        raise MappingError(f'Mapping profile {origin}: "flags" must be a table like [flags.race].')
    flags = {target: _string_table(flags_raw, target, origin, prefix="flags.") for target in flags_raw}
    for target in flags:
        if target not in CANONICAL_FIELDS + FIXED_ATTRIBUTES:
            _unknown_name(target, origin, "flags")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MappingError(f'Mapping profile {origin}: "name" is missing; write  name = "Jail bookings"  or similar.')
    profile = MappingProfile(
        name=name,
        source=_optional(data, "source", str, origin),
        version=_optional(data, "version", int, origin) or 1,
        fields=fields,
        attributes=_string_table(data, "attributes", origin),
        name_order=_optional(data, "name_order", str, origin),
        day_first=_optional(data, "day_first", bool, origin),
        event_type=_optional(data, "event_type", str, origin),
        file_pattern=_optional(data, "file_pattern", str, origin),
        layout=_optional(data, "layout", str, origin),
        keep_other_columns=_optional(data, "keep_other_columns", bool, origin) is not False,
        day_first_by_column=_bool_table(data, "day_first_by_column", origin),
        flags=flags,
    )
    if profile.name_order is not None and profile.name_order not in NAME_ORDERS:
        raise MappingError(
            f'Mapping profile {origin}: name_order "{profile.name_order}" is not one of {", ".join(NAME_ORDERS)}.'
        )
    return profile


def _check_field_name(key: str, origin: str) -> None:
    if key in CANONICAL_FIELDS:
        return
    if key in FIXED_ATTRIBUTES:
        raise MappingError(
            f'Mapping profile {origin}: "{key}" is an event attribute, not a field; move it under [attributes].'
        )
    _unknown_name(key, origin, "fields")


def _unknown_name(key: str, origin: str, section: str) -> None:
    raise MappingError(
        f'Mapping profile {origin}: unknown field "{key}" in [{section}].'
        f"{_closest(key, CANONICAL_FIELDS + FIXED_ATTRIBUTES)}",
        hint=f"DDJ fields are: {', '.join(CANONICAL_FIELDS)}.",
    )


def _closest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""


def _optional(data: dict[str, Any], key: str, kind: type, origin: str) -> Any:
    value = data.get(key)
    # bool is a subclass of int in Python; "version = true" is still a mistake.
    if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
        expected = {str: "text in double quotes", int: "a whole number", bool: "true or false"}[kind]
        raise MappingError(f'Mapping profile {origin}: "{key}" should be {expected}.')
    return value


def _string_table(data: dict[str, Any], key: str, origin: str, prefix: str = "") -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise MappingError(f'Mapping profile {origin}: [{prefix}{key}] must be a section of  name = "Column"  lines.')
    for name, column in table.items():
        if not isinstance(column, str):
            raise MappingError(
                f'Mapping profile {origin}: "{name}" in [{prefix}{key}] should be a column name in double quotes.'
            )
    return dict(table)


def _bool_table(data: dict[str, Any], key: str, origin: str) -> dict[str, bool]:
    table = data.get(key, {})
    if not isinstance(table, dict) or not all(isinstance(v, bool) for v in table.values()):
        raise MappingError(f'Mapping profile {origin}: [{key}] lines should read  "Column" = true  or false.')
    return dict(table)


# --------------------------------------------------------------------------------------------------------------
# Matching a profile to a file's header
# --------------------------------------------------------------------------------------------------------------


def normalize_header(name: str) -> str:
    """`name` without case, spaces or punctuation, "#" read as "number": 'Booking #' -> 'bookingnumber'."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower().replace("#", "number"))


# A NEMSIS element ID written into a header, as EMS report writers export them: 'Patient Last Name
# (ePatient.02)', 'ePatient.02 - Last Name', 'ePatient_02'.
_NEMSIS_ELEMENT = re.compile(r"(?<![A-Za-z])(e[A-Z][A-Za-z]+)[._](\d{2,3})(?!\d)")
_BRACKETED = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
# A bracketed part that says the column is about someone or something else is never dropped: 'Last Name (AKA)'
# is not the person's last name, 'DOB (Victim)' not their date of birth.
_OTHER_THAN_THE_PERSON = re.compile(
    r"\b(aka|alias|other|prior|previous|former|maiden|victim|caller|contact|guardian|parent|mother|father|spouse|"
    r"officer|witness|complainant|emergency)\b",
    re.IGNORECASE,
)


@cache
def header_names(name: str) -> tuple[str, ...]:
    """`name` normalized, then the other names it answers to: a NEMSIS element ID written in it ('Patient Last
    Name (ePatient.02)' -> 'epatient02') and its words without bracketed notes or element IDs ('DOB
    (MM/DD/YYYY)' -> 'dob', 'ePatient.02 - Last Name' -> 'lastname')."""
    text = str(name)
    names = [normalize_header(text)]
    names += [normalize_header(f"{m[1]}.{m[2]}") for m in _NEMSIS_ELEMENT.finditer(text)]
    if not any(_OTHER_THAN_THE_PERSON.search(m[0]) for m in _BRACKETED.finditer(text)):
        names.append(normalize_header(_NEMSIS_ELEMENT.sub(" ", _BRACKETED.sub(" ", text))))
    return tuple(dict.fromkeys([names[0], *(n for n in names[1:] if n)]))  # the plain name first, even if empty


def resolve_column(column: str, header: Sequence[str]) -> int | None:
    """The index of `column` in `header`: exact name first, else the one name equal but for case/spaces, else
    the one header that answers to that name ('ePatient.02' finds 'Patient Last Name (ePatient.02)')."""
    if column in header:
        return list(header).index(column)
    wanted = normalize_header(column)
    matches = [i for i, name in enumerate(header) if normalize_header(name) == wanted]
    if not matches:
        matches = [i for i, name in enumerate(header) if wanted in header_names(name)[1:]]
    return matches[0] if len(matches) == 1 else None


def profile_fits(profile: MappingProfile, file_name: str, header: Sequence[str]) -> bool:
    """Whether `profile` can map next month's file: its file pattern (if any) matches and every column it names
    is in `header`."""
    if profile.file_pattern and not fnmatch.fnmatch(file_name.lower(), profile.file_pattern.lower()):
        return False
    return all(resolve_column(c, header) is not None for c in profile.columns())


def check_profile(profile: MappingProfile, header: list[str], file_label: str) -> None:
    """Nothing if `header` has every column `profile` names; else MappingError naming each missing column."""
    missing = [c for c in profile.columns() if resolve_column(c, header) is None]
    if not missing:
        return
    described = []
    for column in missing:
        close = difflib.get_close_matches(column, header, n=2, cutoff=0.5)
        described.append(f'"{column}"' + (f" (closest: {', '.join(repr(c) for c in close)})" if close else ""))
    raise MappingError(
        f"{file_label} does not have the column{'s' if len(missing) > 1 else ''} that mapping profile "
        f'"{profile.name}" names: {"; ".join(described)}.',
        hint="Pick the right column for each in the mapping, or edit the profile.",
    )


@dataclass
class MappedRow:
    """One table row in DDJ terms: canonical fields and event attributes, values as the reader gave them."""

    row_number: int
    fields: dict[str, Cell]  # always has source_key (a row fingerprint when the profile maps none)
    attributes: dict[str, Cell]
    key_is_fingerprint: bool = False


@dataclass
class BoundProfile:
    """A profile checked against one table's header, ready to map its rows."""

    profile: MappingProfile
    header: list[str]
    field_index: dict[str, int]
    attribute_index: dict[str, int]
    flag_index: dict[str, list[tuple[int, str]]]
    other_index: dict[str, int]

    def map_row(self, row: TableRow) -> MappedRow:
        """The row's fields and attributes; flags joined into one code, other columns kept if asked."""
        values = row.values

        def cell(i: int) -> Cell:
            return _blank_to_none(values[i]) if i < len(values) else None

        fields = {name: cell(i) for name, i in self.field_index.items()}
        attributes = {name: cell(i) for name, i in self.attribute_index.items()}
        for target, flag_columns in self.flag_index.items():
            codes = [code for i, code in flag_columns if _is_yes(cell(i))]
            value = ";".join(dict.fromkeys(codes)) or None
            bucket = fields if target in CANONICAL_FIELDS else attributes
            if bucket.get(target) is None:
                bucket[target] = value
        for name, i in self.other_index.items():
            if (value := cell(i)) is not None:
                attributes.setdefault(name, value)
        if fields.get("event_type") is None and self.profile.event_type:
            fields["event_type"] = self.profile.event_type
        fingerprint = fields.get("source_key") is None and "source_key" not in self.field_index
        if fingerprint:
            fields["source_key"] = row_fingerprint(self.header, values)
        return MappedRow(row.row_number, fields, attributes, key_is_fingerprint=fingerprint)


def bind_profile(profile: MappingProfile, header: list[str], file_label: str) -> BoundProfile:
    """`profile` bound to `header` (MappingError naming the file if a column it names is missing)."""
    check_profile(profile, header, file_label)

    def index(column: str) -> int:
        found = resolve_column(column, header)
        assert found is not None  # check_profile has made sure
        return found

    field_index = {name: index(column) for name, column in profile.fields.items()}
    attribute_index = {name: index(column) for name, column in profile.attributes.items()}
    flag_index = {t: [(index(c), code) for c, code in cols.items()] for t, cols in profile.flags.items()}
    used = set(field_index.values()) | set(attribute_index.values())
    used |= {i for pairs in flag_index.values() for i, _ in pairs}
    other_index = {}
    if profile.keep_other_columns:
        other_index = {name: i for i, name in enumerate(header) if i not in used and name not in attribute_index}
    return BoundProfile(profile, list(header), field_index, attribute_index, flag_index, other_index)


def _blank_to_none(value: Cell) -> Cell:
    return None if isinstance(value, str) and not value.strip() else value


_YES = {"1", "y", "yes", "true", "t", "x"}


def _is_yes(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in _YES


def row_fingerprint(header: Sequence[str], values: Sequence[Cell]) -> str:
    """A SHA-256 hex digest of the row's non-empty cells, the same for the same row in next month's file.

    Used as the source_key when no column identifies a row. Cells are normalized (text trimmed with inner
    spaces collapsed, 12.0 == 12 == "12", dates in ISO form) and paired with their column's normalized name
    in header order, sorted by that name: so a re-export that reorders columns or adds an empty column gives
    the same fingerprint, while any changed value gives a new one.
    """
    pairs = []
    for i, name in enumerate(header):
        text = _fingerprint_text(values[i] if i < len(values) else None)
        if text:
            pairs.append(f"{normalize_header(name)}\x1f{text}")
    payload = "v1\x1e" + "\x1e".join(sorted(pairs))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _fingerprint_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    return " ".join(str(value).split())


# --------------------------------------------------------------------------------------------------------------
# Known layouts and synonym lists (data in layouts/*.toml)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """A known export layout: the columns that identify it and the DDJ field each of its columns holds."""

    name: str
    title: str
    source: str | None
    event_type: str | None
    signature: tuple[frozenset[str], ...]  # each entry: the normalized names that count for it
    required: tuple[frozenset[str], ...]
    min_score: float
    fields: dict[str, tuple[str, ...]]  # field -> candidate columns, first present wins
    attributes: dict[str, tuple[str, ...]]
    flags: dict[str, dict[str, str]]
    notes: tuple[str, ...]

    def score(self, names: set[str]) -> tuple[int, float]:
        """How many of its signature entries the normalized header `names` has, and which fraction."""
        hits = sum(1 for alternatives in self.signature if alternatives & names)
        return hits, hits / len(self.signature)

    def fits(self, names: set[str]) -> bool:
        """True if the header has every required column and enough of the signature."""
        if not all(alternatives & names for alternatives in self.required):
            return False
        return self.score(names)[1] >= self.min_score


def _layout_files() -> list[tuple[str, str]]:
    folder = resources.files("ddj_desktop.importing").joinpath("layouts")
    return sorted((p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".toml"))


@cache
def known_layouts() -> tuple[Layout, ...]:
    """Every layout described in layouts/*.toml."""
    layouts = []
    for file_name, text in _layout_files():
        if file_name == "synonyms.toml":
            continue
        data = tomllib.loads(text)
        common = data.get("common", {})
        for entry in data.get("layout", []):
            layouts.append(_layout_from_data(entry, common))
    return tuple(layouts)


def _layout_from_data(entry: dict[str, Any], common: dict[str, Any]) -> Layout:
    def alternatives(item: str | list[str]) -> frozenset[str]:
        return frozenset(normalize_header(n) for n in ([item] if isinstance(item, str) else item))

    def candidates(section: str) -> dict[str, tuple[str, ...]]:
        merged: dict[str, tuple[str, ...]] = {}
        for source in (entry.get(section, {}), common.get(section, {})):
            for key, value in source.items():
                merged[key] = merged.get(key, ()) + tuple([value] if isinstance(value, str) else value)
        return merged

    flags = {**common.get("flags", {}), **entry.get("flags", {})}
    return Layout(
        name=entry["name"],
        title=entry.get("title", entry["name"]),
        source=entry.get("source"),
        event_type=entry.get("event_type"),
        signature=tuple(alternatives(item) for item in entry["signature"]),
        required=tuple(alternatives(item) for item in entry.get("required", [])),
        min_score=float(entry.get("min_score", 0.6)),
        fields=candidates("fields"),
        attributes=candidates("attributes"),
        flags=flags,
        notes=tuple(entry.get("notes", [])),
    )


@cache
def _synonyms_toml() -> dict[str, Any]:
    """layouts/synonyms.toml, read once."""
    return tomllib.loads(dict(_layout_files())["synonyms.toml"])


@cache
def synonyms() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Known header names (normalized) for each canonical field, and for each fixed attribute."""
    data = _synonyms_toml()

    def normalized(section: str) -> dict[str, tuple[str, ...]]:
        return {k: tuple(dict.fromkeys(normalize_header(n) for n in v)) for k, v in data[section].items()}

    return normalized("fields"), normalized("attributes")


@cache
def subject_words() -> tuple[str, ...]:
    """Words (normalized) an export puts before a field's name for the row's own person: 'Patient Last Name'."""
    data = _synonyms_toml()
    return tuple(normalize_header(w) for w in data["subjects"]["words"])


def without_subject(header_name: str) -> str | None:
    """`header_name` (normalized) without the one or two subject words it starts with, or None if it starts with
    none: 'patientlastname' -> 'lastname', 'patientlegalfirstname' -> 'firstname'."""
    rest, stripped = header_name, 0
    while stripped < 2 and (word := next((w for w in subject_words() if rest.startswith(w) and rest != w), None)):
        rest, stripped = rest[len(word) :], stripped + 1
    return rest if stripped else None


def recognise_layout(header: Sequence[str]) -> Layout | None:
    """The known layout `header` fits best (most signature columns present), or None."""
    names = {n for h in header for n in header_names(h)}
    fitting = [layout for layout in known_layouts() if layout.fits(names)]
    if not fitting:
        return None
    return max(fitting, key=lambda layout: layout.score(names))


# --------------------------------------------------------------------------------------------------------------
# What cell contents look like
# --------------------------------------------------------------------------------------------------------------

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_SLASHED = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)
_NAMED_MONTH = re.compile(r"(\d{1,2})[-/ ]([A-Za-z]{3,9})\.?[-/ ,]+(\d{4})")  # 05-MAR-1987, 5 March 1987
_MONTH_NUMBERS = {name: n for n, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_PARTIAL_DATE = re.compile(r"[0-9Xx]{4}-[0-9Xx]{2}-[0-9Xx]{2}|[0-9Xx]{1,2}/[0-9Xx]{1,2}/[0-9Xx]{4}")
_SSN = re.compile(r"[0-9Xx]{3}-[0-9Xx]{2}-[0-9Xx]{4}|[0-9Xx]{9}")
_LAST_COMMA_FIRST = re.compile(r"[A-Za-z][A-Za-z'\- .]*,\s*[A-Za-z][A-Za-z'\- .]*")
_FIRST_LAST = re.compile(r"[A-Za-z][A-Za-z'\-.]*(?: [A-Za-z][A-Za-z'\-.]*){1,3}")
_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.]{0,23}")


@cache
def value_codes() -> dict[str, frozenset[str]]:
    """The codes (upper case) a sex or race column is made of, from layouts/synonyms.toml [values]."""
    data = _synonyms_toml()
    return {kind: frozenset(c.upper() for c in codes) for kind, codes in data["values"].items()}


@dataclass
class DateEvidence:
    """What the values of a column say about dates in it."""

    share: float  # fraction of non-empty values that are dates (or partial dates)
    has_time: bool
    median_age_years: float | None
    oldest_age_years: float | None
    youngest_age_years: float | None
    day_first: bool | None  # from slashed dates with a part above 12; None when they never tell


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def _as_date(value: Cell) -> tuple[dt.datetime | None, bool, int | None, int | None]:
    """(the moment a cell gives, or None; has a time of day; first and second number of a slashed date)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None), value.time() != dt.time(0, 0), None, None
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0)), False, None, None
    if not isinstance(value, str):
        return None, False, None, None
    text = value.strip()
    if m := _ISO.fullmatch(text):
        return _moment(int(m[1]), int(m[2]), int(m[3]), m[4], m[5], None), _timed(m[4], m[5]), None, None
    if (m := _NAMED_MONTH.fullmatch(text)) and (month := _MONTH_NUMBERS.get(m[2][:3].lower())):
        return _moment(int(m[3]), month, int(m[1]), None, None, None), False, None, None
    if len(text) == 8 and text.isdigit() and 1800 <= int(text[:4]) <= 2100:  # YYYYMMDD, as court systems write
        moment = _moment(int(text[:4]), int(text[4:6]), int(text[6:]), None, None, None)
        return moment, False, None, None
    if m := _SLASHED.fullmatch(text):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if year < 100:  # two-digit year: this century unless that would be in the future
            year += 2000 if year <= dt.date.today().year % 100 else 1900
        month, day = (second, first) if first > 12 else (first, second)
        return _moment(year, month, day, m[4], m[5], m[7]), _timed(m[4], m[5]), first, second
    return None, False, None, None


def _timed(hour: str | None, minute: str | None) -> bool:
    return hour is not None and (int(hour), int(minute or 0)) != (0, 0)


def _moment(
    year: int, month: int, day: int, hour: str | None, minute: str | None, am_pm: str | None
) -> dt.datetime | None:
    date = _safe_date(year, month, day)
    if date is None:
        return None
    hours = int(hour or 0) % 12 + (12 if am_pm and am_pm.upper() == "PM" else 0) if am_pm else int(hour or 0)
    try:
        return dt.datetime.combine(date, dt.time(hours, int(minute or 0)))
    except ValueError:
        return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_evidence(values: Sequence[Cell], today: dt.date | None = None) -> DateEvidence:
    """What `values` (non-empty cells of one column) say about dates."""
    today = today or dt.date.today()
    dates: list[dt.date] = []
    partial = 0
    has_time = False
    first_over_12 = second_over_12 = False
    for value in values:
        moment, timed, first, second = _as_date(value)
        if moment is None:
            partial += bool(isinstance(value, str) and _PARTIAL_DATE.fullmatch(value.strip()))
            continue
        dates.append(moment.date())
        has_time |= timed
        first_over_12 |= bool(first and first > 12)
        second_over_12 |= bool(second and second > 12)
    ages = [(today - d).days / 365.25 for d in dates]
    day_first = None if first_over_12 == second_over_12 else first_over_12
    return DateEvidence(
        share=(len(dates) + partial) / len(values) if values else 0.0,
        has_time=has_time,
        median_age_years=statistics.median(ages) if ages else None,
        # Percentiles, not extremes: one placeholder 1900-01-01 or typo must not hide a column of birth dates.
        oldest_age_years=_percentile(ages, 0.98),
        youngest_age_years=_percentile(ages, 0.02),
        day_first=day_first,
    )


@dataclass
class ContentGuess:
    """What a column's values look like: a kind (dob, ssn, sex ...), how sure, and why in words."""

    kind: str
    confidence: float
    reason: str
    name_order: str | None = None


def _share(values: Sequence[Cell], test) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _upper(value: Cell) -> str:
    return str(value).strip().upper()


def classify_values(values: Sequence[Cell]) -> ContentGuess | None:
    """What the non-empty `values` of one column look like, or None if nothing DDJ needs."""
    values = _without_not_values(values)
    if not values:
        return None
    evidence = date_evidence(values)
    if evidence.share >= 0.8:
        return _classify_dates(evidence)
    texts = [v for v in values if isinstance(v, str)]
    if _share(values, lambda v: isinstance(v, str) and _SSN.fullmatch(v.strip())) >= 0.9:
        dashed = _share(texts, lambda v: "-" in v) >= 0.5
        return ContentGuess("ssn", 0.85 if dashed else 0.6, "values look like social security numbers")
    distinct = {_upper(v) for v in values}
    codes = value_codes()
    if distinct <= codes["sex"] and distinct & {"M", "F", "MALE", "FEMALE", "9919001", "9919003", "9906001", "9906003"}:
        return ContentGuess("sex", 0.8, "values look like sex codes (M/F)")
    if distinct <= codes["race"] and distinct & {"W", "B", "WHITE", "BLACK"}:
        return ContentGuess("race", 0.75, "values look like race codes (W/B/A/I ...)")
    if _share(values, _looks_like_zip) >= 0.9 and (len(values) < 10 or len(distinct) <= 0.6 * len(values)):
        return ContentGuess("zip", 0.6, "values look like ZIP codes")
    if _share(values, _looks_like_last_comma_first) >= 0.8 and (len(distinct) > 1 or len(values) < 5):
        return ContentGuess("full_name", 0.75, "values look like names written 'LAST, FIRST'", "last_comma_first")
    return _classify_ids(values, distinct) or _classify_first_last(values, distinct)


def _looks_like_last_comma_first(value: Cell) -> bool:
    """'SMITH, JOHN A', 'De La Cruz, Ana': a comma, and a few words either side (a phrase such as 'Patient
    Treated, Transported by this EMS Unit' has too many)."""
    if not isinstance(value, str) or not _LAST_COMMA_FIRST.fullmatch(value := value.strip()):
        return False
    last, _, first = value.partition(",")
    return len(last.split()) <= 4 and len(first.split()) <= 3


def _without_not_values(values: Sequence[Cell]) -> list[Cell]:
    """`values` without NEMSIS NOT values and pertinent negatives (7701003 Not Recorded, 8801019 Refused), which
    stand in any element's column and say nothing about what the column holds. (Only a 7-digit code counts, as
    the date parser reads them: an 8 or a 99 may be the column's own value.)"""
    return [v for v in values if not ((t := str(v).strip()).isdigit() and len(t) == 7 and missing_reason(t))]


def _classify_dates(evidence: DateEvidence) -> ContentGuess:
    if (
        not evidence.has_time
        and evidence.median_age_years is not None
        and evidence.median_age_years >= 12
        and (evidence.oldest_age_years or 0) <= 110
        and (evidence.youngest_age_years or 0) >= 0
    ):
        return ContentGuess("dob", 0.8, "values look like dates of birth (ages 0-110)")
    if evidence.has_time:
        return ContentGuess("datetime", 0.6, "values are dates with times of day, like events")
    return ContentGuess("date", 0.5, "values are recent dates, like events")


def _looks_like_zip(value: Cell) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 10000 <= value <= 99950  # below 10000 a number is more likely a year or a count
    return isinstance(value, str) and bool(_ZIP.fullmatch(value.strip()))


def _classify_ids(values: Sequence[Cell], distinct: set[str]) -> ContentGuess | None:
    def id_like(v: Cell) -> bool:
        if isinstance(v, bool | float):
            return False  # amounts, not identifiers
        text = str(v).strip()
        return bool(_ID.fullmatch(text)) and any(ch.isdigit() for ch in text) and len(text) >= 3

    if _share(values, id_like) < 1.0:
        return None
    if len(distinct) == len(values):
        return ContentGuess("id_unique", 0.6, "values are identifiers, each row its own")
    if len(distinct) >= 0.2 * len(values) and all(len(str(v).strip()) >= 4 for v in values):
        return ContentGuess("id_repeat", 0.4, "values are identifiers that repeat, like a person number")
    return None


def _classify_first_last(values: Sequence[Cell], distinct: set[str]) -> ContentGuess | None:
    if len(distinct) < 0.5 * len(values):
        return None
    if _share(values, lambda v: isinstance(v, str) and _FIRST_LAST.fullmatch(v.strip())) >= 0.8:
        return ContentGuess("full_name", 0.35, "values look like names written 'First Last'", "first_last")
    return None


# --------------------------------------------------------------------------------------------------------------
# Proposing a mapping
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Proposal:
    """A guessed profile for one table, with how sure each choice is and why."""

    profile: MappingProfile
    confidence: dict[str, float]  # mapped field or attribute -> 0..1
    layout: str | None  # the known layout recognised, if any
    reasons: dict[str, str]  # field, attribute or setting -> why, in words for the analyst
    unmapped: list[str]  # columns no field or attribute takes (kept as attributes if keep_other_columns)
    header: list[str] = field(default_factory=list)
    layout_title: str | None = None


# Fields whose values content checks can confirm or doubt, and the content kinds that fit each.
_FITTING_KINDS = {
    "dob": {"dob"},
    "ssn": {"ssn", "id_unique", "id_repeat"},
    "sex": {"sex"},
    "race": {"race"},
    "zip": {"zip"},
    "event_start": {"date", "datetime"},
    "event_end": {"date", "datetime"},
}


class _Choices:
    """The column picked for each field and attribute so far, with confidence and reason."""

    def __init__(self, header: list[str], columns: dict[str, list[Cell]], row_count: int) -> None:
        self.header = header
        self.columns = columns  # column -> non-empty sample values
        self.row_count = row_count  # rows in the sample
        self.fields: dict[str, str] = {}
        self.attributes: dict[str, str] = {}
        self.flags: dict[str, dict[str, str]] = {}
        self.confidence: dict[str, float] = {}
        self.reasons: dict[str, str] = {}
        self.taken: set[str] = set()

    def has(self, name: str) -> bool:
        return name in self.fields or name in self.attributes or name in self.flags

    def take(self, name: str, column: str, confidence: float, reason: str, *, reuse: bool = False) -> bool:
        if self.has(name) or (column in self.taken and not reuse):
            return False
        if name == "source_key" and not _unique_non_empty(self.columns[column], self.row_count):
            return False
        (self.fields if name in CANONICAL_FIELDS else self.attributes)[name] = column
        self.taken.add(column)
        self.confidence[name] = confidence
        self.reasons[name] = reason
        return True


def _unique_non_empty(values: list[Cell], row_count: int) -> bool:
    keys = [_fingerprint_text(v) for v in values]
    return len(keys) == row_count and len(set(keys)) == len(keys) and all(keys)


def _sample_columns(table: Table) -> tuple[dict[str, list[Cell]], int]:
    rows = table.rows[:SAMPLE_ROWS]
    columns: dict[str, list[Cell]] = {}
    for i, name in enumerate(table.header):
        cells = (_blank_to_none(r.values[i]) if i < len(r.values) else None for r in rows)
        columns[name] = [c for c in cells if c is not None]
    return columns, len(rows)


def propose_mapping(table: Table) -> Proposal:
    """A proposed profile for `table` from its header names, a known layout and a sample of its cells."""
    header = list(table.header)
    columns, row_count = _sample_columns(table)
    choices = _Choices(header, columns, row_count)
    layout = recognise_layout(header)
    if layout is not None:
        _choose_from_layout(choices, layout)
    _choose_from_synonyms(choices)
    _choose_from_contents(choices)
    _weigh_contents(choices)
    _pair_time_columns(choices)
    name_order, day_first, by_column = _settings_from_contents(choices)
    profile = MappingProfile(
        name=layout.title if layout else table.source.file.stem,
        source=layout.source if layout else None,
        fields=dict(choices.fields),
        attributes=dict(choices.attributes),
        name_order=name_order,
        day_first=day_first,
        event_type=layout.event_type if layout and "event_type" not in choices.fields else None,
        file_pattern=file_pattern_for(table.source.file.name),
        layout=layout.name if layout else None,
        day_first_by_column=by_column,
        flags=dict(choices.flags),
    )
    if layout and profile.event_type:
        choices.reasons["event_type"] = f'every row of a {layout.title} export is a "{layout.event_type}" event'
    unmapped = [h for h in header if h not in profile.columns()]
    return Proposal(
        profile,
        choices.confidence,
        layout.name if layout else None,
        choices.reasons,
        unmapped,
        header,
        layout.title if layout else None,
    )


def _choose_from_layout(choices: _Choices, layout: Layout) -> None:
    for section in (layout.fields, layout.attributes):
        for name, candidates in section.items():
            for candidate in candidates:
                index = resolve_column(candidate, choices.header)
                if index is None:
                    continue
                column = choices.header[index]
                reason = f"the {layout.title} layout keeps {name} in column '{column}'"
                # A layout may name one column twice (HMIS Client: PersonalID is both row and person key).
                if choices.take(name, column, CONFIDENCE_LAYOUT, reason, reuse=True):
                    break
    for target, flag_columns in layout.flags.items():
        present = {}
        for column, code in flag_columns.items():
            index = resolve_column(column, choices.header)
            if index is not None:
                present[choices.header[index]] = code
        if present and not choices.has(target):
            choices.flags[target] = present
            choices.taken.update(present)
            choices.confidence[target] = CONFIDENCE_LAYOUT
            choices.reasons[target] = f"the {layout.title} layout gives {target} as yes/no columns: " + ", ".join(
                present
            )


def _choose_from_synonyms(choices: _Choices) -> None:
    """Fields whose known names head a column; then "Patient Last Name", "Defendant DOB" (a subject word or two
    before a known name) for the fields no column names plainly."""
    plain: dict[str, list[str]] = {}
    after_subject: dict[str, list[str]] = {}
    aliased: dict[str, list[str]] = {}
    aliased_after_subject: dict[str, list[str]] = {}
    for column in choices.header:
        name, *aliases = header_names(column)
        plain.setdefault(name, []).append(column)
        if (rest := without_subject(name)) is not None:
            after_subject.setdefault(rest, []).append(column)
        for alias in aliases:
            aliased.setdefault(alias, []).append(column)
            if (rest := without_subject(alias)) is not None:
                aliased_after_subject.setdefault(rest, []).append(column)
    _take_known_names(choices, plain, "")
    _take_known_names(choices, after_subject, " after a word for the person the row is about")
    # Names inside a longer header ('Date of Birth (ePatient.17)', 'DOB (MM/DD/YYYY)') only where no header
    # says the name plainly.
    _take_known_names(choices, aliased, " inside the header")
    _take_known_names(choices, aliased_after_subject, " inside the header, after a word for the person")


def _take_known_names(choices: _Choices, by_name: dict[str, list[str]], how: str) -> None:
    """Give each field still open the first column `by_name` files under one of its known names (earlier names
    first)."""
    field_names, attribute_names = synonyms()
    for section in (field_names, attribute_names):
        for name, known in section.items():
            for known_name in known:
                for column in by_name.get(known_name, []):
                    reason = f"header '{column}' is a known name for {name}{how}"
                    if choices.take(name, column, CONFIDENCE_SYNONYM, reason):
                        break
                if choices.has(name):
                    break


# The order in which content guesses fill fields: the surest kinds first.
_KIND_TO_FIELD = (
    ("ssn", "ssn"), ("dob", "dob"), ("sex", "sex"), ("race", "race"), ("zip", "zip"), ("full_name", "full_name"),
    ("datetime", "event_start"), ("date", "event_start"), ("datetime", "event_end"), ("date", "event_end"),
    ("id_unique", "source_key"), ("id_repeat", "agency_person_id"),
)  # fmt: skip


def _choose_from_contents(choices: _Choices) -> None:
    guesses = {c: g for c in choices.header if c not in choices.taken and (g := classify_values(choices.columns[c]))}
    names_known = choices.has("first_name") or choices.has("last_name")
    for kind, name in _KIND_TO_FIELD:
        if name == "full_name" and names_known:
            continue
        for column in choices.header:
            guess = guesses.get(column)
            if guess and guess.kind == kind and choices.take(name, column, guess.confidence, guess.reason):
                break
    _order_event_dates(choices)


def _order_event_dates(choices: _Choices) -> None:
    """Swap event_start and event_end if contents chose them and the 'end' mostly comes first."""
    start, end = choices.fields.get("event_start"), choices.fields.get("event_end")
    if not start or not end or choices.confidence["event_start"] >= CONFIDENCE_SYNONYM:
        return
    starts = [_as_date(v)[0] for v in choices.columns[start]]
    ends = [_as_date(v)[0] for v in choices.columns[end]]
    later = sum(1 for s, e in zip(starts, ends) if s and e and e < s)
    if later > len(starts) / 2:
        choices.fields["event_start"], choices.fields["event_end"] = end, start


def _pair_time_columns(choices: _Choices) -> None:
    """The time of day of event_start (event_end) where the export keeps it in a column of its own: 'Booking
    Time' beside 'Booking Date', 'Arrival Time' beside 'Arrival Date'. A time column named by a known name but
    holding no times, or with no event date to go with, is let go."""
    for name in ("event_start", "event_end"):
        time_name, column = f"{name}_time", choices.fields.get(name)
        chosen = choices.fields.get(time_name)
        if chosen is not None and (column is None or not _looks_like_times(choices.columns[chosen])):
            del choices.fields[time_name], choices.confidence[time_name], choices.reasons[time_name]
            choices.taken.discard(chosen)
            evidence = date_evidence(choices.columns[chosen])
            if column is None and evidence.share >= 0.8:  # 'Release Time' holding whole dates and times
                choices.take(name, chosen, 0.6, f"'{chosen}' holds dates with times of day, like events")
                column = chosen
        if column is None or choices.has(time_name) or date_evidence(choices.columns[column]).has_time:
            continue
        header = normalize_header(column)
        twins = {header.replace("date", "time"), header.replace("date", ""), header.removesuffix("dt") + "time"}
        twins.discard(header)
        for candidate in choices.header:
            if normalize_header(candidate) in twins and _looks_like_times(choices.columns[candidate]):
                reason = f"'{candidate}' holds the time of day of '{column}'"
                if choices.take(time_name, candidate, CONFIDENCE_SYNONYM, reason):
                    break


def _looks_like_times(values: Sequence[Cell]) -> bool:
    """True if most of `values` are times of day on their own (13:45, 1:05 PM, 0930), not dates."""
    return bool(values) and _share(values, lambda v: time_of_day(v) is not None) >= 0.8


def _weigh_contents(choices: _Choices) -> None:
    """Raise confidence where a column's values fit the field its header names; lower it where they do not."""
    for name, column in choices.fields.items():
        fitting = _FITTING_KINDS.get(name)
        values = choices.columns[column]
        if not fitting or not values or choices.confidence[name] < CONFIDENCE_SYNONYM:
            continue
        guess = classify_values(values)
        if guess and guess.kind in fitting:
            choices.confidence[name] = min(0.99, choices.confidence[name] + 0.04)
            choices.reasons[name] += f"; {guess.reason}"
        elif name == "sex" and _all_sex_codes(values):
            choices.reasons[name] += "; values are sex codes it reads (HMIS 0/1, NEMSIS ...)"
        elif name in {"dob", "ssn", "sex"}:
            choices.confidence[name] = 0.6
            choices.reasons[name] += f"; but its values do not look like {name.replace('_', ' ')} values"


def _all_sex_codes(values: Sequence[Cell]) -> bool:
    """Whether every filled value is a sex code the import reads, or a data-quality code (HMIS FY2026 'Sex': 0/1
    with 8/9/99; ISO/IEC 5218: 0/1/2/9), which the M/F test of `classify_values` does not take for sex."""
    from ddj_desktop.importing.normalize import normalize_sex, sex_codes_of

    if sex_codes_of(values) == "iso5218":  # 1 male, 2 female, 0 and 9 not known
        return True
    filled = {v for v in values if v is not None and str(v).strip()}
    return bool(filled) and all(normalize_sex(v) is not None or missing_reason(v) is not None for v in filled)


def _given_name_votes(values: Sequence[Cell]) -> tuple[int, int]:
    """How many comma-less names in `values` read 'First Last' and how many 'LAST FIRST': of their first two
    words (particles, initials and suffixes aside), which one alone is a known given name ('SMITH JOHN A' is
    LAST FIRST, 'John A. Smith' First Last, 'LEE JAMES' says nothing)."""
    from ddj_desktop.importing.normalize import names as name_words
    from ddj_desktop.linkage.names import given_names

    known, skipped = given_names(), name_words.PARTICLES | set(name_words.SUFFIXES)
    first_last = last_first = 0
    for value in values:
        if not isinstance(value, str) or "," in value:
            continue
        words = [w for w in re.split(r"[\s.]+", value.upper()) if len(w) > 1 and w not in skipped]
        if len(words) < 2:
            continue
        one, two = (re.sub(r"[^A-Z]", "", w) in known for w in words[:2])
        first_last += one and not two
        last_first += two and not one
    return first_last, last_first


def _settings_from_contents(choices: _Choices) -> tuple[str | None, bool | None, dict[str, bool]]:
    name_order = None
    if full_name := choices.fields.get("full_name"):
        values = choices.columns[full_name]
        comma = _share(values, lambda v: isinstance(v, str) and "," in v)
        first_last, last_first = _given_name_votes(values)
        if comma >= 0.5:
            name_order, reason = "last_comma_first", f"names in '{full_name}' are written 'LAST, FIRST'"
        elif last_first > first_last and last_first >= 2:
            name_order = "last_first"
            reason = (f"names in '{full_name}' have no comma, and {last_first} of them put a given name second "
                      f"(against {first_last} first): read as 'LAST FIRST' (check this)")
        else:
            name_order = "first_last"
            reason = f"names in '{full_name}' have no comma and put given names first: read as 'First Last'"
            if first_last < 2:
                reason = f"names in '{full_name}' have no comma; assumed 'First Last' (check this)"
        choices.reasons["name_order"] = reason
    by_column: dict[str, bool] = {}
    for name in ("dob", "event_start", "event_end"):
        column = choices.fields.get(name)
        if column and (day_first := date_evidence(choices.columns[column]).day_first) is not None:
            by_column[column] = day_first
    verdicts = set(by_column.values())
    if len(verdicts) == 1:
        day_first = verdicts.pop()
        choices.reasons["day_first"] = "a date has " + (
            "a day above 12 first" if day_first else "a day above 12 second"
        )
        return name_order, day_first, {}
    return name_order, None, by_column


def file_pattern_for(file_name: str) -> str | None:
    """A glob that also matches next month's file: dates, numbers and month names become '*'."""
    if not file_name:
        return None
    stem, dot, extension = file_name.rpartition(".")
    stem = stem if dot else file_name
    months = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
    month_words = rf"(?:{months})[a-z]*"
    stem = re.sub(rf"(?i)(?<![a-z]){month_words}(?![a-z])|\d+", "*", stem)
    stem = re.sub(r"\*(?:[ _.\-]*\*)+", "*", stem)  # "2024-01-31" became "*-*-*": one star will do
    return f"{stem}.{extension}" if dot else stem


# --------------------------------------------------------------------------------------------------------------
# User overrides and the profile library
# --------------------------------------------------------------------------------------------------------------


def apply_overrides(proposal: Proposal, overrides: dict[str, str | None]) -> Proposal:
    """A copy of `proposal` with the user's choices: field or attribute -> column, or None to leave it empty.

    A column chosen by the user is taken away from whatever field the guess had given it. `event_type` and
    `name_order` may also be given a value that is not a column: the constant event type, the name order.
    """
    header = proposal.header
    fields = dict(proposal.profile.fields)
    attributes = dict(proposal.profile.attributes)
    flags = dict(proposal.profile.flags)
    confidence, reasons = dict(proposal.confidence), dict(proposal.reasons)
    settings: dict[str, Any] = {}
    for name, column in overrides.items():
        if name in ("name_order", "event_type") and column is not None and resolve_column(column, header) is None:
            settings[name] = _check_setting(name, column)
            reasons[name] = "set by the user"
            continue
        for bucket in (fields, attributes, flags):
            bucket.pop(name, None)
        confidence.pop(name, None)
        reasons.pop(name, None)
        if column is None:
            continue
        index = resolve_column(column, header) if header else 0
        if index is None:
            raise MappingError(f'There is no column "{column}" to map to {name}.{_closest(column, header)}')
        column = header[index] if header else column
        _release_column(column, (fields, attributes), confidence, reasons, keep=set(overrides))
        (fields if name in CANONICAL_FIELDS else attributes)[name] = column
        confidence[name] = CONFIDENCE_USER
        reasons[name] = "set by the user"
    profile = replace(proposal.profile, fields=fields, attributes=attributes, flags=flags, **settings)
    unmapped = [h for h in header if h not in profile.columns()]
    return replace(proposal, profile=profile, confidence=confidence, reasons=reasons, unmapped=unmapped)


def _check_setting(name: str, value: str) -> str:
    if name == "name_order" and value not in NAME_ORDERS:
        raise MappingError(f'Name order "{value}" is not one of {", ".join(NAME_ORDERS)}.')
    return value


def _release_column(
    column: str,
    buckets: Iterable[dict[str, str]],
    confidence: dict[str, float],
    reasons: dict[str, str],
    keep: set[str],
) -> None:
    for bucket in buckets:
        for name, mapped in list(bucket.items()):
            if mapped == column and name not in keep:
                del bucket[name]
                confidence.pop(name, None)
                reasons.pop(name, None)


class ProfileLibrary:
    """The saved mapping profiles in one folder, one TOML file each."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.problems: list[MappingError] = []  # profiles that could not be read on the last look

    def path_for(self, profile: MappingProfile) -> Path:
        """Where `profile` is saved: its name made safe for a file name."""
        slug = re.sub(r"[^A-Za-z0-9]+", "_", profile.name).strip("_").lower() or "profile"
        return self.folder / f"{slug}.toml"

    def save(self, profile: MappingProfile) -> Path:
        """The path `profile` was saved to (replacing a saved profile of the same name)."""
        path = self.path_for(profile)
        save_profile(profile, path)
        return path

    def profiles(self) -> list[MappingProfile]:
        """Every readable profile in the folder, by file name; unreadable ones are listed in `problems`."""
        self.problems = []
        found = []
        for path in sorted(self.folder.glob("*.toml")) if self.folder.is_dir() else []:
            try:
                found.append(load_profile(path))
            except MappingError as err:
                self.problems.append(err)
        return found

    def suggest(self, file_name: str, header: list[str]) -> MappingProfile | None:
        """The saved profile whose file_pattern matches `file_name` and whose columns `header` all has."""
        fitting = [p for p in self.profiles() if p.file_pattern and profile_fits(p, file_name, header)]
        # The profile that names the most columns says the most about this file; then the newest version.
        return max(fitting, key=lambda p: (len(p.columns()), p.version), default=None)
