"""A4 documents: the full tax invoice (ใบกำกับภาษี/ใบเสร็จรับเงิน, every field of Revenue Code
s.86/4), the abbreviated tax invoice (s.86/6), the receipt of a shop that is not
VAT-registered, and the credit note (ใบลดหนี้, s.86/10) of a refunded sale.

What each shows: the title; the seller's name, address, tax ID and branch; the document's
running number and date; the buyer's name, address, tax ID and branch (full tax invoice); each
line's description, quantity, unit price and amount; VAT shown separately from the value before
VAT (tax invoices), whether the shop's prices include VAT or not; the total in figures and in
Thai words; how it was paid. A credit note shows, instead of the payment, the tax invoice it
reduces (number and date), the value on it, the right value, the difference, the VAT on the
difference, the total credited in figures and words, and the reason.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from minichat_desktop.documents.common import (
    INK,
    RULE,
    SHADE,
    esc,
    logo,
    make_doc,
    markup,
    para,
    serialized,
    style,
)
from minichat_desktop.domain.sales.tax_documents import (
    DocumentData,
    DocumentKind,
    Mark,
    branch_label,
    format_tax_id,
    thai_date,
)
from minichat_desktop.domain.thai import format_baht, format_phone

MARGIN = 14 * mm
WIDTH = A4[0] - 2 * MARGIN


def _seller_block(d: DocumentData) -> list[Flowable]:
    s = d.seller
    out: list[Flowable] = []
    picture = logo(s.logo_path, 60 * mm, 18 * mm)
    if picture is not None:
        out += [picture, Spacer(1, 1.5 * mm)]
    out.append(para(s.name, 15, bold=True))
    if s.name_en:
        out.append(para(s.name_en, 9, color="muted"))
    if s.address:
        out.append(para(s.address, 9))
    ids = []
    if s.tax_id:
        ids.append(f"เลขประจำตัวผู้เสียภาษี {format_tax_id(s.tax_id)}")
        if s.vat_registered:
            ids.append(s.branch)
    if ids:
        out.append(para("  ".join(ids), 9))
    contact = "  ".join(x for x in (f"โทร {s.phone}" if s.phone else "", s.email) if x)
    if contact:
        out.append(para(contact, 9))
    return out


MARKS: dict[Mark, str] = {
    Mark.ORIGINAL: "ต้นฉบับ (ORIGINAL)",
    Mark.COPY: "สำเนา (COPY)",
    Mark.REPLACEMENT: "ใบแทน (REPLACEMENT)",
    Mark.CANCELLED: "ยกเลิก (CANCELLED)",
}


def _title_block(d: DocumentData) -> Table:
    rows = [
        [para(d.title_th, 14, bold=True, align="center")],
        [para(d.title_en, 8.5, align="center", color="muted")],
        [para(MARKS[d.mark], 8.5, bold=d.mark is not Mark.ORIGINAL, align="center")],
    ]
    t = Table(rows, colWidths=[70 * mm])
    t.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.9, INK),
                ("BACKGROUND", (0, 0), (-1, 1), SHADE),
                ("LINEABOVE", (0, 2), (-1, 2), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return t


def _label_value(label: str, value: str) -> list[Any]:
    return [para(label, 8.5, color="muted"), para(value, 9.5)]


def _party_and_meta(d: DocumentData) -> Table:
    b = d.buyer
    left: list[list[Any]] = []
    lw, vw = 35 * mm, 68 * mm
    if d.kind is DocumentKind.ABBREVIATED:
        left.append(_label_value("ผู้ซื้อ", b.name or "-"))
    else:
        left.append(_label_value("ชื่อผู้ซื้อ\nCustomer", b.name or "-"))
        if b.address:
            left.append(_label_value("ที่อยู่\nAddress", b.address))
        if d.kind is DocumentKind.FULL or b.tax_id:
            tax = format_tax_id(b.tax_id) if b.tax_id else "-"
            if b.tax_id:
                tax += f"  ({branch_label(b.branch)})"
            left.append(_label_value("เลขประจำตัวผู้เสียภาษี\nTax ID", tax))
        if b.phone:
            left.append(_label_value("โทร\nPhone", format_phone(b.phone)))
    buyer = Table(left, colWidths=[lw, vw])
    buyer.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    paid = d.paid_at or d.issued_at
    meta_rows = [
        ("เลขที่\nNo.", d.number),
        ("วันที่\nDate", thai_date(d.issued_at)),
        ("อ้างอิงคำสั่งซื้อ\nOrder", d.order_number),
        ("ชำระเงิน\nPaid", thai_date(paid, with_time=True)),
    ]
    if d.replaces:
        meta_rows.insert(2, ("ออกแทน\nReplaces", f"{d.replaces} (ยกเลิก)"))
    if d.mark is Mark.REPLACEMENT:
        meta_rows.append(("ออกใบแทนเพราะ\nReplacement", d.reason))
    if d.mark is Mark.CANCELLED and d.reason:
        meta_rows.append(("ยกเลิกแล้ว\nCancelled", d.reason))
    if d.credit is not None:
        c = d.credit
        meta_rows[2:] = [
            ("อ้างถึงใบกำกับภาษี\nInvoice", f"{c.invoice_number}\n{thai_date(c.invoice_date)}"),
            ("อ้างอิงคำสั่งซื้อ\nOrder", d.order_number),
        ]
    mw, mv = 27 * mm, 45 * mm
    meta = Table([_label_value(k, v) for k, v in meta_rows], colWidths=[mw, mv])
    meta.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    outer = Table([[buyer, meta]], colWidths=[WIDTH - 74 * mm, 74 * mm])
    outer.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, 0), 0.6, RULE),
                ("BOX", (1, 0), (1, 0), 0.6, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return outer


_COLS = [13 * mm, 0.0, 16 * mm, 26 * mm, 22 * mm, 28 * mm]
_COLS[1] = WIDTH - sum(_COLS)


def _items(d: DocumentData) -> Table:
    head = [
        markup("ลำดับ<br/>No.", 8.5, bold=True, align="center"),
        markup("รายการ<br/>Description", 8.5, bold=True),
        markup("จำนวน<br/>Qty", 8.5, bold=True, align="right"),
        markup("ราคาต่อหน่วย<br/>Unit price", 8.5, bold=True, align="right"),
        markup("ส่วนลด<br/>Discount", 8.5, bold=True, align="right"),
        markup("จำนวนเงิน<br/>Amount", 8.5, bold=True, align="right"),
    ]
    rows: list[list[Any]] = [head]
    for n, line in enumerate(d.lines, start=1):
        desc = esc(line.description)
        if line.sku:
            desc += f'<br/><font size="7.5" color="#52606D">{esc(line.sku)}</font>'
        rows.append(
            [
                para(str(n), 9, align="center"),
                markup(desc, 9),
                # A price reduction or the shipping on a credit note gives back no units.
                para(f"{line.quantity:,}" if line.quantity else "-", 9, align="right"),
                para(
                    format_baht(line.unit_price_satang) if line.quantity else "-",
                    9,
                    align="right",
                ),
                para(
                    format_baht(line.discount_satang) if line.discount_satang else "-",
                    9,
                    align="right",
                ),
                para(format_baht(line.amount_satang), 9, align="right"),
            ]
        )
    t = Table(rows, colWidths=_COLS, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, INK),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                ("LINEBELOW", (0, -1), (-1, -1), 0.9, INK),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def total_rows(d: DocumentData) -> list[tuple[str, int, bool]]:
    """The money lines under the items: (label, satang, emphasised)."""
    t = d.totals
    rows: list[tuple[str, int, bool]] = [("รวมเป็นเงิน Subtotal", t.subtotal, False)]
    if t.discount:
        rows.append(("ส่วนลด Discount", -t.discount, False))
    if t.shipping:
        rows.append(("ค่าจัดส่ง Shipping", t.shipping, False))
    if d.seller.vat_registered and t.vat_rate_bp:
        if t.prices_include_vat:
            rows.append(("ราคารวมภาษีมูลค่าเพิ่ม Total incl. VAT", t.goods_total, False))
        rows.append(("มูลค่าก่อนภาษี Value before VAT", t.before_vat, False))
        rows.append((f"ภาษีมูลค่าเพิ่ม VAT {t.vat_rate_text}", t.vat, False))
    rows.append(("จำนวนเงินรวมทั้งสิ้น Grand total", t.total, True))
    return rows


def credit_rows(d: DocumentData) -> list[tuple[str, int, bool]]:
    """A credit note's money lines (s.86/10): value on the tax invoice, less the credit notes
    before this one (a sale refunded in parts), right value, difference, VAT on it, total
    credited."""
    c = d.credit
    assert c is not None
    earlier = (
        [("หักใบลดหนี้ฉบับก่อน Earlier credit notes", -c.earlier_credits, False)]
        if c.earlier_credits
        else []
    )
    return [
        ("มูลค่าตามใบกำกับภาษีเดิม Original value", c.original_value, False),
        *earlier,
        ("มูลค่าที่ถูกต้อง Correct value", c.correct_value, False),
        ("ผลต่าง Difference", c.difference, False),
        (f"ภาษีมูลค่าเพิ่ม VAT {d.totals.vat_rate_text}", c.vat, False),
        ("รวมลดหนี้ทั้งสิ้น Total credited", c.total, True),
    ]


def _totals(d: DocumentData) -> Table:
    rows = credit_rows(d) if d.credit is not None else total_rows(d)
    sums = Table(
        [
            [
                para(label, 9.5 if strong else 9, bold=strong),
                para(format_baht(value), 10 if strong else 9, bold=strong, align="right"),
            ]
            for label, value, strong in rows
        ],
        colWidths=[58 * mm, 28 * mm],
    )
    sums.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.9, INK),
                ("LINEBELOW", (0, -1), (-1, -1), 1.6, INK),
                ("BACKGROUND", (0, -1), (-1, -1), SHADE),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    notes: list[Flowable] = [
        para("จำนวนเงินเป็นตัวอักษร (Amount in words)", 8.5, color="muted"),
        para(f"({d.amount_words})", 10.5, bold=True),
    ]
    if d.is_tax_invoice and d.totals.vat_rate_bp:
        notes.append(Spacer(1, 2 * mm))
        notes.append(
            para(
                "ราคาสินค้ารวมภาษีมูลค่าเพิ่มแล้ว (VAT included)"
                if d.totals.prices_include_vat
                else "ราคาสินค้ายังไม่รวมภาษีมูลค่าเพิ่ม (VAT excluded)",
                8.5,
                color="muted",
            )
        )
    if not d.seller.vat_registered:
        notes.append(Spacer(1, 2 * mm))
        notes.append(para("ร้านไม่ได้จดทะเบียนภาษีมูลค่าเพิ่ม (not VAT-registered)", 8.5, color="muted"))
    words = Table([[notes]], colWidths=[WIDTH - 90 * mm])
    words.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    outer = Table([[words, sums]], colWidths=[WIDTH - 88 * mm, 88 * mm])
    outer.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return outer


def _payment(d: DocumentData) -> list[Flowable]:
    if d.credit is not None:
        return [
            para(f"เหตุที่ออกใบลดหนี้ (Reason): {d.credit.reason}", 9),
            para(
                f"ลดหนี้ตาม{d.credit.invoice_title} เลขที่ {d.credit.invoice_number} "
                f"ลงวันที่ {thai_date(d.credit.invoice_date)}",
                9,
            ),
        ]
    parts = []
    for t in d.tenders:
        text = f"{t.method_name} {format_baht(t.amount_satang)} บาท"
        if t.tendered_satang:
            text += f" (รับเงิน {format_baht(t.tendered_satang)} ทอน {format_baht(t.change_satang)})"
        if t.ref:
            text += f" อ้างอิง {t.ref}"
        parts.append(text)
    return [para("ชำระเงินโดย (Payment): " + " · ".join(parts), 9)]


def _signatures(d: DocumentData) -> Table:
    def box(title: str) -> list[Flowable]:
        return [
            Spacer(1, 11 * mm),
            para("." * 60, 8, align="center", color="muted"),
            para("(" + "." * 50 + ")", 8, align="center", color="muted"),
            para(title, 9, align="center"),
            para("วันที่ ........../........../..........", 8.5, align="center", color="muted"),
        ]

    first = "ผู้รับใบลดหนี้ / Received by" if d.credit is not None else "ผู้รับเงิน / Collector"
    t = Table(
        [[box(first), box("ผู้มีอำนาจลงนาม / Authorized signature")]],
        colWidths=[WIDTH / 2, WIDTH / 2],
    )
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def _story(d: DocumentData) -> list[Flowable]:
    header = Table([[_seller_block(d), _title_block(d)]], colWidths=[WIDTH - 72 * mm, 72 * mm])
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        header,
        Spacer(1, 5 * mm),
        _party_and_meta(d),
        Spacer(1, 4 * mm),
        _items(d),
        Spacer(1, 1.5 * mm),
        KeepTogether([_totals(d), Spacer(1, 3 * mm), *_payment(d), _signatures(d)]),
    ]


class _PagedCanvas(Canvas):
    """Holds pages back until the end so each can say ``หน้า 1/2`` (shaped text)."""

    def __init__(self, *args: Any, footer: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._footer = footer

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own, not in its stubs

    def save(self) -> None:
        total = len(self._pages)
        for n, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            p = Paragraph(esc(f"{self._footer}    หน้า {n}/{total}"), style(8, align="right"))
            p.wrapOn(self, WIDTH, 10 * mm)
            p.drawOn(self, MARGIN, 7 * mm)
            self.setStrokeColor(colors.HexColor("#CBD2D9"))
            self.setLineWidth(0.4)
            self.line(MARGIN, 12 * mm, A4[0] - MARGIN, 12 * mm)
            super().showPage()
        super().save()


@serialized
def render_invoice(d: DocumentData) -> bytes:
    """The A4 PDF of a tax invoice, abbreviated tax invoice, receipt or credit note, marked
    as ``d.mark`` says: ต้นฉบับ, สำเนา, ใบแทน or ยกเลิก."""
    buf = io.BytesIO()
    doc = make_doc(
        buf,
        A4,
        left=MARGIN,
        right=MARGIN,
        top=MARGIN,
        bottom=16 * mm,
        title=f"{d.title_th} {d.number}",
        author=d.seller.name,
        subject=f"{d.title_en} {d.number} ({d.order_number})",
        creator="MiniChat Desktop",
    )
    footer = f"{d.title_th} เลขที่ {d.number}"

    def canvasmaker(*args: Any, **kwargs: Any) -> _PagedCanvas:
        return _PagedCanvas(*args, footer=footer, **kwargs)

    doc.build(_story(d), canvasmaker=canvasmaker)
    return buf.getvalue()
