"""Reports for the owner and the accountant: sales, product performance, customers and the
monthly VAT sales report (รายงานภาษีขาย), as tables of plain values read from the database.
:mod:`minichat_desktop.documents.reports` writes them to XLSX, CSV or PDF.

What each report counts, for a range of Bangkok dates (both ends included):

Sales are **net of refunds**, and a refund counts at its own date (``returns.py`` says why:
the way the VAT report counts a credit note, so a closed period never moves): the orders placed
in the range (cancelled ones left out; a refunded order was a sale of its own period) less the
refunds made in the range. Every sales-like report says so in its note.

- **sales** (``sales``) — tables: by day (every day of the range, zero days too: the orders,
  their gross, the refunds of the day, the net and its VAT), by product (order lines, line
  totals before the order's own discount and shipping, less the units and money refunded on
  them), by channel, by payment method (the order's split tenders from ``order_payments`` when
  it has any, else its ``payment_method`` with its total; paid and not yet paid apart; the
  refunds as one negative row), the list of orders (a partly refunded one says so in its
  status) and the list of refunds (with the credit note of each). The PDF holds all but the
  order list (a year of orders is thousands of pages).
- **products** (``products``) — every product: views and add-to-carts (analytics events),
  units sold net of units given back, orders, sales net of refunds, cost of the net units and
  gross profit (when the cost is known), stock left and the average review rating, best
  sellers first.
- **customers** (``customers``) — customers who bought, got a refund or joined in the range:
  orders and net spending in the range and in all time, the last order, the RFM segment.
- **VAT sales report** (``vat``) — the Revenue Department's รายงานภาษีขาย: the shop's name,
  tax ID and branch, the tax month and year in the Buddhist era, and per sale: the tax
  invoice's date and number, the buyer's name, tax ID and branch, the value before VAT and
  the VAT. Rules:

  * a sale is listed once, in the month of its **tax point** (``sales/tax_point.py``,
    Revenue Code s.78(1): the counter sale, else the first of payment, tax invoice and
    delivery), at that date, with its tax invoice's number and buyer (the full one, else the
    abbreviated one) or, before any was printed, its order number (it owes VAT all the same);
    a sale with no tax point yet (not paid, not delivered) is not listed;
  * a cancelled tax invoice (an abbreviated one replaced by a full one) keeps its row, at its
    date and number, with zero amounts and "ยกเลิก", so the numbers stay without gaps;
  * a refund reduces VAT only through its credit note (s.82/10, s.86/10): a negative row at
    the credit note's date and number; the sale stays in its own month.

  The tax point is recorded once, when it happens, and documents are dated at it: printing,
  reprinting or exporting later never moves a figure between months.

A :class:`Report` is a title, the lines under it (the shop, the period), notes and
:class:`Table` values whose columns say how to show each value (:class:`Column` ``kind``):
money is integer satang, dates are :class:`datetime.date`, shares and ratings are
:class:`~decimal.Decimal`. The big tables stream from SQL: write them before the session ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session

from minichat_desktop.domain import glossary
from minichat_desktop.domain import shop as shop_mod
from minichat_desktop.domain.reporting.returns import NOT_SALES_SQL, returned_lines
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.sql import DriverConnection
from minichat_desktop.errors import DomainError, UserError

__all__ = [
    "KINDS",
    "Column",
    "Report",
    "ReportCancelled",
    "ReportResult",
    "Table",
    "build_report",
    "month_range",
    "thai_date",
    "thai_month_year",
    "vat_rows",
]

KINDS: Final = ("sales", "products", "customers", "vat")
MAX_DAYS: Final = 3 * 366
_SHIFT: Final = "+7 hours"  # Bangkok: UTC+7, no daylight saving since 1920

THAI_MONTHS: Final = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
CHANNEL_TH: Final = glossary.thai(glossary.CHANNEL)
PAYMENT_TH: Final = glossary.thai(glossary.PAYMENT_METHOD)
STATUS_TH: Final = glossary.thai(glossary.ORDER_STATUS)
TITLES: Final = {
    "sales": "รายงานยอดขาย",
    "products": "รายงานประสิทธิภาพสินค้า",
    "customers": "รายงานลูกค้า",
    "vat": "รายงานภาษีขาย",
}


class ReportCancelled(DomainError):
    """The person stopped the report; no file was written."""

    def __init__(self) -> None:
        super().__init__("report.cancelled", "the report was cancelled; no file was written")


# ---------------------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class Column:
    """``kind``: ``text``, ``int``, ``money`` (satang → baht), ``date``, ``percent`` (a
    Decimal fraction) or ``rating`` (a Decimal). ``total``: summed in the totals row."""

    header: str
    kind: str = "text"
    width: int = 14
    total: bool = False


@dataclass
class Table:
    """One table of a report. ``rows`` is iterated once (streamed from SQL); ``count`` is how
    many there will be (for progress). ``pdf``: shown in the PDF."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    count: int
    pdf: bool = True
    landscape: bool = False


