"""The Linux download: one tar.gz holding the bundle, a .desktop file, the icon and INSTALL.txt; following
INSTALL.txt word for word (in a scratch home folder) gives a menu entry that starts the installed program."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from tests.installer.conftest import real_bundle, release

TOP = release.TOP_FOLDER


def _install_commands(note: str) -> list[str]:
    """The indented commands of INSTALL.txt's first block (the install steps)."""
    block = note.split("\n\n    ", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in ("    " + block).splitlines()]


def _desktop_entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def tarball(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle packed once (about a minute for the real one) for all the tests here."""
    return release.make_linux_tarball(bundle, tmp_path_factory.mktemp("download"))


def test_tarball_holds_the_bundle_the_menu_entry_and_the_note(bundle: Path, tarball: Path):
    version = release.package_version()
    assert tarball.name == f"ddj-desktop-{version}-linux-x86_64.tar.gz"
    assert not list(tarball.parent.glob("*.partial")) and not list(tarball.parent.glob(".INSTALL*"))

    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
        note = tar.extractfile(f"{TOP}/INSTALL.txt").read().decode("utf-8")
    assert all(name == TOP or name.startswith(f"{TOP}/") for name in members), "one top folder"
    for program in release.PROGRAMS:
        member = members[f"{TOP}/{program}"]
        if member.issym():  # build.spec: on Linux the desktop application is a link to the one program
            assert "/" not in member.linkname, f"{program} links outside the folder: {member.linkname}"
            member = members[f"{TOP}/{member.linkname}"]
        assert member.isfile() and member.mode & 0o111, f"{program} is not executable in the tarball"
    assert {f"{TOP}/ddj-desktop.desktop", f"{TOP}/ddj-desktop.png"} <= set(members)
    bundled = {f"{TOP}/{p.relative_to(bundle).as_posix()}" for p in bundle.rglob("*")}
    assert bundled <= set(members), sorted(bundled - set(members))[:5]
    assert {m.uid for m in members.values()} == {0}, "files owned by the builder's account"
    assert f"DDJ Desktop {version}" in note and tarball.name in note and "@" not in note


def test_following_install_txt_gives_a_valid_menu_entry_that_starts_the_program(tarball: Path, tmp_path: Path):
    home = tmp_path / "home" / "analyst"
    home.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        note = tar.extractfile(f"{TOP}/INSTALL.txt").read().decode("utf-8")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    for command in _install_commands(note):
        subprocess.run(["sh", "-c", command], cwd=tarball.parent, env=env, check=True)

    installed = home / ".local" / "opt" / TOP
    menu_file = home / ".local" / "share" / "applications" / "ddj-desktop.desktop"
    assert menu_file.is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(menu_file)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr
    entry = _desktop_entry(menu_file)
    assert entry["Type"] == "Application" and entry["Name"] == "DDJ Desktop" and entry["Terminal"] == "false"

    icon = home / ".local" / "share" / "icons" / "hicolor" / "256x256" / "apps" / f"{entry['Icon']}.png"
    with Image.open(icon) as image:
        assert image.size == (256, 256)

    # The menu runs Exec as it stands; run the same command line with --version added to the program.
    shell, flag, script = shlex.split(entry["Exec"])
    assert (shell, flag) == ("sh", "-c") and not re.search(r"%[a-zA-Z]", script)
    started = subprocess.run([shell, flag, script + " --version"], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert started.returncode == 0, started.stderr
    if real_bundle():
        assert started.stdout.strip() == f"ddj-desktop {release.package_version()}"
    else:
        assert started.stdout.strip() == "stand-in ddj-desktop-gui --version"
    assert (installed / "ddj-desktop-gui").is_file()


@pytest.mark.skipif(not real_bundle(), reason="needs the real frozen bundle (DDJ_FROZEN_BUNDLE, set by .ci/run)")
def test_the_program_from_the_tarball_passes_its_self_test(tarball: Path, tmp_path: Path):
    """Nothing the program needs was lost in packing: the extracted copy checks itself end to end."""
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp_path / "opt", filter="tar")
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run([str(tmp_path / "opt" / TOP / "ddj-desktop"), "--self-test"], capture_output=True,
                            text=True, timeout=600, check=False, env={"HOME": str(home), "PATH": "/usr/bin:/bin",
                                                                         "LANG": "C.UTF-8"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_a_folder_that_is_not_a_bundle_is_refused(tmp_path: Path):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(release.ReleaseError, match="not a frozen bundle"):
        release.make_linux_tarball(tmp_path / "nothing", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
