"""Export products, orders and customers to XLSX or CSV, chosen by the file's extension.

- XLSX is written in openpyxl's write-only mode (rows streamed to disk): Thai headers, baht as
  numbers formatted ``#,##0.00``, times in Asia/Bangkok as real dates shown in the Buddhist
  era ``06/12/2569 14:30`` (the format :data:`~minichat_desktop.formats.xlsx.BE_DATE_TIME`,
  read as B.E. by Excel and LibreOffice alike), a frozen header row, an autofilter and column
  widths. Every sheet prints on A4 one page wide (landscape when wide), the header row on
  every page, gridlines and page numbers. Orders get a second sheet with one row per item.
- CSV is UTF-8 *with* a BOM (Excel opens it as Thai only then), money as plain decimals
  (``1250.00``), dates as Bangkok ``YYYY-MM-DD HH:MM``.
- Products and orders are streamed from SQL (Core, ``yield_per``), never loaded as ORM
  objects, so 100k orders export in about the time openpyxl itself needs to write them.
  Customers' rows are given (:func:`minichat_desktop.app.customer_book.export_customers`
  reads them as the customers screen lists them, 500 at a time).
- The file appears complete or not at all: it is written beside the target and renamed.

The products export has the importer's columns (headers ``ชื่อสินค้า (name)``), so a file
exported here imports back unchanged (a product with options: one row per variant, sharing
``parent_sku``; its price is written as each variant's effective price).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from minichat_desktop.domain import glossary
from minichat_desktop.domain.models import (
    Category,
    Order,
    OrderItem,
    Product,
    ProductVariant,
)
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.thai import format_baht, satang_to_decimal
from minichat_desktop.errors import UserError
from minichat_desktop.files import atomic_write
from minichat_desktop.formats import xlsx
from minichat_desktop.formats.importer import COLUMNS

__all__ = ["ExportResult", "export_orders", "export_products", "write_customers"]

MONEY_FORMAT: Final = "#,##0.00"
DATE_FORMAT: Final = xlsx.BE_DATE_TIME
_YIELD: Final = 5_000

STATUS_TH: Final = glossary.thai(glossary.ORDER_STATUS)
CHANNEL_TH: Final = glossary.thai(glossary.CHANNEL)
PAYMENT_METHOD_TH: Final = glossary.thai(glossary.PAYMENT_METHOD)
PAYMENT_STATUS_TH: Final = glossary.thai(glossary.PAYMENT_STATUS)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The file written and how many rows (orders or product rows; ``items`` for orders)."""

    path: Path
    rows: int
    items: int = 0


@dataclass(frozen=True, slots=True)
class _Col:
    header: str
    width: int
    kind: str = "text"  # "text", "money" (satang → baht), "int", "date"


ORDER_COLUMNS: Final = (
    _Col("เลขที่คำสั่งซื้อ", 18),
    _Col("วันที่ (เวลาไทย)", 17, "date"),
    _Col("ช่องทาง", 11),
    _Col("สถานะ", 16),
    _Col("ลูกค้า", 24),
    _Col("โทรศัพท์", 13),
    _Col("รายการสินค้า", 48),
    _Col("ยอดสินค้า", 13, "money"),
    _Col("ส่วนลด", 11, "money"),
    _Col("ค่าจัดส่ง", 11, "money"),
    _Col("ภาษีมูลค่าเพิ่ม", 13, "money"),
    _Col("ยอดรวม", 13, "money"),
    _Col("วิธีชำระเงิน", 15),
    _Col("สถานะการชำระ", 13),
    _Col("ขนส่ง", 12),
    _Col("เลขพัสดุ", 18),
)
ITEM_COLUMNS: Final = (
    _Col("เลขที่คำสั่งซื้อ", 18),
    _Col("วันที่ (เวลาไทย)", 17, "date"),
    _Col("รหัสสินค้า", 16),
    _Col("ชื่อสินค้า", 32),
    _Col("ตัวเลือก", 16),
    _Col("จำนวน", 8, "int"),
    _Col("ราคาต่อหน่วย", 13, "money"),
    _Col("ส่วนลด", 11, "money"),
    _Col("รวม", 13, "money"),
)
_MONEY_KEYS: Final = frozenset({"price", "compare_at_price", "cost"})
PRODUCT_COLUMNS: Final = tuple(
    _Col(
        c.header,
        max(c.example_width, len(c.header) + 2),
        "money" if c.key in _MONEY_KEYS else "int" if c.key in ("stock",) else "text",
    )
    for c in COLUMNS
)


