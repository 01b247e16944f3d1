"""bench/bundle.py measures what a county downloads and unpacks: links count once, the Windows-shaped zip holds the
second program as a program, the tar.gz keeps links."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the bundle's links are made on Linux/macOS")


def bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_bundle", ROOT / "bench" / "bundle.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A small folder shaped like dist/ddj-desktop: a program, its link, a library and a link to that library."""
    folder = tmp_path / "ddj-desktop"
    (folder / "_internal" / "lib").mkdir(parents=True)
    (folder / "ddj-desktop").write_bytes(os.urandom(50_000))  # does not compress, like the program's archive
    (folder / "ddj-desktop-gui").symlink_to("ddj-desktop")
    (folder / "_internal" / "lib" / "libQt6Core.so.6").write_bytes(b"\0" * 200_000)
    (folder / "_internal" / "libQt6Core.so.6").symlink_to("lib/libQt6Core.so.6")
    return folder


def test_unpacked_size_counts_each_file_once(bundle: Path) -> None:
    assert bench().folder_size(bundle) == 250_000


def test_zip_stores_the_second_program_whole_and_library_links_as_links(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.zip"
    size = bench().zip_size(bundle, out)
    assert size == out.stat().st_size
    assert 100_000 < size < 110_000  # two incompressible programs; the zeros and the link cost little
    with zipfile.ZipFile(out) as archive:
        gui = archive.getinfo("ddj-desktop/ddj-desktop-gui")
        assert archive.read(gui) == (bundle / "ddj-desktop").read_bytes()
        link = archive.getinfo("ddj-desktop/_internal/libQt6Core.so.6")
        assert stat.S_ISLNK(link.external_attr >> 16)
        assert archive.read(link) == b"lib/libQt6Core.so.6"


def test_tar_gz_keeps_links(bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle.tar.gz"
    size = bench().tar_gz_size(bundle, out)
    assert 50_000 < size < 60_000  # the program once
    with tarfile.open(out) as archive:
        gui = archive.getmember("ddj-desktop/ddj-desktop-gui")
        assert gui.issym() and gui.linkname == "ddj-desktop"


def test_a_missing_bundle_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="is not a folder"):
        bench().main(["--dist", str(tmp_path / "nowhere")])


def test_solid_lzma_holds_the_second_program_almost_free(bundle: Path) -> None:
    """An NSIS-like solid stream sees the second program as a repeat of the first (both in its dictionary)."""
    size = bench().lzma_size(bundle, 8)
    assert 50_000 < size < 56_000
