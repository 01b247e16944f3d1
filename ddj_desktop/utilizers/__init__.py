"""Frequent-utilizer lists: the rule model (versioned TOML evaluated as of a date), the shipped templates of
published definitions, evaluation with explanations, month-to-month comparison and export. Qt-free; the
Workspace calls it, the CLI and the desktop call the Workspace."""

from ddj_desktop.utilizers.compare import Change, Comparison, Snapshot, compare
from ddj_desktop.utilizers.evaluation import EventRef, ListedPerson, Reason, UtilizerList, count, evaluate
from ddj_desktop.utilizers.events import EventTable, load_events
from ddj_desktop.utilizers.rule import (
    Rule,
    RuleError,
    TemplateInfo,
    check_rule,
    load_rule,
    parse_rule,
    template_text,
    templates,
)

__all__ = [
    "Change", "Comparison", "EventRef", "EventTable", "ListedPerson", "Reason", "Rule", "RuleError", "Snapshot",
    "TemplateInfo", "UtilizerList", "check_rule", "compare", "count", "evaluate", "load_events", "load_rule",
    "parse_rule", "template_text", "templates",
]
