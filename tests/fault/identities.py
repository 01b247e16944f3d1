"""The sample county's identities as the byte strings that would betray them in a file, and the text of files
whose bytes hide their words (PDF streams, zipped xlsx XML)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
import zipfile
from pathlib import Path

from ddj_desktop.paths import data_dir
from tests.fault.crash import ROOT


@functools.lru_cache(maxsize=1)
def program_words() -> frozenset[str]:
    """Every word of the program's own code, data and forms, lower case: a name that is also one of these
    ("White" as a race, "Young" in a label) proves nothing when found."""
    words: set[str] = set()
    for pattern in ("ddj_desktop/**/*.py", "ddj_desktop/**/*.toml", "ddj_desktop/**/*.csv", "forms/**/*"):
        for path in ROOT.glob(pattern):
            if path.is_file():
                words.update(w.lower() for w in re.findall(r"[A-Za-z]{5,}", path.read_text("utf-8", "ignore")))
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def needles() -> frozenset[bytes]:
    """Every sample person's names (each word of 5+ letters, as typed and upper case), DOB (ISO and US) and SSN
    (both forms), as UTF-8."""
    found: set[bytes] = set()
    with (data_dir("sample_workbooks") / "truth_people.csv").open(encoding="utf-8") as f:
        for person in csv.DictReader(f):
            for key in ("first_name", "middle_name", "last_name", "maiden_name"):
                for word in re.findall(r"[^\W\d_]{5,}", person.get(key) or ""):
                    if word.lower() not in program_words():
                        found.update({word.encode(), word.upper().encode()})
            if person["dob"]:
                dob = dt.date.fromisoformat(person["dob"])
                found.update({dob.isoformat().encode(), dob.strftime("%m/%d/%Y").encode()})
            if person["ssn"]:
                ssn = person["ssn"]
                found.update({ssn.encode(), f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}".encode()})
    return frozenset(found)


# Words (letters, UTF-8 multibyte letters included), dates and SSNs as they stand in text; nine-digit SSNs are
# looked for at every offset of a digit run.
_TOKENS = re.compile(rb"(?:[A-Za-z]|[\xc0-\xf4][\x80-\xbf]+)+|\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}|\d{3}-\d{2}-\d{4}")
_NINE_DIGITS = re.compile(rb"(?=(\d{9}))")


def readable(path: Path, max_pages: int | None = None) -> bytes:
    """The file's bytes, plus what a reader would see: the text of a PDF, the XML inside an xlsx/zip."""
    data = path.read_bytes()
    parts = [data]
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader

        pages = PdfReader(path).pages[:max_pages]
        parts += [(page.extract_text() or "").encode() for page in pages]
    elif data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(path) as z:
            parts += [z.read(name) for name in z.namelist()]
    return b"\n".join(parts)


def identities_in(data: bytes) -> list[str]:
    """The sample identities that stand in `data` as words, dates or SSNs."""
    found = set(_TOKENS.findall(data)) | set(_NINE_DIGITS.findall(data))
    return sorted(n.decode() for n in found & needles())
