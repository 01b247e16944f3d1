"""ROI forms as PDF with fillable fields (reportlab AcroForm), and the disclosure packet.

Printed text uses the bundled DejaVu fonts so that every name renders (Núñez, Ďurková). AcroForm fields can only
use the 14 standard PDF fonts, so the pre-filled identity is printed as text and also kept in hidden read-only
fields (for software reading the form back); the fields a client fills in start empty.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFString
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from ddj_desktop.consent.identity import PersonIdentity
from ddj_desktop.consent.settings import CountySettings
from ddj_desktop.consent.templates import RoiTemplate
from ddj_desktop.paths import data_dir

INK = colors.HexColor("#1b1b1b")
MUTED = colors.HexColor("#555555")
ACCENT = colors.HexColor("#1f4e79")  # section bands and rules
SHADE = colors.HexColor("#eef2f7")  # zebra rows, identity box
FIELD_BG = colors.HexColor("#fffbe6")  # where the client writes: a pale yellow every case manager knows
FIELD_BORDER = colors.HexColor("#8a8a8a")
WARN = colors.HexColor("#9c2b00")
PAGE_W, PAGE_H = LETTER
MARGIN = 0.6 * inch
WIDTH = PAGE_W - 2 * MARGIN

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
}


@cache
def _fonts() -> str:
    """Register the bundled DejaVu fonts once; returns the family name."""
    folder = data_dir("resources") / "fonts"
    for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVu-Bold", "DejaVuSans-Bold.ttf"),
                       ("DejaVu-Oblique", "DejaVuSans-Oblique.ttf"), ("DejaVu-Condensed", "DejaVuSansCondensed.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold", italic="DejaVu-Oblique",
                                  boldItalic="DejaVu-Bold")
    return "DejaVu"


@cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    body = ParagraphStyle("body", fontName="DejaVu", fontSize=9.5, leading=12.6, textColor=INK, spaceAfter=4)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=MUTED, spaceAfter=0),
        "note": ParagraphStyle("note", parent=body, fontName="DejaVu-Oblique", fontSize=8.8, leading=11.5,
                               textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11.2, spaceAfter=0),
        "gridrow": ParagraphStyle("gridrow", parent=body, fontSize=8.5, leading=9.4, spaceAfter=0),
        "cellbold": ParagraphStyle("cellbold", parent=body, fontName="DejaVu-Bold", fontSize=9.2, leading=11.2,
                                   spaceAfter=0),
        "head": ParagraphStyle("head", parent=body, fontName="DejaVu-Bold", fontSize=8, leading=10,
                               textColor=colors.white, spaceAfter=0),
        "county": ParagraphStyle("county", parent=body, fontName="DejaVu-Bold", fontSize=10, leading=12,
                                 textColor=ACCENT, spaceAfter=1),
        "title": ParagraphStyle("title", parent=body, fontName="DejaVu-Bold", fontSize=16, leading=19.5,
                                spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=9.5, leading=12, textColor=MUTED),
        "meta": ParagraphStyle("meta", parent=body, fontSize=8, leading=10.5, textColor=MUTED, alignment=TA_RIGHT,
                               spaceAfter=0),
        "label": ParagraphStyle("label", parent=body, fontSize=7.8, leading=9.5, textColor=MUTED, spaceAfter=0),
        "value": ParagraphStyle("value", parent=body, fontName="DejaVu-Bold", fontSize=12.5, leading=15,
                                spaceAfter=0),
        "value_small": ParagraphStyle("value_small", parent=body, fontSize=10, leading=12.5, spaceAfter=0),
        "section": ParagraphStyle("section", parent=body, fontName="DejaVu-Bold", fontSize=11, leading=14,
                                  textColor=colors.white, spaceAfter=0),
        "rights": ParagraphStyle("rights", parent=body, leftIndent=9, spaceAfter=5),
        "mono": ParagraphStyle("mono", parent=body, fontName="DejaVu-Condensed", fontSize=8.5, leading=10.5,
                               spaceAfter=0),
    }


def P(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped; our own markup is added only by the callers that need it)."""
    return Paragraph(escape(text), _styles()[style])


