"""The project's own rules: lint clean, Qt only in gui/, and an installed wheel that finds its data anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else shutil.which(name) or name


def test_ruff_is_clean():
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_gui_imports_qt():
    result = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.slow
def test_installed_wheel_finds_its_data_from_any_folder(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("ddj_desktop-*.whl"))
    env_dir = tmp_path / "fresh-venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import ddj_desktop, pathlib;"
        "from ddj_desktop.paths import data_dir, DATA_FOLDERS;"
        "print(pathlib.Path(ddj_desktop.__file__).parent);"
        "[print(n, data_dir(n), sum(1 for _ in data_dir(n).rglob('*') if _.is_file())) for n in DATA_FOLDERS]"
    )
    result = subprocess.run([str(py), "-c", probe], cwd=elsewhere, capture_output=True, text=True, check=False,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stderr
    package, *folders = result.stdout.splitlines()
    assert str(env_dir) in package, "the wheel's copy was imported, not the source tree"
    for line in folders:
        name, where, files = line.split()
        assert where.startswith(package), f"{name} found outside the installed package: {where}"
        assert int(files) > 0, f"{name} is empty in the wheel"
    migrations = Path(package) / "store" / "migrations" / "versions"
    assert any(migrations.glob("0001_*.py"))
    script = env_dir / ("Scripts/ddj-desktop.exe" if os.name == "nt" else "bin/ddj-desktop")
    version = subprocess.run([str(script), "--version"], cwd=elsewhere, capture_output=True, text=True, check=True)
    assert version.stdout.startswith("ddj-desktop ")
