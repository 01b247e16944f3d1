"""Writing files the user asked for: atomically (no half-written file on error) and safe to open in Excel."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ddj_desktop.errors import DdjError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """`value`, with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        with contextlib.suppress(ValueError):
            float(value)  # "-12" is a number, not a formula
            return value
        return "'" + value
    return value


@contextlib.contextmanager
def atomic_output(path: Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """A file object whose contents replace `path` only if the block completes."""
    path = Path(path)
    if not path.parent.is_dir():
        raise DdjError(f"The folder {path.parent} does not exist.", hint="Pick an existing folder for the output.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, mode, **open_args) as handle:
            yield handle
        os.replace(tmp, path)
    except OSError as exc:
        raise DdjError(f"Could not write {path}: {exc.strerror or exc}.") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write a UTF-8 csv (with BOM, so Excel reads accents right); returns the number of data rows."""
    count = 0
    with atomic_output(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralize(v) for v in row])
            count += 1
    return count


def write_problems_xlsx(path: Path, problems: list[Any]) -> int:
    """Write row problems (file, row, reason, rejected?, then the row's own columns) as an xlsx; returns rows."""
    from openpyxl import Workbook

    columns: dict[str, None] = {}
    for p in problems:
        columns.update(dict.fromkeys(p.values or {}))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Rows not imported")
    sheet.append(["File", "Row", "Problem", "Imported?", *columns])
    for p in problems:
        values = p.values or {}
        sheet.append([
            p.file_name, p.row_number, p.reason, "no (rejected)" if p.rejected else "yes, without that value",
            *(neutralize(values.get(c)) for c in columns),
        ])
    with atomic_output(path, "wb") as handle:
        book.save(handle)
    return len(problems)
