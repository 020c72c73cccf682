"""Qt models of the Orders screen: the order list (a page at a time, newest first), an order's
items and its timeline; and the words for statuses, payments and channels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from minichat_desktop.app.paging import Page
from minichat_desktop.domain import glossary
from minichat_desktop.domain.glossary import actor_name
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import (
    OrderFilters,
    OrderItemView,
    OrderSummary,
    TimelineEntry,
)
from minichat_desktop.domain.thai import format_baht, format_phone
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.i18n import current_language, t
from minichat_desktop.ui.ops import Ops
from minichat_desktop.ui.tables import RIGHT, Index, PagedTableModel, RowsTableModel

# ---------------------------------------------------------------------------- words


def status_label(status: str) -> str:
    """An order status in the UI's language (domain.glossary: the same word everywhere)."""
    return glossary.name_of(glossary.ORDER_STATUS, status, current_language())


def payment_label(status: str) -> str:
    return glossary.name_of(glossary.PAYMENT_STATUS, status, current_language())


def method_label(method: str) -> str:
    return glossary.name_of(glossary.PAYMENT_METHOD, method, current_language())


def channel_label(channel: str) -> str:
    return glossary.name_of(glossary.CHANNEL, channel, current_language())


def event_label(event: str) -> str:
    """The order-message events of :mod:`order_notify`, as the owner reads them."""
    return {
        "confirmed": t("Order confirmed"),
        "paid": t("Payment received"),
        "processing": t("Packing"),
        "shipped": t("Shipped (with tracking)"),
        "tracking": t("Tracking number changed"),
        "delivered": t("Delivered"),
        "cancelled": t("Cancelled"),
        "partly_refunded": t("Partly refunded"),
        "refunded": t("Refunded"),
    }.get(event, event)


def actor_label(actor: str) -> str:
    """Who did it: the app's own actors in the UI's language (domain.glossary), a person's
    name as typed."""
    return actor_name(actor, current_language())


# An order status's tone (theme.badge in the detail pane, its colour in the list).
STATUS_TONES = {
    "pending": "warn",
    "confirmed": "ok",
    "processing": "ok",
    "shipped": "done",
    "delivered": "muted",
    "cancelled": "error",
    "refunded": "error",
}
STATUS_COLORS = {status: theme.BADGE_COLORS[tone] for status, tone in STATUS_TONES.items()}


def bangkok(when: dt.datetime | None, *, short: bool = False) -> str:
    """A stored time as the order screens show it (``6 ธ.ค. 2569 14:05``; ``short`` in lists)."""
    return i18n.when(when, short=short)


# ---------------------------------------------------------------------------- tables


