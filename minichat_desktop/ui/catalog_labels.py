"""Barcode labels: Code 128 stickers on an A4 sheet (3 × 8 labels of 70 × 37 mm, the common
24-up label paper), one per variant, with the name, the code and the price.

Thai names are set as reportlab Paragraphs in the registered Sarabun font with
``shaping=1`` (HarfBuzz): a plain ``drawString`` would drop tone marks (ที่ → ที).
A variant without a barcode gets its SKU as the Code 128 value (scanners read either).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from minichat_desktop.app import catalog
from minichat_desktop.domain.catalog.products import ProductView
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.errors import DomainError
from minichat_desktop.files import atomic_write
from minichat_desktop.ui.dialogs import choose_file_to_save

log = logging.getLogger(__name__)

COLUMNS, ROWS = 3, 8
LABEL_W_MM, LABEL_H_MM = 70.0, 37.0


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    code: str
    price_satang: int


def labels_for(views: Iterable[ProductView]) -> list[Label]:
    """One label per active variant of each product (``name / option`` for variants)."""
    out = []
    for view in views:
        for v in view.variants:
            if not v.active:
                continue
            name = f"{view.name_th} / {v.title}" if v.title else view.name_th
            out.append(Label(name, v.barcode or v.sku, v.price_satang))
    return out


def _fonts() -> tuple[str, str]:
    """Sarabun registered with reportlab once, the documents' way (shaped Thai that also
    copies out right); returns (regular, bold) font names."""
    from minichat_desktop.documents import fonts

    fonts.register()
    return fonts.REGULAR, fonts.BOLD


def write_label_sheet(path: Path, labels: Sequence[Label]) -> int:
    """Write ``labels`` to a PDF at ``path``; returns the number of pages. Raises
    :class:`EnvironmentProblem` when the file cannot be written."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    regular, bold = _fonts()
    name_style = ParagraphStyle(
        "name", fontName=regular, fontSize=9, leading=11, alignment=TA_CENTER, shaping=1
    )
    small = ParagraphStyle(
        "code", fontName=regular, fontSize=7.5, leading=9, alignment=TA_CENTER, shaping=1
    )
    price_style = ParagraphStyle(
        "price", fontName=bold, fontSize=11, leading=13, alignment=TA_CENTER, shaping=1
    )
    page_w, page_h = A4
    label_w, label_h = LABEL_W_MM * mm, LABEL_H_MM * mm
    margin_x = (page_w - COLUMNS * label_w) / 2
    margin_y = (page_h - ROWS * label_h) / 2
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(labels) // per_page))
    with atomic_write(path, problem="env.export_failed") as tmp:
        canvas = Canvas(str(tmp), pagesize=A4)
        canvas.setTitle("MiniChat labels")
        for i, label in enumerate(labels):
            if i and i % per_page == 0:
                canvas.showPage()
            slot = i % per_page
            col, row = slot % COLUMNS, slot // COLUMNS
            x = margin_x + col * label_w
            top = page_h - margin_y - row * label_h
            inner = label_w - 8 * mm
            name = Paragraph(escape(_shorten(label.name, 60)), name_style)
            _, h = name.wrap(inner, 12 * mm)
            name.drawOn(canvas, x + 4 * mm, top - 3 * mm - h)
            code = Code128(label.code, barHeight=11 * mm, barWidth=0.3 * mm, quiet=False)
            if code.width > inner:
                code = Code128(
                    label.code, barHeight=11 * mm, barWidth=0.3 * mm * inner / code.width,
                    quiet=False,
                )  # fmt: skip
            code.drawOn(canvas, x + (label_w - code.width) / 2, top - 27 * mm)
            text = Paragraph(escape(label.code), small)
            text.wrap(inner, 5 * mm)
            text.drawOn(canvas, x + 4 * mm, top - 31 * mm)
            price = Paragraph(format_baht(label.price_satang, symbol=True), price_style)
            price.wrap(inner, 6 * mm)
            price.drawOn(canvas, x + 4 * mm, top - 36 * mm)
        canvas.save()
    return pages


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def print_labels_dialog(screen: Any) -> Path | None:
    """Ask where to save the labels of the selected product (or, with none selected, of
    the products in the list) and write the PDF off the UI thread."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from minichat_desktop.ui.errors import show_error

    ids = (
        [screen.detail.view.id]
        if screen.detail.view is not None
        else [h.product_id for h in screen.model.rows[:200]]
    )
    if not ids:
        return None
    name, _ = await choose_file_to_save(
        screen, screen.tr("Print barcode labels"), "labels.pdf", screen.tr("PDF (*.pdf)")
    )
    if not name:
        return None
    path = Path(name).with_suffix(".pdf")
    try:
        views = await screen.ctx.ops.read(catalog.get_products, ids)
        await asyncio.to_thread(write_label_sheet, path, labels_for(views))
    except DomainError as exc:
        show_error(screen, exc)
        return None
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
    return path