@dataclass
class Report:
    kind: str
    title: str
    lines: list[str]  # under the title: the shop, the period
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    period: str = ""
    language: str = "th"  # "th": dates in the Buddhist era, Thai labels; "en": Christian era


@dataclass(frozen=True, slots=True)
class ReportResult:
    path: Path
    kind: str
    rows: int  # data rows written, every table
    tables: int


# ---------------------------------------------------------------------------- dates


def month_range(month: str) -> tuple[dt.date, dt.date]:
    """``"2026-03"`` → (2026-03-01, 2026-03-31). Raises :class:`UserError`
    ``report.bad_month``."""
    try:
        first = dt.datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError as exc:
        raise UserError(
            "report.bad_month", f"month {month!r} is not a month; use YYYY-MM (e.g. 2026-03)"
        ) from exc
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def thai_month_year(day: dt.date) -> str:
    """``มีนาคม 2569`` (Buddhist era)."""
    return f"{THAI_MONTHS[day.month - 1]} {day.year + 543}"


def thai_date(day: dt.date) -> str:
    """``31/03/2569`` (Buddhist era), as dates read in Thai documents."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def _period_text(date_from: dt.date, date_to: dt.date) -> str:
    last = (date_to.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if (
        date_from.day == 1
        and date_to == last
        and date_from.replace(day=1) == date_to.replace(day=1)
    ):
        return f"เดือน {thai_month_year(date_from)}"
    if date_from == date_to:
        return f"วันที่ {thai_date(date_from)}"
    return f"วันที่ {thai_date(date_from)} ถึง {thai_date(date_to)}"


def _bound(day: dt.date) -> str:
    """The UTC instant a Bangkok day starts, as stored (naive UTC text, microseconds)."""
    start = dt.datetime.combine(day, dt.time(), BANGKOK).astimezone(dt.UTC)
    return start.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _local_date(stored: str) -> dt.date:
    """A stored UTC timestamp's Bangkok date."""
    return (dt.datetime.fromisoformat(stored) + dt.timedelta(hours=7)).date()


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise UserError(
            "report.bad_range",
            f"the range starts {date_from.isoformat()} after it ends {date_to.isoformat()}",
            date_from=date_from.isoformat(),
            date_to=date_to.isoformat(),
        )
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise UserError(
            "report.range_too_long", f"a report covers at most {MAX_DAYS} days", max=MAX_DAYS
        )


def _shop_lines(session: Session, *, tax: bool = False) -> list[str]:
    profile = shop_mod.get_profile(session)
    name = profile.name or "ร้านค้า"
    if not tax:
        return [name]
    return [
        f"ชื่อผู้ประกอบการ {name}",
        f"เลขประจำตัวผู้เสียภาษีอากร {profile.tax_id or '-'}   {profile.branch_label}",
        f"ชื่อสถานประกอบการ {name}" + (f"   {profile.address}" if profile.address else ""),
    ]


# ---------------------------------------------------------------------------- sales


