"""What the application remembers between runs (QSettings): the last store, idle lock, window state, and which
source a file name belongs to. Never personal data."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QSettings

from ddj_desktop.importing.mapping import file_pattern_for

ORGANIZATION = "DDJ Desktop"
APPLICATION = "DDJ Desktop"
DEFAULT_IDLE_MINUTES = 15


def settings() -> QSettings:
    """The application's settings, in QSettings' default format: the platform's own (the registry on Windows, a
    .conf file on Linux) unless a test or bench made it an ini file under a folder of its own.

    (`QSettings(organization, application)` always takes the platform's format, so the tests' and benches' own
    settings folder was ignored and they wrote the user's real settings: the last store, the idle lock.)"""
    return QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def last_store() -> Path | None:
    value = settings().value("store/last", "")
    return Path(str(value)) if value else None


def set_last_store(path: Path) -> None:
    settings().setValue("store/last", str(path))


def idle_minutes() -> int:
    """Minutes without input before the window locks itself; 0 never locks."""
    try:
        return max(int(settings().value("lock/idle_minutes", DEFAULT_IDLE_MINUTES)), 0)
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES


def set_idle_minutes(minutes: int) -> None:
    settings().setValue("lock/idle_minutes", int(minutes))


def _pattern_key(file_name: str) -> str:
    """The file name without dates, numbers, month names and separators: next month's file has the same key."""
    pattern = (file_pattern_for(file_name) or file_name).lower()
    return "sources_by_file/" + (re.sub(r"[^a-z0-9.]", "", pattern) or "file")


def source_for_file(file_name: str) -> str | None:
    """The source last chosen for a file whose name follows the same pattern (next month's export)."""
    value = settings().value(_pattern_key(file_name), "")
    return str(value) or None


def remember_source(file_name: str, source: str) -> None:
    settings().setValue(_pattern_key(file_name), source)
