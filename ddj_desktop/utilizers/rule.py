"""A frequent-utilizer rule: a versioned TOML file, parsed and checked into plain dataclasses.

The simplest rule reads

    name = "Ten contacts in a year"
    version = 1
    window_days = 365
    [[criteria]]          # all criteria must hold
    measure = "events"    # events | episodes | days | cost | systems, or the name of a [measures.NAME]
    sources = ["*"]       # or ["jail", "shelter"], or a group from [groups]
    at_least = 10

and the full model (DOMAIN.md §1) adds named measures, event filters, per-measure windows, recency, a criteria
tree (`all_of`, `any_of`, `not`, `at_least` + `of`), population filters and a ranking; the keys are described in
ddj_desktop/utilizers/README.md. Every problem in a file is reported at once, with the key's path, so the rule
editor can show them all.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ddj_desktop.errors import DdjError

MEASURE_KINDS = ("events", "episodes", "days", "cost", "systems")
COMPARISONS = {"at_least": ">=", "more_than": ">", "at_most": "<=", "less_than": "<"}
RECORD_FIELDS = ("event_type",)  # filterable record columns; any other `where` key is an event attribute
BLANK_END = ("one_day", "ongoing")
TIE_BREAKS_BUILTIN = ("person_id", "latest_event", "earliest_event")


class RuleError(DdjError):
    """A rule file that cannot be used; `problems` lists every problem found, each naming its key."""

    def __init__(self, problems: list[str], *, name: str = "The rule") -> None:
        self.problems = problems
        super().__init__(f"{name} has {len(problems)} problem(s): " + "; ".join(problems),
                         hint="Fix the rule file (or pick a shipped template with --rule NAME).")


@dataclass(frozen=True)
class Window:
    """A look-back period ending on (and including) the as-of date."""

    days: int = 0
    months: int = 0
    years: int = 0

    def start(self, as_of: dt.date) -> dt.date:
        """The first day inside the window that ends on `as_of`."""
        if self.days:
            return as_of - dt.timedelta(days=self.days - 1)
        months = self.months + 12 * self.years
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
        month += 1
        day = min(as_of.day, _month_length(year, month))
        return dt.date(year, month, day) + dt.timedelta(days=1)

    def describe(self) -> str:
        if self.days:
            return f"{self.days} days"
        if self.years:
            return f"{self.years} year{'s' * (self.years != 1)}"
        return f"{self.months} month{'s' * (self.months != 1)}"


def _month_length(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


@dataclass(frozen=True)
class Filter:
    """Events whose `key` (event_type, or an attribute) has one of `values` (case-insensitive; `*` wildcards;
    true/false match yes/no/1/0); `negate` keeps the others. With a `scope` (written "police:disposition") the
    filter applies to that source's (or group's) events only, and the other sources' events pass."""

    key: str
    values: tuple[str, ...]
    negate: bool = False
    scope: str | None = None


@dataclass(frozen=True)
class Measure:
    """What is counted per person: events, episodes, days, cost or systems, over some sources and events."""

    name: str
    kind: str
    sources: tuple[str, ...] = ("*",)  # source names, group names, or "*"
    filters: tuple[Filter, ...] = ()
    window: Window | None = None  # None: the rule's window
    gap_days: int = 1  # episodes: events at most this many days apart are one episode
    blank_end: str = "one_day"  # an event without an end lasts its start day (or, "ongoing", until as-of)
    ongoing: bool = False  # only events still open on the as-of date
    per_day: dict[str, float] = field(default_factory=dict)  # cost: rate per day, by source or group ("*": any)
    per_event: dict[str, float] = field(default_factory=dict)  # cost: rate per event, by source or group
    named: bool = False  # declared under [measures.NAME] (and so always a column of the list)

    def identity(self) -> tuple[Any, ...]:
        """Everything that changes the value (two leaves with the same identity share one computation)."""
        return (self.kind, self.sources, self.filters, self.window, self.gap_days, self.blank_end, self.ongoing,
                tuple(sorted(self.per_day.items())), tuple(sorted(self.per_event.items())))


@dataclass(frozen=True)
class Leaf:
    """`measure` compared with `threshold`: op is one of >=, >, <=, <."""

    measure: Measure
    op: str
    threshold: float
    label: str = ""

    def describe(self) -> str:
        return self.label or f"{self.measure.name} {_OP_TEXT[self.op]} {_number(self.threshold)}"


