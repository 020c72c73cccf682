"""The customers' pipeline board: a lane per pipeline stage, each with a header (the stage's
name and how many customers are in it) and the customers as cards — name, phone, last order
and what they spent. Drag a card to another lane to move the customer along.

The lanes keep a readable width: when the window is too narrow for all five (beside the
profile, at 1366×728 or the minimum size) the board scrolls sideways inside itself, and
dragging a card near its left or right edge scrolls it. Each lane scrolls its cards
vertically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QDropEvent, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.app.customer_book import CustomerRow
from minichat_desktop.domain.models import PipelineStatus
from minichat_desktop.domain.thai import format_baht, format_phone
from minichat_desktop.ui import theme
from minichat_desktop.ui.customers_labels import local_time, status_label
from minichat_desktop.ui.i18n import t

__all__ = ["BoardColumn", "Card", "CardDelegate", "Lane", "PipelineBoard"]

BOARD_LIMIT = 300  # cards per lane
LANE_MIN_WIDTH = 200  # px: a Thai name, a phone and "฿12,345.00" side by side still read
LANE_GAP = 12
EDGE_SCROLL = 48  # px from the board's edge where a dragged card scrolls it
MIME = "application/x-minichat-customers"
PIPELINE = tuple(s.value for s in PipelineStatus)
CARD_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class Card:
    """What a card shows, already formatted (the delegate only lays it out)."""

    name: str
    phone: str
    last_order: str  # "" when the customer has not bought
    spent: str  # "" when the customer has not bought


def card_of(row: CustomerRow) -> Card:
    c = row.customer
    bought = c.order_count > 0
    last = local_time(row.last_order_at, short=True) if row.last_order_at else ""
    return Card(
        name=c.name or t("(no name)"),
        phone=format_phone(c.phone) if c.phone else "",
        last_order=t("Last order {when}").format(when=last) if last else "",
        spent=format_baht(c.total_spent_satang, symbol=True) if bought else "",
    )


def _line_height(bold: QFont, plain: QFont) -> int:
    """A card's line: tall enough for Thai marks above and below, never Latin metrics."""
    return max(
        QFontMetrics(bold).height(), QFontMetrics(plain).boundingRect(theme.THAI_SAMPLE).height()
    )


class CardDelegate(QStyledItemDelegate):
    """Paints a :class:`Card` as a white rounded card as wide as its lane: the name in bold
    (elided: it gives way) beside the amount spent (never elided), then the phone and the
    last order, muted."""

    PAD = 10
    GAP = 2

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        return bold, QFont(option.font)

    @staticmethod
    def _lines(card: Card) -> int:
        return 1 + bool(card.phone) + bool(card.last_order)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        card = index.data(CARD_ROLE)
        if not isinstance(card, Card):
            return super().sizeHint(option, index)
        bold, plain = self._fonts(option)
        line = _line_height(bold, plain)
        lines = self._lines(card)
        return QSize(LANE_MIN_WIDTH // 2, 2 * self.PAD + lines * line + (lines - 1) * self.GAP)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        card = index.data(CARD_ROLE)
        if not isinstance(card, Card):
            super().paint(painter, option, index)
            return
        rect: QRect = option.rect.adjusted(1, 1, -1, -1)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(QColor(theme.GREEN if selected else theme.LINE_COLOR), 1.5 if selected else 1)
        )
        painter.setBrush(QColor(theme.WHITE))
        painter.drawRoundedRect(rect, 8, 8)
        bold, plain = self._fonts(option)
        line = _line_height(bold, plain)
        inner = rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        y = inner.top()
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

        fm_bold, fm = QFontMetrics(bold), QFontMetrics(plain)
        painter.setFont(bold)
        painter.setPen(QColor(theme.INK))
        spent_w = fm_bold.horizontalAdvance(card.spent) + 8 if card.spent else 0
        if card.spent:
            painter.drawText(QRect(inner.left(), y, inner.width(), line), right, card.spent)
        name = fm_bold.elidedText(card.name, Qt.TextElideMode.ElideRight, inner.width() - spent_w)
        painter.drawText(QRect(inner.left(), y, inner.width() - spent_w, line), left, name)
        painter.setFont(plain)
        painter.setPen(QColor(theme.MUTED))
        for text in (card.phone, card.last_order):
            if text:
                y += line + self.GAP
                shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, inner.width())
                painter.drawText(QRect(inner.left(), y, inner.width(), line), left, shown)
        painter.restore()


