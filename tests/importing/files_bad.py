"""Builders for broken or disguised files, the way they reach a county analyst's inbox."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

_SECTOR = 512
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def write_password_protected_xlsx(path: Path) -> Path:
    """Write a minimal OLE compound file holding EncryptionInfo and EncryptedPackage streams.

    That is the container Office writes when a workbook is saved with a password (MS-OFFCRYPTO); the
    streams hold random bytes here, since only the container shape matters to the reader. Built by hand
    (CFB version 3, 512-byte sectors, one FAT sector, one directory sector) because msoffcrypto-tool is
    not a dependency.
    """
    stream_sectors = 8  # 4096 bytes each: at the mini-stream cutoff, so both live in ordinary sectors
    package_start, info_start = 2, 2 + stream_sectors
    fat = [_FAT, _END]
    for start in (package_start, info_start):
        fat += [start + k + 1 for k in range(stream_sectors - 1)] + [_END]
    fat += [_FREE] * (_SECTOR // 4 - len(fat))

    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108  # DIFAT: the FAT is sector 0

    directory = (
        _dir_entry("Root Entry", 5, child=1, start=_END, size=0)
        + _dir_entry("EncryptedPackage", 2, right=2, start=package_start, size=4096)
        + _dir_entry("EncryptionInfo", 2, start=info_start, size=4096)
        + bytes(128)
    )
    noise = bytes((i * 7919 + 13) % 251 for i in range(4096))
    path.write_bytes(header + struct.pack("<128I", *fat) + directory + noise + noise)
    return path


def _dir_entry(name: str, kind: int, *, child=_FREE, right=_FREE, start: int, size: int) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _FREE, right, child)
        + bytes(16 + 4 + 16)  # CLSID, state bits, creation and modification times
        + struct.pack("<IQ", start, size)
    )


def write_pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    return path


def write_binary(path: Path) -> Path:
    """Write bytes no text editor would show: what an image or database file renamed .csv looks like."""
    path.write_bytes(bytes(range(256)) * 40)
    return path


def write_xlsx_with_long_cell(path: Path, rows: list[list], placeholder: str, length: int) -> Path:
    """Write an xlsx whose `placeholder` cell holds `length` characters: past what Excel or openpyxl write.

    Some reporting tools write such files anyway; openpyxl cuts text at 32,767, so the long text is put
    into the saved XML afterwards.
    """
    import openpyxl  # here, so the other builders need nothing beyond the standard library

    draft = path.with_suffix(".draft.xlsx")
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(draft)
    with zipfile.ZipFile(draft) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item, old.read(item).replace(placeholder.encode(), b"x" * length))
    draft.unlink()
    return path
