"""The county settings that the forms and the consent register need: the county, its partner agencies (the
parties of the form), which sources hold which information category, and which sources are 42 CFR Part 2
programs. Kept in the store (table `setting`); an analyst edits them as a TOML file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from ddj_desktop.errors import DdjError

SETTINGS_KEY = "county"
EXPIRING_DAYS = 30

# Which standard sources hold each information category of the shipped templates; a county may change it.
DEFAULT_CATEGORY_SOURCES: dict[str, list[str]] = {
    "jail": ["jail"],
    "court_probation": ["court", "pretrial", "probation"],
    "police_911": ["police"],
    "ems": ["ems"],
    "ed_hospital": ["ed"],
    "mental_health": ["bh"],
    "sud_part2": [],
    "hmis": ["shelter"],
}

EXAMPLE_TOML = """\
# County settings for release-of-information forms and the consent register (DDJ Desktop).
county = "Juniper County"
program = "Juniper County Data-Driven Justice program"
revocation_contact = "DDJ Coordinator, Juniper County Human Services, 100 Main Street, Juniper, ST 00000"
# state_addendum = "Replaces the template's state addendum text."
expiring_days = 30
part2_sources = ["bh"]          # sources whose every record is a 42 CFR Part 2 program record

[[party]]
key = "jail"
name = "Juniper County Sheriff's Office — Jail"
role = "Jail"
sources = ["jail"]

[category_sources]              # information category -> sources that hold it
jail = ["jail"]
"""


class SettingsError(DdjError):
    """County settings that are missing or do not hold together."""


@dataclass(frozen=True)
class Party:
    """A partner agency of the form: it may disclose (its `sources`) and receive."""

    key: str
    name: str
    role: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class CountySettings:
    county: str
    program: str
    revocation_contact: str
    parties: tuple[Party, ...]
    category_sources: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_SOURCES))
    part2_sources: tuple[str, ...] = ()
    state_addendum: str | None = None
    expiring_days: int = EXPIRING_DAYS
    default_template: str = "multiparty-en"

    def party(self, key: str) -> Party:
        for p in self.parties:
            if p.key == key:
                return p
        raise SettingsError(
            f"There is no party {key!r} in the county settings.",
            hint=f"Parties: {', '.join(p.key for p in self.parties)}.",
        )

    def owner_of(self, source: str) -> Party | None:
        """The party whose system `source` is."""
        return next((p for p in self.parties if source in p.sources), None)

    def placeholders(self) -> dict[str, str]:
        return {"county": self.county, "program": self.program, "revocation_contact": self.revocation_contact}

    def to_dict(self) -> dict[str, Any]:
        return {
            "county": self.county, "program": self.program, "revocation_contact": self.revocation_contact,
            "state_addendum": self.state_addendum, "expiring_days": self.expiring_days,
            "default_template": self.default_template, "part2_sources": list(self.part2_sources),
            "party": [{"key": p.key, "name": p.name, "role": p.role, "sources": list(p.sources)}
                      for p in self.parties],
            "category_sources": {k: list(v) for k, v in self.category_sources.items()},
        }  # fmt: skip

    def to_toml(self) -> str:
        """The settings as a TOML file an analyst can edit and load again."""
        lines = ["# County settings for release-of-information forms and the consent register (DDJ Desktop)."]
        for key in ("county", "program", "revocation_contact", "state_addendum", "default_template"):
            value = getattr(self, key)
            if value is not None:
                lines.append(f"{key} = {_toml_str(value)}")
        lines.append(f"expiring_days = {self.expiring_days}")
        lines.append(f"part2_sources = [{', '.join(_toml_str(s) for s in self.part2_sources)}]")
        for p in self.parties:
            lines += ["", "[[party]]", f"key = {_toml_str(p.key)}", f"name = {_toml_str(p.name)}",
                      f"role = {_toml_str(p.role)}", f"sources = [{', '.join(_toml_str(s) for s in p.sources)}]"]
        lines += ["", "[category_sources]"]
        for key, sources in self.category_sources.items():
            lines.append(f"{key} = [{', '.join(_toml_str(s) for s in sources)}]")
        return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def from_dict(data: dict[str, Any]) -> CountySettings:
    """Settings from a dict (the stored JSON or a parsed TOML file); raises SettingsError saying what is wrong."""
    problems = [f"{key} is missing" for key in ("county", "program", "revocation_contact")
                if not str(data.get(key) or "").strip()]  # fmt: skip
    parties = []
    for i, p in enumerate(data.get("party") or []):
        key = str(p.get("key") or "").strip().lower()
        if not re.fullmatch(r"[a-z0-9_-]+", key):
            problems.append(f"party {i + 1} needs a key of letters, digits, '-' or '_'")
            continue
        if not str(p.get("name") or "").strip():
            problems.append(f"party {key} needs a name")
            continue
        parties.append(Party(key, str(p["name"]).strip(), str(p.get("role") or "").strip(),
                             tuple(str(s).strip().lower() for s in p.get("sources") or ())))
    if len(parties) < 2:
        problems.append("a release of information needs at least two parties ([[party]] tables)")
    keys = [p.key for p in parties]
    if len(set(keys)) != len(keys):
        problems.append("two parties share a key")
    owners: dict[str, str] = {}
    for p in parties:
        for s in p.sources:
            if s in owners:
                problems.append(f"source {s} belongs to both {owners[s]} and {p.key}")
            owners[s] = p.key
    days = data.get("expiring_days", EXPIRING_DAYS)
    if not isinstance(days, int) or days < 0:
        problems.append("expiring_days must be a whole number of days")
    if problems:
        raise SettingsError("The county settings cannot be used: " + "; ".join(problems) + ".",
                            hint="Start from `ddj-desktop county STORE --example`.")
    category_sources = dict(DEFAULT_CATEGORY_SOURCES)
    category_sources.update({str(k): [str(s).lower() for s in v] for k, v in (data.get("category_sources") or {}).items()})
    return CountySettings(
        county=str(data["county"]).strip(), program=str(data["program"]).strip(),
        revocation_contact=str(data["revocation_contact"]).strip(), parties=tuple(parties),
        category_sources=category_sources,
        part2_sources=tuple(str(s).lower() for s in data.get("part2_sources") or ()),
        state_addendum=(str(data["state_addendum"]).strip() or None) if data.get("state_addendum") else None,
        expiring_days=days, default_template=str(data.get("default_template") or "multiparty-en"),
    )  # fmt: skip


def from_toml(text: str) -> CountySettings:
    try:
        return from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"The county settings file is not valid TOML: {exc}.") from exc