def long_date(iso: str | None, language: str) -> str:
    """2 April 1980 as the form's language writes it ("April 2, 1980", "2 de abril de 1980")."""
    if not iso:
        return ""
    try:
        day = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    months = MONTHS.get(language, MONTHS["en"])
    if language == "es":
        return f"{day.day} de {months[day.month - 1]} de {day.year}"
    return f"{months[day.month - 1]} {day.day}, {day.year}"


# -- fillable fields -------------------------------------------------------------------------------------------
class Field(Flowable):
    """A fillable text field or check box, placed where the flowable lands on the page."""

    def __init__(self, name: str, width: float, height: float = 16, *, kind: str = "text", tooltip: str = "",
                 max_length: int = 200, font_size: float = 10) -> None:
        super().__init__()
        self.name, self.width, self.height, self.kind = name, width, height, kind
        self.tooltip, self.max_length, self.font_size = tooltip, max_length, font_size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        form = self.canv.acroForm
        if self.kind == "checkbox":
            form.checkbox(name=self.name, tooltip=self.tooltip or None, x=0, y=0, size=self.height,
                          buttonStyle="check", borderColor=FIELD_BORDER, fillColor=FIELD_BG, textColor=INK,
                          borderWidth=0.8, relative=True)
        else:
            form.textfield(name=self.name, tooltip=self.tooltip or None, x=0, y=0, width=self.width,
                           height=self.height, borderColor=FIELD_BORDER, fillColor=FIELD_BG, textColor=INK,
                           borderWidth=0.6, fontName="Helvetica", fontSize=self.font_size, maxlen=self.max_length,
                           relative=True)


class HiddenValues(Flowable):
    """Read-only, hidden fields holding the pre-filled identity, for software that reads the form back."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__()
        self.values = values

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        form = self.canv.acroForm
        for name, value in self.values.items():
            form.textfield(name=name, value="", x=0, y=0, width=1, height=1, fieldFlags="readOnly",
                           annotationFlags="hidden", borderWidth=0, relative=True, maxlen=0)
            # reportlab writes field values in a standard font's encoding; set the value as a Unicode string
            field = self.canv._doc.idToObject[form.fields[-1].name]
            field.dict["V"] = field.dict["DV"] = PDFString(value)


class Marker(Flowable):
    """Tells the page decorations which form (and which of its pages) is being drawn."""

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__()
        self.info = info

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        doc = self.canv._doctemplate  # type: ignore[attr-defined]
        doc.current = dict(self.info, first_page=self.canv.getPageNumber())
        doc.starts.append(self.canv.getPageNumber())


# -- building blocks -------------------------------------------------------------------------------------------
def section(number: int | str, title: str) -> Table:
    """A section band: a number and a title, white on the accent colour."""
    if number == "":
        band = Table([[P(title, "section")]], colWidths=[WIDTH])
    else:
        band = Table([[P(str(number), "section"), P(title, "section")]],
                     colWidths=[0.32 * inch, WIDTH - 0.32 * inch])
    band.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), ACCENT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 6), ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))  # fmt: skip
    band.spaceBefore, band.spaceAfter = 9, 5
    return band


def grid(rows: list[list[Any]], widths: Sequence[float], *, header: bool = True, zebra: bool = True) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5), ("TOPPADDING", (0, 0), (-1, -1), 3.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5), ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d2dc")),
    ]  # fmt: skip
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#4a6a8a")), ("VALIGN", (0, 0), (-1, 0), "BOTTOM")]
    if zebra:
        first = 1 if header else 0
        style += [("BACKGROUND", (0, r), (-1, r), SHADE) for r in range(first + 1, len(rows), 2)]
    table.setStyle(TableStyle(style))
    return table


def labelled(label: str, flowable: Flowable) -> list[Flowable]:
    return [P(label, "label"), flowable]


@dataclass(frozen=True)
class FormInput:
    number: str  # ROI-000012
    identity: PersonIdentity


GRID_COLUMNS = 8  # receiving parties per grid table; more parties continue in a second table below
DEFAULT_LABELS = {
    "max_duration": "State limit: for {what}, this authorization ends no later than {limit} after the date you "
                    "sign it, even if a later date is written above.",
    "max_all": "all information", "days": "{n} days", "months": "{n} months",
}  # fmt: skip


def share_field(disclosing: str, receiving: str) -> str:
    """The name of the grid's box where the client initials that `disclosing` may share with `receiving`."""
    return f"share_{disclosing}_to_{receiving}"