@dataclass(frozen=True)
class Group:
    """all (AND), any (OR), not (NOT of its one child), or at_least k of its children."""

    how: str  # all | any | not | at_least
    children: tuple[Node, ...]
    k: int = 0
    label: str = ""

    def describe(self) -> str:
        if self.label:
            return self.label
        return {"all": "all of", "any": "any of", "not": "not", "at_least": f"at least {self.k} of"}[self.how]


Node = Leaf | Group

_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:,.2f}"


@dataclass(frozen=True)
class Population:
    min_age: int | None = None
    max_age: int | None = None
    require: tuple[Node, ...] = ()
    exclude: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Ranking:
    by: tuple[str, ...] = ()  # measure names, largest first
    top_n: int | None = None
    top_percent: float | None = None
    tie_break: tuple[str, ...] = ()  # measure names (largest first) or person_id / latest_event / earliest_event


@dataclass(frozen=True)
class Rule:
    name: str
    version: int
    window: Window
    criteria: Group  # an `all` group of the top-level criteria (and recency)
    measures: dict[str, Measure]  # named measures, in file order
    groups: dict[str, tuple[str, ...]]
    population: Population
    ranking: Ranking
    description: str = ""
    citation: str = ""  # the published definition this rule follows
    text: str = ""  # the TOML it came from (kept with a saved run so the list can be reproduced)

    @property
    def title(self) -> str:
        return f"{self.name} (version {self.version})"

    def leaves(self) -> Iterator[Leaf]:
        """Every leaf of the criteria and population filters, in file order."""
        yield from _leaves(self.criteria)
        for node in (*self.population.require, *self.population.exclude):
            yield from _leaves(node)

    def list_measures(self) -> list[Measure]:
        """The measures shown as columns of the list: the named ones, then each other leaf's, without repeats."""
        seen: dict[tuple[Any, ...], Measure] = {}
        for m in self.measures.values():
            seen.setdefault(m.identity(), m)
        for leaf in self.leaves():
            seen.setdefault(leaf.measure.identity(), leaf.measure)
        return list(seen.values())

    def attribute_keys(self) -> set[str]:
        """The event attributes the rule filters on (the evaluation loads only these)."""
        keys = {f.key for m in self.list_measures() for f in m.filters}
        return keys - set(RECORD_FIELDS)

    def needs_dob(self) -> bool:
        return self.population.min_age is not None or self.population.max_age is not None


def _leaves(node: Node) -> Iterator[Leaf]:
    if isinstance(node, Leaf):
        yield node
    else:
        for child in node.children:
            yield from _leaves(child)


# -- parsing ---------------------------------------------------------------------------------------------------
_TOP_KEYS = {"name", "version", "description", "source", "window_days", "window_months", "window_years",
             "groups", "measures", "criteria", "recency", "population", "ranking"}
