"""The Windows installer: Debian's makensis accepts installer/windows/ddj-desktop.nsi (warnings are errors) and
packs the whole bundle; the version comes from the package; the uninstaller deletes the user's data only when
asked. (Running the installer needs Windows: the release workflow installs, self-tests and uninstalls it there.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.installer.conftest import make_stand_in, real_bundle, release

MAKENSIS = shutil.which("makensis")
SEVEN_ZIP = shutil.which("7z")
pytestmark = pytest.mark.skipif(not MAKENSIS, reason="makensis is not installed (apt-get install nsis; .ci/run does)")


@pytest.fixture
def windows_bundle(tmp_path: Path) -> tuple[Path, str]:
    """The real frozen folder (its programs have no .exe when frozen here) or a stand-in with Windows names."""
    real = real_bundle()
    if real:
        return real, ""
    return make_stand_in(tmp_path / "ddj-desktop", suffix=".exe"), ".exe"


def _bundle_files(bundle: Path) -> set[str]:
    return {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}


def _installer_files(installer: Path) -> set[str]:
    listing = subprocess.run([SEVEN_ZIP, "l", "-slt", str(installer)], capture_output=True, text=True, check=True)
    paths = re.findall(r"^Path = (.+)$", listing.stdout, re.M)
    return {p.replace("\\", "/") for p in paths[1:]}  # the first Path is the archive itself


def test_makensis_builds_an_installer_holding_the_whole_bundle(windows_bundle, tmp_path: Path):
    bundle, suffix = windows_bundle
    # Solid LZMA (the release's) takes over 15 minutes over the real 300 MB bundle on this 2-core machine.
    compression = "zlib" if real_bundle() else "lzma"
    installer = release.build_windows_installer(bundle, tmp_path / "out", program_suffix=suffix,
                                                compression=compression)

    version = release.package_version()
    assert installer.name == f"ddj-desktop-{version}-setup.exe"
    assert installer.read_bytes()[:2] == b"MZ", "not a Windows program"
    if not SEVEN_ZIP:
        pytest.skip("7z is not installed (apt-get install p7zip-full; .ci/run does): contents not checked")
    inside = {p for p in _installer_files(installer) if not p.startswith("$PLUGINSDIR/")}
    missing = _bundle_files(bundle) - inside
    assert not missing, f"{len(missing)} bundle files not in the installer, e.g. {sorted(missing)[:5]}"
    assert {f"ddj-desktop-gui{suffix}", f"ddj-desktop{suffix}", "ddj-desktop.ico", "uninstall.exe"} <= inside


def test_the_installer_carries_the_package_version(tmp_path: Path):
    bundle = make_stand_in(tmp_path / "ddj-desktop", suffix=".exe")
    data = release.build_windows_installer(bundle, tmp_path / "out").read_bytes()
    version = release.package_version()
    # Windows shows these in the file's Properties > Details (the VERSIONINFO resource, UTF-16 strings).
    assert "ProductVersion".encode("utf-16-le") in data
    assert version.encode("utf-16-le") in data
    assert release.version_quad(version).count(".") == 3


@pytest.mark.parametrize(("version", "quad"), [("0.1.0", "0.1.0.0"), ("1.2", "1.2.0.0"), ("2.0.1rc1", "2.0.1.0"),
                                                ("1.2.3.4.5", "1.2.3.4")])
def test_version_quad(version: str, quad: str):
    assert release.version_quad(version) == quad


def _makensis(*defines: str) -> subprocess.CompletedProcess:
    return subprocess.run([MAKENSIS, "-V2", "-WX", *defines, str(release.NSIS_SCRIPT)],
                          capture_output=True, text=True, check=False)


def test_the_script_refuses_to_build_without_a_version_or_a_frozen_bundle(tmp_path: Path):
    no_version = _makensis(f"-DBUNDLE={make_stand_in(tmp_path / 'b', suffix='.exe')}", f"-DOUTFILE={tmp_path / 'x.exe'}")
    assert no_version.returncode != 0
    assert "Pass the version" in no_version.stdout + no_version.stderr

    (tmp_path / "empty").mkdir()
    no_bundle = _makensis("-DVERSION=9.9.9", f"-DBUNDLE={tmp_path / 'empty'}", f"-DOUTFILE={tmp_path / 'y.exe'}")
    assert no_bundle.returncode != 0
    assert "freeze the application first" in no_bundle.stdout + no_bundle.stderr
    assert not (tmp_path / "x.exe").exists() and not (tmp_path / "y.exe").exists()

    with pytest.raises(release.ReleaseError, match=r"pyinstaller --noconfirm build\.spec"):
        release.build_windows_installer(tmp_path / "empty", tmp_path / "out")


def _sections(script: str) -> dict[str, str]:
    """Each Section's header line -> its body."""
    found = re.findall(r"^Section\b(.*?)$(.*?)^SectionEnd", script, re.M | re.S)
    return {header.strip(): body for header, body in found}


def test_only_a_ticked_box_deletes_the_users_data():
    script = release.NSIS_SCRIPT.read_text(encoding="utf-8")
    assert re.search(r'^!define DATA_DIR "\$LOCALAPPDATA\\DDJ Desktop"$', script, re.M)
    assert "RequestExecutionLevel user" in script
    assert re.search(r'^InstallDir "\$LOCALAPPDATA\\Programs\\DDJ Desktop"$', script, re.M)
    sections = _sections(script)
    touching_data = [h for h, body in sections.items() if "${DATA_DIR}" in body or "${SETTINGS_KEY}" in body]
    assert len(touching_data) == 1, touching_data
    assert touching_data[0].startswith('/o "un.'), "the data section must be in the uninstaller and unticked"
    program = sections['"un.${PRODUCT} (the program)" UnSecProgram']
    assert "RMDir /r \"$INSTDIR\"" not in program, "the install folder is removed only when empty"
    # The uninstaller's own pages say where the data is.
    assert "Your data is kept" in script and "${DATA_DIR}" in script.split("MUI_UNCONFIRMPAGE_TEXT_TOP", 1)[1]


def test_release_command_line_prints_the_installer(tmp_path: Path, capsys):
    bundle = make_stand_in(tmp_path / "ddj-desktop", suffix=".exe")
    assert release.main(["windows", str(bundle), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert f"ddj-desktop-{release.package_version()}-setup.exe" in printed
    assert os.path.getsize(tmp_path / "out" / f"ddj-desktop-{release.package_version()}-setup.exe") > 50_000