def party_grid(t: RoiTemplate, county: CountySettings, f: Callable[[str], str]) -> list[Flowable]:
    """The disclosing x receiving grid: a row per party that may share, a column per party that may receive, an
    initials box in each cell (none where a party meets itself); numbered, so a row and its column are found."""
    parties = list(county.parties)
    number = {p.key: i + 1 for i, p in enumerate(parties)}
    tables: list[Flowable] = []
    for start in range(0, len(parties), GRID_COLUMNS):
        columns = parties[start:start + GRID_COLUMNS]
        col = min(0.85 * inch, (WIDTH - 2.05 * inch) / len(columns))
        label_w = WIDTH - col * len(columns)
        # Column headings: as large as lets every word fit its column whole (no word broken across lines).
        words = [w for c in columns for w in c.heading.split()]
        size = min(7.6, *((col - 5) / pdfmetrics.stringWidth(w, "DejaVu-Bold", 1) for w in words))
        head = ParagraphStyle("gridhead", parent=_styles()["head"], fontSize=max(size, 5.5),
                              leading=max(size, 5.5) * 1.18, alignment=1)
        rows: list[list[Any]] = [
            ["", P(t.label("may_receive"), "head"), *([""] * (len(columns) - 1))],
            [P(t.label("may_disclose"), "head"),
             *(Paragraph(f"<font size='8.5'>{number[c.key]}</font><br/>{escape(c.heading)}", head) for c in columns)],
        ]
        for row in parties:
            name = Paragraph(f"<b>{number[row.key]}&nbsp;&nbsp;{escape(row.heading)}</b>" + (
                f"<br/><font size='7' color='#444444'>{escape(row.name)}</font>" if row.name != row.heading else ""),
                _styles()["gridrow"])
            cells: list[Any] = [name]
            for c in columns:
                if c.key == row.key:
                    cells.append(Paragraph("—", ParagraphStyle("diagonal", parent=_styles()["small"], alignment=1)))
                else:
                    cells.append(Field(f(share_field(row.key, c.key)), min(col - 10, 0.55 * inch), 15, max_length=6,
                                       tooltip=f"{row.name} → {c.name}"))
            rows.append(cells)
        table = Table(rows, colWidths=[label_w, *([col] * len(columns))], repeatRows=2)
        style: list[tuple[Any, ...]] = [
            ("SPAN", (1, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#4a6a8a")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("VALIGN", (0, 1), (-1, 1), "BOTTOM"),
            ("ALIGN", (1, 0), (-1, -1), "CENTER"), ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2.5), ("LEFTPADDING", (0, 0), (0, -1), 5),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LINEBELOW", (0, 2), (-1, -1), 0.4, colors.HexColor("#c9d2dc")),
            ("LINEAFTER", (0, 2), (-2, -1), 0.4, colors.HexColor("#c9d2dc")),
        ]  # fmt: skip
        style += [("BACKGROUND", (0, r), (-1, r), SHADE) for r in range(3, len(rows), 2)]
        style += [("BACKGROUND", (1 + i, 2 + parties.index(c)), (1 + i, 2 + parties.index(c)),
                   colors.HexColor("#d5d9de")) for i, c in enumerate(columns)]
        table.setStyle(TableStyle(style))
        tables += [table, Spacer(1, 6)]
    return tables


def duration_limits(t: RoiTemplate, county: CountySettings) -> list[str]:
    """The state's maximum durations that apply to this template, as sentences in the form's language."""
    def label(key: str, **values: Any) -> str:
        return (t.labels.get(key) or DEFAULT_LABELS[key]).format(**values)

    out = []
    for limit in county.limits(t.id, t.name, None):
        names = [c.label.split(":")[0] for c in t.categories if c.key in limit.categories]
        if limit.categories and not names:
            continue  # a limit for categories this template does not have
        span = label("days", n=limit.days) if limit.days is not None else label("months", n=limit.months)
        out.append(label("max_duration", what="; ".join(names) if names else label("max_all"), limit=span))
    return out


# -- the ROI form ------------------------------------------------------------------------------------------------
def roi_story(form: FormInput, template: RoiTemplate, county: CountySettings, prefix: str = "") -> list[Flowable]:
    """The flowables of one filled ROI form. Field names start with `prefix` (for combined batches)."""
    t, lang, ident = template, template.language, form.identity
    county = county.in_language(lang)
    values = county.placeholders()

    def s(key: str) -> str:
        return t.statements[key].format(**values)

    def f(name: str) -> str:
        return prefix + name

    story: list[Flowable] = [Marker({"number": form.number, "name": ident.name, "template": t})]
    story.append(HiddenValues({
        f("form_number"): form.number, f("template"): t.id, f("template_version"): t.version,
        f("county"): county.county, f("client_name"): ident.name, f("client_aliases"): "; ".join(ident.aliases),
        f("client_dob"): ident.dob or "", f("person_id"): ident.label,
    }))  # fmt: skip

    # Title block: county and title on the left, form number and version on the right.
    meta = Paragraph(
        f"{escape(t.label('form_number'))}: <font name='DejaVu-Bold' color='#1b1b1b'>{escape(form.number)}</font><br/>"
        f"{escape(t.label('template'))}: {escape(t.id)} {escape(t.version)}<br/>"
        f"{escape(t.label('county'))}: {escape(county.county)}",
        _styles()["meta"],
    )
    head = Table([[[P(county.county, "county"), P(t.title, "title"), P(t.subtitle.format(**values), "subtitle")],
                   meta]], colWidths=[WIDTH - 2.5 * inch, 2.5 * inch])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                              ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story += [head, Spacer(1, 6), P(s("intro"))]

    # 1. Identity.
    aliases = "; ".join(ident.aliases) if ident.aliases else t.label("none")
    who = Table([
        [labelled(t.label("client_name"), P(ident.name, "value")),
         labelled(t.label("dob"), P(long_date(ident.dob, lang) or "—", "value_small")),
         labelled(t.label("person"), P(ident.label, "value_small"))],
        [labelled(t.label("aliases"), P(aliases, "value_small")), "", ""],
    ], colWidths=[WIDTH * 0.52, WIDTH * 0.28, WIDTH * 0.20])  # fmt: skip
    who.setStyle(TableStyle([
        ("SPAN", (0, 1), (-1, 1)), ("BACKGROUND", (0, 0), (-1, -1), SHADE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#b8c4d2")), ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5), ("LEFTPADDING", (0, 0), (-1, -1), 7),
    ]))  # fmt: skip
    story += [section(1, t.label("about")), who]

    # 2. Parties: a grid of who may share (rows) with whom (columns), a box for initials in each.
    grids = party_grid(t, county, f)
    story += [KeepTogether([section(2, t.label("parties_heading")), P(s("parties")), grids[0]]), *grids[1:]]

    # 3. Information categories with date ranges.
    rows = [[P("", "head"), P(t.label("category"), "head"), P(t.label("date_from"), "head"),
             P(t.label("date_to"), "head")]]
    for cat in t.categories:
        text = escape(cat.label)
        if cat.part2:
            text += f" <font name='DejaVu-Bold' size='7.5' color='#9c2b00'>[{escape(t.label('part2_tag'))}]</font>"
        rows.append([Field(f(f"category_{cat.key}"), 12, 12, kind="checkbox", tooltip=cat.label),
                     Paragraph(text, _styles()["cell"]),
                     Field(f(f"category_{cat.key}_from"), 0.95 * inch, 16, max_length=12),
                     Field(f(f"category_{cat.key}_to"), 0.95 * inch, 16, max_length=12)])
    story += [CondPageBreak(2.5 * inch), section(3, t.label("categories_heading")), P(s("categories")),
              grid(rows, [0.3 * inch, WIDTH - 0.3 * inch - 2.3 * inch, 1.15 * inch, 1.15 * inch]),
              Spacer(1, 3), P(s("psychotherapy_notes"), "note")]

    # 4. Purposes.
    rows = [[Field(f(f"purpose_{p.key}"), 12, 12, kind="checkbox", tooltip=p.label), P(p.label, "cell")]
            for p in t.purposes]
    rows.append([P("", "cell"), Table([[P(t.label("purpose_other"), "cell"),
                                        Field(f("purpose_other"), WIDTH - 2.6 * inch, 16)]],
                                      colWidths=[1.6 * inch, None], style=[("LEFTPADDING", (0, 0), (-1, -1), 0),
                                                                         ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])])
    story += [KeepTogether([section(4, t.label("purpose_heading")), P(s("purpose")),
                            grid(rows, [0.3 * inch, WIDTH - 0.3 * inch], header=False, zebra=False)])]

    # 5. Expiration.
    ends = Table([[P(t.label("expiration_date"), "cell"), Field(f("expires_on"), 1.2 * inch, 16, max_length=12),
                   P(t.label("expiration_event"), "cell"), Field(f("expiry_event"), 2.7 * inch, 16)]],
                 colWidths=[1.25 * inch, 1.35 * inch, 1.9 * inch, None])
    ends.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    limits = [P(text, "note") for text in duration_limits(t, county)]
    story += [KeepTogether([section(5, t.label("expiration_heading")), P(s("expiration")), ends, *limits])]

    # 6. Rights and required statements.
    rights = ["revocation", "conditioning", "redisclosure"]
    if t.part2:
        rights += ["part2", "part2_redisclosure"]
    if t.tpo:
        rights += ["tpo_refusal", "tpo_redisclosure"]
    rights.append("copy")
    story += [CondPageBreak(1.6 * inch), section(6, t.label("rights_heading"))]
    # each statement whole on one page: a right read across a page break is easily misread
    story += [KeepTogether([Paragraph("•&nbsp;&nbsp;" + escape(s(key)), _styles()["rights"])]) for key in rights]

    # 7. State addendum (the county's text replaces the template's).
    addendum = county.state_addendum or s("state_addendum")
    story += [KeepTogether([section(7, t.label("addendum_heading")), P(addendum)])]

    # 8. Signature, representative, interpreter, copy given; then a box for staff.
    def line(label: str, name: str, width: float, height: float = 18) -> list[Flowable]:
        return [P(label, "label"), Field(f(name), width, height)]

    half = (WIDTH - 0.25 * inch) / 2
    sign = Table([
        [line(t.label("signature"), "signature", WIDTH * 0.62, 26),
         line(t.label("signature_date"), "signature_date", WIDTH * 0.30, 26)],
    ], colWidths=[WIDTH * 0.66, WIDTH * 0.34])
    rep = Table([
        [line(t.label("representative_name"), "representative_name", half - 6),
         line(t.label("representative_authority"), "representative_authority", half - 6)],
        [line(t.label("interpreter"), "interpreter", half - 6), ""],
    ], colWidths=[half + 0.125 * inch, half + 0.125 * inch])  # fmt: skip
    copy = Table([[Field(f("copy_given"), 12, 12, kind="checkbox", tooltip=t.label("copy_given")),
                   P(t.label("copy_given"), "cell"), P(t.label("copy_given_date"), "label"),
                   Field(f("copy_given_date"), 1.1 * inch, 16, max_length=12)]],
                 colWidths=[0.3 * inch, WIDTH - 2.7 * inch, 1.2 * inch, 1.2 * inch])
    for table in (sign, rep, copy):
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), 3)]))
    staff = Table([[P(t.label("staff_heading"), "cellbold"), P(t.label("received_by"), "label"),
                    Field(f("received_by"), 1.9 * inch, 15), P(t.label("received_date"), "label"),
                    Field(f("received_date"), 1.1 * inch, 15, max_length=12)]],
                  colWidths=[1.0 * inch, 0.9 * inch, 2.05 * inch, 1.05 * inch, None])
    staff.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOX", (0, 0), (-1, -1), 0.5, MUTED),
                               ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f4f4f4"))]))
    story += [KeepTogether([section(8, t.label("signature_heading")), P(s("representative"), "note"), sign, rep,
                            Spacer(1, 4), copy, Spacer(1, 10), staff])]
    return story