class OrderTableModel(PagedTableModel[OrderFilters, OrderSummary]):
    """The order list, newest first, a page at a time as the owner scrolls. :meth:`reload`
    shows a new query; an older answer still on its way is dropped."""

    COLUMNS = ("Order", "Date", "Customer", "Sold via", "Status", "Payment", "Total (฿)")
    NUMBER, DATE, CUSTOMER, CHANNEL, STATUS, PAYMENT, TOTAL = range(7)
    RIGHT_COLUMNS = (TOTAL,)

    def __init__(self, ops: Ops, parent: Any = None) -> None:
        super().__init__(OrderFilters(), parent)
        self.ops = ops

    async def reload(self, filters: OrderFilters) -> bool:
        """Show the first page of the orders ``filters`` match; False when a newer reload
        overtook this one."""
        return await self.load(filters)

    async def read_page(self, request: OrderFilters, offset: int) -> Page[OrderSummary]:
        rows = await self.ops.read(orders.list_orders, request, limit=self.PAGE_SIZE, offset=offset)
        return Page(rows, offset + len(rows), len(rows) == self.PAGE_SIZE)

    def key(self, row: OrderSummary) -> Hashable:
        return row.id

    @property
    def filters(self) -> OrderFilters:
        """The filters of the rows shown."""
        return self.request

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if c == self.NUMBER:
                return r.number
            if c == self.DATE:
                return bangkok(r.created_at, short=True)
            if c == self.CUSTOMER:
                phone = format_phone(r.customer_phone)
                return " · ".join(x for x in (r.customer_name, phone) if x) or "–"
            if c == self.CHANNEL:
                return channel_label(r.channel)
            if c == self.STATUS:
                return status_label(r.status)
            if c == self.PAYMENT:
                if r.partly_refunded:
                    return t("Partly refunded {amount}").format(
                        amount=format_baht(r.refunded_satang, symbol=True)
                    )
                return payment_label(r.payment_status)
            if c == self.TOTAL:
                return format_baht(r.total_satang)
        if role == Qt.ItemDataRole.TextAlignmentRole and c == self.TOTAL:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            if c == self.STATUS:
                return QBrush(QColor(STATUS_COLORS.get(r.status, theme.INK)))
            if c == self.PAYMENT:
                color = theme.GREEN_DARK if r.payment_status == "paid" else theme.AMBER
                if r.payment_status == "refunded" or r.partly_refunded:
                    color = theme.RED
                return QBrush(QColor(color))
        if role == Qt.ItemDataRole.ToolTipRole and r.tracking_number:
            return f"{r.carrier} {r.tracking_number}".strip()
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        return None


class ItemsModel(RowsTableModel):
    COLUMNS = ("Item", "Unit price", "Qty", "Discount", "Amount")
    RIGHT_COLUMNS = (1, 2, 3, 4)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[OrderItemView] = []

    def set_rows(self, rows: Sequence[OrderItemView]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        i = self.rows[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 0:
                name = f"{i.name} ({i.variant_title})" if i.variant_title else i.name
                return f"{name} · {i.sku}" if i.sku else name
            if c == 1:
                return format_baht(i.unit_price_satang)
            if c == 2:
                return f"{i.quantity:,}"
            if c == 3:
                return format_baht(i.discount_satang) if i.discount_satang else "–"
            if c == 4:
                return format_baht(i.line_total_satang)
        if role == Qt.ItemDataRole.TextAlignmentRole and c in self.RIGHT_COLUMNS:
            return RIGHT
        return None


def timeline_text(entry: TimelineEntry) -> str:
    if entry.kind == "status":
        what = t("Status: {status}").format(status=status_label(entry.status))
    elif entry.kind == "payment":
        what = t("Payment recorded")
    elif entry.kind == "slip":
        what = t("Payment slip received")
    elif entry.kind == "shipping":
        what = t("Shipping updated")
    elif entry.kind == "refund":
        what = t("Refund")
    else:
        what = entry.kind
    note = _note_text(entry.note)
    return f"{what} — {note}" if note else what


def _note_text(note: str) -> str:
    """The domain's timeline notes (English words it writes itself) in the UI's language;
    what a person typed (a cancel reason) is kept as is."""
    fixed = {
        "placed": t("placed"),
        "counter sale": t("counter sale"),
        "paid": t("paid"),
        "payment slip received": "",
    }
    if note in fixed:
        return fixed[note]
    parts = []
    for part in note.split(", "):
        for word, label in (
            ("carrier ", t("carrier")),
            ("tracking ", t("tracking")),
            ("method ", t("method")),
        ):
            if part.startswith(word):
                part = f"{label} {part[len(word) :]}"
                break
        parts.append(part)
    return ", ".join(parts)


class TimelineModel(RowsTableModel):
    COLUMNS = ("When", "What", "By")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[TimelineEntry] = []

    def set_rows(self, rows: Sequence[TimelineEntry]) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=lambda e: e.created_at, reverse=True)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        e = self.rows[index.row()]
        return (bangkok(e.created_at, short=True), timeline_text(e), actor_label(e.actor))[
            index.column()
        ]
