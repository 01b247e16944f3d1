"""Release-of-information templates: the wording is data in forms/ (TOML), checked against forms/checklist.toml.

A template is refused, with a message naming every missing element, while any element of the checklist that
applies to it is missing: no form is printed from an incomplete template.
"""

from __future__ import annotations

import hashlib
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddj_desktop.errors import DdjError
from ddj_desktop.paths import data_dir

CHECKLIST_FILE = "checklist.toml"
# What county settings fill into the wording; labels also take the page ({page} of {pages}) and the state's
# maximum duration ({what}, {limit}; {n} days or months).
PLACEHOLDERS = frozenset({"county", "program", "revocation_contact"})
PAGE_PLACEHOLDERS = frozenset({"page", "pages", "what", "limit", "n"})
DEFAULT_DURATION_DAYS = 365


class TemplateError(DdjError):
    """A form template that cannot be used: unreadable, or missing a required element."""


@dataclass(frozen=True)
class Element:
    """One required element of the checklist."""

    id: str
    name: str
    cite: str
    needs: tuple[str, ...]
    placeholders: tuple[str, ...] = ()
    when: str = "always"  # always | part2 | tpo

    def describe(self) -> str:
        return f"{self.name} [{self.cite}]"


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    part2: bool = False


@dataclass(frozen=True)
class Purpose:
    key: str
    label: str


@dataclass(frozen=True)
class RoiTemplate:
    """A checked template. `id` is its file name without .toml, e.g. multiparty-en."""

    id: str
    name: str
    language: str
    version: str
    title: str
    subtitle: str
    part2: bool
    tpo: bool
    approved_by: str
    labels: dict[str, str]
    statements: dict[str, str]
    categories: tuple[Category, ...]
    purposes: tuple[Purpose, ...]
    text: str  # the TOML as read: kept with each form made from it
    sha256: str
    default_duration_days: int = DEFAULT_DURATION_DAYS  # a form signed without an end date lasts this long

    def label(self, key: str, **values: Any) -> str:
        text = self.labels.get(key, key)
        return text.format(**values) if values else text

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)


def load_checklist(folder: Path | None = None) -> list[Element]:
    """The required elements, from forms/checklist.toml."""
    path = (folder or data_dir("forms")) / CHECKLIST_FILE
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Element(e["id"], e["name"], e["cite"], tuple(e["needs"]), tuple(e.get("placeholders", ())),
                e.get("when", "always"))
        for e in data["element"]
    ]  # fmt: skip


def available_templates(folder: Path | None = None) -> list[str]:
    """The ids of the templates in forms/ (e.g. multiparty-en, multiparty-es)."""
    folder = folder or data_dir("forms")
    return sorted(p.stem for p in folder.glob("*.toml") if p.name != CHECKLIST_FILE)


def template_path(name: str, folder: Path | None = None) -> Path:
    """The file of template `name` (an id in forms/, or a path to a .toml file)."""
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.is_file():
        return candidate
    path = (folder or data_dir("forms")) / f"{name}.toml"
    if not path.is_file():
        raise TemplateError(
            f"There is no form template called {name!r}.",
            hint=f"Templates: {', '.join(available_templates(folder))}, or the path of a .toml file.",
        )
    return path


def load_template(name: str, folder: Path | None = None) -> RoiTemplate:
    """The template `name`, checked; raises TemplateError naming every missing element."""
    path = template_path(name, folder)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"Cannot read the form template {path}: {exc.strerror or exc}.") from exc
    return parse_template(text, path.stem, load_checklist(folder))


