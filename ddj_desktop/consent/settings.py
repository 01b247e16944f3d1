"""The county settings that the forms and the consent register need: the county, its partner agencies (the
parties of the form), which sources hold which information category, which sources are 42 CFR Part 2 programs and
which roles may see their records, the state's maximum durations of a consent, and the names as a form in another language prints them. Kept in the
store (table `setting`); an analyst edits them as a TOML file.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from ddj_desktop.errors import DdjError
from ddj_desktop.governance.users import ROLES

SETTINGS_KEY = "county"
EXPIRING_DAYS = 30
# Who sees the records of 42 CFR Part 2 programs unless the county says otherwise: the analyst who links and
# discloses them under consent, and the admin; reviewers and viewers do not (minimum necessary).
PART2_ROLES = ("admin", "analyst")

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
part2_roles = ["admin", "analyst"]  # roles that see those records; to the others they do not exist

[es]                            # what a Spanish form prints instead (any field left out stays as above)
program = "programa Data-Driven Justice del Condado de Juniper"

[[party]]
key = "jail"
name = "Juniper County Sheriff's Office — Jail"
role = "Jail"
short = "Jail"                  # the column heading of the form's sharing grid (default: the role)
sources = ["jail"]
[party.es]
name = "Oficina del Sheriff del Condado de Juniper — Cárcel"
role = "Cárcel"

# The state's maximum duration of a consent: for some information categories, some templates, or (neither) all.
[[max_duration]]
days = 90                       # or months = 24
categories = ["jail"]
reason = "State law limits criminal-justice consents to 90 days [verify]"

[category_sources]              # information category -> sources that hold it
jail = ["jail"]
"""


class SettingsError(DdjError):
    """County settings that are missing or do not hold together."""


TRANSLATED = ("county", "program", "revocation_contact", "state_addendum")  # county texts a form prints
PARTY_TRANSLATED = ("name", "role", "short")


@dataclass(frozen=True)
class Party:
    """A partner agency of the form: it may disclose (its `sources`) and receive."""

    key: str
    name: str
    role: str = ""
    sources: tuple[str, ...] = ()
    short: str = ""  # the grid's column heading; default: the role, or the name
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def heading(self) -> str:
        return self.short or self.role or self.name

    def in_language(self, language: str) -> Party:
        """The party as a form in `language` names it (its own words where the settings give them)."""
        words = self.translations.get(language, {})
        return replace(self, **{k: words[k] for k in PARTY_TRANSLATED if words.get(k)})


@dataclass(frozen=True)
class MaxDuration:
    """A state's maximum duration of a consent, for some categories, some templates, or (neither) every consent."""

    days: int | None
    months: int | None
    categories: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()  # template ids (multiparty-en) or names (multiparty: every language)
    reason: str = ""

    def applies(self, template_id: str, template_name: str, categories: set[str] | None) -> bool:
        """Whether it limits a consent on this template covering `categories` (None: any category of it)."""
        if self.templates and template_id not in self.templates and template_name not in self.templates:
            return False
        return not self.categories or categories is None or bool(set(self.categories) & categories)

    def last_day(self, signed: dt.date) -> dt.date:
        """The last day a consent signed on `signed` may hold."""
        if self.days is not None:
            return signed + dt.timedelta(days=self.days)
        months = signed.month - 1 + (self.months or 0)
        year, month = signed.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(signed.day, calendar.monthrange(year, month)[1]))

    def describe(self) -> str:
        """"90 days (for jail; State law ...)" for messages to the analyst."""
        span = f"{self.days} days" if self.days is not None else f"{self.months} months"
        scope = [f"for {', '.join(self.categories)}"] if self.categories else []
        scope += [f"on {', '.join(self.templates)}"] if self.templates else []
        return f"{span}" + (f" ({'; '.join([*scope, self.reason] if self.reason else scope)})"
                            if scope or self.reason else "")


