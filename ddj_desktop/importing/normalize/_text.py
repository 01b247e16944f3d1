"""Small text helpers shared by the normalizers: cell to text, accent folding, code keys, column mapping."""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import Any, TypeVar

R = TypeVar("R")

# Letters that NFKD does not decompose into ASCII + a combining mark.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        # Spaces that exports carry in from web forms and Word: non-breaking, thin, ideographic.
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u3000": " ",
        "\t": " ",
    }
)
_NON_KEY = re.compile(r"[^A-Z0-9]+")


def fold_accents(text: str) -> str:
    """The text with accents removed and non-Latin characters dropped: 'Núñez' -> 'Nunez'."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return text.encode("ascii", "ignore").decode("ascii")


def cell_text(value: object) -> str | None:
    """The cell as stripped text, or None when it is empty or not text-like (bool, date, NaN).

    Whole floats lose their '.0' because Excel stores every number as a float.
    """
    if value is None or isinstance(value, bool | dt.date | dt.time):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def code_key(value: object) -> str | None:
    """The cell as an upper-case lookup key, punctuation as single spaces: "Client doesn't know" -> 'CLIENT DOESN T KNOW'."""
    text = cell_text(value)
    if text is None:
        return None
    key = _NON_KEY.sub(" ", fold_accents(text).upper()).strip()
    return key or None


_TEXT_OR_NONE = frozenset({str, type(None)})
_TUPLES = {tuple}  # rows of several columns (first, middle, last name): tuples compare by their items


def map_distinct(values: Iterable[Any], per_value: Callable[[Any], R]) -> list[R]:
    """`per_value` applied to each value, computed once per distinct value (columns repeat a lot), in the order
    the distinct values first appear. The lookups run at C speed; only `per_value` is Python."""
    if values.__class__ is not list:
        values = list(values)
    kinds = set(map(type, values))  # type: ignore[arg-type]
    if kinds <= _TEXT_OR_NONE or kinds == _TUPLES:
        keys: list[Any] = values  # type: ignore[assignment]  # text and empty cells (every csv column), or rows
    else:
        keys = list(zip(map(type, values), values))  # typed: 1, 1.0 and True are equal keys, but not the same cell
    try:
        found: dict[Any, Any] = dict.fromkeys(keys)
    except TypeError:  # an unhashable cell from a careless caller: no caching, same answer
        return [per_value(value) for value in values]
    if keys is values:
        for value in found:
            found[value] = per_value(value)
    else:
        for key in found:
            found[key] = per_value(key[1])
    return list(map(found.__getitem__, keys))


@cache
def load_table(name: str) -> dict[str, Any]:
    """The TOML data file `name` that sits next to this module."""
    with resources.files(__package__).joinpath(name).open("rb") as f:
        return tomllib.load(f)