class BoardColumn(QListWidget):
    """One pipeline stage's cards. Cards carry customer ids in their own MIME type, so a drop
    from another lane names the customers moved (and a drop onto the same lane does
    nothing)."""

    dropped = Signal(list, str)  # customer ids, new status
    dragged_over = Signal(QPoint)  # global position of a card being dragged

    def __init__(self, status: str) -> None:
        super().__init__()
        self.status = status
        self.setObjectName("LaneCards")
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSpacing(3)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setItemDelegate(CardDelegate(self))
        self.setMinimumWidth(LANE_MIN_WIDTH - 2 * 8)

    def add_card(self, customer_id: int, card: Card, tooltip: str) -> None:
        item = QListWidgetItem(card.name)
        item.setData(Qt.ItemDataRole.UserRole, customer_id)
        item.setData(CARD_ROLE, card)
        item.setToolTip(tooltip)
        self.addItem(item)

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, items: Any) -> QMimeData:
        mime = QMimeData()
        ids = ",".join(str(i.data(Qt.ItemDataRole.UserRole)) for i in items)
        mime.setData(MIME, QByteArray(f"{self.status}|{ids}".encode()))
        return mime

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()
            self.dragged_over.emit(self.viewport().mapToGlobal(event.position().toPoint()))
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        raw = bytes(event.mimeData().data(MIME).data()).decode()
        source, _, ids = raw.partition("|")
        event.setDropAction(Qt.DropAction.CopyAction)  # the board reloads; Qt must not remove
        event.accept()
        if source != self.status and ids:
            self.dropped.emit([int(x) for x in ids.split(",")], self.status)


class Lane(QFrame):
    """A stage's header (name, count) over its cards."""

    def __init__(self, status: str) -> None:
        super().__init__()
        self.setObjectName("Lane")
        self.setMinimumWidth(LANE_MIN_WIDTH)
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 8, 8, 8)
        box.setSpacing(6)
        head = QHBoxLayout()
        head.setContentsMargins(4, 0, 0, 0)
        self.title = QLabel(objectName="LaneTitle")
        self.count = QLabel()
        theme.chip(self.count, "count")
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        head.addWidget(self.title, 1)
        head.addWidget(self.count)
        box.addLayout(head)
        self.cards = BoardColumn(status)
        box.addWidget(self.cards, 1)


class PipelineBoard(QScrollArea):
    """The five lanes side by side; scrolls sideways (only itself) when they do not fit."""

    moved = Signal(list, str)
    opened = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Board")
        self.setProperty("sideways", True)  # support/geometry: scrolling sideways is by design
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        inner = QWidget(objectName="BoardLanes")
        row = QHBoxLayout(inner)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(LANE_GAP)
        self.lanes: dict[str, Lane] = {}
        self.columns: dict[str, BoardColumn] = {}
        self.heads: dict[str, QLabel] = {}
        self.counts: dict[str, QLabel] = {}
        for status in PIPELINE:
            lane = Lane(status)
            lane.cards.dropped.connect(self.moved)
            lane.cards.dragged_over.connect(self._scroll_near_edge)
            lane.cards.itemClicked.connect(
                lambda item: self.opened.emit(int(item.data(Qt.ItemDataRole.UserRole)))
            )
            row.addWidget(lane, 1)
            self.lanes[status] = lane
            self.columns[status] = lane.cards
            self.heads[status] = lane.title
            self.counts[status] = lane.count
        self.setWidget(inner)
        self.retranslate()

    def retranslate(self) -> None:
        for status, head in self.heads.items():
            head.setText(status_label(status))

    def show_rows(self, rows: list[CustomerRow], counts: dict[str, int]) -> None:
        """The cards of ``rows`` in their lanes (at most :data:`BOARD_LIMIT` a lane) and each
        lane's count from ``counts``."""
        for shown in self.columns.values():
            shown.clear()
        for r in rows:
            column = self.columns.get(r.customer.status)
            if column is None or column.count() >= BOARD_LIMIT:
                continue
            card = card_of(r)
            tip = "\n".join(x for x in (card.name, ", ".join(r.customer.tags)) if x)
            column.add_card(r.customer.id, card, tip)
        for status, label in self.counts.items():
            label.setText(f"{counts.get(status, 0):,}")

    def select(self, customer_id: int | None) -> None:
        """Highlight this customer's card (the one the profile shows), and no other."""
        for column in self.columns.values():
            column.clearSelection()
            for i in range(column.count()):
                item = column.item(i)
                if customer_id is not None and item.data(Qt.ItemDataRole.UserRole) == customer_id:
                    item.setSelected(True)

    def _scroll_near_edge(self, where: QPoint) -> None:
        at = self.viewport().mapFromGlobal(where).x()
        bar = self.horizontalScrollBar()
        if at < EDGE_SCROLL:
            bar.setValue(bar.value() - 24)
        elif at > self.viewport().width() - EDGE_SCROLL:
            bar.setValue(bar.value() + 24)