@dataclass(frozen=True)
class CountySettings:
    county: str
    program: str
    revocation_contact: str
    parties: tuple[Party, ...]
    category_sources: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_SOURCES))
    part2_sources: tuple[str, ...] = ()
    part2_roles: tuple[str, ...] = PART2_ROLES
    state_addendum: str | None = None
    expiring_days: int = EXPIRING_DAYS
    default_template: str = "multiparty-en"
    max_durations: tuple[MaxDuration, ...] = ()
    translations: dict[str, dict[str, str]] = field(default_factory=dict)  # language -> {program: ...}

    def in_language(self, language: str) -> CountySettings:
        """The settings as a form in `language` prints them: county texts and party names in its words."""
        words = self.translations.get(language, {})
        return replace(self, parties=tuple(p.in_language(language) for p in self.parties),
                       **{k: words[k] for k in TRANSLATED if words.get(k)})

    def limits(self, template_id: str, template_name: str, categories: set[str] | None) -> list[MaxDuration]:
        """The maximum durations that apply to a consent on this template covering `categories`."""
        return [m for m in self.max_durations if m.applies(template_id, template_name, categories)]

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
            "part2_roles": list(self.part2_roles),
            "party": [{"key": p.key, "name": p.name, "role": p.role, "short": p.short, "sources": list(p.sources),
                       **{lang: dict(words) for lang, words in p.translations.items()}}
                      for p in self.parties],
            "category_sources": {k: list(v) for k, v in self.category_sources.items()},
            "max_duration": [{k: v for k, v in (("days", m.days), ("months", m.months),
                                                ("categories", list(m.categories)), ("templates", list(m.templates)),
                                                ("reason", m.reason)) if v not in (None, [], "")}
                             for m in self.max_durations],
            **{lang: dict(words) for lang, words in self.translations.items()},
        }  # fmt: skip

    def to_toml(self) -> str:
        """The settings as a TOML file an analyst can edit and load again."""
        lines = ["# County settings for release-of-information forms and the consent register (DDJ Desktop)."]
        for key in ("county", "program", "revocation_contact", "state_addendum", "default_template"):
            value = getattr(self, key)
            if value is not None:
                lines.append(f"{key} = {_toml_str(value)}")
        lines.append(f"expiring_days = {self.expiring_days}")
        lines.append(f"part2_sources = {_toml_list(self.part2_sources)}")
        lines.append(f"part2_roles = {_toml_list(self.part2_roles)}")
        for lang, words in self.translations.items():
            lines += ["", f"[{lang}]", *(f"{k} = {_toml_str(v)}" for k, v in words.items())]
        for p in self.parties:
            lines += ["", "[[party]]", f"key = {_toml_str(p.key)}", f"name = {_toml_str(p.name)}",
                      f"role = {_toml_str(p.role)}"]
            lines += [f"short = {_toml_str(p.short)}"] if p.short else []
            lines.append(f"sources = {_toml_list(p.sources)}")
            for lang, words in p.translations.items():
                lines += [f"[party.{lang}]", *(f"{k} = {_toml_str(v)}" for k, v in words.items())]
        for m in self.max_durations:
            lines += ["", "[[max_duration]]"]
            lines += [f"days = {m.days}"] if m.days is not None else [f"months = {m.months}"]
            lines += [f"categories = {_toml_list(m.categories)}"] if m.categories else []
            lines += [f"templates = {_toml_list(m.templates)}"] if m.templates else []
            lines += [f"reason = {_toml_str(m.reason)}"] if m.reason else []
        lines += ["", "[category_sources]"]
        for key, sources in self.category_sources.items():
            lines.append(f"{key} = {_toml_list(sources)}")
        return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _toml_list(values: Any) -> str:
    return f"[{', '.join(_toml_str(v) for v in values)}]"


def _words(value: Any, allowed: tuple[str, ...], where: str, problems: list[str]) -> dict[str, str]:
    """The translated texts of a [es]-style table; unknown keys are reported."""
    if not isinstance(value, dict):
        problems.append(f"{where} must be a table of texts")
        return {}
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        problems.append(f"{where} has unknown key(s) {', '.join(unknown)} (it may hold {', '.join(allowed)})")
    return {k: str(v).strip() for k, v in value.items() if k in allowed and str(v).strip()}


def _is_language(key: str) -> bool:
    return bool(re.fullmatch(r"[a-z]{2}", key))


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
        translations = {lang: _words(words, PARTY_TRANSLATED, f"party {key}'s [{lang}]", problems)
                        for lang, words in p.items() if _is_language(lang)}
        parties.append(Party(key, str(p["name"]).strip(), str(p.get("role") or "").strip(),
                             tuple(str(s).strip().lower() for s in p.get("sources") or ()),
                             str(p.get("short") or "").strip(), {k: v for k, v in translations.items() if v}))
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
    limits = []
    for i, m in enumerate(data.get("max_duration") or []):
        what = f"max_duration {i + 1}"
        limit_days, limit_months = m.get("days"), m.get("months")
        if (limit_days is None) == (limit_months is None):
            problems.append(f"{what} needs days or months (one of them)")
            continue
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                   for v in (limit_days, limit_months) if v is not None):
            problems.append(f"{what}: days or months must be a whole number above 0")
            continue
        cats = tuple(str(c).strip() for c in m.get("categories") or ())
        known = set(DEFAULT_CATEGORY_SOURCES) | set(data.get("category_sources") or {})
        if set(cats) - known:
            problems.append(f"{what} names unknown categor{'y' if len(set(cats) - known) == 1 else 'ies'} "
                            f"{', '.join(sorted(set(cats) - known))}")
            continue
        limits.append(MaxDuration(limit_days, limit_months, cats, tuple(str(t).strip() for t in m.get("templates") or ()),
                                  str(m.get("reason") or "").strip()))
    translations = {lang: _words(words, TRANSLATED, f"[{lang}]", problems)
                    for lang, words in data.items() if _is_language(lang)}
    part2_roles = data.get("part2_roles", list(PART2_ROLES))
    if not isinstance(part2_roles, list) or not all(isinstance(r, str) for r in part2_roles):
        problems.append("part2_roles must be a list of roles, e.g. [\"admin\", \"analyst\"]")
        part2_roles = []
    part2_roles = [r.strip().lower() for r in part2_roles]
    if set(part2_roles) - set(ROLES):
        problems.append(f"part2_roles names unknown role(s) {', '.join(sorted(set(part2_roles) - set(ROLES)))} "
                        f"(roles: {', '.join(ROLES)})")
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
        part2_roles=tuple(r for r in ROLES if r in part2_roles),
        state_addendum=(str(data["state_addendum"]).strip() or None) if data.get("state_addendum") else None,
        expiring_days=days, default_template=str(data.get("default_template") or "multiparty-en"),
        max_durations=tuple(limits), translations={k: v for k, v in translations.items() if v},
    )  # fmt: skip


def from_toml(text: str) -> CountySettings:
    try:
        return from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"The county settings file is not valid TOML: {exc}.") from exc
