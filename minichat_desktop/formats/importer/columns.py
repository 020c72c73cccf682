"""The importer's columns: what each means, the headers the template writes, the aliases a
person may type (Thai or English, any case, ``ชื่อ (name)`` style), and the limits checked."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

MAX_ROWS: Final = 100_000
MAX_PRICE_SATANG: Final = 1_000_000_000  # 10,000,000 baht
MAX_STOCK: Final = 10_000_000
MAX_THRESHOLD: Final = 1_000_000
MAX_SKU: Final = 64
MAX_NAME: Final = 300
MAX_BARCODE: Final = 64
MAX_CATEGORY: Final = 100
MAX_OPTION: Final = 100
MAX_DESCRIPTION: Final = 20_000
DEFAULT_THRESHOLD: Final = 5


@dataclass(frozen=True, slots=True)
class Column:
    """A column the importer knows: its key, template headers, accepted aliases, help text."""

    key: str
    thai: str
    aliases: tuple[str, ...]
    help_th: str
    help_en: str
    required: bool = False
    example_width: int = 14

    @property
    def header(self) -> str:
        """The header the template and the export write: ``ชื่อสินค้า (name)``."""
        return f"{self.thai} ({self.key})"


COLUMNS: Final[tuple[Column, ...]] = (
    Column("sku", "รหัสสินค้า", ("รหัส", "code"), "รหัสสินค้า ไม่ซ้ำ ไม่เกิน 64 ตัวอักษร (สำหรับ"
           "ตัวเลือกสินค้า: รหัสของตัวเลือกนั้น)", "Unique SKU, up to 64 characters (on a variant "
           "row: the variant's SKU).", required=True, example_width=16),
    Column("name", "ชื่อสินค้า", ("ชื่อ", "name_th", "product_name", "title"),
           "ชื่อสินค้า ไม่เกิน 300 ตัวอักษร", "Product name (Thai), up to 300 characters.",
           required=True, example_width=32),
    Column("price", "ราคา", ("ราคาขาย", "selling_price"), "ราคาขาย (บาท) เช่น 1,250.00 หรือ "
           "฿1,250 ทศนิยมไม่เกิน 2 ตำแหน่ง", "Price in baht, e.g. 1,250.00 or ฿1,250; at most 2 "
           "decimals.", required=True),
    Column("stock", "สต็อก", ("สต๊อก", "คงเหลือ", "จำนวน", "qty", "quantity", "on_hand"),
           "จำนวนคงเหลือ (จำนวนเต็ม ≥ 0) สินค้าใหม่: สต็อกเริ่มต้น สินค้าเดิม: ปรับให้เท่ากับจำนวนนี้ "
           "เว้นว่าง = ไม่เปลี่ยน", "Units in stock (whole number ≥ 0). New product: opening stock; "
           "existing: the level is set to this; blank: unchanged."),
    Column("category", "หมวดหมู่", ("หมวด",), "ชื่อหมวดหมู่ (สร้างให้ถ้ายังไม่มี)",
           "Category name (created if new).", example_width=18),
    Column("barcode", "บาร์โค้ด", ("ean", "upc"), "บาร์โค้ด ห้ามซ้ำกับสินค้าอื่น",
           "Barcode; must not be used by another product.", example_width=16),
    Column("description", "รายละเอียด", ("คำอธิบายสินค้า",), "รายละเอียดสินค้า",
           "Description.", example_width=30),
    Column("name_en", "ชื่อภาษาอังกฤษ", ("ชื่ออังกฤษ", "english_name"), "ชื่อสินค้าภาษาอังกฤษ",
           "Name in English.", example_width=24),
    Column("compare_at_price", "ราคาเต็ม", ("ราคาปกติ", "compare_price", "list_price"),
           "ราคาก่อนลด (แสดงขีดฆ่า)", "Price before discount (shown struck through)."),
    Column("cost", "ต้นทุน", ("cost_price",), "ราคาทุน (บาท)", "Cost price in baht."),
    Column("tags", "แท็ก", ("แทก", "tag"), "คำค้น คั่นด้วยจุลภาค เช่น ขายดี,ใหม่",
           "Tags separated by commas, e.g. bestseller,new.", example_width=18),
    Column("active", "เปิดขาย", ("สถานะขาย", "enabled"), "ใช่/ไม่ (yes/no, 1/0) เว้นว่าง = ใช่",
           "yes/no, 1/0, true/false, ใช่/ไม่; blank = yes."),
    Column("low_stock_threshold", "แจ้งเตือนเมื่อเหลือ", ("จุดสั่งซื้อ", "low_stock", "reorder_point"),
           "แจ้งเตือนสต็อกต่ำเมื่อเหลือเท่านี้ (เว้นว่าง = 5)",
           "Warn when stock falls to this (blank = 5)."),
    Column("option1_name", "ชื่อตัวเลือก1", (), "ชื่อตัวเลือกที่ 1 เช่น สี",
           "Name of option 1, e.g. colour."),
    Column("option1_value", "ตัวเลือก1", (), "ค่าของตัวเลือกที่ 1 เช่น แดง",
           "Value of option 1, e.g. red."),
    Column("option2_name", "ชื่อตัวเลือก2", (), "ชื่อตัวเลือกที่ 2 เช่น ไซซ์",
           "Name of option 2, e.g. size."),
    Column("option2_value", "ตัวเลือก2", (), "ค่าของตัวเลือกที่ 2 เช่น M",
           "Value of option 2, e.g. M."),
    Column("parent_sku", "รหัสสินค้าหลัก", ("รหัสหลัก",), "แถวที่มีรหัสสินค้าหลักเดียวกัน = ตัวเลือก"
           "ของสินค้าเดียวกัน (เว้นว่างถ้าไม่มีตัวเลือก)", "Rows sharing a parent SKU are variants "
           "of that product (blank for a product without options).", example_width=16),
)  # fmt: skip

REQUIRED: Final = tuple(c.key for c in COLUMNS if c.required)
PRODUCT_LEVEL: Final = (
    "name_en",
    "description",
    "category",
    "compare_at_price",
    "cost",
    "tags",
    "low_stock_threshold",
    "option1_name",
    "option2_name",
)


def _header_key(text: str) -> str:
    folded = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"[\s_\-.*]+", "", folded)


_ALIASES: Final[dict[str, str]] = {
    _header_key(alias): c.key for c in COLUMNS for alias in (c.key, c.thai, c.header, *c.aliases)
}
_BRACKETED: Final = re.compile(r"^(.*?)\s*[(\[](.*)[)\]]\s*$")


def column_for_header(header: str) -> str | None:
    """The column key a header names (``"ราคา (price)"``, ``"Price"``, ``"สต๊อก"``), or None."""
    key = _ALIASES.get(_header_key(header))
    if key is None and (m := _BRACKETED.match(header.strip())):
        key = _ALIASES.get(_header_key(m[1])) or _ALIASES.get(_header_key(m[2]))
    return key
