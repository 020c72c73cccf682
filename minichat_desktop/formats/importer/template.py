"""The downloadable import template: the importer's columns with Thai and English headers
and example rows (a simple product, and a product with two variants); as XLSX, also a sheet
explaining each column in Thai and English."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Final

from minichat_desktop.errors import UserError
from minichat_desktop.files import atomic_write
from minichat_desktop.formats.importer.columns import COLUMNS

_TEMPLATE_ROWS: Final[tuple[dict[str, str | int], ...]] = (
    {
        "sku": "TEA-001",
        "name": "ชาไทยพร้อมดื่ม 250 มล.",
        "price": "35.00",
        "stock": 120,
        "category": "เครื่องดื่ม",
        "barcode": "8850999000017",
        "description": "ชาไทยสูตรต้นตำรับ หวานน้อย",
        "name_en": "Thai tea 250 ml",
        "compare_at_price": "40.00",
        "cost": "18.50",
        "tags": "ขายดี,เครื่องดื่ม",
        "active": "ใช่",
        "low_stock_threshold": 10,
    },
    {
        "sku": "SHIRT-RED-M",
        "name": "เสื้อยืดคอกลม",
        "price": "1,250.00",
        "stock": 8,
        "category": "เสื้อผ้า",
        "barcode": "8850999000024",
        "name_en": "Crew-neck T-shirt",
        "tags": "ใหม่",
        "active": "ใช่",
        "option1_name": "สี",
        "option1_value": "แดง",
        "option2_name": "ไซซ์",
        "option2_value": "M",
        "parent_sku": "SHIRT",
    },
    {
        "sku": "SHIRT-RED-L",
        "price": "1,290.00",
        "stock": 5,
        "barcode": "8850999000031",
        "active": "ใช่",
        "option1_value": "แดง",
        "option2_value": "L",
        "parent_sku": "SHIRT",
    },
)


def write_template(path: Path) -> Path:
    """Write an import template (XLSX or CSV by the extension) with Thai+English headers and
    example rows (a simple product, and a product with two variants). The XLSX has a frozen
    header, column widths and a second sheet “คำอธิบาย” explaining each column in Thai and
    English. Raises :class:`UserError` ``export.unsupported_format`` for another extension.
    """
    path = Path(path)
    headers = [c.header for c in COLUMNS]
    rows = [[r.get(c.key, "") for c in COLUMNS] for r in _TEMPLATE_ROWS]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_write(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(headers)
            w.writerows(rows)
        return path
    if suffix != ".xlsx":
        raise UserError(
            "export.unsupported_format",
            f"cannot write {path.name}: use a .xlsx or .csv file name",
            path=str(path),
        )
    from openpyxl import Workbook

    wb = Workbook()
    _products_sheet(wb, headers, rows)
    _help_sheet(wb)
    with atomic_write(path) as tmp:
        wb.save(tmp)
    return path


def _products_sheet(wb: Any, headers: list[str], rows: list[list[Any]]) -> None:
    """The first sheet: bold headers (required ones filled), the examples, widths."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.active
    assert ws is not None
    ws.title = "สินค้า"
    ws.append(headers)
    for r in rows:
        ws.append(r)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for i, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        if c.required:
            cell.fill = fill
        ws.column_dimensions[get_column_letter(i)].width = max(c.example_width, len(c.header) + 4)
    ws.freeze_panes = "A2"


def _help_sheet(wb: Any) -> None:
    """The sheet “คำอธิบาย”: each column, whether it is required, what it means (Thai and
    English), and the rules in a sentence."""
    from openpyxl.styles import Alignment, Font

    help_ws = wb.create_sheet("คำอธิบาย")
    help_ws.append(["คอลัมน์ (Column)", "จำเป็น (Required)", "คำอธิบาย", "Explanation"])
    for c in COLUMNS:
        help_ws.append([c.header, "ใช่ (yes)" if c.required else "", c.help_th, c.help_en])
    help_ws.append([])
    help_ws.append(
        [
            "",
            "",
            "หัวคอลัมน์ภาษาไทยหรืออังกฤษก็ได้ เรียงลำดับอย่างไรก็ได้ แถวที่มีรหัสสินค้าหลักเดียวกันคือ"
            "ตัวเลือกของสินค้าเดียวกัน ถ้ามีข้อผิดพลาดแม้แถวเดียว จะไม่นำเข้าอะไรเลย",
            "Headers may be Thai or English, in any order. Rows sharing a parent SKU are variants"
            " of one product. If any row has a problem, nothing is imported.",
        ]
    )
    bold = Font(bold=True)
    for cell in help_ws[1]:
        cell.font = bold
    for letter, width in zip("ABCD", (34, 16, 60, 60), strict=True):
        help_ws.column_dimensions[letter].width = width
    for row in help_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_ws.freeze_panes = "A2"
