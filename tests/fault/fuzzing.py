"""Inputs that break importers, and the one rule they must keep: a file gives rows or a DdjError, never another
exception. Random bytes under every extension we read, real workbooks (made with openpyxl) truncated and mutated
(raw bytes, and the XML inside the zip), csv text in random encodings and delimiters, and workbooks of random
cells of every Cell type under the canonical column names, so that every normalizer sees them.

Each generator takes a `random.Random`, so an input is reproduced from its seed. The tests run a bounded number
(through hypothesis, which picks the seeds); `bench/fuzz_import.py --seconds N` runs long campaigns.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ddj_desktop.errors import DdjError
from ddj_desktop.importing import pipeline
from ddj_desktop.importing.model import Cell

EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv", ".tsv", ".txt")
CANONICAL_HEADER = [
    "source_key", "agency_person_id", "first_name", "middle_name", "last_name", "name_suffix", "full_name", "dob",
    "ssn", "sex", "race", "ethnicity", "address", "zip", "name_quality", "dob_quality", "ssn_quality", "event_type",
    "event_start", "event_end", "homeless", "serious_mental_illness", "charge", "facility",
]  # fmt: skip
_TEXTS = [
    "", " ", "SMITH, JOHN A", "García López, María", "O'BRIEN JR", "DOE, JOHN TEST", "TEST PATIENT", "Nguyen\xa0Van",
    "123-45-6789", "xxx-xx-1234", "000000000", "078051120", "1900-01-01", "02/30/1985", "13/13/2013", "19850704",
    "45000", "44927.5", "3/5/2024 2:22 PM", "2024-03-05T14:22:05+02:00", "yes", "N", "8", "99", "7701003", "M",
    "Female", "Hispanic/Latino", "97201-1234", "=SUM(A1:A3)", "#N/A", "\t", "a\nb", '"quoted, with comma"',
    "\u202eevil", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ZZTEST", "-0", "1e308", "NaN", "inf", "0x1F", "١٢٣", "Ⅻ", "x" * 300,
]  # fmt: skip


@dataclass
class Outcome:
    """What one input did: 'rows' (read and normalized), 'refused' (a DdjError), or 'failure' (anything else)."""

    kind: str
    detail: str = ""


def prepare(path: Path) -> Outcome:
    """Read, find the table, map and normalize `path` as an import does before it writes (no store needed)."""
    try:
        pipeline.prepare_files([path])
    except DdjError as err:
        return Outcome("refused", err.message)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # a Rust panic from the workbook reader is a BaseException
        return Outcome("failure", traceback.format_exc())
    return Outcome("rows")


# -- cells ----------------------------------------------------------------------------------------------------
def random_cell(rng: random.Random) -> Cell:
    """A cell of any type the readers produce, edge values included."""
    kind = rng.randrange(11)
    if kind == 0:
        return None
    if kind <= 3:
        text = rng.choice(_TEXTS)
        if rng.random() < 0.4:
            text = "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0xA0, 0x2FFF)]))
                           for _ in range(rng.randrange(1, 12)))  # fmt: skip
        return text
    if kind == 4:
        return rng.choice([0, 1, -1, 8, 99, 2**31, 2**63 - 1, -(2**63), 10**15, 123456789, 45000, 19850704])
    if kind == 5:
        return rng.choice([0.5, -0.0, 1e308, -1e-308, 44927.25, 60.0, 2958465.9, float(rng.randrange(-10**6, 10**6))])
    if kind == 6:
        return rng.choice([True, False])
    if kind == 7:
        return dt.date(rng.randrange(1, 10000), rng.randrange(1, 13), rng.randrange(1, 29))
    if kind == 8:
        return dt.datetime(rng.randrange(1, 10000), rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(24),
                           rng.randrange(60), rng.randrange(60), rng.randrange(10**6))  # fmt: skip
    if kind == 9:
        return dt.time(rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(10**6))
    return dt.timedelta(days=rng.randrange(-10**5, 10**5), seconds=rng.randrange(86400))


def random_cells_rows(rng: random.Random, width: int | None = None) -> list[list[Cell]]:
    """A header of canonical column names over 1-20 rows of random cells."""
    header = CANONICAL_HEADER if width is None else CANONICAL_HEADER[:width]
    return [list(header), *([random_cell(rng) for _ in header] for _ in range(rng.randrange(1, 20)))]


def cells_workbook(rng: random.Random) -> bytes:
    """An xlsx (openpyxl) with canonical headers over random cells: every normalizer gets strange values."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in random_cells_rows(rng):
        sheet.append([_openpyxl_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _openpyxl_safe(value: Cell) -> Cell:
    """What openpyxl can store: it refuses control characters, and dates before 1900 do not exist in Excel."""
    if isinstance(value, str):
        return "".join(c for c in value if c >= " " or c in "\t\n\r")
    if isinstance(value, dt.date) and value.year < 1900:
        return value.replace(year=1900 + value.year % 100)
    if isinstance(value, dt.timedelta):
        return abs(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)
    return value


# -- workbooks, truncated and mutated --------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def seed_workbook() -> bytes:
    """A small real export: title rows, a header, rows of every cell type, a second sheet, a footer."""
    import openpyxl

    rng = random.Random(7)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Bookings"
    sheet.append(["Cumberland County Jail - bookings export"])
    sheet.append([])
    sheet.append(["Booking #", "Last Name", "First Name", "DOB", "SSN", "Sex", "Booked", "Released", "Charge"])
    for n in range(30):
        sheet.append([2024000 + n, f"LAST{n}", f"First{n}", dt.date(1960 + n, 1 + n % 12, 1 + n % 28),
                      f"{100 + n:03d}-{10 + n:02d}-{1000 + n:04d}", "MF"[n % 2],
                      dt.datetime(2024, 1 + n % 12, 1 + n % 28, n % 24, n), dt.timedelta(hours=n),
                      rng.choice(["THEFT", "DUI", "TRESPASS"])])  # fmt: skip
    sheet.append(["Total", 30])
    other = book.create_sheet("Charges")
    other.append(["Booking #", "Charge", "Level", "Bail"])
    for n in range(10):
        other.append([2024000 + n, "THEFT", "M", 500.5 * n])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def truncated(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, len(data))]


def byte_mutated(rng: random.Random, data: bytes) -> bytes:
    """Bytes flipped, a span deleted, duplicated or overwritten, somewhere in the file."""
    out = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        at = rng.randrange(len(out))
        action = rng.randrange(4)
        if action == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif action == 1:
            del out[at : at + rng.randrange(1, 64)]
        elif action == 2:
            out[at:at] = out[at : at + rng.randrange(1, 64)]
        else:
            out[at : at + 4] = rng.randbytes(4)
        if not out:
            out = bytearray(b"P")
    return bytes(out)


def xml_mutated(rng: random.Random, data: bytes) -> bytes:
    """A zip whose members are intact zip-wise, but one XML part inside is damaged: what the reader parses."""
    with zipfile.ZipFile(io.BytesIO(data)) as old:
        items = [(info, old.read(info)) for info in old.infolist()]
    target = rng.randrange(len(items))
    info, body = items[target]
    choice = rng.randrange(5)
    if choice == 0:
        body = body[: rng.randrange(len(body) + 1)]
    elif choice == 1:
        body = byte_mutated(rng, body)
    elif choice == 2:  # a number or reference changed to something else
        text = body.decode("utf-8", "replace")
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        for at in rng.sample(digits, min(len(digits), rng.randrange(1, 6))):
            text = text[:at] + rng.choice(["9" * 12, "-1", "", "A", "1e400", "0"]) + text[at + 1 :]
        body = text.encode()
    elif choice == 3:
        items.pop(target)  # a part missing
    else:
        body = body.replace(b'"', b"'", rng.randrange(1, 20))
    if choice != 3:
        items[target] = (info, body)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item, content in items:
            new.writestr(item, content)
    return out.getvalue()


# -- text files -----------------------------------------------------------------------------------------------
_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "mac_roman", "mixed")