SALES_DAY: Final = (
    Column("วันที่", "date", 12),
    Column("จำนวนออเดอร์", "int", 12, total=True),
    Column("ยอดสินค้า", "money", 13, total=True),
    Column("ส่วนลด", "money", 11, total=True),
    Column("ค่าจัดส่ง", "money", 11, total=True),
    Column("ยอดขายรวม", "money", 13, total=True),
    Column("คืนเงิน", "money", 12, total=True),
    Column("ยอดขายสุทธิ", "money", 13, total=True),
    Column("มูลค่าก่อนภาษี (สุทธิ)", "money", 14, total=True),
    Column("ภาษีมูลค่าเพิ่ม (สุทธิ)", "money", 14, total=True),
)
SALES_PRODUCT: Final = (
    Column("รหัสสินค้า", "text", 14),
    Column("ชื่อสินค้า", "text", 32),
    Column("จำนวนที่ขาย", "int", 11, total=True),
    Column("จำนวนที่คืน", "int", 11, total=True),
    Column("จำนวนสุทธิ", "int", 11, total=True),
    Column("จำนวนออเดอร์", "int", 12, total=True),
    Column("ยอดขาย", "money", 13, total=True),
    Column("คืนเงิน", "money", 12, total=True),
    Column("ยอดขายสุทธิ", "money", 13, total=True),
    Column("สัดส่วน", "percent", 9),
)
SALES_CHANNEL: Final = (
    Column("ช่องทาง", "text", 16),
    Column("จำนวนออเดอร์", "int", 13, total=True),
    Column("ยอดขาย", "money", 15, total=True),
    Column("คืนเงิน", "money", 14, total=True),
    Column("ยอดขายสุทธิ", "money", 15, total=True),
    Column("สัดส่วน", "percent", 10),
)
SALES_PAYMENT: Final = (
    Column("วิธีชำระเงิน", "text", 18),
    Column("จำนวนรายการ", "int", 13, total=True),
    Column("ชำระแล้ว", "money", 15, total=True),
    Column("รอชำระ", "money", 15, total=True),
    Column("รวม", "money", 15, total=True),
)
SALES_ORDERS: Final = (
    Column("วันที่", "date", 12),
    Column("เลขที่คำสั่งซื้อ", "text", 17),
    Column("ลูกค้า", "text", 24),
    Column("ช่องทาง", "text", 11),
    Column("วิธีชำระเงิน", "text", 15),
    Column("สถานะ", "text", 16),
    Column("ยอดสินค้า", "money", 13, total=True),
    Column("ส่วนลด", "money", 11, total=True),
    Column("ค่าจัดส่ง", "money", 11, total=True),
    Column("มูลค่าก่อนภาษี", "money", 14, total=True),
    Column("ภาษีมูลค่าเพิ่ม", "money", 13, total=True),
    Column("ยอดรวม", "money", 13, total=True),
)
SALES_REFUNDS: Final = (
    Column("วันที่คืนเงิน", "date", 12),
    Column("เลขที่คำสั่งซื้อ", "text", 17),
    Column("วันที่สั่งซื้อ", "date", 12),
    Column("ลูกค้า", "text", 22),
    Column("เหตุผล", "text", 38),
    Column("เลขที่ใบลดหนี้", "text", 16),
    Column("จำนวนที่คืน", "int", 11, total=True),
    Column("มูลค่าก่อนภาษี", "money", 13, total=True),
    Column("ภาษีมูลค่าเพิ่ม", "money", 13, total=True),
    Column("ยอดคืนเงิน", "money", 13, total=True),
)
REFUND_ROW_TH: Final = "คืนเงินให้ลูกค้า"
PARTLY_REFUNDED_TH: Final = "คืนเงินบางส่วน"
NET_NOTE: Final = (
    "ยอดขายเป็นยอดสุทธิหลังหักการคืนเงิน: คำสั่งซื้อนับตามวันที่สั่งซื้อ (ไม่รวมที่ยกเลิก)"
    " ส่วนการคืนเงินนับตามวันที่คืนเงิน เช่นเดียวกับใบลดหนี้ในรายงานภาษีขาย"
    " ตัวเลขของงวดที่ปิดแล้วจึงไม่เปลี่ยนเมื่อมีการคืนเงินภายหลัง"
    " (คืนเงินแสดงเป็นยอดติดลบ ยอดคืนเงินของสินค้าคิดตามยอดสินค้าก่อนส่วนลดท้ายบิล)"
)


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


# Orders placed in [lo, hi) that are sales; refunds made in [lo, hi) on such orders.
_PLACED: Final = f"o.created_at >= ? AND o.created_at < ? AND o.status NOT IN {NOT_SALES_SQL}"
_REFUNDED: Final = (
    "FROM refunds r JOIN orders o ON o.id = r.order_id"
    f" WHERE r.at >= ? AND r.at < ? AND o.status NOT IN {NOT_SALES_SQL}"
)


def _sales_days(
    raw: DriverConnection, date_from: dt.date, date_to: dt.date, lo: str, hi: str
) -> list[list[Any]]:
    days: dict[str, list[int]] = {
        d: [*v, 0, 0]
        for d, *v in raw.execute(
            f"SELECT date(o.created_at, '{_SHIFT}'), COUNT(*), SUM(o.subtotal_satang),"
            " SUM(o.discount_satang), SUM(o.shipping_satang), SUM(o.total_satang),"
            f" SUM(o.vat_satang) FROM orders o WHERE {_PLACED} GROUP BY 1",
            (lo, hi),
        )
    }
    for d, amount, vat in raw.execute(
        f"SELECT date(r.at, '{_SHIFT}'), SUM(r.amount_satang), SUM(r.vat_satang) {_REFUNDED}"
        " GROUP BY 1",
        (lo, hi),
    ):
        day = days.setdefault(d, [0, 0, 0, 0, 0, 0, 0, 0])
        day[6], day[7] = amount, vat
    rows: list[list[Any]] = []
    d = date_from
    while d <= date_to:
        n, goods, disc, ship, total, vat, back, back_vat = days.get(d.isoformat(), [0] * 8)
        net, net_vat = total - back, vat - back_vat
        rows.append([d, n, goods, disc, ship, total, -back, net, net - net_vat, net_vat])
        d += dt.timedelta(days=1)
    return rows


