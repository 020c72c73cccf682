"""Receipts on an 80 mm or 58 mm paper roll: the counter's abbreviated tax invoice
(ใบกำกับภาษีอย่างย่อ) of a VAT-registered shop, or the receipt of any other shop. The page is
as long as its content.

Thermal printers print 72 mm of an 80 mm roll (576 dots at 203 dpi) and 48 mm of a 58 mm roll
(384 dots): the PDF keeps the rest as side margins, and :func:`render_receipt` with
``printable_only`` gives a page of just the printable width, for ESC/POS printing as an image.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle
from reportlab.platypus.flowables import HRFlowable

from minichat_desktop.documents.common import INK, logo, make_doc, para, serialized
from minichat_desktop.documents.invoice import total_rows
from minichat_desktop.domain.sales.tax_documents import (
    DocumentData,
    DocumentKind,
    Mark,
    branch_label,
    format_tax_id,
    thai_date,
)
from minichat_desktop.domain.thai import format_baht


@dataclass(frozen=True, slots=True)
class Roll:
    paper_mm: float
    printable_mm: float
    dots: int  # printable width in printer dots (203 dpi)
    size: float  # base font size, points


ROLLS = {80: Roll(80, 72, 576, 9.0), 58: Roll(58, 48, 384, 7.6)}


def roll(width: int) -> Roll:
    try:
        return ROLLS[width]
    except KeyError:
        raise ValueError(f"receipt paper is 80 or 58 mm wide, not {width}") from None


# Inside the printable width, a little white: some printers sold as 80 mm print 512 dots
# rather than 576, and nothing should touch the edge.
ESCPOS_INSET = 1.5 * mm


def _frame(r: Roll, printable_only: bool) -> tuple[float, float]:
    """(content width, side margin) of a page: the paper's width with the non-printable
    margins, or the printable width alone (for ESC/POS) with a small inset."""
    if printable_only:
        return r.printable_mm * mm - 2 * ESCPOS_INSET, ESCPOS_INSET
    return r.printable_mm * mm, (r.paper_mm - r.printable_mm) / 2 * mm


def _rule(dashed: bool = True) -> HRFlowable:
    return HRFlowable(
        width="100%",
        thickness=0.6,
        color=INK,
        dash=(2, 1.5) if dashed else None,
        spaceBefore=2,
        spaceAfter=2,
    )


def _two(
    rows: Sequence[tuple[str, str, bool]], width: float, size: float, split: float = 0.62
) -> Table:
    """Label on the left (``split`` of the width), value on the right."""
    t = Table(
        [
            [
                para(a, size + (1 if strong else 0), bold=strong),
                para(b, size + (1 if strong else 0), bold=strong, align="right"),
            ]
            for a, b, strong in rows
        ],
        colWidths=[width * split, width * (1 - split)],
    )
    t.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    return t


SLIP_MARKS = {
    Mark.COPY: "สำเนา (COPY)",
    Mark.REPLACEMENT: "ใบแทน (REPLACEMENT)",
    Mark.CANCELLED: "ยกเลิก (CANCELLED)",
}


def _story(d: DocumentData, r: Roll, width: float) -> list[Flowable]:
    z = r.size
    s = d.seller
    out: list[Flowable] = []
    picture = logo(s.logo_path, width * 0.6, 16 * mm, align="CENTER")
    if picture is not None:
        out += [picture, Spacer(1, 1 * mm)]
    out.append(para(s.name, z + 3, bold=True, align="center"))
    if s.address:
        out.append(para(s.address, z - 0.6, align="center"))
    if s.tax_id:
        tax_line = f"เลขประจำตัวผู้เสียภาษี {format_tax_id(s.tax_id)}"
        out.append(para(tax_line, z - 0.6, align="center"))
        if s.vat_registered:
            out.append(para(s.branch, z - 0.6, align="center"))
    if s.phone:
        out.append(para(f"โทร {s.phone}", z - 0.6, align="center"))
    out.append(_rule(False))
    out.append(para(d.title_th, z + 1.5, bold=True, align="center"))
    if d.mark is not Mark.ORIGINAL:
        out.append(para(SLIP_MARKS[d.mark], z, bold=True, align="center"))
    meta = [
        ("เลขที่", d.number, False),
        ("วันที่", thai_date(d.issued_at, with_time=True), False),
        ("ออเดอร์", d.order_number, False),
    ]
    if d.kind is DocumentKind.ABBREVIATED and s.pos_number:
        meta.append(("POS No.", s.pos_number, False))
    if d.mark in (Mark.REPLACEMENT, Mark.CANCELLED) and d.reason:
        meta.append(("ใบแทน" if d.mark is Mark.REPLACEMENT else "ยกเลิก", d.reason, False))
    out.append(_two(meta, width, z, split=0.28))
    b = d.buyer
    if d.kind is DocumentKind.FULL or b.tax_id:
        out.append(para(f"ผู้ซื้อ {b.name}", z))
        if b.address:
            out.append(para(b.address, z - 0.6))
        if b.tax_id:
            out.append(
                para(f"เลขผู้เสียภาษี {format_tax_id(b.tax_id)} {branch_label(b.branch)}", z - 0.6)
            )
    elif b.name:
        out.append(_two([("ลูกค้า", b.name, False)], width, z, split=0.28))
    out.append(_rule())
    for line in d.lines:
        out.append(para(line.description, z))
        detail = f"  {line.quantity:,} x {format_baht(line.unit_price_satang)}"
        if line.discount_satang:
            detail += f"  ลด {format_baht(line.discount_satang)}"
        out.append(_two([(detail, format_baht(line.amount_satang), False)], width, z))
    out.append(_rule())
    out.append(
        _two(
            [(_short(label, width), format_baht(v), strong) for label, v, strong in total_rows(d)],
            width,
            z,
        )
    )
    out.append(_rule())
    tender_rows: list[tuple[str, str, bool]] = []
    for t in d.tenders:
        tender_rows.append((t.method_name, format_baht(t.amount_satang), False))
        if t.tendered_satang:
            tender_rows.append(("  รับเงิน", format_baht(t.tendered_satang), False))
            tender_rows.append(("  เงินทอน", format_baht(t.change_satang), False))
    out.append(_two(tender_rows, width, z))
    out.append(Spacer(1, 1.5 * mm))
    out.append(para(f"({d.amount_words})", z - 0.4, align="center"))
    if d.kind is DocumentKind.ABBREVIATED and d.totals.prices_include_vat:
        out.append(para("ราคารวมภาษีมูลค่าเพิ่มแล้ว", z - 0.6, align="center"))
    out.append(Spacer(1, 2 * mm))
    out.append(_barcode(d.number, width))
    out.append(Spacer(1, 1.5 * mm))
    out.append(para("ขอบคุณที่อุดหนุนค่ะ", z + 0.5, bold=True, align="center"))
    return out


def _short(label: str, width: float) -> str:
    """A bilingual total label for a roll: the Thai, with the VAT rate, and on an 80 mm roll
    the English when it is short."""
    th, _, en = label.partition(" ")
    if en.startswith("VAT "):
        return f"{th} {en.removeprefix('VAT ')}"
    return f"{th} {en}" if len(en) <= 10 and width > 60 * mm else th


class _Centered(Flowable):
    def __init__(self, inner: Any, width: float) -> None:
        super().__init__()
        self.inner = inner
        self.width = width
        self.height = inner.height

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.inner.drawOn(self.canv, (self.width - self.inner.width) / 2, 0)


def _barcode(code: str, width: float) -> Flowable:
    bc = Code128(code, barHeight=9 * mm, barWidth=0.3 * mm, quiet=True, humanReadable=False)
    if bc.width > width:
        bc = Code128(code, barHeight=9 * mm, barWidth=0.3 * mm * width / bc.width, quiet=True)
    return _Centered(bc, width)


@serialized
def render_receipt(d: DocumentData, width: int = 80, *, printable_only: bool = False) -> bytes:
    """The PDF of a receipt on a ``width`` (80 or 58) mm roll, one page as long as its content.
    ``printable_only`` leaves out the side margins (for ESC/POS printing)."""
    r = roll(width)
    content, side = _frame(r, printable_only)
    top, bottom = (2 * mm, 4 * mm) if printable_only else (5 * mm, 8 * mm)
    story = _story(d, r, content)
    height = 0.0
    for f in story:
        _, h = f.wrap(content, 10_000)
        height += h + f.getSpaceBefore() + f.getSpaceAfter()
    buf = io.BytesIO()
    doc = make_doc(
        buf,
        (content + 2 * side, height + top + bottom + 2 * mm),
        left=side,
        right=side,
        top=top,
        bottom=bottom,
        title=f"{d.title_th} {d.number}",
        author=d.seller.name,
        creator="MiniChat Desktop",
    )
    doc.build(story)
    return buf.getvalue()


class _EdgeRuler(Flowable):
    """A frame the full printable width with ticks every 5 mm: shows at once whether the
    printer cuts off an edge."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width = width
        self.height = 9 * mm

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        c.rect(0.4, 0.4, self.width - 0.8, self.height - 0.8)
        n = int(self.width // (5 * mm))
        for i in range(1, n + 1):
            x = i * 5 * mm
            c.line(x, 0.4, x, 0.4 + (3 * mm if i % 2 == 0 else 1.8 * mm))
        c.setFillColor(INK)
        c.rect(0.4, self.height - 3 * mm, 4 * mm, 2.6 * mm, stroke=0, fill=1)
        c.rect(self.width - 4.4 * mm, self.height - 3 * mm, 4 * mm, 2.6 * mm, stroke=0, fill=1)


THAI_SAMPLE = "ที่นี่ขายน้ำปั่น ผู้ซื้อสั่งญี่ปุ่น ฎีกา ฐาน ปั่นจักรยาน กิ๊ก ฟ้า ป่า ฝั่ง ใบกำกับภาษีอย่างย่อ ๐๑๒๓๔๕๖๗๘๙"


@serialized
def render_test_page(
    width: int = 80,
    *,
    shop_name: str = "",
    printer: str = "",
    when: str = "",
    printable_only: bool = False,
) -> bytes:
    """A printer test page for a ``width`` mm roll: Thai with stacked marks, digits, a ruler
    across the printable width and a barcode."""
    r = roll(width)
    content, side = _frame(r, printable_only)
    z = r.size
    story: list[Flowable] = [
        para("หน้าทดสอบเครื่องพิมพ์", z + 3, bold=True, align="center"),
        para("Printer test page", z, align="center"),
    ]
    if shop_name:
        story.append(para(shop_name, z + 1, bold=True, align="center"))
    story += [
        _rule(False),
        _two(
            [
                ("กระดาษ", f"{width} มม. ({r.dots} จุด)", False),
                ("เครื่องพิมพ์", printer or "-", False),
                ("เวลา", when or "-", False),
            ],
            content,
            z,
            split=0.35,
        ),
        _rule(),
        para(THAI_SAMPLE, z + 1),
        para("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 ฿1,234.50", z),
        Spacer(1, 2 * mm),
        _EdgeRuler(content),
        Spacer(1, 2 * mm),
        _barcode("MINICHAT-TEST", content),
        para("MINICHAT-TEST", z, align="center"),
        Spacer(1, 1.5 * mm),
        para(
            "ถ้าอ่านภาษาไทยได้ครบ วรรณยุกต์อยู่ตรงที่ และเห็นกรอบครบทั้งสองข้าง แปลว่าพร้อมใช้งาน",
            z,
            align="center",
        ),
    ]
    top, bottom = (2 * mm, 4 * mm) if printable_only else (5 * mm, 8 * mm)
    height = sum(f.wrap(content, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in story)
    buf = io.BytesIO()
    doc = make_doc(
        buf,
        (content + 2 * side, height + top + bottom + 2 * mm),
        left=side,
        right=side,
        top=top,
        bottom=bottom,
        title="หน้าทดสอบเครื่องพิมพ์",
        creator="MiniChat Desktop",
    )
    doc.build(story)
    return buf.getvalue()
