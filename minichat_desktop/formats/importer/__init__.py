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
  too slow for 10k rows) while keeping the catalog's invariants: the search columns and
  variant titles computed by the catalog's own functions (:func:`catalog.search_fields`,
  :func:`catalog.variant_title`), stock only through ``stock_movements``, and one audit
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

The steps, one module each: :mod:`.parse` reads the file and checks each row's cells,
:mod:`.plan` groups rows into products, :mod:`.changes` compares them with what is stored,
:mod:`.store` reads and writes the database; :mod:`.columns`, :mod:`.cells` and
:mod:`.problems` are shared by them, :mod:`.template` writes the downloadable template.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from minichat_desktop.errors import UserError
from minichat_desktop.formats.importer.cells import (
    CellValue,
    cell_text,
    parse_count_cell,
    parse_money_cell,
)
from minichat_desktop.formats.importer.columns import (
    COLUMNS,
    MAX_PRICE_SATANG,
    MAX_ROWS,
    Column,
    column_for_header,
)
from minichat_desktop.formats.importer.parse import Collector, FileProblem, open_sheet
from minichat_desktop.formats.importer.plan import plan_products
from minichat_desktop.formats.importer.problems import (
    CellError,
    ImportFailed,
    ImportProblem,
    ImportResult,
)
from minichat_desktop.formats.importer.store import Progress, store
from minichat_desktop.formats.importer.template import write_template

if TYPE_CHECKING:
    from minichat_desktop.domain.sql import UnitOfWork

__all__ = [
    "COLUMNS",
    "MAX_PRICE_SATANG",
    "MAX_ROWS",
    "CellError",
    "CellValue",
    "Column",
    "ImportFailed",
    "ImportProblem",
    "ImportResult",
    "Progress",
    "UserError",
    "cell_text",
    "column_for_header",
    "import_products",
    "parse_count_cell",
    "parse_money_cell",
    "write_template",
]

log = logging.getLogger(__name__)


def import_products(
    db: UnitOfWork,
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
        sheet, close = open_sheet(path)
    except FileProblem as exc:
        raise ImportFailed(path, [exc.problem]) from exc
    try:
        try:
            planned = plan_products(sheet, path)
        except FileProblem as exc:
            raise ImportFailed(path, [exc.problem]) from exc
    finally:
        close()
    warnings = planned.warnings
    if sheet.encoding == "cp874":
        warnings.insert(0, "the file is not UTF-8: it was read as Thai Windows-874 (TIS-620)")
    elif sheet.encoding == "utf-16":
        warnings.insert(0, "the file was read as UTF-16 text")
    index = {
        key: col
        for col, h in enumerate(sheet.headers)
        if h and (key := column_for_header(h)) is not None
    }
    out = Collector(sheet.headers, index, sheet.letters)
    with db.write() as session:
        stats = store(session, planned.products, planned.present, path, actor, progress, out)
    log.info(
        "imported %s: %d created, %d updated, %d unchanged, %d stock movements",
        path.name,
        stats.created,
        stats.updated,
        stats.unchanged,
        stats.movements,
    )
    return ImportResult(
        created=stats.created,
        updated=stats.updated,
        unchanged=stats.unchanged,
        warnings=tuple(warnings),
        rows=planned.rows,
        encoding=sheet.encoding,
        stock_movements=stats.movements,
    )