# ---------------------------------------------------------------------------- writers


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UserError(
            "export.unsupported_format",
            f"cannot export to {path.name}: use a .xlsx or .csv file name",
            path=str(path),
        )
    return suffix[1:]


def _baht(satang: int | None) -> Decimal | None:
    """An XLSX cell's baht (an empty cell for no amount)."""
    return None if satang is None else satang_to_decimal(satang)


def _baht_text(satang: int | None) -> str:
    """A CSV cell's baht: ``1250.00``, no separators (empty for no amount)."""
    return "" if satang is None else format_baht(satang, grouping=False)


def _local(when: dt.datetime | None) -> dt.datetime | None:
    return None if when is None else when.astimezone(BANGKOK).replace(tzinfo=None)


class _XlsxSheet:
    """A write-only sheet: bold header, frozen pane, column widths, an autofilter (set by
    :meth:`close`), and a number format per money or date column.

    Speed: openpyxl's write-only ``append`` turns each value into a cell — a fresh cell after
    every formatted one, and a cell handed in is first tried as a value and refused with an
    exception — then writes the row out at once. For 100k orders that was about 40 % of the
    export. So for this sheet the conversion is replaced by one that reuses one pre-formatted
    cell per formatted column and one plain cell (safe: the row is written out inside
    ``append``). It also keeps text as text: openpyxl would turn a customer name starting with
    "=" into a formula.
    """

    def __init__(self, wb: Any, title: str, columns: Sequence[_Col]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.ws = wb.create_sheet(title)
        self.rows = 0
        for i, col in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = col.width
        self.ws.freeze_panes = "A2"
        _print_setup(self.ws, title, sum(c.width for c in columns) > xlsx.PORTRAIT_WIDTH)
        bold = Font(bold=True)
        header = []
        for col in columns:
            cell = WriteOnlyCell(self.ws, col.header)
            cell.font = bold
            header.append(cell)
        self.ws.append(header)
        self.last_letter = get_column_letter(len(columns))

        formatted: dict[int, Any] = {}
        for i, col in enumerate(columns, start=1):
            if col.kind in ("money", "date"):
                formatted[i] = WriteOnlyCell(self.ws)
                formatted[i].number_format = MONEY_FORMAT if col.kind == "money" else DATE_FORMAT
        ws = self.ws
        plain = [WriteOnlyCell(ws)]

        def values_to_row(values: Sequence[Any], row_idx: int) -> Iterator[Any]:
            for col_idx, value in enumerate(values, 1):
                if value is None:
                    continue
                cell = formatted.get(col_idx)
                if cell is None:
                    cell = plain[0]
                    if cell.has_style:  # a date in a plain column gave it a format
                        cell = plain[0] = WriteOnlyCell(ws)
                cell.value = value
                if cell.data_type == "f":
                    cell.data_type = "s"
                cell.column = col_idx
                cell.row = row_idx
                yield cell

        ws._values_to_row = values_to_row
        self.append: Callable[[list[Any]], None] = ws.append

    def close(self) -> None:
        self.ws.auto_filter.ref = f"A1:{self.last_letter}{self.rows + 1}"


def _print_setup(ws: Any, title: str, wide: bool) -> None:
    """How the sheet prints (set before its first row is written): A4, landscape when
    ``wide``, one page wide, the header row at the top of every page, gridlines, the sheet's
    title and "หน้า 1 / 3" in the footer — as :class:`~minichat_desktop.formats.xlsx.PageSetup`
    does for reports."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    ws.oddFooter.left.text = title.replace("&", "&&")
    ws.oddFooter.right.text = xlsx.PAGE_TH


# ---------------------------------------------------------------------------- products


_PRODUCT_ROWS: Final = (
    select(
        Product.id,
        Product.sku,
        Product.name_th,
        Product.name_en,
        Product.description,
        Product.price_satang,
        Product.compare_at_satang,
        Product.cost_satang,
        Category.name,
        Product.tags,
        Product.option_names,
        Product.low_stock_threshold,
        ProductVariant.sku,
        ProductVariant.barcode,
        ProductVariant.options,
        ProductVariant.price_satang,
        ProductVariant.stock,
        ProductVariant.active,
        Product.active,
    )
    .join(ProductVariant, ProductVariant.product_id == Product.id)
    .outerjoin(Category, Category.id == Product.category_id)
    .order_by(Product.id, ProductVariant.position, ProductVariant.id)
)


def _product_rows(session: Session) -> Iterator[list[Any]]:
    """Each product row's values in the importer's column order, money as satang and None for
    blanks, streamed. A product with options gives a row per variant (its first two options:
    the importer's columns)."""
    rows = session.execute(_PRODUCT_ROWS.execution_options(yield_per=_YIELD))
    pending: list[Any] = []
    current: int | None = None
    for r in rows:
        if r[0] != current and pending:
            yield from _product_group(pending)
            pending = []
        current = r[0]
        pending.append(r)
    if pending:
        yield from _product_group(pending)


def _product_group(group: list[Any]) -> Iterator[list[Any]]:
    """The rows of one product (one per variant; one row for a product without options)."""
    first = group[0]
    simple = len(group) == 1 and not first[10] and first[12] == first[1]
    for r in group:
        (_, psku, name, name_en, desc, price, compare, cost, category, tags, option_names) = r[:11]
        threshold, vsku, barcode, options, vprice, stock, vactive, pactive = r[11:]
        names = list(option_names)[:2]
        opt: list[str] = []
        for i in range(2):
            oname = names[i] if i < len(names) else ""
            opt += [oname, options.get(oname, "") if oname else ""]
        values: dict[str, Any] = {
            "sku": vsku if not simple else psku,
            "name": name,
            "price": price if simple or vprice is None else vprice,
            "stock": stock,
            "category": category or "",
            "barcode": barcode or "",
            "description": desc,
            "name_en": name_en,
            "compare_at_price": compare,
            "cost": cost,
            "tags": ",".join(tags),
            "active": "ใช่" if (pactive if simple else vactive and pactive) else "ไม่",
            "low_stock_threshold": threshold,
            "option1_name": opt[0],
            "option1_value": opt[1],
            "option2_name": opt[2],
            "option2_value": opt[3],
            "parent_sku": "" if simple else psku,
        }
        yield [values[c.key] if values[c.key] != "" else None for c in COLUMNS]


def export_products(session: Session, path: Path) -> ExportResult:
    """Write every product (one row per variant for products with options) to ``path``
    (``.xlsx`` or ``.csv``) in the importer's columns, so the file imports back unchanged.

    Raises :class:`UserError` ``export.unsupported_format`` for another extension and
    :class:`EnvironmentProblem` ``env.export_failed`` when the file cannot be written.
    """
    path = Path(path)
    kind = _format_of(path)
    money_idx = [i for i, c in enumerate(PRODUCT_COLUMNS) if c.kind == "money"]
    count = 0
    with atomic_write(path, problem="env.export_failed") as tmp:
        if kind == "csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow([c.header for c in PRODUCT_COLUMNS])
                for values in _product_rows(session):
                    for i in money_idx:
                        values[i] = _baht_text(values[i])
                    w.writerow(values)
                    count += 1
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            sheet = _XlsxSheet(wb, "สินค้า", PRODUCT_COLUMNS)
            write = sheet.append
            for values in _product_rows(session):
                for i in money_idx:
                    values[i] = _baht(values[i])
                write(values)
                count += 1
            sheet.rows = count
            sheet.close()
            wb.save(tmp)
    return ExportResult(path, count)


# ---------------------------------------------------------------------------- orders


def _range[S: Select[*tuple[Any, ...]]](
    stmt: S,
    created_from: dt.datetime | dt.date | None,
    created_to: dt.datetime | dt.date | None,
) -> S:
    if created_from is not None:
        stmt = stmt.where(Order.created_at >= _instant(created_from, start=True))
    if created_to is not None:
        stmt = stmt.where(Order.created_at < _instant(created_to, start=False))
    return stmt


def _instant(value: dt.datetime | dt.date, *, start: bool) -> dt.datetime:
    """A bound as an aware datetime: a date is a Bangkok day (``created_to`` includes it)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime given; pass an aware datetime or a date")
        return value
    day = value if start else value + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), BANGKOK)


def _item_text(name: str, title: str, qty: int) -> str:
    return f"{name} ({title}) ×{qty}" if title else f"{name} ×{qty}"


def export_orders(
    session: Session,
    path: Path,
    created_from: dt.datetime | dt.date | None = None,
    created_to: dt.datetime | dt.date | None = None,
) -> ExportResult:
    """Write the orders created in ``[created_from, created_to)`` (aware datetimes; a date is a
    whole Bangkok day, inclusive at both ends) to ``path``, oldest first: one row per order
    with an items summary, and for XLSX a second sheet “รายการสินค้า” with one row per item.

    Raises :class:`UserError` ``export.unsupported_format`` for an extension other than
    ``.xlsx``/``.csv``, :class:`EnvironmentProblem` ``env.export_failed`` when the file cannot
    be written, :class:`TypeError` for a naive datetime.
    """
    path = Path(path)
    kind = _format_of(path)
    orders_q = _range(_ORDERS, created_from, created_to)
    items_q = _range(_ITEMS, created_from, created_to)
    conn = session.connection()
    orders = conn.execute(orders_q.execution_options(stream_results=True, yield_per=_YIELD))
    items = conn.execute(items_q.execution_options(stream_results=True, yield_per=_YIELD))
    with atomic_write(path, problem="env.export_failed") as tmp:
        write = _orders_csv if kind == "csv" else _orders_xlsx
        count, item_count = write(tmp, orders, items)
    return ExportResult(path, count, item_count)


_ORDERS: Final = select(
    Order.id,
    Order.number,
    Order.created_at,
    Order.channel,
    Order.status,
    Order.customer_name,
    Order.customer_phone,
    Order.subtotal_satang,
    Order.discount_satang,
    Order.shipping_satang,
    Order.vat_satang,
    Order.total_satang,
    Order.payment_method,
    Order.payment_status,
    Order.carrier,
    Order.tracking_number,
).order_by(Order.id)
_ITEMS: Final = (
    select(
        OrderItem.order_id,
        OrderItem.sku,
        OrderItem.name,
        OrderItem.variant_title,
        OrderItem.quantity,
        OrderItem.unit_price_satang,
        OrderItem.discount_satang,
        OrderItem.line_total_satang,
    )
    .join(Order, Order.id == OrderItem.order_id)
    .order_by(OrderItem.order_id, OrderItem.id)
)


def _orders_csv(tmp: Path, orders: Iterable[Any], items: Iterable[Any]) -> tuple[int, int]:
    """The orders as CSV (no item rows: the summary column lists them)."""
    with tmp.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([c.header for c in ORDER_COLUMNS])
        return _write_orders(orders, items, w.writerow, None, text=True)


def _orders_xlsx(tmp: Path, orders: Iterable[Any], items: Iterable[Any]) -> tuple[int, int]:
    """The orders and, on a second sheet, their items, as XLSX."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    order_sheet = _XlsxSheet(wb, "คำสั่งซื้อ", ORDER_COLUMNS)
    item_sheet = _XlsxSheet(wb, "รายการสินค้า", ITEM_COLUMNS)
    count, item_count = _write_orders(
        orders, items, order_sheet.append, item_sheet.append, text=False
    )
    order_sheet.rows = count
    item_sheet.rows = item_count
    order_sheet.close()
    item_sheet.close()
    wb.save(tmp)
    return count, item_count


def _write_orders(
    orders: Iterable[Any],
    items: Iterable[Any],
    write_order: Callable[[list[Any]], Any],
    write_item: Callable[[list[Any]], Any] | None,
    *,
    text: bool,
) -> tuple[int, int]:
    """Write each order (and with ``write_item``, each of its items), walking both streams
    in order id order. ``text``: money and dates as CSV text, else baht and naive Bangkok
    datetimes for XLSX. Returns the orders and items written."""
    money = _baht_text if text else _baht
    item_rows = iter(items)
    sentinel = (None,)
    nxt: Any = next(item_rows, sentinel)
    count = item_count = 0
    for (
        oid, number, created, channel, status, cname, cphone, subtotal, discount, shipping,
        vat, total, pmethod, pstatus, carrier, tracking,
    ) in orders:  # fmt: skip
        local = created.astimezone(BANGKOK).replace(tzinfo=None)
        when: Any = local.strftime("%Y-%m-%d %H:%M") if text else local
        parts: list[str] = []
        while nxt[0] is not None and nxt[0] < oid:  # items of orders out of range
            nxt = next(item_rows, sentinel)
        while nxt[0] == oid:
            _, sku, name, title, qty, unit, idisc, line = nxt
            parts.append(_item_text(name, title, qty))
            if write_item is not None:
                write_item(
                    [number, when, sku, name, title, qty, money(unit), money(idisc), money(line)]
                )
            item_count += 1
            nxt = next(item_rows, sentinel)
        write_order(
            [
                number,
                when,
                CHANNEL_TH.get(channel, channel),
                STATUS_TH.get(status, status),
                cname,
                cphone,
                ", ".join(parts),
                money(subtotal),
                money(discount),
                money(shipping),
                money(vat),
                money(total),
                PAYMENT_METHOD_TH.get(pmethod, pmethod),
                PAYMENT_STATUS_TH.get(pstatus, pstatus),
                carrier,
                tracking,
            ]
        )
        count += 1
    return count, item_count


# ---------------------------------------------------------------------------- customers

SEGMENT_TH: Final = glossary.thai(glossary.SEGMENT)
PIPELINE_TH: Final = glossary.thai(glossary.PIPELINE)

CUSTOMER_COLUMNS: Final = (
    _Col("รหัสลูกค้า", 10, "int"),
    _Col("ชื่อ", 24),
    _Col("โทรศัพท์", 13),
    _Col("อีเมล", 24),
    _Col("สถานะ", 14),
    _Col("กลุ่มลูกค้า (RFM)", 16),
    _Col("R", 4, "int"),
    _Col("F", 4, "int"),
    _Col("M", 4, "int"),
    _Col("จำนวนออเดอร์", 12, "int"),
    _Col("ยอดซื้อรวม", 14, "money"),
    _Col("ซื้อล่าสุด (เวลาไทย)", 17, "date"),
    _Col("ช่องทาง", 16),
    _Col("แท็ก", 20),
    _Col("ไม่รับข่าวสาร", 12),
    _Col("จังหวัด", 14),
    _Col("บันทึก", 30),
    _Col("สร้างเมื่อ (เวลาไทย)", 17, "date"),
)


def write_customers(rows: Iterable[Sequence[Any]], path: Path) -> ExportResult:
    """Write customers' rows — values in :data:`CUSTOMER_COLUMNS`' order, money in satang,
    times aware — to ``path`` (``.xlsx`` or ``.csv``, Thai headers, money in baht, times in
    Bangkok). Raises ``export.unsupported_format`` for another extension and
    ``env.export_failed`` when the file cannot be written (no file is left then)."""
    path = Path(path)
    kind = _format_of(path)
    money = [i for i, c in enumerate(CUSTOMER_COLUMNS) if c.kind == "money"]
    dates = [i for i, c in enumerate(CUSTOMER_COLUMNS) if c.kind == "date"]
    count = 0
    with atomic_write(path, problem="env.export_failed") as tmp:
        if kind == "csv":
            with tmp.open("w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow([c.header for c in CUSTOMER_COLUMNS])
                for row in rows:
                    values = list(row)
                    for i in money:
                        values[i] = _baht_text(values[i])
                    for i in dates:
                        values[i] = _local(values[i])
                        values[i] = values[i].strftime("%Y-%m-%d %H:%M") if values[i] else ""
                    w.writerow(["" if v is None else v for v in values])
                    count += 1
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            sheet = _XlsxSheet(wb, "ลูกค้า", CUSTOMER_COLUMNS)
            for row in rows:
                values = list(row)
                for i in money:
                    values[i] = _baht(values[i])
                for i in dates:
                    values[i] = _local(values[i])
                sheet.append(values)
                count += 1
            sheet.rows = count
            sheet.close()
            wb.save(tmp)
    return ExportResult(path, count)