def _product_key(pid: int | None, sku: str) -> tuple[int | None, str | None]:
    return pid, (sku if pid is None else None)


def _sales_products(raw: DriverConnection, lo: str, hi: str) -> list[list[Any]]:
    # key → [sku, name, sold, returned, orders, sales, refunded]
    found: dict[tuple[int | None, str | None], list[Any]] = {}
    for pid, gone, sku, name, qty, n, total in raw.execute(
        "SELECT i.product_id, CASE WHEN i.product_id IS NULL THEN i.sku END, MAX(i.sku),"
        " MAX(COALESCE(p.name_th, i.name)), SUM(i.quantity), COUNT(DISTINCT i.order_id),"
        " SUM(i.line_total_satang)"
        " FROM orders o JOIN order_items i ON i.order_id = o.id"
        " LEFT JOIN products p ON p.id = i.product_id"
        f" WHERE {_PLACED} GROUP BY 1, 2",
        (lo, hi),
    ):
        found[(pid, gone)] = [sku, name, qty, 0, n, total, 0]
    for ln in returned_lines(raw, lo, hi):
        row = found.setdefault(
            _product_key(ln.product_id, ln.sku), [ln.sku, ln.name, 0, 0, 0, 0, 0]
        )
        row[3] += ln.quantity
        row[6] += ln.gross_satang
    net_sales = sum(r[5] - r[6] for r in found.values())
    rows = [
        [sku, name, sold, -back, sold - back, n, sales, -refunded, sales - refunded]
        for sku, name, sold, back, n, sales, refunded in found.values()
    ]
    rows.sort(key=lambda r: (-r[8], -r[4], r[0]))
    return [[*r, _share(r[8], net_sales)] for r in rows]


def _sales_channels(raw: DriverConnection, lo: str, hi: str) -> list[list[Any]]:
    found: dict[str, list[int]] = {
        ch: [n, total, 0]
        for ch, n, total in raw.execute(
            f"SELECT o.channel, COUNT(*), SUM(o.total_satang) FROM orders o WHERE {_PLACED}"
            " GROUP BY 1",
            (lo, hi),
        )
    }
    for ch, amount in raw.execute(
        f"SELECT o.channel, SUM(r.amount_satang) {_REFUNDED} GROUP BY 1", (lo, hi)
    ):
        found.setdefault(ch, [0, 0, 0])[2] = amount
    net_sales = sum(total - back for _, total, back in found.values())
    ranked = sorted(found.items(), key=lambda kv: (-(kv[1][1] - kv[1][2]), kv[0]))
    return [
        [CHANNEL_TH.get(ch, ch), n, total, -back, total - back, _share(total - back, net_sales)]
        for ch, (n, total, back) in ranked
    ]


def _sales_payments(raw: DriverConnection, lo: str, hi: str) -> list[list[Any]]:
    payments = raw.execute(
        f"""
        SELECT method, COUNT(*), SUM(CASE WHEN paid THEN amount ELSE 0 END),
            SUM(CASE WHEN paid THEN 0 ELSE amount END), SUM(amount)
        FROM (
            SELECT p.method AS method, p.amount_satang AS amount, 1 AS paid
            FROM orders o JOIN order_payments p ON p.order_id = o.id WHERE {_PLACED}
            UNION ALL
            SELECT o.payment_method, o.total_satang, o.payment_status IN ('paid', 'refunded')
            FROM orders o WHERE {_PLACED}
              AND NOT EXISTS (SELECT 1 FROM order_payments p WHERE p.order_id = o.id)
        )
        GROUP BY method ORDER BY 5 DESC
        """,
        (lo, hi, lo, hi),
    ).fetchall()
    rows: list[list[Any]] = [
        [PAYMENT_TH.get(m, m), n, paid, unpaid, t] for m, n, paid, unpaid, t in payments
    ]
    n, back = raw.execute(
        f"SELECT COUNT(*), COALESCE(SUM(r.amount_satang), 0) {_REFUNDED}", (lo, hi)
    ).fetchone()
    if n:
        rows.append([REFUND_ROW_TH, n, -back, 0, -back])
    return rows