# -- documents -------------------------------------------------------------------------------------------------
class _Document(BaseDocTemplate):
    """Pages with a running header and footer; `decorate` draws them once the page's content is known."""

    def __init__(self, target: Any, decorate: Callable[[Any, _Document], None], **kw: Any) -> None:
        super().__init__(target, pagesize=LETTER, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=0.65 * inch,
                         bottomMargin=0.75 * inch, **kw)
        frame = Frame(MARGIN, 0.75 * inch, WIDTH, PAGE_H - 1.4 * inch, id="body", leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("page", [frame], onPageEnd=lambda c, d: decorate(c, d))])
        self.current: dict[str, Any] = {}
        self.starts: list[int] = []
        self.page_counts: dict[int, int] = {}

    def build_story(self, story: list[Flowable]) -> None:
        self.build(story)


def _build_twice(story_factory: Callable[[], list[Flowable]], decorate: Callable[[Any, _Document], None],
                 target: Any, **kw: Any) -> None:
    """Build once to learn where each form starts and how long it is, then build for real (page X of Y)."""
    _fonts()
    probe = _Document(io.BytesIO(), decorate, **kw)
    probe.build(story_factory())
    total = probe.page  # pages in the whole document
    starts = [*probe.starts, total + 1]
    lengths = {starts[i]: starts[i + 1] - starts[i] for i in range(len(starts) - 1)}
    final = _Document(str(target) if isinstance(target, Path) else target, decorate, **kw)
    final.page_counts = lengths
    final.build(story_factory())


