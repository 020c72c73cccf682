"""Qt models of the Orders screen: the order list (a page at a time, newest first), an order's
items and its timeline; and the words for statuses, payments and channels."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import (
    OrderFilters,
    OrderItemView,
    OrderSummary,
    TimelineEntry,
)
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import t
from minichat_desktop.ui.ops import Ops
from minichat_desktop.ui.tables import RIGHT, Index, RowsTableModel

log = logging.getLogger(__name__)

PAGE_SIZE = 200


# ---------------------------------------------------------------------------- words


def status_label(status: str) -> str:
    return {
        "pending": t("Pending"),
        "confirmed": t("Confirmed"),
        "processing": t("Packing"),
        "shipped": t("Shipped"),
        "delivered": t("Delivered"),
        "cancelled": t("Cancelled"),
        "refunded": t("Refunded"),
    }.get(status, status)


def payment_label(status: str) -> str:
    return {
        "pending": t("Unpaid"),
        "paid": t("Paid"),
        "failed": t("Payment failed"),
        "refunded": t("Refunded"),
    }.get(status, status)


def method_label(method: str) -> str:
    return {
        "promptpay": t("PromptPay"),
        "bank_transfer": t("Bank transfer"),
        "cash": t("Cash"),
        "card": t("Card"),
        "cod": t("Cash on delivery"),
        "other": t("Other"),
    }.get(method, method)


def channel_label(channel: str) -> str:
    return {
        "widget": t("Website chat"),
        "line": t("LINE"),
        "pos": t("Counter"),
        "manual": t("Entered by hand"),
    }.get(channel, channel)


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
        "refunded": t("Refunded"),
    }.get(event, event)


def actor_label(actor: str) -> str:
    """Who did it: the app's own actors in the UI's language, a person's name as typed."""
    return {"bot": t("the bot"), "owner": t("the owner"), "system": t("MiniChat")}.get(actor, actor)


STATUS_COLORS = {
    "pending": theme.AMBER,
    "confirmed": theme.GREEN,
    "processing": theme.GREEN,
    "shipped": theme.GREEN_DARK,
    "delivered": theme.MUTED,
    "cancelled": theme.RED,
    "refunded": theme.RED,
}


def bangkok(when: dt.datetime | None, fmt: str = "%d/%m/%y %H:%M") -> str:
    return when.astimezone(BANGKOK).strftime(fmt) if when is not None else "–"


# ---------------------------------------------------------------------------- tables


class OrderTableModel(RowsTableModel):
    """The order list, newest first, a page at a time as the owner scrolls. :meth:`reload`
    shows a new query; an older answer still on its way is dropped."""

    COLUMNS = ("Order", "Date", "Customer", "Sold via", "Status", "Payment", "Total (฿)")
    NUMBER, DATE, CUSTOMER, CHANNEL, STATUS, PAYMENT, TOTAL = range(7)
    RIGHT_COLUMNS = (TOTAL,)

    loaded = Signal(int)  # generation now shown
    failed = Signal(object)

    def __init__(self, ops: Ops, parent: Any = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.rows: list[OrderSummary] = []
        self.filters = OrderFilters()
        self.generation = 0
        self._more = False
        self._fetching = False
        self._task: asyncio.Future[None] | None = None

    async def reload(self, filters: OrderFilters) -> bool:
        self.generation += 1
        gen = self.generation
        self._fetching = True
        try:
            rows = await self.ops.read(orders.list_orders, filters, limit=PAGE_SIZE, offset=0)
        except Exception as exc:
            if gen == self.generation:
                self._fetching = False
                self._report(exc)
            return False
        if gen != self.generation:
            return False
        self.beginResetModel()
        self.filters = filters
        self.rows = rows
        self._more = len(rows) == PAGE_SIZE
        self._fetching = False
        self.endResetModel()
        self.loaded.emit(gen)
        return True

    def _report(self, exc: Exception) -> None:
        if asyncio._get_running_loop() is None:
            log.info("order list not loaded, the event loop has stopped: %r", exc)
            return
        self.failed.emit(exc)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        self._task = asyncio.ensure_future(self._fetch_more(self.generation))

    async def _fetch_more(self, gen: int) -> None:
        try:
            rows = await self.ops.read(
                orders.list_orders, self.filters, limit=PAGE_SIZE, offset=len(self.rows)
            )
        except Exception as exc:
            if gen == self.generation:
                self._fetching = False
                self._report(exc)
            return
        if gen != self.generation:
            return
        seen = {r.id for r in self.rows}
        fresh = [r for r in rows if r.id not in seen]
        self._more = len(rows) == PAGE_SIZE
        self._fetching = False
        if fresh:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(fresh) - 1)
            self.rows.extend(fresh)
            self.endInsertRows()
        self.loaded.emit(gen)

    @property
    def has_more(self) -> bool:
        return self._more

    def row_of(self, order_id: int) -> int:
        for i, r in enumerate(self.rows):
            if r.id == order_id:
                return i
        return -1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if c == self.NUMBER:
                return r.number
            if c == self.DATE:
                return bangkok(r.created_at)
            if c == self.CUSTOMER:
                return " · ".join(x for x in (r.customer_name, r.customer_phone) if x) or "–"
            if c == self.CHANNEL:
                return channel_label(r.channel)
            if c == self.STATUS:
                return status_label(r.status)
            if c == self.PAYMENT:
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
                if r.payment_status == "refunded":
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
        return (bangkok(e.created_at), timeline_text(e), actor_label(e.actor))[index.column()]