def _sales_orders(raw: DriverConnection, lo: str, hi: str) -> Iterator[list[Any]]:
    fromiso = dt.date.fromisoformat
    channel_th, payment_th, status_th = CHANNEL_TH.get, PAYMENT_TH.get, STATUS_TH.get
    for (
        created,
        number,
        name,
        channel,
        method,
        status,
        partly,
        subtotal,
        discount,
        shipping,
        vat,
        total,
    ) in raw.execute(
        f"SELECT date(o.created_at, '{_SHIFT}'), o.number, o.customer_name, o.channel,"
        " o.payment_method, o.status,"
        " o.status <> 'refunded' AND EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id),"
        " o.subtotal_satang, o.discount_satang, o.shipping_satang, o.vat_satang,"
        f" o.total_satang FROM orders o WHERE {_PLACED} ORDER BY o.created_at, o.id",
        (lo, hi),
    ):
        shown = status_th(status, status)
        yield [
            fromiso(created),
            number,
            name,
            channel_th(channel, channel),
            payment_th(method, method),
            f"{shown} · {PARTLY_REFUNDED_TH}" if partly else shown,
            subtotal,
            discount,
            shipping,
            total - vat,
            vat,
            total,
        ]


def _sales_refunds(raw: DriverConnection, lo: str, hi: str) -> list[list[Any]]:
    return [
        [
            _local_date(at),
            number,
            _local_date(created),
            name or "-",
            reason,
            credit or "",
            units,
            amount - vat,
            vat,
            amount,
        ]
        for at, number, created, name, reason, credit, units, amount, vat in raw.execute(
            "SELECT r.at, o.number, o.created_at, o.customer_name, r.reason,"
            " (SELECT d.number FROM tax_documents d WHERE d.id = r.credit_note_id),"
            " (SELECT COALESCE(SUM(l.quantity), 0) FROM refund_lines l"
            "  WHERE l.refund_id = r.id), r.amount_satang, r.vat_satang"
            f" {_REFUNDED} ORDER BY r.at, r.id",
            (lo, hi),
        )
    ]


def _sales(raw: DriverConnection, date_from: dt.date, date_to: dt.date) -> list[Table]:
    lo, hi = _bound(date_from), _bound(date_to + dt.timedelta(days=1))
    day_rows = _sales_days(raw, date_from, date_to, lo, hi)
    product_rows = _sales_products(raw, lo, hi)
    channel_rows = _sales_channels(raw, lo, hi)
    payment_rows = _sales_payments(raw, lo, hi)
    refund_rows = _sales_refunds(raw, lo, hi)
    (n_orders,) = raw.execute(f"SELECT COUNT(*) FROM orders o WHERE {_PLACED}", (lo, hi)).fetchone()
    return [
        Table("ยอดขายรายวัน", SALES_DAY, day_rows, len(day_rows), landscape=True),
        Table("ยอดขายตามสินค้า", SALES_PRODUCT, product_rows, len(product_rows), landscape=True),
        Table("ยอดขายตามช่องทาง", SALES_CHANNEL, channel_rows, len(channel_rows)),
        Table("ยอดขายตามวิธีชำระเงิน", SALES_PAYMENT, payment_rows, len(payment_rows)),
        Table(
            "รายการคำสั่งซื้อ",
            SALES_ORDERS,
            _sales_orders(raw, lo, hi),
            n_orders,
            pdf=False,
            landscape=True,
        ),
        Table("รายการคืนเงิน", SALES_REFUNDS, refund_rows, len(refund_rows), landscape=True),
    ]


# ---------------------------------------------------------------------------- products


PRODUCT_COLUMNS: Final = (
    Column("รหัสสินค้า", "text", 13),
    Column("ชื่อสินค้า", "text", 30),
    Column("หมวดหมู่", "text", 13),
    Column("ยอดเข้าชม", "int", 10, total=True),
    Column("เพิ่มลงตะกร้า", "int", 11, total=True),
    Column("จำนวนขายสุทธิ", "int", 12, total=True),
    Column("จำนวนที่คืน", "int", 11, total=True),
    Column("จำนวนออเดอร์", "int", 12, total=True),
    Column("ยอดขายสุทธิ", "money", 13, total=True),
    Column("คืนเงิน", "money", 12, total=True),
    Column("ต้นทุนขาย", "money", 13, total=True),
    Column("กำไรขั้นต้น", "money", 13, total=True),
    Column("สต็อกคงเหลือ", "int", 11, total=True),
    Column("คะแนนรีวิว", "rating", 10),
)