def _page_of(doc: _Document, page: int) -> tuple[int, int]:
    first = doc.current.get("first_page", 1)
    return page - first + 1, doc.page_counts.get(first, 0)


def _decorate_roi(canvas: Any, doc: _Document) -> None:
    info = doc.current
    if not info:
        return
    t: RoiTemplate = info["template"]
    page = canvas.getPageNumber()
    number, of = _page_of(doc, page)
    canvas.saveState()
    canvas.setFont("DejaVu", 7.8)
    canvas.setFillColor(MUTED)
    if number > 1:  # later pages: whose form this is, in case the pages come apart
        canvas.drawString(MARGIN, PAGE_H - 0.42 * inch, f"{t.title} — {info['name']}")
        canvas.drawRightString(PAGE_W - MARGIN, PAGE_H - 0.42 * inch, f"{t.label('form_number')}: {info['number']}")
        canvas.setStrokeColor(colors.HexColor("#c9d2dc"))
        canvas.line(MARGIN, PAGE_H - 0.48 * inch, PAGE_W - MARGIN, PAGE_H - 0.48 * inch)
    canvas.setStrokeColor(colors.HexColor("#c9d2dc"))
    canvas.line(MARGIN, 0.6 * inch, PAGE_W - MARGIN, 0.6 * inch)
    canvas.drawString(MARGIN, 0.45 * inch, f"{info['number']} · {t.id} {t.version}")
    if of:
        canvas.drawRightString(PAGE_W - MARGIN, 0.45 * inch, t.label("page", page=number, pages=of))
    if not t.approved_by:
        canvas.setFillColor(WARN)
        canvas.setFont("DejaVu-Bold", 7.5)
        canvas.drawCentredString(PAGE_W / 2, 0.3 * inch, t.label("draft"))
    canvas.restoreState()