_MEASURE_KEYS = {"measure", "sources", "where", "where_not", "window_days", "window_months", "window_years",
                 "gap_days", "blank_end", "ongoing", "per_day", "per_event", "label"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Parser:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []
        self.groups: dict[str, tuple[str, ...]] = {}
        self.measures: dict[str, Measure] = {}

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}" if where else text)

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.problem(where, f"unknown key {key!r} (known: {', '.join(sorted(allowed))})")

    def window(self, table: dict[str, Any], where: str, required: bool) -> Window | None:
        given = {k: table[k] for k in ("window_days", "window_months", "window_years") if k in table}
        if not given:
            if required:
                self.problem(where, "the look-back window is missing (window_days, window_months or window_years)")
            return None
        if len(given) > 1:
            self.problem(where, f"give one of {', '.join(given)}, not several")
        key, value = next(iter(given.items()))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.problem(where, f"{key} must be a whole number of at least 1")
            return None
        return Window(**{key.removeprefix("window_"): value})

    def sources(self, value: Any, where: str) -> tuple[str, ...]:
        if value is None:
            return ("*",)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(where, "sources must be a list of source names, group names or \"*\"")
            return ("*",)
        return tuple(v.strip().lower() for v in value)

    def filters(self, table: Any, where: str, negate: bool) -> list[Filter]:
        if table is None:
            return []
        if not isinstance(table, dict):
            self.problem(where, "must be a table such as { charge_level = [\"felony\"], homeless = true }")
            return []
        out = []
        for key, value in table.items():
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str | bool | int) for v in values):
                self.problem(f"{where}.{key}", "must be a value or a list of values (text, number or true/false)")
                continue
            scope, _, name = key.rpartition(":") if ":" in key else ("", "", key)
            if not name.strip():
                self.problem(f"{where}.{key}", "names no attribute")
                continue
            out.append(Filter(name.strip(), tuple(_text_value(v) for v in values), negate,
                              scope.strip().lower() or None))
        return out

    def rates(self, value: Any, where: str) -> dict[str, float]:
        if value is None:
            return {}
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"*": float(value)}
        if not isinstance(value, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value.values()
        ):
            self.problem(where, "must be a rate (a number) or a table of rates by source, e.g. { jail = 120 }")
            return {}
        return {k.lower(): float(v) for k, v in value.items()}

    def measure(self, table: dict[str, Any], where: str, name: str | None, named: bool) -> Measure | None:
        kind = table.get("measure")
        if not isinstance(kind, str) or kind not in MEASURE_KINDS:
            self.problem(where, f"measure must be one of {', '.join(MEASURE_KINDS)}"
                         + ("" if named else " or the name of a [measures.NAME]") + f" (not {kind!r})")
            return None
        sources = self.sources(table.get("sources"), f"{where}.sources")
        filters = (self.filters(table.get("where"), f"{where}.where", False)
                   + self.filters(table.get("where_not"), f"{where}.where_not", True))
        gap = table.get("gap_days", 1)
        if not isinstance(gap, int) or isinstance(gap, bool) or gap < 0:
            self.problem(f"{where}.gap_days", "must be a whole number of days (0 or more)")
            gap = 1
        blank_end = table.get("blank_end", "one_day")
        if blank_end not in BLANK_END:
            self.problem(f"{where}.blank_end", f"must be one of {', '.join(BLANK_END)}")
            blank_end = "one_day"
        ongoing = table.get("ongoing", False)
        if not isinstance(ongoing, bool):
            self.problem(f"{where}.ongoing", "must be true or false")
            ongoing = False
        per_day = self.rates(table.get("per_day"), f"{where}.per_day")
        per_event = self.rates(table.get("per_event"), f"{where}.per_event")
        if kind == "cost" and not per_day and not per_event:
            self.problem(where, "a cost measure needs per_day and/or per_event rates")
        elif kind != "cost" and (per_day or per_event):
            self.problem(where, "per_day and per_event belong to a cost measure")
        window = self.window(table, where, required=False)
        label = table.get("label", "")
        if not isinstance(label, str):
            self.problem(f"{where}.label", "must be text")
            label = ""
        for source in sources:
            if source != "*" and not _NAME.fullmatch(source.replace("-", "_")):
                self.problem(f"{where}.sources", f"{source!r} is not a source or group name")
        if name is None:
            name = label or _auto_name(kind, sources, filters, window, ongoing)
        return Measure(name, kind, sources, tuple(filters), window, gap, blank_end, ongoing, per_day, per_event,
                       named)

    def node(self, table: Any, where: str) -> Node | None:
        if not isinstance(table, dict):
            self.problem(where, "must be a table (a criterion)")
            return None
        label = table.get("label", "")
        groups = [k for k in ("all_of", "any_of", "not", "of") if k in table]
        if len(groups) > 1:
            self.problem(where, f"give one of all_of, any_of, not, of — not {', '.join(groups)}")
            return None
        if groups:
            key = groups[0]
            allowed = {key, "label"} | ({"at_least"} if key == "of" else set())
            self.unknown_keys(table, allowed, where)
            if key == "not":
                child = self.node(table["not"], f"{where}.not")
                return Group("not", (child,), label=label) if child else None
            items = table[key]
            if not isinstance(items, list) or not items:
                self.problem(f"{where}.{key}", "must be a non-empty list of criteria")
                return None
            children = tuple(c for i, item in enumerate(items) if (c := self.node(item, f"{where}.{key}[{i}]")))
            if key == "of":
                k = table.get("at_least")
                if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= len(items):
                    self.problem(where, f"at_least with of = [...] must be a whole number from 1 to {len(items)}")
                    return None
                return Group("at_least", children, k=k, label=label)
            return Group("all" if key == "all_of" else "any", children, label=label)
        self.unknown_keys(table, _MEASURE_KEYS | set(COMPARISONS), where)
        comparisons = [k for k in COMPARISONS if k in table]
        if len(comparisons) != 1:
            self.problem(where, "a criterion needs exactly one of at_least, more_than, at_most, less_than")
            return None
        threshold = table[comparisons[0]]
        if not isinstance(threshold, int | float) or isinstance(threshold, bool):
            self.problem(f"{where}.{comparisons[0]}", "must be a number")
            return None
        ref = table.get("measure")
        if isinstance(ref, str) and ref in self.measures:
            extra = set(table) - {"measure", "label", *COMPARISONS}
            if extra:
                self.problem(where, f"{ref!r} is a named measure; set {', '.join(sorted(extra))} in "
                             f"[measures.{ref}] instead")
            measure: Measure | None = self.measures[ref]
        else:
            measure = self.measure(table, where, None, named=False)
        if measure is None:
            return None
        return Leaf(measure, COMPARISONS[comparisons[0]], float(threshold), label if isinstance(label, str) else "")

    def parse(self) -> dict[str, Any]:
        d = self.data
        self.unknown_keys(d, _TOP_KEYS, "")
        name = d.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem("name", "a rule needs a name")
            name = "unnamed rule"
        version = d.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.problem("version", "a rule needs a version, a whole number (raise it whenever the rule changes)")
            version = 0
        window = self.window(d, "", required=True) or Window(days=365)

        groups = d.get("groups", {})
        if not isinstance(groups, dict):
            self.problem("groups", "must be a table such as { justice = [\"jail\", \"court\"] }")
            groups = {}
        for gname, members in groups.items():
            self.groups[gname.lower()] = self.sources(members, f"groups.{gname}")

        measures = d.get("measures", {})
        if not isinstance(measures, dict):
            self.problem("measures", "must be tables [measures.NAME]")
            measures = {}
        for mname, table in measures.items():
            where = f"measures.{mname}"
            if not _NAME.fullmatch(mname) or mname in MEASURE_KINDS or mname in TIE_BREAKS_BUILTIN:
                self.problem(where, "a measure name is letters, digits and _, and not a measure kind")
                continue
            if not isinstance(table, dict):
                self.problem(where, "must be a table")
                continue
            self.unknown_keys(table, _MEASURE_KEYS, where)
            m = self.measure(table, where, mname, named=True)
            if m:
                self.measures[mname] = m

        children: list[Node] = []
        criteria = d.get("criteria", [])
        if not isinstance(criteria, list):
            self.problem("criteria", "must be a list ([[criteria]] tables)")
            criteria = []
        for i, item in enumerate(criteria):
            if (n := self.node(item, f"criteria[{i}]")) is not None:
                children.append(n)
        if "recency" in d:
            recency = d["recency"]
            if not isinstance(recency, dict):
                self.problem("recency", "must be a table")
            else:
                table = {"measure": "events", "at_least": 1, **recency}
                table.setdefault("label", _recency_label(table))
                if self.window(table, "recency", required=True) and (n := self.node(table, "recency")):
                    children.append(n)

        population = Population()
        if "population" in d:
            p = d["population"]
            if not isinstance(p, dict):
                self.problem("population", "must be a table")
            else:
                self.unknown_keys(p, {"min_age", "max_age", "require", "exclude"}, "population")
                ages = {}
                for key in ("min_age", "max_age"):
                    if key in p:
                        if not isinstance(p[key], int) or isinstance(p[key], bool) or not 0 <= p[key] <= 130:
                            self.problem(f"population.{key}", "must be an age in whole years")
                        else:
                            ages[key] = p[key]
                lists = {}
                for key in ("require", "exclude"):
                    items = p.get(key, [])
                    if not isinstance(items, list):
                        self.problem(f"population.{key}", "must be a list of criteria")
                        items = []
                    lists[key] = tuple(n for i, item in enumerate(items)
                                       if (n := self.node(item, f"population.{key}[{i}]")))
                population = Population(ages.get("min_age"), ages.get("max_age"), lists["require"], lists["exclude"])

        ranking = self.ranking(d.get("ranking"))
        if not children and not population.require and ranking.top_n is None and ranking.top_percent is None:
            self.problem("criteria", "the rule selects everyone: add [[criteria]] or a [ranking] with top_n")
        description = d.get("description", "")
        citation = d.get("source", "")
        return {
            "name": name.strip(), "version": version, "window": window,
            "criteria": Group("all", tuple(children)), "measures": dict(self.measures), "groups": self.groups,
            "population": population, "ranking": ranking,
            "description": description if isinstance(description, str) else "",
            "citation": citation if isinstance(citation, str) else "",
        }

    def ranking(self, r: Any) -> Ranking:
        if r is None:
            return Ranking()
        if not isinstance(r, dict):
            self.problem("ranking", "must be a table")
            return Ranking()
        self.unknown_keys(r, {"by", "top_n", "top_percent", "tie_break"}, "ranking")
        by = r.get("by", [])
        by = [by] if isinstance(by, str) else by
        tie = r.get("tie_break", [])
        tie = [tie] if isinstance(tie, str) else tie
        for key, names, builtin in (("by", by, ()), ("tie_break", tie, TIE_BREAKS_BUILTIN)):
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                self.problem(f"ranking.{key}", "must be a list of measure names")
                continue
            for n in names:
                if n not in self.measures and n not in builtin:
                    known = [*self.measures, *builtin]
                    self.problem(f"ranking.{key}", f"{n!r} is not a [measures.NAME] (known: {', '.join(known)})")
        top_n = r.get("top_n")
        top_percent = r.get("top_percent")
        if top_n is not None and top_percent is not None:
            self.problem("ranking", "give top_n or top_percent, not both")
        if top_n is not None and (not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1):
            self.problem("ranking.top_n", "must be a whole number of at least 1")
            top_n = None
        if top_percent is not None and (
            not isinstance(top_percent, int | float) or isinstance(top_percent, bool) or not 0 < top_percent <= 100
        ):
            self.problem("ranking.top_percent", "must be a number above 0 and at most 100")
            top_percent = None
        if (top_n is not None or top_percent is not None) and not by:
            self.problem("ranking", "top_n / top_percent need `by`, the measure(s) to rank on")
        if (top_n is not None or top_percent is not None) and not tie:
            self.problem("ranking.tie_break", "top_n / top_percent need a declared tie_break, e.g. "
                         "[\"latest_event\", \"person_id\"], so equal people are cut the same way every run")
        ok = isinstance(by, list) and isinstance(tie, list)
        return Ranking(tuple(by) if ok else (), top_n, float(top_percent) if top_percent is not None else None,
                       tuple(tie) if ok else ())


