"""Charts for the council report as reportlab drawings, made to print in black and white: grey fills with black
outlines, values written on the bars, small multiples instead of many coloured lines. A hidden count is never
drawn to scale: its bar is left out and its mark ("<11", "*") written in its place.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors

from ddj_desktop.reports.suppression import Ledger

FONT = "DejaVu"
BOLD = "DejaVu-Bold"
INK = colors.black
DARK = colors.Color(0.35, 0.35, 0.35)
MID = colors.Color(0.62, 0.62, 0.62)
LIGHT = colors.Color(0.88, 0.88, 0.88)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fit(text: str, size: float, width: float) -> str:
    """`text`, shortened with an ellipsis to fit `width` points (DejaVu is about 0.55 em per character)."""
    limit = max(3, int(width / (size * 0.55)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def horizontal_bars(ledger: Ledger, labels: Sequence[str], keys: Sequence[Hashable], unit: str,
                    width: float = 480) -> Drawing:  # fmt: skip
    """One bar per label, its count written after it."""
    row = 18
    height = row * len(labels) + 24
    d = Drawing(width, height)
    label_w, value_w = 200, 60
    plot_w = width - label_w - value_w
    shown = [ledger.shown(k) for k in keys]
    top = _nice_max(max([v for v in shown if v is not None] + [1]))
    for i, (label, key, value) in enumerate(zip(labels, keys, shown)):
        y = height - 12 - (i + 1) * row
        d.add(String(label_w - 6, y + 5, _fit(label, 8.5, label_w - 8), fontName=FONT, fontSize=8.5,
                     textAnchor="end"))
        if value is not None and value > 0:
            w = plot_w * value / top
            d.add(Rect(label_w, y + 1, w, row - 5, fillColor=MID, strokeColor=INK, strokeWidth=0.5))
            x = label_w + w + 4
        else:
            x = label_w + 4
        d.add(String(x, y + 5, ledger.text(key), fontName=BOLD, fontSize=8.5))
    d.add(Line(label_w, 8, label_w, height - 10, strokeColor=INK, strokeWidth=0.8))
    d.add(String(label_w, 0, f"0 {unit}", fontName=FONT, fontSize=7, fillColor=DARK))
    d.add(String(label_w + plot_w, 0, f"{top:,.0f}", fontName=FONT, fontSize=7, fillColor=DARK, textAnchor="end"))
    return d


def small_multiples(ledger: Ledger, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[Hashable]]],
                    unit: str, width: float = 480) -> Drawing:  # fmt: skip
    """One small bar chart per series (a system), side by side in two columns, each on its own scale."""
    columns = 2
    panel_w = (width - 20) / columns
    panel_h = 92
    gap = 24
    rows = math.ceil(len(series) / columns)
    d = Drawing(width, rows * (panel_h + gap))
    for n, (name, keys) in enumerate(series):
        col, r = n % columns, n // columns
        x0 = col * (panel_w + 20)
        y0 = (rows - r - 1) * (panel_h + gap) + 14
        values = [ledger.shown(k) for k in keys]
        top = _nice_max(max([v for v in values if v is not None] + [1]))
        plot_x, plot_w, plot_h = x0 + 30, panel_w - 34, panel_h - 30
        d.add(String(x0, y0 + panel_h - 10, _fit(name, 9, panel_w), fontName=BOLD, fontSize=9))
        d.add(Line(plot_x, y0, plot_x + plot_w, y0, strokeColor=INK, strokeWidth=0.6))
        d.add(Line(plot_x, y0 + plot_h, plot_x + plot_w, y0 + plot_h, strokeColor=LIGHT, strokeWidth=0.5))
        d.add(String(plot_x - 3, y0 + plot_h - 3, f"{top:,.0f}", fontName=FONT, fontSize=6.5, textAnchor="end"))
        d.add(String(plot_x - 3, y0 - 2, "0", fontName=FONT, fontSize=6.5, textAnchor="end"))
        step = plot_w / max(len(keys), 1)
        hidden = 0
        for i, value in enumerate(values):
            bx = plot_x + i * step + step * 0.15
            if value is None:
                hidden += 1
                d.add(String(bx + step * 0.35, y0 + 2, "·", fontName=BOLD, fontSize=8, textAnchor="middle"))
            elif value > 0:
                d.add(Rect(bx, y0, step * 0.7, plot_h * value / top, fillColor=MID, strokeColor=INK,
                           strokeWidth=0.4))
        for i, label in enumerate(x_labels):
            if len(x_labels) <= 13 or i % max(1, len(x_labels) // 12) == 0:
                first = label.split("\n")[0]
                d.add(String(plot_x + (i + 0.5) * step, y0 - 9, first[:3], fontName=FONT, fontSize=6,
                             textAnchor="middle"))
        if hidden:
            d.add(String(x0 + panel_w, y0 + panel_h - 10, f"{hidden} month{'s' * (hidden > 1)} hidden (·)",
                         fontName=FONT, fontSize=6.5, textAnchor="end", fillColor=DARK))
    return d


def venn(ledger: Ledger, labels: Sequence[str], regions: dict[int, Hashable], width: float = 480) -> Drawing:
    """Two or three circles, outlines only, each region's count written inside it."""
    n = len(labels)
    d = Drawing(width, 240 if n == 2 else 300)
    r = 78
    cx = width / 2
    if n == 2:
        centres = [(cx - 48, 110), (cx + 48, 110)]
    else:
        centres = [(cx - 50, 200), (cx + 50, 200), (cx, 115)]
    fills = [colors.Color(0.85, 0.85, 0.85, alpha=0.45), colors.Color(0.6, 0.6, 0.6, alpha=0.3),
             colors.Color(0.4, 0.4, 0.4, alpha=0.2)]  # fmt: skip
    for (x, y), fill in zip(centres, fills):
        d.add(Circle(x, y, r, fillColor=fill, strokeColor=INK, strokeWidth=1))
    # Names outside the circles: the first two above and beside them, the third below its circle.
    room = width / 2 - 50 - r - 12
    for i, ((x, y), label) in enumerate(zip(centres, labels)):
        lx = x + (-r * 0.55 if i == 0 else r * 0.55 if i == 1 else 0)
        ly = y + (r + 8 if i < 2 else -r - 14)
        anchor = "end" if i == 0 else "start" if i == 1 else "middle"
        d.add(String(lx, ly, _fit(label, 9, room + r * 0.45 if i < 2 else width), fontName=BOLD, fontSize=9,
                     textAnchor=anchor))

    def text(mask: int) -> str:
        key = regions.get(mask)
        if key is None or key not in ledger.keys:
            return "0"
        return ledger.text(key)

    if n == 2:
        spots = {1: (cx - 85, 106), 2: (cx + 85, 106), 3: (cx, 106)}
    else:
        spots = {1: (cx - 95, 215), 2: (cx + 95, 215), 4: (cx, 75), 3: (cx, 235), 5: (cx - 55, 140),
                 6: (cx + 55, 140), 7: (cx, 175)}  # fmt: skip
    for mask, (x, y) in spots.items():
        d.add(String(x, y, text(mask), fontName=BOLD, fontSize=10, textAnchor="middle"))
    return d