def write_roi_pdf(target: Any, forms: Sequence[FormInput], template: RoiTemplate, county: CountySettings) -> None:
    """Write the forms into one PDF at `target` (a path or a binary file); each form starts on a new page.

    A single form's fields have plain names (signature, category_jail ...); in a combined PDF each form's fields
    start with its person ID (P000123_signature), since field names must be unique in a PDF.
    """
    combined = len(forms) > 1

    def story() -> list[Flowable]:
        flow: list[Flowable] = []
        for i, form in enumerate(forms):
            if i:
                flow.append(PageBreak())
            flow += roi_story(form, template, county, f"{form.identity.label}_" if combined else "")
        return flow

    _build_twice(story, _decorate_roi, target, title=template.title, author=county.county,
                 subject=f"{template.id} {template.version}", creator="DDJ Desktop")


# -- the disclosure packet -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DisclosureContent:
    """What a disclosure sends: the cover facts, the notice (if Part 2), the consent's scope, and the records."""

    title: str
    facts: list[tuple[str, str]]  # cover sheet: label, value
    notice: str | None  # the 42 CFR 2.32 statement, when Part 2 records are included
    consent_title: str
    consent_facts: list[tuple[str, str]]
    record_header: list[str]
    records: list[list[str]]  # source, record, event, start, end, details
    footer: str
    records_title: str = "Records"


