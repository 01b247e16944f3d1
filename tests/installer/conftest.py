"""The release scripts under installer/, and the bundle they pack.

A frozen bundle takes minutes to build, so by default the tests pack a stand-in with the layout build.spec
produces (the two programs and _internal/); .ci/run runs them again over the real frozen folder with
DDJ_FROZEN_BUNDLE=dist/ddj-desktop.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_release() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ddj_release", ROOT / "installer" / "release.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ddj_release"] = module
    spec.loader.exec_module(module)
    return module


release = _load_release()

STAND_IN_PROGRAM = """#!/bin/sh
echo "stand-in $(basename "$0") $*"
"""


def make_stand_in(folder: Path, suffix: str = "") -> Path:
    """A folder laid out like dist/ddj-desktop: two programs that echo their arguments, and _internal/."""
    (folder / "_internal" / "ddj_desktop" / "forms").mkdir(parents=True)
    (folder / "_internal" / "ddj_desktop" / "forms" / "roi standard.toml").write_text("title = 'ROI'\n")
    (folder / "_internal" / "base_library.zip").write_bytes(os.urandom(4096))
    for name in release.PROGRAMS:
        program = folder / (name + suffix)
        program.write_text(STAND_IN_PROGRAM)
        program.chmod(program.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def real_bundle() -> Path | None:
    value = os.environ.get("DDJ_FROZEN_BUNDLE")
    if not value:
        return None
    bundle = Path(value).resolve()
    assert (bundle / "ddj-desktop").is_file(), f"DDJ_FROZEN_BUNDLE={value} is not a frozen bundle"
    return bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real frozen folder when DDJ_FROZEN_BUNDLE names one, else a stand-in (Linux program names)."""
    return real_bundle() or make_stand_in(tmp_path_factory.mktemp("frozen") / "ddj-desktop")
