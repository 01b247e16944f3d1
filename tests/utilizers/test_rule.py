"""Rule files: the simplest form reads as in the issue, every problem is reported at once with its key, windows
end on the as-of date, and each shipped template parses and names its published source."""

from __future__ import annotations

import datetime as dt

import pytest

from ddj_desktop.utilizers import RuleError, check_rule, load_rule, parse_rule, template_text, templates
from ddj_desktop.utilizers.rule import Leaf, Window

SIMPLEST = """
name = "Ten contacts in a year"
version = 1
window_days = 365
[[criteria]]          # all criteria must hold
measure = "events"    # events | episodes | days | cost | systems
sources = ["*"]       # or ["jail", "shelter"]
at_least = 10
"""


def test_the_simplest_rule_of_the_issue():
    rule = parse_rule(SIMPLEST)
    assert (rule.name, rule.version, rule.window) == ("Ten contacts in a year", 1, Window(days=365))
    (leaf,) = rule.criteria.children
    assert isinstance(leaf, Leaf)
    assert (leaf.measure.kind, leaf.measure.sources, leaf.op, leaf.threshold) == ("events", ("*",), ">=", 10)
    assert rule.text == SIMPLEST


def test_every_problem_is_reported_with_its_key():
    text = """
    name = "broken"
    window_days = 0
    colour = "blue"
    [[criteria]]
    measure = "visits"
    at_least = 3
    [[criteria]]
    measure = "events"
    at_least = 1
    at_most = 5
    [ranking]
    by = ["nothing"]
    top_n = 10
    """
    problems = check_rule(text)
    joined = "\n".join(problems)
    assert "version" in joined
    assert "window_days must be a whole number of at least 1" in joined
    assert "unknown key 'colour'" in joined
    assert "criteria[0]: measure must be one of events, episodes, days, cost, systems" in joined
    assert "criteria[1]: a criterion needs exactly one of" in joined
    assert "ranking.by: 'nothing' is not a [measures.NAME]" in joined
    assert "ranking.tie_break" in joined  # top_n without a declared tie-break
    with pytest.raises(RuleError) as err:
        parse_rule(text)
    assert err.value.problems == problems


def test_not_toml_is_one_clear_problem():
    assert check_rule("name = ")[0].startswith("not valid TOML")


@pytest.mark.parametrize(("window", "start"), [
    (Window(days=365), dt.date(2025, 7, 1)),
    (Window(months=12), dt.date(2025, 7, 1)),
    (Window(months=18), dt.date(2024, 12, 31)),
    (Window(years=5), dt.date(2021, 7, 1)),
])
def test_windows_end_on_the_as_of_date(window, start):
    assert window.start(dt.date(2026, 6, 30)) == start


def test_a_month_window_from_the_end_of_a_long_month():
    assert Window(months=1).start(dt.date(2026, 3, 31)) == dt.date(2026, 3, 1)
    assert Window(months=12).start(dt.date(2024, 2, 29)) == dt.date(2023, 3, 1)


def test_shipped_templates_parse_and_name_their_source():
    keys = {t.key for t in templates()}
    assert keys == {"generic_ddj", "long_beach", "denver_sib", "hennepin_fuse", "bernalillo"}
    for info in templates():
        text = template_text(info.key)
        assert text.startswith("# Source:"), info.key
        assert info.citation and info.description and info.version >= 1
        assert load_rule(info.key).name == info.name


def test_load_rule_reads_a_file(tmp_path):
    path = tmp_path / "ours.toml"
    path.write_text(SIMPLEST, encoding="utf-8")
    assert load_rule(path).name == "Ten contacts in a year"
    assert load_rule(str(path)).version == 1


def test_an_unknown_template_names_the_templates():
    with pytest.raises(Exception, match="no rule template named 'nope'") as err:
        load_rule("nope")
    assert "generic_ddj" in str(err.value)
