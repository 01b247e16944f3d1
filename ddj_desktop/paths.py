"""Where the bundled data folders (forms/, resources/, sample_workbooks/) and the user's folders are.

Installed from a wheel they sit inside the package; in a source checkout at the top of the repository; in a
PyInstaller bundle under sys._MEIPASS.
"""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

import ddj_desktop

DATA_FOLDERS = ("forms", "resources", "sample_workbooks")
APP_NAME = "DDJ Desktop"


def data_dir(name: str) -> Path:
    """The bundled folder `name` (one of DATA_FOLDERS)."""
    if name not in DATA_FOLDERS:
        raise ValueError(name)
    package = Path(ddj_desktop.__file__).parent
    candidates = [package / name, package.parent / name]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.insert(0, Path(meipass) / "ddj_desktop" / name)
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise FileNotFoundError(f"The bundled folder {name!r} is missing from this installation; reinstall DDJ Desktop.")


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def profiles_dir() -> Path:
    """Where saved mapping profiles live (offered again for next month's file)."""
    return user_data_dir() / "profiles"