def upset(ledger: Ledger, labels: Sequence[str], regions: Sequence[tuple[int, Hashable]], more: int,
          width: float = 480) -> Drawing:  # fmt: skip
    """An UpSet-style chart: one bar per combination of systems, the systems in it marked by joined dots below."""
    label_w = 150
    row = 13
    matrix_h = row * len(labels)
    bar_h = 120
    d = Drawing(width, bar_h + matrix_h + 40)
    count = max(len(regions), 1)
    step = (width - label_w) / count
    shown = [ledger.shown(k) for _, k in regions]
    top = _nice_max(max([v for v in shown if v is not None] + [1]))
    base = matrix_h + 16
    d.add(Line(label_w - 4, base, width, base, strokeColor=INK, strokeWidth=0.6))
    d.add(String(label_w - 8, base + bar_h - 6, f"{top:,.0f}", fontName=FONT, fontSize=6.5, textAnchor="end"))
    d.add(String(label_w - 8, base + bar_h + 8, "people", fontName=FONT, fontSize=7, textAnchor="end"))
    for j, label in enumerate(labels):
        y = matrix_h - (j + 1) * row + 10
        d.add(String(label_w - 8, y - 3, _fit(label, 8, label_w - 10), fontName=FONT, fontSize=8,
                     textAnchor="end"))
        if j % 2 == 0:
            d.add(Rect(label_w - 4, y - row / 2, width - label_w + 4, row, fillColor=colors.Color(0.95, 0.95, 0.95),
                       strokeColor=None))
    for i, ((mask, key), value) in enumerate(zip(regions, shown)):
        x = label_w + (i + 0.5) * step
        if value is not None and value > 0:
            h = (bar_h - 12) * value / top
            d.add(Rect(x - step * 0.32, base, step * 0.64, h, fillColor=DARK, strokeColor=INK, strokeWidth=0.4))
            d.add(String(x, base + h + 3, ledger.text(key), fontName=FONT, fontSize=6.5, textAnchor="middle"))
        else:
            d.add(String(x, base + 3, ledger.text(key), fontName=BOLD, fontSize=6.5, textAnchor="middle"))
        members = [j for j in range(len(labels)) if mask >> j & 1]
        ys = [matrix_h - (j + 1) * row + 10 for j in range(len(labels))]
        if len(members) > 1:
            d.add(Line(x, ys[members[0]], x, ys[members[-1]], strokeColor=INK, strokeWidth=1.4))
        for j, y in enumerate(ys):
            inside = j in members
            d.add(Circle(x, y, 3.2, fillColor=INK if inside else LIGHT, strokeColor=INK if inside else MID,
                         strokeWidth=0.4))
    if more:
        d.add(String(width, 0, f"{more} smaller combination{'s' * (more > 1)} not drawn (counted together in the table "
                     "below)", fontName=FONT, fontSize=6.5, textAnchor="end", fillColor=DARK))
    return d