def _products(raw: DriverConnection, date_from: dt.date, date_to: dt.date) -> list[Table]:
    """Quantities and sales net of the refunds made in the range (at their dates); the cost
    of sales is the cost of the units sold less those given back."""
    lo, hi = _bound(date_from), _bound(date_to + dt.timedelta(days=1))
    events: dict[int, list[int]] = {}
    for pid, kind, n in raw.execute(
        "SELECT product_id, kind, COUNT(*) FROM analytics_events"
        " WHERE kind IN ('product_viewed', 'added_to_cart') AND at >= ? AND at < ?"
        " AND product_id IS NOT NULL GROUP BY 1, 2",
        (lo, hi),
    ):
        events.setdefault(pid, [0, 0])[0 if kind == "product_viewed" else 1] = n
    sold: dict[int, list[int]] = {
        pid: [qty, n, total, 0, 0]
        for pid, qty, n, total in raw.execute(
            "SELECT i.product_id, SUM(i.quantity), COUNT(DISTINCT i.order_id),"
            " SUM(i.line_total_satang) FROM orders o JOIN order_items i ON i.order_id = o.id"
            f" WHERE {_PLACED} AND i.product_id IS NOT NULL GROUP BY 1",
            (lo, hi),
        )
    }
    for ln in returned_lines(raw, lo, hi):
        if ln.product_id is not None:
            got = sold.setdefault(ln.product_id, [0, 0, 0, 0, 0])
            got[3] += ln.quantity
            got[4] += ln.gross_satang
    ratings = {
        pid: Decimal(total) / Decimal(n)
        for pid, total, n in raw.execute(
            "SELECT product_id, SUM(rating), COUNT(*) FROM product_reviews GROUP BY 1"
        )
    }
    rows = []
    for pid, sku, name, category, cost, stock in raw.execute(
        "SELECT p.id, p.sku, p.name_th, c.name, p.cost_satang,"
        " (SELECT COALESCE(SUM(v.stock), 0) FROM product_variants v WHERE v.product_id = p.id)"
        " FROM products p LEFT JOIN categories c ON c.id = p.category_id"
    ):
        qty, n, total, back, refunded = sold.get(pid, (0, 0, 0, 0, 0))
        views, carts = events.get(pid, (0, 0))
        net_qty, net = qty - back, total - refunded
        cost_total = cost * net_qty if cost is not None else None
        rating = ratings.get(pid)
        rows.append(
            [
                sku,
                name,
                category or "",
                views,
                carts,
                net_qty,
                -back,
                n,
                net,
                -refunded,
                cost_total,
                net - cost_total if cost_total is not None else None,
                stock,
                rating.quantize(Decimal("0.1")) if rating is not None else None,
            ]
        )
    rows.sort(key=lambda r: (-r[8], -r[5], -r[3], r[0]))
    return [Table("ประสิทธิภาพสินค้า", PRODUCT_COLUMNS, rows, len(rows), landscape=True)]


# ---------------------------------------------------------------------------- customers


CUSTOMER_COLUMNS: Final = (
    Column("ชื่อลูกค้า", "text", 26),
    Column("โทรศัพท์", "text", 13),
    Column("เป็นลูกค้าตั้งแต่", "date", 15),
    Column("ออเดอร์ในช่วง", "int", 13, total=True),
    Column("ยอดซื้อสุทธิในช่วง", "money", 15, total=True),
    Column("ยอดเฉลี่ยต่อออเดอร์", "money", 17),
    Column("ซื้อล่าสุด", "date", 12),
    Column("ออเดอร์ทั้งหมด", "int", 14, total=True),
    Column("ยอดซื้อสุทธิทั้งหมด", "money", 15, total=True),
    Column("กลุ่มลูกค้า", "text", 16),
)