def parse_template(text: str, template_id: str, checklist: list[Element] | None = None) -> RoiTemplate:
    """The template in TOML `text`, checked against `checklist` (default: forms/checklist.toml)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"The form template {template_id} is not valid TOML: {exc}.") from exc
    check_template(data, template_id, load_checklist() if checklist is None else checklist)
    head = data["template"]
    return RoiTemplate(
        id=template_id, name=str(head.get("name", template_id)), language=str(head.get("language", "en")),
        version=str(head["version"]), title=head["title"], subtitle=str(head.get("subtitle", "")),
        part2=bool(head.get("part2")), tpo=bool(head.get("tpo")), approved_by=str(head.get("approved_by", "")),
        labels={k: str(v) for k, v in data.get("labels", {}).items()},
        statements={k: " ".join(str(v).split()) for k, v in data.get("statements", {}).items()},
        categories=tuple(Category(c["key"], c["label"], bool(c.get("part2"))) for c in data["categories"]),
        purposes=tuple(Purpose(p["key"], p["label"]) for p in data["purposes"]),
        text=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        default_duration_days=int(head.get("default_duration_days", DEFAULT_DURATION_DAYS)),
    )  # fmt: skip


def missing_elements(data: dict[str, Any], checklist: list[Element]) -> list[Element]:
    """The elements of `checklist` that apply to the template `data` and that it lacks."""
    head = data.get("template", {})
    applies = {"always": True, "part2": bool(head.get("part2")), "tpo": bool(head.get("tpo"))}
    return [e for e in checklist if applies.get(e.when, True) and not _has_element(data, e)]


def check_template(data: dict[str, Any], template_id: str, checklist: list[Element]) -> None:
    """Raise TemplateError if the template `data` lacks an element, misuses TPO wording or a placeholder."""
    problems = [f"missing {e.describe()}" for e in missing_elements(data, checklist)]
    head = data.get("template", {})
    statements = data.get("statements", {})
    if not head.get("tpo") and any(k.startswith("tpo_") and v for k, v in statements.items()):
        problems.append("TPO wording on a form not marked as a 42 CFR Part 2 TPO consent (set tpo = true or "
                        "remove the tpo_ statements)")
    for part, allowed in (("statements", PLACEHOLDERS), ("labels", PLACEHOLDERS | PAGE_PLACEHOLDERS)):
        for key, value in data.get(part, {}).items():
            unknown = _placeholders(value) - allowed
            if unknown:
                problems.append(f"{part}.{key} uses unknown placeholder(s) {', '.join(sorted(unknown))}")
    duration = head.get("default_duration_days", DEFAULT_DURATION_DAYS)
    if not isinstance(duration, int) or isinstance(duration, bool) or duration < 1:
        problems.append("template.default_duration_days must be a whole number of days")
    keys = [c.get("key") for c in data.get("categories", []) if isinstance(c, dict)]
    keys += [p.get("key") for p in data.get("purposes", []) if isinstance(p, dict)]
    if any(not k for k in keys):
        problems.append("a category or purpose without a key")
    if problems:
        version = head.get("version", "no version")
        raise TemplateError(
            f"The form template {template_id} ({version}) cannot be used: " + "; ".join(problems) + ".",
            hint="Add what is missing to the template file (forms/checklist.toml lists every required element).",
        )


def _has_element(data: dict[str, Any], element: Element) -> bool:
    for i, need in enumerate(element.needs):
        value = _lookup(data, need)
        if not value:
            return False
        if i == 0 and element.placeholders and not set(element.placeholders) <= _placeholders(value):
            return False
    return True


def _lookup(data: dict[str, Any], path: str) -> Any:
    """The non-empty value at `path` ("section.key"); "categories.part2" is the list of Part 2 categories."""
    if path == "categories.part2":
        return [c for c in data.get("categories", []) if isinstance(c, dict) and c.get("part2") and c.get("label")]
    if path in ("categories", "purposes"):
        items = data.get(path, [])
        return [i for i in items if isinstance(i, dict) and i.get("key") and i.get("label")] if isinstance(
            items, list) else []
    section, _, key = path.partition(".")
    value = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
    return value.strip() if isinstance(value, str) else value


def _placeholders(value: Any) -> set[str]:
    if not isinstance(value, str):
        return set()
    try:
        return {name for _, name, _, _ in string.Formatter().parse(value) if name}
    except ValueError:
        return {"(unbalanced braces)"}