def write_disclosure_pdf(target: Any, content: DisclosureContent) -> None:
    """The disclosure packet: cover sheet (with the 42 CFR 2.32 notice when needed), the records, and a copy of
    the consent's scope."""

    def facts_table(facts: list[tuple[str, str]]) -> Table:
        rows = [[P(k, "label"), P(v, "cell")] for k, v in facts]
        return grid(rows, [1.7 * inch, WIDTH - 1.7 * inch], header=False)

    def story() -> list[Flowable]:
        flow: list[Flowable] = [Marker({"footer": content.footer})]
        flow += [P(content.title, "title"), Spacer(1, 4), facts_table(content.facts)]
        if content.notice:
            box = Table([[P("42 CFR 2.32", "cellbold")], [P(content.notice, "cell")]], colWidths=[WIDTH])
            box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, WARN), ("BACKGROUND", (0, 0), (-1, -1),
                                      colors.HexColor("#fff4ef")), ("LEFTPADDING", (0, 0), (-1, -1), 8),
                                     ("RIGHTPADDING", (0, 0), (-1, -1), 8), ("TOPPADDING", (0, 0), (-1, -1), 5)]))
            flow += [Spacer(1, 10), box]
        flow += [section("", content.consent_title), facts_table(content.consent_facts)]
        rows = [[P(h, "head") for h in content.record_header]]
        rows += [[P(v, "mono") for v in r] for r in content.records]
        widths = [0.8 * inch, 1.0 * inch, 1.0 * inch, 1.1 * inch, 1.1 * inch]
        flow += [PageBreak(), section("", f"{content.records_title} ({len(content.records)})"),
                 grid(rows, [*widths, WIDTH - sum(widths)])]
        return flow

    def decorate(canvas: Any, doc: _Document) -> None:
        canvas.saveState()
        canvas.setFont("DejaVu", 7.8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 0.45 * inch, doc.current.get("footer", ""))
        number, of = _page_of(doc, canvas.getPageNumber())
        canvas.drawRightString(PAGE_W - MARGIN, 0.45 * inch, f"{number} / {of}")
        canvas.restoreState()

    _build_twice(story, decorate, target, title=content.title, creator="DDJ Desktop")
