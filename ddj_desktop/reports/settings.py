"""The county's report settings: county name, the frequent-utilizer rule the council follows, per-day costs, the
county population by race and ethnicity, and the suppression threshold. Kept in the store's `setting` table under
the key "report" (beside the consent settings under "county"); set with `ddj-desktop report-settings` or in
Settings.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ddj_desktop.errors import DdjError
from ddj_desktop.reports.suppression import DEFAULT_THRESHOLD
from ddj_desktop.store.models import Setting

SETTINGS_KEY = "report"
COUNTY_SETTINGS_KEY = "county"  # the consent settings, whose county name the report uses when it has none

# The race and ethnicity groups of the report (rows of the population table). Hispanic or Latino of any race is
# one group; the others are not Hispanic (DOMAIN §3: RRI compares with non-Hispanic White).
RACE_GROUPS: dict[str, str] = {
    "white": "White (not Hispanic)",
    "black": "Black or African American",
    "hispanic": "Hispanic or Latino (any race)",
    "am_ind_ak_native": "American Indian or Alaska Native",
    "asian": "Asian",
    "native_hi_pacific": "Native Hawaiian or Pacific Islander",
    "mid_east_n_african": "Middle Eastern or North African",
    "multiple": "Two or more races",
    "other": "Other",
}
REFERENCE_GROUP = "white"

EXAMPLE_TOML = """\
# Report settings for the coordinating-council report (DDJ Desktop).
county = "Juniper County"
rule = "long_beach"          # the frequent-utilizer rule the council follows (a shipped template or a rule name)
threshold = 10               # counts from 1 to this are shown as "<11"

[cost_per_day]               # dollars per day (jail bed-day, shelter night ...), from the county budget
jail = 112.50
shelter = 38.00

[population]                 # county residents by race and ethnicity (e.g. Census ACS 5-year, table B03002)
white = 41250
black = 2380
hispanic = 14900
am_ind_ak_native = 1210
asian = 960
native_hi_pacific = 85
multiple = 1870
other = 240
"""


class ReportSettingsError(DdjError):
    """Report settings that cannot be used."""


@dataclass(frozen=True)
class ReportSettings:
    county: str | None = None
    rule: str | None = None
    threshold: int = DEFAULT_THRESHOLD
    cost_per_day: dict[str, float] = field(default_factory=dict)
    population: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"county": self.county, "rule": self.rule, "threshold": self.threshold,
                "cost_per_day": dict(self.cost_per_day), "population": dict(self.population)}  # fmt: skip

    def to_toml(self) -> str:
        lines = ["# Report settings for the coordinating-council report (DDJ Desktop)."]
        if self.county:
            lines.append(f"county = {_quote(self.county)}")
        if self.rule:
            lines.append(f"rule = {_quote(self.rule)}")
        lines += [f"threshold = {self.threshold}", "", "[cost_per_day]"]
        lines += [f"{k} = {v:.2f}" for k, v in sorted(self.cost_per_day.items())]
        lines += ["", "[population]"]
        lines += [f"{k} = {v}" for k, v in self.population.items()]
        return "\n".join(lines) + "\n"

    def changed(self, **changes: Any) -> ReportSettings:
        return from_dict({**self.to_dict(), **{k: v for k, v in changes.items() if v is not None}})


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def from_dict(data: dict[str, Any]) -> ReportSettings:
    """Settings from stored JSON or parsed TOML; raises ReportSettingsError naming every problem."""
    problems = []
    threshold = data.get("threshold", DEFAULT_THRESHOLD)
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= 100:
        problems.append("threshold must be a whole number from 1 to 100")
        threshold = DEFAULT_THRESHOLD
    costs: dict[str, float] = {}
    for source, value in (data.get("cost_per_day") or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append(f"cost_per_day.{source} must be a number of dollars, 0 or more")
        else:
            costs[str(source).strip().lower()] = float(value)
    population: dict[str, int] = {}
    for group, value in (data.get("population") or {}).items():
        if group not in RACE_GROUPS:
            problems.append(f"population group {group!r} is not one of {', '.join(RACE_GROUPS)}")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"population.{group} must be a whole number of residents")
        else:
            population[group] = value
    if problems:
        raise ReportSettingsError("The report settings cannot be used: " + "; ".join(problems) + ".",
                                  hint="Start from `ddj-desktop report-settings STORE --example`.")
    county = str(data.get("county") or "").strip() or None
    rule = str(data.get("rule") or "").strip() or None
    ordered = {g: population[g] for g in RACE_GROUPS if g in population}
    return ReportSettings(county, rule, threshold, costs, ordered)


def from_toml(text: str) -> ReportSettings:
    try:
        return from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ReportSettingsError(f"The report settings file is not valid TOML: {exc}.") from exc


def population_from_csv(text: str) -> dict[str, int]:
    """A population table from csv text with columns `group,population` (group keys as in RACE_GROUPS)."""
    table: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        group = (row.get("group") or "").strip().lower()
        number = (row.get("population") or "").replace(",", "").strip()
        if not group:
            continue
        if not number.isdigit():
            raise ReportSettingsError(f"The population of {group!r} is not a whole number: {number!r}.")
        table[group] = int(number)
    if not table:
        raise ReportSettingsError("The population file has no rows.", hint="Columns: group,population.")
    return table


def load(session: Session, *, county_fallback: bool = True) -> ReportSettings:
    """The stored report settings (defaults when none are stored); with `county_fallback`, the county name falls
    back on the consent settings' county."""
    row = session.get(Setting, SETTINGS_KEY)
    settings = from_dict(dict(row.value)) if row is not None else ReportSettings()
    if settings.county is None and county_fallback:
        county = session.scalar(select(Setting.value).where(Setting.key == COUNTY_SETTINGS_KEY))
        if isinstance(county, dict) and county.get("county"):
            settings = replace(settings, county=str(county["county"]))
    return settings


def save(session: Session, settings: ReportSettings, user_name: str, now: str) -> None:
    row = session.get(Setting, SETTINGS_KEY)
    if row is None:
        session.add(Setting(key=SETTINGS_KEY, value=settings.to_dict(), updated_at=now, updated_by=user_name))
    else:
        row.value = settings.to_dict()
        row.updated_at, row.updated_by = now, user_name
