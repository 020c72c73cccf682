"""100 × 150 mm shipping labels: the carrier, COD amount, recipient (name, phone, address,
postcode large), sender, a Code 128 barcode of the tracking number (or of the order number
before there is one) and a summary of the items.

Many orders make one PDF, one label a page, or four to an A4 sheet (each label scaled to an A6
quarter, 99 × 148.5 mm) for shops without a label printer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from minichat_desktop.documents.common import INK, esc, markup, para, serialized, style
from minichat_desktop.domain.sales.tax_documents import LabelData, thai_date
from minichat_desktop.domain.thai import format_baht

LABEL_W, LABEL_H = 100 * mm, 150 * mm
PAD = 4 * mm
INNER = LABEL_W - 2 * PAD


def _place(c: Canvas, f: Flowable, x: float, top: float, width: float) -> float:
    """Draw ``f`` with its top at ``top``; returns the y under it."""
    _, h = f.wrap(width, 1000)
    f.drawOn(c, x, top - h)
    return top - h


def _fit(text: str, size: float, width: float, max_lines: int, **kw: object) -> Flowable:
    """The text in the largest size (down to 60 %) that fits in ``max_lines`` lines."""
    s = size
    while True:
        f = para(text, s, **kw)
        _, h = f.wrap(width, 1000)
        if h <= style(s, **kw).leading * max_lines + 0.1 or s <= size * 0.6:
            return f
        s = round(s - 0.5, 1)


def _barcode(code: str, width: float, height: float) -> Code128:
    """A Code 128 barcode at least 0.33 mm per module when it fits (scanners like that)."""
    bc = Code128(code, barHeight=height, barWidth=0.38 * mm, quiet=True, humanReadable=False)
    if bc.width > width:
        bc = Code128(
            code,
            barHeight=height,
            barWidth=0.38 * mm * width / bc.width,
            quiet=True,
            humanReadable=False,
        )
    return bc


def draw_label(c: Canvas, d: LabelData) -> None:
    """Draw one label with its lower-left corner at the canvas origin (100 × 150 mm)."""
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(1.2)
    c.rect(1.5 * mm, 1.5 * mm, LABEL_W - 3 * mm, LABEL_H - 3 * mm)
    x = PAD
    top = LABEL_H - PAD

    # Carrier on the left, COD (or "no payment to collect") on the right.
    head_h = 15 * mm
    c.setLineWidth(0.8)
    c.line(1.5 * mm, top - head_h, LABEL_W - 1.5 * mm, top - head_h)
    carrier = d.carrier or "พัสดุ"
    _place(c, _fit(carrier, 15, 48 * mm, 1, bold=True), x, top - 1.2 * mm, 48 * mm)
    _place(c, para(thai_date(d.created_at), 8, color="muted"), x, top - 8.6 * mm, 48 * mm)
    box_w = 42 * mm
    bx = LABEL_W - 1.5 * mm - box_w
    if d.cod_satang:
        c.setFillColor(INK)
        c.rect(bx, top - head_h, box_w, head_h + PAD - 1.5 * mm, stroke=0, fill=1)
        _place(
            c,
            para("เก็บเงินปลายทาง COD", 9, bold=True, color="white", align="center"),
            bx,
            top - 0.6 * mm,
            box_w,
        )
        _place(
            c,
            para(
                format_baht(d.cod_satang, symbol=True), 15, bold=True, color="white", align="center"
            ),
            bx,
            top - 5.8 * mm,
            box_w,
        )
    else:
        c.line(bx, top - head_h, bx, LABEL_H - 1.5 * mm)
        _place(c, para("ไม่ต้องเก็บเงิน", 10.5, bold=True, align="center"), bx, top - 2 * mm, box_w)
        _place(c, para("NO COD", 8.5, align="center", color="muted"), bx, top - 7.8 * mm, box_w)
    y = top - head_h - 2 * mm

    # Recipient: the biggest text on the label.
    _place(c, para("ผู้รับ (TO)", 8.5, bold=True, color="muted"), x, y, INNER)
    y -= 4.6 * mm
    y = _place(c, _fit(d.recipient_name, 15, INNER, 1, bold=True), x, y, INNER)
    if d.recipient_phone:
        y = _place(c, para(f"โทร {d.recipient_phone}", 13, bold=True), x, y, INNER)
    y = _place(c, _fit(d.recipient_address, 11.5, INNER, 3), x, y - 0.5 * mm, INNER)
    place = " ".join(p for p in (d.recipient_province,) if p)
    row_top = y - 0.5 * mm
    if place:
        _place(c, _fit(place, 13, INNER - 36 * mm, 1, bold=True), x, row_top, INNER - 36 * mm)
    if d.recipient_postcode:
        pc = para(d.recipient_postcode, 24, bold=True, align="right")
        y = _place(c, pc, x, row_top + 1 * mm, INNER)
    else:
        y = row_top - 7 * mm
    y -= 1.5 * mm
    c.setLineWidth(0.8)
    c.line(1.5 * mm, y, LABEL_W - 1.5 * mm, y)

    # Barcode of the tracking number (or the order number).
    y -= 3 * mm
    bc = _barcode(d.code, INNER, 17 * mm)
    bc.drawOn(c, (LABEL_W - bc.width) / 2, y - bc.height)
    y -= bc.height + 0.5 * mm
    y = _place(c, para(d.code, 12, bold=True, align="center"), x, y, INNER)
    if d.code != d.order_number:
        y = _place(c, para(f"ออเดอร์ {d.order_number}", 9, align="center"), x, y, INNER)
    y -= 1.5 * mm
    c.line(1.5 * mm, y, LABEL_W - 1.5 * mm, y)

    # Sender.
    y -= 1.5 * mm
    sender = f"<b>ผู้ส่ง (FROM)</b> {esc(d.sender_name)}"
    if d.sender_phone:
        sender += f" โทร {esc(d.sender_phone)}"
    y = _place(c, markup(sender, 8.5), x, y, INNER)
    y = _place(c, para(d.sender_address, 8), x, y, INNER)
    y -= 1.5 * mm
    c.line(1.5 * mm, y, LABEL_W - 1.5 * mm, y)

    # Items: as many as fit above the bottom edge, then "and N more".
    y -= 1.2 * mm
    y = _place(
        c,
        para(f"รายการสินค้า {d.item_count} ชิ้น ({d.order_number})", 8.5, bold=True),
        x,
        y,
        INNER,
    )
    bottom = 3 * mm
    line_h = 8 * 1.38
    room = int((y - bottom) // line_h)
    shown = d.items if len(d.items) <= room else d.items[: max(room - 1, 0)]
    for name, qty in shown:
        y = _place(c, _fit(f"{qty} x {name}", 8, INNER, 1), x, y, INNER)
    rest = len(d.items) - len(shown)
    if rest:
        _place(c, para(f"และอีก {rest} รายการ", 8, color="muted"), x, y, INNER)
    c.restoreState()


@serialized
def render_labels(labels: Sequence[LabelData], *, four_up: bool = False) -> bytes:
    """One PDF of shipping labels: a 100 × 150 mm page each, or four to an A4 sheet."""
    if not labels:
        raise ValueError("no labels to print")
    buf = io.BytesIO()
    size = A4 if four_up else (LABEL_W, LABEL_H)
    c = Canvas(buf, pagesize=size, pageCompression=1)
    numbers = ", ".join(d.order_number for d in labels[:5])
    c.setTitle(f"ใบปะหน้าพัสดุ {numbers}" + (" …" if len(labels) > 5 else ""))
    c.setCreator("MiniChat Desktop")
    if not four_up:
        for d in labels:
            draw_label(c, d)
            c.showPage()
    else:
        cell_w, cell_h = A4[0] / 2, A4[1] / 2
        scale = min(cell_w / LABEL_W, cell_h / LABEL_H) * 0.99
        for start in range(0, len(labels), 4):
            _cut_marks(c)
            for i, d in enumerate(labels[start : start + 4]):
                col, row = i % 2, i // 2
                ox = col * cell_w + (cell_w - LABEL_W * scale) / 2
                oy = A4[1] - (row + 1) * cell_h + (cell_h - LABEL_H * scale) / 2
                c.saveState()
                c.translate(ox, oy)
                c.scale(scale, scale)
                draw_label(c, d)
                c.restoreState()
            c.showPage()
    c.save()
    return buf.getvalue()


def _cut_marks(c: Canvas) -> None:
    """Dashed lines where to cut an A4 sheet of four labels."""
    c.saveState()
    c.setStrokeColor(colors.HexColor("#9AA5B1"))
    c.setLineWidth(0.4)
    c.setDash(3, 3)
    c.line(A4[0] / 2, 0, A4[0] / 2, A4[1])
    c.line(0, A4[1] / 2, A4[0], A4[1] / 2)
    c.restoreState()