def _text_value(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def _recency_label(table: dict[str, Any]) -> str:
    for key, unit in (("window_days", "day"), ("window_months", "month"), ("window_years", "year")):
        if isinstance(table.get(key), int):
            n = table[key]
            return f"recency: at least {table.get('at_least', 1)} event(s) in the last {n} {unit}{'s' * (n != 1)}"
    return "recency"


def _auto_name(kind: str, sources: tuple[str, ...], filters: list[Filter], window: Window | None,
               ongoing: bool) -> str:
    parts = [",".join(sources)]
    parts += [f"{'not ' if f.negate else ''}{f.scope + ':' if f.scope else ''}{f.key}={'|'.join(f.values)}"
              for f in filters]
    if window:
        parts.append(window.describe())
    if ongoing:
        parts.append("ongoing on as-of")
    return f"{kind}({'; '.join(parts)})"


def parse_rule(text: str, *, origin: str = "The rule") -> Rule:
    """The rule in TOML `text`; raises RuleError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RuleError([f"not valid TOML: {err}"], name=origin) from err
    parser = _Parser(data)
    parts = parser.parse()
    if parser.problems:
        raise RuleError(parser.problems, name=origin)
    return Rule(**parts, text=text)


def check_rule(text: str) -> list[str]:
    """The problems of the rule in `text` (empty when it can be used): what the rule editor shows."""
    try:
        parse_rule(text)
    except RuleError as err:
        return err.problems
    return []


# -- templates -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateInfo:
    key: str  # what --rule takes: the file name without .toml
    name: str
    version: int
    description: str
    citation: str


def _template_files() -> dict[str, str]:
    folder = resources.files("ddj_desktop.utilizers") / "templates"
    return {p.name.removesuffix(".toml"): p.read_text(encoding="utf-8")
            for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".toml")}


def templates() -> list[TemplateInfo]:
    """The shipped rule templates, by key."""
    out = []
    for key, text in _template_files().items():
        rule = parse_rule(text, origin=f"Template {key}")
        out.append(TemplateInfo(key, rule.name, rule.version, rule.description, rule.citation))
    return out


def template_text(key: str) -> str:
    """The TOML of the shipped template `key` (a starting point for a county's own rule)."""
    files = _template_files()
    if key not in files:
        raise DdjError(f"There is no rule template named {key!r}.",
                       hint=f"Templates: {', '.join(files)}; or give the path of a rule file (.toml).")
    return files[key]


def load_rule(name_or_path: str | Path) -> Rule:
    """A shipped template by key (e.g. `generic_ddj`), or the rule in a .toml file."""
    text = str(name_or_path)
    path = Path(text)
    if text.endswith(".toml") or path.exists():
        try:
            content = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DdjError(f"Cannot read the rule file {path}: {exc.strerror or exc}.") from exc
        return parse_rule(content, origin=f"The rule file {path.name}")
    return parse_rule(template_text(text), origin=f"Template {text}")