def random_csv(rng: random.Random) -> bytes:
    """A csv/tsv/txt as agencies' systems write them, and worse: any delimiter, encoding, quoting and junk."""
    delimiter = rng.choice([",", ";", "|", "\t", " ", ":", "\x00"])
    width = rng.randrange(1, 12)
    header = [rng.choice([*CANONICAL_HEADER, "Last Name", "DOB", "SSN", "Incident #", "", "Name"]) for _ in range(width)]
    lines = [header]
    for _ in range(rng.randrange(0, 40)):
        row = []
        for _ in range(width + rng.choice([0, 0, 0, -1, 1, 5])):
            cell = random_cell(rng)
            row.append("" if cell is None else str(cell))
        lines.append(row)
    text_lines = []
    for row in lines:
        quote = rng.random() < 0.3
        cells = [f'"{c.replace(chr(34), chr(34) * 2)}"' if quote else c for c in row]
        if rng.random() < 0.05:
            cells.append('"unclosed')
        text_lines.append(delimiter.join(cells))
    newline = rng.choice(["\n", "\r\n", "\r"])
    text = newline.join(text_lines)
    encoding = rng.choice(_ENCODINGS)
    if encoding == "mixed":
        data = b"\n".join(line.encode(rng.choice(["utf-8", "cp1252"]), "replace") for line in text.split(newline))
    else:
        data = text.encode(encoding, "replace")
    if rng.random() < 0.1:
        data = byte_mutated(rng, data) if data else rng.randbytes(10)
    return data