def _customers(raw: DriverConnection, date_from: dt.date, date_to: dt.date) -> list[Table]:
    """Spending net of refunds: in the range, the orders placed in it less the refunds made
    in it (on any of the customer's orders); in all time, every order less every refund. A
    customer with only a refund in the range is listed too (the rows add up to the sales
    report's net sales of customers' orders)."""
    lo, hi = _bound(date_from), _bound(date_to + dt.timedelta(days=1))
    rows = []
    for name, phone, since, n, spent, last, n_all, spent_all, segment in raw.execute(
        f"""
        WITH life AS (
            SELECT customer_id AS cid, COUNT(*) AS n, SUM(total_satang) AS spent,
                MAX(created_at) AS last,
                SUM(created_at >= :lo AND created_at < :hi) AS n_in,
                SUM(CASE WHEN created_at >= :lo AND created_at < :hi THEN total_satang END)
                    AS spent_in
            FROM orders WHERE customer_id IS NOT NULL AND status NOT IN {NOT_SALES_SQL}
            GROUP BY customer_id
        ), back AS (
            SELECT o.customer_id AS cid, SUM(r.amount_satang) AS back,
                SUM(CASE WHEN r.at >= :lo AND r.at < :hi THEN r.amount_satang END) AS back_in
            FROM refunds r JOIN orders o ON o.id = r.order_id
            WHERE o.customer_id IS NOT NULL AND o.status NOT IN {NOT_SALES_SQL}
            GROUP BY o.customer_id
        )
        SELECT c.name, c.phone, c.created_at, COALESCE(l.n_in, 0),
            COALESCE(l.spent_in, 0) - COALESCE(b.back_in, 0),
            l.last, COALESCE(l.n, 0), COALESCE(l.spent, 0) - COALESCE(b.back, 0),
            COALESCE(s.segment, '')
        FROM customers c
        LEFT JOIN life l ON l.cid = c.id
        LEFT JOIN back b ON b.cid = c.id
        LEFT JOIN customer_scores s ON s.customer_id = c.id
        WHERE c.merged_into_id IS NULL
          AND (l.n_in > 0 OR b.back_in IS NOT NULL
               OR (c.created_at >= :lo AND c.created_at < :hi))
        ORDER BY 5 DESC, 4 DESC, c.name
        """,
        {"lo": lo, "hi": hi},
    ):
        rows.append(
            [
                name or "-",
                phone,
                _local_date(since),
                n,
                spent,
                _average(spent, n),
                _local_date(last) if last else None,
                n_all,
                spent_all,
                segment,
            ]
        )
    return [Table("ลูกค้า", CUSTOMER_COLUMNS, rows, len(rows), landscape=True)]


