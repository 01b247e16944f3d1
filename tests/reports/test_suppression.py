"""Small-cell suppression: small counts hidden, and no hidden count recoverable from the totals by an attacker who
adds and subtracts every published sum (checked with exact fractions, independently of the ledger's own SVD)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddj_desktop.reports.suppression import INNER, TOTAL, Ledger


def _ledger_for_grid(grid: list[list[int]], threshold: int = 10) -> Ledger:
    """A table with row totals, column totals and a grand total, as a report publishes it."""
    ledger = Ledger(threshold)
    rows, cols = len(grid), len(grid[0])
    for r in range(rows):
        for c in range(cols):
            ledger.count((r, c), grid[r][c], INNER)
        ledger.count((r, "total"), sum(grid[r]), TOTAL)
        ledger.total((r, "total"), [(r, c) for c in range(cols)])
    for c in range(cols):
        ledger.count(("total", c), sum(grid[r][c] for r in range(rows)), TOTAL)
        ledger.total(("total", c), [(r, c) for r in range(rows)])
    ledger.count(("total", "total"), sum(map(sum, grid)), TOTAL)
    ledger.total(("total", "total"), [(r, "total") for r in range(rows)])
    ledger.total(("total", "total"), [("total", c) for c in range(cols)])
    ledger.protect()
    return ledger


def _attack(ledger: Ledger) -> dict[int, Fraction]:
    """Every hidden entry an attacker can pin down: repeated subtraction along each published sum, then full
    Gaussian elimination over the rationals on what is left."""
    known = {i: Fraction(v) for i, v in enumerate(ledger.values) if ledger.shown(_key(ledger, i)) is not None}
    equations = ledger.equations
    changed = True
    while changed:  # the subtraction attack: a sum with one unknown gives it away
        changed = False
        for eq in equations:
            unknown = [(i, a) for i, a in eq if i not in known]
            if len(unknown) == 1:
                i, a = unknown[0]
                known[i] = -sum(Fraction(b) * known[j] for j, b in eq if j != i) / a
                changed = True
    hidden = sorted(set(range(len(ledger.values))) - set(known))
    # Linear algebra: reduce [A_hidden | -A_known x_known] and read off rows with a single pivot and no free column.
    col = {e: k for k, e in enumerate(hidden)}
    rows = []
    for eq in equations:
        row = [Fraction(0)] * (len(hidden) + 1)
        for i, a in eq:
            if i in col:
                row[col[i]] += a
            else:
                row[-1] -= a * known[i]
        if any(row[:-1]):
            rows.append(row)
    pivots = []
    r = 0
    for c in range(len(hidden)):
        p = next((k for k in range(r, len(rows)) if rows[k][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        rows[r] = [x / rows[r][c] for x in rows[r]]
        for k in range(len(rows)):
            if k != r and rows[k][c] != 0:
                f = rows[k][c]
                rows[k] = [x - f * y for x, y in zip(rows[k], rows[r])]
        pivots.append(c)
        r += 1
    recovered = dict(known)
    for k, c in enumerate(pivots):
        if all(rows[k][j] == 0 for j in range(len(hidden)) if j != c):
            recovered[hidden[c]] = rows[k][-1]
    return {i: v for i, v in recovered.items() if ledger.shown(_key(ledger, i)) is None}


def _key(ledger: Ledger, i: int):  # type: ignore[no-untyped-def]
    return next(k for k, v in ledger.keys.items() if v == i)


def test_small_counts_show_as_less_than_threshold_plus_one_and_zero_shows() -> None:
    ledger = _ledger_for_grid([[5, 100, 0], [40, 60, 30]])
    assert ledger.text((0, 0)) == "<11"
    assert ledger.text((0, 2)) == "0"
    assert ledger.text(("total", "total")) == "235"


def test_a_lone_small_cell_gets_a_partner_in_its_row_and_column() -> None:
    ledger = _ledger_for_grid([[5, 100, 40], [40, 60, 30]])
    assert ledger.text((0, 0)) == "<11"
    row = [ledger.shown((0, c)) for c in range(3)]
    col = [ledger.shown((r, 0)) for r in range(2)]
    assert row.count(None) >= 2 and col.count(None) >= 2
    assert not _attack(ledger)


def test_threshold_is_configurable() -> None:
    ledger = _ledger_for_grid([[15, 100], [40, 60]], threshold=15)
    assert ledger.text((0, 0)) == "<16"


def test_rates_on_hidden_counts_are_hidden() -> None:
    ledger = _ledger_for_grid([[5, 100], [40, 60]])
    assert ledger.rate((0, 0), (0, "total")) == "—"
    assert ledger.rate((1, "total"), ("total", "total")) == "48.8"


def test_a_count_published_twice_must_agree() -> None:
    ledger = Ledger()
    ledger.count("people", 12)
    with pytest.raises(ValueError):
        ledger.count("people", 13)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5).flatmap(lambda rows: st.integers(1, 5).flatmap(lambda cols: st.lists(
    st.lists(st.one_of(st.integers(0, 12), st.integers(0, 400)), min_size=cols, max_size=cols),
    min_size=rows, max_size=rows))), st.integers(1, 12))
def test_no_hidden_cell_can_be_recovered_from_the_totals(grid: list[list[int]], threshold: int) -> None:
    ledger = _ledger_for_grid(grid, threshold)
    for (r, c), value in ((k, ledger.values[i]) for k, i in ledger.keys.items()):
        if 1 <= value <= threshold:
            assert ledger.shown((r, c)) is None, "every small count is hidden"
        if value == 0:
            assert ledger.hidden_kind((r, c)) != "small", "zero is not a small count"
    recovered = _attack(ledger)
    small = {i for i, v in enumerate(ledger.values) if 1 <= v <= threshold}
    assert not (set(recovered) & small), f"recovered small cells {recovered} in {grid}"
    assert not recovered, f"recovered hidden cells {recovered} in {grid}"
