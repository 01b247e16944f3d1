"""Packs a frozen one-folder bundle (pyinstaller build.spec -> dist/ddj-desktop) into what a county downloads.

    python installer/release.py windows dist/ddj-desktop --out dist   # ddj-desktop-VERSION-setup.exe (makensis)
    python installer/release.py linux dist/ddj-desktop --out dist     # ddj-desktop-VERSION-linux-x86_64.tar.gz
    python installer/release.py version                               # the version both are named after

The version is the package's (ddj_desktop/__init__.py, the file the wheel's version comes from too). The Linux
tarball holds one folder, ddj-desktop/, with the bundle, a .desktop file, the icon and INSTALL.txt; the folder
name carries no version, so the menu entry's path stays the same across upgrades.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NSIS_SCRIPT = ROOT / "installer" / "windows" / "ddj-desktop.nsi"
DESKTOP_FILE = ROOT / "installer" / "linux" / "ddj-desktop.desktop"
INSTALL_NOTE = ROOT / "installer" / "linux" / "INSTALL.txt"
ICON_PNG = ROOT / "resources" / "icons" / "ddj-desktop.png"
ICON_ICO = ROOT / "resources" / "icons" / "ddj-desktop.ico"
TOP_FOLDER = "ddj-desktop"
PROGRAMS = ("ddj-desktop", "ddj-desktop-gui")  # build.spec: the command line and the desktop application


class ReleaseError(Exception):
    """Something a release build cannot go on without (no bundle, no makensis, makensis refused the script)."""


def package_version(root: Path = ROOT) -> str:
    """The version in ddj_desktop/__init__.py, e.g. "0.1.0"."""
    found = re.search(r'^__version__\s*=\s*"([^"]+)"', (root / "ddj_desktop" / "__init__.py").read_text(), re.M)
    if not found:
        raise ReleaseError("ddj_desktop/__init__.py has no __version__")
    return found.group(1)


def version_quad(version: str) -> str:
    """The four numbers Windows wants in a file's version ("0.1.0rc1" -> "0.1.0.0")."""
    release = re.match(r"\d+(?:\.\d+)*", version)
    if not release:
        raise ReleaseError(f"version {version!r} does not start with a number")
    numbers = [*release.group(0).split("."), "0", "0", "0"][:4]
    return ".".join(str(int(n)) for n in numbers)


def _check_bundle(bundle: Path, suffix: str) -> None:
    missing = [name + suffix for name in PROGRAMS if not (bundle / (name + suffix)).is_file()]
    if not bundle.is_dir() or missing:
        raise ReleaseError(f"{bundle} is not a frozen bundle (missing: {', '.join(missing) or 'the folder'}); "
                           "build it with: pyinstaller --noconfirm build.spec")


def build_windows_installer(bundle: Path, out_dir: Path, *, program_suffix: str = ".exe",
                            compression: str = "lzma", makensis: str | None = None) -> Path:
    """Runs makensis on installer/windows/ddj-desktop.nsi over `bundle`; gives back the installer's path.

    makensis runs with -WX: a warning is an error, so a script that needs attention does not ship.
    `program_suffix` is ".exe" for a Windows bundle; "" lets the script be checked over a bundle frozen
    elsewhere (the installer made that way installs nothing that runs on Windows). `compression` "zlib" is for
    checks: solid LZMA (the release's) takes many minutes over a 300 MB bundle on a small machine.
    """
    bundle, out_dir = bundle.resolve(), out_dir.resolve()
    _check_bundle(bundle, program_suffix)
    tool = makensis or shutil.which("makensis")
    if not tool:
        raise ReleaseError("makensis is not installed (Debian: apt-get install nsis; Windows: NSIS 3)")
    version = package_version()
    out_dir.mkdir(parents=True, exist_ok=True)
    installer = out_dir / f"ddj-desktop-{version}-setup.exe"
    installer.unlink(missing_ok=True)
    o = "/" if os.name == "nt" else "-"  # makensis's option prefix: /D on Windows, -D elsewhere
    defines = {
        "VERSION": version, "VERSION_QUAD": version_quad(version), "BUNDLE": bundle, "OUTFILE": installer,
        "ICON": ICON_ICO, "COMPRESSION": compression,
        "GUI_EXE": f"ddj-desktop-gui{program_suffix}", "CLI_EXE": f"ddj-desktop{program_suffix}",
    }
    command = [tool, f"{o}V2", f"{o}WX", f"{o}INPUTCHARSET", "UTF8",
               *(f"{o}D{name}={value}" for name, value in defines.items()), str(NSIS_SCRIPT)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not installer.is_file():
        raise ReleaseError(f"makensis failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return installer


def linux_tarball_name(version: str) -> str:
    return f"ddj-desktop-{version}-linux-{platform.machine() or 'x86_64'}.tar.gz"


def make_linux_tarball(bundle: Path, out_dir: Path) -> Path:
    """Packs `bundle` with the .desktop file, the icon and INSTALL.txt into one tar.gz; gives back its path."""
    _check_bundle(bundle, "")
    version = package_version()
    out_dir.mkdir(parents=True, exist_ok=True)
    tarball = out_dir / linux_tarball_name(version)
    partial = tarball.with_name(tarball.name + ".partial")
    note = INSTALL_NOTE.read_text(encoding="utf-8").replace("@VERSION@", version).replace("@TARBALL@", tarball.name)
    note_file = out_dir / f".INSTALL-{version}.txt"
    note_file.write_text(note, encoding="utf-8")

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    try:
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(bundle, arcname=TOP_FOLDER, filter=owned_by_root)
            for source, name in ((DESKTOP_FILE, "ddj-desktop.desktop"), (ICON_PNG, "ddj-desktop.png"),
                                 (note_file, "INSTALL.txt")):
                tar.add(source, arcname=f"{TOP_FOLDER}/{name}", filter=owned_by_root)
        partial.replace(tarball)  # a half-written download never carries the final name
    finally:
        partial.unlink(missing_ok=True)
        note_file.unlink(missing_ok=True)
    return tarball


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    windows = commands.add_parser("windows", help="the Windows installer (needs makensis)")
    windows.add_argument("bundle", type=Path)
    windows.add_argument("--out", type=Path, default=ROOT / "dist")
    windows.add_argument("--program-suffix", default=".exe",
                         help='"" to check the script over a bundle frozen on Linux or macOS')
    windows.add_argument("--compression", choices=["lzma", "zlib", "bzip2"], default="lzma",
                         help="lzma for a release (smallest, slowest); zlib to check the script quickly")
    linux = commands.add_parser("linux", help="the Linux tar.gz with a .desktop file")
    linux.add_argument("bundle", type=Path)
    linux.add_argument("--out", type=Path, default=ROOT / "dist")
    commands.add_parser("version", help="print the package version")
    args = parser.parse_args(argv)
    try:
        if args.command == "version":
            print(package_version())
            return 0
        if args.command == "windows":
            made = build_windows_installer(args.bundle, args.out, program_suffix=args.program_suffix,
                                           compression=args.compression)
        else:
            made = make_linux_tarball(args.bundle, args.out)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    print(f"{made}  {made.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
