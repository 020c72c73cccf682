"""Product import from CSV and XLSX files, all or nothing, and the downloadable template.

A file is read and every row checked before anything is stored. Any problem means nothing is
stored, and *every* problem is reported at once as ``row N, column C: what is wrong`` (an
:class:`ImportFailed` carrying :class:`ImportProblem` values): N is the row number the
spreadsheet shows (the header is row 1; blank rows are skipped but still counted) and C the
column header as the person typed it — for XLSX with its letter too (``column C (price)``).
Problems about the whole file (empty, unreadable, too many rows) have row 0.

Columns (header row 1; case, spaces, ``_`` and ``-`` do not matter; any order; ``ชื่อ (name)``
style headers — Thai with English in brackets, as the template writes — are understood too):

=====================  ================================  =========================================
English                Thai                              meaning
=====================  ================================  =========================================
sku *                  รหัสสินค้า, รหัส                     SKU of the product (or of the variant)
name *                 ชื่อสินค้า, ชื่อ                      name (Thai), ≤ 300 characters
price *                ราคา, ราคาขาย                       price in baht: 1,250.00 / ฿1,250 / ๑๒๕๐
stock                  สต็อก, สต๊อก, คงเหลือ, จำนวน            units in stock (whole number ≥ 0)
category               หมวดหมู่, หมวด                      category name (created if new)
barcode                บาร์โค้ด                             barcode (unique across the shop)
description            รายละเอียด                          free text
name_en                ชื่อภาษาอังกฤษ, ชื่ออังกฤษ             name in English
compare_at_price       ราคาเต็ม, ราคาปกติ                   the "was" price shown struck through
cost                   ต้นทุน                              cost price (baht)
tags                   แท็ก, แทก                           comma-separated
active                 เปิดขาย                             yes/no, 1/0, true/false, ใช่/ไม่
low_stock_threshold    แจ้งเตือนเมื่อเหลือ                    warn when stock falls to this
option1_name           ชื่อตัวเลือก1                         e.g. สี (colour)
option1_value          ตัวเลือก1                            e.g. แดง
option2_name           ชื่อตัวเลือก2                         e.g. ไซซ์
option2_value          ตัวเลือก2                            e.g. M
parent_sku             รหัสสินค้าหลัก                        rows sharing it are variants of one product
=====================  ================================  =========================================

(* required.) Unknown columns are ignored and named in :attr:`ImportResult.warnings`.

Rules:

- Upsert by SKU: a row whose SKU (or ``parent_sku``) names an existing product updates it.
  A column absent from the file leaves that field of existing products as it is; a blank
  cell in a present column clears it (or sets its default: active yes, threshold 5).
- ``stock``: for a new product (or a new variant) the opening stock, recorded as a stock
  movement with reason ``import``. For an existing variant it *sets* the level: one movement
  with reason ``import`` and a note naming the file brings the stock to the number in the
  file. A blank stock cell leaves an existing level as it is (0 for a new product). Products
  that do not track inventory get no movements.
- Variants: rows sharing ``parent_sku`` are the variants of the product with that SKU (the
  ``sku`` column is the variant's SKU). The product takes name, price, category and the
  other product-level columns from its first row; a later row may leave them blank, but if it
  fills them in differently that is a problem (``import.variant_mismatch``). A variant row's
  price is the variant's price (blank or equal to the product's: the product's price), its
  ``active`` the variant's (the product is active when any variant is). Variants of an
  existing product that the file no longer lists are deactivated, as the product form does.
- Money is read as text (``1,250.00``, ``฿1,250``, Thai digits) or, in XLSX, as a number cell
  converted through its 15-significant-digit decimal form (what Excel shows; never float
  arithmetic). At most 2 decimals, at most 10,000,000 baht.
- The whole import is one unit of work: a failure, or a killed process, leaves the database
  as it was. It stores through SQLAlchemy Core in bulk (``catalog.save_product`` per row is
  too slow for 10k rows) while keeping the catalog's invariants: the search columns computed
  as :func:`catalog.save_product` does, stock only through ``stock_movements``, and one audit
  entry per import with the counts.
- CSV encodings: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-874 / TIS-620
  (Thai Excel's "CSV" export); the result says which was used. Delimiter ``,``, ``;`` or tab.

Problem codes (:attr:`ImportProblem.code`; the UI translates them):

- the file (row 0): ``import.unsupported_file`` (not .csv/.xlsx), ``import.corrupt_file``,
  ``import.bad_encoding``, ``import.empty_file``, ``import.no_rows`` (header only),
  ``import.too_many_rows`` (more than 100,000);
- the header (row 1): ``import.missing_column`` (sku, name or price), ``import.duplicate_column``;
- cells: ``import.sku_required``, ``import.sku_too_long`` (> 64), ``import.duplicate_sku``,
  ``import.name_required``, ``import.name_too_long`` (> 300), ``import.text_too_long``,
  ``import.price_required``, ``import.bad_price``, ``import.negative_price``,
  ``import.too_many_decimals``, ``import.price_too_high`` (> 10,000,000 baht),
  ``import.bad_stock`` (text, fraction, too large), ``import.negative_stock``,
  ``import.bad_active``, ``import.bad_threshold``, ``import.duplicate_barcode`` (in the file),
  ``import.option_name_required``, ``import.variant_mismatch``, ``import.duplicate_variant``;
- against the shop's data: ``import.barcode_taken``, ``import.sku_taken`` (another product's).

The exception itself is ``import.failed``; a missing file is ``import.no_file``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import Table, bindparam, column, func, insert, select, table, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from minichat_desktop.domain.catalog.products import normalize_code, search_fields
from minichat_desktop.domain.errors import EnvironmentProblem, UserError
from minichat_desktop.domain.models import (
    AuditEntry,
    Base,
    Category,
    MovementReason,
    Product,
    ProductVariant,
    utcnow,
)
from minichat_desktop.domain.thai import ThaiFormatError, parse_baht, thai_digits_to_arabic
from minichat_desktop.files import atomic_write

if TYPE_CHECKING:
    from minichat_desktop.storage.db import Database

__all__ = [
    "COLUMNS",
    "MAX_PRICE_SATANG",
    "MAX_ROWS",
    "CellError",
    "Column",
    "ImportFailed",
    "ImportProblem",
    "ImportResult",
    "cell_text",
    "column_for_header",
    "import_products",
    "parse_count_cell",
    "parse_money_cell",
    "write_template",
]

log = logging.getLogger(__name__)

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
_CHUNK: Final = 2_000  # rows per bulk statement (and per progress report)
_IN_CHUNK: Final = 5_000  # values per IN (...) lookup

CellValue = (
    str | int | float | bool | Decimal | dt.datetime | dt.date | dt.time | dt.timedelta | None
)
Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------- columns


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
_PRODUCT_LEVEL: Final = (
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


# ---------------------------------------------------------------------------- problems


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One thing wrong in the file. ``row`` as the spreadsheet shows it (0: the whole file),
    ``column`` the header as typed (or the missing column's name), ``letter`` the XLSX column
    letter when there is one."""

    row: int
    column: str
    message: str
    code: str
    letter: str = ""

    def __str__(self) -> str:
        if self.row == 0:
            return self.message
        col = f"{self.letter} ({self.column})" if self.letter else self.column
        return f"row {self.row}, column {col}: {self.message}"


