"""Report tables as data: titles, units, rows of cells that point into the suppression ledger. The PDF and the
open-data workbook render the same tables, so the two can never disagree about what is hidden."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from ddj_desktop.reports.suppression import Ledger


@dataclass(frozen=True)
class Count:
    """A published count (people, contacts, releases ...), by its ledger key."""

    key: Hashable


@dataclass(frozen=True)
class Rate:
    """numerator / denominator × per; hidden when either count is hidden."""

    numerator: Hashable
    denominator: Hashable
    per: float = 100.0
    digits: int = 1


@dataclass(frozen=True)
class Amount:
    """A number derived from a group of people (days, dollars, an average), shown only when the count of people
    behind it (`basis`) is shown."""

    value: float
    basis: Hashable
    digits: int = 0
    prefix: str = ""


@dataclass(frozen=True)
class Later:
    """A figure worked out from the suppressed ledger (a rate per 1,000, an RRI): `compute(ledger)` gives the
    number or None when it must not be shown."""

    compute: Callable[[Ledger], float | None]
    digits: int = 1


Cell = Count | Rate | Amount | Later | str


@dataclass
class Table:
    key: str  # short name, also the open-data sheet name
    title: str
    columns: list[str]  # column headings, the first for the row labels; units in the headings
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    note: str = ""
    total_rows: int = 0  # how many of the last rows are totals (printed in bold)

    def add(self, label: str, *cells: Cell) -> None:
        self.rows.append((label, list(cells)))


def cell_text(ledger: Ledger, cell: Cell) -> str:
    """A cell as printed, after suppression."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Count):
        return ledger.text(cell.key)
    if isinstance(cell, Rate):
        return ledger.rate(cell.numerator, cell.denominator, per=cell.per, digits=cell.digits)
    if isinstance(cell, Later):
        value = cell.compute(ledger)
        return "—" if value is None else f"{value:,.{cell.digits}f}"
    if ledger.shown(cell.basis) is None or ledger.shown(cell.basis) == 0:
        return "—"
    return f"{cell.prefix}{cell.value:,.{cell.digits}f}"


def cell_value(ledger: Ledger, cell: Cell) -> float | str | None:
    """A cell for a spreadsheet: a number when shown, else its printed mark ("<11", "*", "—")."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Count):
        shown = ledger.shown(cell.key)
        return shown if shown is not None else ledger.text(cell.key)
    if isinstance(cell, Rate):
        top, bottom = ledger.shown(cell.numerator), ledger.shown(cell.denominator)
        if top is None or bottom is None or bottom == 0:
            return "—"
        return round(top * cell.per / bottom, cell.digits)
    if isinstance(cell, Later):
        value = cell.compute(ledger)
        return "—" if value is None else round(value, cell.digits)
    if not ledger.shown(cell.basis):
        return "—"
    return round(cell.value, cell.digits)