def paired_bars(ledger: Ledger, rows: Sequence[tuple[str, Sequence[Hashable]]], groups: Sequence[str],
                totals: Sequence[Hashable], width: float = 480) -> Drawing:  # fmt: skip
    """For each row two bars, one per group, as the share of the group's total (grey and white, outlined)."""
    row_h = 24
    d = Drawing(width, row_h * len(rows) + 34)
    label_w, plot_w = 130, width - 130 - 50
    # Shares only over a shown total: a share of a hidden total would give the total away.
    bases = [ledger.shown(k) for k in totals]
    fills = [DARK, colors.white]
    top_share = 0.0
    shares = []
    for _, keys in rows:
        cells = []
        for g, key in enumerate(keys):
            value = ledger.shown(key)
            share = value / bases[g] if value is not None and bases[g] else None
            cells.append(share)
            top_share = max(top_share, share or 0)
        shares.append(cells)
    top = _nice_max(top_share * 100) / 100 if top_share else 1
    height = row_h * len(rows) + 34
    for i, ((label, keys), cells) in enumerate(zip(rows, shares)):
        y = height - 22 - (i + 1) * row_h
        d.add(String(label_w - 6, y + 8, label, fontName=FONT, fontSize=8, textAnchor="end"))
        for g, (key, share) in enumerate(zip(keys, cells)):
            by = y + 11 - g * 10
            if share is not None and share > 0:
                w = plot_w * share / top
                d.add(Rect(label_w, by, w, 9, fillColor=fills[g], strokeColor=INK, strokeWidth=0.5))
                d.add(String(label_w + w + 3, by + 1.5, f"{share:.0%}", fontName=FONT, fontSize=7))
            else:
                mark = ledger.text(key) if ledger.shown(key) is None else "0%"
                d.add(String(label_w + 3, by + 1.5, mark, fontName=FONT, fontSize=7))
    for g, name in enumerate(groups):
        x = label_w + g * 130
        d.add(Rect(x, height - 12, 12, 8, fillColor=fills[g], strokeColor=INK, strokeWidth=0.5))
        d.add(String(x + 16, height - 11, name, fontName=FONT, fontSize=7.5))
    d.add(String(width, height - 11, "bar length: % of the group's releases", fontName=FONT, fontSize=7,
                 textAnchor="end", fillColor=DARK))
    return d
