"""The council report as a printed PDF (reportlab): a cover, a page of key figures, then one section per topic.
Every page carries the county, the as-of date, the period and "page N of M"."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable

from ddj_desktop.paths import data_dir
from ddj_desktop.reports import charts
from ddj_desktop.reports.compute import Chart, ReportContent
from ddj_desktop.reports.suppression import COMPLEMENTARY_MARK, small_mark
from ddj_desktop.reports.tables import Rate, Table, cell_text

PAGE = letter
MARGIN = 0.7 * inch
WIDTH = PAGE[0] - 2 * MARGIN

_fonts_ready = False


def _register_fonts() -> None:
    global _fonts_ready
    if _fonts_ready:
        return
    folder = data_dir("resources") / "fonts"
    pdfmetrics.registerFont(TTFont("DejaVu", str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Oblique", str(folder / "DejaVuSans-Oblique.ttf")))
    pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold", italic="DejaVu-Oblique",
                                  boldItalic="DejaVu-Bold")  # fmt: skip
    _fonts_ready = True


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName="DejaVu", fontSize=9.5, leading=13, alignment=TA_LEFT)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.Color(.25, .25, .25)),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", parent=base, fontName="DejaVu-Bold", fontSize=7, leading=8.5),
        "h1": ParagraphStyle("h1", parent=base, fontName="DejaVu-Bold", fontSize=16, leading=20, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName="DejaVu-Bold", fontSize=10.5, leading=14, spaceBefore=8,
                             spaceAfter=3),
        "title": ParagraphStyle("title", parent=base, fontName="DejaVu-Bold", fontSize=26, leading=32),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=14, leading=19),
        "figure": ParagraphStyle("figure", parent=base, fontName="DejaVu-Bold", fontSize=20, leading=24),
        "figlabel": ParagraphStyle("figlabel", parent=base, fontName="DejaVu-Bold", fontSize=9, leading=11),
    }  # fmt: skip


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(table: Table, content: ReportContent, styles: dict[str, ParagraphStyle]) -> Any:
    ledger = content.ledger
    header = [Paragraph(_escape(c), styles["head"]) for c in table.columns]
    data = [header]
    for label, cells in table.rows:
        texts: list[Any] = []
        for c in cells:
            t = cell_text(ledger, c)
            # Words (not numbers or marks) wrap in their cell, left-aligned.
            texts.append(Paragraph(_escape(t), styles["cell"]) if isinstance(c, str) and _wordy(t) else t)
        data.append([Paragraph(_escape(label), styles["cell"]), *texts])
    columns = len(table.columns)
    if columns > 8:
        first = 0.85 * inch
    elif columns > 3:
        first = min(2.3 * inch, WIDTH * 0.34)
    else:
        first = WIDTH * 0.45
    rest = (WIDTH - first) / max(columns - 1, 1)
    rl = RLTable(data, colWidths=[first] + [rest] * (columns - 1), repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 1), (-1, -1), "DejaVu", 7.5),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.Color(0.94, 0.94, 0.94)]),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if table.total_rows:
        style += [("FONT", (0, -table.total_rows), (-1, -1), "DejaVu-Bold", 7.5),
                  ("LINEABOVE", (0, -table.total_rows), (-1, -table.total_rows), 0.6, colors.black)]
    rl.setStyle(TableStyle(style))
    parts: list[Any] = [Paragraph(_escape(table.title), styles["h2"]), rl]
    if table.note:
        parts += [Spacer(1, 2), Paragraph(_escape(table.note), styles["small"])]
    return parts


def _wordy(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and not text.startswith("$")


def _chart(chart: Chart, content: ReportContent) -> Any:
    ledger, data = content.ledger, chart.data
    if chart.kind == "bars":
        return charts.horizontal_bars(ledger, data["labels"], data["keys"], data["unit"], WIDTH)
    if chart.kind == "lines":
        return charts.small_multiples(ledger, data["x"], data["series"], data["unit"], WIDTH)
    if chart.kind == "venn":
        return charts.venn(ledger, data["labels"], data["regions"], WIDTH)
    if chart.kind == "upset":
        return charts.upset(ledger, data["labels"], data["regions"], data["more"], WIDTH)
    if chart.kind == "los":
        return charts.paired_bars(ledger, data["rows"], data["groups"], data["totals"], WIDTH)
    raise ValueError(chart.kind)


class _Footer:
    """Draws the running header and footer; the total page count is known only after the first pass."""

    def __init__(self, content: ReportContent) -> None:
        self.content = content
        self.total = 0

    def canvas_maker(self) -> type:
        footer = self

        class NumberedCanvas(pdfcanvas.Canvas):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._pages: list[dict[str, Any]] = []

            def showPage(self) -> None:
                self._pages.append(dict(self.__dict__))
                self._startPage()

            def save(self) -> None:
                footer.total = len(self._pages)
                for page in self._pages:
                    self.__dict__.update(page)
                    footer.draw(self)
                    super().showPage()
                super().save()

        return NumberedCanvas

    def draw(self, canvas: Any) -> None:
        c = self.content
        page = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFont("DejaVu", 7.5)
        canvas.setFillColor(colors.Color(0.2, 0.2, 0.2))
        y_top = PAGE[1] - MARGIN + 16
        if page > 1:
            canvas.drawString(MARGIN, y_top, f"{c.county} — Data-Driven Justice report to the coordinating council")
            canvas.drawRightString(PAGE[0] - MARGIN, y_top, f"Period {c.period[0]:%d %b %Y} – {c.period[1]:%d %b %Y}")
            canvas.setLineWidth(0.4)
            canvas.line(MARGIN, y_top - 4, PAGE[0] - MARGIN, y_top - 4)
        as_of = c.data_end or c.period[1]
        canvas.line(MARGIN, MARGIN - 14, PAGE[0] - MARGIN, MARGIN - 14)
        canvas.drawString(MARGIN, MARGIN - 25, f"Data as of {as_of:%d %B %Y}. Counts only; "
                          f"counts of 1–{c.threshold} are shown as {small_mark(c.threshold)}.")
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN - 25, f"Page {page} of {self.total}")
        canvas.restoreState()


def _cover(content: ReportContent, styles: dict[str, ParagraphStyle]) -> list[Any]:
    c = content
    story: list[Any] = [
        Spacer(1, 0.6 * inch),
        Paragraph(_escape(c.county), styles["title"]),
        Spacer(1, 6),
        Paragraph("Data-Driven Justice: report to the criminal-justice coordinating council", styles["subtitle"]),
        Spacer(1, 18),
        Paragraph(f"<b>Period:</b> {c.period[0]:%d %B %Y} to {c.period[1]:%d %B %Y}", styles["body"]),
        Paragraph(f"<b>Data as of:</b> {(c.data_end or c.period[1]):%d %B %Y} (the latest record in the store)",
                  styles["body"]),
        Paragraph(f"<b>Prepared:</b> {c.generated:%d %B %Y}", styles["body"]),
        Paragraph("<b>Frequent-utilizer rule:</b> " + _escape(c.cohort_rule or "none chosen"), styles["body"]),
        Spacer(1, 16),
        Paragraph("Data sources", styles["h2"]),
    ]
    data = [[Paragraph(h, styles["head"]) for h in ("System", "SIM intercept", "First record", "Latest record")]]
    data += [[Paragraph(_escape(name), styles["cell"]), Paragraph(_escape(intercept), styles["cell"]), first, last]
             for name, intercept, first, last in c.sources]  # fmt: skip
    t = RLTable(data, colWidths=[WIDTH * 0.3, WIDTH * 0.34, WIDTH * 0.18, WIDTH * 0.18], hAlign="LEFT")
    t.setStyle(TableStyle([
        ("FONT", (0, 1), (-1, -1), "DejaVu", 7.5), ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black), ("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.Color(0.94, 0.94, 0.94)]),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))  # fmt: skip
    story += [t, Spacer(1, 18)]
    story.append(Paragraph(
        "<b>About this report.</b> It holds counts only: no names, dates of birth or record numbers. People are "
        "linked across agencies, so a person seen by several systems is counted once in totals. "
        f"A count from 1 to {c.threshold} is shown as “{small_mark(c.threshold)}”; “{COMPLEMENTARY_MARK}” marks a "
        "larger count hidden so that a small one cannot be worked out by subtraction; “—” marks a rate or average "
        "that would rest on a hidden count. The last section says how the data were checked and linked.",
        styles["body"]))
    for w in c.warnings:
        story += [Spacer(1, 6), Paragraph(f"<b>Caution:</b> {_escape(w)}", styles["body"])]
    story.append(PageBreak())
    return story


def _key_figures(content: ReportContent, styles: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [Paragraph("Key figures", styles["h1"]),
                        Paragraph(f"For the period {content.period[0]:%d %b %Y} to {content.period[1]:%d %b %Y}.",
                                  styles["body"]), Spacer(1, 10)]  # fmt: skip
    tiles = []
    for label, cell, explanation in content.key_figures:
        value = cell_text(content.ledger, cell)
        if isinstance(cell, Rate) and cell.per == 100 and value != "—":
            value += "%"
        tiles.append([Paragraph(_escape(value), styles["figure"]),
                      Paragraph(_escape(label.replace(" (%)", "")), styles["figlabel"]),
                      Paragraph(_escape(explanation), styles["small"])])  # fmt: skip
    rows = [tiles[i:i + 2] for i in range(0, len(tiles), 2)]
    if rows and len(rows[-1]) == 1:
        rows[-1].append("")
    grid = RLTable(rows, colWidths=[WIDTH / 2] * 2, hAlign="LEFT")
    grid.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.6, colors.black), ("INNERGRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 10), ("LEFTPADDING", (0, 0), (-1, -1), 10),
    ]))  # fmt: skip
    story += [grid, PageBreak()]
    return story


def render_bytes(content: ReportContent) -> tuple[bytes, int]:
    """The report as the bytes of a PDF file (in memory, nothing written) and its number of pages."""
    _register_fonts()
    styles = _styles()
    story: list[Any] = _cover(content, styles) + _key_figures(content, styles)
    for n, section in enumerate(content.sections):
        if n:
            story.append(PageBreak())
        story.append(Paragraph(_escape(section.title), styles["h1"]))
        if section.intro:
            story.append(Paragraph(_escape(section.intro), styles["body"]))
        for block in section.blocks:
            if isinstance(block, str):
                story += [Spacer(1, 4), Paragraph(_escape(block), styles["body"])]
            elif isinstance(block, Table):
                parts = _table(block, content, styles)
                story.append(CondPageBreak(1.2 * inch))
                story.append(KeepTogether(parts) if len(block.rows) < 30 else parts[0])
                if len(block.rows) >= 30:
                    story += parts[1:]
            else:
                drawing = _chart(block, content)
                story.append(KeepTogether([Paragraph(_escape(block.title), styles["h2"]), drawing]))
            story.append(Spacer(1, 6))
    footer = _Footer(content)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 6,
                            bottomMargin=MARGIN, title=f"{content.county} — council report",
                            author="DDJ Desktop", subject="Aggregate counts, small cells suppressed")
    doc.build(story, canvasmaker=footer.canvas_maker())
    return buffer.getvalue(), footer.total
