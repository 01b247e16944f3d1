"""Form templates: the shipped ones pass the checklist; removing any required element is refused by name."""

from __future__ import annotations

import copy
import tomllib

import pytest

from ddj_desktop.consent import templates
from ddj_desktop.consent.templates import TemplateError
from ddj_desktop.paths import data_dir

SHIPPED = templates.available_templates()
CHECKLIST = templates.load_checklist()


def _data(name: str) -> dict:
    return tomllib.loads((data_dir("forms") / f"{name}.toml").read_text(encoding="utf-8"))


def _remove(data: dict, path: str) -> None:
    if path == "categories.part2":
        data["categories"] = [c for c in data["categories"] if not c.get("part2")]
    elif "." in path:
        section, key = path.split(".", 1)
        del data[section][key]
    else:
        del data[path]


def test_english_and_spanish_multiparty_templates_ship_and_pass() -> None:
    assert {"multiparty-en", "multiparty-es"} <= set(SHIPPED)
    en, es = templates.load_template("multiparty-en"), templates.load_template("multiparty-es")
    assert (en.language, es.language) == ("en", "es")
    assert en.version == es.version and en.part2 and not en.tpo
    assert [c.key for c in en.categories] == [c.key for c in es.categories]
    assert set(en.labels) == set(es.labels) and set(en.statements) == set(es.statements)
    assert {c.key for c in en.categories} >= {"jail", "court_probation", "police_911", "ems", "ed_hospital",
                                              "mental_health", "sud_part2", "hmis"}


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("element", CHECKLIST, ids=lambda e: e.id)
def test_removing_a_required_element_is_refused_by_name(name: str, element: templates.Element) -> None:
    data = _data(name)
    if element.when == "tpo":
        data["template"]["tpo"] = True
        data["statements"].update(tpo_refusal="Refusing has these consequences.", tpo_redisclosure="May redisclose.")
    before = copy.deepcopy(data)
    assert templates.missing_elements(before, CHECKLIST) == []
    _remove(data, element.needs[0])
    missing = [e.id for e in templates.missing_elements(data, CHECKLIST)]
    assert missing == [element.id] or (element.id == "categories" and missing == ["categories", "part2_category"])
    with pytest.raises(TemplateError) as refused:
        templates.check_template(data, name, CHECKLIST)
    assert element.name in refused.value.message and name in refused.value.message


def test_every_part_an_element_needs_is_checked() -> None:
    data = _data("multiparty-en")
    for element in CHECKLIST:
        if element.when != "always":
            continue
        for need in element.needs[1:]:
            broken = copy.deepcopy(data)
            _remove(broken, need)
            assert element in templates.missing_elements(broken, CHECKLIST), need


def test_revocation_must_say_where_to_send_it() -> None:
    data = _data("multiparty-en")
    data["statements"]["revocation"] = "You may revoke this authorization in writing."
    assert [e.id for e in templates.missing_elements(data, CHECKLIST)] == ["revocation"]


def test_tpo_wording_only_on_a_tpo_consent_and_unknown_placeholders_refused() -> None:
    data = _data("multiparty-en")
    data["statements"]["tpo_refusal"] = "If you refuse ..."
    with pytest.raises(TemplateError, match="TPO wording"):
        templates.check_template(data, "x", CHECKLIST)
    data = _data("multiparty-en")
    data["statements"]["copy"] = "Ask {clerk} for a copy."
    with pytest.raises(TemplateError, match="clerk"):
        templates.check_template(data, "x", CHECKLIST)


def test_a_template_file_elsewhere_can_be_loaded_and_a_missing_one_is_named(tmp_path) -> None:
    text = (data_dir("forms") / "multiparty-en.toml").read_text(encoding="utf-8")
    path = tmp_path / "ours.toml"
    path.write_text(text.replace('version = "2026.2"', 'version = "2026.3-county"'), encoding="utf-8")
    assert templates.load_template(str(path)).version == "2026.3-county"
    with pytest.raises(TemplateError, match="no form template called 'nope'"):
        templates.load_template("nope")