def _average(spent: int, n: int) -> int | None:
    """Net spending per order, rounded half away from zero (None without orders)."""
    if not n:
        return None
    sign = -1 if spent < 0 else 1
    return sign * ((2 * abs(spent) + n) // (2 * n))


# ---------------------------------------------------------------------------- VAT


VAT_COLUMNS: Final = (
    Column("ลำดับที่", "int", 8),
    Column("วันที่ใบกำกับภาษี", "date", 14),
    Column("เลขที่ใบกำกับภาษี", "text", 19),
    Column("ชื่อผู้ซื้อสินค้า/ผู้รับบริการ", "text", 32),
    Column("เลขประจำตัวผู้เสียภาษีอากรของผู้ซื้อ", "text", 19),
    Column("สถานประกอบการ", "text", 16),
    Column("มูลค่าสินค้าหรือบริการ", "money", 18, total=True),
    Column("จำนวนเงินภาษีมูลค่าเพิ่ม", "money", 18, total=True),
)


def _branch_text(tax_id: str, branch: str) -> str:
    """The buyer's branch as the report shows it (blank without a tax ID)."""
    b = branch.strip()
    if not tax_id.strip():
        return ""
    if not b or b in ("00000", "0", "สำนักงานใหญ่", "head office"):
        return "สำนักงานใหญ่"
    if b.isdigit():
        return f"สาขาที่ {b.zfill(5)}"
    return b if b.startswith("สาขา") else f"สาขา {b}"


def vat_rows(raw: DriverConnection, date_from: dt.date, date_to: dt.date) -> list[list[Any]]:
    """The VAT report's rows (without the running number), sorted by date and number:
    ``[date, number, buyer, buyer tax id, branch, value before VAT (satang), VAT (satang)]``.
    See the module docstring for the rules."""
    import json

    lo, hi = _bound(date_from), _bound(date_to + dt.timedelta(days=1))
    out: list[list[Any]] = []

    def buyer_of(doc_buyer: str | None, name: str, tax_id: str, branch: str) -> tuple[str, ...]:
        data: dict[str, Any] = {}
        if doc_buyer:
            with contextlib.suppress(ValueError, TypeError):
                data = dict(json.loads(doc_buyer))
        b_name = str(data.get("name") or name or "").strip()
        b_tax = str(data.get("tax_id") or (tax_id if not data else "") or "").strip()
        b_branch = str(data.get("branch") or (branch if not data else "") or "").strip()
        return b_name or "ลูกค้าทั่วไป", b_tax, _branch_text(b_tax, b_branch)

    # Sales, at their tax point, under their tax invoice when one was printed.
    for number, tax_point, name, tax_id, branch, total, vat, doc_number, doc_buyer in raw.execute(
        """
        WITH doc AS (
            SELECT order_id, number, buyer,
                ROW_NUMBER() OVER (
                    PARTITION BY order_id ORDER BY CASE kind WHEN 'full' THEN 0 ELSE 1 END, id
                ) AS pick
            FROM tax_documents
            WHERE kind IN ('full', 'abbreviated') AND cancelled_at IS NULL
        )
        SELECT o.number, o.tax_point_at, o.customer_name, o.customer_tax_id,
            o.customer_branch, o.total_satang, o.vat_satang, d.number, d.buyer
        FROM orders o LEFT JOIN doc d ON d.order_id = o.id AND d.pick = 1
        WHERE o.tax_point_at >= :lo AND o.tax_point_at < :hi
        """,
        {"lo": lo, "hi": hi},
    ):
        b_name, b_tax, b_branch = buyer_of(doc_buyer, name, tax_id, branch)
        out.append(
            [
                _local_date(tax_point),
                doc_number or number,
                b_name,
                b_tax,
                b_branch,
                total - vat,
                vat,
            ]
        )

    # Cancelled tax invoices keep their number, with nothing to pay; each credit note reduces
    # by exactly its refund (one per refund: a sale refunded in parts has several).
    for kind, doc_number, issued, doc_buyer, name, tax_id, branch, total, vat in raw.execute(
        """
        SELECT d.kind, d.number, d.issued_at, d.buyer, o.customer_name, o.customer_tax_id,
            o.customer_branch, COALESCE(r.amount_satang, o.total_satang),
            COALESCE(r.vat_satang, o.vat_satang)
        FROM tax_documents d JOIN orders o ON o.id = d.order_id
        LEFT JOIN refunds r ON r.credit_note_id = d.id
        WHERE d.issued_at >= :lo AND d.issued_at < :hi
          AND (d.kind = 'credit_note'
               OR (d.kind IN ('full', 'abbreviated') AND d.cancelled_at IS NOT NULL))
        """,
        {"lo": lo, "hi": hi},
    ):
        b_name, b_tax, b_branch = buyer_of(doc_buyer, name, tax_id, branch)
        if kind == "credit_note":
            out.append(
                [_local_date(issued), doc_number, b_name, b_tax, b_branch, -(total - vat), -vat]
            )
        else:
            out.append(
                [_local_date(issued), doc_number, f"ยกเลิก ({b_name})", b_tax, b_branch, 0, 0]
            )
    out.sort(key=lambda r: (r[0], r[1]))
    return out


def _vat(raw: DriverConnection, date_from: dt.date, date_to: dt.date) -> list[Table]:
    rows = [[n, *r] for n, r in enumerate(vat_rows(raw, date_from, date_to), start=1)]
    return [Table("รายงานภาษีขาย", VAT_COLUMNS, rows, len(rows), landscape=True)]


# ---------------------------------------------------------------------------- building


def build_report(session: Session, kind: str, date_from: dt.date, date_to: dt.date) -> Report:
    """The report ``kind`` (one of :data:`KINDS`) for the Bangkok dates ``date_from`` ..
    ``date_to``. Its big table streams from ``session``: write it before the session closes.
    Raises :class:`UserError` ``report.unknown_kind`` or ``report.bad_range``."""
    if kind not in KINDS:
        raise UserError(
            "report.unknown_kind",
            f"unknown report {kind!r}; choose one of {', '.join(KINDS)}",
            kind=kind,
        )
    _check_range(date_from, date_to)
    raw = DriverConnection(session)
    period = _period_text(date_from, date_to)
    if kind == "vat":
        when = f"เดือนภาษี {period.removeprefix('เดือน ')}" if period.startswith("เดือน") else period
        lines = [when, *_shop_lines(session, tax=True)]
        notes = [
            "รายการขายแสดงตามวันที่ความรับผิดในการเสียภาษีเกิดขึ้น (มาตรา 78) พร้อมเลขที่ใบกำกับภาษี"
            " รายการที่ยังไม่ได้พิมพ์ใบกำกับภาษีแสดงเลขที่คำสั่งซื้อ ใบกำกับภาษีที่ยกเลิกแสดงยอดเป็นศูนย์"
            " การคืนเงินลดภาษีได้ด้วยใบลดหนี้เท่านั้น แสดงเป็นยอดติดลบ",
        ]
        tables = _vat(raw, date_from, date_to)
    else:
        lines = [*_shop_lines(session), period]
        notes = (
            [NET_NOTE] if kind in ("sales", "products", "customers")
            else []
        )  # fmt: skip
        tables = {"sales": _sales, "products": _products, "customers": _customers}[kind](
            raw, date_from, date_to
        )
    return Report(kind, TITLES[kind], lines, tables, notes, date_from, date_to, period)