class ImportFailed(UserError):
    """The file was not imported (nothing was stored); ``problems`` lists every reason."""

    def __init__(self, path: Path, problems: Sequence[ImportProblem]) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(
            "import.failed",
            f"nothing imported from {path.name}: {shown}{more}",
            file=path.name,
            count=len(self.problems),
        )


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did. ``created``/``updated``/``unchanged`` count products; ``warnings``
    are things worth telling that did not stop it (ignored columns, the encoding guessed)."""

    created: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...] = ()
    rows: int = 0
    encoding: str | None = None  # CSV only: "utf-8", "utf-16" or "cp874"
    stock_movements: int = 0


class CellError(ValueError):
    """A cell's value cannot be used; ``code`` is an ``import.*`` problem code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------- cells


def _shown(value: CellValue) -> str:
    text = cell_text(value)
    return f'"{text}"' if len(text) <= 40 else f'"{text[:37]}..."'


def cell_text(value: CellValue) -> str:
    """A cell as trimmed text: whole numbers without ``.0`` (barcodes typed as numbers stay
    digits), other floats as Excel shows them (15 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


_SATANG: Final = Decimal("0.01")
_PLAIN_MONEY: Final = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


def parse_money_cell(value: CellValue, *, label: str = "price") -> int:
    """Integer satang from a money cell: text (``1,250.00``, ``฿1,250``, Thai digits) or a number.

    A float (XLSX number cell) goes through its 15-significant-digit decimal text — what Excel
    shows — so ``19.99`` is 1999 satang and float noise such as ``0.30000000000000004`` (a
    formula result) reads as 0.30; there is no float arithmetic. Raises :class:`CellError`
    (``import.bad_price``, ``import.negative_price``, ``import.too_many_decimals``,
    ``import.price_too_high``). Blank is the caller's business (it raises here too).
    """
    if isinstance(value, bool | dt.datetime | dt.date | dt.time):
        raise CellError("import.bad_price", f"{_shown(value)} is not a {label}")
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError("import.bad_price", f"{_shown(value)} is not a {label}")
        amount = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        if amount < 0:
            raise CellError(
                "import.negative_price", f"{label} cannot be negative ({_shown(value)})"
            )
        if amount > MAX_PRICE_SATANG / 100:
            raise CellError(
                "import.price_too_high", f"{_shown(value)} is more than 10,000,000 baht"
            )
        try:
            quantized = amount.quantize(_SATANG)
        except InvalidOperation as exc:  # pragma: no cover - guarded by the range check
            raise CellError("import.bad_price", f"{_shown(value)} is not a {label}") from exc
        if quantized != amount:
            raise CellError(
                "import.too_many_decimals",
                f"{_shown(value)} has more than 2 decimals (satang are the smallest unit)",
            )
        satang = int(quantized.scaleb(2))
    elif isinstance(value, str) and (m := _PLAIN_MONEY.fullmatch(value)) is not None:
        # The common case (``1,250.00``, ``35``) without the general parser's work.
        satang = int(m[1].replace(",", "")) * 100 + int((m[2] or "").ljust(2, "0"))
    else:
        text = cell_text(value)
        try:
            satang = parse_baht(text)
        except ThaiFormatError as exc:
            code = {
                "money.negative": "import.negative_price",
                "money.too_many_decimals": "import.too_many_decimals",
            }.get(exc.code, "import.bad_price")
            message = {
                "import.negative_price": f"{label} cannot be negative ({_shown(value)})",
                "import.too_many_decimals": (
                    f"{_shown(value)} has more than 2 decimals (satang are the smallest unit)"
                ),
            }.get(code, f"{_shown(value)} is not a {label} (write it like 1,250.00)")
            raise CellError(code, message) from exc
    if satang > MAX_PRICE_SATANG:
        raise CellError("import.price_too_high", f"{_shown(value)} is more than 10,000,000 baht")
    return satang


_INT_TEXT: Final = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0*)?")


def parse_count_cell(value: CellValue, *, code: str = "import.bad_stock", maximum: int) -> int:
    """A whole number ≥ 0 from a cell (``12``, ``1,200``, ``๑๒``, ``12.0``, a number cell).

    Raises :class:`CellError` with ``code`` for text, fractions and too-large numbers, and
    ``import.negative_stock`` for negative numbers when ``code`` is ``import.bad_stock``.
    """
    negative_code = "import.negative_stock" if code == "import.bad_stock" else code
    number: int
    if isinstance(value, bool) or value is None:
        raise CellError(code, f"{_shown(value)} is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(code, f"{_shown(value)} is not a whole number")
        if value != int(value):
            raise CellError(code, f"{_shown(value)} is not a whole number")
        number = int(value)
    elif isinstance(value, str):
        m = _INT_TEXT.fullmatch(thai_digits_to_arabic(value).strip())
        if m is None:
            raise CellError(code, f"{_shown(value)} is not a whole number")
        number = int(m[2].replace(",", ""))
        if m[1] == "-":
            number = -number
    else:
        raise CellError(code, f"{_shown(value)} is not a whole number")
    if number < 0:
        raise CellError(negative_code, f"{_shown(value)} is negative; use 0 or more")
    if number > maximum:
        raise CellError(code, f"{_shown(value)} is too large (at most {maximum:,})")
    return number


_YES: Final = frozenset({"yes", "y", "1", "true", "t", "ใช่", "เปิด", "เปิดขาย", "on", "x", "✓"})
_NO: Final = frozenset({"no", "n", "0", "false", "f", "ไม่", "ไม่ใช่", "ปิด", "ปิดขาย", "off"})


def _parse_flag(value: CellValue) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).casefold()
    if text == "" or text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError("import.bad_active", f"{_shown(value)} is not yes/no (use yes, no, ใช่, ไม่)")


# ---------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, Sequence[CellValue]]]  # (row number, cells), blank rows included
    letters: bool
    encoding: str | None = None


class _FileProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = ImportProblem(0, "", message, code)


def _decode_csv(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp874"), "cp874"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data or data.startswith(b"PK\x03\x04"):
        raise _FileProblem(
            "import.corrupt_file", "the file is not a CSV text file (save it as CSV or XLSX)"
        )
    raise _FileProblem(
        "import.bad_encoding",
        "the file's text encoding is not UTF-8 or Thai (TIS-620/Windows-874); "
        "save it as “CSV UTF-8”",
    )


def _read_csv(path: Path) -> _Sheet:
    data = path.read_bytes()
    text, encoding = _decode_csv(data)
    if not text.strip():
        raise _FileProblem("import.empty_file", "the file is empty")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise _FileProblem("import.corrupt_file", f"the file is not valid CSV: {exc}") from exc

    def rows() -> Iterator[tuple[int, Sequence[CellValue]]]:
        n = 1
        try:
            for record in reader:
                n += 1
                yield n, record
        except csv.Error as exc:
            raise _FileProblem(
                "import.corrupt_file", f"row {n + 1}: the file is not valid CSV ({exc})"
            ) from exc

    return _Sheet([h.strip() for h in headers], rows(), letters=False, encoding=encoding)


def _read_xlsx(path: Path) -> tuple[_Sheet, Callable[[], None]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise _FileProblem(
            "import.corrupt_file", "the file is damaged or is not an Excel workbook (.xlsx)"
        ) from exc
    except Exception as exc:  # openpyxl raises many kinds for broken XML
        log.warning("cannot open %s as XLSX: %r", path, exc)
        raise _FileProblem(
            "import.corrupt_file", "the file is damaged or is not an Excel workbook (.xlsx)"
        ) from exc
    if not wb.worksheets:
        wb.close()
        raise _FileProblem("import.empty_file", "the workbook has no sheets")
    ws = wb.worksheets[0]
    # data_only and no rich_text: openpyxl yields values, never formula or rich-text objects
    rows_iter = cast(Iterator[tuple[CellValue, ...]], ws.iter_rows(values_only=True))
    try:
        first = next(rows_iter, None)
    except Exception as exc:
        wb.close()
        raise _FileProblem("import.corrupt_file", "the workbook's first sheet is damaged") from exc
    if first is None or all(cell_text(v) == "" for v in first):
        wb.close()
        raise _FileProblem("import.empty_file", "the file is empty (no header in row 1)")

    def rows() -> Iterator[tuple[int, Sequence[CellValue]]]:
        n = 1
        try:
            for record in rows_iter:
                n += 1
                yield n, record
        except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            raise _FileProblem(
                "import.corrupt_file", f"the workbook is damaged near row {n + 1}"
            ) from exc

    return _Sheet([cell_text(h) for h in first], rows(), letters=True), wb.close


def _open_sheet(path: Path) -> tuple[_Sheet, Callable[[], None]]:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        hint = " (save it as .xlsx)" if suffix == ".xls" else ""
        raise _FileProblem(
            "import.unsupported_file", f"{path.name} is not a CSV or XLSX file{hint}"
        )
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path)
        return _read_csv(path), lambda: None
    except FileNotFoundError as exc:
        raise UserError("import.no_file", f"no file at {path}", path=str(path)) from exc
    except PermissionError as exc:
        raise EnvironmentProblem(
            "env.file_unreadable", f"cannot read {path}: permission denied", path=str(path)
        ) from exc


# ---------------------------------------------------------------------------- parsing rows


@dataclass(slots=True)
class _VariantPlan:
    row: int
    sku: str
    barcode: str | None
    options: dict[str, str]
    price: int | None  # own price, None: the product's
    stock: int | None  # None: unchanged (or 0 when new)
    active: bool
    title: str = ""


@dataclass(slots=True)
class _ProductPlan:
    row: int
    sku: str
    values: dict[str, Any]  # product columns as they will be stored (present columns only)
    option_names: list[str]
    variants: list[_VariantPlan] = field(default_factory=list)
    grouped: bool = False
    raw: dict[str, str] = field(default_factory=dict)  # first row's product-level cells


class _Collector:
    def __init__(self, headers: list[str], index: dict[str, int], letters: bool) -> None:
        self.problems: list[ImportProblem] = []
        self.headers = headers
        self.index = index
        self.letters = letters

    def add(self, row: int, key: str, code: str, message: str) -> None:
        col = self.index.get(key)
        if col is None:
            self.problems.append(ImportProblem(row, key, message, code))
            return
        self.problems.append(
            ImportProblem(row, self.headers[col] or key, message, code, self._letter(col))
        )

    def _letter(self, col: int) -> str:
        if not self.letters:
            return ""
        from openpyxl.utils import get_column_letter

        return str(get_column_letter(col + 1))

    def header_problem(self, col: int, code: str, message: str) -> None:
        self.problems.append(
            ImportProblem(1, self.headers[col] or f"#{col + 1}", message, code, self._letter(col))
        )


def _map_headers(sheet: _Sheet, out: _Collector, warnings: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for col, header in enumerate(sheet.headers):
        if not header:
            continue
        key = column_for_header(header)
        if key is None:
            label = f"{out._letter(col)} ({header})" if sheet.letters else header
            warnings.append(f"column {label} is not known and was ignored")
            continue
        if key in index:
            first = sheet.headers[index[key]]
            out.header_problem(
                col, "import.duplicate_column", f"the column {key} appears twice (also “{first}”)"
            )
            continue
        index[key] = col
    out.index = index
    for key in REQUIRED:
        if key not in index:
            out.problems.append(
                ImportProblem(
                    1, key, f"the required column {key} is missing", "import.missing_column"
                )
            )
    return index


_TAG_SEPARATORS: Final = re.compile(r"[,،、，]")


def _split_tags(text: str) -> list[str]:
    if not text:
        return []
    parts = _TAG_SEPARATORS.split(text)
    return list(dict.fromkeys(t.strip() for t in parts if t.strip()))


def _parse_rows(sheet: _Sheet, path: Path) -> tuple[list[_ProductPlan], set[str], list[str], int]:
    """Check every row; return product plans, the columns present, warnings and the row count.
    Raises ImportFailed listing every problem."""
    warnings: list[str] = []
    out = _Collector(sheet.headers, {}, sheet.letters)
    index = _map_headers(sheet, out, warnings)
    if any(p.code == "import.missing_column" for p in out.problems):
        raise ImportFailed(path, out.problems)
    present = set(index)
    getters = [(key, col) for key, col in index.items()]

    products: dict[str, _ProductPlan] = {}
    sku_rows: dict[str, int] = {}
    barcode_rows: dict[str, int] = {}
    simple_rows: dict[str, int] = {}
    parent_first: dict[str, int] = {}
    count = 0
    add = out.add

    for n, record in sheet.rows:
        # Non-blank cells by column key, and their text (most cells are text already).
        cells: dict[str, CellValue] = {}
        texts: dict[str, str] = {}
        width = len(record)
        for key, col in getters:
            value = record[col] if col < width else None
            if value is None:
                continue
            if type(value) is str:
                value = value.strip()
                if not value:
                    continue
                texts[key] = value
            else:
                texts[key] = cell_text(value)
            cells[key] = value
        if not cells:
            continue
        count += 1
        if count > MAX_ROWS:
            raise ImportFailed(
                path,
                [
                    ImportProblem(
                        0,
                        "",
                        f"the file has more than {MAX_ROWS:,} rows; split it into smaller files",
                        "import.too_many_rows",
                    )
                ],
            )

        # sku
        sku = normalize_code(texts.get("sku", "")) or ""
        if not sku:
            add(n, "sku", "import.sku_required", "the SKU is empty")
        elif len(sku) > MAX_SKU:
            add(n, "sku", "import.sku_too_long", f"the SKU is longer than {MAX_SKU} characters")
            sku = ""
        elif sku in sku_rows:
            add(n, "sku", "import.duplicate_sku", f"SKU {sku} is already in row {sku_rows[sku]}")
            sku = ""
        else:
            sku_rows[sku] = n
        parent = normalize_code(texts.get("parent_sku", "")) or ""
        if len(parent) > MAX_SKU:
            add(n, "parent_sku", "import.sku_too_long", f"longer than {MAX_SKU} characters")
            parent = ""
        first_of_group = bool(parent) and parent not in products
        group = products.get(parent) if parent and not first_of_group else None
        if group is not None and not group.grouped:
            group = None
        is_product_row = not parent or first_of_group

        # product-level values
        name = texts.get("name", "")
        if is_product_row:
            if not name:
                add(n, "name", "import.name_required", "the name is empty")
            elif len(name) > MAX_NAME:
                add(
                    n,
                    "name",
                    "import.name_too_long",
                    f"the name is longer than {MAX_NAME} characters",
                )
        name_en = texts.get("name_en", "")
        if len(name_en) > MAX_NAME:
            add(
                n,
                "name_en",
                "import.name_too_long",
                f"the name is longer than {MAX_NAME} characters",
            )
        description = texts.get("description", "")
        if len(description) > MAX_DESCRIPTION:
            add(
                n,
                "description",
                "import.text_too_long",
                f"longer than {MAX_DESCRIPTION:,} characters",
            )
        category = " ".join(texts.get("category", "").split())
        if len(category) > MAX_CATEGORY:
            add(n, "category", "import.text_too_long", f"longer than {MAX_CATEGORY} characters")

        money: dict[str, int | None] = {}
        for key, label in (("price", "price"), ("compare_at_price", "price"), ("cost", "cost")):
            raw = cells.get(key)
            if raw is None:
                money[key] = None
                if key == "price" and is_product_row:
                    add(n, "price", "import.price_required", "the price is empty")
                continue
            try:
                money[key] = parse_money_cell(raw, label=label)
            except CellError as exc:
                add(n, key, exc.code, exc.message)
                money[key] = None

        stock: int | None = None
        if "stock" in cells:
            try:
                stock = parse_count_cell(cells["stock"], maximum=MAX_STOCK)
            except CellError as exc:
                add(n, "stock", exc.code, exc.message)
        threshold: int | None = None
        if "low_stock_threshold" in cells:
            try:
                threshold = parse_count_cell(
                    cells["low_stock_threshold"], code="import.bad_threshold", maximum=MAX_THRESHOLD
                )
            except CellError as exc:
                add(n, "low_stock_threshold", exc.code, exc.message)
        active = True
        try:
            active = _parse_flag(cells.get("active"))
        except CellError as exc:
            add(n, "active", exc.code, exc.message)

        barcode = normalize_code(texts.get("barcode", ""))
        if barcode is not None:
            if len(barcode) > MAX_BARCODE:
                add(n, "barcode", "import.text_too_long", f"longer than {MAX_BARCODE} characters")
            elif barcode in barcode_rows:
                add(
                    n,
                    "barcode",
                    "import.duplicate_barcode",
                    f"barcode {barcode} is already in row {barcode_rows[barcode]}",
                )
            else:
                barcode_rows[barcode] = n

        option_names: list[str] = []
        options: dict[str, str] = {}
        for i in (1, 2):
            oname, ovalue = texts.get(f"option{i}_name", ""), texts.get(f"option{i}_value", "")
            if not oname and group is not None and i <= len(group.option_names):
                oname = group.option_names[i - 1]  # later variant rows may leave names blank
            for key, val in ((f"option{i}_name", oname), (f"option{i}_value", ovalue)):
                if len(val) > MAX_OPTION:
                    add(n, key, "import.text_too_long", f"longer than {MAX_OPTION} characters")
            if ovalue and not oname:
                add(
                    n,
                    f"option{i}_name",
                    "import.option_name_required",
                    f"option {i} has a value ({ovalue}) but no name",
                )
            if oname:
                option_names.append(oname)
                if ovalue:
                    options[oname] = ovalue
        if len(option_names) == 2 and option_names[0] == option_names[1]:
            add(n, "option2_name", "import.variant_mismatch", "both options have the same name")

        raw_product = {
            "name_en": name_en,
            "description": description,
            "category": category,
            "compare_at_price": texts.get("compare_at_price", ""),
            "cost": texts.get("cost", ""),
            "tags": texts.get("tags", ""),
            "low_stock_threshold": texts.get("low_stock_threshold", ""),
            "option1_name": texts.get("option1_name", ""),
            "option2_name": texts.get("option2_name", ""),
        }
        variant = _VariantPlan(
            row=n,
            sku=sku,
            barcode=barcode,
            options=options,
            price=money["price"],
            stock=stock,
            active=active,
        )

        if not parent:
            if sku in parent_first:
                add(
                    n,
                    "sku",
                    "import.variant_mismatch",
                    f"SKU {sku} is also the parent_sku of the variants from row "
                    f"{parent_first[sku]}",
                )
            if sku:
                simple_rows[sku] = n
                variant.price = None
                variant.active = True  # "active" is the product's on a row without options
                products[sku] = _ProductPlan(
                    row=n,
                    sku=sku,
                    values=_product_values(
                        name,
                        name_en,
                        description,
                        category,
                        money,
                        texts.get("tags", ""),
                        active,
                        threshold,
                    ),
                    option_names=option_names,
                    variants=[variant],
                    raw=raw_product,
                )
            continue

        if parent in simple_rows:
            add(
                n,
                "parent_sku",
                "import.variant_mismatch",
                f"{parent} is a product without options in row {simple_rows[parent]}",
            )
            continue
        plan = products.get(parent)
        if plan is None:
            parent_first[parent] = n
            plan = products[parent] = _ProductPlan(
                row=n,
                sku=parent,
                values=_product_values(
                    name,
                    name_en,
                    description,
                    category,
                    money,
                    texts.get("tags", ""),
                    active,
                    threshold,
                ),
                option_names=option_names,
                grouped=True,
                raw=raw_product,
            )
            if variant.price == money["price"]:
                variant.price = None
        else:
            for key in _PRODUCT_LEVEL:
                mine, theirs = raw_product[key], plan.raw[key]
                if mine and mine != theirs:
                    add(
                        n,
                        key,
                        "import.variant_mismatch",
                        f"“{mine}” differs from row {plan.row} (“{theirs}”), the first row of "
                        f"product {parent}: variants share it",
                    )
            if variant.price is not None and variant.price == plan.values.get("price_satang"):
                variant.price = None
            if active:
                plan.values["active"] = True
            combo = tuple(options.get(o, "") for o in plan.option_names)
            for other in plan.variants:
                if any(combo) and combo == tuple(
                    other.options.get(o, "") for o in plan.option_names
                ):
                    add(
                        n,
                        "option1_value",
                        "import.duplicate_variant",
                        f"row {other.row} has the same options "
                        f"({' / '.join(c for c in combo if c)})",
                    )
                    break
        if sku:
            plan.variants.append(variant)

    if count == 0 and not out.problems:
        raise ImportFailed(
            path,
            [ImportProblem(0, "", "the file has a header but no products", "import.no_rows")],
        )
    if out.problems:
        raise ImportFailed(path, out.problems)
    for plan in products.values():
        for vp in plan.variants:
            vp.title = _variant_title(vp.options, plan.option_names)
    return list(products.values()), present, warnings, count


def _product_values(
    name: str,
    name_en: str,
    description: str,
    category: str,
    money: dict[str, int | None],
    tags: str,
    active: bool,
    threshold: int | None,
) -> dict[str, Any]:
    return {
        "name_th": name,
        "name_en": name_en,
        "description": description,
        "price_satang": money["price"],
        "compare_at_satang": money["compare_at_price"],
        "cost_satang": money["cost"],
        "category": category,
        "tags": _split_tags(tags),
        "active": active,
        "low_stock_threshold": DEFAULT_THRESHOLD if threshold is None else threshold,
    }


def _variant_title(options: dict[str, str], option_names: Sequence[str]) -> str:
    # As catalog's variant titles: option values in the product's option order.
    ordered = [options[n] for n in option_names if options.get(n)]
    ordered += [v for k, v in options.items() if k not in option_names and v]
    return " / ".join(ordered)


# ---------------------------------------------------------------------------- storing

_PRODUCTS: Final[Table] = Base.metadata.tables["products"]
_VARIANTS: Final[Table] = Base.metadata.tables["product_variants"]
_CATEGORIES: Final[Table] = Base.metadata.tables["categories"]


def _untyped(t: Table) -> TableClause:
    # The same table without column types: bulk inserts pass values already in their stored
    # form (JSON text, UTC timestamp text), skipping per-value type processing.
    return table(t.name, *(column(c.name) for c in t.columns))


_RAW_PRODUCTS: Final = _untyped(_PRODUCTS)
_RAW_VARIANTS: Final = _untyped(_VARIANTS)
_RAW_MOVEMENTS: Final = _untyped(Base.metadata.tables["stock_movements"])


_JSON_CACHE: dict[tuple[Any, ...], str] = {}


def _json(value: list[str] | dict[str, str]) -> str:
    # What SQLAlchemy's JSON type stores (json.dumps with default settings). Tag lists and
    # options repeat across a file, and dumping Thai text (escaped) is not cheap: memoise.
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    key = (type(value), *(value.items() if isinstance(value, dict) else value))
    text = _JSON_CACHE.get(key)
    if text is None:
        if len(_JSON_CACHE) > 10_000:
            _JSON_CACHE.clear()
        text = _JSON_CACHE[key] = json.dumps(value)
    return text


def _stored_time(session: Session, when: dt.datetime) -> str:
    """``when`` as the models' UTC datetime column stores it (through the column's own type)."""
    dialect = session.get_bind().dialect
    process = _PRODUCTS.c.created_at.type.bind_processor(dialect)
    value = process(when) if process is not None else when
    return str(value)


_PRODUCT_FIELDS: Final = (
    "name_th",
    "name_en",
    "description",
    "price_satang",
    "compare_at_satang",
    "cost_satang",
    "category_id",
    "tags",
    "option_names",
    "active",
    "low_stock_threshold",
    "search_name",
    "search_codes",
    "search_extra",
)
_SEARCH_FIELDS: Final = ("search_name", "search_codes", "search_extra")
_COLUMN_FIELDS: Final = {
    "name": ("name_th",),
    "name_en": ("name_en",),
    "description": ("description",),
    "price": ("price_satang",),
    "compare_at_price": ("compare_at_satang",),
    "cost": ("cost_satang",),
    "category": ("category",),
    "tags": ("tags",),
    "active": ("active",),
    "low_stock_threshold": ("low_stock_threshold",),
}


def _chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _store(
    session: Session,
    plans: list[_ProductPlan],
    present: set[str],
    path: Path,
    actor: str,
    progress: Progress | None,
    letters: bool,
    headers: list[str],
    index: dict[str, int],
) -> tuple[int, int, int, int]:
    """Write the plans; returns (created, updated, unchanged, movements). Raises ImportFailed
    (before writing anything) when a SKU or barcode belongs to another product."""
    out = _Collector(headers, index, letters)
    now = utcnow()
    stamp = _stored_time(session, now)
    note = f"import {path.name}"[:200]

    # --- what exists
    existing: dict[str, Any] = {}
    for chunk in _chunks([p.sku for p in plans], _IN_CHUNK):
        for row in session.execute(
            select(
                Product.id,
                Product.sku,
                Product.track_inventory,
                *(getattr(Product, f) for f in _PRODUCT_FIELDS),
            ).where(Product.sku.in_(chunk))
        ):
            # Plain attribute objects: Row attribute access is slow in this hot loop.
            existing[row.sku] = SimpleNamespace(**row._asdict())
    old_variants: dict[int, list[Any]] = {}
    ids = [r.id for r in existing.values()]
    for chunk in _chunks(ids, _IN_CHUNK):
        for row in session.execute(
            select(
                ProductVariant.id,
                ProductVariant.product_id,
                ProductVariant.sku,
                ProductVariant.barcode,
                ProductVariant.options,
                ProductVariant.title,
                ProductVariant.price_satang,
                ProductVariant.stock,
                ProductVariant.position,
                ProductVariant.active,
            ).where(ProductVariant.product_id.in_(chunk))
        ):
            old_variants.setdefault(row.product_id, []).append(SimpleNamespace(**row._asdict()))
    for rows in old_variants.values():
        rows.sort(key=lambda r: (r.position, r.id))

    # --- codes held by other products
    variant_owner: dict[str, str] = {}
    all_vskus = [v.sku for p in plans for v in p.variants]
    for chunk in _chunks(all_vskus, _IN_CHUNK):
        for vsku, psku in session.execute(
            select(ProductVariant.sku, Product.sku)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(ProductVariant.sku.in_(chunk))
        ):
            variant_owner[vsku] = psku
    barcode_owner: dict[str, str] = {}
    all_barcodes = [v.barcode for p in plans for v in p.variants if v.barcode]
    for chunk in _chunks(all_barcodes, _IN_CHUNK):
        for held, psku in session.execute(
            select(ProductVariant.barcode, Product.sku)
            .join(Product, Product.id == ProductVariant.product_id)
            .where(ProductVariant.barcode.in_(chunk))
        ):
            if held is not None:
                barcode_owner[held] = psku
    for p in plans:
        for v in p.variants:
            owner = variant_owner.get(v.sku)
            if owner is not None and owner != p.sku:
                out.add(v.row, "sku", "import.sku_taken", f"SKU {v.sku} is used by product {owner}")
            owner = barcode_owner.get(v.barcode) if v.barcode else None
            if owner is not None and owner != p.sku:
                out.add(
                    v.row,
                    "barcode",
                    "import.barcode_taken",
                    f"barcode {v.barcode} is used by product {owner}",
                )
    if out.problems:
        raise ImportFailed(path, out.problems)

    # --- categories
    categories = {name: cid for cid, name in session.execute(select(Category.id, Category.name))}
    wanted_categories = sorted(
        {c for p in plans if (c := p.values["category"]) and c not in categories}
    )
    if wanted_categories and "category" in present:
        for cid, name in session.execute(
            insert(_CATEGORIES).returning(
                _CATEGORIES.c.id, _CATEGORIES.c.name, sort_by_parameter_order=True
            ),
            [{"name": c, "position": 0} for c in wanted_categories],
        ):
            categories[name] = cid

    # --- plan rows
    new_products: list[dict[str, Any]] = []
    new_product_plans: list[_ProductPlan] = []
    search_updates: list[dict[str, Any]] = []  # existing products whose search text changes
    plain_updates: list[dict[str, Any]] = []
    variant_updates: list[dict[str, Any]] = []
    new_variants: list[tuple[dict[str, Any], int]] = []  # (row, opening stock)
    new_variants_of_new: list[tuple[int, list[_VariantPlan]]] = []
    stock_sets: list[tuple[int, int, bool]] = []  # (variant id, delta, tracked)
    created = updated = unchanged = 0
    present_fields = {f for c in present for f in _COLUMN_FIELDS.get(c, ())}
    options_present = bool(present & {"option1_name", "option2_name"})

    category_names = {cid: name for name, cid in categories.items()}
    for p in plans:
        old = existing.get(p.sku)
        vals = p.values
        if old is None:
            created += 1
            category = vals["category"]
            variant_keys = [(v.sku, v.barcode, v.title) for v in p.variants]
            s_name, s_codes, s_extra = search_fields(
                vals["name_th"], vals["name_en"], p.sku, variant_keys, vals["tags"], category
            )
            new_products.append(
                {
                    "sku": p.sku,
                    "name_th": vals["name_th"],
                    "name_en": vals["name_en"],
                    "description": vals["description"],
                    "price_satang": vals["price_satang"],
                    "compare_at_satang": vals["compare_at_satang"],
                    "cost_satang": vals["cost_satang"],
                    "category_id": categories.get(category) if category else None,
                    "tags": _json(vals["tags"]),
                    "images": "[]",
                    "option_names": _json(p.option_names),
                    "active": vals["active"],
                    "track_inventory": True,
                    "low_stock_threshold": vals["low_stock_threshold"],
                    "weight_grams": None,
                    "search_name": s_name,
                    "search_codes": s_codes,
                    "search_extra": s_extra,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            new_product_plans.append(p)
            continue

        # existing product: fields absent from the file keep their stored value
        merged: dict[str, Any] = {f: getattr(old, f) for f in _PRODUCT_FIELDS}
        old_category = category_names.get(old.category_id, "") if old.category_id else ""
        category = old_category
        for f in present_fields:
            if f == "category":
                category = vals["category"]
                merged["category_id"] = categories.get(category) if category else None
            else:
                merged[f] = vals[f]
        if options_present:
            merged["option_names"] = p.option_names
        olds = old_variants.get(old.id, [])
        by_sku = {v.sku: v for v in olds}
        listed = {v.sku for v in p.variants}
        changed_variants = False
        final_keys: list[tuple[str, str | None, str]] = []
        titles: dict[str, str] = {}
        for position, v in enumerate(p.variants):
            o = by_sku.get(v.sku)
            options = v.options if options_present else (dict(o.options) if o else {})
            title = _variant_title(options, merged["option_names"])
            titles[v.sku] = title
            if o is None:
                changed_variants = True
                new_variants.append(
                    (
                        {
                            "product_id": old.id,
                            "sku": v.sku,
                            "barcode": v.barcode if "barcode" in present else None,
                            "options": _json(options),
                            "title": title,
                            "price_satang": v.price if "price" in present else None,
                            "stock": 0,
                            "position": position,
                            "active": v.active if "active" in present else True,
                        },
                        v.stock or 0,
                    )
                )
                continue
            vrow: dict[str, Any] = {
                "barcode": v.barcode if "barcode" in present else o.barcode,
                "options": options,
                "title": title,
                "price_satang": v.price if "price" in present else o.price_satang,
                "position": position,
                "active": v.active if "active" in present else o.active,
            }
            if any(vrow[k] != getattr(o, k) for k in vrow):
                changed_variants = True
                variant_updates.append({"_id": o.id, "_old_barcode": o.barcode, **vrow})
            if v.stock is not None and v.stock != o.stock:
                changed_variants = True
                stock_sets.append((o.id, v.stock - o.stock, bool(old.track_inventory)))
        for o in olds:
            if o.sku not in listed and o.active:
                changed_variants = True
                variant_updates.append(
                    {
                        "_id": o.id,
                        "_old_barcode": o.barcode,
                        "barcode": o.barcode,
                        "options": dict(o.options),
                        "title": o.title,
                        "price_satang": o.price_satang,
                        "position": o.position,
                        "active": False,
                    }
                )
        # Variant order as the catalog holds them: stored ones by position, then new ones.
        for o in olds:
            final_keys.append((o.sku, _final_barcode(o, p, present), titles.get(o.sku, o.title)))
        for v in p.variants:
            if v.sku not in by_sku:
                final_keys.append(
                    (v.sku, v.barcode if "barcode" in present else None, titles[v.sku])
                )
        (merged["search_name"], merged["search_codes"], merged["search_extra"]) = search_fields(
            merged["name_th"], merged["name_en"], p.sku, final_keys, merged["tags"], category
        )
        if changed_variants or any(merged[f] != getattr(old, f) for f in _PRODUCT_FIELDS):
            updated += 1
            merged["tags"] = _json(merged["tags"])
            merged["option_names"] = _json(merged["option_names"])
            changes = {"_id": old.id, **merged, "updated_at": stamp}
            if all(merged[f] == getattr(old, f) for f in _SEARCH_FIELDS):
                plain_updates.append(changes)
            else:
                search_updates.append(changes)
        else:
            unchanged += 1

    total = len(new_products) + len(search_updates) + len(plain_updates)
    done = 0

    # --- products. Ids are given explicitly (this unit of work holds the only write lock), so
    # rows go in with plain executemany: RETURNING would cost one statement per row here.
    next_id = (session.scalar(select(func.max(Product.id))) or 0) + 1
    for pid, (prow, p) in enumerate(zip(new_products, new_product_plans, strict=True), next_id):
        prow["id"] = pid
        new_variants_of_new.append((pid, p.variants))
    for chunk_rows in _chunks(new_products, _CHUNK):
        session.execute(insert(_RAW_PRODUCTS), chunk_rows)
        done += len(chunk_rows)
        if progress is not None:
            progress(done, total)
    # Only rows whose search text changes name the search columns: naming them fires the
    # full-text index trigger (a delete and an insert) even when the value stays the same.
    for rows, fields in (
        (search_updates, _PRODUCT_FIELDS),
        (plain_updates, tuple(f for f in _PRODUCT_FIELDS if f not in _SEARCH_FIELDS)),
    ):
        stmt = (
            update(_RAW_PRODUCTS)
            .where(_RAW_PRODUCTS.c.id == bindparam("_id"))
            .values({f: bindparam(f) for f in (*fields, "updated_at")})
        )
        for upd_chunk in _chunks(rows, _CHUNK):
            session.execute(
                stmt, [{k: r[k] for k in ("_id", *fields, "updated_at")} for r in upd_chunk]
            )
            done += len(upd_chunk)
            if progress is not None:
                progress(done, total)

    # --- variants
    if variant_updates:
        moving = [{"_id": u["_id"]} for u in variant_updates if u["barcode"] != u["_old_barcode"]]
        if moving:
            # Free the barcodes first: two variants may swap theirs.
            session.execute(
                update(_VARIANTS).where(_VARIANTS.c.id == bindparam("_id")).values(barcode=None),
                moving,
            )
        stmt = (
            update(_RAW_VARIANTS)
            .where(_RAW_VARIANTS.c.id == bindparam("_id"))
            .values(
                {
                    f: bindparam(f)
                    for f in ("barcode", "options", "title", "price_satang", "position", "active")
                }
            )
        )
        for vupd_chunk in _chunks(variant_updates, _CHUNK):
            session.execute(
                stmt,
                [
                    {
                        **{k: v for k, v in u.items() if k != "_old_barcode"},
                        "options": _json(u["options"]),
                    }
                    for u in vupd_chunk
                ],
            )
    for pid, variants in new_variants_of_new:
        for position, v in enumerate(variants):
            new_variants.append(
                (
                    {
                        "product_id": pid,
                        "sku": v.sku,
                        "barcode": v.barcode,
                        "options": _json(v.options),
                        "title": v.title,
                        "price_satang": v.price,
                        "stock": 0,
                        "position": position,
                        "active": v.active,
                    },
                    v.stock or 0,
                )
            )
    movements: list[dict[str, Any]] = []
    next_vid = (session.scalar(select(func.max(ProductVariant.id))) or 0) + 1
    for vid, (vrow, opening) in enumerate(new_variants, next_vid):
        vrow["id"] = vid
        if opening:
            movements.append(_movement(vid, opening, actor, "opening stock", stamp))
    for nv_chunk in _chunks(new_variants, _CHUNK):
        session.execute(insert(_RAW_VARIANTS), [r for r, _ in nv_chunk])
    for vid, delta, tracked in stock_sets:
        if tracked:
            movements.append(_movement(vid, delta, actor, note, stamp))
    # The stock_movements trigger adds each quantity to its variant's stock.
    for mv_chunk in _chunks(movements, _CHUNK):
        session.execute(insert(_RAW_MOVEMENTS), mv_chunk)

    session.add(
        AuditEntry(
            actor=actor,
            action="product.import",
            entity="product",
            entity_id=path.name[:60],
            changes={
                "file": [None, path.name],
                "created": [None, created],
                "updated": [None, updated],
                "unchanged": [None, unchanged],
                "stock_movements": [None, len(movements)],
            },
            at=now,
        )
    )
    session.flush()
    return created, updated, unchanged, len(movements)


def _final_barcode(o: Any, p: _ProductPlan, present: set[str]) -> str | None:
    """The barcode a stored variant ``o`` has after the import."""
    stored: str | None = o.barcode
    if "barcode" in present:
        for v in p.variants:
            if v.sku == o.sku:
                return v.barcode
    return stored


def _movement(vid: int, qty: int, actor: str, note: str, stamp: str) -> dict[str, Any]:
    return {
        "variant_id": vid,
        "quantity": qty,
        "reason": MovementReason.IMPORT.value,
        "actor": actor,
        "note": note,
        "order_id": None,
        "created_at": stamp,
    }


# ---------------------------------------------------------------------------- use case


def import_products(
    db: Database,
    path: Path,
    actor: str,
    *,
    progress: Progress | None = None,
) -> ImportResult:
    """Import (create or update by SKU) the products in a CSV or XLSX file, all or nothing.

    The file is read and checked outside the write lock, then stored in one ``db.write()`` unit
    of work. ``progress(done, total)`` is called now and then while storing (from this thread).

    Raises :class:`ImportFailed` (every problem, nothing stored), :class:`UserError`
    ``import.no_file`` when the file does not exist, :class:`EnvironmentProblem` when it cannot
    be read or the database cannot be written.
    """
    path = Path(path)
    try:
        sheet, close = _open_sheet(path)
    except _FileProblem as exc:
        raise ImportFailed(path, [exc.problem]) from exc
    try:
        try:
            plans, present, warnings, count = _parse_rows(sheet, path)
        except _FileProblem as exc:
            raise ImportFailed(path, [exc.problem]) from exc
    finally:
        close()
    if sheet.encoding == "cp874":
        warnings.insert(0, "the file is not UTF-8: it was read as Thai Windows-874 (TIS-620)")
    elif sheet.encoding == "utf-16":
        warnings.insert(0, "the file was read as UTF-16 text")
    index = {
        key: col
        for col, h in enumerate(sheet.headers)
        if h and (key := column_for_header(h)) is not None
    }
    with db.write() as session:
        created, updated, unchanged, moves = _store(
            session, plans, present, path, actor, progress, sheet.letters, sheet.headers, index
        )
    log.info(
        "imported %s: %d created, %d updated, %d unchanged, %d stock movements",
        path.name,
        created,
        updated,
        unchanged,
        moves,
    )
    return ImportResult(
        created=created,
        updated=updated,
        unchanged=unchanged,
        warnings=tuple(warnings),
        rows=count,
        encoding=sheet.encoding,
        stock_movements=moves,
    )


# ---------------------------------------------------------------------------- template

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
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
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
    for cell in help_ws[1]:
        cell.font = bold
    for letter, width in zip("ABCD", (34, 16, 60, 60), strict=True):
        help_ws.column_dimensions[letter].width = width
    for row in help_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_ws.freeze_panes = "A2"
    with atomic_write(path) as tmp:
        wb.save(tmp)
    return path