# -- one input of any kind ------------------------------------------------------------------------------------
def _bytes_input(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice(EXTENSIONS), rng.randbytes(rng.randrange(0, 4000))


def _truncated_input(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice([".xlsx", ".xlsm", ".csv"]), truncated(rng, seed_workbook())


def _byte_mutated_input(rng: random.Random) -> tuple[str, bytes]:
    return ".xlsx", byte_mutated(rng, seed_workbook())


def _xml_mutated_input(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice([".xlsx", ".xlsm"]), xml_mutated(rng, seed_workbook())


def _csv_input(rng: random.Random) -> tuple[str, bytes]:
    return rng.choice([".csv", ".tsv", ".txt"]), random_csv(rng)


def _cells_input(rng: random.Random) -> tuple[str, bytes]:
    return ".xlsx", cells_workbook(rng)


KINDS: dict[str, Callable[[random.Random], tuple[str, bytes]]] = {
    "random bytes": _bytes_input,
    "truncated xlsx": _truncated_input,
    "byte-mutated xlsx": _byte_mutated_input,
    "xml-mutated xlsx": _xml_mutated_input,
    "csv": _csv_input,
    "random cells": _cells_input,
}


def make_input(folder: Path, kind: str, seed: int) -> Path:
    """Write input number `seed` of `kind` into `folder`; the same seed gives the same file."""
    suffix, data = KINDS[kind](random.Random(f"{kind}:{seed}"))
    path = folder / f"export{suffix}"
    path.write_bytes(data)
    return path


# -- through the store ----------------------------------------------------------------------------------------
def store_state(ws) -> tuple:  # type: ignore[no-untyped-def]
    """Everything an import may change, as counts: records, persons, sources, batches, audit entries."""
    return (tuple(sorted(ws.counts().items())), len(ws.batches()), len(ws.audit_entries()))


def import_into(ws, path: Path, source: str = "fuzz") -> Outcome:  # type: ignore[no-untyped-def]
    """Import `path` through `Workspace.import_files`: rows, or a DdjError with the store exactly as it was."""
    before = store_state(ws)
    try:
        summaries = ws.import_files([path], source)
    except DdjError as err:
        after = store_state(ws)
        if after != before:
            return Outcome("failure", f"partial write after {type(err).__name__}: {before} -> {after}")
        return Outcome("refused", err.message)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        after = store_state(ws)
        partial = "" if after == before else f"\npartial write: {before} -> {after}"
        return Outcome("failure", traceback.format_exc() + partial)
    after = store_state(ws)
    if after[1] != before[1] + len(summaries):
        return Outcome("failure", f"{len(summaries)} batches reported, store went {before} -> {after}")
    return Outcome("rows")
